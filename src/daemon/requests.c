/* Answers the control requests of doc/protocol.md with the monitor. */
#include "requests.h"

#include "parse.h"
#include "reload.h"
#include "spec.h"
#include "tailline.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define TAIL_FILE_MAX_BYTES (4 * 1024 * 1024) /* read at most this much of a file for `tail` */

/* ---- names ---- */

typedef struct name_list {
    char **names; /* borrowed from the request or the monitor, valid during the call */
    size_t count;
} name_list;

static void collect_name(void *arg, const pm_status *st)
{
    name_list *l = arg;
    l->names[l->count++] = (char *)st->name;
}

/* "g:*" or "g:" names every member of [group:g], as in supervisorctl:
 * the processes named "g:...", and "g" itself (the config names a member
 * called as its group by the bare name, as supervisord does). */
typedef struct group_match {
    name_list *out;
    const char *prefix; /* "g:" */
    size_t len;
    size_t found;
} group_match;

static bool is_group_pattern(const char *name, size_t *prefix_len)
{
    const char *colon = strchr(name, ':');
    if (!colon || colon == name || (colon[1] && strcmp(colon + 1, "*") != 0))
        return false;
    *prefix_len = (size_t)(colon - name) + 1;
    return true;
}

static void collect_member(void *arg, const pm_status *st)
{
    group_match *m = arg;
    if (strncmp(st->name, m->prefix, m->len - 1) != 0 ||
        (st->name[m->len - 1] != ':' && st->name[m->len - 1] != '\0'))
        return;
    m->found++;
    for (size_t j = 0; j < m->out->count; j++) /* "stop g:* g:a" stops it once */
        if (strcmp(m->out->names[j], st->name) == 0)
            return;
    m->out->names[m->out->count++] = (char *)st->name;
}

/* The request's "names" (decoded: an array of strings), with "all" or
 * none for every process; every name must exist.  0, or -1 after answering
 * req with the error. */
static int resolve_names(pm_daemon *d, pm_request *req, json_t *msg, name_list *out)
{
    json_t *names = json_object_get(msg, "names");
    size_t n = json_array_size(names);
    bool all = n == 0;
    for (size_t i = 0; i < n; i++)
        all |= strcmp(json_string_value(json_array_get(names, i)), "all") == 0;
    bool groups = false;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        groups |= is_group_pattern(json_string_value(json_array_get(names, i)), &len);
    }
    /* a group may hold every process, each may be named once more */
    size_t cap = all ? pm_monitor_count(d->mon) : groups ? pm_monitor_count(d->mon) + n : n;
    out->names = calloc(cap ? cap : 1, sizeof *out->names);
    out->count = 0;
    if (!out->names) {
        pm_request_fail(req, "out of memory");
        return -1;
    }
    if (all) {
        pm_monitor_foreach(d->mon, collect_name, out);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(names, i));
        pm_status st;
        group_match m = {.out = out, .prefix = name};
        if (is_group_pattern(name, &m.len)) {
            pm_monitor_foreach(d->mon, collect_member, &m);
            if (m.found == 0) {
                char shown[256];
                pm_request_fail(req, "no such group: %.*s", (int)(m.len - 1),
                                pm_printable(name, shown, sizeof shown));
                free(out->names);
                return -1;
            }
            continue;
        }
        if (pm_daemon_find(d, name, &st) < 0) {
            char shown[256];
            pm_request_fail(req, "no such process: %s", pm_printable(name, shown, sizeof shown));
            free(out->names);
            return -1;
        }
        bool seen = false; /* "stop web web" stops it once */
        for (size_t j = 0; j < out->count && !seen; j++)
            seen = strcmp(out->names[j], st.name) == 0;
        if (!seen)
            out->names[out->count++] = (char *)st.name;
    }
    return 0;
}

/* ---- status ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "format":"table" (doc/protocol.md): the lines `procmon status` prints,
 * formatted here so that the client decodes a few strings rather than an
 * object a process. */
static int status_table(pm_daemon *d, const name_list *l, pm_strbuf *b)
{
    pm_status *sts = malloc((l->count ? l->count : 1) * sizeof *sts);
    if (!sts)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < l->count; i++)
        if (pm_monitor_status(d->mon, l->names[i], &sts[n]) == 0)
            n++;
    int r = pm_status_table_append(b, d->mon, sts, n);
    free(sts);
    return r;
}

