/* The sections and keys there are, and what their values mean: the names
 * the first pass checks, the setter of each [program:x] key, and
 * [supervisord]'s and [procmon]'s settings. */
#include "config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "envlist.h"
#include "parse.h"
#include "health.h"
#include "readiness.h"
#include "shellwords.h"
#include "spec.h"

/* ---- Sections and keys ---- */

/* [supervisord]'s keys that procmon honours (see apply_supervisord). */
static const char *const supervisord_keys[] = {
    "logfile", "logfile_maxbytes", "logfile_backups", "childlogdir", "environment", "umask",
    "minfds", "minprocs", "pidfile", "directory", "user", "identifier", "nodaemon", "nocleanup",
    "loglevel", NULL,
};

/* [supervisord]'s keys that it knows and procmon does not act on. */
static const char *const unsupported_supervisord_keys[] = {
    "silent", "strip_ansi", NULL,
};

static const char *const procmon_keys[] = {
    "socket", "log_format", "log_file", "threshold", "kill_time", "min_restart_delay",
    "max_restart_delay", "childlogdir", "logfile_maxbytes", "logfile_backups", "log_level", NULL,
};

static const char *const program_keys[] = {
    "command", "directory", "user", "group", "umask", "environment", "clear_environment",
    "autostart", "autorestart", "exitcodes", "startsecs", "startretries", "min_restart_delay",
    "max_restart_delay", "stopsignal", "stopwaitsecs", "stopasgroup", "killasgroup", "numprocs",
    "numprocs_start", "process_name", "priority", "stdout_logfile", "stderr_logfile",
    "redirect_stderr", "stdout_logfile_maxbytes", "stderr_logfile_maxbytes",
    "stdout_logfile_backups", "stderr_logfile_backups", "ready", "ready_interval", "ready_timeout",
    "depends_on", "bind_to", "healthcheck", "healthcheck_interval", "healthcheck_timeout",
    "healthcheck_retries", "healthcheck_start_period", "serverurl", "stdout_events_enabled",
    "stderr_events_enabled", NULL,
};

/* supervisord's program keys that procmon does not implement yet. */
static const char *const unsupported_program_keys[] = {
    "stdout_capture_maxbytes", "stdout_syslog",
    "stderr_capture_maxbytes", "stderr_syslog", NULL,
};

/* supervisord's sections that procmon accepts and ignores, with a warning. */
static const char *const ignored_section_prefixes[] = {
    "rpcinterface:", "fcgi-program:", "ctlplugin:", NULL,
};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

sec_kind pm_cfg_section_kind(const char *header, bool *known)
{
    *known = true;
    if (strcmp(header, "procmon") == 0)
        return SEC_PROCMON;
    if (strncmp(header, "program:", 8) == 0)
        return SEC_PROGRAM;
    if (strncmp(header, "eventlistener:", 14) == 0)
        return SEC_LISTENER;
    if (strcmp(header, "supervisord") == 0)
        return SEC_SUPERVISORD;
    if (strcmp(header, "include") == 0)
        return SEC_INCLUDE;
    if (strncmp(header, "group:", 6) == 0)
        return SEC_GROUP;
    if (strcmp(header, "unix_http_server") == 0)
        return SEC_UNIX_HTTP;
    if (strcmp(header, "inet_http_server") == 0)
        return SEC_INET_HTTP;
    /* supervisorctl's own; the XML-RPC interface, which procmon serves
     * whenever an HTTP listener is set */
    if (strcmp(header, "supervisorctl") == 0 || strcmp(header, "rpcinterface:supervisor") == 0)
        return SEC_CLIENTS;
    for (const char *const *p = ignored_section_prefixes; *p; p++)
        if (strncmp(header, *p, strlen(*p)) == 0)
            return SEC_IGNORED;
    *known = false;
    return SEC_IGNORED;
}

/* Whether supervisord knows `key` in the ignored section `header`: a typo
 * there is an error too, though the section is not acted on. */
static bool ignored_key_known(const char *header, const char *key)
{
    static const char *const ctl_keys[] = {"serverurl", "username", "password", "prompt", "history_file", NULL};
    static const char *const fcgi_keys[] = {"socket", "socket_backlog", "socket_owner", "socket_mode", NULL};
    static const char *const not_in_procmon[] = {"group", "clear_environment", "min_restart_delay",
                                                 "max_restart_delay", NULL};
    if (strcmp(header, "supervisorctl") == 0)
        return in_list(ctl_keys, key);
    if (strncmp(header, "fcgi-program:", 13) == 0)
        return in_list(fcgi_keys, key) ||
               ((in_list(program_keys, key) || in_list(unsupported_program_keys, key)) &&
                !in_list(not_in_procmon, key));
    return true; /* [rpcinterface:x], [ctlplugin:x]: keys for a plugin to read */
}

