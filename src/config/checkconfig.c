/* `procmon check-config -c FILE`: loads FILE and its includes as `procmon
 * run -c FILE` would, and prints each program it would start and every
 * warning; it starts nothing and opens no socket. */
#include "checkconfig.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "eventtypes.h"

static const char check_usage[] =
    "usage: procmon check-config -c FILE\n"
    "       procmon check-config FILE\n"
    "\n"
    "Reads FILE (and every file it includes) as 'procmon run -c FILE' would,\n"
    "then prints the programs it would run (name, argv, user, directory,\n"
    "environment, priority, where stdout and stderr go) and every warning.\n"
    "Starts nothing.\n"
    "Exit status: 0 the file loads; 2 it does not (the error names FILE:LINE).\n";

/* A word as a shell would need it written back: bare when it is safe. */
static void print_word(const char *w)
{
    if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        "@%+=:,./-_") == strlen(w)) {
        fputs(w, stdout);
        return;
    }
    putchar('\'');
    for (; *w; w++) {
        if (*w == '\'')
            fputs("'\\''", stdout);
        else
            putchar(*w);
    }
    putchar('\'');
}

static void print_output(const char *label, const pm_output *o)
{
    printf("  %-10s ", label);
    switch (o->kind) {
    case PM_OUT_LOG: puts("log stream"); return;
    case PM_OUT_NONE: puts("none"); return;
    case PM_OUT_FD: printf("/dev/fd/%d\n", o->fd); return;
    case PM_OUT_FILE: break;
    }
    printf("%s (rotated beyond %lld bytes, %d backups)\n", o->path ? o->path : "?", o->maxbytes,
           o->backups);
}

static const char *ready_kind_name(pm_ready_kind kind)
{
    static const char *const names[] = {"spawn", "notify", "fd", "tcp", "unix", "exec", "log"};
    return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

static void print_program(const pm_program *p)
{
    const pm_spec *s = &p->spec;
    printf("\nprogram %s  (%s:%d)\n  %-10s ", p->name, p->file, p->line, "argv");
    for (char **a = s->argv; a && *a; a++) {
        if (a != s->argv)
            putchar(' ');
        print_word(*a);
    }
    printf("\n  %-10s %s\n", "user", s->user ? s->user : "(procmon's)");
    printf("  %-10s %s\n", "directory", s->cwd ? s->cwd : "(procmon's)");
    for (char **e = s->env; e && *e; e++) /* [supervisord]'s already under its own */
        printf("  %-10s %s\n", "env", *e);
    printf("  %-10s %d\n", "priority", s->priority);
    if (p->listen_events) { /* [eventlistener:x] */
        printf("  %-10s", "events");
        for (int t = 0; t < PM_EV_COUNT; t++)
            if (p->listen_events & PM_EV_BIT(t))
                printf(" %s", pm_sv_event_name((pm_sv_event)t));
        printf(" (buffer %d)\n", p->buffer_size);
    }
    printf("  %-10s %s\n", "autostart", s->autostart ? "true" : "false");
    if (s->ready == PM_READY_FD)
        printf("  %-10s fd:%d (timeout %gs)\n", "ready", s->ready_fd, s->ready_timeout);
    else if (s->ready != PM_READY_SPAWN)
        printf("  %-10s %s%s%s (timeout %gs)\n", "ready", ready_kind_name(s->ready),
               s->ready_target ? ":" : "", s->ready_target ? s->ready_target : "", s->ready_timeout);
    static const char *const health_prefix[] = {"", "exec:", "tcp:", "unix:", ""};
    if (s->health != PM_HEALTH_NONE)
        printf("  %-10s %s%s (every %gs, timeout %gs, %d retries, start period %gs)\n", "health",
               health_prefix[s->health], s->health_target, s->health_interval, s->health_timeout,
               s->health_retries, s->health_start_period);
    for (size_t i = 0; i < s->ndepends_on; i++)
        printf("  %-10s %s (%s)%s\n", "depends on", s->depends_on[i].name,
               pm_dep_condition_name(s->depends_on[i].condition),
               s->bind_to && s->depends_on[i].condition != PM_DEP_COMPLETED ? ", bound" : "");
    print_output("stdout", &p->out);
    if (p->redirect_stderr)
        printf("  %-10s %s\n", "stderr", "with stdout (redirect_stderr)");
    else
        print_output("stderr", &p->err);
}

static void print_config(const char *path, const pm_config *cfg)
{
    printf("config %s\n", path);
    if (cfg->identifier)
        printf("identifier %s\n", cfg->identifier);
    if (cfg->log_file)
        printf("log file %s\n", cfg->log_file);
    if (cfg->pidfile)
        printf("pidfile %s\n", cfg->pidfile);
    if (cfg->user)
        printf("user %s\n", cfg->user);
    if (cfg->directory)
        printf("directory %s\n", cfg->directory);
    if (cfg->umask >= 0)
        printf("umask %03o\n", (unsigned)cfg->umask);
    if (cfg->minfds >= 0)
        printf("minfds %lld\n", cfg->minfds);
    if (cfg->minprocs >= 0)
        printf("minprocs %lld\n", cfg->minprocs);
    for (char **e = cfg->environment; e && *e; e++)
        printf("environment %s\n", *e);
    const pm_http_server *unix_http = &cfg->unix_http, *inet_http = &cfg->inet_http;
    if (unix_http->set)
        printf("unix_http_server %s (mode %04o%s%s%s)\n", unix_http->file, (unsigned)unix_http->chmod,
               unix_http->chown ? ", owner " : "", unix_http->chown ? unix_http->chown : "",
               unix_http->username ? ", with a password" : "");
    if (inet_http->set)
        printf("inet_http_server %s:%d%s\n", *inet_http->host ? inet_http->host : "*", inet_http->port,
               inet_http->username ? " (with a password)" : "");
    printf("programs %zu\n", cfg->nprograms);
    for (size_t i = 0; i < cfg->nprograms; i++)
        print_program(&cfg->programs[i]);
    printf("\nwarnings %zu\n", cfg->nwarnings);
    for (size_t i = 0; i < cfg->nwarnings; i++)
        printf("warning: %s\n", cfg->warnings[i]);
}

int pm_cmd_check_config(int argc, char **argv, const char *global_config)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = global_config;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":c:h", options, NULL)) != -1) {
        switch (opt) {
        case 'c': path = optarg; break;
        case 'h': fputs(check_usage, stdout); return fflush(stdout) == 0 ? 0 : 1;
        case ':':
            fprintf(stderr, "procmon: %s: missing value (see 'procmon help check-config')\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "procmon: unknown option '%s' (see 'procmon help check-config')\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc && !path)
        path = argv[optind++];
    if (!path || optind < argc) {
        fprintf(stderr, "procmon: check-config: %s (see 'procmon help check-config')\n",
                path ? "give one config file" : "no config file: -c FILE");
        return 2;
    }
    pm_config cfg;
    char err[4096 + 512];
    if (pm_config_load(path, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "procmon: %s\n", err);
        return 2;
    }
    print_config(path, &cfg);
    pm_config_free(&cfg);
    return fflush(stdout) == 0 ? 0 : 1;
}
