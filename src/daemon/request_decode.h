/* Decoding one control request (doc/protocol.md): the JSON object, its
 * command and the shape of that command's fields.  Whether the processes
 * it names exist is for the handler to find out. */
#ifndef PM_REQUEST_DECODE_H
#define PM_REQUEST_DECODE_H

#include <jansson.h>
#include <stddef.h>

typedef enum {
    PM_CMD_STATUS, /* this one to PM_CMD_SIGNAL take "names" */
    PM_CMD_START,
    PM_CMD_STOP,
    PM_CMD_RESTART,
    PM_CMD_REMOVE,
    PM_CMD_SIGNAL,
    PM_CMD_ADD,
    PM_CMD_TAIL,
    PM_CMD_RELOAD,
    PM_CMD_REOPEN,
    PM_CMD_SHUTDOWN,
} pm_cmd;

/* One line without its newline.  0 with the command and the object (the
 * caller's to json_decref), or -1 with a one-line error in err.  On
 * success every field the command reads has the type doc/protocol.md
 * gives: "names" an array of strings (not empty where names are required),
 * "format" (status) "objects" or "table", "signal" a known signal, "name"
 * a string (for add, a valid name), "argv" a non-empty array of strings,
 * "env" strings of the form KEY=VALUE, "user"/"group"/"cwd" strings,
 * "lines" a non-negative integer, "follow"/"clear_env" booleans. */
int pm_request_decode(const char *line, size_t len, pm_cmd *cmd, json_t **msg, char *err, size_t errlen);

#endif
