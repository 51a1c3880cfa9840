/* The first pass: reads the file with inih, checks every section and key
 * name and keeps each section's values as text, then reads the files that
 * its [include] names (config.c has the whole picture).
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
#include "config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian's build passes the line number as a fifth argument: declare the
 * handler the way the library calls it.  We count lines ourselves anyway. */
#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "parse.h"

#define MAX_LINE 65536 /* characters in one line, its newline included */

/* ---- Warnings ---- */

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
        pm_cfg_fail_oom(ld);
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

/* ---- The reader and the handler that inih calls ---- */

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

static void begin_section(loader *ld, const char *name, size_t len)
{
    char *header = strndup(name, len);
    if (!header) {
        pm_cfg_fail_oom(ld);
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
    sec_kind kind = pm_cfg_section_kind(header, &known);
    if (!known) {
        pm_cfg_fail(ld, ld->lineno, "unknown section [%s]", header);
        free(header);
        return;
    }
    if (kind == SEC_PROGRAM || kind == SEC_LISTENER || kind == SEC_GROUP) {
        section probe = {.header = header};
        char *pname = pm_cfg_program_name(&probe);
        const char *why = pname ? pm_name_problem(pname) : NULL;
        const char *what = kind == SEC_GROUP ? "group" : "program";
        if (!pname)
            pm_cfg_fail_oom(ld);
        else if (why && !*pname)
            pm_cfg_fail(ld, ld->lineno, "empty %s name in [%s]", what, header);
        else if (why)
            pm_cfg_fail(ld, ld->lineno, "bad %s name '%s' in [%s]: %s", what, pname, header, why);
        free(pname);
        if (ld->failed) {
            free(header);
            return;
        }
    }
    section *secs = realloc(ld->secs, (ld->nsecs + 1) * sizeof *secs);
    if (!secs) {
        free(header);
        pm_cfg_fail_oom(ld);
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
    const char *start = pm_cfg_skip_blanks(line_text(ld));
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
            pm_cfg_fail(ld, 0, "cannot read: %s", strerror(errno ? errno : EIO));
        return NULL;
    }
    ld->lineno++;
    if (memchr(ld->raw, '\0', (size_t)n)) {
        pm_cfg_fail(ld, ld->lineno, "the line holds a NUL byte");
        return NULL;
    }
    if (num < 2 || n > num - 2) {
        pm_cfg_fail(ld, ld->lineno, "line longer than %d characters", num - 2);
        return NULL;
    }
    memcpy(str, ld->raw, (size_t)n + 1);
    classify_line(ld);
    return ld->failed ? NULL : str;
}

/* The key as written on the current line: up to the first '=' or ':'. */
static char *written_key(const loader *ld)
{
    const char *start = pm_cfg_skip_blanks(line_text(ld));
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
        pm_cfg_fail_oom(ld);
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
            pm_cfg_fail_oom(ld);
        return !ld->failed;
    }
    char *written = written_key(ld);
    char *key = written ? strdup(written) : NULL;
    if (!key) {
        free(written);
        pm_cfg_fail_oom(ld);
        return 0;
    }
    for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    ld->last = -1;
    if (!ld->cur) {
        pm_cfg_fail(ld, ld->lineno, "'%s' is outside any section", written);
        free(key);
        free(written);
        return 0;
    }
    section *sec = &ld->secs[ld->cur - 1];
    key_use use = pm_cfg_key_use(sec, key);
    if (use == KEY_USED) {
        char *own = line_value(ld, false); /* inih's value, cut as configparser cuts it */
        if (own)
            store(ld, sec, key, written, own); /* takes key and written */
        else if (errno == ENOMEM)
            pm_cfg_fail_oom(ld);
        else
            pm_cfg_fail(ld, ld->lineno, "expected 'key = value', '[section]' or a comment");
        if (!own) {
            free(key);
            free(written);
        }
        free(own);
        return !ld->failed;
    }
    if (use == KEY_UNSUPPORTED) {
        if (!already_warned(sec, key))
            warn(ld, ld->lineno, "%s in [%s] is not supported by procmon; ignored", written,
                 sec->header);
    } else if (use == KEY_UNKNOWN) {
        pm_cfg_fail(ld, ld->lineno, "unknown key '%s' in [%s]", written, sec->header);
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
        pm_cfg_fail_oom(ld);
        return;
    }
    /* inih stopped at line r, the last one read. */
    const char *start = r == ld->lineno ? pm_cfg_skip_blanks(line_text(ld)) : "";
    if (*start == '[')
        pm_cfg_fail(ld, r, "no ']' at the end of the section header");
    else
        pm_cfg_fail(ld, r, "expected 'key = value', '[section]' or a comment");
}

