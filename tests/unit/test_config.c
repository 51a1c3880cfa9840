/* The config file: every key, the [procmon] section, each error with its
 * FILE:LINE, supervisord's sections and keys as warnings, numprocs,
 * expansions, what inih makes of the text, and pm_spec_equal.  Each test
 * writes its files into a fresh temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "eventtypes.h"
#include "spec.h"

typedef struct fixture {
    char dir[64];   /* the temporary folder, absolute */
    char path[128]; /* dir/procmon.conf */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/procmon-config-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/procmon.conf", f->dir);
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    chmod(f->dir, 0700);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* Writes the config and loads it; any error fails the test. */
static void load(fixture *f, const char *text, pm_config *cfg)
{
    char err[512] = "";
    write_file(f->path, text);
    if (pm_config_load(f->path, cfg, err, sizeof err) != 0)
        fail_msg("unexpected error: %s", err);
}

static void assert_empty(const pm_config *cfg)
{
    assert_null(cfg->programs);
    assert_int_equal(cfg->nprograms, 0);
    assert_null(cfg->warnings);
    assert_int_equal(cfg->nwarnings, 0);
    assert_null(cfg->socket);
    assert_null(cfg->log_file);
    assert_int_equal(cfg->log_format, -1);
    assert_int_equal(cfg->opts_set, 0);
}

/* Loads `text` from `path`, expecting the error path + suffix. */
static void assert_error_at(const char *path, const char *suffix)
{
    char err[512] = "", expected[768];
    pm_config cfg;
    snprintf(expected, sizeof expected, "%s%s", path, suffix);
    assert_int_equal(pm_config_load(path, &cfg, err, sizeof err), -1);
    assert_string_equal(err, expected);
    assert_empty(&cfg);
    pm_config_free(&cfg); /* harmless on the empty config */
}

/* Writes the config, expecting the error FILE + suffix, e.g. ":3: unknown key ...". */
static void assert_error(fixture *f, const char *text, const char *suffix)
{
    write_file(f->path, text);
    assert_error_at(f->path, suffix);
}

static void assert_warning(const pm_config *cfg, size_t i, const fixture *f, const char *suffix)
{
    char expected[512];
    snprintf(expected, sizeof expected, "%s%s", f->path, suffix);
    assert_true(i < cfg->nwarnings);
    assert_string_equal(cfg->warnings[i], expected);
}

static const pm_program *find_program(const pm_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nprograms; i++)
        if (strcmp(cfg->programs[i].name, name) == 0)
            return &cfg->programs[i];
    fail_msg("no program '%s'", name);
    return NULL;
}

/* A program's environment less supervisord's SUPERVISOR_* variables, which
 * come first (test_supervisor_environment checks them). */
static void assert_env(char **env, const char *const *expected)
{
    static char *none[] = {NULL};
    env = env ? env : none;
    while (*env && strncmp(*env, "SUPERVISOR_", 11) == 0)
        env++;
    size_t n = 0;
    for (; expected[n]; n++) {
        assert_non_null(env[n]);
        assert_string_equal(env[n], expected[n]);
    }
    assert_null(env[n]);
}

static void assert_strv(char **strv, const char *const *expected)
{
    assert_non_null(strv);
    size_t n = 0;
    for (; expected[n]; n++) {
        assert_non_null(strv[n]);
        assert_string_equal(strv[n], expected[n]);
    }
    assert_null(strv[n]);
}

/* ---- Programs ---- */

static void test_minimal_program_has_defaults(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f, "[program:web]\ncommand = /bin/sleep 10\n", &cfg);
    assert_int_equal(cfg.nprograms, 1);
    assert_int_equal(cfg.nwarnings, 0);
    const pm_program *p = &cfg.programs[0];
    assert_string_equal(p->name, "web");
    assert_string_equal(p->file, f->path);
    assert_int_equal(p->line, 1);
    static const char *const argv[] = {"/bin/sleep", "10", NULL};
    assert_strv(p->spec.argv, argv);

    pm_spec expected;
    pm_spec_init(&expected);
    expected.argv = p->spec.argv;
    expected.env = p->spec.env;
    assert_true(pm_spec_equal(&p->spec, &expected));
    static const char *const env[] = {"SUPERVISOR_ENABLED=1", "SUPERVISOR_PROCESS_NAME=web",
                                      "SUPERVISOR_GROUP_NAME=web", NULL};
    assert_strv(p->spec.env, env);
    assert_null(p->spec.cwd);
    assert_int_equal(p->spec.umask, PM_UNSET);
    assert_true(p->spec.signal_group);

    /* And the [procmon] values stay the defaults, marked unset. */
    pm_options defaults;
    pm_options_init(&defaults);
    assert_memory_equal(&cfg.opts, &defaults, sizeof defaults);
    assert_int_equal(cfg.opts_set, 0);
    assert_null(cfg.socket);
    assert_null(cfg.log_file);
    assert_int_equal(cfg.log_format, -1);
    pm_config_free(&cfg);
    assert_empty(&cfg);
}

static void test_every_program_key(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[program:web]\n"
         "command = /usr/bin/python3 -m http.server \"8000\"\n"
         "directory = /srv/www\n"
         "user = root\n"
         "group = root\n"
         "umask = 027\n"
         "environment = PORT=\"8000\",MODE=prod\n"
         "clear_environment = true\n"
         "autostart = false\n"
         "autorestart = unexpected\n"
         "exitcodes = 0, 2,255\n"
         "startsecs = 2.5\n"
         "startretries = 3\n"
         "min_restart_delay = 0.25\n"
         "max_restart_delay = 60\n"
         "stopsignal = INT\n"
         "stopwaitsecs = 7\n"
         "stopasgroup = false\n"
         "killasgroup = false\n"
         "numprocs = 1\n"
         "numprocs_start = 0\n"
         "process_name = %(program_name)s\n"
         "priority = -5\n",
         &cfg);
    assert_int_equal(cfg.nprograms, 1);
    assert_int_equal(cfg.nwarnings, 0);
    const pm_spec *s = &cfg.programs[0].spec;
    assert_string_equal(cfg.programs[0].name, "web");
    static const char *const argv[] = {"/usr/bin/python3", "-m", "http.server", "8000", NULL};
    assert_strv(s->argv, argv);
    assert_string_equal(s->cwd, "/srv/www");
    assert_string_equal(s->user, "root");
    assert_string_equal(s->group, "root");
    assert_int_equal(s->umask, 027);
    static const char *const env[] = {"PORT=8000", "MODE=prod", NULL};
    assert_env(s->env, env);
    assert_true(s->clear_env);
    assert_false(s->autostart);
    assert_int_equal(s->autorestart, PM_AUTORESTART_UNEXPECTED);
    for (int code = 0; code < 256; code++)
        assert_int_equal(pm_spec_exitcode_expected(s, code), code == 0 || code == 2 || code == 255);
    assert_true(s->threshold == 2.5);
    assert_int_equal(s->start_retries, 3);
    assert_true(s->min_restart_delay == 0.25);
    assert_true(s->max_restart_delay == 60);
    assert_int_equal(s->stop_signal, SIGINT);
    assert_true(s->kill_time == 7);
    assert_false(s->signal_group);
    assert_int_equal(s->priority, -5);
    pm_config_free(&cfg);
}

static void test_value_forms(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    /* Booleans as supervisord takes them, in any case. */
    static const struct { const char *text; bool value; } bools[] = {
        {"true", true}, {"TRUE", true}, {"yes", true}, {"Yes", true}, {"on", true}, {"1", true},
        {"false", false}, {"False", false}, {"no", false}, {"NO", false}, {"off", false}, {"0", false},
    };
    for (size_t i = 0; i < sizeof bools / sizeof *bools; i++) {
        char text[256];
        snprintf(text, sizeof text, "[program:a]\ncommand=x\nautostart=%s\nclear_environment=%s\n",
                 bools[i].text, bools[i].text);
        load(f, text, &cfg);
        assert_int_equal(cfg.programs[0].spec.autostart, bools[i].value);
        assert_int_equal(cfg.programs[0].spec.clear_env, bools[i].value);
        pm_config_free(&cfg);
    }
    static const struct { const char *text; pm_autorestart value; } restarts[] = {
        {"true", PM_AUTORESTART_ALWAYS}, {"yes", PM_AUTORESTART_ALWAYS},
        {"unexpected", PM_AUTORESTART_UNEXPECTED}, {"Unexpected", PM_AUTORESTART_UNEXPECTED},
        {"false", PM_AUTORESTART_NEVER}, {"off", PM_AUTORESTART_NEVER},
    };
    for (size_t i = 0; i < sizeof restarts / sizeof *restarts; i++) {
        char text[256];
        snprintf(text, sizeof text, "[program:a]\ncommand=x\nautorestart=%s\n", restarts[i].text);
        load(f, text, &cfg);
        assert_int_equal(cfg.programs[0].spec.autorestart, restarts[i].value);
        pm_config_free(&cfg);
    }
    static const struct { const char *text; int sig; } signals[] = {
        {"TERM", SIGTERM}, {"SIGTERM", SIGTERM}, {"hup", SIGHUP}, {"INT", SIGINT},
        {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SIGUSR2", SIGUSR2}, {"9", SIGKILL},
    };
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++) {
        char text[256];
        snprintf(text, sizeof text, "[program:a]\ncommand=x\nstopsignal=%s\n", signals[i].text);
        load(f, text, &cfg);
        assert_int_equal(cfg.programs[0].spec.stop_signal, signals[i].sig);
        pm_config_free(&cfg);
    }
    static const struct { const char *text; int mask; } umasks[] = {
        {"022", 022}, {"22", 022}, {"0", 0}, {"0777", 0777}, {"0o077", 077},
    };
    for (size_t i = 0; i < sizeof umasks / sizeof *umasks; i++) {
        char text[256];
        snprintf(text, sizeof text, "[program:a]\ncommand=x\numask=%s\n", umasks[i].text);
        load(f, text, &cfg);
        assert_int_equal(cfg.programs[0].spec.umask, umasks[i].mask);
        pm_config_free(&cfg);
    }
    /* Exit codes: an empty list expects none. */
    load(f, "[program:a]\ncommand=x\nexitcodes=\n", &cfg);
    for (int code = 0; code < 256; code++)
        assert_false(pm_spec_exitcode_expected(&cfg.programs[0].spec, code));
    pm_config_free(&cfg);
    /* An empty directory inherits, as in supervisord. */
    load(f, "[program:a]\ncommand=x\ndirectory=\n", &cfg);
    assert_null(cfg.programs[0].spec.cwd);
    pm_config_free(&cfg);
    /* Seconds with decimals; startretries 0; priority with a sign. */
    load(f, "[program:a]\ncommand=x\nstartsecs=0\nstopwaitsecs=0.5\nstartretries=0\npriority=+10\n", &cfg);
    assert_true(cfg.programs[0].spec.threshold == 0);
    assert_true(cfg.programs[0].spec.kill_time == 0.5);
    assert_int_equal(cfg.programs[0].spec.start_retries, 0);
    assert_int_equal(cfg.programs[0].spec.priority, 10);
    pm_config_free(&cfg);
}

