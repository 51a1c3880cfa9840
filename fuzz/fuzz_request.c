/* libFuzzer target: decoding one control request line.  Success must give
 * a known command and an object whose fields have the types the handlers
 * read without checking; failure must give one line of error. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "request_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what, json_t *msg)
{
    if (ok)
        return;
    char *text = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
    fprintf(stderr, "decoded, but %s: %s\n", what, text ? text : "?");
    abort();
}

static int strings(json_t *arr, int need_equals)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *s = json_string_value(v);
        if (!s || (need_equals && (!strchr(s, '=') || s[0] == '=')))
            return 0;
    }
    return 1;
}

static void check_fields(pm_cmd cmd, json_t *msg)
{
    json_t *names = json_object_get(msg, "names");
    if (cmd <= PM_CMD_SIGNAL) /* the commands that read names */
        require(!names || (json_is_array(names) && strings(names, 0)), "names are not strings", msg);
    if (cmd == PM_CMD_START || cmd == PM_CMD_STOP || cmd == PM_CMD_RESTART || cmd == PM_CMD_REMOVE ||
        cmd == PM_CMD_SIGNAL)
        require(json_array_size(names) > 0, "no names", msg);
    if (cmd == PM_CMD_STATUS) {
        json_t *format = json_object_get(msg, "format");
        const char *f = json_string_value(format);
        require(!format || (f && (strcmp(f, "objects") == 0 || strcmp(f, "table") == 0)),
                "bad format", msg);
    }
    if (cmd == PM_CMD_SIGNAL)
        require(pm_parse_signal(json_string_value(json_object_get(msg, "signal"))) > 0, "bad signal", msg);
    if (cmd == PM_CMD_ADD) {
        const char *name = json_string_value(json_object_get(msg, "name"));
        json_t *argv = json_object_get(msg, "argv"), *env = json_object_get(msg, "env");
        require(name && !pm_name_problem(name), "bad name", msg);
        require(json_is_array(argv) && json_array_size(argv) > 0 && strings(argv, 0), "bad argv", msg);
        require(!env || (json_is_array(env) && strings(env, 1)), "bad env", msg);
    }
    if (cmd == PM_CMD_TAIL) {
        json_t *lines = json_object_get(msg, "lines");
        require(json_is_string(json_object_get(msg, "name")), "no name", msg);
        require(!lines || (json_is_integer(lines) && json_integer_value(lines) >= 0), "bad lines", msg);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pm_cmd cmd;
    json_t *msg = NULL;
    char err[512] = "";
    if (pm_request_decode((const char *)data, size, &cmd, &msg, err, sizeof err) == 0) {
        require(json_is_object(msg) && (unsigned)cmd <= PM_CMD_SHUTDOWN, "not an object", msg);
        check_fields(cmd, msg);
        json_decref(msg);
    } else if (err[0] == '\0' || strchr(err, '\n')) {
        fprintf(stderr, "bad error: \"%s\"\n", err);
        abort();
    }
    return 0;
}
