/* `procmon run`: the supervisor in the foreground. */
#include "run.h"

#include "config.h"
#include "daemon.h"
#include "exitpolicy.h"
#include "logstream.h"
#include "parse.h"
#include "procmon.h"
#include "reload.h"
#include "requests.h"
#include "rpc.h"
#include "sockpath.h"
#include "spec.h"
#include "startup.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Which options the command line set (PM_CFG_* bits and this one): those
 * win over the config file. */
enum { SET_LOG_FORMAT = 16, SET_LOG_LEVEL = 32 };

typedef struct run_args {
    pm_options opts;
    unsigned set;
    pm_spec spec;
    const char *name;
    const char *log_file;
    pm_log_format log_format;
    const char *config_path;
    const char *socket_path;
    char **env;
    size_t nenv;
    unsigned exit_policy;  /* PM_EXIT_* */
    int forward_signals;   /* -1: only as PID 1 */
    bool log_debug;
} run_args;

static const char run_usage[] =
    "usage: procmon run [OPTIONS] -c FILE\n"
    "       procmon run [OPTIONS] [--name NAME] [CHILD OPTIONS] -- COMMAND [ARG...]\n"
    "\n"
    "Runs the programs of FILE, or COMMAND, in the foreground, restarting each\n"
    "when it dies: a run shorter than the threshold is an instant death and\n"
    "backs off (1, 2, 4 ... s up to the maximum delay); a longer run restarts\n"
    "at once.  SIGTERM, SIGINT or SIGQUIT stops them all (stop signal, SIGKILL\n"
    "after the kill time) and procmon exits 0.  SIGHUP reloads FILE.\n"
    "\n"
    "Options (seconds accept decimals):\n"
    "  -c, --config FILE         programs and settings (INI, supervisord-compatible)\n"
    "  -s, --socket PATH         control socket (with -c: $PROCMON_SOCKET, the\n"
    "                            config's socket, or a per-user default)\n"
    "  --threshold SEC           a shorter run is an instant death (1)\n"
    "  --kill-time SEC           SIGKILL this long after the stop signal (5)\n"
    "  --min-restart-delay SEC   first back-off delay (1)\n"
    "  --max-restart-delay SEC   back-off cap (3600)\n"
    "  --log-format text|json    the log stream's format (text)\n"
    "  --log-file PATH           where the log stream goes (standard output);\n"
    "                            SIGUSR2 reopens it\n"
    "  --log-level info|debug    debug adds a line for each orphan reaped (info)\n"
    "  --exit-on-fatal           once a program is fatal, stop the rest and exit 1\n"
    "  --exit-when-all-exited    once nothing runs or will restart, exit: 0, or 1\n"
    "                            if a program failed or exited unexpectedly\n"
    "  --name NAME               the process's name (the basename of COMMAND)\n"
    "  --exit-with-child         exit when COMMAND exits, with its status (128+N\n"
    "                            for signal N, 127 if it cannot be run)\n"
    "  --forward-signals         pass SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH and SIGCONT\n"
    "                            on to COMMAND's process group (the default as\n"
    "                            PID 1; --no-forward-signals turns it off)\n"
    "Child options:\n"
    "  --user USER               run as this user (name or uid), with its groups\n"
    "  --group GROUP             run with this group (name or gid)\n"
    "  --cwd DIR                 working directory\n"
    "  --env KEY=VALUE           add to the environment (repeatable)\n"
    "  --clear-env               start from an empty environment\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("procmon: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see 'procmon run --help')\n", stderr);
    va_end(ap);
    return 2;
}

