/* libFuzzer target: shell-word splitting (`command =`) and the environment
 * list (`environment =`).  The input, cut at its first NUL, goes to both.
 * Success must give a NULL-terminated array of strings; failure must give
 * -EINVAL with a message, or -ENOMEM, and leave *out NULL. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envlist.h"
#include "shellwords.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *what, int rc, char **out, const char *err)
{
    if (rc == 0) {
        if (!out)
            abort();
        size_t n = 0;
        while (out[n]) {
            (void)strlen(out[n]); /* each a readable string (ASan) */
            if (what[0] == 'e' && !strchr(out[n], '=')) {
                fprintf(stderr, "%s: item without '=': %s\n", what, out[n]);
                abort();
            }
            n++;
        }
        pm_strv_free(out);
    } else if (rc == -EINVAL) {
        if (out || err[0] == '\0' || strchr(err, '\n')) {
            fprintf(stderr, "%s: bad error: out %p, err \"%s\"\n", what, (void *)out, err);
            abort();
        }
    } else if (rc != -ENOMEM || out) {
        fprintf(stderr, "%s: unexpected result %d\n", what, rc);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    char err[256];
    char **out = (char **)1; /* must be overwritten */
    err[0] = '\0';
    check("shellwords", pm_shellwords_split(text, &out, err, sizeof err), out, err);

    out = (char **)1;
    err[0] = '\0';
    check("envlist", pm_envlist_parse(text, &out, err, sizeof err), out, err);

    free(text);
    return 0;
}
