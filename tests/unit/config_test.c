/*
 * config_test.c -- config_load() on the fixtures in tests/fixtures/config:
 * one full valid file with includes, and one file per kind of error.
 * Run from the top of the tree (prove does).
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "route.h"
#include "tap.h"
#include "util.h"

#define FX	"tests/fixtures/config/"

static int
has(const char *s, const char *sub)
{
	return s != NULL && strstr(s, sub) != NULL;
}

static const char *
env_get(char **env, const char *key)
{
	size_t	kl = strlen(key);

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, key, kl) == 0 && (*env)[kl] == '=')
			return *env + kl + 1;
	return NULL;
}

static size_t
env_count(char **env, const char *key)
{
	size_t	n = 0, kl = strlen(key);

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, key, kl) == 0 && (*env)[kl] == '=')
			n++;
	return n;
}

/*
 * file must fail to load, with a message naming the file, "[section]"
 * (when not NULL), "key: " (when not NULL) and holding `what`.
 */
static void
expect_err(const char *file, const char *file_in_msg, const char *section,
    const char *key, const char *what)
{
	struct config	*cf;
	const char	*errstr = NULL;
	char		 sec[128], k[128];

	cf = config_load(file, &errstr);
	ok(cf == NULL, "%s is refused", file);
	config_free(cf);
	if (cf != NULL)
		return;
	diag("%s", errstr ? errstr : "(no message)");
	ok(has(errstr, file_in_msg), "  message names the file %s",
	    file_in_msg);
	if (section != NULL) {
		(void)snprintf(sec, sizeof(sec), "[%s]", section);
		ok(has(errstr, sec), "  message names %s", sec);
	}
	if (key != NULL) {
		(void)snprintf(k, sizeof(k), "] %s: ", key);
		ok(has(errstr, k), "  message names the key %s", key);
	}
	if (what != NULL)
		ok(has(errstr, what), "  message says \"%s\"", what);
}

