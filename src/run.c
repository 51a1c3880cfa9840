/* `procmon run`: the supervisor in the foreground. */
#include "run.h"

#include "logstream.h"
#include "parse.h"
#include "procmon.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

typedef struct run_args {
    pm_options opts;
    pm_spec spec;
    const char *name;
    const char *log_file;
    pm_log_format log_format;
    char **env;
    size_t nenv;
} run_args;

typedef struct supervisor {
    uv_loop_t loop;
    pm_runtime *rt;
    pm_monitor *mon;
    pm_logstream *log;
    uv_signal_t signals[5];
    size_t nsignals;
    uv_prepare_t flusher;
    bool stopping;
} supervisor;

static const char run_usage[] =
    "usage: procmon run [OPTIONS] [--name NAME] [CHILD OPTIONS] -- COMMAND [ARG...]\n"
    "\n"
    "Runs COMMAND in the foreground, restarting it when it dies: a run shorter\n"
    "than the threshold is an instant death and backs off (1, 2, 4 ... s up to\n"
    "the maximum delay); a longer run restarts at once.  SIGTERM or SIGINT stops\n"
    "it (stop signal, SIGKILL after the kill time) and procmon exits 0.\n"
    "\n"
    "Options (seconds accept decimals):\n"
    "  --threshold SEC           a shorter run is an instant death (1)\n"
    "  --kill-time SEC           SIGKILL this long after the stop signal (5)\n"
    "  --min-restart-delay SEC   first back-off delay (1)\n"
    "  --max-restart-delay SEC   back-off cap (3600)\n"
    "  --log-format text|json    the log stream's format (text)\n"
    "  --log-file PATH           where the log stream goes (standard output);\n"
    "                            SIGUSR2 reopens it\n"
    "  --name NAME               the process's name (the basename of COMMAND)\n"
    "Child options:\n"
    "  --user USER               run as this user (name or uid), with its groups\n"
    "  --group GROUP             run with this group (name or gid)\n"
    "  --cwd DIR                 working directory\n"
    "  --env KEY=VALUE           add to the environment (repeatable)\n"
    "  --clear-env               start from an empty environment\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("procmon: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see 'procmon run --help')\n", stderr);
    return 2;
}

enum {
    OPT_THRESHOLD = 256, OPT_KILL_TIME, OPT_MIN_DELAY, OPT_MAX_DELAY, OPT_LOG_FORMAT,
    OPT_LOG_FILE, OPT_NAME, OPT_USER, OPT_GROUP, OPT_CWD, OPT_ENV, OPT_CLEAR_ENV, OPT_HELP,
};

static const struct option run_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"socket", required_argument, NULL, 's'},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"kill-time", required_argument, NULL, OPT_KILL_TIME},
    {"min-restart-delay", required_argument, NULL, OPT_MIN_DELAY},
    {"max-restart-delay", required_argument, NULL, OPT_MAX_DELAY},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"log-file", required_argument, NULL, OPT_LOG_FILE},
    {"name", required_argument, NULL, OPT_NAME},
    {"user", required_argument, NULL, OPT_USER},
    {"group", required_argument, NULL, OPT_GROUP},
    {"cwd", required_argument, NULL, OPT_CWD},
    {"env", required_argument, NULL, OPT_ENV},
    {"clear-env", no_argument, NULL, OPT_CLEAR_ENV},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Checks what can be checked before anything starts, so a typo is a usage
 * error rather than a child that backs off forever. */
static int check_child_options(const pm_spec *spec)
{
    if (spec->user && !getpwnam(spec->user)) {
        char *end;
        long uid = strtol(spec->user, &end, 10);
        if (*end || uid < 0 || end == spec->user)
            return usage_error("unknown user '%s'", spec->user);
    }
    if (spec->group && !getgrnam(spec->group)) {
        char *end;
        long gid = strtol(spec->group, &end, 10);
        if (*end || gid < 0 || end == spec->group)
            return usage_error("unknown group '%s'", spec->group);
    }
    struct stat st;
    if (spec->cwd && (stat(spec->cwd, &st) < 0 || !S_ISDIR(st.st_mode)))
        return usage_error("--cwd: not a directory: %s", spec->cwd);
    return 0;
}

