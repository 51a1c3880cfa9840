/* The control commands: a blocking client of the control socket.
 *
 * Each command parses its arguments (a mistake is exit 2 before anything is
 * sent), finds the socket (sockpath.h), connects, sends one request line and
 * reads the answer line(s) of doc/protocol.md. */
#include "cli.h"

#include "config.h"
#include "parse.h"
#include "sockpath.h"
#include "statusfmt.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum {
    EXIT_DONE = 0,
    EXIT_REFUSED = 1,
    EXIT_USAGE = 2,
    EXIT_NOT_RUNNING = 3,
    EXIT_NO_DAEMON = 4,
};

#define ANSWER_MAX (64u * 1024 * 1024) /* the longest answer line we accept */
#define BUF_INITIAL (64u * 1024)

/* ---- messages ---- */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("procmon: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "procmon: %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'procmon help %s')\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

/* ---- standard output ---- */

/* The first write error on stdout, 0 while there is none.  EPIPE (the
 * reader went away: `procmon tail -f web | head`) ends the command quietly. */
static int out_errno;

static bool out_write(const char *s, size_t len)
{
    if (out_errno)
        return false;
    if (fwrite(s, 1, len, stdout) != len || fputc('\n', stdout) == EOF) {
        out_errno = errno ? errno : EIO;
        return false;
    }
    return true;
}

static bool out_line(const char *s)
{
    return out_write(s, strlen(s));
}

static bool out_flush(void)
{
    if (out_errno)
        return false;
    if (fflush(stdout) == EOF) {
        out_errno = errno ? errno : EIO;
        return false;
    }
    return true;
}

/* The command's exit status once its output is flushed: a write error
 * turns success into 1, after saying so (but not for EPIPE). */
static int finish(int status)
{
    out_flush();
    if (!out_errno || out_errno == EPIPE)
        return status;
    fail("cannot write to standard output: %s", strerror(out_errno));
    return status == EXIT_DONE ? EXIT_REFUSED : status;
}

/* ---- SIGINT while following ---- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ---- the connection ---- */

typedef struct conn {
    int fd;
    const char *path;
    char *buf;
    size_t start, len, cap; /* unread bytes are buf[start, len) */
    size_t scanned;         /* buf[start, scanned) holds no newline */
    bool eof;
    bool watch_sigint;      /* wait with SIGINT unblocked only inside ppoll */
    sigset_t wait_mask;
} conn;

enum { READ_LINE = 1, READ_EOF = 0, READ_INTERRUPTED = -1, READ_ERROR = -2 };

/* Connects to path: 0, or the exit status after saying why not. */
static int conn_open(conn *c, const char *path)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->path = path;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof addr.sun_path) {
        fail("socket path too long (at most %zu bytes): %s", sizeof addr.sun_path - 1, path);
        return EXIT_USAGE;
    }
    memcpy(addr.sun_path, path, n + 1);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fail("cannot create a socket: %s", strerror(errno));
        return EXIT_REFUSED;
    }
    int r;
    do
        r = connect(c->fd, (struct sockaddr *)&addr, sizeof addr);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return 0;
    int e = errno;
    close(c->fd);
    c->fd = -1;
    switch (e) {
    case ENOENT:
    case ECONNREFUSED:
    case ENOTDIR:
        fail("no procmon is running on %s (connect: %s)", path, strerror(e));
        return EXIT_NO_DAEMON;
    case EACCES:
    case EPERM:
        fail("permission denied: %s", path);
        return EXIT_REFUSED;
    default:
        fail("cannot connect to %s: %s", path, strerror(e));
        return EXIT_REFUSED;
    }
}

static void conn_close(conn *c)
{
    if (c->fd >= 0)
        close(c->fd); /* nothing left to lose on a read-only end */
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
}

/* Sends the request as one line: 0 (also when the daemon has closed the
 * connection: then reading tells what happened), or 1 after saying why not. */
static int conn_send(conn *c, const json_t *request)
{
    char *text = json_dumps(request, JSON_COMPACT);
    if (!text) {
        fail("out of memory");
        return EXIT_REFUSED;
    }
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (!line) {
        free(text);
        fail("out of memory");
        return EXIT_REFUSED;
    }
    line[len++] = '\n';
    line[len] = '\0';
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(line);
            /* The daemon may have answered and closed before reading (it
             * refuses a peer at once): its answer is still ours to read. */
            if (e == EPIPE || e == ECONNRESET)
                return 0;
            fail("cannot send to %s: %s", c->path, strerror(e));
            return EXIT_REFUSED;
        }
        off += (size_t)n;
    }
    free(line);
    return 0;
}

