/*
 * config.c -- the parsed INI files to an immutable, validated snapshot.
 *
 * inifile.c reads the files and their sections; here every key of every
 * section is checked and turned into struct config.  All or nothing:
 * the first problem ends the load with one message naming file, section
 * and key.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "inifile.h"
#include "log.h"
#include "route.h"
#include "util.h"

struct cf_loader {
	struct config	*l_cf;
	struct inifile	 l_ini;
	struct ini_sect	 l_cs;			/* the section being read */
};

static const char *const gateway_keys[] = {
	"listen", "listen_mode", "listen_owner", "listen_group", "user",
	"max_connections", "runtime_dir", "billing_db", "node", "status_path",
	"status_allow", "include", "shutdown_timeout", "kill_grace",
	"max_params", "cron", "log_level", "allow_root", "min_uid",
	"read_timeout", NULL
};
static const char *const billing_keys[] = {
	"price_per_request", "price_per_gb_second", "granularity",
	"currency", "on_failure", NULL
};
static const char *const tenant_keys[] = { "concurrency", NULL };
static const char *const fn_keys[] = {
	"route", "methods", "host", "exec", "args", "mode", "tenant", "user",
	"group", "env", "env_file", "timeout", "memory", "cpu", "nofile",
	"nproc", "fsize", "max_body", "max_output", "concurrency",
	"min_instances", "idle_timeout", "max_requests", "queue",
	"queue_timeout", "schedule", NULL
};
static const char *const method_names[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"
};

__attribute__((format(printf, 3, 4)))
static int
cf_err(struct cf_loader *l, const char *key, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)inifile_verr(&l->l_cs, key, fmt, ap);
	va_end(ap);
	return -1;
}

/* Record a warning about key of the section being read; -1 on ENOMEM. */
__attribute__((format(printf, 3, 4)))
static int
cf_warn(struct cf_loader *l, const char *key, const char *fmt, ...)
{
	struct config	*cf = l->l_cf;
	char		 msg[512], **v;
	int		 n;
	va_list		 ap;

	n = snprintf(msg, sizeof(msg), "%s: [%s] %s: ", l->l_cs.is_path,
	    l->l_cs.is_name, key);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	(void)vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if ((v = reallocarray(cf->cf_warnings, cf->cf_nwarnings + 2,
	    sizeof(*v))) == NULL)
		return cf_err(l, key, "%s", strerror(errno));
	cf->cf_warnings = v;
	if ((v[cf->cf_nwarnings] = strdup(msg)) == NULL)
		return cf_err(l, key, "%s", strerror(errno));
	v[++cf->cf_nwarnings] = NULL;
	return 0;
}

