/* A program that embeds libprocmon: it supervises two children on its own
 * libuv loop and prints what happens to them.
 *
 *     cc embed.c $(pkg-config --cflags --libs procmon libuv) -o embed
 *
 * "greeter" says hello and exits 3, not to be restarted; "sleeper" runs
 * until the greeter's exit, when the program stops the service (the stop
 * signal to the sleeper) and ends. */
#include <procmon.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

typedef struct app {
    pm_monitor *mon;
    uv_loop_t *loop;
    int status; /* the program's exit status */
} app;

static void service_stopped(void *arg, int result)
{
    app *a = arg;
    printf("all stopped (%d)\n", result);
    uv_stop(a->loop);
}

static void on_event(void *arg, const pm_event *ev)
{
    app *a = arg;
    switch (ev->type) {
    case PM_EVENT_START:
        printf("%s: started\n", ev->name);
        break;
    case PM_EVENT_OUTPUT:
        printf("%s: %s: %.*s\n", ev->name, ev->stream == PM_STDOUT ? "stdout" : "stderr", (int)ev->len,
               ev->data);
        break;
    case PM_EVENT_EXIT:
        if (ev->exit_signal)
            printf("%s: killed by signal %d, now %s\n", ev->name, ev->exit_signal, pm_state_name(ev->state));
        else
            printf("%s: exited with status %d, now %s\n", ev->name, ev->exit_status, pm_state_name(ev->state));
        if (strcmp(ev->name, "greeter") == 0)
            pm_monitor_stop_service(a->mon, service_stopped, a);
        break;
    case PM_EVENT_SPAWN_ERROR:
        printf("%s: %s\n", ev->name, ev->message);
        a->status = 1;
        break;
    default:
        break;
    }
    fflush(stdout);
}

static int add(pm_monitor *mon, const char *name, char **argv, pm_autorestart autorestart)
{
    pm_spec spec;
    pm_spec_init(&spec);
    spec.argv = argv;
    spec.autorestart = autorestart;
    /* A one-shot job: no threshold, so that its quick exit counts as a run
     * that started well (else it is a failed start, retried). */
    if (autorestart == PM_AUTORESTART_NEVER)
        spec.threshold = 0;
    spec.kill_time = 2;
    int r = pm_monitor_add(mon, name, &spec);
    if (r < 0)
        fprintf(stderr, "embed: cannot add %s: %s\n", name, strerror(-r));
    return r;
}

int main(void)
{
    printf("libprocmon %s (built against %s)\n", pm_version(), PM_VERSION);
    uv_loop_t *loop = uv_default_loop();
    pm_runtime *rt;
    int r = pm_runtime_uv_new(loop, &rt);
    if (r < 0) {
        fprintf(stderr, "embed: cannot make the runtime: %s\n", uv_strerror(r));
        return 1;
    }
    app a = {.loop = loop};
    pm_options opts;
    pm_options_init(&opts);
    if ((r = pm_monitor_new(rt, &opts, &a.mon)) < 0) {
        fprintf(stderr, "embed: cannot make the monitor: %s\n", strerror(-r));
        return 1;
    }
    pm_monitor_set_event_cb(a.mon, on_event, &a);

    char *greeter[] = {"/bin/sh", "-c", "echo hello; exit 3", NULL};
    char *sleeper[] = {"/bin/sleep", "1000", NULL};
    if (add(a.mon, "sleeper", sleeper, PM_AUTORESTART_ALWAYS) < 0 ||
        add(a.mon, "greeter", greeter, PM_AUTORESTART_NEVER) < 0)
        return 1;
    pm_monitor_start_service(a.mon);
    uv_run(loop, UV_RUN_DEFAULT);

    pm_monitor_free(a.mon);
    pm_runtime_free(rt);
    uv_run(loop, UV_RUN_DEFAULT); /* let the runtime's handles close */
    return a.status;
}