/* Reads more bytes into the buffer: READ_LINE when some arrived, READ_EOF,
 * READ_INTERRUPTED, or READ_ERROR after saying why. */
static int conn_fill(conn *c)
{
    if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->len - c->start);
        c->len -= c->start;
        c->scanned -= c->start;
        c->start = 0;
    }
    if (c->len == c->cap) {
        if (c->cap > ANSWER_MAX) {
            fail("an answer from %s is longer than %u MiB", c->path, ANSWER_MAX >> 20);
            return READ_ERROR;
        }
        size_t cap = c->cap ? c->cap * 2 : BUF_INITIAL;
        if (cap > ANSWER_MAX + 1)
            cap = ANSWER_MAX + 1;
        char *buf = realloc(c->buf, cap);
        if (!buf) {
            fail("out of memory reading an answer from %s", c->path);
            return READ_ERROR;
        }
        c->buf = buf;
        c->cap = cap;
    }
    for (;;) {
        if (c->watch_sigint) {
            if (interrupted)
                return READ_INTERRUPTED;
            struct pollfd p = {.fd = c->fd, .events = POLLIN};
            if (ppoll(&p, 1, NULL, &c->wait_mask) < 0) {
                if (errno == EINTR)
                    continue;
                fail("cannot wait for %s: %s", c->path, strerror(errno));
                return READ_ERROR;
            }
        }
        ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (n > 0) {
            c->len += (size_t)n;
            return READ_LINE;
        }
        if (n == 0)
            return READ_EOF;
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET)
            return READ_EOF;
        fail("cannot read from %s: %s", c->path, strerror(errno));
        return READ_ERROR;
    }
}

/* The next answer line, NUL-terminated without its newline, in *line (valid
 * until the next call).  A last line without a newline still counts. */
static int conn_read_line(conn *c, char **line, size_t *linelen)
{
    for (;;) {
        char *nl = c->buf ? memchr(c->buf + c->scanned, '\n', c->len - c->scanned) : NULL;
        if (nl) {
            *line = c->buf + c->start;
            *linelen = (size_t)(nl - *line);
            *nl = '\0';
            c->start = c->scanned = (size_t)(nl - c->buf) + 1;
            return READ_LINE;
        }
        c->scanned = c->len;
        if (c->eof) {
            if (c->start == c->len)
                return READ_EOF;
            if (c->len == c->cap) { /* room for the NUL */
                c->eof = false;
            } else {
                *line = c->buf + c->start;
                *linelen = c->len - c->start;
                c->buf[c->len] = '\0';
                c->start = c->scanned = c->len;
                return READ_LINE;
            }
        }
        int r = conn_fill(c);
        if (r == READ_EOF)
            c->eof = true;
        else if (r != READ_LINE)
            return r;
        else if (c->len - c->start > ANSWER_MAX) {
            fail("an answer from %s is longer than %u MiB", c->path, ANSWER_MAX >> 20);
            return READ_ERROR;
        }
    }
}

/* The next answer as JSON in *out (READ_LINE), or READ_EOF, READ_INTERRUPTED,
 * READ_ERROR (said). */
static int conn_read_json(conn *c, json_t **out)
{
    char *line;
    size_t len;
    int r = conn_read_line(c, &line, &len);
    if (r != READ_LINE)
        return r;
    json_error_t err;
    *out = json_loadb(line, len, JSON_ALLOW_NUL, &err);
    if (!*out || !json_is_object(*out)) {
        fail("unexpected answer from %s (not a JSON object: %s)", c->path,
             *out ? "another JSON value" : err.text);
        json_decref(*out);
        *out = NULL;
        return READ_ERROR;
    }
    return READ_LINE;
}

/* Reads the answer to a request: READ_LINE with *out an {"ok":true...}
 * object, or the exit status (>= 1) after saying why not. */
static int read_answer(conn *c, json_t **out)
{
    *out = NULL;
    json_t *ans;
    int r = conn_read_json(c, &ans);
    if (r == READ_EOF) {
        fail("%s closed the connection without answering", c->path);
        return EXIT_REFUSED;
    }
    if (r != READ_LINE)
        return EXIT_REFUSED;
    json_t *ok = json_object_get(ans, "ok");
    if (json_is_true(ok)) {
        *out = ans;
        return 0;
    }
    const char *text = json_string_value(json_object_get(ans, "error"));
    if (!json_is_false(ok))
        fail("unexpected answer from %s (no \"ok\")", c->path);
    else if (text && *text && !strchr(text, '\n'))
        fail("%s", text);
    else
        fail("the request was refused");
    json_decref(ans);
    return EXIT_REFUSED;
}

