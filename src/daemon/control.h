/* The control socket: a Unix stream socket carrying one JSON object per line
 * each way (doc/protocol.md).  This file is the transport: listening, peer
 * credentials, framing, size limits, slow readers.  What a request means is
 * decided by the handler it is given. */
#ifndef PM_CONTROL_H
#define PM_CONTROL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "request_decode.h"

#define PM_CONTROL_MAX_REQUEST (64 * 1024)
#define PM_CONTROL_MAX_BACKLOG (1024 * 1024) /* bytes queued to a follower */

typedef struct pm_control pm_control;
typedef struct pm_request pm_request;

/* Called for each well-formed request (a JSON object); must answer it once
 * with pm_request_answer, now or later.  The connection reads no further
 * request until then. */
typedef void (*pm_request_handler)(void *arg, pm_request *req, pm_cmd cmd, json_t *msg);

/* Listens on path (mode 0600).  A socket file nobody answers on is replaced;
 * one a live procmon answers on is -EADDRINUSE.  Errors come with one line
 * in err. */
int pm_control_listen(uv_loop_t *loop, const char *path, pm_request_handler handler, void *arg,
                      pm_control **out, char *err, size_t errlen);
/* Closes every connection and removes the socket file. */
void pm_control_close(pm_control *ctl);

/* Sends the answer (the reference is taken) and finishes the request.  If
 * the client has gone meanwhile, the answer is dropped. */
void pm_request_answer(pm_request *req, json_t *answer);
/* The same with an answer already encoded (one JSON object, no newline). */
void pm_request_answer_text(pm_request *req, const char *text, size_t len);
/* Sends {"ok":false,"error":"..."} and finishes the request. */
void pm_request_fail(pm_request *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sends the answer and keeps the connection as a follower of `name`'s
 * output (pm_control_follow_line) until the client closes it. */
void pm_request_answer_follow(pm_request *req, json_t *answer, const char *name);

/* One line of `name`'s output, for every connection that follows it.  A
 * follower whose queue is full misses lines and is told how many. */
void pm_control_follow_line(pm_control *ctl, const char *name, json_t *line);
bool pm_control_has_followers(const pm_control *ctl);

#endif
