/* What the files of the config reader share; config.h is its public face.
 *
 *   config.c           the loader: its errors, its lifetime, the entry points
 *   config_read.c      the first pass: supervisord's INI dialect, [include]
 *   config_expand.c    %(name)s in values
 *   config_keys.c      the sections and keys there are, and what their values
 *                      mean: [program:x]'s for a spec, [supervisord]'s and
 *                      [procmon]'s for pm_config
 *   config_programs.c  [program:x] and [group:x] -> pm_program: numprocs,
 *                      process_name, group membership, environments
 *   config_http.c      [unix_http_server] and [inet_http_server]
 */
#ifndef PM_CONFIG_INTERNAL_H
#define PM_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"

/* ---- What the first pass keeps ---- */

typedef enum {
    SEC_PROCMON, SEC_PROGRAM, SEC_LISTENER /* [eventlistener:x] */, SEC_SUPERVISORD, SEC_INCLUDE, SEC_GROUP, SEC_UNIX_HTTP, SEC_INET_HTTP,
    SEC_CLIENTS,  /* read by others (supervisorctl), or what procmon does anyway: no warning */
    SEC_IGNORED,
} sec_kind;

typedef struct entry {
    char *key;     /* lower case */
    char *written; /* as written, for messages */
    char *value;
    const char *file; /* where it was written (the loader owns the text) */
    const char *here; /* that file's folder: %(here)s */
    int line;
} entry;

typedef struct section {
    char *header;  /* between the brackets, as written: "program:web" */
    sec_kind kind;
    const char *file; /* of its first header */
    int line;
    entry *entries;
    size_t nentries;
    char **warned; /* unsupported keys already warned about */
    size_t nwarned;
} section;

/* A file read, and its folder; kept to the end for messages. */
typedef struct source {
    char *path;
    char *here;
    dev_t dev;
    ino_t ino;
    bool reading; /* on the include chain now: including it again is a cycle */
} source;

typedef struct loader {
    const char *path;  /* the file being read (or the one a message is about) */
    const char *here;  /* its folder */
    FILE *fp;
    char *raw; /* the line inih is handling, as read */
    size_t rawcap;
    int lineno;
    bool continuation; /* raw continues the value of the last key */
    bool after_key;    /* as inih's prev_name: an indented line now continues a value */
    section *secs;
    size_t nsecs;
    size_t cur;        /* the current section's index + 1; 0 before the first */
    long last;         /* the entry of cur that a continuation extends; -1: none */
    char **warnings;
    size_t nwarnings;
    source **sources;  /* every file read, the main one first */
    size_t nsources;
    char host[256];    /* %(host_node_name)s */
    char *err;
    size_t errlen;
    bool failed;
} loader;

/* ---- The loader (config.c) ---- */

/* v made absolute against the folder that relative paths in the file are
 * read against (pm_config_load_in's base, else the current one): a new
 * string, or NULL without memory or a current folder. */
char *pm_cfg_absolute_path(const char *v);
const char *pm_cfg_skip_blanks(const char *s);
/* "program:NAME" or "group:NAME" -> NAME without surrounding blanks, as
 * supervisord takes it. */
char *pm_cfg_program_name(const section *sec);
section *pm_cfg_find_section(loader *ld, sec_kind kind);
const entry *pm_cfg_find_entry(const section *sec, const char *key);

/* Errors: the first one goes to ld->err ("FILE:LINE: message", or "FILE:
 * message" for line 0) and sets ld->failed; later ones are dropped.
 * pm_cfg_fail: an error in the file being read.  pm_cfg_fail_at: an error
 * at a line of any file read (the second pass). */
__attribute__((format(printf, 3, 4)))
void pm_cfg_fail(loader *ld, int line, const char *fmt, ...);
__attribute__((format(printf, 4, 5)))
void pm_cfg_fail_at(loader *ld, const char *file, int line, const char *fmt, ...);
void pm_cfg_fail_oom(loader *ld);
/* "bad value for KEY in [SECTION]: 'VALUE' (REASON)", at the entry. */
__attribute__((format(printf, 5, 6)))
void pm_cfg_fail_value(loader *ld, const section *sec, const entry *e, const char *value,
                       const char *fmt, ...);

/* ---- The first pass (config_read.c) ---- */

/* Reads the file at path, then the files its [include] names, into ld. */
void pm_cfg_read_files(loader *ld, const char *path);

/* ---- Expansions (config_expand.c) ---- */

/* What %(name)s can stand for in a section.  %(here)s is the folder of the
 * file where the value was written (entry.here). */
typedef struct expansions {
    const char *host;
    const char *program; /* NULL outside [program:x] */
    const char *group;   /* %(group_name)s: the [group:x] or the program's name */
    bool has_num;        /* process_num and numprocs are known */
    long long process_num, numprocs;
    /* %(ENV_X)s looks in the program's environment, then [supervisord]'s,
     * then procmon's own ("K=V" arrays, NULL if none). */
    char *const *program_env, *const *global_env;
} expansions;

/* Expands the entry's value; NULL with the error recorded. */
char *pm_cfg_expand(loader *ld, const expansions *ex, const section *sec, const entry *e);
/* X in a "K=V" array, or NULL. */
const char *pm_cfg_env_find(char *const *env, const char *name, size_t len);

/* ---- Sections, keys and values (config_keys.c) ---- */

/* The kind of section the header names; *known false if procmon knows no
 * such section. */
sec_kind pm_cfg_section_kind(const char *header, bool *known);

/* What the first pass does with a key (lower case) in a section. */
typedef enum {
    KEY_USED,        /* kept for the second pass */
    KEY_UNSUPPORTED, /* supervisord's, not procmon's: a warning */
    KEY_IGNORED,     /* supervisord's, in a section procmon ignores */
    KEY_UNKNOWN,     /* an error */
} key_use;
key_use pm_cfg_key_use(const section *sec, const char *key);

/* The second pass, first part: [supervisord], then [procmon], into cfg;
 * then where AUTO output files go (cfg->auto_dir). */
void pm_cfg_apply_settings(loader *ld, pm_config *cfg);

/* ---- The HTTP listeners' sections (config_http.c) ---- */

/* Reads [unix_http_server] and [inet_http_server] into cfg; after
 * [supervisord], whose environment their %(ENV_X)s see. */
void pm_cfg_apply_http(loader *ld, pm_config *cfg);

/* An integer key evaluated once for the whole section. */
bool pm_cfg_section_integer(loader *ld, const expansions *ex, const section *sec, const char *key,
                            long long min, const char *expected, long long *out);

/* The state of one process's spec while its keys are applied. */
typedef struct progbuild {
    pm_spec spec;
    int stopasgroup, killasgroup; /* -1: not given */
    pm_output out, err;           /* an AUTO path is completed by pm_cfg_take_outputs */
    bool redirect_stderr;
    bool stdout_events, stderr_events; /* *_events_enabled: PROCESS_LOG events */
} progbuild;

/* Before the section's keys: procmon's spec defaults, output to the log
 * stream with supervisord's rotation defaults. */
void pm_cfg_progbuild_init(progbuild *b);
/* Applies every key of the section to one process's spec. */
bool pm_cfg_apply_keys(loader *ld, const expansions *ex, const section *sec, progbuild *b);
/* Moves b's output settings into the program p; false when out of memory. */
bool pm_cfg_take_outputs(const pm_config *cfg, pm_program *p, progbuild *b);

/* ---- Programs (config_programs.c) ---- */

/* The second pass, second part: checks every [group:x], then builds the
 * programs of each [program:x] into cfg. */
void pm_cfg_build_programs(loader *ld, pm_config *cfg);

#endif