/* ---- the socket ---- */

static int find_socket(const pm_cli_globals *g, char *path, size_t len)
{
    /* -c FILE: its `socket =`, read by the daemon's own config loader (only
     * when -s and $PROCMON_SOCKET leave it a say). */
    pm_config cfg = {0};
    const char *env = getenv("PROCMON_SOCKET");
    if (g->config && !g->socket && !(env && *env)) {
        char err[512];
        if (pm_config_load(g->config, &cfg, err, sizeof err) < 0) {
            fail("%s", err);
            return EXIT_USAGE;
        }
    }
    int r = pm_socket_path(g->socket, cfg.socket, path, len);
    if (r == -ENAMETOOLONG) {
        const char *given = g->socket ? g->socket : env && *env ? env : cfg.socket;
        fail("the socket path is too long (at most %d bytes): %s", PM_SOCKET_PATH_MAX,
             given ? given : "$XDG_RUNTIME_DIR/procmon.sock");
    }
    pm_config_free(&cfg);
    if (r == -ENAMETOOLONG)
        return EXIT_USAGE;
    if (r < 0) {
        fail("--socket: the path is empty");
        return EXIT_USAGE;
    }
    char err[256];
    if (pm_socket_dir_check(path, err, sizeof err) < 0) {
        fail("%s", err);
        return EXIT_REFUSED;
    }
    return 0;
}

/* Connects, sends request, reads its answer into *answer: 0 or the exit
 * status.  The request is consumed. */
static int call(const pm_cli_globals *g, conn *c, json_t *request, json_t **answer)
{
    static char path[PM_SOCKET_PATH_MAX + 1];
    *answer = NULL;
    memset(c, 0, sizeof *c);
    c->fd = -1; /* conn_close() is safe whatever fails */
    int r = find_socket(g, path, sizeof path);
    if (!r)
        r = conn_open(c, path);
    if (!r)
        r = conn_send(c, request);
    json_decref(request);
    if (!r)
        r = read_answer(c, answer);
    return r;
}

/* ---- building requests ---- */

typedef struct request {
    json_t *obj;
    const char *cmd;
    int status; /* 0, or the exit status of a failure already reported */
} request;

static void req_init(request *rq, const char *cmd)
{
    rq->cmd = cmd;
    rq->status = 0;
    rq->obj = json_object();
    if (!rq->obj || json_object_set_new(rq->obj, "cmd", json_string(cmd)) < 0) {
        fail("out of memory");
        rq->status = EXIT_REFUSED;
    }
}

static json_t *req_string(request *rq, const char *what, const char *s)
{
    json_t *v = json_string(s);
    if (!v && rq->status == 0)
        rq->status = usage_error(rq->cmd, "%s is not valid UTF-8", what);
    return v;
}

static void req_set(request *rq, const char *key, json_t *value)
{
    if (rq->status) {
        json_decref(value);
        return;
    }
    if (!value || json_object_set_new(rq->obj, key, value) < 0) {
        fail("out of memory");
        rq->status = EXIT_REFUSED;
    }
}

static void req_set_string(request *rq, const char *key, const char *what, const char *s)
{
    if (s)
        req_set(rq, key, req_string(rq, what, s));
}

static json_t *req_array(request *rq, const char *what, char **items, int n)
{
    json_t *arr = json_array();
    if (!arr) {
        fail("out of memory");
        rq->status = EXIT_REFUSED;
        return NULL;
    }
    for (int i = 0; i < n && !rq->status; i++) {
        json_t *v = req_string(rq, what, items[i]);
        if (v && json_array_append_new(arr, v) < 0) {
            fail("out of memory");
            rq->status = EXIT_REFUSED;
        }
    }
    if (rq->status) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static void req_free(request *rq)
{
    json_decref(rq->obj);
    rq->obj = NULL;
}

/* ---- argument parsing shared by the commands ---- */

enum { OPT_JSON = 256, OPT_USER, OPT_GROUP, OPT_CWD, OPT_ENV, OPT_CLEAR_ENV };

static int print_help(const char *name);

/* The option that getopt stopped on, for messages. */
static const char *bad_option(char **argv, char *buf, size_t len)
{
    if (optopt > 0 && optopt < 256) {
        snprintf(buf, len, "-%c", optopt);
        return buf;
    }
    return argv[optind - 1];
}

/* For the commands whose only option is --help: true with *first the index
 * of the first operand, or false with *status the exit status to leave with
 * (after the help or a usage error). */
static bool parse_plain(int argc, char **argv, int *first, int *status)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    optind = 0;
    int opt;
    char buf[8];
    if ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        *status = opt == 'h' ? print_help(argv[0])
                             : usage_error(argv[0], "unknown option '%s'",
                                           bad_option(argv, buf, sizeof buf));
        return false;
    }
    *first = optind;
    return true;
}

