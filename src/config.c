/* The config file: INI text -> monitor options and program specs.
 *
 * Two passes.  The first reads the file with inih, checks every section and
 * key name and keeps each section's values as text (a repeated section adds
 * to the first, a repeated key replaces its value: the later wins, as with
 * supervisord's configparser in non-strict mode).  The second expands
 * %(name)s in every value and turns the values into options and specs,
 * once for each process of a numprocs program.
 *
 * What inih does with the text.  Debian's libinih1 (r55) is built with
 * INI_HANDLER_LINENO=1 and with its settings as run-time variables; we set
 * them for the length of the parse (and restore them):
 *   - ';' and '#' begin a comment at the start of a line, indented or not;
 *   - ';' and '#' also begin an inline comment, but only after whitespace
 *     ("a=b ;c" is "b", "a=b;c" is "b;c"), as supervisord's parser does; a
 *     quoted value is no exception ("command=sh -c 'a ; b'" loses " ; b'");
 *   - `key = value` and `key: value`: the name ends at the first '=' or ':';
 *     the value is stripped of blanks and never unquoted;
 *   - an indented non-blank line after a key continues its value
 *     (configparser's multi-line values); we join the lines with "\n", which
 *     command and environment take as a blank; blank lines in between are
 *     dropped rather than kept as empty lines; inih r55 leaves an inline
 *     comment on a continuation line, so we cut it ourselves;
 *   - a UTF-8 byte-order mark at the start is skipped;
 *   - lines up to MAX_LINE characters (inih's default, 200, would cut longer
 *     lines into pieces and count each piece as a line).
 * Our own reader counts the lines (inih's line number would be wrong after a
 * cut line) and follows the section headers itself: inih reports no section
 * that has no keys, and truncates section names at 49 bytes.
 * Gaps against configparser: an inline comment inside a section header
 * ("[a ;x]") makes it an error; "[a]b]" is section "a", not "a]b"; a key
 * name longer than 49 bytes reaches us truncated (we show the whole name
 * in messages, taken from the line itself).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Debian's build passes the line number as a fifth argument: declare the
 * handler the way the library calls it.  We count lines ourselves anyway. */
#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "envlist.h"
#include "parse.h"
#include "shellwords.h"
#include "spec.h"

#define MAX_LINE 65536 /* characters in one line, its newline included */

/* ---- What the first pass keeps ---- */

typedef enum { SEC_PROCMON, SEC_PROGRAM, SEC_SUPERVISORD, SEC_IGNORED } sec_kind;

typedef struct entry {
    char *key;     /* lower case */
    char *written; /* as written, for messages */
    char *value;
    int line;
} entry;

typedef struct section {
    char *header;  /* between the brackets, as written: "program:web" */
    sec_kind kind;
    int line;      /* of its first header */
    entry *entries;
    size_t nentries;
    char **warned; /* unsupported keys already warned about */
    size_t nwarned;
    bool warned_section;
} section;

typedef struct loader {
    const char *path;
    FILE *fp;
    char *raw; /* the line inih is handling, as read */
    size_t rawcap;
    int lineno;
    bool continuation; /* raw continues the value of the last key */
    bool after_key;    /* as inih's prev_name: an indented line now continues a value */
    section *secs;
    size_t nsecs;
    size_t cur;        /* the current section's index + 1; 0 before the first */
    long last;         /* the entry of cur that a continuation extends; -1: none */
    char **warnings;
    size_t nwarnings;
    char *here;        /* %(here)s */
    char host[256];    /* %(host_node_name)s */
    char *err;
    size_t errlen;
    bool failed;
} loader;

static const char *const procmon_keys[] = {
    "socket", "log_format", "log_file", "threshold", "kill_time", "min_restart_delay",
    "max_restart_delay", NULL,
};

static const char *const program_keys[] = {
    "command", "directory", "user", "group", "umask", "environment", "clear_environment",
    "autostart", "autorestart", "exitcodes", "startsecs", "startretries", "min_restart_delay",
    "max_restart_delay", "stopsignal", "stopwaitsecs", "stopasgroup", "killasgroup", "numprocs",
    "numprocs_start", "process_name", "priority", NULL,
};

/* supervisord's program keys that procmon does not implement yet. */
static const char *const unsupported_program_keys[] = {
    "redirect_stderr", "serverurl",
    "stdout_logfile", "stdout_logfile_maxbytes", "stdout_logfile_backups",
    "stdout_capture_maxbytes", "stdout_events_enabled", "stdout_syslog",
    "stderr_logfile", "stderr_logfile_maxbytes", "stderr_logfile_backups",
    "stderr_capture_maxbytes", "stderr_events_enabled", "stderr_syslog", NULL,
};

/* supervisord's sections that procmon accepts and ignores, with a warning. */
static const char *const ignored_sections[] = {
    "unix_http_server", "inet_http_server", "supervisorctl", "include", NULL,
};
static const char *const ignored_section_prefixes[] = {
    "rpcinterface:", "group:", "eventlistener:", "fcgi-program:", "ctlplugin:", NULL,
};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* ---- Errors and warnings ---- */

static void failv(loader *ld, int line, const char *fmt, va_list ap)
{
    if (ld->failed)
        return;
    ld->failed = true;
    int n = line > 0 ? snprintf(ld->err, ld->errlen, "%s:%d: ", ld->path, line)
                     : snprintf(ld->err, ld->errlen, "%s: ", ld->path);
    if (n >= 0 && (size_t)n < ld->errlen)
        vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
}

__attribute__((format(printf, 3, 4)))
static void fail(loader *ld, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(ld, line, fmt, ap);
    va_end(ap);
}

