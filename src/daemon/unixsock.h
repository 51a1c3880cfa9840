/* A listening unix socket for procmon's own clients: a stale file left by
 * a procmon that died is replaced, a live one or a file that is not a
 * socket is not. */
#ifndef PM_UNIXSOCK_H
#define PM_UNIXSOCK_H

#include <stddef.h>

/* Binds and listens on path, created with mode 0600 (no moment where
 * others could connect); the descriptor is non-blocking and close-on-exec.
 * 0, or a negative errno with one line in err (`what` names the socket). */
int pm_unix_listen(const char *path, const char *what, int *out, char *err, size_t errlen);

#endif