/* NAME...|all as a "names" array: 0 or the exit status. */
static int set_names(request *rq, char **names, int n)
{
    if (n == 0)
        return usage_error(rq->cmd, "no process named");
    for (int i = 0; i < n; i++) {
        if (!*names[i])
            return usage_error(rq->cmd, "empty process name");
        if (n > 1 && strcmp(names[i], "all") == 0)
            return usage_error(rq->cmd, "'all' cannot be combined with names");
    }
    req_set(rq, "names", req_array(rq, "a process name", names, n));
    return rq->status;
}

/* Sends a request whose answer is a plain {"ok":true}. */
static int simple_call(const pm_cli_globals *g, request *rq)
{
    conn c;
    json_t *ans;
    json_t *obj = rq->obj;
    rq->obj = NULL;
    int r = call(g, &c, obj, &ans);
    json_decref(ans);
    conn_close(&c);
    return r;
}

/* ---- the commands ---- */

/* start, stop, restart, remove: NAME...|all, answered when the work is done. */
static int cmd_names(const pm_cli_globals *g, int argc, char **argv)
{
    int first, r;
    if (!parse_plain(argc, argv, &first, &r))
        return r;
    request rq;
    req_init(&rq, argv[0]);
    r = rq.status ? rq.status : set_names(&rq, argv + first, argc - first);
    if (!r)
        r = simple_call(g, &rq);
    req_free(&rq);
    return r;
}

static int cmd_signal(const pm_cli_globals *g, int argc, char **argv)
{
    /* `procmon signal -HUP web`, as kill(1) has it. */
    if (argc > 1 && argv[1][0] == '-' && argv[1][1] != '-' && pm_parse_signal(argv[1] + 1) > 0)
        argv[1]++;
    int first, r;
    if (!parse_plain(argc, argv, &first, &r))
        return r;
    if (first >= argc)
        return usage_error(argv[0], "no signal given");
    const char *sig = argv[first];
    if (pm_parse_signal(sig) <= 0)
        return usage_error(argv[0], "unknown signal '%s'", sig);
    request rq;
    req_init(&rq, argv[0]);
    req_set_string(&rq, "signal", "the signal", sig);
    r = rq.status ? rq.status : set_names(&rq, argv + first + 1, argc - first - 1);
    if (!r)
        r = simple_call(g, &rq);
    req_free(&rq);
    return r;
}

static int cmd_reload_shutdown(const pm_cli_globals *g, int argc, char **argv)
{
    int first, r;
    if (!parse_plain(argc, argv, &first, &r))
        return r;
    if (first < argc)
        return usage_error(argv[0], "unexpected argument '%s'", argv[first]);
    bool shutdown = strcmp(argv[0], "shutdown") == 0;
    request rq;
    req_init(&rq, argv[0]);
    if (rq.status)
        return rq.status;
    conn c;
    json_t *ans;
    json_t *obj = rq.obj;
    rq.obj = NULL;
    r = call(g, &c, obj, &ans);
    if (!r && shutdown) {
        /* The daemon closes the connection as it exits. */
        json_t *more;
        while ((r = conn_read_json(&c, &more)) == READ_LINE)
            json_decref(more);
        r = r == READ_EOF ? EXIT_DONE : EXIT_REFUSED;
    } else if (!r) {
        static const char *const kinds[] = {"added", "removed", "changed"};
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
            json_t *names = json_object_get(ans, kinds[k]);
            size_t i;
            json_t *name;
            json_array_foreach(names, i, name) {
                char *line;
                if (json_is_string(name) &&
                    asprintf(&line, "%s: %s", json_string_value(name), kinds[k]) >= 0) {
                    out_line(line);
                    free(line);
                }
            }
        }
        r = finish(EXIT_DONE);
    }
    json_decref(ans);
    conn_close(&c);
    return r;
}

