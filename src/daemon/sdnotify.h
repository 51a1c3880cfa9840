/* Telling a service manager about procmon: the sd_notify(3) protocol, one
 * datagram of KEY=VALUE lines to the socket named by $NOTIFY_SOCKET.
 *
 * Our own small sender rather than libsystemd's: the protocol is a
 * sendmsg() on a datagram socket, and procmon then needs no libsystemd at
 * run time (static builds, containers without systemd). */
#ifndef PM_SDNOTIFY_H
#define PM_SDNOTIFY_H

#include <stddef.h>
#include <stdint.h>

typedef struct pm_sdnotify pm_sdnotify;

/* From $NOTIFY_SOCKET ("/path" or "@abstract"), $WATCHDOG_USEC and
 * $WATCHDOG_PID, which are then removed from the environment, so that the
 * programs procmon starts do not talk to procmon's manager.  0 with *out
 * NULL when no manager asked (no $NOTIFY_SOCKET); -errno for a socket that
 * cannot be used, with one line in err. */
int pm_sdnotify_open(pm_sdnotify **out, char *err, size_t errlen);
/* Sends one message ("READY=1\nSTATUS=..."); 0 or -errno. */
int pm_sdnotify_send(pm_sdnotify *n, const char *message);
/* The watchdog period the manager asked of this process, in microseconds;
 * 0 when none (or it was meant for another pid). */
uint64_t pm_sdnotify_watchdog_usec(const pm_sdnotify *n);
void pm_sdnotify_close(pm_sdnotify *n);

#endif
