/* The HTTP listener of `make static`'s procmon: none.  Debian's
 * libmicrohttpd is built with GnuTLS, whose dependencies (p11-kit,
 * libunistring) have no static library in Debian, so a static procmon
 * cannot link it; [unix_http_server] and [inet_http_server] are refused at
 * start, with the reason. */
#include "httpd.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int pm_httpd_start(uv_loop_t *loop, const pm_httpd_config *cfg, pm_httpd **out, char *err, size_t errlen)
{
    (void)loop, (void)out;
    close(cfg->listen_fd);
    snprintf(err, errlen, "this procmon is the static build, which has no HTTP server: "
                          "[unix_http_server] and [inet_http_server] need the packaged procmon");
    return -ENOTSUP;
}

void pm_httpd_close(pm_httpd *h)
{
    (void)h; /* none is ever started */
}

const char *pm_http_method(const pm_http_request *req)
{
    (void)req;
    return "";
}

const char *pm_http_path(const pm_http_request *req)
{
    (void)req;
    return "";
}

const char *pm_http_body(const pm_http_request *req, size_t *len)
{
    (void)req;
    *len = 0;
    return "";
}

void pm_http_answer(pm_http_request *req, unsigned status, const char *content_type, char *body, size_t len)
{
    (void)req, (void)status, (void)content_type, (void)body, (void)len;
}

void pm_http_on_cancel(pm_http_request *req, void (*cancelled)(void *arg), void *arg)
{
    (void)req, (void)cancelled, (void)arg;
}

void pm_http_on_done(pm_http_request *req, void (*finished)(void *arg), void *arg)
{
    (void)req, (void)finished, (void)arg;
}

void pm_http_answer_stream(pm_http_request *req, unsigned status, const char *content_type, pm_http_more_fn more,
                           void *arg)
{
    (void)req, (void)status, (void)content_type, (void)more, (void)arg;
}

void pm_http_stream_wake(pm_http_request *req)
{
    (void)req;
}