enum {
    OPT_THRESHOLD = 256, OPT_KILL_TIME, OPT_MIN_DELAY, OPT_MAX_DELAY, OPT_LOG_FORMAT,
    OPT_LOG_FILE, OPT_NAME, OPT_USER, OPT_GROUP, OPT_CWD, OPT_ENV, OPT_CLEAR_ENV, OPT_HELP,
    OPT_LOG_LEVEL, OPT_EXIT_WITH_CHILD, OPT_EXIT_ON_FATAL, OPT_EXIT_ALL_EXITED, OPT_FORWARD,
    OPT_NO_FORWARD,
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
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"exit-with-child", no_argument, NULL, OPT_EXIT_WITH_CHILD},
    {"exit-on-fatal", no_argument, NULL, OPT_EXIT_ON_FATAL},
    {"exit-when-all-exited", no_argument, NULL, OPT_EXIT_ALL_EXITED},
    {"forward-signals", no_argument, NULL, OPT_FORWARD},
    {"no-forward-signals", no_argument, NULL, OPT_NO_FORWARD},
    {NULL, 0, NULL, 0},
};

/* Checks what can be checked before anything starts, so a typo is a usage
 * error rather than a child that backs off forever. */
static int check_child_options(const pm_spec *spec)
{
    char err[256];
    return pm_spec_check(spec, err, sizeof err) < 0 ? usage_error("%s", err) : 0;
}

/* The options in seconds, in the order of their OPT_ values. */
typedef struct seconds_option {
    const char *name;
    unsigned flag; /* PM_CFG_* */
    size_t offset; /* in pm_options */
} seconds_option;

static const seconds_option seconds_options[] = {
    {"--threshold", PM_CFG_THRESHOLD, offsetof(pm_options, threshold)},
    {"--kill-time", PM_CFG_KILL_TIME, offsetof(pm_options, kill_time)},
    {"--min-restart-delay", PM_CFG_MIN_DELAY, offsetof(pm_options, min_restart_delay)},
    {"--max-restart-delay", PM_CFG_MAX_DELAY, offsetof(pm_options, max_restart_delay)},
};

static double *seconds_field(pm_options *opts, const seconds_option *o)
{
    return (double *)((char *)opts + o->offset);
}

/* Fills args from argv; 0 to go on, or the exit status to leave with. */
static int parse_run_args(int argc, char **argv, run_args *args)
{
    pm_options_init(&args->opts);
    pm_spec_init(&args->spec);
    args->log_format = PM_LOG_TEXT;
    args->forward_signals = -1;
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
        case 'c': args->config_path = optarg; break;
        case 's': args->socket_path = optarg; break;
        case OPT_THRESHOLD:
        case OPT_KILL_TIME:
        case OPT_MIN_DELAY:
        case OPT_MAX_DELAY: {
            const seconds_option *o = &seconds_options[opt - OPT_THRESHOLD];
            if (!pm_parse_seconds(optarg, seconds_field(&args->opts, o)))
                return usage_error("%s: not a number of seconds: '%s'", o->name, optarg);
            args->set |= o->flag;
            break;
        }
        case OPT_LOG_FORMAT:
            if (strcmp(optarg, "text") == 0)
                args->log_format = PM_LOG_TEXT;
            else if (strcmp(optarg, "json") == 0)
                args->log_format = PM_LOG_JSON;
            else
                return usage_error("--log-format: expected text or json, not '%s'", optarg);
            args->set |= SET_LOG_FORMAT;
            break;
        case OPT_LOG_FILE: args->log_file = optarg; break;
        case OPT_LOG_LEVEL:
            if (strcmp(optarg, "info") != 0 && strcmp(optarg, "debug") != 0)
                return usage_error("--log-level: expected info or debug, not '%s'", optarg);
            args->log_debug = strcmp(optarg, "debug") == 0;
            args->set |= SET_LOG_LEVEL;
            break;
        case OPT_EXIT_WITH_CHILD: args->exit_policy |= PM_EXIT_WITH_CHILD; break;
        case OPT_EXIT_ON_FATAL: args->exit_policy |= PM_EXIT_ON_FATAL; break;
        case OPT_EXIT_ALL_EXITED: args->exit_policy |= PM_EXIT_ALL_EXITED; break;
        case OPT_FORWARD: args->forward_signals = 1; break;
        case OPT_NO_FORWARD: args->forward_signals = 0; break;
        case OPT_NAME:
            if (pm_name_problem(optarg))
                return usage_error("--name '%s': %s", optarg, pm_name_problem(optarg));
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
    if (args->config_path) {
        if (optind < argc)
            return usage_error("give either -c FILE or a command, not both");
        /* With several programs there is no one child to exit with or to signal. */
        if (args->exit_policy & PM_EXIT_WITH_CHILD)
            return usage_error("--exit-with-child is for a single command, not -c FILE");
        if (args->forward_signals == 1)
            return usage_error("--forward-signals is for a single command; with -c FILE "
                               "use 'procmon signal SIG NAME'");
        args->forward_signals = 0;
        return 0;
    }
    if (optind >= argc)
        return usage_error("no command given: procmon run [OPTIONS] -- COMMAND [ARG...]");
    if (!*argv[optind])
        return usage_error("the command is empty");
    if (args->opts.min_restart_delay > args->opts.max_restart_delay)
        return usage_error("--min-restart-delay is greater than --max-restart-delay");
    args->spec.argv = &argv[optind];
    args->spec.env = args->nenv || args->spec.clear_env ? args->env : NULL;
    if (!args->name) {
        const char *slash = strrchr(argv[optind], '/');
        args->name = slash && slash[1] ? slash + 1 : argv[optind];
    }
    if (args->forward_signals < 0)
        args->forward_signals = getpid() == 1;
    /* Its exit ends procmon: no run of it is a failed start to retry, and
     * none is restarted meanwhile. */
    if (args->exit_policy & PM_EXIT_WITH_CHILD) {
        args->spec.threshold = 0;
        args->spec.autorestart = PM_AUTORESTART_NEVER;
    }
    return check_child_options(&args->spec);
}

