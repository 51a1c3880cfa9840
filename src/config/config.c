/* The config file: INI text -> monitor options and program specs.
 *
 * Two passes.  The first reads the file with inih, checks every section and
 * key name and keeps each section's values as text (a repeated section adds
 * to the first, a repeated key replaces its value: the later wins, as with
 * supervisord's configparser in non-strict mode).  Once a file is read, the
 * files its [include] names are read the same way (read_source), as
 * supervisord reads them after the main file; each value remembers its file
 * and line for messages, and its file's folder for %(here)s.  The second
 * pass applies [supervisord] (its environment is seen by everything else),
 * then [procmon], then each program: it expands %(name)s in every value and
 * turns the values into options and specs, once for each process of a
 * numprocs program and once for each [group:x] that lists the program.
 *
 * This file holds the loader (its errors, its lifetime) and the entry
 * points; config_internal.h lists the others.  What inih does with the
 * text, and where the result differs from configparser's: config_read.c.
 */
#include "config_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "spec.h"

/* The folder that relative paths in the file are read against: the one
 * pm_config_load_in was given (procmon's folder at start-up, for a reload
 * after [supervisord] directory moved it), else NULL for the current one.
 * Set for the duration of a load, like inih's settings. */
static const char *relative_base;

char *pm_cfg_absolute_path(const char *v)
{
    if (v[0] == '/')
        return strdup(v);
    char *cwd = relative_base ? NULL : get_current_dir_name(), *full = NULL;
    const char *base = relative_base ? relative_base : cwd;
    if (base && asprintf(&full, "%s%s%s", base, strcmp(base, "/") == 0 ? "" : "/", v) < 0)
        full = NULL;
    free(cwd);
    return full;
}

const char *pm_cfg_skip_blanks(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return s;
}

char *pm_cfg_program_name(const section *sec)
{
    const char *s = pm_cfg_skip_blanks(strchr(sec->header, ':') + 1);
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

section *pm_cfg_find_section(loader *ld, sec_kind kind)
{
    for (size_t i = 0; i < ld->nsecs; i++)
        if (ld->secs[i].kind == kind)
            return &ld->secs[i];
    return NULL;
}

const entry *pm_cfg_find_entry(const section *sec, const char *key)
{
    for (size_t i = 0; i < sec->nentries; i++)
        if (strcmp(sec->entries[i].key, key) == 0)
            return &sec->entries[i];
    return NULL;
}

/* ---- Errors ---- */

static void failv(loader *ld, const char *file, int line, const char *fmt, va_list ap)
{
    if (ld->failed)
        return;
    ld->failed = true;
    int n = line > 0 ? snprintf(ld->err, ld->errlen, "%s:%d: ", file, line)
                     : snprintf(ld->err, ld->errlen, "%s: ", file);
    if (n >= 0 && (size_t)n < ld->errlen)
        vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
}

void pm_cfg_fail(loader *ld, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(ld, ld->path, line, fmt, ap);
    va_end(ap);
}

void pm_cfg_fail_at(loader *ld, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(ld, file, line, fmt, ap);
    va_end(ap);
}

void pm_cfg_fail_oom(loader *ld)
{
    pm_cfg_fail(ld, 0, "out of memory");
}

/* A value fit for a one-line message: control characters escaped, cut short. */
static const char *shown(const char *value, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *p = value; *p && o + 8 < len; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n')
            o += (size_t)snprintf(buf + o, len - o, "\\n");
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
        if (p[1] && o + 8 >= len)
            o += (size_t)snprintf(buf + o, len - o, "...");
    }
    buf[o] = '\0';
    return buf;
}

void pm_cfg_fail_value(loader *ld, const section *sec, const entry *e, const char *value,
                       const char *fmt, ...)
{
    char reason[512], buf[256], rbuf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    /* the reason may quote part of the value (an expansion's name) */
    pm_cfg_fail_at(ld, e->file, e->line, "bad value for %s in [%s]: '%s' (%s)", e->written, sec->header,
                   shown(value, buf, sizeof buf), shown(reason, rbuf, sizeof rbuf));
}

/* ---- Loading ---- */

static void loader_free(loader *ld)
{
    for (size_t i = 0; i < ld->nsecs; i++) {
        section *sec = &ld->secs[i];
        for (size_t j = 0; j < sec->nentries; j++) {
            free(sec->entries[j].key);
            free(sec->entries[j].written);
            free(sec->entries[j].value);
        }
        free(sec->entries);
        for (size_t j = 0; j < sec->nwarned; j++)
            free(sec->warned[j]);
        free(sec->warned);
        free(sec->header);
    }
    free(ld->secs);
    for (size_t i = 0; i < ld->nwarnings; i++)
        free(ld->warnings[i]);
    free(ld->warnings);
    free(ld->raw);
    for (size_t i = 0; i < ld->nsources; i++) {
        free(ld->sources[i]->path);
        free(ld->sources[i]->here);
        free(ld->sources[i]);
    }
    free(ld->sources);
}

static void config_init(pm_config *cfg)
{
    *cfg = (pm_config){.log_format = -1, .log_debug = -1, .log_maxbytes = -1, .log_backups = -1, .umask = -1,
                       .minfds = -1, .minprocs = -1};
    pm_options_init(&cfg->opts);
}

int pm_config_load(const char *path, pm_config *cfg, char *err, size_t errlen)
{
    return pm_config_load_in(path, NULL, cfg, err, errlen);
}

int pm_config_load_in(const char *path, const char *base, pm_config *cfg, char *err, size_t errlen)
{
    config_init(cfg);
    if (errlen)
        err[0] = '\0';
    relative_base = base;
    char *full = NULL;
    if (base && !(full = pm_cfg_absolute_path(path))) {
        snprintf(err, errlen, "%s: out of memory", path);
        relative_base = NULL;
        return -1;
    }
    if (full)
        path = full;
    loader ld = {.path = path, .last = -1, .err = err, .errlen = errlen};
    struct utsname un;
    if (uname(&un) == 0)
        snprintf(ld.host, sizeof ld.host, "%s", un.nodename);
    /* A pass does nothing once an earlier one has failed. */
    pm_cfg_read_files(&ld, path);
    pm_cfg_apply_settings(&ld, cfg);
    pm_cfg_build_programs(&ld, cfg);
    if (!ld.failed) {
        cfg->warnings = ld.warnings;
        cfg->nwarnings = ld.nwarnings;
        ld.warnings = NULL;
        ld.nwarnings = 0;
    }
    loader_free(&ld);
    free(full);
    relative_base = NULL;
    if (ld.failed) {
        pm_config_free(cfg);
        return -1;
    }
    return 0;
}

void pm_config_free(pm_config *cfg)
{
    for (size_t i = 0; i < cfg->nprograms; i++) {
        free(cfg->programs[i].name);
        free(cfg->programs[i].group_name);
        free(cfg->programs[i].file);
        free(cfg->programs[i].out.path);
        free(cfg->programs[i].err.path);
        pm_spec_free(&cfg->programs[i].spec);
    }
    free(cfg->programs);
    for (size_t i = 0; i < cfg->nwarnings; i++)
        free(cfg->warnings[i]);
    free(cfg->warnings);
    free(cfg->socket);
    free(cfg->log_file);
    free(cfg->childlogdir);
    free(cfg->auto_dir);
    pm_strv_free(cfg->environment);
    free(cfg->pidfile);
    free(cfg->directory);
    free(cfg->user);
    free(cfg->identifier);
    pm_http_server_free(&cfg->unix_http);
    pm_http_server_free(&cfg->inet_http);
    config_init(cfg);
}