static int
cf_intv(struct cf_loader *l, const char *key, long long min, long long max,
    int *out)
{
	long long	v = *out;

	if (inifile_int(&l->l_cs, key, min, max, &v) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

static int
cf_u64(struct cf_loader *l, const char *key, long long max, uint64_t *out)
{
	long long	v = (long long)*out;

	if (inifile_int(&l->l_cs, key, 0, max, &v) == -1)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int
cf_user(struct cf_loader *l, const char *key, const char *name, uid_t *uid,
    gid_t *gid)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL)
		return cf_err(l, key, "unknown user \"%s\"%s%s", name,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
	*uid = pw->pw_uid;
	if (gid != NULL)
		*gid = pw->pw_gid;
	return 0;
}

static int
cf_group(struct cf_loader *l, const char *key, const char *name, gid_t *gid)
{
	struct group	*gr;

	errno = 0;
	if ((gr = getgrnam(name)) == NULL)
		return cf_err(l, key, "unknown group \"%s\"%s%s", name,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
	*gid = gr->gr_gid;
	return 0;
}

/* "unix:/abs/path", "host:port", "[v6]:port" or "*:port". */
static const char *
cf_listen_check(const char *s)
{
	unsigned char	 a[16];
	char		 host[256];
	const char	*colon, *h, *es;
	long long	 port;
	size_t		 hl;

	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/')
			return "a unix socket path must be absolute";
		if (strlen(s + 5) >= 108)
			return "unix socket path too long";
		return NULL;
	}
	if ((colon = strrchr(s, ':')) == NULL)
		return "not unix:/path nor host:port";
	if (util_parse_int(colon + 1, 1, 65535, &port, &es) == -1)
		return "bad port";
	h = s;
	hl = (size_t)(colon - s);
	if (hl > 0 && *h == '[') {
		if (h[hl - 1] != ']')
			return "unclosed [ in address";
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return "no host before the port";
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (s[0] == '[')
		return inet_pton(AF_INET6, host, a) == 1 ? NULL :
		    "bad IPv6 address";
	if (inet_pton(AF_INET, host, a) == 1 || strcmp(host, "*") == 0)
		return NULL;
	if (strchr(host, ':') != NULL)
		return "write an IPv6 address as [addr]:port";
	for (h = host; *h != '\0'; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.')
			return "bad host name";
	return NULL;
}

static int
cf_gateway(struct cf_loader *l, char **include)
{
	struct config		*cf = l->l_cf;
	const struct ini_sect	*is = &l->l_cs;
	const char		*v, *es;
	char			*end, **sv;
	unsigned char		 a[16];
	unsigned long		 mode;
	enum log_level		 lvl;
	size_t			 i;

	if (inifile_keys_check(is, gateway_keys) == -1 ||
	    inifile_str(is, "listen", &cf->cf_listen) == -1 ||
	    inifile_str(is, "user", &cf->cf_user) == -1 ||
	    cf_user(l, "user", cf->cf_user, &cf->cf_uid, &cf->cf_gid) == -1 ||
	    cf_intv(l, "max_connections", 1, 1000000,
	    &cf->cf_max_connections) == -1 ||
	    inifile_str(is, "node", &cf->cf_node) == -1 ||
	    inifile_str(is, "status_path", &cf->cf_status_path) == -1 ||
	    inifile_str(is, "include", include) == -1 ||
	    inifile_duration(is, "shutdown_timeout",
	    &cf->cf_shutdown_timeout_ms, 0) == -1 ||
	    inifile_duration(is, "kill_grace", &cf->cf_kill_grace_ms,
	    0) == -1 ||
	    inifile_duration(is, "read_timeout", &cf->cf_read_timeout_ms,
	    1) == -1 ||
	    inifile_size(is, "max_params", &cf->cf_max_params) == -1 ||
	    inifile_bool(is, "cron", &cf->cf_cron) == -1 ||
	    inifile_bool(is, "allow_root", &cf->cf_allow_root) == -1 ||
	    inifile_int(is, "min_uid", 0, UINT32_MAX - 1,
	    &cf->cf_min_uid) == -1)
		return -1;
	if ((es = cf_listen_check(cf->cf_listen)) != NULL)
		return cf_err(l, "listen", "\"%s\": %s", cf->cf_listen, es);
	if ((v = inifile_get(is, "listen_mode")) != NULL) {
		errno = 0;
		mode = strtoul(v, &end, 8);
		if (!isdigit((unsigned char)*v) || *end != '\0' ||
		    errno != 0 || mode > 07777)
			return cf_err(l, "listen_mode", "bad mode \"%s\" "
			    "(octal, like 0660)", v);
		cf->cf_listen_mode = (mode_t)mode;
	}
	if ((v = inifile_get(is, "listen_owner")) != NULL &&
	    cf_user(l, "listen_owner", v, &cf->cf_listen_uid, NULL) == -1)
		return -1;
	if ((v = inifile_get(is, "listen_group")) != NULL &&
	    cf_group(l, "listen_group", v, &cf->cf_listen_gid) == -1)
		return -1;
	if (inifile_path(is, "runtime_dir", &cf->cf_runtime_dir) == -1 ||
	    inifile_path(is, "billing_db", &cf->cf_billing_db) == -1)
		return -1;
	if (cf->cf_status_path != NULL && cf->cf_status_path[0] != '/')
		return cf_err(l, "status_path", "must start with /");
	if ((v = inifile_get(is, "status_allow")) != NULL) {
		if ((sv = util_split(v, &es)) == NULL)
			return cf_err(l, "status_allow", "%s", es);
		util_strv_free(cf->cf_status_allow);
		cf->cf_status_allow = sv;
		for (i = 0; sv[i] != NULL; i++)
			if (inet_pton(AF_INET, sv[i], a) != 1 &&
			    inet_pton(AF_INET6, sv[i], a) != 1)
				return cf_err(l, "status_allow", "not an IPv4 "
				    "or IPv6 address: \"%s\"", sv[i]);
	}
	if ((v = inifile_get(is, "log_level")) != NULL) {
		if (log_parse_level(v, &lvl) == -1)
			return cf_err(l, "log_level", "\"%s\": not debug, "
			    "info, warn or error", v);
		cf->cf_log_level = (int)lvl;
	}
	return 0;
}

static int
cf_billing(struct cf_loader *l)
{
	struct config		*cf = l->l_cf;
	const struct ini_sect	*is = &l->l_cs;
	const char		*v;
	size_t			 i;

	if (inifile_keys_check(is, billing_keys) == -1 ||
	    inifile_str(is, "price_per_request",
	    &cf->cf_price_per_request) == -1 ||
	    inifile_str(is, "price_per_gb_second",
	    &cf->cf_price_per_gb_second) == -1 ||
	    inifile_duration(is, "granularity", &cf->cf_granularity_ms,
	    1) == -1 ||
	    inifile_str(is, "currency", &cf->cf_currency) == -1)
		return -1;
	/* As the ledger will take them (usage_open()). */
	if (!util_price_ok(cf->cf_price_per_request))
		return cf_err(l, "price_per_request", "\"%s\": not a plain "
		    "decimal with at most 12 decimal places",
		    cf->cf_price_per_request);
	if (!util_price_ok(cf->cf_price_per_gb_second))
		return cf_err(l, "price_per_gb_second", "\"%s\": not a plain "
		    "decimal with at most 12 decimal places",
		    cf->cf_price_per_gb_second);
	for (i = 0; cf->cf_currency[i] != '\0'; i++)
		if (!isalpha((unsigned char)cf->cf_currency[i]) || i >= 8)
			return cf_err(l, "currency", "\"%s\": not a currency "
			    "code", cf->cf_currency);
	if ((v = inifile_get(is, "on_failure")) != NULL) {
		if (strcasecmp(v, "reject") == 0)
			cf->cf_on_failure_serve = 0;
		else if (strcasecmp(v, "serve") == 0)
			cf->cf_on_failure_serve = 1;
		else
			return cf_err(l, "on_failure", "\"%s\": not reject "
			    "or serve", v);
	}
	return 0;
}

static int
cf_tenant(struct cf_loader *l)
{
	struct config	 *cf = l->l_cf;
	struct tenant	**nt, *t;

	if (inifile_keys_check(&l->l_cs, tenant_keys) == -1)
		return -1;
	if ((nt = reallocarray(cf->cf_tenants, cf->cf_ntenants + 1,
	    sizeof(*nt))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	cf->cf_tenants = nt;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	t->t_index = (int)cf->cf_ntenants;
	nt[cf->cf_ntenants++] = t;
	if ((t->t_name = strdup(l->l_cs.is_name + 7)) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	return cf_intv(l, "concurrency", 0, 1000000, &t->t_concurrency);
}

static int
cf_fn_exec(struct cf_loader *l, struct fn *fn)
{
	struct stat	 st;
	const char	*v, *es, *slash;
	char		**args = NULL, **argv;
	size_t		 n;

	if (inifile_get(&l->l_cs, "exec") == NULL)
		return cf_err(l, "exec", "missing (required)");
	if (inifile_path(&l->l_cs, "exec", &fn->fn_exec) == -1)
		return -1;
	if (stat(fn->fn_exec, &st) == -1)
		return cf_err(l, "exec", "%s: %s", fn->fn_exec,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cf_err(l, "exec", "%s: not a regular file",
		    fn->fn_exec);
	/* Once here, not at each spawn: the cwd and the trust check's. */
	slash = strrchr(fn->fn_exec, '/');
	if ((fn->fn_dir = strndup(fn->fn_exec, slash != fn->fn_exec ?
	    (size_t)(slash - fn->fn_exec) : 1)) == NULL)
		return cf_err(l, "exec", "%s", strerror(errno));
	/* Mode bits, not access(2): the function runs as another user. */
	if ((st.st_mode & 0111) == 0)
		return cf_err(l, "exec", "%s: not executable", fn->fn_exec);
	if ((v = inifile_get(&l->l_cs, "args")) != NULL &&
	    (args = util_split(v, &es)) == NULL)
		return cf_err(l, "args", "%s", es);
	n = util_strv_len(args);
	if ((argv = calloc(n + 2, sizeof(*argv))) == NULL ||
	    (argv[0] = strdup(fn->fn_exec)) == NULL) {
		free(argv);
		util_strv_free(args);
		return cf_err(l, "exec", "%s", strerror(errno));
	}
	if (n > 0)
		memcpy(argv + 1, args, n * sizeof(*argv));
	free(args);
	fn->fn_argv = argv;
	return 0;
}

static int
cf_fn_methods(struct cf_loader *l, struct fn *fn)
{
	const char	*v, *es;
	char		**sv, *p;
	unsigned	 bit;
	size_t		 i, len = 0;
	int		 rc = 0;

	fn->fn_methods = M_ALL;
	if ((v = inifile_get(&l->l_cs, "methods")) != NULL) {
		if ((sv = util_split(v, &es)) == NULL)
			return cf_err(l, "methods", "%s", es);
		fn->fn_methods = 0;
		for (i = 0; rc == 0 && sv[i] != NULL; i++) {
			for (p = sv[i]; *p != '\0'; p++)
				*p = (char)toupper((unsigned char)*p);
			if ((bit = route_method_bit(sv[i])) == 0)
				rc = cf_err(l, "methods", "unknown method "
				    "\"%s\" (GET HEAD POST PUT DELETE PATCH "
				    "OPTIONS)", sv[i]);
			fn->fn_methods |= bit;
		}
		util_strv_free(sv);
		if (rc == -1)
			return -1;
		if (fn->fn_methods == 0)
			fn->fn_methods = M_ALL;
	}
	if ((fn->fn_allow = calloc(1, 64)) == NULL)
		return cf_err(l, "methods", "%s", strerror(errno));
	for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (fn->fn_methods & (1U << i))
			len += (size_t)snprintf(fn->fn_allow + len, 64 - len,
			    "%s%s", len > 0 ? ", " : "", method_names[i]);
	return 0;
}

static int
cf_fn_ids(struct cf_loader *l, struct fn *fn)
{
	struct config	*cf = l->l_cf;
	const char	*v;

	if (inifile_str(&l->l_cs, "user", &fn->fn_user) == -1 ||
	    cf_user(l, "user", fn->fn_user != NULL ? fn->fn_user :
	    cf->cf_user, &fn->fn_uid, &fn->fn_gid) == -1)
		return -1;
	if ((v = inifile_get(&l->l_cs, "group")) != NULL &&
	    cf_group(l, "group", v, &fn->fn_gid) == -1)
		return -1;
	if (fn->fn_uid == 0 && !cf->cf_allow_root)
		return cf_err(l, "user", "\"%s\" is uid 0; running functions "
		    "as root needs allow_root = yes in [gateway]",
		    fn->fn_user != NULL ? fn->fn_user : cf->cf_user);
	/* suEXEC's rule: no system user (below min_uid) runs a function.
	 * Only as root: otherwise every function runs as fngw's user. */
	if (geteuid() == 0 && fn->fn_uid != 0 &&
	    fn->fn_uid < (uid_t)cf->cf_min_uid && !cf->cf_allow_root)
		return cf_err(l, "user", "\"%s\" is uid %u, a system user "
		    "(below min_uid %lld)", fn->fn_user != NULL ?
		    fn->fn_user : cf->cf_user, (unsigned)fn->fn_uid,
		    (long long)cf->cf_min_uid);
	return 0;
}

/*
 * What a function is must be trusted as much as the user it runs as
 * (suEXEC's checks): its executable and the folder holding it writable
 * by neither group nor others, and owned by root or the function's
 * user; its env_file (secrets) readable by nobody else.  The user is
 * fngw's own when fngw is not root.
 */
static int
cf_trust(const char *path, uid_t uid, int is_dir, char *why, size_t len)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		(void)snprintf(why, len, "%s: %s", path, strerror(errno));
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		(void)snprintf(why, len, "%s%s: writable by %s (chmod go-w)",
		    path, is_dir ? " (its folder)" : "",
		    st.st_mode & S_IWOTH ? "others" : "its group");
	else if (st.st_uid != 0 && st.st_uid != uid)
		(void)snprintf(why, len, "%s%s: owned by uid %u, neither root "
		    "nor the function's user (uid %u)", path, is_dir ?
		    " (its folder)" : "", (unsigned)st.st_uid, (unsigned)uid);
	else
		return 0;
	return -1;
}

int
config_fn_trusted(const struct fn *fn, char *why, size_t len)
{
	uid_t	uid = geteuid() == 0 ? fn->fn_uid : geteuid();

	if (cf_trust(fn->fn_exec, uid, 0, why, len) == -1)
		return -1;
	return cf_trust(fn->fn_dir, uid, 1, why, len);
}

static int
cf_fn_trust(struct cf_loader *l, struct fn *fn)
{
	struct stat	 st;
	char		*envf = NULL, why[512];
	int		 rc = 0;

	if (config_fn_trusted(fn, why, sizeof(why)) == -1)
		return cf_err(l, "exec", "%s", why);
	if (inifile_get(&l->l_cs, "env_file") == NULL)
		return 0;
	if (inifile_path(&l->l_cs, "env_file", &envf) == -1)
		return -1;
	if (stat(envf, &st) == 0 && (st.st_mode & S_IROTH))
		rc = cf_err(l, "env_file", "%s: readable by others: it holds "
		    "the function's secrets (chmod o-r)", envf);
	free(envf);
	return rc;
}

static int
cf_fn_env(struct cf_loader *l, struct fn *fn)
{
	if ((fn->fn_env = calloc(1, sizeof(*fn->fn_env))) == NULL)
		return cf_err(l, "env", "%s", strerror(errno));
	if (inifile_env_file(&l->l_cs, "env_file", &fn->fn_env) == -1 ||
	    inifile_env(&l->l_cs, "env", &fn->fn_env) == -1)
		return -1;
	return 0;
}

static int
cf_fn_misc(struct cf_loader *l, struct fn *fn)
{
	struct config		*cf = l->l_cf;
	const struct ini_sect	*is = &l->l_cs;
	const char		*v, *es, *which;
	char			 name[128], *p;
	size_t			 i;

	if ((v = inifile_get(is, "mode")) != NULL) {
		if (strcasecmp(v, "cgi") == 0)
			fn->fn_mode = FN_CGI;
		else if (strcasecmp(v, "fastcgi") == 0)
			fn->fn_mode = FN_FASTCGI;
		else
			return cf_err(l, "mode", "\"%s\": not cgi or fastcgi",
			    v);
	}
	if ((v = inifile_get(is, "tenant")) != NULL) {
		(void)snprintf(name, sizeof(name), "%s", v);
		for (p = name; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		for (i = 0; i < cf->cf_ntenants; i++)
			if (strcmp(cf->cf_tenants[i]->t_name, name) == 0)
				fn->fn_tenant = cf->cf_tenants[i];
		if (fn->fn_tenant == NULL)
			return cf_err(l, "tenant", "no [tenant.%s] section",
			    name);
	}
	if ((v = inifile_get(is, "schedule")) != NULL) {
		if (cron_parse(&fn->fn_cron, v, &es) == -1)
			return cf_err(l, "schedule", "\"%s\": %s", v, es);
		if ((fn->fn_schedule = strdup(v)) == NULL)
			return cf_err(l, "schedule", "%s", strerror(errno));
	}
	if (inifile_str(is, "host", &fn->fn_host_src) == -1)
		return -1;
	if (inifile_get(is, "route") == NULL)
		return cf_err(l, "route", "missing (required)");
	if (inifile_str(is, "route", &fn->fn_route_src) == -1)
		return -1;
	if (route_compile(fn, &es, &which) == -1)
		return cf_err(l, which, "%s", es);
	if (route_capture_count(fn->fn_route) > cf->cf_max_captures)
		cf->cf_max_captures = route_capture_count(fn->fn_route);
	return 0;
}

/*
 * A limit above fngw's own hard limit cannot be given (raising a hard
 * limit takes CAP_SYS_RESOURCE, which fngw does not assume): the
 * function gets fngw's hard limit, and `fngw check` says so.
 */
static int
cf_fn_clamp(struct cf_loader *l, const char *key, int res, uint64_t *v,
    uint64_t unit)
{
	struct rlimit	rl;

	if (*v == 0 || getrlimit(res, &rl) == -1 ||
	    rl.rlim_max == RLIM_INFINITY || *v <= rl.rlim_max)
		return 0;
	if (cf_warn(l, key, "%llu%s is above fngw's own hard limit "
	    "(%llu%s); the function gets %llu%s (raising a hard limit takes "
	    "CAP_SYS_RESOURCE)", (unsigned long long)*v,
	    unit == 1 ? "" : " s", (unsigned long long)rl.rlim_max,
	    unit == 1 ? "" : " s", (unsigned long long)rl.rlim_max,
	    unit == 1 ? "" : " s") == -1)
		return -1;
	*v = rl.rlim_max;
	return 0;
}

static int
cf_fn(struct cf_loader *l)
{
	struct config		 *cf = l->l_cf;
	const struct ini_sect	 *is = &l->l_cs;
	struct fn		**nf, *fn;
	uint64_t		  cpu = 0;

	if (inifile_keys_check(is, fn_keys) == -1)
		return -1;
	if ((nf = reallocarray(cf->cf_fns, cf->cf_nfns + 1,
	    sizeof(*nf))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	cf->cf_fns = nf;
	if ((fn = calloc(1, sizeof(*fn))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	fn->fn_index = (int)cf->cf_nfns;
	nf[cf->cf_nfns++] = fn;
	if ((fn->fn_name = strdup(is->is_name + 3)) == NULL ||
	    (fn->fn_file = strdup(is->is_path)) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	fn->fn_timeout_ms = 30000;
	fn->fn_max_body = 10 << 20;
	fn->fn_max_output = 64 << 20;
	fn->fn_concurrency = 8;
	fn->fn_idle_timeout_ms = 60000;
	fn->fn_max_requests = 1000;
	fn->fn_queue = 64;
	fn->fn_queue_timeout_ms = 5000;
	if (cf_fn_misc(l, fn) == -1 || cf_fn_methods(l, fn) == -1 ||
	    cf_fn_exec(l, fn) == -1 || cf_fn_ids(l, fn) == -1 ||
	    cf_fn_env(l, fn) == -1 || cf_fn_trust(l, fn) == -1 ||
	    inifile_duration(is, "timeout", &fn->fn_timeout_ms, 1) == -1 ||
	    inifile_size(is, "memory", &fn->fn_memory) == -1 ||
	    inifile_duration(is, "cpu", &cpu, 0) == -1 ||
	    inifile_size(is, "fsize", &fn->fn_fsize) == -1 ||
	    inifile_size(is, "max_body", &fn->fn_max_body) == -1 ||
	    inifile_size(is, "max_output", &fn->fn_max_output) == -1 ||
	    cf_intv(l, "concurrency", 1, 100000, &fn->fn_concurrency) == -1 ||
	    cf_intv(l, "min_instances", 0, 100000,
	    &fn->fn_min_instances) == -1 ||
	    inifile_duration(is, "idle_timeout", &fn->fn_idle_timeout_ms,
	    0) == -1 ||
	    cf_intv(l, "queue", 0, 1000000, &fn->fn_queue) == -1 ||
	    inifile_duration(is, "queue_timeout", &fn->fn_queue_timeout_ms,
	    0) == -1 ||
	    cf_u64(l, "max_requests", LLONG_MAX, &fn->fn_max_requests) == -1 ||
	    cf_u64(l, "nofile", 1 << 30, &fn->fn_nofile) == -1 ||
	    cf_u64(l, "nproc", 1 << 30, &fn->fn_nproc) == -1)
		return -1;
	fn->fn_cpu = (cpu + 999) / 1000;	/* RLIMIT_CPU is in seconds */
	fn->fn_cpu_ms = cpu;
	if (cf_fn_clamp(l, "memory", RLIMIT_AS, &fn->fn_memory, 1) == -1 ||
	    cf_fn_clamp(l, "cpu", RLIMIT_CPU, &fn->fn_cpu, 1000) == -1 ||
	    cf_fn_clamp(l, "nofile", RLIMIT_NOFILE, &fn->fn_nofile, 1) == -1 ||
	    cf_fn_clamp(l, "nproc", RLIMIT_NPROC, &fn->fn_nproc, 1) == -1 ||
	    cf_fn_clamp(l, "fsize", RLIMIT_FSIZE, &fn->fn_fsize, 1) == -1)
		return -1;
	if (fn->fn_cpu_ms > fn->fn_cpu * 1000)
		fn->fn_cpu_ms = fn->fn_cpu * 1000;
	if (fn->fn_min_instances > fn->fn_concurrency)
		return cf_err(l, "min_instances", "%d is more than "
		    "concurrency (%d)", fn->fn_min_instances,
		    fn->fn_concurrency);
	return 0;
}

static int
cf_defaults(struct config *cf)
{
	char	host[HOST_NAME_MAX + 1];

	if (gethostname(host, sizeof(host)) == -1)
		(void)snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	cf->cf_refs = 1;
	cf->cf_listen_mode = 0660;
	cf->cf_listen_uid = (uid_t)-1;
	cf->cf_listen_gid = (gid_t)-1;
	cf->cf_max_connections = 1024;
	cf->cf_shutdown_timeout_ms = 30000;
	cf->cf_kill_grace_ms = 2000;
	cf->cf_max_params = 64 << 10;
	cf->cf_cron = 1;
	cf->cf_log_level = LOG_INFO;
	cf->cf_min_uid = 1000;
	cf->cf_read_timeout_ms = 60000;
	cf->cf_granularity_ms = 1;
	if ((cf->cf_listen = strdup("unix:/run/fngw/fngw.sock")) == NULL ||
	    (cf->cf_user = strdup("nobody")) == NULL ||
	    (cf->cf_runtime_dir = strdup("/run/fngw")) == NULL ||
	    (cf->cf_billing_db = strdup("/var/lib/fngw/usage.db")) == NULL ||
	    (cf->cf_node = strdup(host)) == NULL ||
	    (cf->cf_status_allow = util_split("127.0.0.1 ::1",
	    &(const char *){ NULL })) == NULL ||
	    (cf->cf_price_per_request = strdup("0")) == NULL ||
	    (cf->cf_price_per_gb_second = strdup("0")) == NULL ||
	    (cf->cf_currency = strdup("USD")) == NULL)
		return -1;
	return 0;
}

static int	cf_runtime_dir_fits(struct cf_loader *);

struct config *
config_load(const char *path, const char **errstr)
{
	struct cf_loader	 l;
	struct config		*cf;
	char			*include = NULL;
	size_t			 i;
	int			 rc = -1;

	memset(&l, 0, sizeof(l));
	l.l_cs.is_path = path;
	if ((l.l_cf = cf = calloc(1, sizeof(*cf))) == NULL ||
	    (cf->cf_path = strdup(path)) == NULL || cf_defaults(cf) == -1) {
		cf_err(&l, NULL, "%s", strerror(errno));
		goto fail;
	}
	if (inifile_read(&l.l_ini, path) == -1)
		goto fail;
	for (i = 0; i < l.l_ini.if_nsects; i++) {
		l.l_cs = l.l_ini.if_sects[i];
		if (strcmp(l.l_cs.is_name, "gateway") == 0 &&
		    cf_gateway(&l, &include) == -1)
			goto fail;
	}
	if (include != NULL && inifile_include(&l.l_ini, include) == -1)
		goto fail;
	for (i = 0; i < l.l_ini.if_nsects; i++) {
		l.l_cs = l.l_ini.if_sects[i];
		if (strcmp(l.l_cs.is_name, "billing") == 0 &&
		    cf_billing(&l) == -1)
			goto fail;
		if (strncmp(l.l_cs.is_name, "tenant.", 7) == 0 &&
		    cf_tenant(&l) == -1)
			goto fail;
	}
	for (i = 0; i < l.l_ini.if_nsects; i++) {
		l.l_cs = l.l_ini.if_sects[i];
		if (strncmp(l.l_cs.is_name, "fn.", 3) == 0 && cf_fn(&l) == -1)
			goto fail;
	}
	if (cf_runtime_dir_fits(&l) == -1)
		goto fail;
	rc = 0;
fail:
	free(include);
	inifile_free(&l.l_ini);
	if (rc == -1) {
		config_free(cf);
		*errstr = inifile_errstr();
		return NULL;
	}
	return cf;
}

/*
 * Warm instances' sockets are runtime_dir/fnINDEX.SEQ.sock at the
 * longest: that must fit a unix socket's 108-byte sun_path.
 */
static int
cf_runtime_dir_fits(struct cf_loader *l)
{
	const struct config	*cf = l->l_cf;
	size_t			 i, max;

	max = 107 - sizeof("/fn99999.4294967295.sock");
	for (i = 0; i < cf->cf_nfns; i++)
		if (cf->cf_fns[i]->fn_mode == FN_FASTCGI)
			break;
	if (i == cf->cf_nfns || strlen(cf->cf_runtime_dir) <= max)
		return 0;
	for (i = 0; i < l->l_ini.if_nsects; i++)
		if (strcmp(l->l_ini.if_sects[i].is_name, "gateway") == 0)
			l->l_cs = l->l_ini.if_sects[i];
	return cf_err(l, "runtime_dir", "longer than %zu characters: fastcgi "
	    "instances' unix sockets would not fit", max);
}

void
config_free(struct config *cf)
{
	struct fn	*fn;
	size_t		 i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->cf_nfns; i++) {
		if ((fn = cf->cf_fns[i]) == NULL)
			continue;
		free(fn->fn_name);
		free(fn->fn_file);
		route_free(fn->fn_route);
		free(fn->fn_route_src);
		free(fn->fn_host_src);
		free(fn->fn_allow);
		free(fn->fn_exec);
		free(fn->fn_dir);
		util_strv_free(fn->fn_argv);
		free(fn->fn_user);
		util_strv_free(fn->fn_env);
		free(fn->fn_schedule);
		free(fn);
	}
	free(cf->cf_fns);
	for (i = 0; i < cf->cf_ntenants; i++) {
		if (cf->cf_tenants[i] != NULL)
			free(cf->cf_tenants[i]->t_name);
		free(cf->cf_tenants[i]);
	}
	free(cf->cf_tenants);
	util_strv_free(cf->cf_warnings);
	free(cf->cf_path);
	free(cf->cf_listen);
	free(cf->cf_user);
	free(cf->cf_runtime_dir);
	free(cf->cf_billing_db);
	free(cf->cf_node);
	free(cf->cf_status_path);
	util_strv_free(cf->cf_status_allow);
	free(cf->cf_price_per_request);
	free(cf->cf_price_per_gb_second);
	free(cf->cf_currency);
	free(cf);
}

struct config *
config_ref(struct config *cf)
{
	cf->cf_refs++;
	return cf;
}

void
config_unref(struct config *cf)
{
	if (cf != NULL && --cf->cf_refs == 0)
		config_free(cf);
}

const char *const *
config_keys(const char *section)
{
	if (strcmp(section, "gateway") == 0)
		return gateway_keys;
	if (strcmp(section, "billing") == 0)
		return billing_keys;
	if (strcmp(section, "tenant") == 0)
		return tenant_keys;
	if (strcmp(section, "fn") == 0)
		return fn_keys;
	return NULL;
}

const struct fn *
config_fn(const struct config *cf, const char *name)
{
	size_t	i;

	for (i = 0; i < cf->cf_nfns; i++)
		if (strcasecmp(cf->cf_fns[i]->fn_name, name) == 0)
			return cf->cf_fns[i];
	return NULL;
}

const struct tenant *
config_tenant(const struct config *cf, const char *name)
{
	size_t	i;

	for (i = 0; i < cf->cf_ntenants; i++)
		if (strcasecmp(cf->cf_tenants[i]->t_name, name) == 0)
			return cf->cf_tenants[i];
	return NULL;
}

/* One row of the route table; col[] are the column texts. */
#define CF_NCOLS	9

static void
cf_print_row(int fd, const char *const *col, const int *w)
{
	int	i;

	for (i = 0; i < CF_NCOLS - 1; i++)
		dprintf(fd, "%-*s  ", w[i], col[i]);
	dprintf(fd, "%s\n", col[i]);
}

static void
cf_fn_cols(const struct fn *fn, const char **col, char *methods,
    size_t msz, char *timeout, size_t tsz, char *conc, size_t csz)
{
	size_t	i, j;

	if (fn->fn_methods == M_ALL)
		(void)snprintf(methods, msz, "*");
	else {
		/* "GET, HEAD" without the spaces keeps the column narrow. */
		for (i = j = 0; fn->fn_allow[i] != '\0' && j + 1 < msz; i++)
			if (fn->fn_allow[i] != ' ')
				methods[j++] = fn->fn_allow[i];
		methods[j] = '\0';
	}
	if (fn->fn_timeout_ms % 1000 == 0)
		(void)snprintf(timeout, tsz, "%llus",
		    (unsigned long long)fn->fn_timeout_ms / 1000);
	else
		(void)snprintf(timeout, tsz, "%llums",
		    (unsigned long long)fn->fn_timeout_ms);
	(void)snprintf(conc, csz, "%d", fn->fn_concurrency);
	col[0] = fn->fn_name;
	col[1] = fn->fn_mode == FN_FASTCGI ? "fastcgi" : "cgi";
	col[2] = methods;
	col[3] = fn->fn_route_src;
	col[4] = fn->fn_host_src != NULL ? fn->fn_host_src : "-";
	col[5] = fn->fn_exec;
	col[6] = fn->fn_tenant != NULL ? fn->fn_tenant->t_name : "-";
	col[7] = timeout;
	col[8] = conc;
}

void
config_print_routes(const struct config *cf, int fd)
{
	static const char *const head[CF_NCOLS] = { "FUNCTION", "MODE",
	    "METHODS", "ROUTE", "HOST", "EXEC", "TENANT", "TIMEOUT",
	    "CONCURRENCY" };
	const char	*col[CF_NCOLS];
	char		 methods[64], timeout[32], conc[16];
	int		 w[CF_NCOLS], i, len;
	size_t		 n;

	for (i = 0; i < CF_NCOLS; i++)
		w[i] = (int)strlen(head[i]);
	for (n = 0; n < cf->cf_nfns; n++) {
		cf_fn_cols(cf->cf_fns[n], col, methods, sizeof(methods),
		    timeout, sizeof(timeout), conc, sizeof(conc));
		for (i = 0; i < CF_NCOLS; i++)
			if ((len = (int)strlen(col[i])) > w[i])
				w[i] = len;
	}
	cf_print_row(fd, head, w);
	for (n = 0; n < cf->cf_nfns; n++) {
		cf_fn_cols(cf->cf_fns[n], col, methods, sizeof(methods),
		    timeout, sizeof(timeout), conc, sizeof(conc));
		cf_print_row(fd, col, w);
	}
}