static void
test_full(void)
{
	struct config		*cf;
	const struct fn		*fn;
	const struct tenant	*t;
	const char		*errstr = NULL, *order[] = { "hello", "zeta",
	    "alpha", "middle", "bbb", "aaa" };
	struct passwd		*pw;
	char			 cronbuf[CRON_FORMAT_MAX];
	size_t			 i;
	int			 inorder;

	cf = config_load(FX "full.ini", &errstr);
	ok(cf != NULL, "full.ini loads (%s)", errstr ? errstr : "ok");
	if (cf == NULL)
		return;
	ok(cf->cf_refs == 1, "a new snapshot has one reference");

	/* [gateway] */
	ok(strcmp(cf->cf_listen, "127.0.0.1:9000") == 0, "listen");
	ok(cf->cf_listen_mode == 0600, "listen_mode is octal");
	ok(cf->cf_listen_uid == 0 && cf->cf_listen_gid == 0,
	    "listen_owner and listen_group resolve");
	pw = getpwnam("nobody");
	ok(pw != NULL && cf->cf_uid == pw->pw_uid, "user resolves");
	ok(cf->cf_max_connections == 512, "max_connections");
	ok(strcmp(cf->cf_runtime_dir, "/tmp/fngw-run") == 0, "runtime_dir");
	ok(strcmp(cf->cf_billing_db, "/tmp/fngw-usage.db") == 0,
	    "billing_db");
	ok(strcmp(cf->cf_node, "Web1") == 0, "values keep their case");
	ok(strcmp(cf->cf_status_path, "/fngw/status") == 0, "status_path");
	ok(util_strv_len(cf->cf_status_allow) == 3 &&
	    strcmp(cf->cf_status_allow[2], "10.0.0.7") == 0, "status_allow");
	ok(cf->cf_shutdown_timeout_ms == 20000, "shutdown_timeout 20s");
	ok(cf->cf_kill_grace_ms == 1500, "kill_grace 1500ms");
	ok(cf->cf_max_params == 32 * 1024, "max_params 32k");
	ok(cf->cf_cron == 0, "cron off");
	ok(cf->cf_log_level == LOG_DEBUG, "log_level debug");
	ok(cf->cf_allow_root == 0, "allow_root no");
	ok(cf->cf_min_uid == 500, "min_uid");
	ok(cf->cf_read_timeout_ms == 120000, "read_timeout 2m");

	/* [billing] */
	ok(strcmp(cf->cf_price_per_request, "0.0000002") == 0,
	    "price_per_request kept as written");
	ok(strcmp(cf->cf_price_per_gb_second, "0.0000166667") == 0,
	    "price_per_gb_second kept as written");
	ok(cf->cf_granularity_ms == 100, "granularity 100ms");
	ok(strcmp(cf->cf_currency, "EUR") == 0, "currency");
	ok(cf->cf_on_failure_serve == 1, "on_failure serve");

	/* tenants, from the main file and an included one */
	ok(cf->cf_ntenants == 2, "two tenants");
	t = config_tenant(cf, "ACME");
	ok(t != NULL && strcmp(t->t_name, "acme") == 0 &&
	    t->t_concurrency == 20, "[tenant.Acme] is acme, concurrency 20");
	ok(config_tenant(cf, "nope") == NULL, "unknown tenant is NULL");

	/* fn order: the main file's, then 10-first.ini, then 20-second.ini */
	ok(cf->cf_nfns == 6, "six functions (%zu)", cf->cf_nfns);
	inorder = cf->cf_nfns == 6;
	for (i = 0; inorder && i < 6; i++)
		inorder = strcmp(cf->cf_fns[i]->fn_name, order[i]) == 0 &&
		    cf->cf_fns[i]->fn_index == (int)i;
	ok(inorder, "functions in file order across sorted includes");
	ok(config_fn(cf, "README") == NULL, "the glob reads *.ini only");

	fn = config_fn(cf, "HELLO");
	ok(fn != NULL, "[fn.Hello] found as HELLO");
	if (fn == NULL)
		goto out;
	ok(strcmp(fn->fn_name, "hello") == 0, "fn name is lower case");
	ok(has(fn->fn_file, "full.ini"), "fn_file");
	ok(strcmp(fn->fn_route_src, "^/hello(?:/(?<name>[^/]+))?$") == 0,
	    "quoted route, quotes stripped");
	ok(fn->fn_route != NULL, "route compiled");
	ok(fn->fn_host_src != NULL && strcmp(fn->fn_host_src,
	    "^(www\\.)?example\\.com$") == 0, "host");
	ok(fn->fn_methods == (M_GET | M_HEAD | M_POST), "methods bits");
	ok(strcmp(fn->fn_allow, "GET, HEAD, POST") == 0, "fn_allow \"%s\"",
	    fn->fn_allow);
	ok(fn->fn_exec[0] == '/' && has(fn->fn_exec, "bin/hello.sh"),
	    "exec made absolute: %s", fn->fn_exec);
	ok(fn->fn_argv != NULL && strcmp(fn->fn_argv[0], fn->fn_exec) == 0 &&
	    strcmp(fn->fn_argv[1], "--verbose") == 0 &&
	    strcmp(fn->fn_argv[2], "two words") == 0 && fn->fn_argv[3] == NULL,
	    "argv = exec, args (quoted part kept whole)");
	ok(fn->fn_mode == FN_CGI, "mode cgi");
	ok(fn->fn_tenant == config_tenant(cf, "acme"), "tenant = ACME links");
	ok(fn->fn_user != NULL && strcmp(fn->fn_user, "nobody") == 0 &&
	    pw != NULL && fn->fn_uid == pw->pw_uid, "user");
	ok(fn->fn_gid == 65534, "group nogroup");
	ok(strcmp(env_get(fn->fn_env, "GREETING") ? env_get(fn->fn_env,
	    "GREETING") : "", "hi") == 0, "env overrides env_file");
	ok(env_count(fn->fn_env, "GREETING") == 1, "each key once");
	ok(env_get(fn->fn_env, "SECRET") != NULL &&
	    strcmp(env_get(fn->fn_env, "SECRET"), "s3cr3t") == 0,
	    "env_file entries");
	ok(env_get(fn->fn_env, "SPACED") != NULL &&
	    strcmp(env_get(fn->fn_env, "SPACED"), "kept as is") == 0,
	    "env_file values keep spaces");
	ok(env_get(fn->fn_env, "MSG") != NULL &&
	    strcmp(env_get(fn->fn_env, "MSG"), "a b") == 0,
	    "env quoted part keeps spaces");
	ok(env_get(fn->fn_env, "LANG") != NULL, "env LANG");
	ok(strncmp(fn->fn_env[0], "SECRET=", 7) == 0,
	    "env_file entries come first");
	ok(fn->fn_timeout_ms == 10000, "timeout 10s");
	ok(fn->fn_memory == 128ULL << 20, "memory 128m");
	ok(fn->fn_cpu == 30, "cpu 30s is 30 seconds");
	ok(fn->fn_nofile == 256 && fn->fn_nproc == 64, "nofile, nproc");
	ok(fn->fn_fsize == 100ULL << 20, "fsize 100m");
	ok(fn->fn_max_body == 1ULL << 30, "max_body 1g");
	ok(fn->fn_max_output == 64 << 10, "max_output 64k");
	ok(fn->fn_concurrency == 4 && fn->fn_min_instances == 1,
	    "concurrency, min_instances");
	ok(fn->fn_idle_timeout_ms == 90000, "idle_timeout");
	ok(fn->fn_max_requests == 42, "max_requests 042 is 42, not octal");
	ok(fn->fn_queue == 16 && fn->fn_queue_timeout_ms == 250,
	    "queue, queue_timeout");
	cron_format(&fn->fn_cron, cronbuf, sizeof(cronbuf));
	ok(fn->fn_schedule != NULL &&
	    strcmp(fn->fn_schedule, "*/5 * * * *") == 0 &&
	    strcmp(cronbuf, "*/5 * * * *") == 0, "schedule, parsed (%s)",
	    cronbuf);

	fn = config_fn(cf, "zeta");
	ok(fn != NULL && fn->fn_mode == FN_FASTCGI, "mode = FastCGI");
	ok(fn != NULL && fn->fn_methods == M_ALL && strcmp(fn->fn_allow,
	    "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS") == 0,
	    "no methods: all");
	ok(fn != NULL && fn->fn_user == NULL && pw != NULL &&
	    fn->fn_uid == pw->pw_uid && fn->fn_gid == pw->pw_gid,
	    "no user: [gateway] user");
	ok(fn != NULL && fn->fn_timeout_ms == 30000 &&
	    fn->fn_max_body == 10 << 20 && fn->fn_max_output == 64 << 20 &&
	    fn->fn_concurrency == 8 && fn->fn_idle_timeout_ms == 60000 &&
	    fn->fn_max_requests == 1000 && fn->fn_queue == 64 &&
	    fn->fn_queue_timeout_ms == 5000 && fn->fn_memory == 0 &&
	    fn->fn_tenant == NULL && fn->fn_schedule == NULL &&
	    fn->fn_env != NULL && fn->fn_env[0] == NULL, "fn defaults");
	fn = config_fn(cf, "middle");
	ok(fn != NULL && fn->fn_tenant == config_tenant(cf, "beta") &&
	    has(fn->fn_file, "10-first.ini"),
	    "included fn links a tenant of its file");
	ok(fn != NULL && strcmp(fn->fn_schedule, "@hourly") == 0,
	    "schedule @hourly");
	ok(cf->cf_max_captures == 2, "max captures (%zu)",
	    cf->cf_max_captures);
	ok(config_ref(cf) == cf && cf->cf_refs == 2, "config_ref");
	config_unref(cf);
	ok(cf->cf_refs == 1, "config_unref");
out:
	config_unref(cf);
}