/* ---- handing over to the daemon ---- */

/* The config file's settings, under what the command line set. */
static void merge_config(run_args *args, const pm_config *cfg)
{
    pm_options from_file = cfg->opts;
    for (size_t i = 0; i < sizeof seconds_options / sizeof *seconds_options; i++) {
        const seconds_option *o = &seconds_options[i];
        if (!(args->set & o->flag) && (cfg->opts_set & o->flag))
            *seconds_field(&args->opts, o) = *seconds_field(&from_file, o);
    }
    if (!(args->set & SET_LOG_FORMAT) && cfg->log_format >= 0)
        args->log_format = cfg->log_format == 1 ? PM_LOG_JSON : PM_LOG_TEXT;
    if (!args->log_file && cfg->log_file && strcmp(cfg->log_file, "-") != 0)
        args->log_file = cfg->log_file;
    if (!(args->set & SET_LOG_LEVEL) && cfg->log_debug >= 0)
        args->log_debug = cfg->log_debug;
}

/* Paths that [supervisord]'s directory would move: made absolute first,
 * as supervisord does with its own.  Each *path is replaced by a copy kept
 * in owned[]; false without memory. */
static bool absolute_paths(const char **paths[], size_t n, char **owned)
{
    for (size_t i = 0; i < n; i++) {
        owned[i] = NULL;
        if (!*paths[i] || (*paths[i])[0] == '/')
            continue;
        if (!(owned[i] = pm_absolute_path(*paths[i])))
            return false;
        *paths[i] = owned[i];
    }
    return true;
}

/* The log file's rotation size.  A device (--log-file /dev/null,
 * logfile=/dev/stdout) is never rotated: renaming it would move the
 * device node itself, and supervisord's handler, which measures the file
 * position, never rotates one either. */