key_use pm_cfg_key_use(const section *sec, const char *key)
{
    static const char *const include_keys[] = {"files", NULL};
    static const char *const group_keys[] = {"programs", "priority", NULL};
    static const char *const unix_keys[] = {"file", "chmod", "chown", "username", "password", NULL};
    static const char *const inet_keys[] = {"port", "username", "password", NULL};
    static const char *const listener_keys[] = {"events", "buffer_size", "result_handler", NULL};
    bool program_like = sec->kind == SEC_PROGRAM || sec->kind == SEC_LISTENER;
    if ((sec->kind == SEC_PROCMON && in_list(procmon_keys, key)) ||
        (program_like && in_list(program_keys, key)) ||
        (sec->kind == SEC_LISTENER && in_list(listener_keys, key)) ||
        (sec->kind == SEC_SUPERVISORD && in_list(supervisord_keys, key)) ||
        (sec->kind == SEC_INCLUDE && in_list(include_keys, key)) ||
        (sec->kind == SEC_GROUP && in_list(group_keys, key)) ||
        (sec->kind == SEC_UNIX_HTTP && in_list(unix_keys, key)) ||
        (sec->kind == SEC_INET_HTTP && in_list(inet_keys, key)))
        return KEY_USED;
    if ((program_like && in_list(unsupported_program_keys, key)) ||
        (sec->kind == SEC_SUPERVISORD && in_list(unsupported_supervisord_keys, key)))
        return KEY_UNSUPPORTED;
    if ((sec->kind == SEC_IGNORED || sec->kind == SEC_CLIENTS) && ignored_key_known(sec->header, key))
        return KEY_IGNORED;
    return KEY_UNKNOWN;
}

/* ---- Values ---- */

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
    char *dir = strndup(v, (size_t)(slash - v)), *full = dir ? pm_cfg_absolute_path(dir) : NULL;
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
    char *full = pm_cfg_absolute_path(v);
    if (!full)
        return errno == ENOMEM ? oom_reason : "cannot find procmon's current folder";
    bool ok = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
    free(full);
    return ok ? NULL : "not an existing folder";
}

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
BOOL_SETTER(set_stdout_events, b->stdout_events)
BOOL_SETTER(set_stderr_events, b->stderr_events)
BOOL_SETTER(set_autostart, b->spec.autostart)
BOOL_SETTER(set_stopasgroup, b->stopasgroup)
BOOL_SETTER(set_killasgroup, b->killasgroup)
BOOL_SETTER(set_bind_to, b->spec.bind_to)

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
SECONDS_SETTER(set_ready_timeout, b->spec.ready_timeout)
SECONDS_SETTER(set_health_start_period, b->spec.health_start_period)

#define POSITIVE_SECONDS_SETTER(fn, field)                                           \
    static const char *fn(progbuild *b, const char *v, char *why, size_t whylen)     \
    {                                                                                \
        (void)why, (void)whylen;                                                     \
        if (!pm_parse_seconds(v, &field) || field < 0.01)                            \
            return "expected seconds, 0.01 or more";                                 \
        return NULL;                                                                 \
    }
POSITIVE_SECONDS_SETTER(set_ready_interval, b->spec.ready_interval)
POSITIVE_SECONDS_SETTER(set_health_interval, b->spec.health_interval)
POSITIVE_SECONDS_SETTER(set_health_timeout, b->spec.health_timeout)

static const char *set_health_retries(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    return parse_int(v, 1, INT_MAX, &b->spec.health_retries) ? NULL : "expected a whole number, 1 or more";
}

