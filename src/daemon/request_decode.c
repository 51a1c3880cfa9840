/* Decoding a control request: JSON, command, field types. */
#include "request_decode.h"

#include "parse.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const cmd_names[] = {
    [PM_CMD_STATUS] = "status", [PM_CMD_START] = "start",   [PM_CMD_STOP] = "stop",
    [PM_CMD_RESTART] = "restart", [PM_CMD_REMOVE] = "remove", [PM_CMD_SIGNAL] = "signal",
    [PM_CMD_ADD] = "add",       [PM_CMD_TAIL] = "tail",     [PM_CMD_RELOAD] = "reload",
    [PM_CMD_REOPEN] = "reopen",
    [PM_CMD_SHUTDOWN] = "shutdown",
};

static bool strings_only(json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v))
            return false;
    }
    return true;
}

/* Absent, or of the type wanted. */
static bool optional(json_t *msg, const char *key, bool (*ok)(const json_t *))
{
    json_t *v = json_object_get(msg, key);
    return !v || ok(v);
}

static bool is_string(const json_t *v) { return json_is_string(v); }
static bool is_boolean(const json_t *v) { return json_is_boolean(v); }
static bool is_count(const json_t *v) { return json_is_integer(v) && json_integer_value(v) >= 0; }

/* Each check answers NULL, or what is wrong (written into err if need be). */
static const char *check_names(json_t *msg, bool required)
{
    json_t *names = json_object_get(msg, "names");
    if (names && (!json_is_array(names) || !strings_only(names)))
        return "\"names\" must be an array of strings";
    if (required && json_array_size(names) == 0)
        return "no process named";
    return NULL;
}

/* status: optional names, and "format" "objects" (the default) or "table". */
static const char *check_status(json_t *msg, char *err, size_t errlen)
{
    json_t *format = json_object_get(msg, "format");
    const char *text = json_string_value(format);
    if (format && !(text && (strcmp(text, "objects") == 0 || strcmp(text, "table") == 0))) {
        char shown[128];
        snprintf(err, errlen, "unknown status format: %s",
                 text ? pm_printable(text, shown, sizeof shown) : "(not a string)");
        return err;
    }
    return check_names(msg, false);
}

static const char *check_signal(json_t *msg, char *err, size_t errlen)
{
    const char *text = json_string_value(json_object_get(msg, "signal"));
    if (!text || !pm_parse_signal(text)) {
        char shown[128];
        snprintf(err, errlen, "unknown signal: %s", text ? pm_printable(text, shown, sizeof shown) : "(none)");
        return err;
    }
    return check_names(msg, true);
}

static const char *check_add(json_t *msg, char *err, size_t errlen)
{
    const char *name = json_string_value(json_object_get(msg, "name"));
    json_t *argv = json_object_get(msg, "argv"), *env = json_object_get(msg, "env");
    if (!name || !json_is_array(argv) || json_array_size(argv) == 0 || (env && !json_is_array(env)))
        return "add needs a name and a command";
    const char *problem = pm_name_problem(name);
    if (problem) {
        char shown[256];
        snprintf(err, errlen, "bad process name '%s': %s", pm_printable(name, shown, sizeof shown), problem);
        return err;
    }
    bool bad = !strings_only(argv) || (env && !strings_only(env));
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v) {
        const char *e = json_string_value(v);
        bad |= !e || !strchr(e, '=') || e[0] == '=';
    }
    if (bad)
        return "add: the command and environment must be strings (KEY=VALUE)";
    if (!optional(msg, "user", is_string) || !optional(msg, "group", is_string) ||
        !optional(msg, "cwd", is_string) || !optional(msg, "clear_env", is_boolean))
        return "add: user, group and cwd must be strings, clear_env true or false";
    return NULL;
}

static const char *check_tail(json_t *msg)
{
    if (!json_is_string(json_object_get(msg, "name")) || !optional(msg, "lines", is_count) ||
        !optional(msg, "follow", is_boolean))
        return "tail needs a name and a number of lines";
    return NULL;
}

static const char *check(pm_cmd cmd, json_t *msg, char *err, size_t errlen)
{
    switch (cmd) {
    case PM_CMD_STATUS:
        return check_status(msg, err, errlen);
    case PM_CMD_START:
    case PM_CMD_STOP:
    case PM_CMD_RESTART:
    case PM_CMD_REMOVE:
        return check_names(msg, true);
    case PM_CMD_SIGNAL:
        return check_signal(msg, err, errlen);
    case PM_CMD_ADD:
        return check_add(msg, err, errlen);
    case PM_CMD_TAIL:
        return check_tail(msg);
    case PM_CMD_RELOAD:
    case PM_CMD_REOPEN:
    case PM_CMD_SHUTDOWN:
        return NULL;
    }
    return "unknown command";
}

int pm_request_decode(const char *line, size_t len, pm_cmd *cmd, json_t **msg, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *name = json_string_value(json_object_get(obj, "cmd"));
    const char *problem = NULL;
    if (!obj || !json_is_object(obj)) {
        char shown[sizeof jerr.text];
        snprintf(err, errlen, "malformed request: %s",
                 obj ? "not a JSON object" : pm_printable(jerr.text, shown, sizeof shown));
    } else if (!name) {
        snprintf(err, errlen, "malformed request: no \"cmd\"");
    } else {
        size_t i = 0;
        while (i < sizeof cmd_names / sizeof *cmd_names && strcmp(cmd_names[i], name) != 0)
            i++;
        if (i == sizeof cmd_names / sizeof *cmd_names) {
            char shown[128];
            snprintf(err, errlen, "unknown command: %s", pm_printable(name, shown, sizeof shown));
        } else if (!(problem = check((pm_cmd)i, obj, err, errlen))) {
            *cmd = (pm_cmd)i;
            *msg = obj;
            return 0;
        } else if (problem != err) {
            snprintf(err, errlen, "%s", problem);
        }
    }
    json_decref(obj);
    return -1;
}