static void test_process_group_flags(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    /* killasgroup defaults to stopasgroup, which defaults to true;
     * either one signals the group. */
    static const struct { const char *keys; bool group; } cases[] = {
        {"", true},
        {"stopasgroup=true\n", true},
        {"stopasgroup=false\n", false},
        {"killasgroup=false\n", true},
        {"killasgroup=true\n", true},
        {"stopasgroup=false\nkillasgroup=true\n", true},
        {"stopasgroup=true\nkillasgroup=false\n", true},
        {"stopasgroup=false\nkillasgroup=false\n", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[256];
        snprintf(text, sizeof text, "[program:a]\ncommand=x\n%s", cases[i].keys);
        load(f, text, &cfg);
        if (cfg.programs[0].spec.signal_group != cases[i].group)
            fail_msg("<%s>: signal_group %d", cases[i].keys, cfg.programs[0].spec.signal_group);
        pm_config_free(&cfg);
    }
}

static void test_user_and_group(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[program:byname]\ncommand=x\nuser=root\ngroup=root\n"
         "[program:bynumber]\ncommand=x\nuser=0\ngroup=0\n"
         "[program:nopasswd]\ncommand=x\nuser=54321\ngroup=54321\n",
         &cfg);
    assert_int_equal(cfg.nprograms, 3);
    assert_string_equal(find_program(&cfg, "byname")->spec.user, "root");
    assert_string_equal(find_program(&cfg, "byname")->spec.group, "root");
    assert_string_equal(find_program(&cfg, "bynumber")->spec.user, "0");
    assert_string_equal(find_program(&cfg, "bynumber")->spec.group, "0");
    /* A number needs no passwd entry: containers run arbitrary uids. */
    assert_string_equal(find_program(&cfg, "nopasswd")->spec.user, "54321");
    assert_string_equal(find_program(&cfg, "nopasswd")->spec.group, "54321");
    pm_config_free(&cfg);

    assert_error(f, "[program:a]\ncommand=x\nuser=no_such_user_procmon\n",
                 ":3: bad value for user in [program:a]: 'no_such_user_procmon' (no such user)");
    assert_error(f, "[program:a]\ncommand=x\ngroup=no_such_group_procmon\n",
                 ":3: bad value for group in [program:a]: 'no_such_group_procmon' (no such group)");
    assert_error(f, "[program:a]\ncommand=x\nuser=\n",
                 ":3: bad value for user in [program:a]: '' (expected a user name or number)");
    assert_error(f, "[program:a]\ncommand=x\nuser=99999999999\n",
                 ":3: bad value for user in [program:a]: '99999999999' (expected a user name or number)");
}

static void test_environment(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[program:a]\n"
         "command=x\n"
         "environment = A=\"x, y\", B='p,q' ,C=plain,EMPTY=,D=\"say \\\"hi\\\"\"\n"
         "[program:b]\n"
         "command=x\n"
         "environment=\n"
         "[program:c]\n"
         "command=x\n"
         "clear_environment=yes\n",
         &cfg);
    static const char *const env[] = {"A=x, y", "B=p,q", "C=plain", "EMPTY=", "D=say \"hi\"", NULL};
    assert_env(find_program(&cfg, "a")->spec.env, env);
    assert_false(find_program(&cfg, "a")->spec.clear_env);
    assert_env(find_program(&cfg, "b")->spec.env, (const char *const[]){NULL});
    assert_env(find_program(&cfg, "c")->spec.env, (const char *const[]){NULL});
    assert_true(find_program(&cfg, "c")->spec.clear_env);
    pm_config_free(&cfg);

    assert_error(f, "[program:a]\ncommand=x\nenvironment=1A=x\n",
                 ":3: bad value for environment in [program:a]: '1A=x' ('1A' is not a valid variable name)");
    assert_error(f, "[program:a]\ncommand=x\nenvironment=A=\"x\n",
                 ":3: bad value for environment in [program:a]: 'A=\"x' "
                 "(unterminated double quote in the value of A)");
    assert_error(f, "[program:a]\ncommand=x\nenvironment=A=1 B=2\n",
                 ":3: bad value for environment in [program:a]: 'A=1 B=2' "
                 "(a blank in the value of A: quote the value, or separate items with ',')");
}

static void test_command_words(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f, "[program:a]\ncommand = sh -c 'echo \"$1\" done' '' \"x\\\"y\" a\\ b\n", &cfg);
    static const char *const argv[] = {"sh", "-c", "echo \"$1\" done", "", "x\"y", "a b", NULL};
    assert_strv(cfg.programs[0].spec.argv, argv);
    pm_config_free(&cfg);

    assert_error(f, "[program:a]\ncommand = sh -c 'echo\n",
                 ":2: bad value for command in [program:a]: 'sh -c 'echo' (unterminated single quote)");
    assert_error(f, "[program:a]\ncommand = echo \"x\n",
                 ":2: bad value for command in [program:a]: 'echo \"x' (unterminated double quote)");
    assert_error(f, "[program:a]\ncommand = echo x\\\n",
                 ":2: bad value for command in [program:a]: 'echo x\\' (backslash at the end)");
    assert_error(f, "[program:a]\ncommand =\n",
                 ":2: bad value for command in [program:a]: '' (expected a command)");
    assert_error(f, "[program:a]\ncommand = ''x\n\n[program:b]\ncommand = \"\n",
                 ":5: bad value for command in [program:b]: '\"' (unterminated double quote)");
}

/* ---- [procmon] ---- */

static void test_procmon_section(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[procmon]\n"
         "socket = /run/test.sock\n"
         "log_format = json\n"
         "log_file = -\n"
         "threshold = 0.5\n"
         "kill_time = 3\n"
         "min_restart_delay = 0.25\n"
         "max_restart_delay = 30\n",
         &cfg);
    assert_string_equal(cfg.socket, "/run/test.sock");
    assert_int_equal(cfg.log_format, 1);
    assert_string_equal(cfg.log_file, "-");
    assert_true(cfg.opts.threshold == 0.5);
    assert_true(cfg.opts.kill_time == 3);
    assert_true(cfg.opts.min_restart_delay == 0.25);
    assert_true(cfg.opts.max_restart_delay == 30);
    assert_int_equal(cfg.opts_set, PM_CFG_THRESHOLD | PM_CFG_KILL_TIME | PM_CFG_MIN_DELAY | PM_CFG_MAX_DELAY);
    assert_int_equal(cfg.nprograms, 0);
    pm_config_free(&cfg);

    /* Only what is set is marked set; the rest keeps the defaults. */
    load(f, "[procmon]\nkill_time = 9\nlog_format = TEXT\nlog_file = /var/log/procmon.log\n", &cfg);
    assert_int_equal(cfg.opts_set, PM_CFG_KILL_TIME);
    assert_true(cfg.opts.kill_time == 9);
    assert_true(cfg.opts.threshold == 1);
    assert_true(cfg.opts.min_restart_delay == 1);
    assert_true(cfg.opts.max_restart_delay == 3600);
    assert_int_equal(cfg.log_format, 0);
    assert_string_equal(cfg.log_file, "/var/log/procmon.log");
    assert_null(cfg.socket);
    pm_config_free(&cfg);

    assert_error(f, "[procmon]\nlog_format = xml\n",
                 ":2: bad value for log_format in [procmon]: 'xml' (expected text or json)");
    assert_error(f, "[procmon]\nthreshold = soon\n",
                 ":2: bad value for threshold in [procmon]: 'soon' (expected seconds, such as 5 or 0.25)");
    assert_error(f, "[procmon]\nkill_time = -1\n",
                 ":2: bad value for kill_time in [procmon]: '-1' (expected seconds, such as 5 or 0.25)");
    assert_error(f, "[procmon]\nmin_restart_delay = 1s\n",
                 ":2: bad value for min_restart_delay in [procmon]: '1s' (expected seconds, such as 5 or 0.25)");
    assert_error(f, "[procmon]\nmax_restart_delay = inf\n",
                 ":2: bad value for max_restart_delay in [procmon]: 'inf' (expected seconds, such as 5 or 0.25)");
    assert_error(f, "[procmon]\nsocket =\n", ":2: bad value for socket in [procmon]: '' (expected a path)");
    assert_error(f, "[procmon]\nlog_file =\n", ":2: bad value for log_file in [procmon]: '' (expected a path)");
    assert_error(f, "[procmon]\nsockets = /x\n", ":2: unknown key 'sockets' in [procmon]");
    /* Program keys do not belong in [procmon]. */
    assert_error(f, "[procmon]\ncommand = /x\n", ":2: unknown key 'command' in [procmon]");
}

/* ---- Errors ---- */

