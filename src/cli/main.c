/* The `procmon` command: global options, then the subcommand. */
#include "procmon.h"
#include "checkconfig.h"
#include "cli.h"
#include "run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: procmon run [OPTIONS] [--name NAME] [CHILD OPTIONS] -- COMMAND [ARG...]\n"
    "       procmon run [OPTIONS] -c FILE\n"
    "       procmon check-config -c FILE\n"
    "       procmon [-s PATH] COMMAND [ARG...]\n"
    "       procmon --version | --help | help COMMAND\n"
    "\n"
    "procmon starts, monitors and restarts child processes.\n"
    "Commands:\n"
    "  run       supervise programs in the foreground\n"
    "  status    show the state of each process [--json] [NAME...]\n"
    "  start     start processes: NAME...|all\n"
    "  stop      stop processes and keep them down: NAME...|all\n"
    "  restart   stop, then start processes: NAME...|all\n"
    "  signal    send a signal: SIGNAL NAME...|all\n"
    "  add       add a process: NAME [OPTIONS] -- COMMAND [ARG...]\n"
    "  remove    stop and forget processes: NAME...\n"
    "  tail      print a process's last output lines: [-n N] [-f] NAME\n"
    "  reload    re-read the config file\n"
    "  reopen    reopen the log file and the programs' output files\n"
    "  shutdown  stop every process, then procmon\n"
    "  check-config  print what a config file (supervisord's too) would run,\n"
    "            and its warnings, starting nothing: -c FILE\n"
    "A member of a config's [group:g] is named 'g:NAME' (one named g: 'g');\n"
    "'g:*' names them all.\n"
    "'procmon help COMMAND' describes each.\n"
    "\n"
    "Global options, before the command:\n"
    "  -s, --socket PATH   the control socket of the procmon to talk to\n"
    "  -c, --config FILE   find the socket from this config file's 'socket ='\n";

/* Reads -s/--socket and -c/--config before the command.  Returns the index
 * of the command in argv, or 0 after a usage error was printed. */
static int parse_globals(int argc, char **argv, pm_cli_globals *g)
{
    int i = 1;
    while (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
        const char *arg = argv[i];
        const char **slot = NULL;
        const char *value = NULL;
        const char *opt = arg;
        if (strcmp(arg, "-s") == 0 || strcmp(arg, "--socket") == 0) {
            slot = &g->socket;
        } else if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) {
            slot = &g->config;
        } else if (strncmp(arg, "--socket=", 9) == 0) {
            slot = &g->socket, value = arg + 9, opt = "--socket";
        } else if (strncmp(arg, "--config=", 9) == 0) {
            slot = &g->config, value = arg + 9, opt = "--config";
        } else if (strncmp(arg, "-s", 2) == 0) {
            slot = &g->socket, value = arg + 2, opt = "-s";
        } else if (strncmp(arg, "-c", 2) == 0) {
            slot = &g->config, value = arg + 2, opt = "-c";
        } else if (strcmp(arg, "--") == 0) {
            i++;
            break;
        } else {
            return i; /* --help, --version, or an unknown option */
        }
        if (!value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "procmon: %s: missing value (see 'procmon --help')\n", opt);
                return 0;
            }
            value = argv[++i];
        }
        *slot = value;
        i++;
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return 0;
    }
    return i;
}

/* `procmon -s PATH run ...` means `procmon run -s PATH ...`. */
static int run_with_globals(const pm_cli_globals *g, int argc, char **argv)
{
    char **args = calloc((size_t)argc + 5, sizeof *args);
    if (!args) {
        perror("procmon");
        return 1;
    }
    int n = 0;
    args[n++] = argv[0];
    if (g->socket) {
        args[n++] = "--socket";
        args[n++] = (char *)g->socket;
    }
    if (g->config) {
        args[n++] = "--config";
        args[n++] = (char *)g->config;
    }
    for (int i = 1; i < argc; i++)
        args[n++] = argv[i];
    int status = pm_cmd_run(n, args);
    free(args);
    return status;
}

int main(int argc, char **argv)
{
    pm_cli_globals g = {0};
    int at = parse_globals(argc, argv, &g);
    if (at == 0)
        return 2;
    argc -= at;
    argv += at;
    const char *cmd = argv[0];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("procmon %s\n", PM_VERSION);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc > 1 && strcmp(argv[1], "run") == 0) {
            char *help_argv[] = {"run", "--help", NULL};
            return pm_cmd_run(2, help_argv);
        }
        if (argc > 1 && strcmp(argv[1], "check-config") == 0) {
            char *help_argv[] = {"check-config", "--help", NULL};
            return pm_cmd_check_config(2, help_argv, NULL);
        }
        if (argc > 1 && !pm_cli_help(argv[1], stdout)) {
            fprintf(stderr, "procmon: no such command: %s (see 'procmon --help')\n", argv[1]);
            return 2;
        }
        if (argc == 1)
            fputs(usage, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(cmd, "run") == 0)
        return g.socket || g.config ? run_with_globals(&g, argc, argv) : pm_cmd_run(argc, argv);
    if (strcmp(cmd, "check-config") == 0)
        return pm_cmd_check_config(argc, argv, g.config);
    if (pm_cli_is_command(cmd))
        return pm_cli_main(&g, argc, argv);
    if (cmd[0] == '-')
        fprintf(stderr, "procmon: unknown option '%s' (see 'procmon --help')\n", cmd);
    else
        fprintf(stderr, "procmon: unknown command '%s' (see 'procmon --help')\n", cmd);
    return 2;
}