/* Fills args from argv; 0 to go on, or the exit status to leave with. */
static int parse_run_args(int argc, char **argv, run_args *args)
{
    pm_options_init(&args->opts);
    pm_spec_init(&args->spec);
    args->log_format = PM_LOG_TEXT;
    args->env = calloc((size_t)argc + 1, sizeof *args->env);
    if (!args->env) {
        perror("procmon");
        return 1;
    }
    opterr = 0;
    optind = 1;
    int opt;
    /* '+': options end at the command, so its own options stay its own. */
    while ((opt = getopt_long(argc, argv, "+:c:s:", run_options, NULL)) != -1) {
        switch (opt) {
        case 'c':
        case 's':
            return usage_error("%s: the config file and control socket are not available yet",
                               opt == 'c' ? "--config" : "--socket");
        case OPT_THRESHOLD:
            if (!pm_parse_seconds(optarg, &args->opts.threshold))
                return usage_error("--threshold: not a number of seconds: '%s'", optarg);
            break;
        case OPT_KILL_TIME:
            if (!pm_parse_seconds(optarg, &args->opts.kill_time))
                return usage_error("--kill-time: not a number of seconds: '%s'", optarg);
            break;
        case OPT_MIN_DELAY:
            if (!pm_parse_seconds(optarg, &args->opts.min_restart_delay))
                return usage_error("--min-restart-delay: not a number of seconds: '%s'", optarg);
            break;
        case OPT_MAX_DELAY:
            if (!pm_parse_seconds(optarg, &args->opts.max_restart_delay))
                return usage_error("--max-restart-delay: not a number of seconds: '%s'", optarg);
            break;
        case OPT_LOG_FORMAT:
            if (strcmp(optarg, "text") == 0)
                args->log_format = PM_LOG_TEXT;
            else if (strcmp(optarg, "json") == 0)
                args->log_format = PM_LOG_JSON;
            else
                return usage_error("--log-format: expected text or json, not '%s'", optarg);
            break;
        case OPT_LOG_FILE: args->log_file = optarg; break;
        case OPT_NAME:
            if (!*optarg)
                return usage_error("--name: the name is empty%s", "");
            args->name = optarg;
            break;
        case OPT_USER: args->spec.user = optarg; break;
        case OPT_GROUP: args->spec.group = optarg; break;
        case OPT_CWD: args->spec.cwd = optarg; break;
        case OPT_ENV:
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return usage_error("--env: expected KEY=VALUE, not '%s'", optarg);
            args->env[args->nenv++] = optarg;
            break;
        case OPT_CLEAR_ENV: args->spec.clear_env = true; break;
        case OPT_HELP:
            fputs(run_usage, stdout);
            return -1;
        case ':':
            return usage_error("%s: missing value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("no command given: procmon run [OPTIONS] -- COMMAND [ARG...]%s", "");
    if (!*argv[optind])
        return usage_error("the command is empty%s", "");
    if (args->opts.min_restart_delay > args->opts.max_restart_delay)
        return usage_error("--min-restart-delay is greater than --max-restart-delay%s", "");
    args->spec.argv = &argv[optind];
    args->spec.env = args->nenv || args->spec.clear_env ? args->env : NULL;
    if (!args->name) {
        const char *slash = strrchr(argv[optind], '/');
        args->name = slash && slash[1] ? slash + 1 : argv[optind];
    }
    return check_child_options(&args->spec);
}

/* ---- the running supervisor ---- */

static void log_event(void *arg, const pm_event *ev)
{
    supervisor *sv = arg;
    pm_logstream_event(sv->log, ev);
}

static void flush_log(uv_prepare_t *h)
{
    supervisor *sv = h->data;
    pm_logstream_flush(sv->log);
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void all_stopped(void *arg, int result)
{
    (void)result;
    supervisor *sv = arg;
    pm_logstream_message(sv->log, "every process has stopped; exiting");
    uv_stop(&sv->loop);
}

static void on_signal(uv_signal_t *h, int signum)
{
    supervisor *sv = h->data;
    char name[32];
    switch (signum) {
    case SIGTERM:
    case SIGINT:
        if (sv->stopping) {
            pm_logstream_message(sv->log, "%s: already stopping",
                                 pm_signal_name(signum, name, sizeof name));
            return;
        }
        sv->stopping = true;
        pm_logstream_message(sv->log, "%s: stopping every process",
                             pm_signal_name(signum, name, sizeof name));
        pm_monitor_stop_service(sv->mon, all_stopped, sv);
        break;
    case SIGUSR2: {
        int r = pm_logstream_reopen(sv->log);
        if (r < 0)
            pm_logstream_message(sv->log, "cannot reopen the log file: %s", strerror(-r));
        break;
    }
    case SIGHUP:
        pm_logstream_message(sv->log, "SIGHUP: no config file to reload");
        break;
    }
}

static int watch_signals(supervisor *sv)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        uv_signal_t *h = &sv->signals[sv->nsignals];
        int r = uv_signal_init(&sv->loop, h);
        if (r < 0)
            return r;
        sv->nsignals++;
        h->data = sv;
        if ((r = uv_signal_start(h, on_signal, sigs[i])) < 0)
            return r;
    }
    return 0;
}

/* Many children need many descriptors: take what the hard limit allows. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int supervise(const run_args *args)
{
    supervisor sv = {0};
    int r = pm_logstream_open(args->log_file, args->log_format, &sv.log);
    if (r < 0) {
        fprintf(stderr, "procmon: cannot open the log file %s: %s\n", args->log_file, strerror(-r));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    if ((r = uv_loop_init(&sv.loop)) < 0) {
        fprintf(stderr, "procmon: cannot set up the event loop: %s\n", strerror(-r));
        pm_logstream_close(sv.log);
        return 1;
    }
    const char *step = "signal handling";
    if ((r = watch_signals(&sv)) < 0)
        goto out;
    uv_prepare_init(&sv.loop, &sv.flusher);
    sv.flusher.data = &sv;
    uv_prepare_start(&sv.flusher, flush_log);
    step = "the runtime";
    if ((r = pm_runtime_uv_new(&sv.loop, &sv.rt)) < 0)
        goto out;
    step = "the monitor";
    if ((r = pm_monitor_new(sv.rt, &args->opts, &sv.mon)) < 0)
        goto out;
    pm_monitor_set_event_cb(sv.mon, log_event, &sv);
    if ((r = pm_monitor_add(sv.mon, args->name, &args->spec)) < 0)
        goto out;
    pm_logstream_message(sv.log, "procmon %s running, pid %d", PM_VERSION, (int)getpid());
    pm_monitor_start_service(sv.mon);
    uv_run(&sv.loop, UV_RUN_DEFAULT);

out:
    if (r < 0)
        fprintf(stderr, "procmon: cannot set up %s: %s\n", step, strerror(-r));
    pm_monitor_free(sv.mon);
    pm_runtime_free(sv.rt);
    uv_walk(&sv.loop, close_handle, NULL);
    uv_run(&sv.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&sv.loop) < 0)
        fprintf(stderr, "procmon: the event loop did not close cleanly\n");
    pm_logstream_close(sv.log);
    return r < 0 ? 1 : 0;
}

int pm_cmd_run(int argc, char **argv)
{
    run_args args = {0};
    int status = parse_run_args(argc, argv, &args);
    if (status == 0)
        status = supervise(&args);
    else if (status < 0)
        status = 0; /* --help */
    free(args.env);
    return status;
}