static void fail_oom(loader *ld)
{
    fail(ld, 0, "out of memory");
}

/* A value fit for a one-line message: control characters escaped, cut short. */
static const char *shown(const char *value, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *p = value; *p && o + 8 < len; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n')
            o += (size_t)snprintf(buf + o, len - o, "\\n");
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
        if (p[1] && o + 8 >= len)
            o += (size_t)snprintf(buf + o, len - o, "...");
    }
    buf[o] = '\0';
    return buf;
}

__attribute__((format(printf, 5, 6)))
static void fail_value(loader *ld, const section *sec, const entry *e, const char *value,
                       const char *fmt, ...)
{
    char reason[512], buf[256], rbuf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    /* the reason may quote part of the value (an expansion's name) */
    fail(ld, e->line, "bad value for %s in [%s]: '%s' (%s)", e->written, sec->header,
         shown(value, buf, sizeof buf), shown(reason, rbuf, sizeof rbuf));
}

__attribute__((format(printf, 3, 4)))
static void warn(loader *ld, int line, const char *fmt, ...)
{
    char *msg, *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (msg && asprintf(&text, "%s:%d: %s", ld->path, line, msg) < 0)
        text = NULL;
    free(msg);
    char **w = text ? realloc(ld->warnings, (ld->nwarnings + 1) * sizeof *w) : NULL;
    if (!w) {
        free(text);
        fail_oom(ld);
        return;
    }
    ld->warnings = w;
    ld->warnings[ld->nwarnings++] = text;
}

/* ---- First pass: the reader and the handler that inih calls ---- */

