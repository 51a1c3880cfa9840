/* libFuzzer target: the config parser.  The input is the whole config file,
 * handed to pm_config_load through a memfd's /proc/self/fd path.  Loading
 * must either succeed or fail with one line that starts with a file name
 * (the input's, or one it includes);
 * either way pm_config_free must leave nothing behind (LeakSanitizer). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_config", 0);
    if (fd < 0)
        abort();
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            abort();
        off += (size_t)n;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    pm_config cfg;
    char err[512];
    memset(err, 0, sizeof err);
    int rc = pm_config_load(path, &cfg, err, sizeof err);
    if (rc == 0) {
        for (size_t i = 0; i < cfg.nprograms; i++)
            if (!cfg.programs[i].name)
                abort();
    } else {
        if (rc != -1)
            abort();
        /* The file named is the main one, or one it includes. */
        if (err[0] != '/' || !strchr(err, ':')) {
            fprintf(stderr, "error does not start with a file name: %s\n", err);
            abort();
        }
        if (strchr(err, '\n')) {
            fprintf(stderr, "error holds a newline: %s\n", err);
            abort();
        }
    }
    pm_config_free(&cfg);
    close(fd);
    return 0;
}
