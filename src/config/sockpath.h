/* Where the control socket lives, shared by the daemon and the client.
 *
 * The first of these that is set wins:
 *   1. the -s/--socket option (explicit_path);
 *   2. $PROCMON_SOCKET (an empty value counts as unset);
 *   3. `socket =` in the [procmon] section of the config file;
 *   4. /run/procmon.sock when the effective uid is 0;
 *   5. $XDG_RUNTIME_DIR/procmon.sock when XDG_RUNTIME_DIR is an absolute path;
 *   6. /tmp/procmon-UID/procmon.sock (UID: the effective uid), in a directory
 *      that must be private: see pm_socket_dir_prepare().
 */
#ifndef PM_SOCKPATH_H
#define PM_SOCKPATH_H

#include <stddef.h>

/* The longest path a sockaddr_un holds, without its NUL. */
#define PM_SOCKET_PATH_MAX 107

/* Writes the socket path to out.  config_socket is the `socket` value of
 * the config file as pm_config_load() read it (pm_config.socket), or NULL.
 * (an empty one counts as unset).  Returns 0; -ENAMETOOLONG when the path
 * does not fit in a sockaddr_un (or in outlen); -EINVAL when explicit_path
 * is empty. */
int pm_socket_path(const char *explicit_path, const char *config_socket, char *out, size_t outlen);

/* The daemon, before it binds: for the /tmp/procmon-UID default, creates that
 * directory with mode 0700, or accepts it only if it is a directory (not a
 * symlink) owned by the effective uid with mode 0700, so that another user
 * cannot pre-create it.  Any other path: nothing to do.  Returns 0, or a
 * negative errno with one line for people in err (e.g. "/tmp/procmon-1000 is
 * not private: mode 0755, owner uid 0"). */
int pm_socket_dir_prepare(const char *path, char *err, size_t errlen);

/* The client, before it connects: the same checks without creating anything.
 * A missing directory is fine (connecting will say that nobody answers). */
int pm_socket_dir_check(const char *path, char *err, size_t errlen);

#endif