/* exec:COMMAND, tcp:HOST:PORT, unix:PATH, http://... */
static const char *set_healthcheck(progbuild *b, const char *v, char *why, size_t whylen)
{
    static const struct {
        const char *prefix;
        size_t skip; /* http's prefix is part of its URL */
        pm_health_kind kind;
    } kinds[] = {
        {"exec:", 5, PM_HEALTH_EXEC}, {"tcp:", 4, PM_HEALTH_TCP},
        {"unix:", 5, PM_HEALTH_UNIX}, {"http://", 0, PM_HEALTH_HTTP},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        if (strncmp(v, kinds[i].prefix, strlen(kinds[i].prefix)) != 0)
            continue;
        pm_spec spec = b->spec;
        spec.health = kinds[i].kind;
        spec.health_target = (char *)v + kinds[i].skip;
        spec.health_retries = 1; /* checked on its own */
        if (pm_health_check_spec(&spec, why, whylen) < 0)
            return why;
        char *target = strdup(spec.health_target);
        if (!target)
            return "out of memory";
        free(b->spec.health_target);
        b->spec.health = spec.health;
        b->spec.health_target = target;
        return NULL;
    }
    return "expected exec:COMMAND, tcp:HOST:PORT, unix:PATH or http://URL";
}


/* One item of depends_on: NAME, or NAME:CONDITION (a group member's name
 * has a colon of its own: only a known condition after the last one
 * counts as one). */
static const char *dependency_parse(const char *item, size_t n, pm_dependency *d)
{
    static const struct {
        const char *name;
        pm_dep_condition condition;
    } conditions[] = {{"ready", PM_DEP_READY}, {"started", PM_DEP_STARTED}, {"completed", PM_DEP_COMPLETED}};
    d->condition = PM_DEP_READY;
    const char *colon = memrchr(item, ':', n);
    for (size_t i = 0; colon && i < sizeof conditions / sizeof *conditions; i++) {
        size_t clen = strlen(conditions[i].name);
        if ((size_t)(item + n - colon - 1) == clen && memcmp(colon + 1, conditions[i].name, clen) == 0) {
            d->condition = conditions[i].condition;
            n = (size_t)(colon - item);
            break;
        }
    }
    if (n == 0)
        return "expected program names, each maybe with :ready, :started or :completed, separated by commas";
    return (d->name = strndup(item, n)) ? NULL : "out of memory";
}

/* depends_on = db, migrate:completed, cache:started */
static const char *set_depends_on(progbuild *b, const char *v, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    pm_dependency *deps = NULL;
    size_t n = 0;
    const char *err = NULL;
    for (const char *p = pm_cfg_skip_blanks(v); *p && !err; p = pm_cfg_skip_blanks(p)) {
        size_t len = strcspn(p, ",");
        size_t item = len;
        while (item && isspace((unsigned char)p[item - 1]))
            item--;
        pm_dependency *more = realloc(deps, (n + 1) * sizeof *deps);
        if (!more) {
            err = "out of memory";
            break;
        }
        deps = more;
        if (!(err = dependency_parse(p, item, &deps[n])))
            n++;
        p += len + (p[len] == ',');
    }
    for (size_t i = 0; err && i < n; i++)
        free(deps[i].name);
    if (err) {
        free(deps);
        return err;
    }
    pm_spec old = {.depends_on = b->spec.depends_on, .ndepends_on = b->spec.ndepends_on};
    pm_spec_free(&old); /* a repeated key: the later wins */
    b->spec.depends_on = deps;
    b->spec.ndepends_on = n;
    return NULL;
}

/* spawn, notify, fd:N, tcp:HOST:PORT, unix:PATH, exec:COMMAND, log:REGEX */
static const char *set_ready(progbuild *b, const char *v, char *why, size_t whylen)
{
    static const struct {
        const char *prefix;
        pm_ready_kind kind;
    } kinds[] = {
        {"spawn", PM_READY_SPAWN}, {"notify", PM_READY_NOTIFY}, {"fd:", PM_READY_FD},
        {"tcp:", PM_READY_TCP},    {"unix:", PM_READY_UNIX},    {"exec:", PM_READY_EXEC},
        {"log:", PM_READY_LOG},
    };
    const char *expected = "expected spawn, notify, fd:N, tcp:HOST:PORT, unix:PATH, exec:COMMAND or log:REGEX";
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        size_t n = strlen(kinds[i].prefix);
        bool with_arg = kinds[i].prefix[n - 1] == ':';
        if (with_arg ? strncmp(v, kinds[i].prefix, n) != 0 : strcmp(v, kinds[i].prefix) != 0)
            continue;
        pm_spec spec = b->spec;
        spec.ready = kinds[i].kind;
        spec.ready_target = NULL;
        spec.ready_fd = -1;
        if (kinds[i].kind == PM_READY_FD) {
            if (!parse_int(v + n, INT_MIN, INT_MAX, &spec.ready_fd))
                return "expected fd:N with N a descriptor from 3 to 1023";
        } else if (with_arg) {
            spec.ready_target = (char *)(v + n);
        }
        if (pm_readiness_check_spec(&spec, why, whylen) < 0)
            return why;
        char *target = spec.ready_target ? strdup(spec.ready_target) : NULL;
        if (spec.ready_target && !target)
            return "out of memory";
        free(b->spec.ready_target);
        b->spec.ready = spec.ready;
        b->spec.ready_fd = spec.ready_fd;
        b->spec.ready_target = target;
        return NULL;
    }
    return expected;
}

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
    const char *p = pm_cfg_skip_blanks(v);
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
        if (*p == ',' && !*pm_cfg_skip_blanks(p + 1))
            return "expected exit codes from 0 to 255, separated by commas";
        p = pm_cfg_skip_blanks(p + (*p == ','));
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
        if (!(path = pm_cfg_absolute_path(v)))
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
    return pm_cfg_absolute_path(dir ? dir : "/tmp");
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