static void
test_defaults(void)
{
	struct config	*cf;
	const char	*errstr = NULL;

	cf = config_load(FX "empty.ini", &errstr);
	ok(cf != NULL, "a config without functions loads (%s)",
	    errstr ? errstr : "ok");
	if (cf == NULL)
		return;
	ok(cf->cf_nfns == 0 && cf->cf_ntenants == 0, "nothing in it");
	ok(strcmp(cf->cf_user, "nobody") == 0, "user default nobody");
	ok(cf->cf_listen_mode == 0660, "listen_mode default 0660");
	ok(cf->cf_listen_uid == (uid_t)-1 && cf->cf_listen_gid == (gid_t)-1,
	    "listen owner unchanged by default");
	ok(cf->cf_max_connections == 1024, "max_connections default");
	ok(strcmp(cf->cf_runtime_dir, "/run/fngw") == 0 &&
	    strcmp(cf->cf_billing_db, "/var/lib/fngw/usage.db") == 0,
	    "runtime_dir, billing_db defaults");
	ok(cf->cf_node != NULL && cf->cf_node[0] != '\0', "node default");
	ok(cf->cf_status_path == NULL, "status off by default");
	ok(util_strv_len(cf->cf_status_allow) == 2, "status_allow default");
	ok(cf->cf_shutdown_timeout_ms == 30000 && cf->cf_kill_grace_ms == 2000,
	    "shutdown_timeout, kill_grace defaults");
	ok(cf->cf_max_params == 65536 && cf->cf_cron == 1 &&
	    cf->cf_min_uid == 1000 && cf->cf_read_timeout_ms == 60000,
	    "max_params, cron, min_uid, read_timeout defaults");
	ok(strcmp(cf->cf_price_per_request, "0") == 0 &&
	    strcmp(cf->cf_currency, "USD") == 0 && cf->cf_granularity_ms == 1 &&
	    cf->cf_on_failure_serve == 0, "billing defaults");
	config_free(cf);
	config_free(NULL);
	ok(1, "config_free(NULL)");
}

