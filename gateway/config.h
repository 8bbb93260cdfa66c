/*
 * config.h -- the INI configuration as an immutable, validated snapshot.
 *
 * config_load() reads the main file and every file its `include` glob
 * names (sorted), validates everything (unknown keys, regexes, execs,
 * users, durations, sizes) and returns a snapshot, or NULL and one
 * message naming file, section and key.  Never a partial snapshot.
 * The snapshot owns every string, vector and compiled regex in it.
 * Nothing mutates it afterwards; config_ref()/config_unref() count the
 * requests that still use it (loop thread only).
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cron.h"

struct route;			/* route.h: compiled patterns of one fn */

enum fn_mode { FN_CGI, FN_FASTCGI };

/* HTTP methods a route accepts, as bits. */
#define M_GET		0x001
#define M_HEAD		0x002
#define M_POST		0x004
#define M_PUT		0x008
#define M_DELETE	0x010
#define M_PATCH		0x020
#define M_OPTIONS	0x040
#define M_ALL		0x07f

struct tenant {
	char		*t_name;		/* lower case */
	int		 t_concurrency;		/* 0: no cap */
	int		 t_index;		/* position in cf_tenants */
};

struct fn {
	char		*fn_name;		/* lower case, from [fn.NAME] */
	char		*fn_file;		/* the file that defined it */
	int		 fn_index;		/* position in cf_fns */
	struct route	*fn_route;		/* owned; see route.h */
	char		*fn_route_src;		/* pattern as written */
	char		*fn_host_src;		/* NULL when no host= */
	unsigned	 fn_methods;		/* M_* bits; M_ALL when unset */
	char		*fn_allow;		/* Allow: "GET, HEAD, POST" */
	char		*fn_exec;		/* absolute path */
	char		*fn_dir;		/* its folder (the cwd) */
	char		**fn_argv;		/* exec, then args, then NULL */
	enum fn_mode	 fn_mode;
	struct tenant	*fn_tenant;		/* borrowed; NULL when none */
	char		*fn_user;		/* NULL: [gateway] user */
	uid_t		 fn_uid;		/* resolved at load */
	gid_t		 fn_gid;
	/* "K=V", env_file then env; NULL-terminated. */
	char		**fn_env;
	uint64_t	 fn_timeout_ms;		/* default 30s */
	/* Bytes; 0: unlimited (billed as 128 MiB). */
	uint64_t	 fn_memory;
	uint64_t	 fn_cpu;		/* seconds; 0: unlimited */
	uint64_t	 fn_cpu_ms;		/* as written (per request in
						 * fastcgi mode) */
	uint64_t	 fn_nofile;		/* 0: inherit */
	uint64_t	 fn_nproc;		/* 0: inherit */
	uint64_t	 fn_fsize;		/* bytes; 0: inherit */
	uint64_t	 fn_max_body;		/* bytes; default 10m */
	uint64_t	 fn_max_output;		/* bytes; default 64m */
	int		 fn_concurrency;	/* default 8 */
	int		 fn_min_instances;	/* default 0 */
	uint64_t	 fn_idle_timeout_ms;	/* default 60s */
	uint64_t	 fn_max_requests;	/* default 1000; 0: unlimited */
	int		 fn_queue;		/* default 64 */
	uint64_t	 fn_queue_timeout_ms;	/* default 5s */
	char		*fn_schedule;		/* NULL when none */
	struct cron	 fn_cron;		/* fn_schedule, parsed */
};

struct config {
	char		*cf_path;		/* the main file */
	int		 cf_refs;

	/* [gateway] */
	char		*cf_listen;		/* unix:/path or host:port */
	mode_t		 cf_listen_mode;	/* default 0660 */
	uid_t		 cf_listen_uid;		/* (uid_t)-1: unchanged */
	gid_t		 cf_listen_gid;		/* (gid_t)-1: unchanged */
	char		*cf_user;		/* default "nobody" */
	uid_t		 cf_uid;
	gid_t		 cf_gid;
	int		 cf_max_connections;	/* default 1024 */
	char		*cf_runtime_dir;	/* default /run/fngw */
	/* Default /var/lib/fngw/usage.db. */
	char		*cf_billing_db;
	char		*cf_node;		/* default: the host name */
	char		*cf_status_path;	/* NULL: off */
	char		**cf_status_allow;	/* default 127.0.0.1 ::1 */
	uint64_t	 cf_shutdown_timeout_ms; /* default 30s */
	uint64_t	 cf_kill_grace_ms;	/* default 2s */
	uint64_t	 cf_max_params;		/* bytes; default 64k */
	int		 cf_cron;		/* run schedules; default 1 */
	int		 cf_log_level;		/* a log_level; default info */
	int		 cf_allow_root;		/* default 0 */
	long long	 cf_min_uid;		/* default 1000 */
	uint64_t	 cf_read_timeout_ms;	/* read deadline, default 60s */

	/* [billing] */
	char		*cf_price_per_request;	/* a decimal; default "0" */
	char		*cf_price_per_gb_second; /* a decimal; default "0" */
	uint64_t	 cf_granularity_ms;	/* default 1 */
	char		*cf_currency;		/* default "USD" */
	int		 cf_on_failure_serve;	/* on_failure = serve */

	struct fn	**cf_fns;		/* in file order */
	size_t		 cf_nfns;
	struct tenant	**cf_tenants;
	size_t		 cf_ntenants;
	size_t		 cf_max_captures;	/* most captures in any route */

	/* "FILE: [SECTION] KEY: what" for what was accepted but changed
	 * (a limit clamped): `fngw check` prints them, serve logs them. */
	char		**cf_warnings;
	size_t		 cf_nwarnings;
};

/*
 * Load and validate path.  Returns a snapshot with cf_refs = 1, or NULL
 * and *errstr pointing to a message in a thread-local buffer of the form
 * "FILE: [SECTION] KEY: what is wrong" (valid until the next call).
 * Reads files and the user database; may block: never call on the loop
 * except for SIGHUP.
 */
struct config	*config_load(const char *, const char **);
void		 config_free(struct config *);
struct config	*config_ref(struct config *);
void		 config_unref(struct config *);	/* frees at zero */

/* Write the route table of `fngw check` to fd (one line per fn). */
void		 config_print_routes(const struct config *, int);

/*
 * The keys the loader accepts in a section: "gateway", "billing",
 * "tenant" (every [tenant.*]) or "fn" (every [fn.*]); NULL for another
 * name.  A static, NULL-terminated list: what the man page fngw.ini(5)
 * must document (tests/unit/mankeys_test.c).
 */
const char *const *config_keys(const char *);

const struct fn	*config_fn(const struct config *, const char *);
const struct tenant *config_tenant(const struct config *, const char *);

/*
 * fn's executable and its folder are still as fngw check wants them (not
 * writable by group or others, owned by root or fn's user): checked
 * again at each spawn.  -1 and why otherwise.
 */
int	config_fn_trusted(const struct fn *, char *, size_t);

#endif /* CONFIG_H */
