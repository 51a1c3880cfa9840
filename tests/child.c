/* A child program for the tests and benchmarks, with one behaviour a mode.
 *
 *   child [--events FILE] MODE [ARGS]
 *     sleep            print "ready" and sleep until a signal ends it
 *     ignore-term      ignore SIGTERM, print "ready", sleep until killed
 *     exit CODE        exit at once with CODE
 *     live MS [CODE]   live MS milliseconds, then exit with CODE (0)
 *     write BYTES LEN  write BYTES bytes of LEN-byte lines to stdout, fast
 *     grandchild FILE  fork a sleeping grandchild, write its pid to FILE, sleep
 *     notify MS [TEXT] after MS milliseconds send TEXT (READY=1) to
 *                      $NOTIFY_SOCKET as sd_notify(3) does, then sleep
 *     ready-fd N MS    after MS milliseconds write a newline to descriptor N, sleep
 *     orphans N        leave N processes orphaned (for the subreaper above),
 *                      each exiting at once; then print "orphaned N", sleep
 *
 * --events FILE appends "start PID T" at start, "notify PID T" just before a
 * notification and "exit PID T" at a normal exit, T in monotonic
 * nanoseconds, so latencies can be measured outside. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *events_path;

static void record(const char *what)
{
    if (!events_path)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char line[96];
    int n = snprintf(line, sizeof line, "%s %d %lld\n", what, (int)getpid(),
                     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    int fd = open(events_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, line, (size_t)n) != n) {
        perror("child: events");
        exit(111);
    }
    close(fd);
}

static void finish(int code)
{
    record("exit");
    exit(code);
}

static void ready(void)
{
    puts("ready");
    fflush(stdout);
}

static void sleep_forever(void)
{
    for (;;)
        pause();
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* sd_notify(3): one datagram to $NOTIFY_SOCKET, "@" meaning abstract. */
static int notify(const char *text)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (!path || !*path || strlen(path) >= sizeof addr.sun_path) {
        fputs("child: no usable NOTIFY_SOCKET\n", stderr);
        return 1;
    }
    memcpy(addr.sun_path, path, strlen(path));
    if (path[0] == '@')
        addr.sun_path[0] = '\0';
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sendto(fd, text, strlen(text), 0, (struct sockaddr *)&addr, len) < 0) {
        perror("child: notify");
        return 1;
    }
    close(fd);
    return 0;
}

static int write_lines(long long total, int len)
{
    if (len < 1 || len > 1 << 20)
        return 2;
    char *block = malloc(1 << 16);
    int per = (1 << 16) / len;
    if (!block || per < 1)
        return 2;
    for (int i = 0; i < per; i++) {
        memset(block + i * len, 'a' + i % 26, (size_t)len - 1);
        block[i * len + len - 1] = '\n';
    }
    long long left = total;
    while (left > 0) {
        size_t n = (size_t)(left < (long long)per * len ? left : (long long)per * len);
        ssize_t w = write(1, block, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            perror("child: write");
            return 1;
        }
        left -= w;
    }
    free(block);
    return 0;
}

/* Leaves n grandchildren orphaned, each exiting at once: the subreaper
 * above must reap them.  A middle process forks up to 100 and exits; the
 * middle ones are reaped here. */
static int make_orphans(long n)
{
    for (long done = 0; done < n;) {
        long batch = n - done < 100 ? n - done : 100;
        pid_t mid = fork();
        if (mid < 0) {
            perror("child: fork");
            return 1;
        }
        if (mid == 0) {
            for (long i = 0; i < batch; i++) {
                pid_t orphan = fork();
                if (orphan < 0)
                    _exit(1);
                if (orphan == 0)
                    _exit(0);
            }
            _exit(0);
        }
        int st;
        while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fputs("child: a middle process failed to fork\n", stderr);
            return 1;
        }
        done += batch;
    }
    printf("orphaned %ld\n", n);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--events") == 0) {
        events_path = argv[i + 1];
        i += 2;
    }
    if (i >= argc) {
        fputs("usage: child [--events FILE] MODE [ARGS]\n", stderr);
        return 2;
    }
    record("start");
    const char *mode = argv[i];
    const char *a1 = i + 1 < argc ? argv[i + 1] : NULL, *a2 = i + 2 < argc ? argv[i + 2] : NULL;
    if (strcmp(mode, "sleep") == 0) {
        ready();
        sleep_forever();
    } else if (strcmp(mode, "ignore-term") == 0) {
        signal(SIGTERM, SIG_IGN);
        ready();
        sleep_forever();
    } else if (strcmp(mode, "exit") == 0 && a1) {
        finish(atoi(a1));
    } else if (strcmp(mode, "live") == 0 && a1) {
        sleep_ms(atol(a1));
        finish(a2 ? atoi(a2) : 0);
    } else if (strcmp(mode, "notify") == 0 && a1) {
        sleep_ms(atol(a1));
        record("notify");
        if (notify(a2 ? a2 : "READY=1") != 0)
            return 1;
        sleep_forever();
    } else if (strcmp(mode, "ready-fd") == 0 && a1 && a2) {
        sleep_ms(atol(a2));
        if (write(atoi(a1), "\n", 1) != 1) {
            perror("child: ready-fd");
            return 1;
        }
        sleep_forever();
    } else if (strcmp(mode, "write") == 0 && a1 && a2) {
        finish(write_lines(atoll(a1), atoi(a2)));
    } else if (strcmp(mode, "orphans") == 0 && a1) {
        if (make_orphans(atol(a1)) != 0)
            return 1;
        sleep_forever();
    } else if (strcmp(mode, "grandchild") == 0 && a1) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("child: fork");
            return 1;
        }
        if (pid == 0)
            sleep_forever();
        FILE *f = fopen(a1, "w");
        if (!f || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f) != 0) {
            perror("child: grandchild pid file");
            return 1;
        }
        ready();
        sleep_forever();
    }
    fprintf(stderr, "child: unknown mode or missing argument: %s\n", mode);
    return 2;
}