static void
test_print(void)
{
	struct config	*cf;
	const char	*errstr;
	char		 buf[8192];
	FILE		*fp;
	size_t		 n;
	int		 fd;

	if ((cf = config_load(FX "full.ini", &errstr)) == NULL ||
	    (fp = tmpfile()) == NULL) {
		ok(0, "route table");
		config_free(cf);
		return;
	}
	fd = fileno(fp);
	config_print_routes(cf, fd);
	(void)lseek(fd, 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	ok(has(buf, "FUNCTION") && has(buf, "ROUTE"), "route table header");
	ok(has(buf, "hello") && has(buf, "GET,HEAD,POST") &&
	    has(buf, "^(www\\.)?example\\.com$") && has(buf, "acme") &&
	    has(buf, "10s") && has(buf, "fastcgi"), "route table rows");
	ok(strstr(buf, "\nhello") < strstr(buf, "\nzeta") &&
	    strstr(buf, "\nzeta") < strstr(buf, "\naaa"), "in route order");
	(void)fclose(fp);
	config_free(cf);
}

static void
test_root(void)
{
	struct config	*cf;
	const char	*errstr = NULL;

	cf = config_load(FX "ok-root.ini", &errstr);
	ok(cf != NULL && cf->cf_fns[0]->fn_uid == 0,
	    "user root with allow_root = yes loads (%s)",
	    errstr ? errstr : "ok");
	config_free(cf);
}

/*
 * suEXEC's refusals, on files made here with the modes under test: the
 * executable or its folder writable by group or others, owned by
 * another user, a readable env_file, a system user below min_uid.
 */
static void
trust_case(const char *dir, const char *body, const char *key,
    const char *what)
{
	char	path[512];
	FILE	*f;

	(void)snprintf(path, sizeof(path), "%s/t.ini", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "[fn.t]\nroute = ^/t$\nexec = %s/bin/t.sh\n%s", dir, body);
	fclose(f);
	expect_err(path, "t.ini", "fn.t", key, what);
}

static void
test_trust(void)
{
	char	 dir[] = "/tmp/config_trust.XXXXXX", p[512], q[512];
	FILE	*f;

	if (mkdtemp(dir) == NULL)
		abort();
	(void)chmod(dir, 0755);
	(void)snprintf(p, sizeof(p), "%s/bin", dir);
	(void)mkdir(p, 0755);
	(void)chmod(p, 0755);
	(void)snprintf(p, sizeof(p), "%s/bin/t.sh", dir);
	if ((f = fopen(p, "w")) == NULL)
		abort();
	fputs("#!/bin/sh\n", f);
	fclose(f);

	(void)chmod(p, 0775);
	trust_case(dir, "", "exec", "writable by its group");
	(void)chmod(p, 0757);
	trust_case(dir, "", "exec", "writable by others");
	(void)chmod(p, 0755);
	(void)snprintf(q, sizeof(q), "%s/bin", dir);
	(void)chmod(q, 0777);
	trust_case(dir, "", "exec", "(its folder): writable by others");
	(void)chmod(q, 0755);
	(void)snprintf(q, sizeof(q), "%s/secret.env", dir);
	if ((f = fopen(q, "w")) == NULL)
		abort();
	fputs("KEY=v\n", f);
	fclose(f);
	(void)chmod(q, 0644);
	trust_case(dir, "env_file = secret.env\n", "env_file",
	    "readable by others");
	if (geteuid() == 0) {
		(void)chmod(q, 0600);
		if (chown(p, 12345, 0) == 0)
			trust_case(dir, "", "exec", "owned by uid 12345");
		(void)chown(p, 0, 0);
		trust_case(dir, "user = daemon\n", "user",
		    "a system user (below min_uid 1000)");
	} else
		ok(1, "# SKIP ownership and min_uid: not root");
	(void)snprintf(q, sizeof(q), "rm -rf '%s'", dir);
	(void)!system(q);
}

int
main(void)
{
	/* git keeps no read bits: the secrets file must not be readable
	 * by others, or config_load() refuses it (test_trust). */
	(void)chmod(FX "acme.env", 0600);
	test_full();
	test_defaults();
	test_print();
	test_trust();

	expect_err(FX "nonexistent.ini", "nonexistent.ini", NULL, NULL,
	    "No such file");
	expect_err(FX "err-unknown-key.ini", "err-unknown-key.ini",
	    "fn.hello", "frob", "unknown key");
	expect_err(FX "err-unknown-section.ini", "err-unknown-section.ini",
	    "frobnicate", NULL, "unknown section");
	expect_err(FX "err-dup-section.ini", "err-dup-section.ini",
	    "fn.hello", NULL, "line 5");
	expect_err(FX "dup-inc/main.ini", "inc/b.ini", "fn.two", NULL,
	    "already defined in");
	expect_err(FX "gw-inc/main.ini", "inc/x.ini", "gateway", NULL,
	    "main file");
	expect_err(FX "err-regex.ini", "err-regex.ini", "fn.hello", "route",
	    "offset");
	expect_err(FX "err-host-regex.ini", "err-host-regex.ini", "fn.hello",
	    "host", "offset");
	expect_err(FX "err-missing-exec.ini", "err-missing-exec.ini",
	    "fn.hello", "exec", "No such file or directory");
	expect_err(FX "err-no-exec-key.ini", "err-no-exec-key.ini",
	    "fn.hello", "exec", "missing");
	expect_err(FX "err-no-route.ini", "err-no-route.ini", "fn.hello",
	    "route", "missing");
	expect_err(FX "err-noexec.ini", "err-noexec.ini", "fn.hello", "exec",
	    "not executable");
	expect_err(FX "err-exec-dir.ini", "err-exec-dir.ini", "fn.hello",
	    "exec", "not a regular file");
	expect_err(FX "err-user.ini", "err-user.ini", "fn.hello", "user",
	    "unknown user \"zork\"");
	expect_err(FX "err-group.ini", "err-group.ini", "fn.hello", "group",
	    "unknown group");
	expect_err(FX "err-duration.ini", "err-duration.ini", "fn.hello",
	    "timeout", "bad duration \"10x\"");
	expect_err(FX "err-size.ini", "err-size.ini", "fn.hello", "memory",
	    "bad size \"12q\"");
	expect_err(FX "err-int.ini", "err-int.ini", "fn.hello",
	    "concurrency", "0x10");
	expect_err(FX "err-runtime-dir.ini", "err-runtime-dir.ini",
	    "gateway", "runtime_dir", "unix sockets");
	expect_err(FX "err-tenant.ini", "err-tenant.ini", "fn.hello",
	    "tenant", "tenant.other");
	expect_err(FX "err-method.ini", "err-method.ini", "fn.hello",
	    "methods", "FETCH");
	expect_err(FX "err-long-line.ini", "err-long-line.ini", NULL, NULL,
	    "line 4");
	expect_err(FX "err-root.ini", "err-root.ini", "fn.hello", "user",
	    "allow_root");
	expect_err(FX "err-gateway-root.ini", "err-gateway-root.ini",
	    "fn.hello", "user", "allow_root");
	expect_err(FX "err-env.ini", "err-env.ini", "fn.hello", "env",
	    "1BAD");
	expect_err(FX "err-env-file.ini", "err-env-file.ini", "fn.hello",
	    "env_file", "missing.env");
	expect_err(FX "err-schedule.ini", "err-schedule.ini", "fn.hello",
	    "schedule", "5");
	expect_err(FX "err-schedule-never.ini", "err-schedule-never.ini",
	    "fn.hello", "schedule", "never");
	expect_err(FX "err-schedule-hour.ini", "err-schedule-hour.ini",
	    "fn.hello", "schedule", "hour: 25 is not in 0-23");
	expect_err(FX "err-listen.ini", "err-listen.ini", "gateway",
	    "listen", "absolute");
	expect_err(FX "err-quote.ini", "err-quote.ini", "fn.hello", "args",
	    "quote");
	expect_err(FX "err-outside.ini", "err-outside.ini", NULL, NULL,
	    "outside");
	expect_err(FX "err-price.ini", "err-price.ini", "billing",
	    "price_per_request", "decimal");
	/* 13 places: the ledger would refuse it at start-up. */
	expect_err(FX "err-price-places.ini", "err-price-places.ini",
	    "billing", "price_per_gb_second", "12 decimal places");

	test_root();
	return done_testing();
}