bool pm_cfg_take_outputs(const pm_config *cfg, pm_program *p, progbuild *b)
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

void pm_cfg_progbuild_init(progbuild *b)
{
    const pm_output log_default = {.kind = PM_OUT_LOG, .fd = -1,
                                   .maxbytes = OUTPUT_DEFAULT_MAXBYTES,
                                   .backups = OUTPUT_DEFAULT_BACKUPS};
    *b = (progbuild){.stopasgroup = -1, .killasgroup = -1, .out = log_default, .err = log_default};
    pm_spec_init(&b->spec);
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
    {"stderr_logfile_backups", set_stderr_backups}, {"ready", set_ready},
    {"ready_interval", set_ready_interval}, {"ready_timeout", set_ready_timeout},
    {"depends_on", set_depends_on}, {"bind_to", set_bind_to}, {"healthcheck", set_healthcheck},
    {"healthcheck_interval", set_health_interval}, {"healthcheck_timeout", set_health_timeout},
    {"healthcheck_retries", set_health_retries},
    {"healthcheck_start_period", set_health_start_period},
    {"stdout_events_enabled", set_stdout_events}, {"stderr_events_enabled", set_stderr_events},
};

static program_setter setter_for(const char *key)
{
    for (size_t i = 0; i < sizeof program_setters / sizeof *program_setters; i++)
        if (strcmp(program_setters[i].key, key) == 0)
            return program_setters[i].set;
    return NULL;
}

bool pm_cfg_section_integer(loader *ld, const expansions *ex, const section *sec, const char *key,
                            long long min, const char *expected, long long *out)
{
    const entry *e = pm_cfg_find_entry(sec, key);
    if (!e)
        return true;
    char *v = pm_cfg_expand(ld, ex, sec, e);
    if (!v)
        return false;
    if (!parse_integer(v, min, INT_MAX, out))
        pm_cfg_fail_value(ld, sec, e, v, "%s", expected);
    free(v);
    return !ld->failed;
}

bool pm_cfg_apply_keys(loader *ld, const expansions *ex, const section *sec, progbuild *b)
{
    for (size_t i = 0; i < sec->nentries && !ld->failed; i++) {
        const entry *e = &sec->entries[i];
        program_setter set = setter_for(e->key);
        if (!set || set == set_environment) /* see build_program */
            continue;
        char *v = pm_cfg_expand(ld, ex, sec, e);
        if (!v)
            break;
        char why[256];
        const char *reason = set(b, v, why, sizeof why);
        if (reason == oom_reason)
            pm_cfg_fail_oom(ld);
        else if (reason)
            pm_cfg_fail_value(ld, sec, e, v, "%s", reason);
        free(v);
    }
    const entry *min = pm_cfg_find_entry(sec, "min_restart_delay");
    const entry *max = pm_cfg_find_entry(sec, "max_restart_delay");
    if (!ld->failed && min && max && b->spec.min_restart_delay > b->spec.max_restart_delay)
        pm_cfg_fail_value(ld, sec, max, max->value, "less than min_restart_delay");
    /* killasgroup defaults to stopasgroup, which defaults to true (procmon's
     * default, where supervisord's is false); either one signals the group. */
    bool stop = b->stopasgroup < 0 ? true : b->stopasgroup;
    bool kill = b->killasgroup < 0 ? stop : b->killasgroup;
    b->spec.signal_group = stop || kill;
    return !ld->failed;
}

