/* `procmon run`: the supervisor in the foreground. */
#ifndef PM_RUN_H
#define PM_RUN_H

/* argv[0] is "run"; returns the exit status. */
int pm_cmd_run(int argc, char **argv);

#endif
