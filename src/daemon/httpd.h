/* An HTTP/1.1 server on the event loop, for supervisord's clients (the
 * XML-RPC interface) beside procmon's own control socket.  libmicrohttpd
 * does the protocol; it runs without threads of its own, driven from the
 * loop by a uv_poll_t on its epoll descriptor and a timer for its
 * timeouts.  The listening socket is the caller's (a unix socket with its
 * mode and owner, or a TCP one): libmicrohttpd only accepts on it. */
#ifndef PM_HTTPD_H
#define PM_HTTPD_H

#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

typedef struct pm_httpd pm_httpd;
typedef struct pm_http_request pm_http_request;

/* Called on the loop's thread once a request and its whole body are in,
 * after authentication.  It answers with pm_http_answer, now or later:
 * until then the connection waits, and the loop goes on. */
typedef void (*pm_http_handler)(void *arg, pm_http_request *req);

typedef struct pm_httpd_config {
    int listen_fd;        /* listening; taken, closed with the server */
    const char *username; /* NULL: no authentication */
    const char *password; /* plain, or "{SHA}" and the SHA-1 of it in hex */
    pm_http_handler handler;
    void *arg;
} pm_httpd_config;

/* The largest request body taken; a larger one is answered 413. */
#define PM_HTTP_MAX_BODY (1024 * 1024)

/* 0, or a negative errno with one line in err. */
int pm_httpd_start(uv_loop_t *loop, const pm_httpd_config *cfg, pm_httpd **out, char *err,
                   size_t errlen);
/* Stops accepting, drops the connections (a request not yet answered is
 * cancelled: see pm_http_on_cancel), and frees the server once its
 * handles have closed. */
void pm_httpd_close(pm_httpd *h);

const char *pm_http_method(const pm_http_request *req);
const char *pm_http_path(const pm_http_request *req);
const char *pm_http_body(const pm_http_request *req, size_t *len);

/* The answer: STATUS with BODY (malloc'd, LEN bytes, taken: freed once
 * sent) of CONTENT_TYPE.  A body that cannot be had (NULL) answers 500. */
void pm_http_answer(pm_http_request *req, unsigned status, const char *content_type, char *body,
                    size_t len);

/* A streamed answer, of no length told beforehand (chunked): `more` is
 * called whenever the client can take more and fills up to max bytes of
 * buf, returning their number; 0 when it has nothing yet (the connection
 * then waits for pm_http_stream_wake), or -1 to end the answer.  A
 * client that does not read is not asked for more.  pm_http_on_done
 * tells when the stream is over. */
typedef ssize_t (*pm_http_more_fn)(void *arg, char *buf, size_t max);
void pm_http_answer_stream(pm_http_request *req, unsigned status, const char *content_type,
                           pm_http_more_fn more, void *arg);
/* A stream that had nothing goes on: `more` is asked again. */
void pm_http_stream_wake(pm_http_request *req);

/* For a request answered later: called if the server closes first, after
 * which the request is gone and must not be answered. */
void pm_http_on_cancel(pm_http_request *req, void (*cancelled)(void *arg), void *arg);

/* Called once the request is over: its answer sent, or its connection
 * gone. */
void pm_http_on_done(pm_http_request *req, void (*finished)(void *arg), void *arg);

#endif
