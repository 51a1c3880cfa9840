/* Crash recovery: before starting anything, a daemon stops the process
 * groups that an earlier procmon, killed without stopping them, recorded in
 * its state file and left running. */
#ifndef PM_RECOVER_H
#define PM_RECOVER_H

#include "config.h"
#include "logstream.h"

/* Reads the state file at path, stops what is still running from it (each
 * group with its program's stop signal, SIGKILL after its kill time, else
 * kill_time), logs each step and removes the file.  Blocks until they are
 * gone.  Given the programs, not the daemon's settings: the daemon calls
 * it, so it does not depend on daemon.h. */
void pm_recover(const char *path, const pm_program *programs, size_t nprograms, double kill_time,
                pm_logstream *log);

#endif
