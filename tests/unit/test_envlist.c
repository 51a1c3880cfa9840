/* Parsing `environment = KEY="value",KEY2=value2`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "envlist.h"
#include "spec.h"

#define MAX_ITEMS 8

typedef struct env_case {
    const char *text;
    const char *items[MAX_ITEMS]; /* NULL-terminated */
} env_case;

static void assert_env(const char *text, const char *const *expected)
{
    char **env, err[160] = "";
    if (pm_envlist_parse(text, &env, err, sizeof err) != 0)
        fail_msg("parsing <%s>: %s", text, err);
    size_t n = 0;
    for (; expected[n]; n++) {
        if (!env[n])
            fail_msg("parsing <%s>: item %zu missing (expected <%s>)", text, n, expected[n]);
        if (strcmp(env[n], expected[n]) != 0)
            fail_msg("parsing <%s>: item %zu is <%s>, expected <%s>", text, n, env[n], expected[n]);
    }
    if (env[n])
        fail_msg("parsing <%s>: extra item <%s>", text, env[n]);
    pm_strv_free(env);
}

static void test_parse(void **state)
{
    (void)state;
    static const env_case cases[] = {
        {"", {NULL}},
        {"  \t ", {NULL}},
        {"A=1", {"A=1", NULL}},
        {"PORT=\"8000\",MODE=prod", {"PORT=8000", "MODE=prod", NULL}},
        /* commas and blanks inside quotes */
        {"A=\"x, y\",B='p, q',C=r", {"A=x, y", "B=p, q", "C=r", NULL}},
        /* blanks around items, keys, '=' and values are ignored */
        {"  A = 1 ,\tB= \"two words\" ,  C =3  ", {"A=1", "B=two words", "C=3", NULL}},
        /* a newline (from a continuation line) is a blank too */
        {"A=1,\nB=2", {"A=1", "B=2", NULL}},
        /* empty values */
        {"A=,B=\"\",C=''", {"A=", "B=", "C=", NULL}},
        /* escapes inside double quotes; single quotes are literal */
        {"A=\"say \\\"hi\\\"\",B='\\n',C=\"c:\\\\d\",D=\"\\x\"",
         {"A=say \"hi\"", "B=\\n", "C=c:\\d", "D=\\x", NULL}},
        {"A=\"it's\",B='say \"hi\"'", {"A=it's", "B=say \"hi\"", NULL}},
        /* quoted and unquoted parts join */
        {"A=pre\"mid dle\"post", {"A=premid dlepost", NULL}},
        /* unquoted values keep what they have: '=', ':', '/', '%', '\' */
        {"URL=http://x/?a=b,P=/usr/bin:/bin,Q=50%,W=a\\b", {"URL=http://x/?a=b", "P=/usr/bin:/bin", "Q=50%", "W=a\\b", NULL}},
        /* a key given twice: first place, last value */
        {"A=1,B=2,A=3", {"A=3", "B=2", NULL}},
        /* empty items and a trailing comma are skipped */
        {"A=1,,B=2,", {"A=1", "B=2", NULL}},
        {",", {NULL}},
        /* names: letters, digits, '_'; not starting with a digit */
        {"_x=1,lower_Case9=2", {"_x=1", "lower_Case9=2", NULL}},
        /* a key that is a prefix of another is a different key */
        {"AB=1,A=2", {"AB=1", "A=2", NULL}},
        {"UTF='héllo, wörld'", {"UTF=héllo, wörld", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_env(cases[i].text, cases[i].items);
}

static void assert_env_error(const char *text, const char *reason)
{
    char **env = (char **)&env, err[160] = "";
    assert_int_equal(pm_envlist_parse(text, &env, err, sizeof err), -EINVAL);
    assert_null(env);
    assert_string_equal(err, reason);
}

static void test_errors(void **state)
{
    (void)state;
    assert_env_error("1A=x", "'1A' is not a valid variable name");
    assert_env_error("A-B=x", "'A-B' is not a valid variable name");
    assert_env_error("=x", "'' is not a valid variable name");
    assert_env_error("\"A\"=x", "'\"A\"' is not a valid variable name");
    assert_env_error("A", "no '=' after A");
    assert_env_error("A=1,B", "no '=' after B");
    assert_env_error("A B=1", "no '=' after A");
    assert_env_error("A=\"x", "unterminated double quote in the value of A");
    assert_env_error("A=1,B='x", "unterminated single quote in the value of B");
    assert_env_error("A=\"x\\\"", "unterminated double quote in the value of A");
    /* a forgotten comma is not taken as part of the value */
    assert_env_error("A=1 B=2", "a blank in the value of A: quote the value, or separate items with ','");
    assert_env_error("A=hello world", "a blank in the value of A: quote the value, or separate items with ','");
    assert_env_error("A=\"x\" \"y\"", "a blank in the value of A: quote the value, or separate items with ','");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
