/* The HTTP listeners of [unix_http_server] and [inet_http_server]: their
 * sockets (a unix socket with its mode and owner, a TCP one on its
 * address), each served by an httpd with the XML-RPC interface. */
#ifndef PM_LISTENERS_H
#define PM_LISTENERS_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "httpd.h"

typedef struct pm_listener pm_listener;

/* Listens as s says, requests going to handler(arg): 0, or a negative
 * errno with one line in err naming the section and the address. */
int pm_listener_start(uv_loop_t *loop, const pm_http_server *s, bool inet, pm_http_handler handler, void *arg,
                      pm_listener **out, char *err, size_t errlen);
/* Stops it (its unix socket's file goes, if it is still ours). */
void pm_listener_close(pm_listener *l);

#endif