static void test_bad_values(void **state)
{
    fixture *f = *state;
    static const struct { const char *key, *value, *reason; } cases[] = {
        {"startretries", "many", "expected a whole number, 0 or more"},
        {"startretries", "-1", "expected a whole number, 0 or more"},
        {"startretries", "1.5", "expected a whole number, 0 or more"},
        {"startretries", "99999999999", "expected a whole number, 0 or more"},
        {"autostart", "maybe", "expected true or false"},
        {"clear_environment", "2", "expected true or false"},
        {"stopasgroup", "", "expected true or false"},
        {"killasgroup", "y", "expected true or false"},
        {"autorestart", "sometimes", "expected true, unexpected or false"},
        {"exitcodes", "256", "expected exit codes from 0 to 255, separated by commas"},
        {"exitcodes", "-1", "expected exit codes from 0 to 255, separated by commas"},
        {"exitcodes", "0,,2", "expected exit codes from 0 to 255, separated by commas"},
        {"exitcodes", "0,", "expected exit codes from 0 to 255, separated by commas"},
        {"exitcodes", "0 2", "expected exit codes from 0 to 255, separated by commas"},
        {"exitcodes", "one", "expected exit codes from 0 to 255, separated by commas"},
        {"startsecs", "1m", "expected seconds, such as 5 or 0.25"},
        {"stopwaitsecs", "-2", "expected seconds, such as 5 or 0.25"},
        {"min_restart_delay", "nan", "expected seconds, such as 5 or 0.25"},
        {"max_restart_delay", "", "expected seconds, such as 5 or 0.25"},
        {"stopsignal", "TERMINATE", "expected a signal such as TERM, HUP, INT, QUIT, KILL, USR1 or USR2"},
        {"stopsignal", "0", "expected a signal such as TERM, HUP, INT, QUIT, KILL, USR1 or USR2"},
        {"umask", "089", "expected an octal number such as 022"},
        {"umask", "", "expected an octal number such as 022"},
        {"umask", "01000", "expected an octal number from 0 to 777"},
        {"priority", "high", "expected a whole number"},
        {"numprocs", "0", "expected a whole number, 1 or more"},
        {"numprocs", "two", "expected a whole number, 1 or more"},
        {"numprocs_start", "-1", "expected a whole number, 0 or more"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[256], suffix[512];
        snprintf(text, sizeof text, "[program:web]\ncommand=/bin/true\n%s = %s\n", cases[i].key, cases[i].value);
        snprintf(suffix, sizeof suffix, ":3: bad value for %s in [program:web]: '%s' (%s)", cases[i].key,
                 cases[i].value, cases[i].reason);
        assert_error(f, text, suffix);
    }
    /* The key as written, in any case. */
    assert_error(f, "[program:web]\ncommand=x\nStartRetries = many\n",
                 ":3: bad value for StartRetries in [program:web]: 'many' (expected a whole number, 0 or more)");
    /* min above max, both in the section. */
    assert_error(f, "[program:web]\ncommand=x\nmax_restart_delay=1\nmin_restart_delay=2\n",
                 ":3: bad value for max_restart_delay in [program:web]: '1' (less than min_restart_delay)");
    /* A multi-line value shows its line breaks. */
    assert_error(f, "[program:web]\ncommand=x\nstartretries=1\n  2\n",
                 ":3: bad value for startretries in [program:web]: '1\\n2' (expected a whole number, 0 or more)");
}

static void test_errors(void **state)
{
    fixture *f = *state;
    assert_error(f, "[program:web]\ncomand = /bin/true\n", ":2: unknown key 'comand' in [program:web]");
    assert_error(f, "[program:web]\ncommand = /bin/true\n\n[programme:db]\ncommand = x\n",
                 ":4: unknown section [programme:db]");
    assert_error(f, "[Program:web]\ncommand = x\n", ":1: unknown section [Program:web]");
    assert_error(f, "[program:web]\ncommand=x\n[program:empty]\n\n; nothing here\n[program:z]\ncommand=y\n",
                 ":3: [program:empty] has no command");
    /* A section without keys is still seen (inih itself reports none). */
    assert_error(f, "[program:web]\n", ":1: [program:web] has no command");
    assert_error(f, "[program:web]\ncommand=x\n\n[program:]\ncommand=y\n", ":4: empty program name in [program:]");
    assert_error(f, "[program:  ]\ncommand=y\n", ":1: empty program name in [program:  ]");
    assert_error(f, "[program:a b]\ncommand=y\n",
                 ":1: bad program name 'a b' in [program:a b]: blanks, control characters, ':' and '/' are not allowed");
    assert_error(f, "[program:a:b]\ncommand=y\n",
                 ":1: bad program name 'a:b' in [program:a:b]: blanks, control characters, ':' and '/' are not allowed");
    assert_error(f, "[program:a/b]\ncommand=y\n",
                 ":1: bad program name 'a/b' in [program:a/b]: blanks, control characters, ':' and '/' are not allowed");
    assert_error(f, "command = x\n[program:a]\ncommand=y\n", ":1: 'command' is outside any section");
    assert_error(f, "[program:a]\ncommand=x\njust some words\n",
                 ":3: expected 'key = value', '[section]' or a comment");
    assert_error(f, "[program:a]\ncommand=x\n[program:b\ncommand=y\n",
                 ":3: no ']' at the end of the section header");
    assert_error(f, "[program:a]\ncommand=x\n[program:b ;c]\n",
                 ":3: no ']' at the end of the section header");
    /* numprocs needs %(process_num) in process_name: on process_name's line, or numprocs'. */
    assert_error(f, "[program:w]\ncommand=x\nnumprocs=2\n",
                 ":3: numprocs is 2 in [program:w], so process_name needs %(process_num)d to make names differ");
    assert_error(f, "[program:w]\ncommand=x\nprocess_name=w\nnumprocs=2\n",
                 ":3: numprocs is 2 in [program:w], so process_name needs %(process_num)d to make names differ");
}

static void test_readiness_and_dependencies(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[program:db]\ncommand=x\nready = notify\nready_timeout = 5\n"
         "[program:g]\ncommand=x\nready=tcp:[::1]:5432\nready_interval=0.5\n"
         "[program:web]\ncommand=y\nready = log:listening on [0-9]+\n"
         "depends_on = db , g:started,\n  mig:completed\nbind_to = true\n"
         "[program:mig]\ncommand=z\nready=fd:3\n",
         &cfg);
    const pm_spec *db = &cfg.programs[0].spec, *g = &cfg.programs[1].spec, *web = &cfg.programs[2].spec;
    assert_int_equal(db->ready, PM_READY_NOTIFY);
    assert_true(db->ready_timeout == 5);
    assert_int_equal(g->ready, PM_READY_TCP);
    assert_string_equal(g->ready_target, "[::1]:5432");
    assert_true(g->ready_interval == 0.5);
    assert_int_equal(web->ready, PM_READY_LOG);
    assert_string_equal(web->ready_target, "listening on [0-9]+");
    assert_int_equal(web->ndepends_on, 3);
    assert_string_equal(web->depends_on[0].name, "db");
    assert_int_equal(web->depends_on[0].condition, PM_DEP_READY);
    assert_string_equal(web->depends_on[1].name, "g");
    assert_int_equal(web->depends_on[1].condition, PM_DEP_STARTED);
    assert_string_equal(web->depends_on[2].name, "mig");
    assert_int_equal(web->depends_on[2].condition, PM_DEP_COMPLETED);
    assert_true(web->bind_to);
    assert_int_equal(cfg.programs[3].spec.ready_fd, 3);
    pm_config_free(&cfg);

    assert_error(f, "[program:a]\ncommand=x\nready=fd:2\n",
                 ":3: bad value for ready in [program:a]: 'fd:2' (ready descriptor 2 is not between 3 and 1023)");
    assert_error(f, "[program:a]\ncommand=x\nready=tcp:nohost\n",
                 ":3: bad value for ready in [program:a]: 'tcp:nohost' ('nohost' is not HOST:PORT)");
    assert_error(f, "[program:a]\ncommand=x\nready=later\n",
                 ":3: bad value for ready in [program:a]: 'later' (expected spawn, notify, fd:N, tcp:HOST:PORT, "
                 "unix:PATH, exec:COMMAND or log:REGEX)");
    assert_error(f, "[program:a]\ncommand=x\nready=log:(\n",
                 ":3: bad value for ready in [program:a]: 'log:(' (bad regular expression '(': Unmatched ( or \\()");
    assert_error(f, "[program:a]\ncommand=x\ndepends_on=b\n",
                 ":3: a depends on 'b', which is not a program");
    assert_error(f, "[program:a]\ncommand=x\ndepends_on=,\n",
                 ":3: bad value for depends_on in [program:a]: ',' (expected program names, each maybe with "
                 ":ready, :started or :completed, separated by commas)");
    assert_error(f, "[program:a]\ncommand=x\ndepends_on=a\n", ":3: dependency cycle: a -> a");
    assert_error(f,
                 "[program:web]\ncommand=x\ndepends_on=api\n[program:api]\ncommand=x\n"
                 "depends_on=db,web:started\n[program:db]\ncommand=x\n",
                 ":3: dependency cycle: web -> api -> web");
}

static void test_duplicate_names(void **state)
{
    fixture *f = *state;
    char suffix[512];
    snprintf(suffix, sizeof suffix, ":5: duplicate program name 'web' (first at %s:1)", f->path);
    assert_error(f, "[program:web]\ncommand=x\n\n[program:other]\nprocess_name=web\ncommand=y\n", suffix);
    /* After numprocs expansion. */
    snprintf(suffix, sizeof suffix, ":6: duplicate program name 'w_1' (first at %s:1)", f->path);
    assert_error(f,
                 "[program:w]\ncommand=x\nnumprocs=2\nprocess_name=w_%(process_num)d\n"
                 "[program:v]\nprocess_name=w_%(process_num)d\ncommand=y\nnumprocs=3\nnumprocs_start=1\n",
                 suffix);
    /* [program: web] is a section of its own, but the name is the same. */
    snprintf(suffix, sizeof suffix, ":3: duplicate program name 'web' (first at %s:1)", f->path);
    assert_error(f, "[program:web]\ncommand=x\n[program: web ]\ncommand=y\n", suffix);
}

static void test_unreadable_file(void **state)
{
    fixture *f = *state;
    char path[256];
    snprintf(path, sizeof path, "%s/missing.conf", f->dir);
    assert_error_at(path, ": cannot read: No such file or directory");
    assert_error_at(f->dir, ": cannot read: Is a directory");
    if (geteuid() != 0) { /* root reads anything */
        write_file(f->path, "[program:a]\ncommand=x\n");
        assert_int_equal(chmod(f->path, 0), 0);
        assert_error_at(f->path, ": cannot read: Permission denied");
    }
}

static void test_line_limits(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    /* A long line (inih's own default stops at 200 characters). */
    size_t n = 5000;
    char *text = malloc(n + 200);
    assert_non_null(text);
    int o = sprintf(text, "[program:a]\ncommand = /bin/echo ");
    memset(text + o, 'x', n);
    strcpy(text + o + n, "\nstartretries = 2\n");
    load(f, text, &cfg);
    assert_int_equal(strlen(cfg.programs[0].spec.argv[1]), n);
    assert_int_equal(cfg.programs[0].spec.start_retries, 2);
    pm_config_free(&cfg);
    /* ... and the line numbers after it stay right. */
    strcpy(text + o + n, "\nstartretries = x\n");
    write_file(f->path, text);
    assert_error_at(f->path, ":3: bad value for startretries in [program:a]: 'x' (expected a whole number, 0 or more)");
    free(text);

    /* Beyond 64 KiB: an error, not a line cut in two. */
    n = 70000;
    text = malloc(n + 100);
    assert_non_null(text);
    o = sprintf(text, "[program:a]\ncommand = x\n; ");
    memset(text + o, 'y', n);
    strcpy(text + o + n, "\n");
    write_file(f->path, text);
    assert_error_at(f->path, ":3: line longer than 65536 characters");
    free(text);

    /* A NUL byte would hide the rest of the line. */
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fwrite("[program:a]\ncommand=x\0y\n", 1, 24, fp);
    fclose(fp);
    assert_error_at(f->path, ":2: the line holds a NUL byte");
}

/* ---- supervisord's sections and keys ---- */

static void test_supervisord_warnings(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[unix_http_server]\n"                       /* 1 */
         "file = /tmp/supervisor.sock\n"
         "chmod = 0700\n"
         "[inet_http_server]\n"                       /* 4 */
         "port = 127.0.0.1:9001\n"
         "[supervisorctl]\n"                          /* 6 */
         "serverurl = unix:///tmp/supervisor.sock\n"
         "[rpcinterface:supervisor]\n"                /* 8 */
         "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
         "[include]\n"                                /* 10 */
         "files = /nonexistent-procmon/*.conf\n"
         "[group:g]\n"                                /* 12 */
         "programs = a\n"
         "[eventlistener:ev]\n"                       /* 14 */
         "command = /bin/listener\n"
         "events = PROCESS_STATE\n"
         "[fcgi-program:fc]\n"                        /* 17 */
         "command = /bin/fcgi\n"
         "socket = unix:///tmp/fc.sock\n"
         "[ctlplugin:p]\n"                            /* 20 */
         "supervisor.ctl_factory = x:y\n"
         "[program:a]\n"                              /* 22 */
         "command = /bin/true\n"
         "stdout_logfile = /var/log/a.out\n"          /* 24 */
         "stdout_logfile_maxbytes = 1MB\n"
         "stdout_logfile_backups = 10\n"
         "stdout_capture_maxbytes = 1MB\n"
         "stdout_events_enabled = false\n"
         "stdout_syslog = false\n"
         "stderr_logfile = /var/log/a.err\n"          /* 30 */
         "stderr_logfile_maxbytes = 1MB\n"
         "stderr_logfile_backups = 10\n"
         "stderr_capture_maxbytes = 1MB\n"
         "stderr_events_enabled = false\n"
         "stderr_syslog = false\n"
         "redirect_stderr = true\n"                   /* 36 */
         "serverurl = AUTO\n"
         "STDOUT_LOGFILE = /var/log/again.out\n",     /* 38: repeated, no second warning */
         &cfg);
    static const char *const expected[] = {
        /* none for [unix_http_server], [inet_http_server] (served),
         * [supervisorctl] (supervisorctl's) and [rpcinterface:supervisor]
         * (what procmon serves) */
        ":17: [fcgi-program:fc] is not supported by procmon; ignored",
        ":20: [ctlplugin:p] is not supported by procmon; ignored",
        ":27: stdout_capture_maxbytes in [program:a] is not supported by procmon; ignored",
        ":29: stdout_syslog in [program:a] is not supported by procmon; ignored",
        ":33: stderr_capture_maxbytes in [program:a] is not supported by procmon; ignored",
        ":35: stderr_syslog in [program:a] is not supported by procmon; ignored",
        /* after the whole file, when supervisord reads its includes */
        ":11: [include] files: no file matches '/nonexistent-procmon/*.conf'",
    };
    size_t n = sizeof expected / sizeof *expected;
    for (size_t i = 0; i < n && i < cfg.nwarnings; i++)
        assert_warning(&cfg, i, f, expected[i]);
    assert_int_equal(cfg.nwarnings, n);
    assert_int_equal(cfg.nprograms, 2); /* the listener runs too */
    assert_string_equal(find_program(&cfg, "ev")->spec.argv[0], "/bin/listener");
    assert_string_equal(find_program(&cfg, "g:a")->group_name, "g");
    assert_true(cfg.unix_http.set);
    assert_string_equal(cfg.unix_http.file, "/tmp/supervisor.sock");
    assert_int_equal(cfg.unix_http.chmod, 0700);
    assert_null(cfg.unix_http.username);
    assert_true(cfg.inet_http.set);
    assert_string_equal(cfg.inet_http.host, "127.0.0.1");
    assert_int_equal(cfg.inet_http.port, 9001);
    pm_config_free(&cfg);
}