static int status_objects(pm_daemon *d, const name_list *l, pm_strbuf *b)
{
    static const char head[] = "{\"ok\":true,\"processes\":[";
    int r = pm_strbuf_add(b, head, sizeof head - 1);
    for (size_t i = 0, shown = 0; r == 0 && i < l->count; i++) {
        pm_status st;
        if (pm_monitor_status(d->mon, l->names[i], &st) < 0)
            continue;
        pm_procdata fallback = {0}, *pd = st.user_data ? st.user_data : &fallback;
        r = shown++ > 0 ? pm_strbuf_add(b, ",", 1) : 0;
        r = r ? r : pm_status_json_append(b, d->mon, &st, &pd->status, pd->dropped_bytes);
        pm_status_text_free(&fallback.status);
    }
    return r ? r : pm_strbuf_add(b, "]}", 2);
}

static void handle_status(pm_daemon *d, pm_request *req, json_t *msg)
{
    name_list l;
    if (resolve_names(d, req, msg, &l) < 0)
        return;
    qsort(l.names, l.count, sizeof *l.names, by_name);
    const char *format = json_string_value(json_object_get(msg, "format"));
    pm_strbuf b = {0};
    int r = format && strcmp(format, "table") == 0 ? status_table(d, &l, &b)
                                                    : status_objects(d, &l, &b);
    free(l.names);
    if (r < 0)
        pm_request_fail(req, "out of memory");
    else
        pm_request_answer_text(req, b.buf, b.len);
    free(b.buf);
}

/* ---- operations that finish later, by tiers ----
 * Starts go lowest priority first, stops dependents first and then highest
 * priority first; each tier waits for the one before, as at start-up and
 * shutdown.  The answer comes once all are done. */

typedef int (*batch_op)(pm_monitor *mon, const char *name, pm_done_cb done, void *arg);

typedef struct batch_entry {
    char *name;
    int priority;
    size_t rank; /* stops: how many levels of dependents in the batch stop before it */
    const pm_spec *spec; /* while the batch is being set up */
} batch_entry;

typedef struct batch {
    pm_daemon *d;
    pm_request *req;
    batch_op op;
    const char *what;
    batch_entry *entries; /* in the order of their tiers */
    size_t count, next;   /* next: the first entry not yet issued */
    size_t pending;       /* of the current tier */
    int error;
    const char *failed;   /* the entry that failed first */
} batch;

typedef struct batch_item {
    batch *b;
    size_t index;
} batch_item;

static void entries_free(batch_entry *entries, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(entries[i].name);
    free(entries);
}

static void batch_finish(batch *b)
{
    const char *why = b->error == -ECANCELED   ? "another command took over"
                      : b->error == -ECHILD    ? "it ended before it was ready"
                      : b->error == -ETIMEDOUT ? "it was not ready within its ready_timeout"
                      : b->error == -ENOLINK   ? "a dependency it waits for gave up"
                                               : strerror(-b->error);
    if (b->error)
        pm_request_fail(b->req, "cannot %s %s: %s", b->what, b->failed ? b->failed : "?", why);
    else
        pm_request_answer(b->req, json_pack("{sb}", "ok", 1));
    entries_free(b->entries, b->count);
    free(b);
}

static void batch_note(batch *b, int result, const char *name)
{
    if (result < 0 && !b->error) {
        b->error = result;
        b->failed = name;
    }
}

static void item_done(void *arg, int result);

/* Issues the next tiers until one has to be waited for, or all are done. */
static void batch_continue(batch *b)
{
    /* After a failure the later tiers are left alone: the answer is an
     * error, and it may be a shutdown that took over. */
    while (b->next < b->count && !b->error) {
        int tier = b->entries[b->next].priority;
        size_t rank = b->entries[b->next].rank;
        b->pending = 1; /* held while the tier is issued */
        for (; b->next < b->count && b->entries[b->next].priority == tier &&
               b->entries[b->next].rank == rank;
             b->next++) {
            batch_item *it = malloc(sizeof *it);
            if (!it) {
                batch_note(b, -ENOMEM, b->entries[b->next].name);
                continue;
            }
            *it = (batch_item){b, b->next};
            b->pending++;
            int r = b->op(b->d->mon, b->entries[b->next].name, item_done, it);
            if (r < 0)
                item_done(it, r);
        }
        if (--b->pending > 0)
            return; /* item_done goes on once the tier is done */
    }
    batch_finish(b);
}

static void item_done(void *arg, int result)
{
    batch_item *it = arg;
    batch *b = it->b;
    batch_note(b, result, b->entries[it->index].name);
    free(it);
    if (--b->pending == 0)
        batch_continue(b);
}

static int start_op(pm_monitor *mon, const char *name, pm_done_cb done, void *arg)
{
    return pm_monitor_start_notify(mon, name, done, arg);
}

