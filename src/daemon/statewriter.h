/* Writing the state file off the event loop's thread.  Renaming the new
 * file over the old one makes ext4 flush the new one's data first, which
 * took 3-27 ms each time while 500 programs crash-looped: too long for the
 * loop to wait.  A thread of its own writes it; libuv's thread pool would
 * abort the daemon if its threads could not be made (a process limit).
 * Should no thread be had, the file is written on the caller's thread. */
#ifndef PM_STATEWRITER_H
#define PM_STATEWRITER_H

#include <stddef.h>
#include <uv.h>

typedef struct pm_statewriter pm_statewriter;

/* Called on the loop's thread after a write: 0, or a negative errno. */
typedef void (*pm_statewriter_cb)(void *arg, int result);

/* Starts the thread now, so that it does not compete later with the
 * children for a process limit: 0 or a negative errno. */
int pm_statewriter_new(uv_loop_t *loop, const char *path, pm_statewriter_cb done, void *arg,
                       pm_statewriter **out);

/* Takes TEXT (malloc'd, LEN bytes) to be written; it replaces a text not
 * yet being written, which would be out of date. */
void pm_statewriter_submit(pm_statewriter *w, char *text, size_t len);

/* Waits for the write in progress (none is on its way after this), drops
 * one not yet begun, and frees the writer once its handle has closed. */
void pm_statewriter_close(pm_statewriter *w);

#endif
