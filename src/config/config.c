/* The config file: INI text -> monitor options and program specs.
 *
 * Two passes.  The first reads the file with inih, checks every section and
 * key name and keeps each section's values as text (a repeated section adds
 * to the first, a repeated key replaces its value: the later wins, as with
 * supervisord's configparser in non-strict mode).  Once a file is read, the
 * files its [include] names are read the same way (read_source), as
 * supervisord reads them after the main file; each value remembers its file
 * and line for messages, and its file's folder for %(here)s.  The second
 * pass applies [supervisord] (its environment is seen by everything else),
 * then [procmon], then each program: it expands %(name)s in every value and
 * turns the values into options and specs, once for each process of a
 * numprocs program and once for each [group:x] that lists the program.
 *
 * What inih does with the text.  Debian's libinih1 (r55) is built with
 * INI_HANDLER_LINENO=1 and with its settings as run-time variables; we set
 * them for the length of the parse (and restore them):
 *   - ';' and '#' begin a comment at the start of a line, indented or not;
 *   - ';' and '#' also begin an inline comment, but only after whitespace
 *     ("a=b ;c" is "b", "a=b;c" is "b;c"), as supervisord's parser does; a
 *     quoted value is no exception ("command=sh -c 'a ; b'" loses " ; b'");
 *     where ';' and '#' both occur, configparser's lock-step search decides
 *     which one begins the comment, so we cut each value from the line
 *     ourselves (line_value) rather than take inih's;
 *   - `key = value` and `key: value`: the name ends at the first '=' or ':';
 *     the value is stripped of blanks and never unquoted;
 *   - an indented non-blank line after a key continues its value
 *     (configparser's multi-line values); we join the lines with "\n", which
 *     command and environment take as a blank; blank lines in between are
 *     dropped rather than kept as empty lines;
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
#include <glob.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The folder that relative paths in the file are read against: the one
 * pm_config_load_in was given (procmon's folder at start-up, for a reload
 * after [supervisord] directory moved it), else NULL for the current one.
 * Set for the duration of a load, like inih's settings. */
static const char *relative_base;

/* v made absolute against relative_base or the current folder: a new
 * string, or NULL without memory or a current folder. */
static char *absolute_path(const char *v)
{
    if (v[0] == '/')
        return strdup(v);
    char *cwd = relative_base ? NULL : get_current_dir_name(), *full = NULL;
    const char *base = relative_base ? relative_base : cwd;
    if (base && asprintf(&full, "%s%s%s", base, strcmp(base, "/") == 0 ? "" : "/", v) < 0)
        full = NULL;
    free(cwd);
    return full;
}

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

typedef enum {
    SEC_PROCMON, SEC_PROGRAM, SEC_SUPERVISORD, SEC_INCLUDE, SEC_GROUP, SEC_IGNORED,
} sec_kind;

typedef struct entry {
    char *key;     /* lower case */
    char *written; /* as written, for messages */
    char *value;
    const char *file; /* where it was written (the loader owns the text) */
    const char *here; /* that file's folder: %(here)s */
    int line;
} entry;

typedef struct section {
    char *header;  /* between the brackets, as written: "program:web" */
    sec_kind kind;
    const char *file; /* of its first header */
    int line;
    entry *entries;
    size_t nentries;
    char **warned; /* unsupported keys already warned about */
    size_t nwarned;
} section;

/* A file read, and its folder; kept to the end for messages. */
typedef struct source {
    char *path;
    char *here;
    dev_t dev;
    ino_t ino;
    bool reading; /* on the include chain now: including it again is a cycle */
} source;

typedef struct loader {
    const char *path;  /* the file being read (or the one a message is about) */
    const char *here;  /* its folder */
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
    source **sources;  /* every file read, the main one first */
    size_t nsources;
    char host[256];    /* %(host_node_name)s */
    char *err;
    size_t errlen;
    bool failed;
} loader;

/* [supervisord]'s keys that procmon honours (see apply_supervisord). */
static const char *const supervisord_keys[] = {
    "logfile", "logfile_maxbytes", "logfile_backups", "childlogdir", "environment", "umask",
    "minfds", "minprocs", "pidfile", "directory", "user", "identifier", "nodaemon", "nocleanup",
    NULL,
};

/* [supervisord]'s keys that it knows and procmon does not act on. */
static const char *const unsupported_supervisord_keys[] = {
    "loglevel", "silent", "strip_ansi", NULL,
};

static const char *const procmon_keys[] = {
    "socket", "log_format", "log_file", "threshold", "kill_time", "min_restart_delay",
    "max_restart_delay", "childlogdir", "logfile_maxbytes", "logfile_backups", NULL,
};

static const char *const program_keys[] = {
    "command", "directory", "user", "group", "umask", "environment", "clear_environment",
    "autostart", "autorestart", "exitcodes", "startsecs", "startretries", "min_restart_delay",
    "max_restart_delay", "stopsignal", "stopwaitsecs", "stopasgroup", "killasgroup", "numprocs",
    "numprocs_start", "process_name", "priority", "stdout_logfile", "stderr_logfile",
    "redirect_stderr", "stdout_logfile_maxbytes", "stderr_logfile_maxbytes",
    "stdout_logfile_backups", "stderr_logfile_backups", NULL,
};

/* supervisord's program keys that procmon does not implement yet. */
static const char *const unsupported_program_keys[] = {
    "serverurl",
    "stdout_capture_maxbytes", "stdout_events_enabled", "stdout_syslog",
    "stderr_capture_maxbytes", "stderr_events_enabled", "stderr_syslog", NULL,
};

/* supervisord's sections that procmon accepts and ignores, with a warning. */
static const char *const ignored_sections[] = {
    "unix_http_server", "inet_http_server", "supervisorctl", NULL,
};
static const char *const ignored_section_prefixes[] = {
    "rpcinterface:", "eventlistener:", "fcgi-program:", "ctlplugin:", NULL,
};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* ---- Errors and warnings ---- */