/* The answer's "table" (doc/protocol.md): its lines as they are, exit 3
 * when "not_running" counts any. */
static int print_status_table(const json_t *table, const json_t *ans)
{
    size_t n = json_array_size(table);
    for (size_t i = 0; i < n; i++) {
        if (!json_is_string(json_array_get(table, i))) {
            fail("unexpected answer from the daemon (a table line that is not a string)");
            return EXIT_REFUSED;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *line = json_array_get(table, i);
        if (!out_write(json_string_value(line), json_string_length(line)))
            break;
    }
    json_int_t not_running = json_integer_value(json_object_get(ans, "not_running"));
    return not_running > 0 ? EXIT_NOT_RUNNING : EXIT_DONE;
}

/* The answer's "processes": formatted here for people (from a daemon that
 * does not know "format", or for --json). */
static int print_status_processes(const json_t *ans, bool as_json)
{
    json_t *procs = json_object_get(ans, "processes");
    size_t n = json_array_size(procs);
    pm_status_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!json_is_array(procs) || !rows) {
        fail(rows ? "unexpected answer from the daemon (no \"processes\" array)" : "out of memory");
        free(rows);
        return EXIT_REFUSED;
    }
    size_t name_width = 0, state_width = 0;
    bool all_running = true;
    for (size_t i = 0; i < n; i++) {
        if (pm_status_row_from_json(json_array_get(procs, i), &rows[i]) < 0) {
            fail("unexpected answer from the daemon (a process without name or state)");
            free(rows);
            return EXIT_REFUSED;
        }
        size_t w = pm_text_width(rows[i].name);
        name_width = w > name_width ? w : name_width;
        w = pm_text_width(rows[i].state);
        state_width = w > state_width ? w : state_width;
        if (strcmp(rows[i].state, "running") != 0)
            all_running = false;
    }
    int r = all_running ? EXIT_DONE : EXIT_NOT_RUNNING;
    if (as_json) {
        char *text = json_dumps(procs, JSON_COMPACT | JSON_REAL_PRECISION(15));
        if (!text) {
            fail("out of memory");
            r = EXIT_REFUSED;
        } else {
            out_line(text);
            free(text);
        }
    } else {
        for (size_t i = 0; i < n && r != EXIT_REFUSED; i++) {
            char *line = pm_format_status_line(&rows[i], name_width, state_width);
            if (!line) {
                fail("out of memory");
                r = EXIT_REFUSED;
                break;
            }
            bool ok = out_line(line);
            free(line);
            if (!ok)
                break;
        }
    }
    free(rows);
    return r;
}

static int cmd_status(const pm_cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool as_json = false;
    opterr = 0;
    optind = 0;
    int opt;
    char buf[8];
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == OPT_JSON) {
            as_json = true;
        } else if (opt == 'h') {
            return print_help(argv[0]);
        } else {
            return usage_error(argv[0], "unknown option '%s'", bad_option(argv, buf, sizeof buf));
        }
    }
    request rq;
    req_init(&rq, argv[0]);
    int r = rq.status;
    if (!r && optind < argc)
        r = set_names(&rq, argv + optind, argc - optind);
    /* The lines for people come formatted: decoding an object a process
     * was most of the command's time with many processes. */
    if (!r && !as_json)
        req_set(&rq, "format", json_string("table"));
    r = r ? r : rq.status;
    if (r) {
        req_free(&rq);
        return r;
    }
    conn c;
    json_t *ans;
    json_t *obj = rq.obj;
    rq.obj = NULL;
    r = call(g, &c, obj, &ans);
    conn_close(&c);
    if (r)
        return r;

    const json_t *table = json_object_get(ans, "table");
    r = !as_json && json_is_array(table) ? print_status_table(table, ans)
                                         : print_status_processes(ans, as_json);
    json_decref(ans);
    return finish(r);
}

/* Prints one L of the tail answer: its text, one line. */
static bool print_log_line(const json_t *l)
{
    const json_t *text = json_is_object(l) ? json_object_get(l, "line") : l;
    if (!json_is_string(text))
        return true;
    return out_write(json_string_value(text), json_string_length(text));
}

