/* Writing and reading the state file, and telling one process from
 * another that has its pid. */
#include "statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER "procmon-state 1\n"

unsigned long long pm_proc_starttime(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The name in parentheses may hold anything: fields start after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    char state;
    unsigned long long start;
    /* state is field 3, starttime field 22: 18 fields skipped between them */
    if (sscanf(p + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
               &state, &start) != 2)
        return 0;
    return state == 'Z' || state == 'X' ? 0 : start;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

char *pm_state_format(const pm_state_entry *entries, size_t n, size_t *len)
{
    size_t cap = sizeof HEADER;
    for (size_t i = 0; i < n; i++)
        cap += strlen(entries[i].name) + 48;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    size_t used = (size_t)snprintf(text, cap, "%s", HEADER);
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(text + used, cap - used, "%d %llu %s\n", (int)entries[i].pid,
                                 entries[i].start, entries[i].name);
    *len = used;
    return text;
}

int pm_state_write_text(const char *path, const char *text, size_t len)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int r = fd < 0 ? -errno : write_all(fd, text, len);
    if (fd >= 0 && close(fd) < 0 && r == 0)
        r = -errno;
    if (r == 0 && rename(tmp, path) < 0)
        r = -errno;
    if (r < 0 && fd >= 0)
        unlink(tmp);
    return r;
}

void pm_state_entries_free(pm_state_entry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(entries[i].name);
    free(entries);
}

int pm_state_read(const char *path, pm_state_entry **entries, size_t *n)
{
    *entries = NULL;
    *n = 0;
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    char *line = NULL;
    size_t linecap = 0, cap = 0;
    int r = 0;
    bool header = false;
    while (getline(&line, &linecap, f) > 0) {
        if (!header) {
            header = strcmp(line, HEADER) == 0;
            if (!header)
                break; /* not ours, or another version: trust none of it */
            continue;
        }
        int pid, used = 0;
        unsigned long long start;
        if (sscanf(line, "%d %llu %n", &pid, &start, &used) != 2 || used == 0 || pid <= 1)
            continue;
        line[strcspn(line, "\n")] = '\0';
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            pm_state_entry *grown = realloc(*entries, cap * sizeof **entries);
            if (!grown) {
                r = -ENOMEM;
                break;
            }
            *entries = grown;
        }
        char *name = strdup(line + used);
        if (!name) {
            r = -ENOMEM;
            break;
        }
        (*entries)[(*n)++] = (pm_state_entry){pid, start, name};
    }
    free(line);
    fclose(f);
    if (r < 0) {
        pm_state_entries_free(*entries, *n);
        *entries = NULL;
        *n = 0;
    }
    return r;
}