static void test_http_servers(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[unix_http_server]\n"
         "file = sock\n"
         "chmod = 0o660\n"
         "chown = 0:0\n"
         "username = u\n"
         "password = {SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4\n"
         "[inet_http_server]\n"
         "port = *:9001\n"
         "username = u\n"
         "password = p\n",
         &cfg);
    assert_int_equal(cfg.nwarnings, 0);
    assert_true(cfg.unix_http.file[0] == '/'); /* made absolute */
    assert_int_equal(cfg.unix_http.chmod, 0660);
    assert_string_equal(cfg.unix_http.chown, "0:0");
    assert_string_equal(cfg.unix_http.password, "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4");
    assert_string_equal(cfg.inet_http.host, "");
    assert_int_equal(cfg.inet_http.port, 9001);
    pm_config_free(&cfg);
}

static void test_http_server_errors(void **state)
{
    fixture *f = *state;
    assert_error(f, "[inet_http_server]\nport = 9001\n",
                 ":1: [inet_http_server] listens on *:9001 without a password, and anyone who reaches it "
                 "controls every program: set username and password, or port = 127.0.0.1:9001");
    assert_error(f, "[inet_http_server]\nport = 0.0.0.0:80\nusername = u\n",
                 ":3: [inet_http_server] sets a username without a password: set both, or neither");
    assert_error(f, "[inet_http_server]\nport = localhost:99999\n",
                 ":2: bad value for port in [inet_http_server]: 'localhost:99999' (expected HOST:PORT, "
                 "*:PORT or PORT, with a port from 1 to 65535)");
    assert_error(f, "\n[inet_http_server]\nusername = u\npassword = p\n",
                 ":2: [inet_http_server] needs a port (HOST:PORT)");
    assert_error(f, "[unix_http_server]\nchmod = 0700\n", ":1: [unix_http_server] needs a file (the socket's path)");
    assert_error(f, "[unix_http_server]\nfile = /tmp/s\nchmod = rwx\n",
                 ":3: bad value for chmod in [unix_http_server]: 'rwx' (expected an octal mode such as 0700)");
    assert_error(f, "[unix_http_server]\nfile = /tmp/s\nchown = nosuchuser-procmon\n",
                 ":3: bad value for chown in [unix_http_server]: 'nosuchuser-procmon' (no such user)");
}

static void test_supervisord_section(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    /* nodaemon alone: nothing to say. */
    load(f, "[supervisord]\nnodaemon = true\n[program:a]\ncommand=x\n", &cfg);
    assert_int_equal(cfg.nwarnings, 0);
    assert_int_equal(cfg.umask, -1);
    assert_true(cfg.minfds == -1 && cfg.minprocs == -1 && cfg.log_maxbytes == -1);
    assert_null(cfg.pidfile);
    pm_config_free(&cfg);
    /* Every key procmon honours, read into the config; the ones it does not
     * act on warned about, once each, on their line. */
    char text[2048];
    snprintf(text, sizeof text,
             "[program:a]\ncommand=x\n\n"
             "[supervisord]\n"                               /* 4 */
             "nodaemon=true\n"
             "logfile=%%(here)s/supervisord.log\n"
             "logfile_maxbytes=5MB\n"
             "logfile_backups=3\n"
             "pidfile=%%(here)s/s.pid\n"                     /* 9 */
             "childlogdir=%%(here)s\n"
             "directory=/\n"
             "umask=027\n"
             "minfds=64\n"
             "minprocs=32\n"
             "user=root\n"
             "identifier=web-1\n"
             "loglevel=debug\n"                              /* 17 */
             "silent=false\n"
             "nocleanup=true\n"
             "strip_ansi=false\n"
             "SILENT=true\n");                               /* 21: repeated, no second warning */
    load(f, text, &cfg);
    char path[256];
    snprintf(path, sizeof path, "%s/supervisord.log", f->dir);
    assert_string_equal(cfg.log_file, path);
    snprintf(path, sizeof path, "%s/s.pid", f->dir);
    assert_string_equal(cfg.pidfile, path);
    assert_string_equal(cfg.childlogdir, f->dir);
    assert_string_equal(cfg.directory, "/");
    assert_int_equal(cfg.umask, 027);
    assert_true(cfg.log_maxbytes == 5 * 1024 * 1024);
    assert_int_equal(cfg.log_backups, 3);
    assert_true(cfg.minfds == 64 && cfg.minprocs == 32);
    assert_string_equal(cfg.user, "root");
    assert_string_equal(cfg.identifier, "web-1");
    assert_true(cfg.nocleanup);
    assert_int_equal(cfg.log_debug, 1); /* loglevel=debug */
    static const char *const expected[] = {
        ":18: silent in [supervisord] is not supported by procmon; ignored",
        ":20: strip_ansi in [supervisord] is not supported by procmon; ignored",
    };
    for (size_t i = 0; i < 2 && i < cfg.nwarnings; i++)
        assert_warning(&cfg, i, f, expected[i]);
    assert_int_equal(cfg.nwarnings, 2);
    pm_config_free(&cfg);
    /* Sizes as supervisord reads them. */
    static const struct { const char *text; long long bytes; } sizes[] = {
        {"0", 0}, {"1024", 1024}, {"1KB", 1024}, {"2kb", 2048}, {"50MB", 50LL << 20}, {"1GB", 1LL << 30},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        snprintf(text, sizeof text, "[supervisord]\nlogfile_maxbytes=%s\n", sizes[i].text);
        load(f, text, &cfg);
        if (cfg.log_maxbytes != sizes[i].bytes)
            fail_msg("%s: %lld", sizes[i].text, cfg.log_maxbytes);
        pm_config_free(&cfg);
    }
    /* [procmon] wins where both set the log file, in whatever order. */
    load(f, "[procmon]\nlog_file=/tmp/a.log\n[supervisord]\nlogfile=/tmp/b.log\n", &cfg);
    assert_string_equal(cfg.log_file, "/tmp/a.log");
    pm_config_free(&cfg);
    load(f, "[procmon]\nlog_level=info\n[supervisord]\nloglevel=blather\n", &cfg);
    assert_int_equal(cfg.log_debug, 0);
    pm_config_free(&cfg);
    /* Bad values, as supervisord refuses them. */
    assert_error(f, "[supervisord]\nlogfile_maxbytes=5XB\n",
                 ":2: bad value for logfile_maxbytes in [supervisord]: '5XB' (expected a size such as 50MB, 1024KB or 0)");
    assert_error(f, "[supervisord]\npidfile=/nonexistent-procmon/s.pid\n",
                 ":2: bad value for pidfile in [supervisord]: '/nonexistent-procmon/s.pid' (no folder /nonexistent-procmon)");
    assert_error(f, "[supervisord]\nchildlogdir=/nonexistent-procmon\n",
                 ":2: bad value for childlogdir in [supervisord]: '/nonexistent-procmon' (not an existing folder)");
    assert_error(f, "[supervisord]\nuser=no-such-user-procmon\n",
                 ":2: bad value for user in [supervisord]: 'no-such-user-procmon' (no such user)");
    assert_error(f, "[supervisord]\numask=8\n",
                 ":2: bad value for umask in [supervisord]: '8' (expected an octal number such as 022)");
    assert_error(f, "[supervisord]\nminfds=many\n",
                 ":2: bad value for minfds in [supervisord]: 'many' (expected a whole number)");
    assert_error(f, "[supervisord]\nloglevel=loud\n",
                 ":2: bad value for loglevel in [supervisord]: 'loud' (expected critical, error, warn, info, debug, trace or blather)");
    assert_error(f, "[procmon]\nlog_level=trace\n",
                 ":2: bad value for log_level in [procmon]: 'trace' (expected info or debug)");
    /* A key that supervisord does not know either is an error. */
    assert_error(f, "[supervisord]\nlogfiles=/x\n", ":2: unknown key 'logfiles' in [supervisord]");
    /* Even in a section procmon ignores, when supervisord knows the keys. */
    assert_error(f, "[unix_http_server]\nfiel=/x\n", ":2: unknown key 'fiel' in [unix_http_server]");
    assert_error(f, "[supervisorctl]\nserverurl=x\nprompt=y\nport=1\n", ":4: unknown key 'port' in [supervisorctl]");
    assert_error(f, "[eventlistener:e]\ncommand=x\nevents=TICK_5\nevnets=TICK_60\n",
                 ":4: unknown key 'evnets' in [eventlistener:e]");
    assert_error(f, "[fcgi-program:f]\ncommand=x\nsocket=tcp://h:1\nevents=TICK_5\n",
                 ":4: unknown key 'events' in [fcgi-program:f]");
    load(f, "[rpcinterface:x]\nsupervisor.rpcinterface_factory=a:b\nanything=goes\n", &cfg);
    assert_int_equal(cfg.nwarnings, 1);
    pm_config_free(&cfg);
    assert_error(f, "[program:a]\ncommand=x\nstdout_logfiles=/x\n", ":3: unknown key 'stdout_logfiles' in [program:a]");
}

