/* Reading an XML-RPC call with expat, and writing an answer. */
#include "xmlrpc.h"

#include <errno.h>
#include <expat.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "strbuild.h"

#define MAX_DEPTH 64

/* ---- reading a call ---- */

/* One <value> being read (or, at the bottom, the parameters). */
typedef struct frame {
    json_t *v;   /* what it holds so far: NULL until a typed element */
    char *name;  /* in a struct: the member's name, for the next value */
} frame;

typedef struct reader {
    XML_Parser p;
    char *method;
    bool in_call, seen_name;
    frame stack[MAX_DEPTH + 1]; /* [0]: the parameters' array */
    size_t depth;
    pm_strbuf text; /* character data since the last element began */
    char *err;
    size_t errlen;
    bool failed;
} reader;

static void fail(reader *r, const char *fmt, const char *what)
{
    if (r->failed)
        return;
    r->failed = true;
    char msg[160];
    snprintf(msg, sizeof msg, fmt, what);
    snprintf(r->err, r->errlen, "line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(r->p), msg);
    XML_StopParser(r->p, XML_FALSE);
}

static const char *text_of(reader *r)
{
    return r->text.buf ? r->text.buf : "";
}

static bool is_one_of(const char *name, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(name, *names) == 0)
            return true;
    return false;
}

static const char *const scalars[] = {"int", "i4", "i8", "boolean", "string", "double",
                                      "dateTime.iso8601", "nil", NULL};
static const char *const structure[] = {"methodCall", "methodName", "params", "param", "value",
                                        "struct", "member", "name", "array", "data", NULL};

static void XMLCALL on_start(void *arg, const XML_Char *el, const XML_Char **attrs)
{
    (void)attrs;
    reader *r = arg;
    r->text.len = 0;
    if (r->text.buf)
        r->text.buf[0] = '\0';
    if (!r->in_call) {
        if (strcmp(el, "methodCall") != 0)
            fail(r, "a methodCall was expected, not <%s>", el);
        r->in_call = true;
        return;
    }
    if (strcmp(el, "base64") == 0) {
        fail(r, "<%s> values are not taken by any method", el);
    } else if (!is_one_of(el, scalars) && !is_one_of(el, structure)) {
        fail(r, "unknown element <%s>", el);
    } else if (strcmp(el, "value") == 0) {
        if (r->depth == MAX_DEPTH) {
            fail(r, "values nested deeper than %s", "64");
            return;
        }
        r->stack[++r->depth] = (frame){NULL, NULL};
    } else if (strcmp(el, "struct") == 0 || strcmp(el, "array") == 0) {
        frame *f = &r->stack[r->depth];
        if (r->depth == 0 || f->v)
            fail(r, "<%s> outside a value of its own", el);
        else if (!(f->v = el[0] == 's' ? json_object() : json_array()))
            fail(r, "%s", strerror(ENOMEM));
    }
}

static json_t *scalar(reader *r, const char *el)
{
    const char *t = text_of(r);
    char *end, shown[64]; /* a bad value as one line of the error */
    if (strcmp(el, "string") == 0 || strcmp(el, "dateTime.iso8601") == 0)
        return json_stringn(t, r->text.len);
    if (strcmp(el, "nil") == 0)
        return json_null();
    if (strcmp(el, "boolean") == 0) {
        if (strcmp(t, "0") && strcmp(t, "1")) {
            fail(r, "a boolean is 0 or 1, not \"%s\"", pm_printable(t, shown, sizeof shown));
            return NULL;
        }
        return json_boolean(t[0] == '1');
    }
    errno = 0;
    if (strcmp(el, "double") == 0) {
        double d = strtod(t, &end);
        if (end == t || *end || errno) {
            fail(r, "not a double: \"%s\"", pm_printable(t, shown, sizeof shown));
            return NULL;
        }
        return json_real(d);
    }
    long long i = strtoll(t, &end, 10);
    if (end == t || *end || errno) {
        fail(r, "not an integer: \"%s\"", pm_printable(t, shown, sizeof shown));
        return NULL;
    }
    return json_integer(i);
}