static void failv(loader *ld, const char *file, int line, const char *fmt, va_list ap)
{
    if (ld->failed)
        return;
    ld->failed = true;
    int n = line > 0 ? snprintf(ld->err, ld->errlen, "%s:%d: ", file, line)
                     : snprintf(ld->err, ld->errlen, "%s: ", file);
    if (n >= 0 && (size_t)n < ld->errlen)
        vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
}

/* An error in the file being read. */
__attribute__((format(printf, 3, 4)))
static void fail(loader *ld, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(ld, ld->path, line, fmt, ap);
    va_end(ap);
}

/* An error at a line of any file read (the second pass). */
__attribute__((format(printf, 4, 5)))
static void fail_at(loader *ld, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(ld, file, line, fmt, ap);
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
    fail_at(ld, e->file, e->line, "bad value for %s in [%s]: '%s' (%s)", e->written, sec->header,
            shown(value, buf, sizeof buf), shown(reason, rbuf, sizeof rbuf));
}

static void warnv(loader *ld, const char *file, int line, const char *fmt, va_list ap)
{
    char *msg, *text = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    if (msg && asprintf(&text, "%s:%d: %s", file, line, msg) < 0)
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

/* A warning about the file being read. */
__attribute__((format(printf, 3, 4)))
static void warn(loader *ld, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    warnv(ld, ld->path, line, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 4, 5)))
static void warn_at(loader *ld, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    warnv(ld, file, line, fmt, ap);
    va_end(ap);
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
    if (strcmp(header, "include") == 0)
        return SEC_INCLUDE;
    if (strncmp(header, "group:", 6) == 0)
        return SEC_GROUP;
    if (in_list(ignored_sections, header))
        return SEC_IGNORED;
    for (const char *const *p = ignored_section_prefixes; *p; p++)
        if (strncmp(header, *p, strlen(*p)) == 0)
            return SEC_IGNORED;
    *known = false;
    return SEC_IGNORED;
}

/* "program:NAME" or "group:NAME" -> NAME without surrounding blanks, as
 * supervisord takes it. */