static int cmd_tail(const pm_cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"lines", required_argument, NULL, 'n'},
        {"follow", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long lines = 10;
    bool follow = false;
    opterr = 0;
    optind = 0;
    int opt;
    char buf[8];
    while ((opt = getopt_long(argc, argv, ":n:fh", opts, NULL)) != -1) {
        switch (opt) {
        case 'n': {
            char *end;
            errno = 0;
            lines = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || lines < 0 || lines > INT_MAX)
                return usage_error(argv[0], "-n: not a number of lines: '%s'", optarg);
            break;
        }
        case 'f': follow = true; break;
        case 'h':
            return print_help(argv[0]);
        case ':':
            return usage_error(argv[0], "%s: missing value", argv[optind - 1]);
        default:
            return usage_error(argv[0], "unknown option '%s'", bad_option(argv, buf, sizeof buf));
        }
    }
    if (optind >= argc)
        return usage_error(argv[0], "no process named");
    if (argc - optind > 1)
        return usage_error(argv[0], "one process at a time");
    if (!*argv[optind])
        return usage_error(argv[0], "empty process name");
    request rq;
    req_init(&rq, argv[0]);
    req_set_string(&rq, "name", "the process name", argv[optind]);
    req_set(&rq, "lines", json_integer(lines));
    req_set(&rq, "follow", json_boolean(follow));
    if (rq.status) {
        int r = rq.status;
        req_free(&rq);
        return r;
    }

    /* Following: SIGINT ends the command with 0.  It is blocked except while
     * waiting for the next line, so it cannot slip in between. */
    sigset_t block, old;
    if (follow) {
        struct sigaction sa = {.sa_handler = on_sigint};
        sigemptyset(&sa.sa_mask);
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        if (sigaction(SIGINT, &sa, NULL) < 0 || sigprocmask(SIG_BLOCK, &block, &old) < 0) {
            fail("cannot handle SIGINT: %s", strerror(errno));
            req_free(&rq);
            return EXIT_REFUSED;
        }
    }
    conn c;
    json_t *ans;
    json_t *obj = rq.obj;
    rq.obj = NULL;
    int r = call(g, &c, obj, &ans);
    if (r) {
        conn_close(&c);
        return r;
    }
    size_t i;
    json_t *l;
    bool ok = true;
    json_array_foreach(json_object_get(ans, "lines"), i, l) {
        if (!(ok = print_log_line(l)))
            break;
    }
    json_decref(ans);
    if (follow && ok && out_flush()) {
        c.watch_sigint = true;
        c.wait_mask = old;
        sigdelset(&c.wait_mask, SIGINT);
        for (;;) {
            json_t *msg;
            int rr = conn_read_json(&c, &msg);
            if (rr == READ_EOF || rr == READ_INTERRUPTED)
                break;
            if (rr != READ_LINE) {
                r = EXIT_REFUSED;
                break;
            }
            json_t *dropped = json_object_get(msg, "dropped");
            json_t *line = json_object_get(msg, "line");
            json_t *okv = json_object_get(msg, "ok");
            if (line) {
                ok = print_log_line(line) && out_flush();
            } else if (json_is_integer(dropped)) {
                ok = out_flush();
                if (ok)
                    fail("%" JSON_INTEGER_FORMAT " lines dropped (reading too slowly)",
                         json_integer_value(dropped));
            } else if (json_is_false(okv)) {
                const char *text = json_string_value(json_object_get(msg, "error"));
                fail("%s", text ? text : "the daemon stopped following");
                r = EXIT_REFUSED;
                json_decref(msg);
                break;
            }
            json_decref(msg);
            if (!ok)
                break;
        }
    }
    conn_close(&c);
    return finish(r);
}

/* Makes a relative --cwd absolute: the daemon does not share our directory.
 * Symlinks are kept as written (a `current` link may be moved later). */
static char *absolute_dir(const char *dir)
{
    if (dir[0] == '/')
        return strdup(dir);
    char *here = getcwd(NULL, 0);
    if (!here)
        return NULL;
    while (dir[0] == '.' && dir[1] == '/') {
        dir += 2;
        while (*dir == '/')
            dir++;
    }
    char *out;
    if (strcmp(dir, ".") == 0 || !*dir)
        out = here, here = NULL;
    else if (asprintf(&out, "%s%s%s", here, strcmp(here, "/") == 0 ? "" : "/", dir) < 0)
        out = NULL;
    free(here);
    return out;
}

static const char add_synopsis[] = "procmon add NAME [OPTIONS] -- COMMAND [ARG...]";

