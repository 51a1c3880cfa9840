/* XML-RPC calls read as Python's xmlrpc.client writes them, bad documents
 * refused with where and why, and answers written as valid XML whatever
 * the strings hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "xmlrpc.h"

static json_t *parse_ok(const char *doc, const char *want_method)
{
    char *method, err[256] = "";
    json_t *params;
    if (pm_xmlrpc_parse_call(doc, strlen(doc), &method, &params, err, sizeof err) != 0)
        fail_msg("refused: %s", err);
    assert_string_equal(method, want_method);
    free(method);
    return params;
}

static void parse_fails(const char *doc, const char *want_err)
{
    char *method = (char *)1, err[256] = "";
    json_t *params = (json_t *)1;
    assert_int_equal(pm_xmlrpc_parse_call(doc, strlen(doc), &method, &params, err, sizeof err), -1);
    assert_null(method);
    assert_null(params);
    if (!strstr(err, want_err))
        fail_msg("error \"%s\" does not say \"%s\"", err, want_err);
}

/* Byte for byte what xmlrpc.client.dumps(("web", True), "supervisor.startProcess") writes. */
static void test_call_as_python_writes_it(void **state)
{
    (void)state;
    json_t *p = parse_ok("<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.startProcess"
                         "</methodName>\n<params>\n<param>\n<value><string>web</string></value>\n"
                         "</param>\n<param>\n<value><boolean>1</boolean></value>\n</param>\n</params>\n"
                         "</methodCall>\n",
                         "supervisor.startProcess");
    assert_int_equal(json_array_size(p), 2);
    assert_string_equal(json_string_value(json_array_get(p, 0)), "web");
    assert_true(json_is_true(json_array_get(p, 1)));
    json_decref(p);
}

static void test_every_type(void **state)
{
    (void)state;
    json_t *p = parse_ok("<methodCall><methodName>system.multicall</methodName><params>"
                         "<param><value><array><data>"
                         "<value><struct><member><name>methodName</name><value>supervisor.getPID</value></member>"
                         "<member><name>params</name><value><array><data/></array></value></member></struct></value>"
                         "<value><i4>-7</i4></value><value><int>2147483648</int></value>"
                         "<value><double>0.5</double></value><value><nil/></value>"
                         "<value><boolean>0</boolean></value><value><string>a &amp; &lt;b&gt;</string></value>"
                         "<value></value><value><dateTime.iso8601>20261208T01:02:03</dateTime.iso8601></value>"
                         "</data></array></value></param></params></methodCall>",
                         "system.multicall");
    json_t *want = json_pack("[[{s:s,s:[]},i,I,f,n,b,s,s,s]]", "methodName", "supervisor.getPID", "params",
                             -7, (json_int_t)2147483648LL, 0.5, 0, "a & <b>", "", "20261208T01:02:03");
    if (!json_equal(p, want)) {
        char *got = json_dumps(p, 0);
        fail_msg("got %s", got);
    }
    json_decref(want);
    json_decref(p);
}

static void test_no_params(void **state)
{
    (void)state;
    json_t *p = parse_ok("<methodCall><methodName>supervisor.getState</methodName></methodCall>",
                         "supervisor.getState");
    assert_int_equal(json_array_size(p), 0);
    json_decref(p);
}

static void test_bad_documents(void **state)
{
    (void)state;
    parse_fails("<methodCall><methodName>x</methodName>", "line 1: no element found");
    parse_fails("<?xml version='1.0'?>\n<!DOCTYPE lol [<!ENTITY a \"aaaa\">]>\n<methodCall/>",
                "line 2: a document type declaration (lol) is not taken");
    parse_fails("<methodResponse/>", "a methodCall was expected, not <methodResponse>");
    parse_fails("<methodCall><methodName>x</methodName><params><param><value><script/></value></param>"
                "</params></methodCall>",
                "unknown element <script>");
    parse_fails("<methodCall><methodName>x</methodName><params><param><value><boolean>yes</boolean>"
                "</value></param></params></methodCall>",
                "a boolean is 0 or 1, not \"yes\"");
    parse_fails("<methodCall><methodName>x</methodName><params><param><value><int>12a</int>"
                "</value></param></params></methodCall>",
                "not an integer: \"12a\"");
    parse_fails("<methodCall><methodName>x</methodName><params><param><value><base64>AA==</base64>"
                "</value></param></params></methodCall>",
                "<base64> values are not taken");
    parse_fails("<methodCall><params/></methodCall>", "no methodName");
    parse_fails("<methodCall><methodName>x</methodName><params><param><value><struct><member>"
                "<value>1</value></member></struct></value></param></params></methodCall>",
                "a struct member without a name");
    parse_fails("<methodCall><methodName>x</methodName><params><param><value><int>1</int><int>2</int>"
                "</value></param></params></methodCall>",
                "<int> outside a value of its own");
}

static void test_depth_limit(void **state)
{
    (void)state;
    char doc[8192] = "<methodCall><methodName>x</methodName><params><param>";
    for (int i = 0; i < 65; i++)
        strcat(doc, "<value><array><data>");
    strcat(doc, "</data></array></value></param></params></methodCall>");
    parse_fails(doc, "values nested deeper than 64");
}

static void test_response(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:s,s:i,s:b,s:[n,f]}", "name", "a&<b>", "pid", 42, "ok", 1, "list", 1.5);
    size_t len;
    char *doc = pm_xmlrpc_response(v, &len);
    assert_non_null(doc);
    assert_int_equal(len, strlen(doc));
    assert_string_equal(doc, "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"
                             "<value><struct><member><name>name</name><value><string>a&amp;&lt;b&gt;"
                             "</string></value></member><member><name>pid</name><value><int>42</int>"
                             "</value></member><member><name>ok</name><value><boolean>1</boolean>"
                             "</value></member><member><name>list</name><value><array><data><value><nil/>"
                             "</value><value><double>1.5</double></value></data></array></value></member>"
                             "</struct></value>\n</param>\n</params>\n</methodResponse>\n");
    free(doc);
    json_decref(v);
}

/* A log's bytes may be anything: what XML cannot carry becomes U+FFFD. */
static void test_response_strings_made_valid(void **state)
{
    (void)state;
    const char raw[] = "ok \xC3\xA9 \x01 \xFF \xED\xA0\x80 \xC0\xAF \xF0\x9F\x98\x80\ttab\r\n";
    json_t *v = json_stringn_nocheck(raw, sizeof raw - 1);
    size_t len;
    char *doc = pm_xmlrpc_response(v, &len);
    assert_non_null(doc);
    const char *want = "<value><string>ok \xC3\xA9 \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
                       "\xEF\xBF\xBD\xEF\xBF\xBD \xF0\x9F\x98\x80\ttab\r\n</string></value>";
    if (!strstr(doc, want))
        fail_msg("got %s", doc);
    free(doc);
    json_decref(v);
}

static void test_fault(void **state)
{
    (void)state;
    size_t len;
    json_t *f = json_pack("{s:i,s:s}", "faultCode", 10, "faultString", "BAD_NAME: no<such>");
    char *doc = pm_xmlrpc_fault(f, &len);
    json_decref(f);
    assert_non_null(doc);
    assert_string_equal(doc, "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct><member>"
                             "<name>faultCode</name><value><int>10</int></value></member><member>"
                             "<name>faultString</name><value><string>BAD_NAME: no&lt;such&gt;</string>"
                             "</value></member></struct></value>\n</fault>\n</methodResponse>\n");
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_as_python_writes_it),
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_no_params),
        cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_response_strings_made_valid),
        cmocka_unit_test(test_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