static void test_realistic_supervisord_conf(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "; Written for supervisord; procmon should run the same programs.\n"
         "\n"
         "[unix_http_server]\n"                                      /* 3 */
         "file=/var/run/supervisor.sock   ; where supervisorctl connects\n"
         "chmod=0700                       ; only root\n"
         "\n"
         "[supervisord]\n"                                           /* 7 */
         "logfile=/tmp/supervisord.log ; its own log\n"
         "pidfile=/tmp/supervisord.pid\n"
         "childlogdir=/tmp\n"
         "nodaemon=true\n"
         "\n"
         "; supervisorctl talks XML-RPC through this\n"
         "[rpcinterface:supervisor]\n"                               /* 14 */
         "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
         "\n"
         "[supervisorctl]\n"                                         /* 17 */
         "serverurl=unix:///var/run/supervisor.sock\n"
         "\n"
         "[include]\n"                                               /* 20 */
         "files = /nonexistent-procmon/conf.d/*.conf\n"
         "\n"
         "[program:app]\n"                                           /* 23 */
         "command=/usr/local/bin/gunicorn --workers 4 --bind 0.0.0.0:8000 app:wsgi\n"
         "directory=/srv/app\n"
         "user=root\n"
         "autostart=true\n"
         "autorestart=true\n"
         "startsecs=5\n"
         "stopwaitsecs=30\n"
         "stopasgroup=true\n"
         "killasgroup=true\n"
         "environment=DJANGO_SETTINGS_MODULE=\"app.settings\",PATH=\"/srv/app/venv/bin:%(ENV_PATH)s\"\n"
         "stdout_logfile=/tmp/out.log\n"                             /* 34 */
         "stderr_logfile=/tmp/err.log\n"                             /* 35 */
         "stdout_logfile_maxbytes=10MB\n"                            /* 36 */
         "\n"
         "[program:worker]\n"                                        /* 38 */
         "command=/usr/local/bin/celery -A app worker --loglevel=INFO\n"
         "process_name=%(program_name)s_%(process_num)02d\n"
         "numprocs=2\n"
         "directory=/srv/app\n"
         "autorestart=unexpected\n"
         "exitcodes=0,2\n"
         "stopsignal=QUIT\n"
         "priority=998\n"
         "redirect_stderr=true\n"                                    /* 47 */
         "stdout_logfile=/tmp/worker-%(process_num)d.log\n",         /* 48 */
         &cfg);
    static const char *const expected[] = {
        ":21: [include] files: no file matches '/nonexistent-procmon/conf.d/*.conf'",
    };
    size_t n = sizeof expected / sizeof *expected;
    for (size_t i = 0; i < n && i < cfg.nwarnings; i++)
        assert_warning(&cfg, i, f, expected[i]);
    assert_int_equal(cfg.nwarnings, n);

    assert_int_equal(cfg.nprograms, 3);
    assert_string_equal(cfg.programs[0].name, "app");
    assert_string_equal(cfg.programs[1].name, "worker_00");
    assert_string_equal(cfg.programs[2].name, "worker_01");
    const pm_spec *app = &cfg.programs[0].spec;
    static const char *const app_argv[] = {"/usr/local/bin/gunicorn", "--workers", "4", "--bind",
                                           "0.0.0.0:8000", "app:wsgi", NULL};
    assert_strv(app->argv, app_argv);
    assert_string_equal(app->cwd, "/srv/app");
    assert_true(app->threshold == 5);
    assert_true(app->kill_time == 30);
    assert_true(app->signal_group);
    char path[4096];
    snprintf(path, sizeof path, "PATH=/srv/app/venv/bin:%s", getenv("PATH"));
    const char *const app_env[] = {"DJANGO_SETTINGS_MODULE=app.settings", path, NULL};
    assert_env(app->env, app_env);
    const pm_spec *w = &cfg.programs[2].spec;
    assert_int_equal(w->autorestart, PM_AUTORESTART_UNEXPECTED);
    assert_true(pm_spec_exitcode_expected(w, 2));
    assert_int_equal(w->stop_signal, SIGQUIT);
    assert_int_equal(w->priority, 998);
    assert_int_equal(cfg.programs[2].line, 38);
    pm_config_free(&cfg);
}

/* ---- numprocs and process_name ---- */

static void test_numprocs(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[program:w]\n"
         "command = /bin/worker --id %(process_num)d --of %(numprocs)d\n"
         "numprocs = 3\n"
         "process_name = %(program_name)s_%(process_num)02d\n"
         "[program:s]\n"
         "command = x\n"
         "numprocs = 2\n"
         "numprocs_start = 9\n"
         "process_name = s%(process_num)d\n"
         "[program:one]\n"
         "command = x\n"
         "process_name = renamed-%(program_name)s\n",
         &cfg);
    static const char *const names[] = {"w_00", "w_01", "w_02", "s9", "s10", "renamed-one"};
    assert_int_equal(cfg.nprograms, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(cfg.programs[i].name, names[i]);
        assert_string_equal(cfg.programs[i].file, f->path);
    }
    assert_int_equal(cfg.programs[0].line, 1);
    assert_int_equal(cfg.programs[3].line, 5);
    assert_int_equal(cfg.programs[5].line, 10);
    static const char *const argv1[] = {"/bin/worker", "--id", "1", "--of", "3", NULL};
    assert_strv(cfg.programs[1].spec.argv, argv1);
    pm_config_free(&cfg);

    /* A process_name that expands to a bad name. */
    assert_error(f, "[program:w]\ncommand=x\nprocess_name=%(ENV_PROCMON_TEST_EMPTY)s\n",
                 ":3: bad value for process_name in [program:w]: '' (the name is empty)");
    assert_error(f, "[program:w]\ncommand=x\nprocess_name=a b\n",
                 ":3: bad value for process_name in [program:w]: 'a b' (blanks, control characters, ':' and '/' are not allowed)");
}

/* ---- Expansions ---- */

static void test_expansions(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    struct utsname un;
    assert_int_equal(uname(&un), 0);
    load(f,
         "[program:web]\n"
         "command = /bin/echo %(program_name)s %(group_name)s %(here)s %(host_node_name)s "
         "%(ENV_PROCMON_TEST_VAR)s 100%% %%(x)s\n"
         "directory = %(here)s/www\n"
         "user = %(ENV_PROCMON_TEST_USER)s\n"
         "environment = NAME=\"%(program_name)s\",HOME=%(here)s\n"
         "numprocs = 2\n"
         "process_name = %(program_name)s-%(process_num)d\n"
         "priority = 10%(process_num)d\n",
         &cfg);
    const pm_spec *s = &cfg.programs[1].spec;
    /* %(ENV_...)s comes in before the split, as in supervisord: its value's
     * blanks separate words. */
    const char *const argv[] = {"/bin/echo", "web", "web", f->dir, un.nodename, "value", "with",
                                "spaces", "100%", "%(x)s", NULL};
    assert_strv(s->argv, argv);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/www", f->dir);
    assert_string_equal(s->cwd, dir);
    assert_string_equal(s->user, "root");
    char home[256];
    snprintf(home, sizeof home, "HOME=%s", f->dir);
    const char *const env[] = {"NAME=web", home, NULL};
    assert_env(s->env, env);
    assert_string_equal(cfg.programs[0].name, "web-0");
    assert_string_equal(cfg.programs[1].name, "web-1");
    assert_int_equal(cfg.programs[0].spec.priority, 100);
    assert_int_equal(cfg.programs[1].spec.priority, 101);
    pm_config_free(&cfg);
}

static void test_expansion_formats(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[program:p]\n"
         "numprocs = 1\n"
         "numprocs_start = 7\n"
         "command = x %(process_num)d %(process_num)03d %(process_num)3d| %(process_num)-3d| "
         "%(process_num)+d %(process_num).2d %(process_num)s %(process_num)4s| %(process_num)i "
         "%(program_name)5s| %(program_name)-4s| %(program_name).1s %(process_num)ld\n",
         &cfg);
    static const char *const argv[] = {"x", "7", "007", "7|", "7", "|", "+7", "07", "7", "7|", "7",
                                       "p|", "p", "|", "p", "7", NULL};
    assert_strv(cfg.programs[0].spec.argv, argv);
    pm_config_free(&cfg);
    /* Padding shown whole, in a value that is not split. */
    load(f, "[program:p]\ncommand=x\nprocess_name=%(program_name)s_%(process_num)05d\ndirectory=[%(program_name)-3s]\n", &cfg);
    assert_string_equal(cfg.programs[0].name, "p_00000");
    assert_string_equal(cfg.programs[0].spec.cwd, "[p  ]");
    pm_config_free(&cfg);
}

static void test_expansion_errors(void **state)
{
    fixture *f = *state;
    assert_error(f, "[program:web]\ncommand = /bin/%(nope)s\n",
                 ":2: bad value for command in [program:web]: '/bin/%(nope)s' (unknown expansion %(nope); known "
                 "here: ENV_*, group_name, here, host_node_name, numprocs, process_num, program_name)");
    assert_error(f, "[program:web]\ncommand = x\ndirectory = %(ENV_PROCMON_TEST_UNSET)s\n",
                 ":3: bad value for directory in [program:web]: '%(ENV_PROCMON_TEST_UNSET)s' "
                 "(PROCMON_TEST_UNSET is not in the environment)");
    assert_error(f, "[program:web]\ncommand = echo 100%\n",
                 ":2: bad value for command in [program:web]: 'echo 100%' "
                 "(a '%' must begin %(name)s, or be doubled: %%)");
    assert_error(f, "[program:web]\ncommand = echo %d\n",
                 ":2: bad value for command in [program:web]: 'echo %d' "
                 "(a '%' must begin %(name)s, or be doubled: %%)");
    assert_error(f, "[program:web]\ncommand = echo %(program_name\n",
                 ":2: bad value for command in [program:web]: 'echo %(program_name' ('%(' without ')')");
    assert_error(f, "[program:web]\ncommand = echo %(program_name)\n",
                 ":2: bad value for command in [program:web]: 'echo %(program_name)' "
                 "(%(program_name) must be followed by s or d, with an optional width)");
    assert_error(f, "[program:web]\ncommand = echo %(program_name)x\n",
                 ":2: bad value for command in [program:web]: 'echo %(program_name)x' "
                 "(%(program_name) must be followed by s or d, with an optional width)");
    assert_error(f, "[program:web]\ncommand = echo %(program_name)d\n",
                 ":2: bad value for command in [program:web]: 'echo %(program_name)d' "
                 "(%(program_name) is not a number: use %(program_name)s)");
    assert_error(f, "[program:web]\ncommand = echo %(process_num)99999d\n",
                 ":2: bad value for command in [program:web]: 'echo %(process_num)99999d' "
                 "(the width of %(process_num) is too large)");
    /* Names are case-sensitive. */
    assert_error(f, "[program:web]\ncommand = echo %(HERE)s\n",
                 ":2: bad value for command in [program:web]: 'echo %(HERE)s' (unknown expansion %(HERE); known "
                 "here: ENV_*, group_name, here, host_node_name, numprocs, process_num, program_name)");
    /* numprocs is known before process_num exists. */
    assert_error(f, "[program:web]\ncommand = x\nnumprocs = %(process_num)d\n",
                 ":3: bad value for numprocs in [program:web]: '%(process_num)d' (unknown expansion "
                 "%(process_num); known here: ENV_*, group_name, here, host_node_name, numprocs, "
                 "process_num, program_name)");
    /* [procmon] has no program. */
    assert_error(f, "[procmon]\nsocket = /run/%(program_name)s.sock\n",
                 ":2: bad value for socket in [procmon]: '/run/%(program_name)s.sock' (unknown expansion "
                 "%(program_name); known here: ENV_*, here, host_node_name)");
}