static char *program_name_of(const section *sec)
{
    const char *s = skip_blanks(strchr(sec->header, ':') + 1);
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
    if (kind == SEC_PROGRAM || kind == SEC_GROUP) {
        section probe = {.header = header};
        char *pname = program_name_of(&probe);
        const char *why = pname ? pm_name_problem(pname) : NULL;
        const char *what = kind == SEC_GROUP ? "group" : "program";
        if (!pname)
            fail_oom(ld);
        else if (why && !*pname)
            fail(ld, ld->lineno, "empty %s name in [%s]", what, header);
        else if (why)
            fail(ld, ld->lineno, "bad %s name '%s' in [%s]: %s", what, pname, header, why);
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
    ld->secs[ld->nsecs++] = (section){.header = header, .kind = kind, .file = ld->path,
                                      .line = ld->lineno};
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
/* Where Python's configparser (under supervisord 4.2) starts the inline
 * comment of a line: it looks for ';' and '#' in lock-step, the next
 * occurrence of each per round, and stops at the first round that finds
 * one after whitespace.  So in `a;b x#y ;c #d` the comment is "#d", not
 * ";c #d": the round that sees " ;c" has already passed it for '#'.  inih
 * would cut at the leftmost one; we follow configparser. */
static const char *inline_comment_start(const char *line)
{
    static const char prefixes[2] = {';', '#'};
    const char *at[2] = {NULL, NULL};
    bool live[2] = {true, true};
    while (live[0] || live[1]) {
        const char *found = NULL;
        for (int i = 0; i < 2; i++) {
            if (!live[i])
                continue;
            const char *p = strchr(at[i] ? at[i] + 1 : line, prefixes[i]);
            if (!p) {
                live[i] = false;
                continue;
            }
            at[i] = p;
            if ((p == line || isspace((unsigned char)p[-1])) && (!found || p < found))
                found = p;
        }
        if (found)
            return found;
    }
    return line + strlen(line);
}

/* The current line's value as configparser takes it: the comment cut
 * first, then everything after the first '=' or ':', stripped; NULL if no
 * delimiter is left (out of memory: also NULL, with errno ENOMEM). */
static char *line_value(const loader *ld, bool continuation)
{
    const char *text = line_text(ld), *end = inline_comment_start(text);
    const char *start = text;
    if (!continuation) {
        start = text + strcspn(text, "=:");
        if (start >= end) {
            errno = 0;
            return NULL;
        }
        start++;
    }
    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    errno = ENOMEM;
    return strndup(start, (size_t)(end - start));
}

static bool append_continuation(loader *ld)
{
    entry *e = &ld->secs[ld->cur - 1].entries[ld->last];
    char *value = line_value(ld, true);
    if (!value)
        return false;
    char *joined;
    int n = asprintf(&joined, "%s\n%s", e->value, value);
    free(value);
    if (n < 0)
        return false;
    free(e->value);
    e->value = joined;
    return true;
}

/* Whether supervisord knows `key` in the ignored section `header`: a typo
 * there is an error too, though the section is not acted on. */
static bool ignored_key_known(const char *header, const char *key)
{
    static const char *const unix_keys[] = {"file", "chmod", "chown", "username", "password", NULL};
    static const char *const inet_keys[] = {"port", "username", "password", NULL};
    static const char *const ctl_keys[] = {"serverurl", "username", "password", "prompt", "history_file", NULL};
    static const char *const listener_keys[] = {"events", "buffer_size", "result_handler", NULL};
    static const char *const fcgi_keys[] = {"socket", "socket_backlog", "socket_owner", "socket_mode", NULL};
    static const char *const not_in_procmon[] = {"group", "clear_environment", "min_restart_delay",
                                                 "max_restart_delay", NULL};
    if (strcmp(header, "unix_http_server") == 0)
        return in_list(unix_keys, key);
    if (strcmp(header, "inet_http_server") == 0)
        return in_list(inet_keys, key);
    if (strcmp(header, "supervisorctl") == 0)
        return in_list(ctl_keys, key);
    bool listener = strncmp(header, "eventlistener:", 14) == 0;
    if (listener || strncmp(header, "fcgi-program:", 13) == 0)
        return in_list(listener ? listener_keys : fcgi_keys, key) ||
               ((in_list(program_keys, key) || in_list(unsupported_program_keys, key)) &&
                !in_list(not_in_procmon, key));
    return true; /* [rpcinterface:x], [ctlplugin:x]: keys for a plugin to read */
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
    *e = (entry){.key = key, .written = written, .value = v, .file = ld->path, .here = ld->here,
                 .line = ld->lineno};
    ld->last = (long)(e - sec->entries);
}

static int on_value(void *user, const char *section_name, const char *name, const char *value,
                    int inih_lineno)
{
    (void)section_name; /* inih's may be truncated: we follow the headers ourselves */
    (void)name;         /* likewise */
    (void)value;        /* cut at inih's inline comment: we cut as configparser (line_value) */
    (void)inih_lineno;  /* wrong after a cut line: we count lines ourselves */
    loader *ld = user;
    if (ld->failed)
        return 0;
    if (ld->continuation) {
        if (ld->last >= 0 && !append_continuation(ld))
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
    static const char *const include_keys[] = {"files", NULL};
    static const char *const group_keys[] = {"programs", "priority", NULL};
    bool known = (sec->kind == SEC_PROCMON && in_list(procmon_keys, key)) ||
                 (sec->kind == SEC_PROGRAM && in_list(program_keys, key)) ||
                 (sec->kind == SEC_SUPERVISORD && in_list(supervisord_keys, key)) ||
                 (sec->kind == SEC_INCLUDE && in_list(include_keys, key)) ||
                 (sec->kind == SEC_GROUP && in_list(group_keys, key));
    if (known) {
        char *own = line_value(ld, false); /* inih's value, cut as configparser cuts it */
        if (own)
            store(ld, sec, key, written, own); /* takes key and written */
        else if (errno == ENOMEM)
            fail_oom(ld);
        else
            fail(ld, ld->lineno, "expected 'key = value', '[section]' or a comment");
        if (!own) {
            free(key);
            free(written);
        }
        free(own);
        return !ld->failed;
    }
    if ((sec->kind == SEC_PROGRAM && in_list(unsupported_program_keys, key)) ||
        (sec->kind == SEC_SUPERVISORD && in_list(unsupported_supervisord_keys, key))) {
        if (!already_warned(sec, key))
            warn(ld, ld->lineno, "%s in [%s] is not supported by procmon; ignored", written,
                 sec->header);
    } else if (sec->kind != SEC_IGNORED || !ignored_key_known(sec->header, key)) {
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

/* What %(name)s can stand for in a section.  %(here)s is the folder of the
 * file where the value was written (entry.here). */
typedef struct expansions {
    const char *host;
    const char *program; /* NULL outside [program:x] */
    const char *group;   /* %(group_name)s: the [group:x] or the program's name */
    bool has_num;        /* process_num and numprocs are known */
    long long process_num, numprocs;
    /* %(ENV_X)s looks in the program's environment, then [supervisord]'s,
     * then procmon's own ("K=V" arrays, NULL if none). */
    char *const *program_env, *const *global_env;
} expansions;

/* X in a "K=V" array, or NULL. */
static const char *env_find(char *const *env, const char *name, size_t len)
{
    for (; env && *env; env++)
        if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
            return *env + len + 1;
    return NULL;
}

static const char *env_lookup(const expansions *ex, const char *name, size_t len)
{
    const char *v = env_find(ex->program_env, name, len);
    if (!v)
        v = env_find(ex->global_env, name, len);
    if (!v) {
        char *var = strndup(name, len);
        v = var ? getenv(var) : NULL;
        free(var);
    }
    return v;
}

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
            str = e->here;
        else if (IS("host_node_name"))
            str = ex->host;
        else if (ex->program && IS("program_name"))
            str = ex->program;
        else if (ex->program && IS("group_name"))
            str = ex->group ? ex->group : ex->program;
        else if (ex->has_num && IS("process_num"))
            num = ex->process_num, is_num = true;
        else if (ex->has_num && IS("numprocs"))
            num = ex->numprocs, is_num = true;
        else if (nlen > 4 && strncmp(name, "ENV_", 4) == 0) {
            str = env_lookup(ex, name + 4, (size_t)nlen - 4);
            if (!str) {
                fail_value(ld, sec, e, e->value, "%.*s is not in the environment", nlen - 4, name + 4);
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

/* ---- Includes ---- */

static char *folder_of(const char *path);
static void read_source(loader *ld, const char *path, const char *from_file, int from_line);

static section *find_section(loader *ld, sec_kind kind)
{
    for (size_t i = 0; i < ld->nsecs; i++)
        if (ld->secs[i].kind == kind)
            return &ld->secs[i];
    return NULL;
}

/* Reads the files that `files =` names, if the file just read (src) set it:
 * supervisord reads the main file whole, then each match of each glob
 * (whitespace-separated, relative to the including file's folder), sorted. */
static void read_includes(loader *ld, const source *src)
{
    section *sec = find_section(ld, SEC_INCLUDE);
    const entry *e = NULL;
    for (size_t i = 0; sec && i < sec->nentries; i++)
        if (strcmp(sec->entries[i].key, "files") == 0 && sec->entries[i].file == src->path)
            e = &sec->entries[i];
    if (!e)
        return;
    /* Included files may add entries and sections: keep what we need. */
    const char *file = e->file;
    int line = e->line;
    expansions ex = {.host = ld->host};
    char *value = expand(ld, &ex, sec, e);
    for (char *save = NULL, *pattern = value ? strtok_r(value, " \t\r\n\f\v", &save) : NULL;
         pattern && !ld->failed; pattern = strtok_r(NULL, " \t\r\n\f\v", &save)) {
        char *full = NULL;
        if (pattern[0] == '/' ? !(full = strdup(pattern)) : asprintf(&full, "%s/%s", src->here, pattern) < 0) {
            fail_oom(ld);
            break;
        }
        glob_t g;
        /* Like Python's glob, an unreadable folder is no match. */
        int r = glob(full, 0, NULL, &g);
        if (r == GLOB_NOMATCH)
            warn_at(ld, file, line, "[include] files: no file matches '%s'", full);
        else if (r == GLOB_NOSPACE)
            fail_oom(ld);
        else if (r != 0)
            fail_at(ld, file, line, "[include] files: cannot read the folders of '%s': %s", full,
                    strerror(errno ? errno : EIO));
        for (size_t i = 0; r == 0 && i < g.gl_pathc && !ld->failed; i++) /* glob sorts them */
            read_source(ld, g.gl_pathv[i], file, line);
        if (r == 0 || r == GLOB_NOMATCH)
            globfree(&g);
        free(full);
    }
    free(value);
}

/* Reads one file and then what it includes; from_file:from_line names the
 * include that brought it in (NULL for the main file). */
static void read_source(loader *ld, const char *path, const char *from_file, int from_line)
{
    source *src = calloc(1, sizeof *src);
    source **list = src ? realloc(ld->sources, (ld->nsources + 1) * sizeof *list) : NULL;
    if (list)
        ld->sources = list;
    if (!list || !(src->path = strdup(path))) {
        free(src);
        fail_oom(ld);
        return;
    }
    ld->sources[ld->nsources++] = src;
    struct stat st;
    /* A folder or a FIFO that a glob matches is no config file, and opening
     * a FIFO would wait for a writer: skip it before opening. */
    if (from_file && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        warn_at(ld, from_file, from_line, "[include] files: %s is not a regular file; skipped", path);
        return;
    }
    FILE *fp = fopen(path, "re");
    int error = !fp ? errno : fstat(fileno(fp), &st) < 0 ? errno : 0;
    if (error) {
        if (from_file)
            fail_at(ld, from_file, from_line, "[include] files: cannot read %s: %s", path, strerror(error));
        else
            fail_at(ld, path, 0, "cannot read: %s", strerror(error));
        if (fp)
            fclose(fp);
        return;
    }
    src->dev = st.st_dev;
    src->ino = st.st_ino;
    for (size_t i = 0; i + 1 < ld->nsources; i++) {
        if (ld->sources[i]->reading && ld->sources[i]->dev == st.st_dev && ld->sources[i]->ino == st.st_ino) {
            fail_at(ld, from_file, from_line, "[include] files: %s is already being read: an include cycle",
                    path);
            fclose(fp);
            return;
        }
    }
    if (!(src->here = folder_of(path))) {
        fail_at(ld, path, 0, "cannot find its folder: %s", strerror(errno ? errno : ENOMEM));
        fclose(fp);
        return;
    }
    /* Each file starts outside any section, as configparser's read() does. */
    loader saved = *ld;
    ld->path = src->path;
    ld->here = src->here;
    ld->fp = fp;
    ld->lineno = 0;
    ld->continuation = ld->after_key = false;
    ld->cur = 0;
    ld->last = -1;
    src->reading = true;
    read_file(ld);
    fclose(fp);
    ld->fp = NULL;
    if (!ld->failed)
        read_includes(ld, src);
    src->reading = false;
    ld->path = saved.path;
    ld->here = saved.here;
    ld->fp = saved.fp;
    ld->lineno = saved.lineno;
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
    pm_output out, err;           /* an AUTO path is completed by take_outputs */
    bool redirect_stderr;
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

/* ---- Output keys (contract §6) ---- */

static bool parse_supervisord_size(const char *v, long long *out);
static const char *check_dirpath(const char *v, char *why, size_t whylen);
static const char *check_directory(const char *v);

#define OUTPUT_DEFAULT_MAXBYTES (50LL << 20) /* supervisord's */
#define OUTPUT_DEFAULT_BACKUPS 10

/* stdout_logfile / stderr_logfile: AUTO, NONE, /dev/stdout, /dev/stderr,
 * /dev/fd/N (procmon's own descriptors) or a file whose folder exists. */
static const char *set_logfile(pm_output *o, const char *v, char *why, size_t whylen)
{
    long long n;
    char *path = NULL;
    pm_output_kind kind = PM_OUT_FILE;
    int fd = -1;
    bool automatic = false;
    if (strcasecmp(v, "none") == 0) {
        kind = PM_OUT_NONE;
    } else if (strcasecmp(v, "auto") == 0) {
        automatic = true; /* the path once childlogdir is known */
    } else if (strcmp(v, "/dev/stdout") == 0 || strcmp(v, "/dev/stderr") == 0) {
        kind = PM_OUT_FD, fd = v[8] == 'o' ? 1 : 2; /* /dev/std[o]ut */
    } else if (strncmp(v, "/dev/fd/", 8) == 0) {
        if (!all_digits(v + 8) || !parse_integer(v + 8, 0, INT_MAX, &n))
            return "expected /dev/fd/ and a descriptor number";
        kind = PM_OUT_FD, fd = (int)n;
    } else {
        const char *reason = check_dirpath(v, why, whylen);
        if (reason)
            return reason;
        /* Relative to procmon's folder at start-up, as supervisord's;
         * absolute now so that nothing later depends on the cwd. */
        if (!(path = absolute_path(v)))
            return errno == ENOMEM ? oom_reason : "cannot find procmon's current folder";
    }
    free(o->path);
    o->kind = kind;
    o->path = path;
    o->fd = fd;
    o->automatic = automatic;
    return NULL;
}

static const char *set_stdout_logfile(progbuild *b, const char *v, char *why, size_t whylen)
{
    return set_logfile(&b->out, v, why, whylen);
}

static const char *set_stderr_logfile(progbuild *b, const char *v, char *why, size_t whylen)
{
    return set_logfile(&b->err, v, why, whylen);
}

static const char *set_maxbytes(pm_output *o, const char *v)
{
    return parse_supervisord_size(v, &o->maxbytes) ? NULL : "expected a size such as 50MB, 1024KB or 0";
}

static const char *set_stdout_maxbytes(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    return set_maxbytes(&b->out, v);
}

static const char *set_stderr_maxbytes(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    return set_maxbytes(&b->err, v);
}

static const char *set_stdout_backups(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    return parse_int(v, 0, INT_MAX, &b->out.backups) ? NULL : "expected a whole number, 0 or more";
}

static const char *set_stderr_backups(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    return parse_int(v, 0, INT_MAX, &b->err.backups) ? NULL : "expected a whole number, 0 or more";
}

BOOL_SETTER(set_redirect_stderr, b->redirect_stderr)

/* Where AUTO files go: childlogdir, else the temp folder, as Python's
 * tempfile.gettempdir(); absolute.  NULL without memory. */
static char *auto_folder(const pm_config *cfg)
{
    const char *dir = cfg->childlogdir;
    static const char *const vars[] = {"TMPDIR", "TEMP", "TMP"};
    for (size_t i = 0; !dir && i < sizeof vars / sizeof *vars; i++) {
        const char *t = getenv(vars[i]);
        if (t && *t && check_directory(t) == NULL)
            dir = t;
    }
    return absolute_path(dir ? dir : "/tmp");
}

/* supervisord's AUTO name, NAME-CHANNEL---IDENTIFIER-, under auto_dir; the
 * daemon adds 6 random characters and ".log" when it creates the file, so
 * no two programs or runs share one (output.h: pm_output_is_auto_name). */
static char *auto_prefix(const pm_config *cfg, const char *name, const char *channel)
{
    char *prefix;
    if (asprintf(&prefix, "%s/%s-%s---%s-", cfg->auto_dir, name, channel,
                 cfg->identifier ? cfg->identifier : "procmon") < 0)
        return NULL;
    for (char *p = prefix + strlen(cfg->auto_dir) + 1; *p; p++)
        if (*p == '/') /* a name or identifier must not reach another folder */
            *p = '_';
    return prefix;
}

/* Moves b's output settings into the program p; false when out of memory. */
static bool take_outputs(const pm_config *cfg, pm_program *p, progbuild *b)
{
    if (b->redirect_stderr) { /* stderr goes where stdout goes: its own keys are moot */
        free(b->err.path);
        b->err = (pm_output){.kind = PM_OUT_LOG, .fd = -1};
    }
    if (b->out.automatic && !(b->out.path = auto_prefix(cfg, p->name, "stdout")))
        return false;
    if (b->err.automatic && !(b->err.path = auto_prefix(cfg, p->name, "stderr")))
        return false;
    p->out = b->out;
    p->err = b->err;
    p->redirect_stderr = b->redirect_stderr;
    b->out.path = b->err.path = NULL;
    return true;
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
    {"stdout_logfile", set_stdout_logfile}, {"stderr_logfile", set_stderr_logfile},
    {"redirect_stderr", set_redirect_stderr}, {"stdout_logfile_maxbytes", set_stdout_maxbytes},
    {"stderr_logfile_maxbytes", set_stderr_maxbytes}, {"stdout_logfile_backups", set_stdout_backups},
    {"stderr_logfile_backups", set_stderr_backups},
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
        if (!set || set == set_environment) /* see build_program */
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
                        const entry *name_entry)
{
    for (size_t i = 0; i < cfg->nprograms; i++) {
        if (strcmp(cfg->programs[i].name, name) == 0) {
            fail_at(ld, name_entry->file, name_entry->line, "duplicate program name '%s' (first at %s:%d)",
                    name, cfg->programs[i].file, cfg->programs[i].line);
            return false;
        }
    }
    char *file = strdup(sec->file);
    if (!file) {
        fail_oom(ld);
        return false;
    }
    cfg->programs[cfg->nprograms++] = (pm_program){.name = name, .spec = *spec, .file = file,
                                                   .line = sec->line};
    return true;
}

/* [supervisord]'s environment under the program's own: a key in both takes
 * the program's value (supervisord's env.update()).  NULL if both are empty. */
static char **merge_env(char *const *global, char *const *own, bool *oom)
{
    size_t n = 0, m = 0;
    while (global && global[n])
        n++;
    while (own && own[m])
        m++;
    if (n + m == 0)
        return NULL;
    char **env = calloc(n + m + 1, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; env && i < n; i++) {
        size_t len = strcspn(global[i], "=");
        if (!env_find(own, global[i], len) && !(env[k++] = strdup(global[i])))
            *oom = true;
    }
    for (size_t i = 0; env && i < m; i++)
        if (!(env[k++] = strdup(own[i])))
            *oom = true;
    if (!env || *oom) {
        *oom = true;
        pm_strv_free(env);
        return NULL;
    }
    return env;
}

/* The program's own environment, expanded with [supervisord]'s and
 * procmon's (not its own, as supervisord does); NULL with *env NULL if it
 * sets none. */
static bool program_env(loader *ld, const expansions *ex, const section *sec, char ***env)
{
    *env = NULL;
    const entry *e = find_entry(sec, "environment");
    if (!e)
        return true;
    expansions outer = *ex;
    outer.program_env = NULL;
    char *v = expand(ld, &outer, sec, e);
    if (!v)
        return false;
    char why[256];
    int r = pm_envlist_parse(v, env, why, sizeof why);
    if (r == -ENOMEM)
        fail_oom(ld);
    else if (r < 0)
        fail_value(ld, sec, e, v, "%s", why);
    free(v);
    return r == 0;
}

/* What a [group:x] gives its members. */
typedef struct group_info {
    const char *name; /* NULL: the program is in no group */
    bool has_priority;
    int priority;
} group_info;

static void build_program(loader *ld, const section *sec, pm_config *cfg, const group_info *grp)
{
    char *program = program_name_of(sec);
    if (!program) {
        fail_oom(ld);
        return;
    }
    expansions ex = {.host = ld->host, .program = program, .group = grp->name,
                     .global_env = cfg->environment};
    long long numprocs = 1, start = 0;
    const entry *np = find_entry(sec, "numprocs"), *ns = find_entry(sec, "numprocs_start");
    const entry *pn = find_entry(sec, "process_name");
    const entry default_pn = {.key = "process_name", .written = "process_name",
                              .value = "%(program_name)s", .file = sec->file,
                              .here = ld->sources[0]->here, .line = sec->line};
    if (!find_entry(sec, "command"))
        fail_at(ld, sec->file, sec->line, "[%s] has no command", sec->header);
    else if (section_integer(ld, &ex, sec, "numprocs", 1, "expected a whole number, 1 or more", &numprocs) &&
             section_integer(ld, &ex, sec, "numprocs_start", 0, "expected a whole number, 0 or more", &start) &&
             numprocs > 1 && !strstr(pn ? pn->value : default_pn.value, "%(process_num)"))
        fail_at(ld, (pn ? pn : np)->file, (pn ? pn : np)->line,
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
        ex.program_env = NULL;
        const entry *name_entry = pn ? pn : &default_pn;
        char *name = expand(ld, &ex, sec, name_entry);
        const char *why = name ? pm_name_problem(name) : NULL;
        if (why) {
            fail_value(ld, sec, name_entry, name, "%s", why);
            free(name);
        }
        if (!name || why)
            break;
        /* A group's member is addressed as "group:name", as in supervisorctl,
         * except one named as its group: supervisord's make_namespec shows
         * it by its bare name ([group:web] programs=web: "web"). */
        char *full = name;
        if (grp->name && strcmp(grp->name, name) != 0 && asprintf(&full, "%s:%s", grp->name, name) < 0) {
            free(name);
            fail_oom(ld);
            break;
        }
        if (full != name)
            free(name);
        char **own = NULL;
        const pm_output log_default = {.kind = PM_OUT_LOG, .fd = -1,
                                       .maxbytes = OUTPUT_DEFAULT_MAXBYTES,
                                       .backups = OUTPUT_DEFAULT_BACKUPS};
        progbuild b = {.stopasgroup = -1, .killasgroup = -1, .out = log_default, .err = log_default};
        pm_spec_init(&b.spec);
        bool ok = program_env(ld, &ex, sec, &own);
        ex.program_env = own;
        ok = ok && apply_keys(ld, &ex, sec, &b);
        bool oom = false;
        if (ok) {
            b.spec.env = merge_env(cfg->environment, own, &oom);
            if (oom)
                fail_oom(ld);
            if (grp->has_priority)
                b.spec.priority = grp->priority;
        }
        pm_strv_free(own);
        if (!ok || oom || !add_program(ld, cfg, full, &b.spec, sec, name_entry)) {
            pm_spec_free(&b.spec);
            free(full);
        } else if (!take_outputs(cfg, &cfg->programs[cfg->nprograms - 1], &b)) {
            fail_oom(ld);
        }
        free(b.out.path);
        free(b.err.path);
    }
    free(program);
}

static void apply_procmon(loader *ld, const section *sec, pm_config *cfg)
{
    expansions ex = {.host = ld->host, .global_env = cfg->environment};
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
        } else if (strcmp(e->key, "childlogdir") == 0) {
            free(cfg->childlogdir);
            cfg->childlogdir = NULL;
            if (!(reason = check_directory(v)) && !(cfg->childlogdir = absolute_path(v)))
                reason = oom_reason;
        } else if (strcmp(e->key, "logfile_maxbytes") == 0) {
            if (!parse_supervisord_size(v, &cfg->log_maxbytes))
                reason = "expected a size such as 50MB, 1024KB or 0";
        } else if (strcmp(e->key, "logfile_backups") == 0) {
            if (!parse_int(v, 0, INT_MAX, &cfg->log_backups))
                reason = "expected a whole number, 0 or more";
        } else if (strcmp(e->key, "threshold") == 0) {
            seconds = &cfg->opts.threshold, bit = PM_CFG_THRESHOLD;
        } else if (strcmp(e->key, "kill_time") == 0) {
            seconds = &cfg->opts.kill_time, bit = PM_CFG_KILL_TIME;
        } else if (strcmp(e->key, "min_restart_delay") == 0) {
            seconds = &cfg->opts.min_restart_delay, bit = PM_CFG_MIN_DELAY;
        } else if (strcmp(e->key, "max_restart_delay") == 0) {
            seconds = &cfg->opts.max_restart_delay, bit = PM_CFG_MAX_DELAY;
        } /* no other: the section's keys were checked against its list */
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

/* supervisord's byte sizes: a whole number with an optional KB, MB or GB
 * (any case; 1024-based).  0 means never rotate. */
static bool parse_supervisord_size(const char *v, long long *out)
{
    static const struct { const char *suffix; long long mult; } units[] = {
        {"kb", 1LL << 10}, {"mb", 1LL << 20}, {"gb", 1LL << 30},
    };
    size_t n = strlen(v);
    long long mult = 1;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (n > 2 && strcasecmp(v + n - 2, units[i].suffix) == 0) {
            mult = units[i].mult;
            n -= 2;
        }
    }
    char digits[32];
    long long x;
    if (n == 0 || n >= sizeof digits)
        return false;
    memcpy(digits, v, n);
    digits[n] = '\0';
    if (!all_digits(digits) || !parse_integer(digits, 0, LLONG_MAX / mult, &x))
        return false;
    *out = x * mult;
    return true;
}

/* A path whose folder must exist (supervisord's existing_dirpath). */
static const char *check_dirpath(const char *v, char *why, size_t whylen)
{
    if (!*v)
        return "expected a path";
    const char *slash = strrchr(v, '/');
    if (!slash || slash == v)
        return NULL;
    char *dir = strndup(v, (size_t)(slash - v)), *full = dir ? absolute_path(dir) : NULL;
    struct stat st;
    const char *reason = NULL;
    if (!full)
        reason = dir && errno != ENOMEM ? "cannot find procmon's current folder" : oom_reason;
    else if (stat(full, &st) < 0 || !S_ISDIR(st.st_mode))
        reason = (snprintf(why, whylen, "no folder %s", dir), why);
    free(dir);
    free(full);
    return reason;
}

/* relative_base's folder v (or the current one's) exists. */
static const char *check_directory(const char *v)
{
    struct stat st;
    if (!*v)
        return "expected a folder";
    char *full = absolute_path(v);
    if (!full)
        return errno == ENOMEM ? oom_reason : "cannot find procmon's current folder";
    bool ok = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
    free(full);
    return ok ? NULL : "not an existing folder";
}

/* [supervisord], for what procmon does with it: run.c applies umask, the
 * limits, pidfile, directory and user at start-up. */
static void apply_supervisord(loader *ld, const section *sec, pm_config *cfg)
{
    expansions ex = {.host = ld->host};
    /* environment first: the other keys' %(ENV_X)s see it, as in supervisord */
    const entry *env = find_entry(sec, "environment");
    if (env) {
        /* supervisord 4.2 expands this value twice (its getdefault, then
         * expand() again), so "%%%%" is one '%' there: do the same, so
         * that a file written for it means the same here. */
        char *once = expand(ld, &ex, sec, env), *v = NULL, why[256];
        if (once) {
            entry again = *env;
            again.value = once;
            v = expand(ld, &ex, sec, &again);
            free(once);
        }
        int r = v ? pm_envlist_parse(v, &cfg->environment, why, sizeof why) : 0;
        if (r == -ENOMEM)
            fail_oom(ld);
        else if (r < 0)
            fail_value(ld, sec, env, v, "%s", why);
        free(v);
        if (cfg->environment && !cfg->environment[0]) {
            free(cfg->environment);
            cfg->environment = NULL;
        }
    }
    ex.global_env = cfg->environment;
    for (size_t i = 0; i < sec->nentries && !ld->failed; i++) {
        const entry *e = &sec->entries[i];
        if (e == env)
            continue;
        char *v = expand(ld, &ex, sec, e), why[PATH_MAX + 64];
        if (!v)
            return;
        const char *k = e->key, *reason = NULL;
        char **field = NULL;
        bool flag;
        long long n;
        if (strcmp(k, "nodaemon") == 0) { /* procmon always runs in the foreground */
            reason = parse_bool(v, &flag) ? NULL : "expected true or false";
        } else if (strcmp(k, "nocleanup") == 0) {
            reason = parse_bool(v, &cfg->nocleanup) ? NULL : "expected true or false";
        } else if (strcmp(k, "logfile") == 0 || strcmp(k, "pidfile") == 0) {
            field = k[0] == 'l' ? &cfg->log_file : &cfg->pidfile;
            reason = check_dirpath(v, why, sizeof why);
        } else if (strcmp(k, "childlogdir") == 0 || strcmp(k, "directory") == 0) {
            field = k[0] == 'c' ? &cfg->childlogdir : &cfg->directory;
            reason = check_directory(v);
        } else if (strcmp(k, "user") == 0) {
            field = &cfg->user;
            if (!*v || (all_digits(v) ? !parse_integer(v, 0, (uid_t)-2, &n) : !getpwnam(v)))
                reason = all_digits(v) || !*v ? "expected a user name or number" : "no such user";
        } else if (strcmp(k, "identifier") == 0) {
            field = &cfg->identifier;
        } else if (strcmp(k, "logfile_maxbytes") == 0) {
            reason = parse_supervisord_size(v, &cfg->log_maxbytes) ? NULL
                                                                   : "expected a size such as 50MB, 1024KB or 0";
        } else if (strcmp(k, "logfile_backups") == 0) {
            reason = parse_int(v, 0, INT_MAX, &cfg->log_backups) ? NULL : "expected a whole number, 0 or more";
        } else if (strcmp(k, "minfds") == 0 || strcmp(k, "minprocs") == 0) {
            long long *limit = k[3] == 'f' ? &cfg->minfds : &cfg->minprocs;
            reason = parse_integer(v, 0, LLONG_MAX, limit) ? NULL : "expected a whole number";
        } else if (strcmp(k, "umask") == 0) {
            progbuild b;
            pm_spec_init(&b.spec);
            reason = set_umask(&b, v, why, sizeof why);
            cfg->umask = reason ? -1 : b.spec.umask;
        }
        if (!reason && field) {
            free(*field);
            /* childlogdir absolute: AUTO files go where it was checked */
            if (!(*field = field == &cfg->childlogdir ? absolute_path(v) : strdup(v)))
                reason = oom_reason;
        }
        if (reason == oom_reason)
            fail_oom(ld);
        else if (reason)
            fail_value(ld, sec, e, v, "%s", reason);
        free(v);
    }
}

/* The [group:x] that lists program `name`, from the n-th on, or NULL. */
static const section *group_of(loader *ld, const char *name, size_t *from, const entry **at)
{
    for (; *from < ld->nsecs && !ld->failed; (*from)++) {
        const section *sec = &ld->secs[*from];
        const entry *e = sec->kind == SEC_GROUP ? find_entry(sec, "programs") : NULL;
        if (!e)
            continue;
        expansions ex = {.host = ld->host};
        char *v = expand(ld, &ex, sec, e);
        bool member = false;
        for (char *save = NULL, *p = v ? strtok_r(v, ",", &save) : NULL; p && !member;
             p = strtok_r(NULL, ",", &save)) {
            const char *b = skip_blanks(p);
            size_t len = strlen(b);
            while (len && isspace((unsigned char)b[len - 1]))
                len--;
            member = len == strlen(name) && strncmp(b, name, len) == 0;
        }
        free(v);
        if (member) {
            *at = e;
            return sec;
        }
    }
    return NULL;
}

/* Every [group:x] names programs that exist and has a valid priority. */
static void check_groups(loader *ld)
{
    for (size_t i = 0; i < ld->nsecs && !ld->failed; i++) {
        const section *sec = &ld->secs[i];
        if (sec->kind != SEC_GROUP)
            continue;
        const entry *e = find_entry(sec, "programs");
        if (!e) {
            fail_at(ld, sec->file, sec->line, "[%s] has no programs", sec->header);
            return;
        }
        long long n;
        if (!section_integer(ld, &(expansions){.host = ld->host}, sec, "priority", INT_MIN,
                             "expected a whole number", &n))
            return;
        expansions ex = {.host = ld->host};
        char *v = expand(ld, &ex, sec, e);
        for (char *save = NULL, *p = v ? strtok_r(v, ",", &save) : NULL; p && !ld->failed;
             p = strtok_r(NULL, ",", &save)) {
            char *b = (char *)skip_blanks(p);
            size_t len = strlen(b);
            while (len && isspace((unsigned char)b[len - 1]))
                b[--len] = '\0';
            bool found = false;
            for (size_t j = 0; j < ld->nsecs && !found; j++) {
                const section *ps = &ld->secs[j];
                if (ps->kind != SEC_PROGRAM && strncmp(ps->header, "fcgi-program:", 13) != 0)
                    continue;
                char *pname = program_name_of(ps);
                found = pname && strcmp(pname, b) == 0;
                free(pname);
            }
            if (!found)
                fail_value(ld, sec, e, e->value, "no [program:%s]", b);
        }
        free(v);
    }
}

/* Builds the program of `sec`: once for each group that lists it, or once
 * under its own name if none does (supervisord's homogeneous group). */
static void build_programs_of(loader *ld, const section *sec, pm_config *cfg)
{
    char *name = program_name_of(sec);
    if (!name) {
        fail_oom(ld);
        return;
    }
    bool grouped = false;
    const entry *at;
    for (size_t from = 0; !ld->failed; from++) {
        const section *g = group_of(ld, name, &from, &at);
        if (!g)
            break;
        grouped = true;
        char *gname = program_name_of(g);
        group_info info = {.name = gname};
        long long prio;
        if (!gname) {
            fail_oom(ld);
        } else if (find_entry(g, "priority") &&
                   section_integer(ld, &(expansions){.host = ld->host}, g, "priority", INT_MIN,
                                   "expected a whole number", &prio)) {
            info.has_priority = true;
            info.priority = (int)prio;
        }
        if (!ld->failed)
            build_program(ld, sec, cfg, &info);
        free(gname);
    }
    if (!grouped && !ld->failed)
        build_program(ld, sec, cfg, &(group_info){0});
    free(name);
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
    for (size_t i = 0; i < ld->nsources; i++) {
        free(ld->sources[i]->path);
        free(ld->sources[i]->here);
        free(ld->sources[i]);
    }
    free(ld->sources);
}

static void config_init(pm_config *cfg)
{
    *cfg = (pm_config){.log_format = -1, .log_maxbytes = -1, .log_backups = -1, .umask = -1,
                       .minfds = -1, .minprocs = -1};
    pm_options_init(&cfg->opts);
}

int pm_config_load(const char *path, pm_config *cfg, char *err, size_t errlen)
{
    return pm_config_load_in(path, NULL, cfg, err, errlen);
}

int pm_config_load_in(const char *path, const char *base, pm_config *cfg, char *err, size_t errlen)
{
    config_init(cfg);
    if (errlen)
        err[0] = '\0';
    relative_base = base;
    char *full = NULL;
    if (base && !(full = absolute_path(path))) {
        snprintf(err, errlen, "%s: out of memory", path);
        relative_base = NULL;
        return -1;
    }
    if (full)
        path = full;
    loader ld = {.path = path, .last = -1, .err = err, .errlen = errlen};
    struct utsname un;
    if (uname(&un) == 0)
        snprintf(ld.host, sizeof ld.host, "%s", un.nodename);
    read_source(&ld, path, NULL, 0);
    const section *inc = find_section(&ld, SEC_INCLUDE);
    if (!ld.failed && inc && !find_entry(inc, "files"))
        fail_at(&ld, inc->file, inc->line, "[include] has no files");
    /* [supervisord] first: its environment is seen by every other section;
     * then [procmon], which wins where both set something. */
    const section *sd = find_section(&ld, SEC_SUPERVISORD), *pm = find_section(&ld, SEC_PROCMON);
    if (sd && !ld.failed)
        apply_supervisord(&ld, sd, cfg);
    if (pm && !ld.failed)
        apply_procmon(&ld, pm, cfg);
    if (!ld.failed && !(cfg->auto_dir = auto_folder(cfg)))
        fail_oom(&ld);
    if (!ld.failed)
        check_groups(&ld);
    for (size_t i = 0; i < ld.nsecs && !ld.failed; i++)
        if (ld.secs[i].kind == SEC_PROGRAM)
            build_programs_of(&ld, &ld.secs[i], cfg);
    if (!ld.failed) {
        cfg->warnings = ld.warnings;
        cfg->nwarnings = ld.nwarnings;
        ld.warnings = NULL;
        ld.nwarnings = 0;
    }
    loader_free(&ld);
    free(full);
    relative_base = NULL;
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
    free(cfg->auto_dir);
    pm_strv_free(cfg->environment);
    free(cfg->pidfile);
    free(cfg->directory);
    free(cfg->user);
    free(cfg->identifier);
    config_init(cfg);
}
