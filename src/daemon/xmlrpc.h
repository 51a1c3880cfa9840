/* XML-RPC documents, as supervisord's clients send and expect them
 * (supervisorctl, Python's xmlrpc.client, the deploy tools): a call is read
 * with expat into jansson values, and an answer is written from them.
 *
 * The types map one to one: <int>/<i4>/<i8> to an integer, <boolean> to
 * true or false, <double> to a real, <string> (or a <value> with text
 * only) and <dateTime.iso8601> to a string, <array> to an array, <struct>
 * to an object, <nil/> to null; and back.  <base64> is refused: no method
 * of the API takes one. */
#ifndef PM_XMLRPC_H
#define PM_XMLRPC_H

#include <jansson.h>
#include <stddef.h>

/* A methodCall: 0 with the method's name (malloc'd) and its parameters (an
 * array), or -1 with one line in err saying what is wrong and where.  A
 * document type declaration, nesting deeper than 64 values and invalid
 * XML are refused. */
int pm_xmlrpc_parse_call(const char *body, size_t len, char **method, json_t **params, char *err,
                         size_t errlen);

/* A methodResponse holding `result`, or a fault (`fault`: the struct of
 * faultCode and faultString): the document (malloc'd, *len bytes), NULL
 * without memory.  Strings are written as valid XML whatever they hold: a
 * byte that is not UTF-8, or a control character XML 1.0 cannot carry,
 * becomes U+FFFD. */
char *pm_xmlrpc_response(const json_t *result, size_t *len);
char *pm_xmlrpc_fault(const json_t *fault, size_t *len);

#endif
