/* The control commands: `procmon status`, `start`, `stop`, ... talk to a
 * running `procmon run` over its control socket (doc/protocol.md). */
#ifndef PM_CLI_H
#define PM_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* The global options given before the command; NULL when absent. */
typedef struct pm_cli_globals {
    const char *socket; /* -s, --socket PATH */
    const char *config; /* -c, --config FILE: read for its `socket =` */
} pm_cli_globals;

/* Whether name is one of the control commands. */
bool pm_cli_is_command(const char *name);

/* Prints the command's help to out; false when name is not a control command. */
bool pm_cli_help(const char *name, FILE *out);

/* Runs one control command; argv[0] is its name.  Returns the exit status:
 * 0 done, 1 refused or failed, 2 usage error, 3 (status) a process is not
 * running, 4 no daemon answers on the socket. */
int pm_cli_main(const pm_cli_globals *globals, int argc, char **argv);

#endif
