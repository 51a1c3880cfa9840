/* `procmon check-config`: what a config file would run, without running it. */
#ifndef PM_CHECKCONFIG_H
#define PM_CHECKCONFIG_H

/* argv[0] is "check-config"; global_config is the -c given before the
 * command, or NULL.  Returns the exit status: 0 the file loads, 2 it does
 * not (or a usage error). */
int pm_cmd_check_config(int argc, char **argv, const char *global_config);

#endif
