/* Splitting commands into words like a POSIX shell, without expansions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shellwords.h"
#include "spec.h"

#define MAX_WORDS 10

typedef struct split_case {
    const char *text;
    const char *words[MAX_WORDS]; /* NULL-terminated */
} split_case;

static void assert_split(const char *text, const char *const *expected)
{
    char **words, err[128] = "";
    int r = pm_shellwords_split(text, &words, err, sizeof err);
    if (r != 0)
        fail_msg("splitting <%s>: %s", text, err);
    size_t n = 0;
    for (; expected[n]; n++) {
        if (!words[n])
            fail_msg("splitting <%s>: word %zu missing (expected <%s>)", text, n, expected[n]);
        if (strcmp(words[n], expected[n]) != 0)
            fail_msg("splitting <%s>: word %zu is <%s>, expected <%s>", text, n, words[n], expected[n]);
    }
    if (words[n])
        fail_msg("splitting <%s>: extra word <%s>", text, words[n]);
    pm_strv_free(words);
}

static void test_split(void **state)
{
    (void)state;
    static const split_case cases[] = {
        {"", {NULL}},
        {"   \t\n ", {NULL}},
        {"ls", {"ls", NULL}},
        {"  /bin/echo   a\tb\nc  ", {"/bin/echo", "a", "b", "c", NULL}},
        /* single quotes: everything literal, backslashes too */
        {"echo 'a b' 'c\\d' '\"'", {"echo", "a b", "c\\d", "\"", NULL}},
        /* double quotes: \" \\ \$ \` are escapes, other backslashes stay */
        {"echo \"a b\" \"q\\\"q\" \"b\\\\s\" \"\\$HOME\" \"\\`x\\`\" \"\\n\\a\"",
         {"echo", "a b", "q\"q", "b\\s", "$HOME", "`x`", "\\n\\a", NULL}},
        {"echo \"it's\" 'say \"hi\"'", {"echo", "it's", "say \"hi\"", NULL}},
        /* backslash outside quotes: the next character, whatever it is */
        {"a\\ b c\\\\d \\'e\\' \\\"f", {"a b", "c\\d", "'e'", "\"f", NULL}},
        /* backslash-newline: a continuation, inside double quotes too */
        {"a\\\nb \"c\\\nd\"", {"ab", "cd", NULL}},
        /* empty arguments */
        {"cmd '' \"\" x", {"cmd", "", "", "x", NULL}},
        {"''", {"", NULL}},
        /* adjacent parts make one word */
        {"a'b c'\"d e\"f\\ g", {"ab cd ef g", NULL}},
        {"--opt='x y'", {"--opt=x y", NULL}},
        /* no expansion, no operators, no comments */
        {"echo $HOME ~ * a;b a|b a&&b #c",
         {"echo", "$HOME", "~", "*", "a;b", "a|b", "a&&b", "#c", NULL}},
        {"sh -c 'echo $1 | tr a b' x", {"sh", "-c", "echo $1 | tr a b", "x", NULL}},
        /* UTF-8 passes through */
        {"echo 'héllo wörld' ünï", {"echo", "héllo wörld", "ünï", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_split(cases[i].text, cases[i].words);
    /* Command substitution is not either. */
    static const char *const more[] = {"echo", "`x`", "$(y)", NULL};
    assert_split("echo `x` $(y)", more);
}

static void assert_split_error(const char *text, const char *reason)
{
    char **words = (char **)&words, err[128] = "";
    assert_int_equal(pm_shellwords_split(text, &words, err, sizeof err), -EINVAL);
    assert_null(words);
    assert_string_equal(err, reason);
}

static void test_errors(void **state)
{
    (void)state;
    assert_split_error("echo 'abc", "unterminated single quote");
    assert_split_error("echo 'a'b'", "unterminated single quote");
    assert_split_error("echo \"abc", "unterminated double quote");
    assert_split_error("echo \"a\\\"", "unterminated double quote");
    assert_split_error("echo abc\\", "backslash at the end");
    assert_split_error("\\", "backslash at the end");
}

static void test_small_error_buffer(void **state)
{
    (void)state;
    char **words, err[6];
    assert_int_equal(pm_shellwords_split("'x", &words, err, sizeof err), -EINVAL);
    assert_string_equal(err, "unter");
    assert_int_equal(pm_shellwords_split("'x", &words, NULL, 0), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_small_error_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
