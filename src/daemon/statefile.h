/* The state file: the process groups a running procmon has started, so
 * that a procmon started again after this one was killed (SIGKILL, the OOM
 * killer) can stop what it left behind rather than run every program twice.
 *
 * One line per process, "PID STARTTIME NAME", after a "procmon-state 1"
 * header.  STARTTIME is field 22 of /proc/PID/stat (clock ticks since boot):
 * with it a pid that the kernel has since given to another process is told
 * from the one we started, and is never signalled. */
#ifndef PM_STATEFILE_H
#define PM_STATEFILE_H

#include <stddef.h>
#include <sys/types.h>

typedef struct pm_state_entry {
    pid_t pid;                /* also its process group: every child leads one */
    unsigned long long start; /* 0: unknown */
    char *name;
} pm_state_entry;

/* Field 22 of /proc/PID/stat, or 0 if the process does not exist or is a
 * zombie. */
unsigned long long pm_proc_starttime(pid_t pid);

/* The file's text (malloc'd, *len bytes), or NULL without memory. */
char *pm_state_format(const pm_state_entry *entries, size_t n, size_t *len);

/* Writes PATH.tmp and renames it over PATH, so that a reader sees the old
 * file or the new one: 0 or -errno.  Touches nothing but its arguments
 * and the file system, so that it can run on another thread. */
int pm_state_write_text(const char *path, const char *text, size_t len);

/* Reads PATH: 0 with the entries (free with pm_state_entries_free), or
 * -errno (-ENOENT: none).  Malformed lines are skipped. */
int pm_state_read(const char *path, pm_state_entry **entries, size_t *n);
void pm_state_entries_free(pm_state_entry *entries, size_t n);

#endif
