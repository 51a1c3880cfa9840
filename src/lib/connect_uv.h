/* The runtime's one-shot connects (pm_runtime_ops.connect) on libuv: a
 * name looked up off the loop (uv_getaddrinfo), then a TCP connect to its
 * first address; or a connect to a unix socket; then, maybe, a request
 * written and the first line of the answer read.  Each closes once done. */
#ifndef PM_CONNECT_UV_H
#define PM_CONNECT_UV_H

#include "runtime.h"

#include <uv.h>

pm_connect *pm_connect_uv_start(uv_loop_t *loop, const char *target, bool unix_socket,
                                const char *send, size_t send_len, pm_connect_cb cb, void *arg);
void pm_connect_uv_cancel(pm_connect *c);

#endif