static int cmd_add(const pm_cli_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"user", required_argument, NULL, OPT_USER},
        {"group", required_argument, NULL, OPT_GROUP},
        {"cwd", required_argument, NULL, OPT_CWD},
        {"env", required_argument, NULL, OPT_ENV},
        {"clear-env", no_argument, NULL, OPT_CLEAR_ENV},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2)
        return usage_error(argv[0], "no name given: %s", add_synopsis);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return print_help(argv[0]);
    if (argv[1][0] == '-')
        return usage_error(argv[0], "the name comes first: %s", add_synopsis);
    const char *name = argv[1];
    const char *user = NULL, *group = NULL, *cwd = NULL;
    bool clear_env = false;
    int nenv = 0;
    char **env = calloc((size_t)argc, sizeof *env);
    if (!env) {
        fail("out of memory");
        return EXIT_REFUSED;
    }
    int r = 0;
    /* Options come after NAME ('+': they end at the command, so that its own
     * options stay its own). */
    char **args = argv + 1;
    int nargs = argc - 1;
    opterr = 0;
    optind = 0;
    int opt;
    char buf[8];
    while (!r && (opt = getopt_long(nargs, args, "+:h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_USER: user = optarg; break;
        case OPT_GROUP: group = optarg; break;
        case OPT_CWD: cwd = optarg; break;
        case OPT_ENV:
            if (!strchr(optarg, '=') || optarg[0] == '=')
                r = usage_error(argv[0], "--env: expected KEY=VALUE, not '%s'", optarg);
            else
                env[nenv++] = optarg;
            break;
        case OPT_CLEAR_ENV: clear_env = true; break;
        case 'h':
            free(env);
            return print_help(argv[0]);
        case ':':
            r = usage_error(argv[0], "%s: missing value", args[optind - 1]);
            break;
        default:
            r = usage_error(argv[0], "unknown option '%s'", bad_option(args, buf, sizeof buf));
        }
    }
    char **child_argv = args + optind;
    int ncommand = nargs - optind;
    if (!r && !*name)
        r = usage_error(argv[0], "the name is empty");
    else if (!r && ncommand == 0)
        r = usage_error(argv[0], "no command given: %s", add_synopsis);
    else if (!r && !*child_argv[0])
        r = usage_error(argv[0], "the command is empty");
    else if (!r && user && !*user)
        r = usage_error(argv[0], "--user: the value is empty");
    else if (!r && group && !*group)
        r = usage_error(argv[0], "--group: the value is empty");
    else if (!r && cwd && !*cwd)
        r = usage_error(argv[0], "--cwd: the value is empty");
    if (r) {
        free(env);
        return r;
    }
    char *abs_cwd = NULL;
    if (cwd && !(abs_cwd = absolute_dir(cwd))) {
        fail("--cwd: cannot make '%s' absolute: %s", cwd, strerror(errno));
        free(env);
        return EXIT_REFUSED;
    }
    request rq;
    req_init(&rq, argv[0]);
    req_set_string(&rq, "name", "the name", name);
    req_set(&rq, "argv", req_array(&rq, "the command", child_argv, ncommand));
    req_set_string(&rq, "user", "--user", user);
    req_set_string(&rq, "group", "--group", group);
    req_set_string(&rq, "cwd", "--cwd", abs_cwd);
    if (nenv)
        req_set(&rq, "env", req_array(&rq, "--env", env, nenv));
    req_set(&rq, "clear_env", json_boolean(clear_env));
    free(env);
    free(abs_cwd);
    r = rq.status ? rq.status : simple_call(g, &rq);
    req_free(&rq);
    return r;
}

/* ---- the table ---- */

typedef struct command {
    const char *name;
    int (*run)(const pm_cli_globals *g, int argc, char **argv);
    const char *help;
} command;