static const char *skip_blanks(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

static bool is_comment_char(char c) { return c == ';' || c == '#'; }

/* Where inih's find_chars_or_comment would stop: the first of `chars`, an
 * inline comment (';' or '#' after whitespace), or the end. */
static const char *find_or_comment(const char *s, const char *chars)
{
    bool was_space = false;
    for (; *s; s++) {
        if (strchr(chars, *s) || (was_space && is_comment_char(*s)))
            break;
        was_space = isspace((unsigned char)*s);
    }
    return s;
}

/* The line's text, after a byte-order mark on the first line. */
static const char *line_text(const loader *ld)
{
    const char *s = ld->raw;
    if (ld->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    return s;
}

static sec_kind kind_of(const char *header, bool *known)
{
    *known = true;
    if (strcmp(header, "procmon") == 0)
        return SEC_PROCMON;
    if (strncmp(header, "program:", 8) == 0)
        return SEC_PROGRAM;
    if (strcmp(header, "supervisord") == 0)
        return SEC_SUPERVISORD;
    if (in_list(ignored_sections, header))
        return SEC_IGNORED;
    for (const char *const *p = ignored_section_prefixes; *p; p++)
        if (strncmp(header, *p, strlen(*p)) == 0)
            return SEC_IGNORED;
    *known = false;
    return SEC_IGNORED;
}

/* "program:NAME" -> NAME without surrounding blanks, as supervisord takes it. */
static char *program_name_of(const section *sec)
{
    const char *s = skip_blanks(sec->header + 8);
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

static void begin_section(loader *ld, const char *name, size_t len)
{
    char *header = strndup(name, len);
    if (!header) {
        fail_oom(ld);
        return;
    }
    ld->last = -1;
    for (size_t i = 0; i < ld->nsecs; i++) {
        if (strcmp(ld->secs[i].header, header) == 0) {
            ld->cur = i + 1;
            free(header);
            return;
        }
    }
    bool known;
    sec_kind kind = kind_of(header, &known);
    if (!known) {
        fail(ld, ld->lineno, "unknown section [%s]", header);
        free(header);
        return;
    }
    if (kind == SEC_PROGRAM) {
        section probe = {.header = header};
        char *pname = program_name_of(&probe);
        const char *why = pname ? pm_name_problem(pname) : NULL;
        if (!pname)
            fail_oom(ld);
        else if (why && !*pname)
            fail(ld, ld->lineno, "empty program name in [%s]", header);
        else if (why)
            fail(ld, ld->lineno, "bad program name '%s' in [%s]: %s", pname, header, why);
        free(pname);
        if (ld->failed) {
            free(header);
            return;
        }
    }
    section *secs = realloc(ld->secs, (ld->nsecs + 1) * sizeof *secs);
    if (!secs) {
        free(header);
        fail_oom(ld);
        return;
    }
    ld->secs = secs;
    ld->secs[ld->nsecs++] = (section){.header = header, .kind = kind, .line = ld->lineno};
    ld->cur = ld->nsecs;
    if (kind == SEC_IGNORED)
        warn(ld, ld->lineno, "[%s] is not supported by procmon; ignored", header);
}

/* Follows what inih is about to do with the line just read. */
static void classify_line(loader *ld)
{
    const char *start = skip_blanks(line_text(ld));
    ld->continuation = false;
    if (!*start || is_comment_char(*start))
        return;
    if (ld->after_key && start > ld->raw) {
        ld->continuation = true;
        return;
    }
    if (*start == '[') {
        const char *end = find_or_comment(start + 1, "]");
        if (*end == ']') /* else inih reports the line */
            begin_section(ld, start + 1, (size_t)(end - start - 1));
        ld->after_key = false;
        return;
    }
    /* inih keeps the name for continuations only when it is not empty. */
    const char *end = find_or_comment(start, "=:");
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    ld->after_key = end > start;
}

static char *read_line(char *str, int num, void *arg)
{
    loader *ld = arg;
    if (ld->failed)
        return NULL;
    errno = 0;
    ssize_t n = getline(&ld->raw, &ld->rawcap, ld->fp);
    if (n < 0) {
        if (ferror(ld->fp))
            fail(ld, 0, "cannot read: %s", strerror(errno ? errno : EIO));
        return NULL;
    }
    ld->lineno++;
    if (memchr(ld->raw, '\0', (size_t)n)) {
        fail(ld, ld->lineno, "the line holds a NUL byte");
        return NULL;
    }
    if (num < 2 || n > num - 2) {
        fail(ld, ld->lineno, "line longer than %d characters", num - 2);
        return NULL;
    }
    memcpy(str, ld->raw, (size_t)n + 1);
    classify_line(ld);
    return ld->failed ? NULL : str;
}

/* The key as written on the current line: up to the first '=' or ':'. */
static char *written_key(const loader *ld)
{
    const char *start = skip_blanks(line_text(ld));
    const char *end = find_or_comment(start, "=:");
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    return strndup(start, (size_t)(end - start));
}

/* inih leaves inline comments on continuation lines: we cut them as
 * configparser does. */
static bool append_continuation(loader *ld, const char *value)
{
    entry *e = &ld->secs[ld->cur - 1].entries[ld->last];
    const char *end = find_or_comment(value, "");
    while (end > value && isspace((unsigned char)end[-1]))
        end--;
    char *joined;
    if (asprintf(&joined, "%s\n%.*s", e->value, (int)(end - value), value) < 0)
        return false;
    free(e->value);
    e->value = joined;
    return true;
}

static bool already_warned(section *sec, const char *key)
{
    for (size_t i = 0; i < sec->nwarned; i++)
        if (strcmp(sec->warned[i], key) == 0)
            return true;
    char **w = realloc(sec->warned, (sec->nwarned + 1) * sizeof *w);
    if (w) {
        sec->warned = w;
        if ((w[sec->nwarned] = strdup(key)))
            sec->nwarned++;
    }
    return false;
}

/* Keeps key = value in sec (replacing an earlier value); takes key and written. */
static void store(loader *ld, section *sec, char *key, char *written, const char *value)
{
    char *v = strdup(value);
    entry *e = NULL;
    for (size_t i = 0; i < sec->nentries; i++)
        if (strcmp(sec->entries[i].key, key) == 0)
            e = &sec->entries[i];
    if (!e && v) {
        entry *entries = realloc(sec->entries, (sec->nentries + 1) * sizeof *entries);
        if (entries) {
            sec->entries = entries;
            e = &entries[sec->nentries++];
            *e = (entry){0};
        }
    }
    if (!v || !e) {
        free(v);
        free(key);
        free(written);
        fail_oom(ld);
        return;
    }
    free(e->key);
    free(e->written);
    free(e->value);
    *e = (entry){.key = key, .written = written, .value = v, .line = ld->lineno};
    ld->last = (long)(e - sec->entries);
}

static int on_value(void *user, const char *section_name, const char *name, const char *value,
                    int inih_lineno)
{
    (void)section_name; /* inih's may be truncated: we follow the headers ourselves */
    (void)name;         /* likewise */
    (void)inih_lineno;  /* wrong after a cut line: we count lines ourselves */
    loader *ld = user;
    if (ld->failed)
        return 0;
    if (ld->continuation) {
        if (ld->last >= 0 && !append_continuation(ld, value))
            fail_oom(ld);
        return !ld->failed;
    }
    char *written = written_key(ld);
    char *key = written ? strdup(written) : NULL;
    if (!key) {
        free(written);
        fail_oom(ld);
        return 0;
    }
    for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    ld->last = -1;
    if (!ld->cur) {
        fail(ld, ld->lineno, "'%s' is outside any section", written);
        free(key);
        free(written);
        return 0;
    }
    section *sec = &ld->secs[ld->cur - 1];
    bool known = (sec->kind == SEC_PROCMON && in_list(procmon_keys, key)) ||
                 (sec->kind == SEC_PROGRAM && in_list(program_keys, key));
    if (known) {
        store(ld, sec, key, written, value); /* takes key and written */
        return !ld->failed;
    }
    if (sec->kind == SEC_SUPERVISORD) {
        /* nodaemon: procmon always runs in the foreground; nothing to say. */
        if (strcmp(key, "nodaemon") != 0 && !sec->warned_section) {
            sec->warned_section = true;
            warn(ld, sec->line, "[%s] is not supported by procmon; ignored", sec->header);
        }
    } else if (sec->kind == SEC_PROGRAM && in_list(unsupported_program_keys, key)) {
        if (!already_warned(sec, key))
            warn(ld, ld->lineno, "%s in [%s] is not supported by procmon; ignored", written,
                 sec->header);
    } else if (sec->kind != SEC_IGNORED) {
        fail(ld, ld->lineno, "unknown key '%s' in [%s]", written, sec->header);
    }
    free(key);
    free(written);
    return !ld->failed;
}

/* inih's settings, process-wide variables in Debian's build. */
typedef struct inih_settings {
    bool multiline, bom, inline_comments, use_stack, realloc_, stop_on_first_error, no_value;
    char *inline_prefixes, *start_prefixes;
    int max_line, initial_alloc;
} inih_settings;

static void inih_get(inih_settings *s)
{
    *s = (inih_settings){
        .multiline = ini_allow_multiline, .bom = ini_allow_bom,
        .inline_comments = ini_allow_inline_comments, .use_stack = ini_use_stack,
        .realloc_ = ini_allow_realloc, .stop_on_first_error = ini_stop_on_first_error,
        .no_value = ini_allow_no_value, .inline_prefixes = ini_inline_comment_prefixes,
        .start_prefixes = ini_start_comment_prefixes, .max_line = ini_max_line,
        .initial_alloc = ini_initial_alloc,
    };
}

static void inih_set(const inih_settings *s)
{
    ini_allow_multiline = s->multiline;
    ini_allow_bom = s->bom;
    ini_allow_inline_comments = s->inline_comments;
    ini_use_stack = s->use_stack;
    ini_allow_realloc = s->realloc_;
    ini_stop_on_first_error = s->stop_on_first_error;
    ini_allow_no_value = s->no_value;
    ini_inline_comment_prefixes = s->inline_prefixes;
    ini_start_comment_prefixes = s->start_prefixes;
    ini_max_line = s->max_line;
    ini_initial_alloc = s->initial_alloc;
}

static void read_file(loader *ld)
{
    static char comment_chars[] = ";#";
    inih_settings saved, ours = {
        .multiline = true, .bom = true, .inline_comments = true,
        .use_stack = false, /* a line buffer of MAX_LINE on the heap, not the stack */
        .realloc_ = false, .stop_on_first_error = true, .no_value = false,
        .inline_prefixes = comment_chars, .start_prefixes = comment_chars,
        .max_line = MAX_LINE + 2, .initial_alloc = MAX_LINE + 2,
    };
    inih_get(&saved);
    inih_set(&ours);
    int r = ini_parse_stream(read_line, ld, on_value, ld);
    inih_set(&saved);
    if (ld->failed || r == 0)
        return;
    if (r < 0) {
        fail_oom(ld);
        return;
    }
    /* inih stopped at line r, the last one read. */
    const char *start = r == ld->lineno ? skip_blanks(line_text(ld)) : "";
    if (*start == '[')
        fail(ld, r, "no ']' at the end of the section header");
    else
        fail(ld, r, "expected 'key = value', '[section]' or a comment");
}

/* ---- Second pass: expansions ---- */

typedef struct text {
    char *buf;
    size_t len, cap;
    bool oom;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->oom)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *buf = realloc(t->buf, cap);
        if (!buf) {
            t->oom = true;
            return;
        }
        t->buf = buf;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void text_pad(text *t, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        text_add(t, &c, 1);
}

/* What %(name)s can stand for in a section. */
typedef struct expansions {
    const char *here, *host;
    const char *program; /* NULL outside [program:x] */
    bool has_num;        /* process_num and numprocs are known */
    long long process_num, numprocs;
} expansions;

typedef struct expansion_spec {
    char flags[8];
    int width, precision; /* -1: none */
    char conversion;      /* 's' or 'd' */
} expansion_spec;

/* Python's %-formatting of a number (which supervisord uses): sign, zero
 * padding and precision as in C. */
static void format_number(text *t, long long v, const expansion_spec *fs)
{
    char digits[32];
    unsigned long long mag = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    size_t nd = (size_t)snprintf(digits, sizeof digits, "%llu", mag);
    size_t zeros = fs->precision > (int)nd ? (size_t)fs->precision - nd : 0;
    char sign = v < 0 ? '-' : strchr(fs->flags, '+') ? '+' : strchr(fs->flags, ' ') ? ' ' : 0;
    size_t body = (sign ? 1 : 0) + zeros + nd;
    size_t pad = fs->width > (int)body ? (size_t)fs->width - body : 0;
    bool left = strchr(fs->flags, '-');
    bool zero_pad = !left && strchr(fs->flags, '0') && fs->precision < 0;
    if (!left && !zero_pad)
        text_pad(t, ' ', pad);
    if (sign)
        text_add(t, &sign, 1);
    text_pad(t, '0', zero_pad ? pad + zeros : zeros);
    text_add(t, digits, nd);
    if (left)
        text_pad(t, ' ', pad);
}

static void format_string(text *t, const char *s, const expansion_spec *fs)
{
    size_t n = strlen(s);
    if (fs->precision >= 0 && (size_t)fs->precision < n)
        n = (size_t)fs->precision;
    size_t pad = fs->width > (int)n ? (size_t)fs->width - n : 0;
    bool left = strchr(fs->flags, '-');
    if (!left)
        text_pad(t, ' ', pad);
    text_add(t, s, n);
    if (left)
        text_pad(t, ' ', pad);
}

/* A width or precision; anything over 4096 reads as 4097 (too large). */
static const char *parse_count(const char *p, int *out)
{
    int n = 0;
    for (; isdigit((unsigned char)*p); p++)
        if (n <= 4096)
            n = n * 10 + (*p - '0');
    *out = n > 4096 ? 4097 : n;
    return p;
}

/* Reads flags, width, precision, length and conversion after "%(name)". */
static const char *parse_expansion_spec(const char *p, expansion_spec *fs)
{
    size_t nf = 0;
    *fs = (expansion_spec){.width = -1, .precision = -1};
    while (*p && strchr("-+ #0", *p)) {
        if (nf + 1 < sizeof fs->flags && !strchr(fs->flags, *p))
            fs->flags[nf++] = *p;
        p++;
    }
    if (isdigit((unsigned char)*p))
        p = parse_count(p, &fs->width);
    if (*p == '.')
        p = parse_count(p + 1, &fs->precision);
    if (*p && strchr("hlL", *p)) /* Python accepts and ignores a length */
        p++;
    fs->conversion = *p == 'i' ? 'd' : *p;
    return p;
}

/* Expands the entry's value; NULL with the error recorded. */
static char *expand(loader *ld, const expansions *ex, const section *sec, const entry *e)
{
    static const char *const program_names =
        "ENV_*, group_name, here, host_node_name, numprocs, process_num, program_name";
    text t = {0};
    text_add(&t, "", 0);
    for (const char *p = e->value; *p && !ld->failed; p++) {
        if (*p != '%') {
            const char *next = strchr(p, '%');
            size_t n = next ? (size_t)(next - p) : strlen(p);
            text_add(&t, p, n);
            p += n - 1;
            continue;
        }
        if (p[1] == '%') {
            text_add(&t, "%", 1);
            p++;
            continue;
        }
        if (p[1] != '(') {
            fail_value(ld, sec, e, e->value, "a '%%' must begin %%(name)s, or be doubled: %%%%");
            break;
        }
        const char *name = p + 2, *close = strchr(name, ')');
        if (!close) {
            fail_value(ld, sec, e, e->value, "'%%(' without ')'");
            break;
        }
        int nlen = (int)(close - name);
        expansion_spec fs;
        const char *conv = parse_expansion_spec(close + 1, &fs);
        if (fs.conversion != 's' && fs.conversion != 'd') {
            fail_value(ld, sec, e, e->value, "%%(%.*s) must be followed by s or d, with an optional width",
                       nlen, name);
            break;
        }
        if (fs.width > 4096 || fs.precision > 4096) {
            fail_value(ld, sec, e, e->value, "the width of %%(%.*s) is too large", nlen, name);
            break;
        }
        const char *str = NULL;
        long long num = 0;
        bool is_num = false;
#define IS(s) (nlen == (int)strlen(s) && strncmp(name, s, (size_t)nlen) == 0)
        if (IS("here"))
            str = ex->here;
        else if (IS("host_node_name"))
            str = ex->host;
        else if (ex->program && (IS("program_name") || IS("group_name")))
            str = ex->program;
        else if (ex->has_num && IS("process_num"))
            num = ex->process_num, is_num = true;
        else if (ex->has_num && IS("numprocs"))
            num = ex->numprocs, is_num = true;
        else if (nlen > 4 && strncmp(name, "ENV_", 4) == 0) {
            char *var = strndup(name + 4, (size_t)nlen - 4);
            str = var ? getenv(var) : NULL;
            free(var);
            if (!str) {
                fail_value(ld, sec, e, e->value, "%.*s is not in procmon's environment", nlen - 4, name + 4);
                break;
            }
        } else {
            fail_value(ld, sec, e, e->value, "unknown expansion %%(%.*s); known here: %s", nlen, name,
                       ex->program ? program_names : "ENV_*, here, host_node_name");
            break;
        }
#undef IS
        if (fs.conversion == 'd' && !is_num) {
            fail_value(ld, sec, e, e->value, "%%(%.*s) is not a number: use %%(%.*s)s", nlen, name,
                       nlen, name);
            break;
        }
        if (is_num && fs.conversion == 'd') {
            format_number(&t, num, &fs);
        } else if (is_num) {
            char digits[32];
            snprintf(digits, sizeof digits, "%lld", num);
            format_string(&t, digits, &fs);
        } else {
            format_string(&t, str, &fs);
        }
        p = conv;
    }
    if (t.oom)
        fail_oom(ld);
    if (ld->failed) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}

/* ---- Second pass: values ---- */

static const char oom_reason[] = "out of memory";

static bool parse_bool(const char *v, bool *out)
{
    static const char *const truthy[] = {"true", "yes", "on", "1", NULL};
    static const char *const falsy[] = {"false", "no", "off", "0", NULL};
    for (int i = 0; truthy[i]; i++) {
        if (strcasecmp(v, truthy[i]) == 0)
            return *out = true;
        if (strcasecmp(v, falsy[i]) == 0)
            return !(*out = false);
    }
    return false;
}

static bool parse_integer(const char *v, long long min, long long max, long long *out)
{
    const char *p = v + (*v == '+' || *v == '-');
    if (!isdigit((unsigned char)*p))
        return false;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n < min || n > max)
        return false;
    *out = n;
    return true;
}

static bool parse_int(const char *v, int min, int max, int *out)
{
    long long n;
    if (!parse_integer(v, min, max, &n))
        return false;
    *out = (int)n;
    return true;
}

static bool all_digits(const char *v)
{
    if (!*v)
        return false;
    for (; *v; v++)
        if (!isdigit((unsigned char)*v))
            return false;
    return true;
}

/* The state of one process's spec while its keys are applied. */
typedef struct progbuild {
    pm_spec spec;
    int stopasgroup, killasgroup; /* -1: not given */
} progbuild;

/* Each returns NULL, or why the value is bad (oom_reason if out of memory). */
typedef const char *(*program_setter)(progbuild *b, const char *v, char *why, size_t whylen);

static const char *set_command(progbuild *b, const char *v, char *why, size_t whylen)
{
    char **argv;
    int r = pm_shellwords_split(v, &argv, why, whylen);
    if (r == -ENOMEM)
        return oom_reason;
    if (r < 0)
        return why;
    if (!argv[0]) {
        pm_strv_free(argv);
        return "expected a command";
    }
    pm_strv_free(b->spec.argv);
    b->spec.argv = argv;
    return NULL;
}

static const char *set_string(char **field, const char *v)
{
    char *copy = *v ? strdup(v) : NULL;
    if (*v && !copy)
        return oom_reason;
    free(*field);
    *field = copy;
    return NULL;
}

static const char *set_directory(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    return set_string(&b->spec.cwd, v); /* empty: inherit, as supervisord */
}

static const char *set_user(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    long long id;
    if (!*v)
        return "expected a user name or number";
    /* A number need not have a passwd entry (containers run arbitrary uids). */
    if (all_digits(v) ? !parse_integer(v, 0, (uid_t)-2, &id) : !getpwnam(v))
        return all_digits(v) ? "expected a user name or number" : "no such user";
    return set_string(&b->spec.user, v);
}

static const char *set_group(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    long long id;
    if (!*v)
        return "expected a group name or number";
    if (all_digits(v) ? !parse_integer(v, 0, (gid_t)-2, &id) : !getgrnam(v))
        return all_digits(v) ? "expected a group name or number" : "no such group";
    return set_string(&b->spec.group, v);
}

static const char *set_umask(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    const char *p = (v[0] == '0' && (v[1] == 'o' || v[1] == 'O')) ? v + 2 : v;
    long n = 0;
    if (!*p)
        return "expected an octal number such as 022";
    for (; *p; p++) {
        if (*p < '0' || *p > '7')
            return "expected an octal number such as 022";
        if (n <= 0777)
            n = n * 8 + (*p - '0');
    }
    if (n > 0777)
        return "expected an octal number from 0 to 777";
    b->spec.umask = (int)n;
    return NULL;
}

static const char *set_environment(progbuild *b, const char *v, char *why, size_t whylen)
{
    char **env;
    int r = pm_envlist_parse(v, &env, why, whylen);
    if (r == -ENOMEM)
        return oom_reason;
    if (r < 0)
        return why;
    pm_strv_free(b->spec.env);
    b->spec.env = env;
    if (!env[0]) { /* nothing to add */
        pm_strv_free(env);
        b->spec.env = NULL;
    }
    return NULL;
}

#define BOOL_SETTER(fn, field)                                                       \
    static const char *fn(progbuild *b, const char *v, char *why, size_t whylen)     \
    {                                                                                \
        (void)why, (void)whylen;                                                     \
        bool x;                                                                      \
        if (!parse_bool(v, &x))                                                      \
            return "expected true or false";                                         \
        field = x;                                                                   \
        return NULL;                                                                 \
    }
BOOL_SETTER(set_clear_environment, b->spec.clear_env)
BOOL_SETTER(set_autostart, b->spec.autostart)
BOOL_SETTER(set_stopasgroup, b->stopasgroup)
BOOL_SETTER(set_killasgroup, b->killasgroup)

#define SECONDS_SETTER(fn, field)                                                    \
    static const char *fn(progbuild *b, const char *v, char *why, size_t whylen)     \
    {                                                                                \
        (void)why, (void)whylen;                                                     \
        if (!pm_parse_seconds(v, &field))                                            \
            return "expected seconds, such as 5 or 0.25";                             \
        return NULL;                                                                 \
    }
SECONDS_SETTER(set_startsecs, b->spec.threshold)
SECONDS_SETTER(set_stopwaitsecs, b->spec.kill_time)
SECONDS_SETTER(set_min_restart_delay, b->spec.min_restart_delay)
SECONDS_SETTER(set_max_restart_delay, b->spec.max_restart_delay)

static const char *set_autorestart(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    bool x;
    if (strcasecmp(v, "unexpected") == 0)
        b->spec.autorestart = PM_AUTORESTART_UNEXPECTED;
    else if (parse_bool(v, &x))
        b->spec.autorestart = x ? PM_AUTORESTART_ALWAYS : PM_AUTORESTART_NEVER;
    else
        return "expected true, unexpected or false";
    return NULL;
}

static const char *set_exitcodes(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    unsigned char codes[sizeof b->spec.exitcodes] = {0};
    const char *p = skip_blanks(v);
    while (*p) { /* an empty list: no exit is expected */
        char item[16];
        size_t n = strcspn(p, ",");
        while (n && isspace((unsigned char)p[n - 1]))
            n--;
        long long code;
        if (n >= sizeof item)
            return "expected exit codes from 0 to 255, separated by commas";
        memcpy(item, p, n);
        item[n] = '\0';
        if (!all_digits(item) || !parse_integer(item, 0, 255, &code))
            return "expected exit codes from 0 to 255, separated by commas";
        codes[code / 8] |= (unsigned char)(1u << (code % 8));
        p += strcspn(p, ",");
        if (*p == ',' && !*skip_blanks(p + 1))
            return "expected exit codes from 0 to 255, separated by commas";
        p = skip_blanks(p + (*p == ','));
    }
    memcpy(b->spec.exitcodes, codes, sizeof codes);
    return NULL;
}

static const char *set_startretries(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    return parse_int(v, 0, INT_MAX, &b->spec.start_retries) ? NULL : "expected a whole number, 0 or more";
}

static const char *set_priority(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    return parse_int(v, INT_MIN, INT_MAX, &b->spec.priority) ? NULL : "expected a whole number";
}

static const char *set_stopsignal(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    int sig = pm_parse_signal(v);
    if (!sig)
        return "expected a signal such as TERM, HUP, INT, QUIT, KILL, USR1 or USR2";
    b->spec.stop_signal = sig;
    return NULL;
}

static const struct {
    const char *key;
    program_setter set; /* NULL: numprocs, numprocs_start, process_name (see build_program) */
} program_setters[] = {
    {"command", set_command}, {"directory", set_directory}, {"user", set_user},
    {"group", set_group}, {"umask", set_umask}, {"environment", set_environment},
    {"clear_environment", set_clear_environment}, {"autostart", set_autostart},
    {"autorestart", set_autorestart}, {"exitcodes", set_exitcodes}, {"startsecs", set_startsecs},
    {"startretries", set_startretries}, {"min_restart_delay", set_min_restart_delay},
    {"max_restart_delay", set_max_restart_delay}, {"stopsignal", set_stopsignal},
    {"stopwaitsecs", set_stopwaitsecs}, {"stopasgroup", set_stopasgroup},
    {"killasgroup", set_killasgroup}, {"priority", set_priority},
};

static program_setter setter_for(const char *key)
{
    for (size_t i = 0; i < sizeof program_setters / sizeof *program_setters; i++)
        if (strcmp(program_setters[i].key, key) == 0)
            return program_setters[i].set;
    return NULL;
}

static const entry *find_entry(const section *sec, const char *key)
{
    for (size_t i = 0; i < sec->nentries; i++)
        if (strcmp(sec->entries[i].key, key) == 0)
            return &sec->entries[i];
    return NULL;
}

/* An integer key evaluated once for the whole section. */
static bool section_integer(loader *ld, const expansions *ex, const section *sec, const char *key,
                            long long min, const char *expected, long long *out)
{
    const entry *e = find_entry(sec, key);
    if (!e)
        return true;
    char *v = expand(ld, ex, sec, e);
    if (!v)
        return false;
    if (!parse_integer(v, min, INT_MAX, out))
        fail_value(ld, sec, e, v, "%s", expected);
    free(v);
    return !ld->failed;
}

/* Applies every key of the section to one process's spec. */
static bool apply_keys(loader *ld, const expansions *ex, const section *sec, progbuild *b)
{
    for (size_t i = 0; i < sec->nentries && !ld->failed; i++) {
        const entry *e = &sec->entries[i];
        program_setter set = setter_for(e->key);
        if (!set)
            continue;
        char *v = expand(ld, ex, sec, e);
        if (!v)
            break;
        char why[256];
        const char *reason = set(b, v, why, sizeof why);
        if (reason == oom_reason)
            fail_oom(ld);
        else if (reason)
            fail_value(ld, sec, e, v, "%s", reason);
        free(v);
    }
    const entry *min = find_entry(sec, "min_restart_delay"), *max = find_entry(sec, "max_restart_delay");
    if (!ld->failed && min && max && b->spec.min_restart_delay > b->spec.max_restart_delay)
        fail_value(ld, sec, max, max->value, "less than min_restart_delay");
    /* killasgroup defaults to stopasgroup, which defaults to true (procmon's
     * default, where supervisord's is false); either one signals the group. */
    bool stop = b->stopasgroup < 0 ? true : b->stopasgroup;
    bool kill = b->killasgroup < 0 ? stop : b->killasgroup;
    b->spec.signal_group = stop || kill;
    return !ld->failed;
}

/* Takes name and spec (on success only). */
static bool add_program(loader *ld, pm_config *cfg, char *name, pm_spec *spec, const section *sec,
                        int name_line)
{
    for (size_t i = 0; i < cfg->nprograms; i++) {
        if (strcmp(cfg->programs[i].name, name) == 0) {
            fail(ld, name_line, "duplicate program name '%s' (first at %s:%d)", name,
                 cfg->programs[i].file, cfg->programs[i].line);
            return false;
        }
    }
    char *file = strdup(ld->path);
    if (!file) {
        fail_oom(ld);
        return false;
    }
    cfg->programs[cfg->nprograms++] = (pm_program){.name = name, .spec = *spec, .file = file,
                                                   .line = sec->line};
    return true;
}

static void build_program(loader *ld, const section *sec, pm_config *cfg)
{
    char *program = program_name_of(sec);
    if (!program) {
        fail_oom(ld);
        return;
    }
    expansions ex = {.here = ld->here, .host = ld->host, .program = program};
    long long numprocs = 1, start = 0;
    const entry *np = find_entry(sec, "numprocs"), *ns = find_entry(sec, "numprocs_start");
    const entry *pn = find_entry(sec, "process_name");
    const entry default_pn = {.key = "process_name", .written = "process_name",
                              .value = "%(program_name)s", .line = sec->line};
    if (!find_entry(sec, "command"))
        fail(ld, sec->line, "[%s] has no command", sec->header);
    else if (section_integer(ld, &ex, sec, "numprocs", 1, "expected a whole number, 1 or more", &numprocs) &&
             section_integer(ld, &ex, sec, "numprocs_start", 0, "expected a whole number, 0 or more", &start) &&
             numprocs > 1 && !strstr(pn ? pn->value : default_pn.value, "%(process_num)"))
        fail(ld, pn ? pn->line : np->line,
             "numprocs is %lld in [%s], so process_name needs %%(process_num)d to make names differ",
             numprocs, sec->header);
    if (!ld->failed && start + numprocs - 1 > INT_MAX) /* so start > 0: ns is set */
        fail_value(ld, sec, ns, ns->value, "numprocs_start + numprocs is too large");
    pm_program *programs = NULL;
    if (!ld->failed && !(programs = realloc(cfg->programs, (cfg->nprograms + (size_t)numprocs) * sizeof *programs)))
        fail_oom(ld);
    if (programs)
        cfg->programs = programs;
    for (long long i = 0; i < numprocs && !ld->failed; i++) {
        ex.has_num = true;
        ex.process_num = start + i;
        ex.numprocs = numprocs;
        const entry *name_entry = pn ? pn : &default_pn;
        char *name = expand(ld, &ex, sec, name_entry);
        const char *why = name ? pm_name_problem(name) : NULL;
        if (why) {
            fail_value(ld, sec, name_entry, name, "%s", why);
            free(name);
        }
        if (!name || why)
            break;
        progbuild b = {.stopasgroup = -1, .killasgroup = -1};
        pm_spec_init(&b.spec);
        if (!apply_keys(ld, &ex, sec, &b) || !add_program(ld, cfg, name, &b.spec, sec, name_entry->line)) {
            pm_spec_free(&b.spec);
            free(name);
        }
    }
    free(program);
}

static void apply_procmon(loader *ld, const section *sec, pm_config *cfg)
{
    expansions ex = {.here = ld->here, .host = ld->host};
    for (size_t i = 0; i < sec->nentries && !ld->failed; i++) {
        const entry *e = &sec->entries[i];
        char *v = expand(ld, &ex, sec, e);
        if (!v)
            return;
        const char *reason = NULL;
        double *seconds = NULL;
        unsigned bit = 0;
        if (strcmp(e->key, "socket") == 0 || strcmp(e->key, "log_file") == 0) {
            char **field = e->key[0] == 's' ? &cfg->socket : &cfg->log_file;
            free(*field);
            *field = NULL;
            if (!*v)
                reason = "expected a path";
            else if (!(*field = strdup(v)))
                reason = oom_reason;
        } else if (strcmp(e->key, "log_format") == 0) {
            if (strcasecmp(v, "text") == 0)
                cfg->log_format = 0;
            else if (strcasecmp(v, "json") == 0)
                cfg->log_format = 1;
            else
                reason = "expected text or json";
        } else if (strcmp(e->key, "threshold") == 0) {
            seconds = &cfg->opts.threshold, bit = PM_CFG_THRESHOLD;
        } else if (strcmp(e->key, "kill_time") == 0) {
            seconds = &cfg->opts.kill_time, bit = PM_CFG_KILL_TIME;
        } else if (strcmp(e->key, "min_restart_delay") == 0) {
            seconds = &cfg->opts.min_restart_delay, bit = PM_CFG_MIN_DELAY;
        } else {
            seconds = &cfg->opts.max_restart_delay, bit = PM_CFG_MAX_DELAY;
        }
        if (seconds && !pm_parse_seconds(v, seconds))
            reason = "expected seconds, such as 5 or 0.25";
        else if (seconds)
            cfg->opts_set |= bit;
        if (reason == oom_reason)
            fail_oom(ld);
        else if (reason)
            fail_value(ld, sec, e, v, "%s", reason);
        free(v);
    }
}

/* ---- Loading ---- */

/* The config file's folder, absolute, without "." or ".." (Python's
 * os.path.abspath(os.path.dirname(path)), which supervisord uses). */
static char *folder_of(const char *path)
{
    char *cwd = NULL, *full = NULL;
    if (path[0] != '/' && !(cwd = get_current_dir_name()))
        return NULL;
    if (asprintf(&full, "%s/%s", cwd ? cwd : "", path) < 0)
        full = NULL;
    free(cwd);
    if (!full)
        return NULL;
    /* Components are copied down in place; ".." drops the last one kept. */
    char *out = full;
    size_t o = 0;
    for (char *p = full; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else {
            out[o++] = '/';
            memmove(out + o, p, n);
            o += n;
        }
        p += n;
    }
    /* The last component is the file's own name. */
    while (o > 0 && out[o - 1] != '/')
        o--;
    if (o > 0)
        o--;
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return full;
}

static void loader_free(loader *ld)
{
    for (size_t i = 0; i < ld->nsecs; i++) {
        section *sec = &ld->secs[i];
        for (size_t j = 0; j < sec->nentries; j++) {
            free(sec->entries[j].key);
            free(sec->entries[j].written);
            free(sec->entries[j].value);
        }
        free(sec->entries);
        for (size_t j = 0; j < sec->nwarned; j++)
            free(sec->warned[j]);
        free(sec->warned);
        free(sec->header);
    }
    free(ld->secs);
    for (size_t i = 0; i < ld->nwarnings; i++)
        free(ld->warnings[i]);
    free(ld->warnings);
    free(ld->raw);
    free(ld->here);
    if (ld->fp)
        fclose(ld->fp);
}

static void config_init(pm_config *cfg)
{
    *cfg = (pm_config){.log_format = -1, .log_maxbytes = -1, .log_backups = -1};
    pm_options_init(&cfg->opts);
}

int pm_config_load(const char *path, pm_config *cfg, char *err, size_t errlen)
{
    loader ld = {.path = path, .last = -1, .err = err, .errlen = errlen};
    config_init(cfg);
    if (errlen)
        err[0] = '\0';
    if (!(ld.fp = fopen(path, "re"))) {
        fail(&ld, 0, "cannot read: %s", strerror(errno));
        return -1;
    }
    struct utsname un;
    if (uname(&un) == 0)
        snprintf(ld.host, sizeof ld.host, "%s", un.nodename);
    if (!(ld.here = folder_of(path)))
        fail(&ld, 0, "cannot find its folder: %s", strerror(errno ? errno : ENOMEM));
    if (!ld.failed)
        read_file(&ld);
    for (size_t i = 0; i < ld.nsecs && !ld.failed; i++) {
        if (ld.secs[i].kind == SEC_PROCMON)
            apply_procmon(&ld, &ld.secs[i], cfg);
        else if (ld.secs[i].kind == SEC_PROGRAM)
            build_program(&ld, &ld.secs[i], cfg);
    }
    if (!ld.failed) {
        cfg->warnings = ld.warnings;
        cfg->nwarnings = ld.nwarnings;
        ld.warnings = NULL;
        ld.nwarnings = 0;
    }
    loader_free(&ld);
    if (ld.failed) {
        pm_config_free(cfg);
        return -1;
    }
    return 0;
}

void pm_config_free(pm_config *cfg)
{
    for (size_t i = 0; i < cfg->nprograms; i++) {
        free(cfg->programs[i].name);
        free(cfg->programs[i].file);
        free(cfg->programs[i].out.path);
        free(cfg->programs[i].err.path);
        pm_spec_free(&cfg->programs[i].spec);
    }
    free(cfg->programs);
    for (size_t i = 0; i < cfg->nwarnings; i++)
        free(cfg->warnings[i]);
    free(cfg->warnings);
    free(cfg->socket);
    free(cfg->log_file);
    free(cfg->childlogdir);
    config_init(cfg);
}
