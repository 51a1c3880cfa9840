/* The `procmon` command: picks the subcommand. */
#include "procmon.h"
#include "run.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: procmon run [OPTIONS] [--name NAME] [CHILD OPTIONS] -- COMMAND [ARG...]\n"
    "       procmon --version | --help | help COMMAND\n"
    "\n"
    "procmon starts, monitors and restarts child processes.\n"
    "Commands:\n"
    "  run     supervise a command in the foreground (procmon help run)\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("procmon %s\n", PM_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(argv[2], "run") == 0) {
            char *help_argv[] = {"run", "--help", NULL};
            return pm_cmd_run(2, help_argv);
        }
        if (argc > 2) {
            fprintf(stderr, "procmon: no such command: %s\n", argv[2]);
            return 2;
        }
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return pm_cmd_run(argc - 1, argv + 1);
    fprintf(stderr, "procmon: unknown command '%s' (see 'procmon --help')\n", cmd);
    return 2;
}
