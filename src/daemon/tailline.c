/* A line of output as `tail` sends it (tailline.h). */
#include "tailline.h"

#include "logstream.h"
#include "procmon.h"

#include <stdlib.h>

json_t *pm_tail_line_json(int stream, const char *data, size_t len)
{
    size_t n;
    char *text = pm_log_render_utf8(data, len, &n);
    if (!text)
        return NULL;
    json_t *obj = json_pack("{sss s%}", "stream", stream == PM_STDERR ? "stderr" : "stdout",
                            "line", text, n);
    free(text);
    return obj;
}