static long long log_rotation_limit(const char *path, long long configured)
{
    struct stat st;
    if (path && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return 0;
    return configured < 0 ? PM_LOG_DEFAULT_MAXBYTES : configured;
}

static int run_with_config(run_args *args)
{
    pm_config cfg;
    char err[PATH_MAX + 512];
    if (pm_config_load(args->config_path, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "procmon: %s\n", err);
        return 2;
    }
    for (size_t i = 0; i < cfg.nwarnings; i++)
        fprintf(stderr, "procmon: warning: %s\n", cfg.warnings[i]);
    merge_config(args, &cfg);
    int status = 2, r;
    char socket_path[PATH_MAX], state_path[PATH_MAX + 8];
    const char *pidfile = cfg.pidfile, *cfg_socket = cfg.socket;
    const char **moved[] = {&args->config_path, &args->log_file, &args->socket_path, &cfg_socket, &pidfile};
    char *owned[sizeof moved / sizeof *moved] = {0};
    /* The pid file once the socket is ours: a procmon refused there leaves
     * the running one's alone. */
    pm_startup_ready ready = {.cfg = &cfg};
    if (args->opts.min_restart_delay > args->opts.max_restart_delay) {
        fprintf(stderr, "procmon: min_restart_delay is greater than max_restart_delay\n");
    } else if (cfg.directory && !absolute_paths(moved, sizeof moved / sizeof *moved, owned)) {
        fprintf(stderr, "procmon: cannot make paths absolute: %s\n", strerror(errno ? errno : ENOMEM));
        status = 1;
    } else if (pm_startup_apply(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "procmon: %s\n", err);
    } else if ((r = pm_socket_path(args->socket_path, cfg_socket, socket_path, sizeof socket_path)) < 0) {
        fprintf(stderr, "procmon: the control socket's path is %s\n", r == -EINVAL ? "empty" : "too long");
    } else if (pm_socket_dir_prepare(socket_path, err, sizeof err) < 0) {
        fprintf(stderr, "procmon: %s\n", err);
        status = 1;
    } else {
        ready.pidfile = pidfile;
        snprintf(state_path, sizeof state_path, "%s.state", socket_path);
        pm_daemon_settings settings = {
            .opts = args->opts,
            .socket_path = socket_path,
            .log_file = args->log_file,
            .log_maxbytes = log_rotation_limit(args->log_file, cfg.log_maxbytes),
            .log_backups = cfg.log_backups < 0 ? PM_LOG_DEFAULT_BACKUPS : cfg.log_backups,
            .log_format = args->log_format,
            .config_path = args->config_path,
            .state_path = state_path,
            .programs = cfg.programs,
            .nprograms = cfg.nprograms,
            .on_ready = pm_startup_on_ready,
            .on_ready_arg = &ready,
            .handle_request = pm_handle_request,
            .reload = pm_reload,
            .exit_policy = args->exit_policy,
            .log_debug = args->log_debug,
            .unix_http = &cfg.unix_http,
            .inet_http = &cfg.inet_http,
            .handle_http = pm_rpc_handle,
            .identifier = cfg.identifier,
        };
        status = pm_daemon_run(&settings);
    }
    if (ready.pid_written)
        pm_pidfile_remove(pidfile);
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        free(owned[i]);
    pm_config_free(&cfg);
    return status;
}

/* One command: a control socket only when asked for one, so that several
 * such supervisors can run side by side. */
static int run_one(run_args *args)
{
    const char *socket_path = args->socket_path ? args->socket_path : getenv("PROCMON_SOCKET");
    bool have_socket = socket_path && *socket_path;
    char state_path[PATH_MAX + 8];
    if (have_socket && snprintf(state_path, sizeof state_path, "%s.state", socket_path) >= (int)sizeof state_path) {
        fprintf(stderr, "procmon: the control socket's path is too long\n");
        return 2;
    }
    pm_program program = {.name = (char *)args->name, .spec = args->spec};
    pm_daemon_settings settings = {
        .opts = args->opts,
        .socket_path = have_socket ? socket_path : NULL,
        .state_path = have_socket ? state_path : NULL,
        .log_file = args->log_file,
        .log_format = args->log_format,
        .programs = &program,
        .nprograms = 1,
        .handle_request = pm_handle_request, /* no config file: nothing to reload */
        .exit_policy = args->exit_policy,
        .forward_signals = args->forward_signals == 1,
        .log_debug = args->log_debug,
    };
    return pm_daemon_run(&settings);
}

int pm_cmd_run(int argc, char **argv)
{
    run_args args = {0};
    int status = parse_run_args(argc, argv, &args);
    if (status == 0)
        status = args.config_path ? run_with_config(&args) : run_one(&args);
    else if (status < 0)
        status = 0; /* --help */
    free(args.env);
    return status;
}