/* A value that has ended goes into what holds it. */
static void attach(reader *r, json_t *v)
{
    frame *into = &r->stack[r->depth];
    int e;
    if (json_is_object(into->v)) {
        if (!into->name) {
            json_decref(v);
            fail(r, "a struct member without a %s", "name");
            return;
        }
        e = json_object_set_new(into->v, into->name, v);
        free(into->name);
        into->name = NULL;
    } else if (json_is_array(into->v)) {
        e = json_array_append_new(into->v, v);
    } else {
        json_decref(v);
        fail(r, "a value in a %s that holds no more", "value");
        return;
    }
    if (e < 0)
        fail(r, "%s", strerror(ENOMEM));
}

static void XMLCALL on_end(void *arg, const XML_Char *el)
{
    reader *r = arg;
    if (r->failed)
        return;
    if (strcmp(el, "methodName") == 0) {
        free(r->method);
        if (!(r->method = strdup(text_of(r))))
            fail(r, "%s", strerror(ENOMEM));
    } else if (strcmp(el, "name") == 0) {
        frame *f = &r->stack[r->depth];
        free(f->name);
        if (!(f->name = strdup(text_of(r))))
            fail(r, "%s", strerror(ENOMEM));
    } else if (is_one_of(el, scalars)) {
        frame *f = &r->stack[r->depth];
        if (r->depth == 0 || f->v) {
            fail(r, "<%s> outside a value of its own", el);
            return;
        }
        if (!(f->v = scalar(r, el)) && !r->failed)
            fail(r, "%s", strerror(ENOMEM));
    } else if (strcmp(el, "value") == 0) {
        frame f = r->stack[r->depth--];
        free(f.name);
        json_t *v = f.v ? f.v : json_stringn(text_of(r), r->text.len); /* text only: a string */
        if (!v)
            fail(r, "%s", strerror(ENOMEM));
        else
            attach(r, v);
    }
    r->text.len = 0;
    if (r->text.buf)
        r->text.buf[0] = '\0';
}

static void XMLCALL on_text(void *arg, const XML_Char *s, int len)
{
    reader *r = arg;
    if (!r->failed && pm_strbuf_add(&r->text, s, (size_t)len) < 0)
        fail(r, "%s", strerror(ENOMEM));
}

static void XMLCALL on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)sysid, (void)pubid, (void)has_internal_subset;
    fail(arg, "a document type declaration (%s) is not taken", name);
}

int pm_xmlrpc_parse_call(const char *body, size_t len, char **method, json_t **params, char *err,
                         size_t errlen)
{
    *method = NULL;
    *params = NULL;
    reader r = {.err = err, .errlen = errlen};
    r.stack[0].v = json_array();
    if (!(r.p = XML_ParserCreate("UTF-8")) || !r.stack[0].v) {
        if (r.p)
            XML_ParserFree(r.p);
        json_decref(r.stack[0].v);
        snprintf(err, errlen, "%s", strerror(ENOMEM));
        return -1;
    }
    XML_SetUserData(r.p, &r);
    XML_SetElementHandler(r.p, on_start, on_end);
    XML_SetCharacterDataHandler(r.p, on_text);
    XML_SetStartDoctypeDeclHandler(r.p, on_doctype);
    bool ok = len <= INT32_MAX && XML_Parse(r.p, body, (int)len, XML_TRUE) == XML_STATUS_OK;
    if (!ok && !r.failed)
        snprintf(err, errlen, "line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(r.p),
                 len > INT32_MAX ? "too long" : XML_ErrorString(XML_GetErrorCode(r.p)));
    if (ok && !r.method) {
        snprintf(err, errlen, "no methodName");
        ok = false;
    }
    for (size_t i = 0; i <= r.depth; i++) { /* what a failure left open; a stray <name> */
        if (i > 0)
            json_decref(r.stack[i].v);
        free(r.stack[i].name);
    }
    XML_ParserFree(r.p);
    free(r.text.buf);
    if (!ok) {
        free(r.method);
        json_decref(r.stack[0].v);
        return -1;
    }
    *method = r.method;
    *params = r.stack[0].v;
    return 0;
}