static void test_here(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    char sub[256], path[512], expected[256];
    snprintf(sub, sizeof sub, "%s/sub", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s/sub/p.conf", f->dir);
    write_file(path, "[procmon]\nsocket = %(here)s/procmon.sock\nlog_file=%(ENV_PROCMON_TEST_VAR)s\n");
    /* Absolute, whatever path names the file: relative, with "." and "..". */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    snprintf(expected, sizeof expected, "%s/sub/procmon.sock", f->dir);
    static const char *const paths[] = {"sub/p.conf", "./sub/../sub/./p.conf", "sub//p.conf"};
    for (size_t i = 0; i < 3; i++) {
        char err[512];
        if (pm_config_load(paths[i], &cfg, err, sizeof err) != 0)
            fail_msg("%s: %s", paths[i], err);
        assert_string_equal(cfg.socket, expected);
        assert_string_equal(cfg.log_file, "value with spaces");
        pm_config_free(&cfg);
    }
    assert_int_equal(chdir(sub), 0);
    char err[512];
    assert_int_equal(pm_config_load("p.conf", &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.socket, expected);
    pm_config_free(&cfg);
    /* Messages name the file as it was given. */
    write_file(path, "[procmon]\nsocket=\n");
    assert_int_equal(pm_config_load("./p.conf", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "./p.conf:2: bad value for socket in [procmon]: '' (expected a path)");
    assert_int_equal(chdir(cwd), 0);
    /* %(here)s has no trailing '/'. */
    load(f, "[procmon]\nsocket=%(here)s\n", &cfg);
    assert_string_equal(cfg.socket, f->dir);
    pm_config_free(&cfg);
}

/* pm_config_load_in: relative paths from the folder given (procmon's at
 * start-up, for a reload after [supervisord] directory moved it), not from
 * the current one; childlogdir and the AUTO folder come out absolute. */
static void test_relative_base(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    char start[128], other[128], cwd[PATH_MAX], err[512], path[256];
    snprintf(start, sizeof start, "%s/start", f->dir);
    snprintf(other, sizeof other, "%s/other", f->dir);
    assert_int_equal(mkdir(start, 0700), 0);
    assert_int_equal(mkdir(other, 0700), 0);
    snprintf(path, sizeof path, "%s/logs", start);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/clogs", start);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file(f->path, "[supervisord]\n"
                        "childlogdir = clogs\n"
                        "logfile = logs/procmon.log\n"
                        "nocleanup = false\n"
                        "[program:a]\n"
                        "command = x\n"
                        "directory = work\n"
                        "stdout_logfile = logs/a.log\n"
                        "stderr_logfile = AUTO\n");
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(other), 0);
    /* From the current folder, logs/ is not there. */
    assert_int_equal(pm_config_load(f->path, &cfg, err, sizeof err), -1);
    snprintf(path, sizeof path, "%s:2: bad value for childlogdir in [supervisord]: 'clogs' (not an existing folder)",
             f->path);
    assert_string_equal(err, path);
    /* From the start-up folder, as `procmon run` read it. */
    int r = pm_config_load_in(f->path, start, &cfg, err, sizeof err);
    assert_int_equal(chdir(cwd), 0);
    if (r != 0)
        fail_msg("unexpected error: %s", err);
    snprintf(path, sizeof path, "%s/clogs", start);
    assert_string_equal(cfg.childlogdir, path);
    assert_string_equal(cfg.auto_dir, path);
    assert_false(cfg.nocleanup);
    assert_string_equal(cfg.log_file, "logs/procmon.log"); /* run.c makes it absolute at start */
    snprintf(path, sizeof path, "%s/logs/a.log", start);
    assert_string_equal(cfg.programs[0].out.path, path);
    snprintf(path, sizeof path, "%s/clogs/a-stderr---procmon-", start);
    assert_string_equal(cfg.programs[0].err.path, path);
    /* a program's directory is the child's: from procmon's folder when it starts */
    assert_string_equal(cfg.programs[0].spec.cwd, "work");
    pm_config_free(&cfg);
    /* A relative file name, from that folder too. */
    assert_int_equal(chdir(other), 0);
    r = pm_config_load_in("../procmon.conf", start, &cfg, err, sizeof err);
    assert_int_equal(chdir(cwd), 0);
    if (r != 0)
        fail_msg("unexpected error: %s", err);
    pm_config_free(&cfg);
    /* Without childlogdir, AUTO files go to $TMPDIR, made absolute. */
    const char *saved = getenv("TMPDIR");
    char *keep = saved ? strdup(saved) : NULL;
    assert_int_equal(setenv("TMPDIR", "clogs", 1), 0);
    write_file(f->path, "[program:a]\ncommand = x\nstdout_logfile = AUTO\n");
    r = pm_config_load_in(f->path, start, &cfg, err, sizeof err);
    if (keep)
        setenv("TMPDIR", keep, 1);
    else
        unsetenv("TMPDIR");
    free(keep);
    if (r != 0)
        fail_msg("unexpected error: %s", err);
    snprintf(path, sizeof path, "%s/clogs", start);
    assert_string_equal(cfg.auto_dir, path);
    assert_null(cfg.childlogdir);
    pm_config_free(&cfg);
}

/* ---- [include] ---- */

/* Writes dir/name (dir relative to the fixture's folder, made if need be). */
static void write_in(const fixture *f, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    for (char *p = path + strlen(f->dir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0700); /* EEXIST is fine; a real failure shows in write_file */
        *p = '/';
    }
    write_file(path, text);
}

static void test_include(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    /* Globs in the order given, each one's matches sorted; relative to the
     * including file's folder; nested; %(here)s is each file's own folder. */
    write_in(f, "conf.d/20-b.conf", "[program:b]\ncommand=/bin/b %(here)s\n");
    write_in(f, "conf.d/10-a.conf", "[program:a]\ncommand=/bin/a\n[include]\nfiles=../more/*.ini\n");
    write_in(f, "conf.d/skipped.txt", "[program:nope]\ncommand=x\n");
    write_in(f, "more/x.ini", "[program:x]\ncommand=/bin/x %(here)s\n");
    write_in(f, "last.conf", "[program:last]\ncommand=/bin/last\n");
    write_in(f, "conf.d/zz.conf/x", ""); /* a folder that the glob matches */
    load(f,
         "[program:main]\ncommand=/bin/main %(here)s\n"
         "[include]\n"
         "files = conf.d/*.conf\n"
         "        nothing/*.conf last.conf\n",
         &cfg);
    static const char *const order[] = {"main", "a", "x", "b", "last"};
    assert_int_equal(cfg.nprograms, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(cfg.programs[i].name, order[i]);
    char here[256];
    assert_string_equal(cfg.programs[0].spec.argv[1], f->dir);
    snprintf(here, sizeof here, "%s/more", f->dir);
    assert_string_equal(cfg.programs[2].spec.argv[1], here);
    snprintf(here, sizeof here, "%s/conf.d", f->dir);
    assert_string_equal(cfg.programs[3].spec.argv[1], here);
    /* Each program knows its own file. */
    snprintf(here, sizeof here, "%s/conf.d/20-b.conf", f->dir);
    assert_string_equal(cfg.programs[3].file, here);
    assert_int_equal(cfg.programs[3].line, 1);
    /* A folder is skipped, and a glob that matches nothing is no error:
     * a warning each, on the include's line. */
    char expected[512];
    assert_int_equal(cfg.nwarnings, 2);
    snprintf(expected, sizeof expected, ":4: [include] files: %s/conf.d/zz.conf is not a regular file; skipped", f->dir);
    assert_warning(&cfg, 0, f, expected);
    snprintf(expected, sizeof expected, ":4: [include] files: no file matches '%s/nothing/*.conf'", f->dir);
    assert_warning(&cfg, 1, f, expected);
    pm_config_free(&cfg);

    /* An included file's later value wins, and its %(here)s is its own. */
    write_in(f, "over/o.conf", "[program:main]\ndirectory=%(here)s\n[supervisord]\nidentifier=inner\n");
    load(f,
         "[supervisord]\nidentifier=outer\n"
         "[program:main]\ncommand=/bin/main\ndirectory=/nowhere\n"
         "[include]\nfiles=over/o.conf\n",
         &cfg);
    snprintf(here, sizeof here, "%s/over", f->dir);
    assert_string_equal(cfg.programs[0].spec.cwd, here);
    assert_string_equal(cfg.identifier, "inner");
    pm_config_free(&cfg);
}

static void test_include_errors(void **state)
{
    fixture *f = *state;
    char path[512], expected[1024];
    /* An error in an included file names that file and its line. */
    write_in(f, "conf.d/bad.conf", "[program:b]\ncommand=/bin/b\ncomand=typo\n");
    snprintf(path, sizeof path, "%s/conf.d/bad.conf", f->dir);
    write_file(f->path, "[include]\nfiles=conf.d/*.conf\n");
    char err[1024];
    pm_config cfg;
    assert_int_equal(pm_config_load(f->path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s:3: unknown key 'comand' in [program:b]", path);
    assert_string_equal(err, expected);
    assert_empty(&cfg);
    /* So does a bad value, found in the second pass. */
    write_in(f, "conf.d/bad.conf", "\n[program:b]\ncommand=/bin/b\npriority=high\n");
    assert_int_equal(pm_config_load(f->path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected,
             "%s:4: bad value for priority in [program:b]: 'high' (expected a whole number)", path);
    assert_string_equal(err, expected);
    /* Each file starts outside any section, as configparser reads it. */
    write_in(f, "conf.d/bad.conf", "command=/bin/b\n");
    assert_int_equal(pm_config_load(f->path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s:1: 'command' is outside any section", path);
    assert_string_equal(err, expected);
    /* A cycle: named at the include that closes it. */
    write_in(f, "conf.d/bad.conf", "[program:b]\ncommand=/bin/b\n\n[include]\nfiles=../procmon.conf\n");
    assert_int_equal(pm_config_load(f->path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s:5: [include] files: %s/conf.d/../procmon.conf is already being read: an include cycle",
             path, f->dir);
    assert_string_equal(err, expected);
    /* A file including itself. */
    write_file(f->path, "[include]\nfiles=procmon.conf\n");
    assert_int_equal(pm_config_load(f->path, &cfg, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "%s:2: [include] files: %s is already being read: an include cycle",
             f->path, f->path);
    assert_string_equal(err, expected);
    /* An included file that cannot be read: named, with the include's line. */
    write_in(f, "conf.d/bad.conf", "[program:b]\ncommand=/bin/b\n");
    assert_int_equal(chmod(path, 0), 0);
    if (access(path, R_OK) != 0) { /* root reads anything */
        write_file(f->path, "[program:a]\ncommand=x\n[include]\nfiles=conf.d/*.conf\n");
        assert_int_equal(pm_config_load(f->path, &cfg, err, sizeof err), -1);
        snprintf(expected, sizeof expected, "%s:4: [include] files: cannot read %s: Permission denied", f->path, path);
        assert_string_equal(err, expected);
    }
    assert_int_equal(chmod(path, 0600), 0);
    /* [include] must say which files, as supervisord requires. */
    assert_error(f, "[program:a]\ncommand=x\n[include]\n", ":3: [include] has no files");
    assert_error(f, "[include]\nfile=x\n", ":2: unknown key 'file' in [include]");
    /* An unknown expansion in files: an error naming the line. */
    assert_error(f, "[include]\nfiles=%(nope)s\n",
                 ":2: bad value for files in [include]: '%(nope)s' (unknown expansion %(nope); known here: "
                 "ENV_*, here, host_node_name)");
}

/* ---- [group:x] ---- */

static void test_groups(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[group:web]\n"
         "programs = nginx, php\n"
         "priority = 10\n"
         "[group:ops]\n"
         "programs=php\n"
         "[program:nginx]\n"
         "command=/bin/nginx %(group_name)s %(program_name)s\n"
         "priority=500\n"
         "[program:php]\n"
         "command=/bin/php %(group_name)s\n"
         "numprocs=2\n"
         "process_name=%(program_name)s_%(process_num)d\n"
         "[program:cron]\n"
         "command=/bin/cron %(group_name)s\n",
         &cfg);
    static const char *const names[] = {"web:nginx", "web:php_0", "web:php_1", "ops:php_0", "ops:php_1", "cron"};
    assert_int_equal(cfg.nprograms, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(cfg.programs[i].name, names[i]);
    static const char *const nginx[] = {"/bin/nginx", "web", "nginx", NULL};
    assert_strv(cfg.programs[0].spec.argv, nginx);
    /* the group's priority orders its members; without one they keep theirs */
    assert_int_equal(cfg.programs[0].spec.priority, 10);
    assert_int_equal(cfg.programs[1].spec.priority, 10);
    assert_int_equal(cfg.programs[3].spec.priority, 999);
    assert_string_equal(cfg.programs[3].spec.argv[1], "ops");
    /* outside a group, group_name is the program's name */
    assert_string_equal(cfg.programs[5].spec.argv[1], "cron");
    assert_int_equal(cfg.nwarnings, 0);
    pm_config_free(&cfg);

    assert_error(f, "[group:g]\nprograms=a,b\n[program:a]\ncommand=x\n",
                 ":2: bad value for programs in [group:g]: 'a,b' (no [program:b])");
    assert_error(f, "[group:g]\npriority=1\n[program:a]\ncommand=x\n", ":1: [group:g] has no programs");
    assert_error(f, "[group:g]\nprograms=a\npriority=first\n[program:a]\ncommand=x\n",
                 ":3: bad value for priority in [group:g]: 'first' (expected a whole number)");
    assert_error(f, "[group:a b]\nprograms=a\n",
                 ":1: bad group name 'a b' in [group:a b]: blanks, control characters, ':' and '/' are not allowed");
    assert_error(f, "[group:g]\nprograms=a\nprogram=a\n", ":3: unknown key 'program' in [group:g]");
}

/* A member named as its group goes by its bare name, as supervisord's
 * make_namespec shows it; the others are "group:name". */
static void test_group_named_as_member(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[group:web]\nprograms = web, php\n"
         "[group:solo]\nprograms = solo\n"
         "[group:w]\nprograms = w\n"
         "[program:web]\ncommand=/bin/web\n"
         "[program:php]\ncommand=/bin/php\n"
         "[program:solo]\ncommand=/bin/solo %(group_name)s\n"
         "[program:w]\ncommand=/bin/w\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)d\n",
         &cfg);
    static const char *const names[] = {"web", "web:php", "solo", "w:w_0", "w:w_1"};
    assert_int_equal(cfg.nprograms, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(cfg.programs[i].name, names[i]);
    assert_string_equal(cfg.programs[2].spec.argv[1], "solo");
    pm_config_free(&cfg);
}

/* ---- Environment: [supervisord]'s, the program's, procmon's ---- */

/* [eventlistener:x]: a program with the event types it takes (an abstract
 * name stands for its members), its pool's buffer, and a stdin pipe. */
static void test_event_listener(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f, "[eventlistener:watch]\ncommand = /bin/l\nevents = PROCESS_STATE, TICK_60\nbuffer_size = 3\n"
            "[eventlistener:all]\ncommand = /bin/l\nevents = EVENT\n[program:p]\ncommand = /bin/p\n",
         &cfg);
    const pm_program *w = find_program(&cfg, "watch"), *all = find_program(&cfg, "all");
    unsigned states = 0;
    for (int t = PM_EV_PROCESS_STATE_STOPPED; t <= PM_EV_PROCESS_STATE_UNKNOWN; t++)
        states |= PM_EV_BIT(t);
    assert_int_equal(w->listen_events, states | PM_EV_BIT(PM_EV_TICK_60));
    assert_int_equal(w->buffer_size, 3);
    assert_true(w->spec.stdin_pipe);
    assert_string_equal(w->group_name, "watch");
    assert_int_equal(all->listen_events, PM_EV_BIT(PM_EV_COUNT) - 1);
    assert_int_equal(all->buffer_size, 10);
    assert_int_equal(find_program(&cfg, "p")->listen_events, 0);
    assert_int_equal(cfg.nwarnings, 0);
    pm_config_free(&cfg);
    assert_error(f, "[eventlistener:l]\ncommand = x\n", ":1: [eventlistener:l] section requires an \"events\" line");
    assert_error(f, "[eventlistener:l]\ncommand = x\nevents = TICK_5, TOCK\n",
                 ":3: bad value for events in [eventlistener:l]: 'TICK_5, TOCK' (unknown event type TOCK)");
    assert_error(f, "[eventlistener:l]\ncommand = x\nevents = TICK_5\nbuffer_size = 0\n",
                 ":4: bad value for buffer_size in [eventlistener:l]: '0' (expected a whole number, 1 or more)");
    assert_error(f, "[eventlistener:l]\ncommand = x\nevents = TICK_5\nresult_handler = my:handler\n",
                 ":4: bad value for result_handler in [eventlistener:l]: 'my:handler' (procmon has "
                 "supervisord's default handler only (supervisor.dispatchers:default_handler))");
    assert_error(f, "[eventlistener:l]\ncommand = x\nevents = TICK_5\nredirect_stderr = true\n",
                 ":4: bad value for redirect_stderr in [eventlistener:l]: 'true' (a listener's stdout is the "
                 "event protocol, so its stderr cannot join it)");
}

/* supervisord's variables: the process's and group's names, and the
 * server a child reaches (the program's serverurl, else the unix socket,
 * else the inet port); the program's own environment wins. */
static void test_supervisor_environment(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[unix_http_server]\nfile = /tmp/x.sock\n[inet_http_server]\nport = 127.0.0.1:9001\n"
         "[group:g]\nprograms = w\n"
         "[program:w]\ncommand = x\nprocess_name = w_%(process_num)d\nnumprocs = 2\n"
         "[program:solo]\ncommand = x\nenvironment = SUPERVISOR_GROUP_NAME=mine\n"
         "[program:own]\ncommand = x\nserverurl = http://elsewhere:1\n",
         &cfg);
    static const char *const w1[] = {"SUPERVISOR_ENABLED=1", "SUPERVISOR_PROCESS_NAME=w_1",
                                     "SUPERVISOR_GROUP_NAME=g", "SUPERVISOR_SERVER_URL=unix:///tmp/x.sock", NULL};
    assert_strv(find_program(&cfg, "g:w_1")->spec.env, w1);
    static const char *const solo[] = {"SUPERVISOR_ENABLED=1", "SUPERVISOR_PROCESS_NAME=solo",
                                       "SUPERVISOR_SERVER_URL=unix:///tmp/x.sock", "SUPERVISOR_GROUP_NAME=mine",
                                       NULL};
    assert_strv(find_program(&cfg, "solo")->spec.env, solo);
    static const char *const own[] = {"SUPERVISOR_ENABLED=1", "SUPERVISOR_PROCESS_NAME=own",
                                      "SUPERVISOR_GROUP_NAME=own", "SUPERVISOR_SERVER_URL=http://elsewhere:1",
                                      NULL};
    assert_strv(find_program(&cfg, "own")->spec.env, own);
    assert_string_equal(find_program(&cfg, "g:w_0")->group_name, "g");
    assert_string_equal(find_program(&cfg, "own")->group_name, "own");
    pm_config_free(&cfg);
    load(f, "[inet_http_server]\nport = *:9001\nusername = u\npassword = p\n[program:a]\ncommand = x\n", &cfg);
    static const char *const a[] = {"SUPERVISOR_ENABLED=1", "SUPERVISOR_PROCESS_NAME=a", "SUPERVISOR_GROUP_NAME=a",
                                    "SUPERVISOR_SERVER_URL=http://localhost:9001", NULL};
    assert_strv(cfg.programs[0].spec.env, a);
    pm_config_free(&cfg);
}

static void test_environment_layers(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    assert_int_equal(setenv("PROCMON_TEST_LAYER", "from-procmon", 1), 0);
    assert_int_equal(setenv("PROCMON_TEST_PCT", "100%(x)s %%", 1), 0);
    load(f,
         "[supervisord]\n"
         /* supervisord expands this line twice: %%%% is one % */
         "environment = G=\"%(ENV_PROCMON_TEST_LAYER)s\",SHARED=global,PCTG=\"a%%%%b\"\n"
         "identifier = %(ENV_G)s\n"
         "[program:a]\n"
         /* its own environment sees [supervisord]'s, not itself */
         "environment = SHARED=own,FROM=\"%(ENV_SHARED)s\",PROCMON_TEST_LAYER=overridden\n"
         /* every other key sees its own first, then [supervisord]'s, then procmon's */
         "command = /bin/a %(ENV_SHARED)s %(ENV_G)s %(ENV_PROCMON_TEST_LAYER)s %(ENV_PCTG)s\n"
         "directory = /%(ENV_PROCMON_TEST_PCT)s\n"
         "[program:b]\n"
         "command = /bin/b %(ENV_SHARED)s\n",
         &cfg);
    assert_string_equal(cfg.identifier, "from-procmon");
    const pm_spec *a = &cfg.programs[0].spec, *b = &cfg.programs[1].spec;
    static const char *const argv[] = {"/bin/a", "own", "from-procmon", "overridden", "a%b", NULL};
    assert_strv(a->argv, argv);
    /* a value holding '%' comes in once, never expanded again */
    assert_string_equal(a->cwd, "/100%(x)s %%");
    /* the child's environment: [supervisord]'s under the program's */
    static const char *const env_a[] = {"G=from-procmon", "PCTG=a%b", "SHARED=own", "FROM=global",
                                        "PROCMON_TEST_LAYER=overridden", NULL};
    assert_env(a->env, env_a);
    static const char *const env_b[] = {"G=from-procmon", "SHARED=global", "PCTG=a%b", NULL};
    assert_env(b->env, env_b);
    static const char *const argv_b[] = {"/bin/b", "global", NULL};
    assert_strv(b->argv, argv_b);
    static const char *const global[] = {"G=from-procmon", "SHARED=global", "PCTG=a%b", NULL};
    assert_strv(cfg.environment, global);
    pm_config_free(&cfg);
    /* Without [supervisord]'s, a program without environment adds nothing. */
    load(f, "[program:a]\ncommand=x\n", &cfg);
    assert_env(cfg.programs[0].spec.env, (const char *const[]){NULL});
    assert_null(cfg.environment);
    pm_config_free(&cfg);
    /* A program's own variable is not there for its environment line. */
    assert_error(f, "[program:a]\ncommand=x\nenvironment=A=1,B=\"%(ENV_A)s\"\n",
                 ":3: bad value for environment in [program:a]: 'A=1,B=\"%(ENV_A)s\"' (A is not in the environment)");
    unsetenv("PROCMON_TEST_LAYER");
    unsetenv("PROCMON_TEST_PCT");
}

/* supervisord's inline-comment rule knows no quotes: ';' after a blank
 * begins a comment even inside "...", and only then. */
static void test_quoted_semicolons(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f, "[program:nginx]\ncommand=nginx -g \"daemon off;\"\n", &cfg);
    static const char *const argv[] = {"nginx", "-g", "daemon off;", NULL};
    assert_strv(cfg.programs[0].spec.argv, argv);
    pm_config_free(&cfg);
    assert_error(f, "[program:sh]\ncommand=sh -c \"a ; b\"\n",
                 ":2: bad value for command in [program:sh]: 'sh -c \"a' (unterminated double quote)");
    /* configparser looks for ';' and '#' in lock-step: the first round
     * finds "a;b" and " #f", so " ;e" stays in the value; likewise on a
     * continuation line. */
    load(f, "[program:a]\ncommand=/bin/echo a;b c;d ;e #f\n  x;1 y;2 ;3 #z\n", &cfg);
    static const char *const quirk[] = {"/bin/echo", "a;b", "c;d", ";e", "x;1", "y;2", ";3", NULL};
    assert_strv(cfg.programs[0].spec.argv, quirk);
    pm_config_free(&cfg);
}

/* ---- What inih makes of the text ---- */

static void test_ini_continuations_and_repeats(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "[program:b]\r\n"
         "command = /bin/echo one\r\n"
         "  two   ; a comment, cut as configparser does (inih would keep it)\r\n"
         "\r\n"
         "\tthree\r\n"
         "  ; a comment line inside the value\n"
         "  four\n"
         "priority = 1\n"
         "priority = 2\n"
         "[program:a]\n"
         "command = first\n"
         "[program:b]\n"
         "autostart = false\n"
         "[program:a]\n"
         "command = second\n"
         "[program:c]\n"
         "  command = /bin/c\n"
         "environment = A=1,\n"
         "    B=\"2, 3\"\n",
         &cfg);
    assert_int_equal(cfg.nprograms, 3);
    /* In the order of each section's first header. */
    assert_string_equal(cfg.programs[0].name, "b");
    assert_string_equal(cfg.programs[1].name, "a");
    assert_string_equal(cfg.programs[2].name, "c");
    const pm_spec *b = &cfg.programs[0].spec;
    static const char *const b_argv[] = {"/bin/echo", "one", "two", "three", "four", NULL};
    assert_strv(b->argv, b_argv);
    assert_int_equal(b->priority, 2);
    assert_false(b->autostart);
    assert_int_equal(cfg.programs[0].line, 1);
    static const char *const a_argv[] = {"second", NULL};
    assert_strv(cfg.programs[1].spec.argv, a_argv);
    static const char *const c_argv[] = {"/bin/c", NULL};
    assert_strv(cfg.programs[2].spec.argv, c_argv);
    static const char *const c_env[] = {"A=1", "B=2, 3", NULL};
    assert_env(cfg.programs[2].spec.env, c_env);
    pm_config_free(&cfg);

    /* Line numbers after continuation lines are right. */
    assert_error(f, "[program:a]\ncommand = x\n  y\n  z\nnumprocs = 0\n",
                 ":5: bad value for numprocs in [program:a]: '0' (expected a whole number, 1 or more)");
    /* A continuation of an ignored key is ignored with it. */
    load(f, "[program:a]\ncommand=x\nstdout_syslog=/a\n  /b\n", &cfg);
    assert_int_equal(cfg.nwarnings, 1);
    pm_config_free(&cfg);
}

static void test_ini_comments_and_delimiters(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    load(f,
         "\xEF\xBB\xBF; a byte-order mark, then comments of both kinds\n"
         "# hash comment\n"
         "   ; indented comment\n"
         "[program:a]   ; a comment after the header\n"
         "Command: /bin/echo a;b c#d ; inline comment\n"
         "DIRECTORY = /srv/x # another inline comment\n"
         "environment = URL=\"http://h/p?q=1\"\n"
         "process_name : a2\n"
         "[program:é]\n"
         "command = /bin/ünï\n",
         &cfg);
    assert_int_equal(cfg.nprograms, 2);
    const pm_program *a = &cfg.programs[0];
    assert_string_equal(a->name, "a2");
    assert_int_equal(a->line, 4);
    static const char *const argv[] = {"/bin/echo", "a;b", "c#d", NULL};
    assert_strv(a->spec.argv, argv);
    assert_string_equal(a->spec.cwd, "/srv/x");
    static const char *const env[] = {"URL=http://h/p?q=1", NULL};
    assert_env(a->spec.env, env);
    assert_string_equal(cfg.programs[1].name, "é");
    pm_config_free(&cfg);

    /* Without whitespace before it, ';' is part of the value. */
    assert_error(f, "[program:a]\ncommand=x\npriority=5;x\n",
                 ":3: bad value for priority in [program:a]: '5;x' (expected a whole number)");
    /* A section name longer than inih keeps (49 bytes), and key names too. */
    char text[512];
    const char *longname = "a_program_name_that_is_longer_than_fifty_characters_for_sure";
    snprintf(text, sizeof text, "[program:%s]\ncommand=x\n", longname);
    load(f, text, &cfg);
    assert_string_equal(cfg.programs[0].name, longname);
    pm_config_free(&cfg);
    snprintf(text, sizeof text, "[program:%s]\ncommand=x\n%s=1\n", longname, longname);
    char suffix[512];
    snprintf(suffix, sizeof suffix, ":3: unknown key '%s' in [program:%s]", longname, longname);
    assert_error(f, text, suffix);
    /* An empty file, or only comments: nothing to run, and no error. */
    load(f, "", &cfg);
    assert_int_equal(cfg.nprograms, 0);
    pm_config_free(&cfg);
    load(f, "; nothing\n\n", &cfg);
    assert_int_equal(cfg.nprograms, 0);
    pm_config_free(&cfg);
}

static void test_inih_settings_restored(void **state)
{
    fixture *f = *state;
    pm_config cfg;
    int max_line = ini_max_line;
    bool stop = ini_stop_on_first_error, stack = ini_use_stack;
    char *inline_prefixes = ini_inline_comment_prefixes;
    load(f, "[program:a]\ncommand=x\n", &cfg);
    pm_config_free(&cfg);
    assert_error(f, "[program:a]\nnope=x\n", ":2: unknown key 'nope' in [program:a]");
    assert_int_equal(ini_max_line, max_line);
    assert_int_equal(ini_stop_on_first_error, stop);
    assert_int_equal(ini_use_stack, stack);
    assert_ptr_equal(ini_inline_comment_prefixes, inline_prefixes);
}

/* ---- pm_spec_equal ---- */

/* A heap array of up to three strings (NULL ends it early). */
static char **strv3(const char *a, const char *b, const char *c)
{
    char **v = calloc(4, sizeof *v);
    assert_non_null(v);
    const char *in[] = {a, b, c};
    for (int i = 0; i < 3 && in[i]; i++)
        assert_non_null(v[i] = strdup(in[i]));
    return v;
}

static void test_spec_equal(void **state)
{
    (void)state;
    char *argv[] = {"/bin/x", "a", NULL};
    char *env[] = {"A=1", NULL};
    pm_spec base, other;
    /* A change to each field, one at a time, on a deep copy. */
    pm_spec_init(&base);
    base.argv = argv;
    base.env = env;
    base.user = "root";
    base.cwd = "/srv";
    assert_true(pm_spec_equal(&base, &base));
    assert_int_equal(pm_spec_copy(&other, &base), 0);
    assert_true(pm_spec_equal(&base, &other)); /* by value, not by pointer */
    pm_spec_free(&other);

#define DIFFERS(change)                                   \
    do {                                                  \
        assert_int_equal(pm_spec_copy(&other, &base), 0); \
        change;                                           \
        assert_false(pm_spec_equal(&base, &other));       \
        assert_false(pm_spec_equal(&other, &base));       \
        pm_spec_free(&other);                             \
    } while (0)
    DIFFERS((pm_strv_free(other.argv), other.argv = strv3("/bin/x", "a", "b")));
    DIFFERS((pm_strv_free(other.argv), other.argv = strv3("/bin/x", "b", NULL)));
    DIFFERS((pm_strv_free(other.argv), other.argv = strv3("/bin/x", NULL, NULL)));
    DIFFERS((pm_strv_free(other.env), other.env = strv3("A=2", NULL, NULL)));
    DIFFERS((pm_strv_free(other.env), other.env = strv3("A=1", "B=2", NULL)));
    DIFFERS((pm_strv_free(other.env), other.env = NULL));
    DIFFERS(other.clear_env = true);
    DIFFERS((free(other.user), other.user = NULL));
    DIFFERS((free(other.user), other.user = strdup("nobody")));
    DIFFERS(other.group = strdup("root"));
    DIFFERS((free(other.cwd), other.cwd = strdup("/srv/")));
    DIFFERS(other.umask = 022);
    DIFFERS(other.threshold = 2);
    DIFFERS(other.kill_time = 2);
    DIFFERS(other.min_restart_delay = 2);
    DIFFERS(other.max_restart_delay = 2);
    DIFFERS(other.stop_signal = SIGINT);
    DIFFERS(other.signal_group = false);
    DIFFERS(other.autostart = false);
    DIFFERS(other.autorestart = PM_AUTORESTART_NEVER);
    DIFFERS(pm_spec_set_exitcode(&other, 2, true));
    DIFFERS(pm_spec_set_exitcode(&other, 0, false));
    DIFFERS(other.start_retries = 3);
    DIFFERS(other.priority = 1);
#undef DIFFERS
    /* No additions: NULL and an empty list are the same. */
    char *empty[] = {NULL};
    pm_spec a = base, b = base;
    a.env = NULL;
    b.env = empty;
    assert_true(pm_spec_equal(&a, &b));
    assert_true(pm_spec_equal(&b, &a));
}

static void test_spec_equal_after_reload(void **state)
{
    fixture *f = *state;
    pm_config one, two;
    const char *text = "[program:a]\ncommand=x 'y z'\nenvironment=A=1\nuser=root\n"
                       "[program:b]\ncommand=x\n";
    load(f, text, &one);
    load(f, "; reformatted, same meaning\n[program:b]\ncommand = x\n[program:a]\ncommand = x \"y z\"\n"
            "environment = A=\"1\"\nuser = 0\n", &two);
    /* "root" and "0" are different text: a change, though the same user. */
    assert_false(pm_spec_equal(&find_program(&one, "a")->spec, &find_program(&two, "a")->spec));
    assert_true(pm_spec_equal(&find_program(&one, "b")->spec, &find_program(&two, "b")->spec));
    pm_config_free(&two);
    load(f, "[program:a]\ncommand = x \"y z\"\nenvironment = A=\"1\"\nuser = root\n", &two);
    assert_true(pm_spec_equal(&find_program(&one, "a")->spec, &find_program(&two, "a")->spec));
    pm_config_free(&two);
    pm_config_free(&one);
}

int main(void)
{
    setenv("PROCMON_TEST_VAR", "value with spaces", 1);
    setenv("PROCMON_TEST_USER", "root", 1);
    setenv("PROCMON_TEST_EMPTY", "", 1);
    unsetenv("PROCMON_TEST_UNSET");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_minimal_program_has_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_program_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readiness_and_dependencies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_process_group_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_and_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_procmon_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supervisord_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_servers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_server_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supervisord_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_realistic_supervisord_conf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numprocs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expansions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expansion_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expansion_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_here, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_include, setup, teardown),
        cmocka_unit_test_setup_teardown(test_include_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_named_as_member, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment_layers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supervisor_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_listener, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoted_semicolons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ini_continuations_and_repeats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ini_comments_and_delimiters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inih_settings_restored, setup, teardown),
        cmocka_unit_test(test_spec_equal),
        cmocka_unit_test_setup_teardown(test_spec_equal_after_reload, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
