/* Parsing the small values that options, config keys and commands share. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool pm_parse_seconds(const char *text, double *out)
{
    if (!text || !*text || isspace((unsigned char)*text))
        return false;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    /* strtod also takes hex floats, "inf" and "nan": none is a duration. */
    if (errno || *end || !isfinite(v) || v < 0 || strpbrk(text, "xXnN"))
        return false;
    *out = v;
    return true;
}

int pm_parse_signal(const char *text)
{
    if (!text || !*text)
        return 0;
    if (isdigit((unsigned char)*text)) {
        char *end;
        long n = strtol(text, &end, 10);
        return (*end || n < 1 || n >= NSIG) ? 0 : (int)n;
    }
    if (strncasecmp(text, "SIG", 3) == 0)
        text += 3;
    for (int sig = 1; sig < NSIG; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev && strcasecmp(abbrev, text) == 0)
            return sig;
    }
    return 0;
}

const char *pm_signal_name(int sig, char *buf, unsigned len)
{
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev)
        snprintf(buf, len, "SIG%s", abbrev);
    else
        snprintf(buf, len, "signal %d", sig);
    return buf;
}

const char *pm_name_problem(const char *name)
{
    if (!*name)
        return "the name is empty";
    for (const char *p = name; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p) || *p == ':' || *p == '/')
            return "blanks, control characters, ':' and '/' are not allowed";
    return NULL;
}

const char *pm_printable(const char *text, char *buf, unsigned len)
{
    unsigned n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n + 5 < len; p++) {
        if (*p < 0x20 || *p == 0x7f)
            n += (unsigned)snprintf(buf + n, len - n, "\\x%02X", *p);
        else
            buf[n++] = (char)*p;
        if (p[1] && n + 5 >= len) { /* cut: not inside a UTF-8 sequence */
            while (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
                n--;
            if (n > 0 && (unsigned char)buf[n - 1] >= 0xC0)
                n--;
        }
    }
    buf[n] = '\0';
    return buf;
}