/* ---- [supervisord] and [procmon] ---- */

/* [supervisord], for what procmon does with it: run.c applies umask, the
 * limits, pidfile, directory and user at start-up. */
/* supervisord's levels: debug, trace and blather show procmon's debug
 * lines; the others are info (procmon's supervisor lines are all events
 * an operator wants).  NULL, or why v is not one. */
static const char *parse_supervisord_loglevel(const char *v, int *debug)
{
    static const char *const levels[] = {"critical", "error", "warn", "info", "debug", "trace", "blather"};
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
        if (strcasecmp(v, levels[i]) == 0) {
            *debug = i >= 4;
            return NULL;
        }
    }
    return "expected critical, error, warn, info, debug, trace or blather";
}

static void apply_supervisord(loader *ld, const section *sec, pm_config *cfg)
{
    expansions ex = {.host = ld->host};
    /* environment first: the other keys' %(ENV_X)s see it, as in supervisord */
    const entry *env = pm_cfg_find_entry(sec, "environment");
    if (env) {
        /* supervisord 4.2 expands this value twice (its getdefault, then
         * expand() again), so "%%%%" is one '%' there: do the same, so
         * that a file written for it means the same here. */
        char *once = pm_cfg_expand(ld, &ex, sec, env), *v = NULL, why[256];
        if (once) {
            entry again = *env;
            again.value = once;
            v = pm_cfg_expand(ld, &ex, sec, &again);
            free(once);
        }
        int r = v ? pm_envlist_parse(v, &cfg->environment, why, sizeof why) : 0;
        if (r == -ENOMEM)
            pm_cfg_fail_oom(ld);
        else if (r < 0)
            pm_cfg_fail_value(ld, sec, env, v, "%s", why);
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
        char *v = pm_cfg_expand(ld, &ex, sec, e), why[PATH_MAX + 64];
        if (!v)
            return;
        const char *k = e->key, *reason = NULL;
        char **field = NULL;
        bool flag;
        long long n;
        if (strcmp(k, "loglevel") == 0) {
            reason = parse_supervisord_loglevel(v, &cfg->log_debug);
        } else if (strcmp(k, "nodaemon") == 0) { /* procmon always runs in the foreground */
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
            if (!(*field = field == &cfg->childlogdir ? pm_cfg_absolute_path(v) : strdup(v)))
                reason = oom_reason;
        }
        if (reason == oom_reason)
            pm_cfg_fail_oom(ld);
        else if (reason)
            pm_cfg_fail_value(ld, sec, e, v, "%s", reason);
        free(v);
    }
}

static void apply_procmon(loader *ld, const section *sec, pm_config *cfg)
{
    expansions ex = {.host = ld->host, .global_env = cfg->environment};
    for (size_t i = 0; i < sec->nentries && !ld->failed; i++) {
        const entry *e = &sec->entries[i];
        char *v = pm_cfg_expand(ld, &ex, sec, e);
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
        } else if (strcmp(e->key, "log_level") == 0) {
            if (strcasecmp(v, "info") == 0 || strcasecmp(v, "debug") == 0)
                cfg->log_debug = strcasecmp(v, "debug") == 0;
            else
                reason = "expected info or debug";
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
            if (!(reason = check_directory(v)) && !(cfg->childlogdir = pm_cfg_absolute_path(v)))
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
            pm_cfg_fail_oom(ld);
        else if (reason)
            pm_cfg_fail_value(ld, sec, e, v, "%s", reason);
        free(v);
    }
}

void pm_cfg_apply_settings(loader *ld, pm_config *cfg)
{
    /* [supervisord] first: its environment is seen by every other section;
     * then [procmon], which wins where both set something. */
    const section *sd = pm_cfg_find_section(ld, SEC_SUPERVISORD), *pm = pm_cfg_find_section(ld, SEC_PROCMON);
    if (sd && !ld->failed)
        apply_supervisord(ld, sd, cfg);
    if (pm && !ld->failed)
        apply_procmon(ld, pm, cfg);
    if (!ld->failed)
        pm_cfg_apply_http(ld, cfg);
    if (!ld->failed && !(cfg->auto_dir = auto_folder(cfg)))
        pm_cfg_fail_oom(ld);
}