/* ---- writing an answer ---- */

/* The length of the UTF-8 sequence at s that XML 1.0 can carry, 0 if it
 * cannot (not UTF-8, or a control character other than tab and newlines). */
static size_t xml_char_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return c >= 0x20 || c == '\t' || c == '\n' || c == '\r';
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (len == 0 || len > n)
        return 0;
    uint32_t cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    bool shortest = (len == 3 && cp >= 0x800) || (len == 4 && cp >= 0x10000) || len == 2;
    bool valid = cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF;
    return shortest && valid ? len : 0;
}

static int add_str(pm_strbuf *b, const char *s)
{
    return pm_strbuf_add(b, s, strlen(s));
}

static int add_escaped(pm_strbuf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    int e = 0;
    for (size_t i = 0; i < n && e == 0;) {
        size_t len = xml_char_len(u + i, n - i);
        if (len == 0) {
            e = add_str(b, "\xEF\xBF\xBD"); /* U+FFFD */
            i++;
        } else {
            const char *rep = u[i] == '&' ? "&amp;" : u[i] == '<' ? "&lt;" : u[i] == '>' ? "&gt;" : NULL;
            e = rep ? add_str(b, rep) : pm_strbuf_add(b, s + i, len);
            i += len;
        }
    }
    return e;
}

static int add_value(pm_strbuf *b, const json_t *v, int depth)
{
    char num[64];
    int e = 0;
    if (depth > MAX_DEPTH)
        return -EINVAL;
    e = add_str(b, "<value>");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *m;
        e = e ? e : add_str(b, "<struct>");
        json_object_foreach((json_t *)v, key, m) {
            e = e ? e : add_str(b, "<member><name>");
            e = e ? e : add_escaped(b, key, strlen(key));
            e = e ? e : add_str(b, "</name>");
            e = e ? e : add_value(b, m, depth + 1);
            e = e ? e : add_str(b, "</member>");
        }
        e = e ? e : add_str(b, "</struct>");
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *m;
        e = e ? e : add_str(b, "<array><data>");
        json_array_foreach(v, i, m)
            e = e ? e : add_value(b, m, depth + 1);
        e = e ? e : add_str(b, "</data></array>");
        break;
    }
    case JSON_STRING:
        e = e ? e : add_str(b, "<string>");
        e = e ? e : add_escaped(b, json_string_value(v), json_string_length(v));
        e = e ? e : add_str(b, "</string>");
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "<int>%" JSON_INTEGER_FORMAT "</int>", json_integer_value(v));
        e = e ? e : add_str(b, num);
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "<double>%.17g</double>", json_real_value(v));
        e = e ? e : add_str(b, num);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        e = e ? e : add_str(b, json_is_true(v) ? "<boolean>1</boolean>" : "<boolean>0</boolean>");
        break;
    case JSON_NULL:
        e = e ? e : add_str(b, "<nil/>");
        break;
    }
    return e ? e : add_str(b, "</value>");
}

static char *finish(pm_strbuf *b, int e, size_t *len)
{
    if (e) {
        free(b->buf);
        return NULL;
    }
    *len = b->len;
    return b->buf;
}

char *pm_xmlrpc_response(const json_t *result, size_t *len)
{
    pm_strbuf b = {0};
    int e = add_str(&b, "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n");
    e = e ? e : add_value(&b, result, 0);
    e = e ? e : add_str(&b, "\n</param>\n</params>\n</methodResponse>\n");
    return finish(&b, e, len);
}

char *pm_xmlrpc_fault(const json_t *fault, size_t *len)
{
    pm_strbuf b = {0};
    int e = add_str(&b, "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n");
    e = e ? e : add_value(&b, fault, 0);
    e = e ? e : add_str(&b, "\n</fault>\n</methodResponse>\n");
    return finish(&b, e, len);
}
