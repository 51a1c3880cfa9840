/* The control socket's path rules and the private /tmp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockpath.h"

#define OTHER_UID 65534 /* nobody: the non-root rules are tested as this user under root */

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    unsetenv("PROCMON_SOCKET");
    unsetenv("XDG_RUNTIME_DIR");
    strcpy(tmpdir, "/tmp/test_sockpath.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    return chmod(tmpdir, 0755); /* readable after dropping to OTHER_UID */
}

static int teardown(void **state)
{
    (void)state;
    if (geteuid() != getuid() && seteuid(getuid()) < 0)
        return -1;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs the rest of a test as a user other than root: under root, by
 * changing the effective uid (teardown changes it back). */
static void become_non_root(void)
{
    if (geteuid() == 0)
        assert_int_equal(seteuid(OTHER_UID), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void test_explicit_wins(void **state)
{
    (void)state;
    char out[PM_SOCKET_PATH_MAX + 1];
    setenv("PROCMON_SOCKET", "/from/env.sock", 1);
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    assert_int_equal(pm_socket_path("/explicit.sock", "/from/config.sock", out, sizeof out), 0);
    assert_string_equal(out, "/explicit.sock");
}

static void test_env_before_config(void **state)
{
    (void)state;
    char out[PM_SOCKET_PATH_MAX + 1];
    setenv("PROCMON_SOCKET", "/from/env.sock", 1);
    assert_int_equal(pm_socket_path(NULL, "/from/config.sock", out, sizeof out), 0);
    assert_string_equal(out, "/from/env.sock");
}

static void test_config_before_defaults(void **state)
{
    (void)state;
    char out[PM_SOCKET_PATH_MAX + 1];
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    assert_int_equal(pm_socket_path(NULL, "/from/config.sock", out, sizeof out), 0);
    assert_string_equal(out, "/from/config.sock");
    become_non_root();
    assert_int_equal(pm_socket_path(NULL, "/from/config.sock", out, sizeof out), 0);
    assert_string_equal(out, "/from/config.sock");
}

static void test_empty_values_are_unset(void **state)
{
    (void)state;
    char out[PM_SOCKET_PATH_MAX + 1], want[PM_SOCKET_PATH_MAX + 1];
    assert_int_equal(pm_socket_path(NULL, NULL, want, sizeof want), 0);
    setenv("PROCMON_SOCKET", "", 1);
    assert_int_equal(pm_socket_path(NULL, "", out, sizeof out), 0);
    assert_string_equal(out, want);
}

static void test_empty_explicit_is_invalid(void **state)
{
    (void)state;
    char out[PM_SOCKET_PATH_MAX + 1];
    assert_int_equal(pm_socket_path("", NULL, out, sizeof out), -EINVAL);
}

static void test_root_default(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    char out[PM_SOCKET_PATH_MAX + 1];
    setenv("XDG_RUNTIME_DIR", "/run/user/0", 1);
    assert_int_equal(pm_socket_path(NULL, NULL, out, sizeof out), 0);
    assert_string_equal(out, "/run/procmon.sock");
}

static void test_xdg_runtime_dir(void **state)
{
    (void)state;
    become_non_root();
    char out[PM_SOCKET_PATH_MAX + 1];
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    assert_int_equal(pm_socket_path(NULL, NULL, out, sizeof out), 0);
    assert_string_equal(out, "/run/user/1000/procmon.sock");
    setenv("XDG_RUNTIME_DIR", "/run/user/1000//", 1);
    assert_int_equal(pm_socket_path(NULL, NULL, out, sizeof out), 0);
    assert_string_equal(out, "/run/user/1000/procmon.sock");
}

static void test_tmp_default(void **state)
{
    (void)state;
    become_non_root();
    char out[PM_SOCKET_PATH_MAX + 1], want[64];
    snprintf(want, sizeof want, "/tmp/procmon-%u/procmon.sock", (unsigned)geteuid());
    assert_int_equal(pm_socket_path(NULL, NULL, out, sizeof out), 0);
    assert_string_equal(out, want);
    /* Empty or relative XDG_RUNTIME_DIR: ignored, as the XDG spec says. */
    setenv("XDG_RUNTIME_DIR", "", 1);
    assert_int_equal(pm_socket_path(NULL, NULL, out, sizeof out), 0);
    assert_string_equal(out, want);
    setenv("XDG_RUNTIME_DIR", "run/user", 1);
    assert_int_equal(pm_socket_path(NULL, NULL, out, sizeof out), 0);
    assert_string_equal(out, want);
}

static void test_length_limit(void **state)
{
    (void)state;
    char path[200], out[256];
    memset(path, 'a', sizeof path);
    path[0] = '/';
    path[PM_SOCKET_PATH_MAX] = '\0'; /* 107 bytes: fits */
    assert_int_equal(pm_socket_path(path, NULL, out, sizeof out), 0);
    assert_string_equal(out, path);
    path[PM_SOCKET_PATH_MAX] = 'a';
    path[PM_SOCKET_PATH_MAX + 1] = '\0'; /* 108: does not */
    assert_int_equal(pm_socket_path(path, NULL, out, sizeof out), -ENAMETOOLONG);
    assert_int_equal(pm_socket_path(NULL, path, out, sizeof out), -ENAMETOOLONG);
    setenv("PROCMON_SOCKET", path, 1);
    assert_int_equal(pm_socket_path(NULL, NULL, out, sizeof out), -ENAMETOOLONG);
    unsetenv("PROCMON_SOCKET");
    /* Nor does a short path in a too small buffer. */
    assert_int_equal(pm_socket_path("/a/b.sock", NULL, out, 9), -ENAMETOOLONG);
    assert_int_equal(pm_socket_path("/a/b.sock", NULL, out, 10), 0);
}

static void test_xdg_too_long(void **state)
{
    (void)state;
    become_non_root();
    char dir[120], out[256];
    memset(dir, 'd', sizeof dir);
    dir[0] = '/';
    dir[PM_SOCKET_PATH_MAX - 13] = '\0'; /* + "/procmon.sock" = 107 */
    setenv("XDG_RUNTIME_DIR", dir, 1);
    assert_int_equal(pm_socket_path(NULL, NULL, out, sizeof out), 0);
    assert_int_equal(strlen(out), PM_SOCKET_PATH_MAX);
    dir[PM_SOCKET_PATH_MAX - 13] = 'd';
    dir[PM_SOCKET_PATH_MAX - 12] = '\0';
    setenv("XDG_RUNTIME_DIR", dir, 1);
    assert_int_equal(pm_socket_path(NULL, NULL, out, sizeof out), -ENAMETOOLONG);
}

static void test_prepare_other_paths_untouched(void **state)
{
    (void)state;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/sub/procmon.sock", tmpdir);
    assert_int_equal(pm_socket_dir_prepare(path, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/sub", tmpdir);
    struct stat st;
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(pm_socket_dir_prepare("/run/procmon.sock", err, sizeof err), 0);
}

/* The default directory of the (non-root) test user, when it does not exist
 * yet: the tests must not disturb a real one. */
static const char *fresh_default_dir(char *dir, size_t len, char *sock, size_t socklen)
{
    become_non_root();
    snprintf(dir, len, "/tmp/procmon-%u", (unsigned)geteuid());
    snprintf(sock, socklen, "%s/procmon.sock", dir);
    struct stat st;
    if (lstat(dir, &st) == 0)
        return NULL;
    return dir;
}

static void remove_default_dir(const char *dir)
{
    if (rmdir(dir) < 0)
        assert_int_equal(unlink(dir), 0);
}

static void test_prepare_creates_private_dir(void **state)
{
    (void)state;
    char dir[64], sock[96], err[256];
    if (!fresh_default_dir(dir, sizeof dir, sock, sizeof sock))
        skip();
    assert_int_equal(pm_socket_dir_check(sock, err, sizeof err), 0); /* missing: fine */
    mode_t old = umask(0277); /* would leave 0500 */
    int r = pm_socket_dir_prepare(sock, err, sizeof err);
    umask(old);
    struct stat st;
    assert_int_equal(lstat(dir, &st), 0);
    remove_default_dir(dir);
    assert_int_equal(r, 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, geteuid());
}

static void test_prepare_accepts_existing_private_dir(void **state)
{
    (void)state;
    char dir[64], sock[96], err[256];
    if (!fresh_default_dir(dir, sizeof dir, sock, sizeof sock))
        skip();
    assert_int_equal(mkdir(dir, 0700), 0);
    int r1 = pm_socket_dir_prepare(sock, err, sizeof err);
    int r2 = pm_socket_dir_check(sock, err, sizeof err);
    remove_default_dir(dir);
    assert_int_equal(r1, 0);
    assert_int_equal(r2, 0);
}

static void test_prepare_refuses_open_mode(void **state)
{
    (void)state;
    char dir[64], sock[96], err[256];
    if (!fresh_default_dir(dir, sizeof dir, sock, sizeof sock))
        skip();
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    int r1 = pm_socket_dir_prepare(sock, err, sizeof err);
    int r2 = pm_socket_dir_check(sock, err, sizeof err);
    remove_default_dir(dir);
    assert_int_equal(r1, -EPERM);
    assert_int_equal(r2, -EPERM);
    assert_non_null(strstr(err, "mode 0755"));
    assert_non_null(strstr(err, dir));
}

static void test_prepare_refuses_file_and_symlink(void **state)
{
    (void)state;
    char dir[64], sock[96], err[256];
    if (!fresh_default_dir(dir, sizeof dir, sock, sizeof sock))
        skip();
    write_file(dir, "");
    int r = pm_socket_dir_prepare(sock, err, sizeof err);
    remove_default_dir(dir);
    assert_int_equal(r, -ENOTDIR);

    /* A symlink to a private directory of ours is still refused: whoever
     * made the link chose where it points. */
    char target[128];
    snprintf(target, sizeof target, "%s/target", tmpdir);
    if (geteuid() != getuid()) { /* tmpdir belongs to root */
        assert_int_equal(seteuid(0), 0);
        assert_int_equal(chmod(tmpdir, 0777), 0);
        assert_int_equal(seteuid(OTHER_UID), 0);
    }
    assert_int_equal(mkdir(target, 0700), 0);
    assert_int_equal(symlink(target, dir), 0);
    r = pm_socket_dir_prepare(sock, err, sizeof err);
    assert_int_equal(unlink(dir), 0);
    assert_int_equal(rmdir(target), 0);
    assert_int_equal(r, -ENOTDIR);
}

static void test_prepare_refuses_other_owner(void **state)
{
    (void)state;
    if (getuid() != 0)
        skip(); /* needs root to create a directory for another user */
    char dir[64], sock[96], err[256];
    if (!fresh_default_dir(dir, sizeof dir, sock, sizeof sock))
        skip();
    /* Root pre-creates nobody's directory, mode 0700 but owned by root. */
    assert_int_equal(seteuid(0), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(seteuid(OTHER_UID), 0);
    int r = pm_socket_dir_prepare(sock, err, sizeof err);
    assert_int_equal(seteuid(0), 0);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(r, -EPERM);
    assert_non_null(strstr(err, "owner uid 0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_explicit_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_before_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_before_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_values_are_unset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_explicit_is_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xdg_runtime_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmp_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_xdg_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_other_paths_untouched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_creates_private_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_accepts_existing_private_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_refuses_open_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_refuses_file_and_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_refuses_other_owner, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
