/* Crash recovery: before starting anything, a daemon stops the process
 * groups that an earlier procmon, killed without stopping them, recorded in
 * its state file and left running. */
#ifndef PM_RECOVER_H
#define PM_RECOVER_H

#include "daemon.h"

/* Reads the state file at path, stops what is still running from it (each
 * group with its program's stop signal, SIGKILL after the kill time), logs
 * each step and removes the file.  Blocks until they are gone. */
void pm_recover(const char *path, const pm_daemon_settings *s, pm_logstream *log);

#endif