static int lowest_first(const void *a, const void *b)
{
    const batch_entry *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int highest_first(const void *a, const void *b)
{
    const batch_entry *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* For a stop: each entry's rank is one more than that of any entry that
 * depends on it, so that dependents stop first (the config has no cycles;
 * an `add`ed process has no dependencies). */
static void rank_by_dependents(batch_entry *entries, size_t n)
{
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < entries[i].spec->ndepends_on; k++) {
                for (size_t j = 0; j < n; j++) {
                    if (strcmp(entries[j].name, entries[i].spec->depends_on[k].name) == 0 &&
                        entries[j].rank <= entries[i].rank && entries[j].rank < n) {
                        entries[j].rank = entries[i].rank + 1;
                        changed = true;
                    }
                }
            }
        }
    }
}

static void run_batch(pm_daemon *d, pm_request *req, json_t *msg, const char *what, batch_op op,
                      bool stopping)
{
    name_list l;
    if (resolve_names(d, req, msg, &l) < 0)
        return;
    size_t n = l.count;
    batch_entry *entries = calloc(n ? n : 1, sizeof *entries);
    batch *b = malloc(sizeof *b);
    for (size_t i = 0; entries && i < n; i++) {
        pm_status st;
        entries[i].name = strdup(l.names[i]);
        static const pm_spec none = {0};
        bool known = pm_monitor_status(d->mon, l.names[i], &st) == 0;
        entries[i].priority = known ? st.spec->priority : 0;
        entries[i].spec = known ? st.spec : &none;
        if (!entries[i].name) {
            entries_free(entries, i);
            entries = NULL;
        }
    }
    free(l.names);
    if (!entries || !b) {
        if (entries)
            entries_free(entries, n);
        free(b);
        pm_request_fail(req, "out of memory");
        return;
    }
    if (stopping)
        rank_by_dependents(entries, n);
    qsort(entries, n, sizeof *entries, stopping ? highest_first : lowest_first);
    *b = (batch){.d = d, .req = req, .op = op, .what = what, .entries = entries, .count = n};
    batch_continue(b);
}

/* ---- the rest ---- */

static void handle_signal(pm_daemon *d, pm_request *req, json_t *msg)
{
    int sig = pm_parse_signal(json_string_value(json_object_get(msg, "signal")));
    name_list l;
    if (resolve_names(d, req, msg, &l) < 0)
        return;
    const char *failed = NULL;
    int error = 0;
    for (size_t i = 0; i < l.count; i++) {
        int r = pm_monitor_signal(d->mon, l.names[i], sig);
        if (r < 0 && !error) {
            error = r;
            failed = l.names[i];
        }
    }
    if (error == -ESRCH)
        pm_request_fail(req, "process not running: %s", failed);
    else if (error)
        pm_request_fail(req, "cannot signal %s: %s", failed, strerror(-error));
    else
        pm_request_answer(req, json_pack("{sb}", "ok", 1));
    free(l.names);
}

/* A NULL-terminated copy of a JSON array of strings; NULL without memory. */
static char **strv_from_json(json_t *arr, bool *nomem)
{
    size_t n = json_array_size(arr);
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        if (!(v[i] = strdup(json_string_value(json_array_get(arr, i))))) {
            pm_strv_free(v);
            v = NULL;
        }
    }
    *nomem |= !v;
    return v;
}

/* Added, whether it then started or backs off. */
static void add_answer(void *arg, int result)
{
    (void)result;
    pm_request_answer(arg, json_pack("{sb}", "ok", 1));
}

static void handle_add(pm_daemon *d, pm_request *req, json_t *msg)
{
    const char *name = json_string_value(json_object_get(msg, "name"));
    json_t *env = json_object_get(msg, "env");
    pm_spec spec;
    pm_spec_init(&spec);
    bool nomem = false;
    spec.argv = strv_from_json(json_object_get(msg, "argv"), &nomem);
    spec.env = env ? strv_from_json(env, &nomem) : NULL;
    spec.user = (char *)json_string_value(json_object_get(msg, "user"));
    spec.group = (char *)json_string_value(json_object_get(msg, "group"));
    spec.cwd = (char *)json_string_value(json_object_get(msg, "cwd"));
    spec.clear_env = json_is_true(json_object_get(msg, "clear_env"));
    char err[256];
    if (!nomem && pm_spec_check(&spec, err, sizeof err) < 0) {
        pm_strv_free(spec.argv);
        pm_strv_free(spec.env);
        pm_request_fail(req, "cannot add %s: %s", name, err);
        return;
    }
    int r = nomem ? -ENOMEM : pm_daemon_add(d, name, &spec, false, NULL);
    pm_strv_free(spec.argv);
    pm_strv_free(spec.env);
    pm_status st;
    if (r == -EEXIST)
        pm_request_fail(req, "process already exists: %s", name);
    else if (r < 0)
        pm_request_fail(req, "cannot add %s: %s", name, strerror(-r));
    else if (pm_monitor_status(d->mon, name, &st) == 0 && st.state == PM_STATE_STARTING &&
             pm_monitor_start_notify(d->mon, name, add_answer, req) == 0)
        return; /* answered once its spawn is through, as a start would be */
    else
        pm_request_answer(req, json_pack("{sb}", "ok", 1));
}

