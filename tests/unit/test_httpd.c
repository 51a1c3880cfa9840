/* The HTTP server on a real loop and a real unix socket: a request and its
 * body reach the handler, basic authentication (plain and {SHA}) lets
 * only the right user in, and an over-size body is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "httpd.h"

typedef struct exchange {
    char path[108];
    char *request;   /* sent as is */
    size_t request_len;
    char answer[4096];
    uv_async_t done;
} exchange;

static void echo(void *arg, pm_http_request *req)
{
    (void)arg;
    size_t len;
    const char *body = pm_http_body(req, &len);
    char *text;
    int n = asprintf(&text, "%s %s %.*s", pm_http_method(req), pm_http_path(req), (int)len, body);
    pm_http_answer(req, 200, "text/plain", n < 0 ? NULL : text, n < 0 ? 0 : (size_t)n);
}

/* Answers 20 ms later, from a timer, as a start that waits for its process would. */
static pm_http_request *held;
static uv_timer_t later;
static pm_httpd *server;
static bool cancelled;

static void answer_now(uv_timer_t *t)
{
    (void)t;
    pm_http_answer(held, 200, "text/plain", strdup("later"), 5);
}

static void answer_later(void *arg, pm_http_request *req)
{
    (void)arg;
    held = req;
    uv_timer_start(&later, answer_now, 20, 0);
}

static void note_cancel(void *arg)
{
    *(bool *)arg = true;
}

static void close_server(uv_timer_t *t)
{
    (void)t;
    pm_httpd_close(server);
    server = NULL;
}

/* Never answers; the server is closed 20 ms later. */
static void never_answer(void *arg, pm_http_request *req)
{
    (void)arg;
    pm_http_on_cancel(req, note_cancel, &cancelled);
    uv_timer_start(&later, close_server, 20, 0);
}

static void *client(void *arg)
{
    exchange *x = arg;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, x->path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        for (size_t off = 0; off < x->request_len;) {
            ssize_t w = write(fd, x->request + off, x->request_len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        size_t got = 0;
        ssize_t r;
        while (got < sizeof x->answer - 1 && (r = read(fd, x->answer + got, sizeof x->answer - 1 - got)) > 0)
            got += (size_t)r;
        x->answer[got] = '\0';
    }
    close(fd);
    uv_async_send(&x->done);
    return NULL;
}

static void stop_loop(uv_async_t *a)
{
    uv_stop(a->loop);
}

/* Sends REQUEST to a server with the given credentials and handler; the
 * answer, status line first. */
static void ask_with(exchange *x, const char *user, const char *password, pm_http_handler handler,
                     const char *request, size_t len)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    snprintf(x->path, sizeof x->path, "/tmp/procmon-test-httpd.%d", (int)getpid());
    unlink(x->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, x->path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 16), 0);
    char err[256];
    pm_httpd_config cfg = {fd, user, password, handler, NULL};
    if (pm_httpd_start(&loop, &cfg, &server, err, sizeof err) != 0)
        fail_msg("%s", err);
    uv_timer_init(&loop, &later);
    x->request = (char *)request;
    x->request_len = len;
    uv_async_init(&loop, &x->done, stop_loop);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, client, x), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    pthread_join(t, NULL);
    pm_httpd_close(server);
    server = NULL;
    uv_close((uv_handle_t *)&x->done, NULL);
    uv_close((uv_handle_t *)&later, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    unlink(x->path);
}

static void ask(exchange *x, const char *user, const char *password, const char *request, size_t len)
{
    ask_with(x, user, password, echo, request, len);
}

static void ask_text(exchange *x, const char *user, const char *password, const char *request)
{
    ask(x, user, password, request, strlen(request));
}

#define POST_HELLO(auth)                                                                            \
    "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\n" auth "Content-Length: 5\r\nConnection: close\r\n\r\nhello"

static void expect_answer(const exchange *x, const char *status_line, const char *body)
{
    if (strncmp(x->answer, status_line, strlen(status_line)) != 0)
        fail_msg("answer: %s", x->answer);
    const char *b = strstr(x->answer, "\r\n\r\n");
    assert_non_null(b);
    if (body)
        assert_string_equal(b + 4, body);
}

static void test_request_reaches_handler(void **state)
{
    (void)state;
    exchange x;
    ask_text(&x, NULL, NULL, POST_HELLO(""));
    expect_answer(&x, "HTTP/1.1 200", "POST /RPC2 hello");
}

static void test_basic_auth(void **state)
{
    (void)state;
    exchange x;
    ask_text(&x, "user", "secret", POST_HELLO(""));
    expect_answer(&x, "HTTP/1.1 401", NULL);
    assert_non_null(strstr(x.answer, "WWW-Authenticate: Basic realm=\"procmon\""));
    /* user:wrong */
    ask_text(&x, "user", "secret", POST_HELLO("Authorization: Basic dXNlcjp3cm9uZw==\r\n"));
    expect_answer(&x, "HTTP/1.1 401", NULL);
    /* user:secret */
    ask_text(&x, "user", "secret", POST_HELLO("Authorization: Basic dXNlcjpzZWNyZXQ=\r\n"));
    expect_answer(&x, "HTTP/1.1 200", "POST /RPC2 hello");
    /* the same, against SHA-1("secret") as supervisord's {SHA} form */
    ask_text(&x, "user", "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4",
             POST_HELLO("Authorization: Basic dXNlcjpzZWNyZXQ=\r\n"));
    expect_answer(&x, "HTTP/1.1 200", "POST /RPC2 hello");
    ask_text(&x, "user", "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4",
             POST_HELLO("Authorization: Basic dXNlcjp3cm9uZw==\r\n"));
    expect_answer(&x, "HTTP/1.1 401", NULL);
}

static void test_body_too_large(void **state)
{
    (void)state;
    size_t n = PM_HTTP_MAX_BODY + 1;
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", n);
    char *req = malloc((size_t)hl + n);
    assert_non_null(req);
    memcpy(req, head, (size_t)hl);
    memset(req + hl, 'a', n);
    exchange x;
    ask(&x, NULL, NULL, req, (size_t)hl + n);
    free(req);
    expect_answer(&x, "HTTP/1.1 413", NULL);
}

static void test_answer_later(void **state)
{
    (void)state;
    exchange x;
    const char *req = POST_HELLO("");
    ask_with(&x, NULL, NULL, answer_later, req, strlen(req));
    expect_answer(&x, "HTTP/1.1 200", "later");
}

static void test_close_cancels_waiting_request(void **state)
{
    (void)state;
    exchange x;
    cancelled = false;
    const char *req = POST_HELLO("");
    ask_with(&x, NULL, NULL, never_answer, req, strlen(req));
    assert_true(cancelled);
    assert_null(strstr(x.answer, "200")); /* the connection was dropped, unanswered */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_reaches_handler),
        cmocka_unit_test(test_basic_auth),
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_answer_later),
        cmocka_unit_test(test_close_cancels_waiting_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