/* ---- Includes ---- */

static void read_source(loader *ld, const char *path, const char *from_file, int from_line);

/* Reads the files that `files =` names, if the file just read (src) set it:
 * supervisord reads the main file whole, then each match of each glob
 * (whitespace-separated, relative to the including file's folder), sorted. */
static void read_includes(loader *ld, const source *src)
{
    section *sec = pm_cfg_find_section(ld, SEC_INCLUDE);
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
    char *value = pm_cfg_expand(ld, &ex, sec, e);
    for (char *save = NULL, *pattern = value ? strtok_r(value, " \t\r\n\f\v", &save) : NULL;
         pattern && !ld->failed; pattern = strtok_r(NULL, " \t\r\n\f\v", &save)) {
        char *full = NULL;
        if (pattern[0] == '/' ? !(full = strdup(pattern)) : asprintf(&full, "%s/%s", src->here, pattern) < 0) {
            pm_cfg_fail_oom(ld);
            break;
        }
        glob_t g;
        /* Like Python's glob, an unreadable folder is no match. */
        int r = glob(full, 0, NULL, &g);
        if (r == GLOB_NOMATCH)
            warn_at(ld, file, line, "[include] files: no file matches '%s'", full);
        else if (r == GLOB_NOSPACE)
            pm_cfg_fail_oom(ld);
        else if (r != 0)
            pm_cfg_fail_at(ld, file, line, "[include] files: cannot read the folders of '%s': %s", full,
                           strerror(errno ? errno : EIO));
        for (size_t i = 0; r == 0 && i < g.gl_pathc && !ld->failed; i++) /* glob sorts them */
            read_source(ld, g.gl_pathv[i], file, line);
        if (r == 0 || r == GLOB_NOMATCH)
            globfree(&g);
        free(full);
    }
    free(value);
}

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
        pm_cfg_fail_oom(ld);
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
            pm_cfg_fail_at(ld, from_file, from_line, "[include] files: cannot read %s: %s", path,
                           strerror(error));
        else
            pm_cfg_fail_at(ld, path, 0, "cannot read: %s", strerror(error));
        if (fp)
            fclose(fp);
        return;
    }
    src->dev = st.st_dev;
    src->ino = st.st_ino;
    for (size_t i = 0; i + 1 < ld->nsources; i++) {
        if (ld->sources[i]->reading && ld->sources[i]->dev == st.st_dev && ld->sources[i]->ino == st.st_ino) {
            pm_cfg_fail_at(ld, from_file, from_line,
                           "[include] files: %s is already being read: an include cycle", path);
            fclose(fp);
            return;
        }
    }
    if (!(src->here = folder_of(path))) {
        pm_cfg_fail_at(ld, path, 0, "cannot find its folder: %s", strerror(errno ? errno : ENOMEM));
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

void pm_cfg_read_files(loader *ld, const char *path)
{
    read_source(ld, path, NULL, 0);
    const section *inc = pm_cfg_find_section(ld, SEC_INCLUDE);
    if (!ld->failed && inc && !pm_cfg_find_entry(inc, "files"))
        pm_cfg_fail_at(ld, inc->file, inc->line, "[include] has no files");
}