static void append_line(void *arg, int stream, const char *line, size_t len)
{
    json_t *obj = pm_tail_line_json(stream, line, len);
    if (obj)
        json_array_append_new(arg, obj);
}

typedef struct file_lines {
    json_t *out;
    int stream;
} file_lines;

static void append_file_line(void *arg, const char *line, size_t len)
{
    file_lines *fl = arg;
    append_line(fl->out, fl->stream, line, len);
}

/* The file its lines go to, if any: stdout's, else stderr's. */
static pm_target *file_target(const pm_procdata *pd, int *stream)
{
    *stream = PM_STDOUT;
    if (pd->out_target && pm_target_path(pd->out_target))
        return pd->out_target;
    *stream = PM_STDERR;
    if (!pd->redirect_stderr && pd->err_target && pm_target_path(pd->err_target))
        return pd->err_target;
    return NULL;
}

/* Memory holds fewer lines than asked: the file has more, and what memory
 * holds is in it too (once flushed).  0, or -1 to use the ring. */
static int tail_from_file(pm_daemon *d, pm_procdata *pd, size_t n, json_t *out)
{
    int stream;
    pm_target *t = file_target(pd, &stream);
    if (!t)
        return -1;
    pm_target_flush(t, (double)uv_now(&d->loop) / 1000);
    file_lines fl = {out, stream};
    return pm_file_last_lines(pm_target_path(t), n, TAIL_FILE_MAX_BYTES, append_file_line, &fl) < 0 ? -1 : 0;
}

static void handle_tail(pm_daemon *d, pm_request *req, json_t *msg)
{
    const char *name = json_string_value(json_object_get(msg, "name"));
    json_t *lines = json_object_get(msg, "lines");
    json_int_t n = lines ? json_integer_value(lines) : 10;
    pm_status st;
    if (pm_daemon_find(d, name, &st) < 0) {
        char shown[256];
        pm_request_fail(req, "no such process: %s", pm_printable(name, shown, sizeof shown));
        return;
    }
    json_t *out = json_array();
    pm_procdata *pd = st.user_data;
    size_t held = pd && pd->ring ? pm_ring_count(pd->ring) : 0;
    if (out && pd && held < (size_t)n && tail_from_file(d, pd, (size_t)n, out) == 0)
        ; /* the file's lines */
    else if (out && pd && pd->ring)
        pm_ring_last(pd->ring, (size_t)n, append_line, out);
    json_t *answer = json_pack("{sbso}", "ok", 1, "lines", out ? out : json_array());
    if (json_is_true(json_object_get(msg, "follow")))
        pm_request_answer_follow(req, answer, st.name);
    else
        pm_request_answer(req, answer);
}

void pm_handle_request(void *daemon, pm_request *req, pm_cmd cmd, json_t *msg)
{
    pm_daemon *d = daemon;
    if (d->stopping && cmd != PM_CMD_STATUS && cmd != PM_CMD_SHUTDOWN && cmd != PM_CMD_TAIL) {
        pm_request_fail(req, "procmon is shutting down");
        return;
    }
    switch (cmd) {
    case PM_CMD_STATUS:
        handle_status(d, req, msg);
        break;
    case PM_CMD_START:
        run_batch(d, req, msg, "start", start_op, false);
        break;
    case PM_CMD_STOP:
        run_batch(d, req, msg, "stop", pm_monitor_stop, true);
        break;
    case PM_CMD_RESTART:
        run_batch(d, req, msg, "restart", pm_monitor_restart, false);
        break;
    case PM_CMD_REMOVE:
        run_batch(d, req, msg, "remove", pm_monitor_remove, true);
        break;
    case PM_CMD_SIGNAL:
        handle_signal(d, req, msg);
        break;
    case PM_CMD_ADD:
        handle_add(d, req, msg);
        break;
    case PM_CMD_TAIL:
        handle_tail(d, req, msg);
        break;
    case PM_CMD_RELOAD:
        pm_reload(d, req);
        break;
    case PM_CMD_REOPEN: {
        char err[256];
        if (pm_daemon_reopen(d, err, sizeof err) < 0)
            pm_request_fail(req, "%s", err);
        else
            pm_request_answer(req, json_pack("{sb}", "ok", 1));
        break;
    }
    case PM_CMD_SHUTDOWN:
        pm_daemon_shutdown(d, req);
        break;
    }
}