static const command commands[] = {
    {"status", cmd_status,
     "usage: procmon [-s PATH] status [--json] [NAME...]\n"
     "\n"
     "Shows each process (or the named ones), sorted by name: its state, and\n"
     "its pid and uptime, the wait before a restart, or how it last ended.\n"
     "States: starting (spawned, or held back for its dependencies, and not\n"
     "yet ready and past its startsecs), running, backoff (waiting to\n"
     "restart), stopping, stopped, exited (ended, not to be restarted), fatal\n"
     "(gave up after startretries).  A health-checked one shows healthy or\n"
     "unhealthy (N/M).\n"
     "\n"
     "  --json   print the processes as one JSON array\n"
     "\n"
     "Exit status 3 when a process shown is not running.\n"},
    {"start", cmd_names,
     "usage: procmon [-s PATH] start NAME...|all\n"
     "\n"
     "Starts processes that are stopped, exited, fatal or waiting to restart\n"
     "(the wait is cancelled and the back-off reset), with what they depend\n"
     "on first; a running one is left alone.  Returns once each is ready.\n"},
    {"stop", cmd_names,
     "usage: procmon [-s PATH] stop NAME...|all\n"
     "\n"
     "Sends the stop signal to each process group, SIGKILL after the kill\n"
     "time; the processes stay down until 'procmon start'.  Returns once every\n"
     "one has exited.\n"},
    {"restart", cmd_names,
     "usage: procmon [-s PATH] restart NAME...|all\n"
     "\n"
     "Stops the processes, then starts them at once (this never counts as an\n"
     "failed start).  Returns once each is ready again.\n"},
    {"signal", cmd_signal,
     "usage: procmon [-s PATH] signal SIGNAL NAME...|all\n"
     "\n"
     "Sends SIGNAL (HUP, SIGHUP or 1) to each process group.\n"},
    {"add", cmd_add,
     "usage: procmon [-s PATH] add NAME [OPTIONS] -- COMMAND [ARG...]\n"
     "\n"
     "Adds a process under NAME and starts it at once.\n"
     "\n"
     "  --user USER        run as this user (name or uid), with its groups\n"
     "  --group GROUP      run with this group (name or gid)\n"
     "  --cwd DIR          working directory (a relative one is taken from here)\n"
     "  --env KEY=VALUE    add to the environment (repeatable)\n"
     "  --clear-env        start from an empty environment\n"},
    {"remove", cmd_names,
     "usage: procmon [-s PATH] remove NAME...\n"
     "\n"
     "Stops the processes, cancels any pending restart and forgets them.\n"
     "Returns once every one has exited.\n"},
    {"tail", cmd_tail,
     "usage: procmon [-s PATH] tail [-n N] [-f] NAME\n"
     "\n"
     "Prints the last lines of the process's output (stdout and stderr), as\n"
     "kept by procmon; bytes that are not UTF-8 appear as \\xNN.\n"
     "\n"
     "  -n, --lines N   how many lines (10)\n"
     "  -f, --follow    keep printing new lines until interrupted\n"},
    {"reload", cmd_reload_shutdown,
     "usage: procmon [-s PATH] reload\n"
     "\n"
     "Re-reads the config file: new programs are added and started, removed\n"
     "ones stopped and forgotten, changed ones restarted.  Prints one line a\n"
     "change ('web: added').  An invalid file changes nothing (exit 1).\n"},
    {"reopen", cmd_reload_shutdown,
     "usage: procmon [-s PATH] reopen\n"
     "\n"
     "Reopens procmon's log file and every program's output file (as SIGUSR2\n"
     "does), for log rotation by renaming: see contrib/logrotate.conf.\n"
     "Exit status 1 when a file cannot be reopened (the old one stays in use).\n"},
    {"shutdown", cmd_reload_shutdown,
     "usage: procmon [-s PATH] shutdown\n"
     "\n"
     "Stops every process, then procmon itself; returns once it has exited.\n"},
};

static const char socket_help[] =
    "\n"
    "The socket: -s PATH, else $PROCMON_SOCKET, else 'socket =' in the config\n"
    "given with -c FILE, else /run/procmon.sock for root, else\n"
    "$XDG_RUNTIME_DIR/procmon.sock, else /tmp/procmon-UID/procmon.sock.\n"
    "Exit status: 0 done, 1 refused (the reason on stderr), 2 usage error,\n"
    "4 no procmon answers on the socket.\n";

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

bool pm_cli_is_command(const char *name)
{
    return find_command(name) != NULL;
}

bool pm_cli_help(const char *name, FILE *out)
{
    const command *cmd = find_command(name);
    if (!cmd)
        return false;
    fputs(cmd->help, out);
    fputs(socket_help, out);
    return true;
}

/* Prints the command's help on stdout: the exit status. */
static int print_help(const char *name)
{
    pm_cli_help(name, stdout);
    return finish(EXIT_DONE);
}

int pm_cli_main(const pm_cli_globals *globals, int argc, char **argv)
{
    const command *cmd = find_command(argv[0]);
    if (!cmd) {
        fail("unknown command '%s' (see 'procmon --help')", argv[0]);
        return EXIT_USAGE;
    }
    /* A daemon that goes away must not kill us before we can say so. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fail("cannot ignore SIGPIPE: %s", strerror(errno));
        return EXIT_REFUSED;
    }
    static const pm_cli_globals none = {0};
    return cmd->run(globals ? globals : &none, argc, argv);
}
