/* [unix_http_server] and [inet_http_server], as supervisord reads them,
 * with one refusal it does not make: an inet listener on an address others
 * can reach, without a password (supervisord only warns; CVE-2019-12105). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

static const char oom_reason[] = "out of memory";

/* supervisord's octal_type: "0700", "700", "0o700". */
static const char *parse_mode(const char *v, int *out)
{
    const char *p = strncmp(v, "0o", 2) == 0 ? v + 2 : v;
    char *end;
    errno = 0;
    long m = strtol(p, &end, 8);
    if (!*p || *end || errno || m < 0 || m > 07777)
        return "expected an octal mode such as 0700";
    *out = (int)m;
    return NULL;
}

static bool is_number(const char *s)
{
    char *end;
    errno = 0;
    (void)strtol(s, &end, 10);
    return *s && !*end && !errno;
}

/* "user" or "user:group", each a name or a number that exists. */
static const char *check_owner(const char *v)
{
    char *user = strdup(v);
    if (!user)
        return oom_reason;
    char *group = strchr(user, ':');
    if (group)
        *group++ = '\0';
    const char *reason = NULL;
    if (!*user || (group && !*group))
        reason = "expected a user, or user:group";
    else if (!is_number(user) && !getpwnam(user))
        reason = "no such user";
    else if (group && !is_number(group) && !getgrnam(group))
        reason = "no such group";
    free(user);
    return reason;
}

/* supervisord's inet_address: "HOST:PORT", "*:PORT", ":PORT" or "PORT". */
static const char *parse_address(const char *v, pm_http_server *s)
{
    const char *colon = strrchr(v, ':'), *port = colon ? colon + 1 : v;
    char *end;
    errno = 0;
    long n = strtol(port, &end, 10);
    if (!*port || *end || errno || n < 1 || n > 65535)
        return "expected HOST:PORT, *:PORT or PORT, with a port from 1 to 65535";
    size_t hostlen = colon ? (size_t)(colon - v) : 0;
    if (hostlen == 1 && v[0] == '*')
        hostlen = 0;
    if (!(s->host = strndup(v, hostlen)))
        return oom_reason;
    for (char *h = s->host; *h; h++)
        *h = (char)(*h >= 'A' && *h <= 'Z' ? *h - 'A' + 'a' : *h);
    s->port = (int)n;
    return NULL;
}

static bool is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
           strcmp(host, "[::1]") == 0;
}

static void apply_server(loader *ld, const section *sec, char *const *env, pm_http_server *s)
{
    expansions ex = {.host = ld->host, .global_env = env};
    s->set = true;
    s->chmod = 0700;
    const entry *user = NULL, *password = NULL;
    for (size_t i = 0; i < sec->nentries && !ld->failed; i++) {
        const entry *e = &sec->entries[i];
        char *v = pm_cfg_expand(ld, &ex, sec, e);
        if (!v)
            return;
        const char *k = e->key, *reason = NULL;
        char **field = NULL;
        if (strcmp(k, "file") == 0) {
            field = &s->file;
            if (!*v)
                reason = "expected a path";
        } else if (strcmp(k, "chmod") == 0) {
            reason = parse_mode(v, &s->chmod);
        } else if (strcmp(k, "chown") == 0) {
            field = &s->chown;
            reason = check_owner(v);
        } else if (strcmp(k, "port") == 0) {
            free(s->host);
            s->host = NULL;
            reason = parse_address(v, s);
        } else if (strcmp(k, "username") == 0) {
            field = &s->username;
            user = e;
        } else if (strcmp(k, "password") == 0) {
            field = &s->password;
            password = e;
        }
        if (reason == oom_reason) {
            pm_cfg_fail_oom(ld);
        } else if (reason) {
            pm_cfg_fail_value(ld, sec, e, v, "%s", reason);
        } else if (field) {
            free(*field);
            *field = v;
            v = NULL;
        }
        free(v);
    }
    if (ld->failed)
        return;
    if (s->file && s->file[0] != '/') {
        char *abs = pm_cfg_absolute_path(s->file);
        if (!abs) {
            pm_cfg_fail_oom(ld);
            return;
        }
        free(s->file);
        s->file = abs;
    }
    bool inet = sec->kind == SEC_INET_HTTP;
    if (inet ? !s->host : !s->file)
        pm_cfg_fail_at(ld, sec->file, sec->line, "[%s] needs %s", sec->header,
                       inet ? "a port (HOST:PORT)" : "a file (the socket's path)");
    else if ((user != NULL) != (password != NULL))
        pm_cfg_fail_at(ld, sec->file, (user ? user : password)->line,
                       "[%s] sets a %s without a %s: set both, or neither", sec->header,
                       user ? "username" : "password", user ? "password" : "username");
    else if (inet && !s->password && !is_loopback(s->host))
        pm_cfg_fail_at(ld, sec->file, sec->line,
                       "[inet_http_server] listens on %s:%d without a password, and anyone who "
                       "reaches it controls every program: set username and password, or "
                       "port = 127.0.0.1:%d",
                       *s->host ? s->host : "*", s->port, s->port);
}

void pm_cfg_apply_http(loader *ld, pm_config *cfg)
{
    const section *u = pm_cfg_find_section(ld, SEC_UNIX_HTTP), *i = pm_cfg_find_section(ld, SEC_INET_HTTP);
    if (u)
        apply_server(ld, u, cfg->environment, &cfg->unix_http);
    if (i && !ld->failed)
        apply_server(ld, i, cfg->environment, &cfg->inet_http);
}

void pm_http_server_free(pm_http_server *s)
{
    free(s->file);
    free(s->chown);
    free(s->host);
    free(s->username);
    free(s->password);
    *s = (pm_http_server){0};
}
