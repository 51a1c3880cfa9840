/* libFuzzer target: reading one XML-RPC call as it comes over HTTP.
 * Success must give a method name and an array of parameters, which must
 * then write back as an answer; failure must give one line of error. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmlrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *method = NULL, err[256] = "";
    json_t *params = NULL;
    if (pm_xmlrpc_parse_call((const char *)data, size, &method, &params, err, sizeof err) == 0) {
        if (!method || !json_is_array(params)) {
            fprintf(stderr, "parsed, but without a method or a parameter array\n");
            abort();
        }
        size_t len = 0;
        char *doc = pm_xmlrpc_response(params, &len); /* whatever was read can be answered */
        if (!doc || len == 0) {
            fprintf(stderr, "parsed parameters that cannot be written back\n");
            abort();
        }
        free(doc);
        free(method);
        json_decref(params);
    } else if (err[0] == '\0' || strchr(err, '\n')) {
        fprintf(stderr, "bad error: \"%s\"\n", err);
        abort();
    }
    return 0;
}
