/* What [supervisord] asks of the supervisor process itself, done at start-up
 * as supervisord does it: resource limits, user, umask, working directory
 * and the pid file. */
#ifndef PM_STARTUP_H
#define PM_STARTUP_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Raises the soft limits to minfds/minprocs (and the hard ones if need be
 * and allowed), switches to cfg->user, sets the umask and changes to
 * cfg->directory, in that order.  0, or -1 with one line in err (no
 * "procmon: " prefix); what was done before the failure stays done, so the
 * caller must then exit. */
int pm_startup_apply(const pm_config *cfg, char *err, size_t errlen);

/* The folder procmon was in before pm_startup_apply changed to
 * cfg->directory, or NULL if it did not: a reload reads relative paths in
 * the config file from there, as the start did (pm_config_load_in). */
const char *pm_startup_folder(void);

/* What `procmon run -c` does once its control socket is bound (the
 * daemon's on_ready), so that a second procmon, refused on that socket,
 * touches neither the first one's pid file nor its AUTO files. */
typedef struct pm_startup_ready {
    const pm_config *cfg;
    const char *pidfile; /* NULL: none */
    bool pid_written;    /* set once written: remove it at exit */
} pm_startup_ready;
/* Writes the pid file, then, unless cfg->nocleanup, removes the AUTO files
 * of earlier runs from cfg->auto_dir (supervisord's start-up cleanup;
 * failures there are warnings on stderr).  0, or -1 with one line in err. */
int pm_startup_on_ready(void *ready, char *err, size_t errlen);

/* Writes "PID\n" to path (created 0644, replaced if there).  0, or -1 with
 * one line in err. */
int pm_pidfile_write(const char *path, char *err, size_t errlen);

/* Removes path if it still holds this process's pid (another procmon may
 * have written its own since). */
void pm_pidfile_remove(const char *path);

/* path made absolute against the current directory, without resolving
 * links; NULL without memory or a current directory.  Free it. */
char *pm_absolute_path(const char *path);

#endif
