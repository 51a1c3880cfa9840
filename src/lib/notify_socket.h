/* The socket that children with ready = notify send their sd_notify(3)
 * datagrams to: one per runtime, an abstract unix datagram socket (no
 * file to create or clean up, reachable from any user and any chroot),
 * bound by the kernel to a unique name, with the sender's credentials
 * asked of the kernel for every datagram, never taken from its text. */
#ifndef PM_NOTIFY_SOCKET_H
#define PM_NOTIFY_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

typedef struct pm_notify_socket pm_notify_socket;

/* One datagram from the process `sender` (as the kernel says; 0 when it
 * sent none): true when it was a supervised process's and went to it,
 * false to drop it (and count it). */
typedef bool (*pm_notify_deliver_cb)(void *arg, pid_t sender, const char *text, size_t len);

/* 0 and *out; or a negative errno with one line in err. */
int pm_notify_socket_open(uv_loop_t *loop, pm_notify_deliver_cb deliver, void *arg,
                          pm_notify_socket **out, char *err, size_t errlen);
/* "NOTIFY_SOCKET=@...", for the children's environment. */
const char *pm_notify_socket_env(const pm_notify_socket *ns);
/* Datagrams dropped: from no supervised process, or without credentials. */
unsigned long long pm_notify_socket_dropped(const pm_notify_socket *ns);
/* Closes it; closed(arg) runs once its handle is gone. */
void pm_notify_socket_close(pm_notify_socket *ns, void (*closed)(void *arg), void *arg);

#endif
