/*
 * cgi_test.c -- cgi_env_build(): SPEC.md's environment, built from a
 * hand-made request, and nothing else.
 */
#include "cgi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "request.h"
#include "route.h"
#include "tap.h"
#include "util.h"

#define NPAIRS_MAX	64

struct preq {
	struct request	*rq;
	struct pair	 pairs[NPAIRS_MAX];
	size_t		 n;
};

static void
padd_len(struct preq *r, const char *name, const char *val, size_t vlen)
{
	struct pair	*p;

	if (r->n == NPAIRS_MAX)
		abort();
	p = &r->pairs[r->n++];
	p->p_name = name;
	p->p_nlen = strlen(name);
	p->p_value = val;
	p->p_vlen = vlen;
	r->rq->rq_pairs = r->pairs;
	r->rq->rq_npairs = r->n;
}

static void
padd(struct preq *r, const char *name, const char *val)
{
	padd_len(r, name, val, strlen(val));
}

/* The value of name in the vector, or NULL. */
static const char *
get(char **env, const char *name)
{
	size_t	i, n = strlen(name);

	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

static int
is(char **env, const char *name, const char *want)
{
	const char	*v = get(env, name);

	if (v == NULL || strcmp(v, want) != 0) {
		diag("%s: got %s%s%s, want \"%s\"", name, v ? "\"" : "",
		    v ? v : "(absent)", v ? "\"" : "", want);
		return 0;
	}
	return 1;
}

static int
absent(char **env, const char *name)
{
	const char	*v = get(env, name);

	if (v != NULL)
		diag("%s is present: \"%s\"", name, v);
	return v == NULL;
}

/* Every entry is NAME=VALUE and every NAME appears once. */
static int
names_unique(char **env)
{
	size_t	i, j, li, lj;
	int	good = 1;

	for (i = 0; env[i] != NULL; i++) {
		if (strchr(env[i], '=') == NULL || env[i][0] == '=') {
			diag("not NAME=VALUE: \"%s\"", env[i]);
			good = 0;
			continue;
		}
		li = strcspn(env[i], "=");
		for (j = i + 1; env[j] != NULL; j++) {
			lj = strcspn(env[j], "=");
			if (li == lj && strncmp(env[i], env[j], li) == 0) {
				diag("twice: \"%s\" and \"%s\"", env[i],
				    env[j]);
				good = 0;
			}
		}
	}
	return good;
}

static struct request *
new_request(const struct fn *fn, const char *path, const char *trigger)
{
	struct request	*rq;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		abort();
	rq->rq_fn = fn;
	rq->rq_trigger = trigger;
	rq->rq_path = (char *)path;
	rq->rq_path_len = strlen(path);
	/* No route captures: the whole path is SCRIPT_NAME. */
	rq->rq_rr.rr_fn = fn;
	rq->rq_rr.rr_method_ok = 1;
	rq->rq_rr.rr_script_len = rq->rq_path_len;
	rq->rq_rr.rr_path_info_off = rq->rq_path_len;
	rq->rq_rr.rr_path_info_len = 0;
	return rq;
}

static void
test_full(void)
{
	static char	 tname[] = "acme";
	static char	 fname[] = "hello";
	static char	*fenv[] = { "GREETING=hi", "PATH=/opt/bin", NULL };
	/* Capture names are borrowed from the pattern, not NUL-terminated
	 * at rp_name_len: only the first rp_name_len bytes count. */
	static const char names[] = "nameTagidpath_info";
	static const char path[] = "/hello/Ada/x/y";
	static const char nulval[] = "ab\0cd";
	struct tenant	 t = { .t_name = tname };
	struct fn	 fn = { 0 };
	struct preq	 r = { 0 };
	struct request	*rq;
	struct route_param *rp;
	const char	*errstr = NULL, *v;
	char		**env;
	uint64_t	 before, after, dl;
	char		*end;

	fn.fn_name = fname;
	fn.fn_tenant = &t;
	fn.fn_env = fenv;
	fn.fn_timeout_ms = 30000;
	r.rq = rq = new_request(&fn, path, "http");
	(void)snprintf(rq->rq_reqid, sizeof(rq->rq_reqid), "%s",
	    "0123456789abcdef0123456789abcdef");
	rq->rq_clen = 11;

	/* As route.c fills it for /hello/Ada/x/y: captures "name" (Ada),
	 * "Tag" (x, to check case folding), "id" (did not take part) and
	 * "path_info" (/x/y, which also gives SCRIPT_NAME /hello/Ada). */
	rq->rq_rr.rr_script_len = 10;		/* /hello/Ada */
	rq->rq_rr.rr_path_info_off = 10;	/* /x/y */
	rq->rq_rr.rr_path_info_len = 4;
	rp = rq->rq_rr.rr_params;
	rp[0] = (struct route_param){ names, 4, 7, 3, 1 };	  /* Ada */
	rp[1] = (struct route_param){ names + 4, 3, 11, 1, 1 };  /* x */
	rp[2] = (struct route_param){ names + 7, 2, 0, 0, 0 };	  /* unset */
	rp[3] = (struct route_param){ names + 9, 9, 10, 4, 1 };  /* /x/y */
	rq->rq_rr.rr_nparams = 4;

	/* What nginx's fastcgi_params sends, plus things it must not pass. */
	padd(&r, "REQUEST_METHOD", "POST");
	padd(&r, "QUERY_STRING", "a=1&b=2");
	padd(&r, "REQUEST_URI", "/hello/Ada/x/y?a=1&b=2");
	padd(&r, "DOCUMENT_URI", "/hello/Ada/x/y");
	padd(&r, "DOCUMENT_ROOT", "/var/www");
	padd(&r, "SCRIPT_FILENAME", "/var/www/hello.php");
	padd(&r, "SCRIPT_NAME", "/from/the/server");
	padd(&r, "PATH_INFO", "/from/the/server");
	padd(&r, "SERVER_PROTOCOL", "HTTP/1.0");
	padd(&r, "SERVER_SOFTWARE", "nginx/1.24.0");
	padd(&r, "GATEWAY_INTERFACE", "CGI/9.9");
	padd(&r, "REMOTE_ADDR", "192.0.2.7");
	padd(&r, "REMOTE_PORT", "54321");
	padd(&r, "SERVER_ADDR", "192.0.2.1");
	padd(&r, "SERVER_PORT", "8080");
	padd(&r, "SERVER_NAME", "example.org");
	padd(&r, "REQUEST_ID", "nginx-request-id");
	padd(&r, "CONTENT_TYPE", "application/json");
	padd(&r, "CONTENT_LENGTH", "11");
	padd(&r, "HTTPS", "on");
	padd(&r, "FOO", "bar");
	padd(&r, "LD_PRELOAD", "/tmp/evil.so");
	padd(&r, "PATH", "/evil/bin");
	padd(&r, "FN_NAME", "impostor");
	padd(&r, "FN_DEADLINE_MS", "1");
	padd(&r, "HTTP_HOST", "example.org");
	padd(&r, "HTTP_X_TRI", "z");
	padd(&r, "HTTP_USER_AGENT", "curl/8.5.0");
	padd(&r, "HTTP_X_FOO", "a");
	padd(&r, "HTTP_PROXY", "http://evil.example:3128");
	padd(&r, "HTTP_X_TRI", "a");
	padd(&r, "HTTP_X-BAD", "1");
	padd(&r, "HTTP_X_A.B", "2");
	padd(&r, "HTTP_x_lower", "3");
	padd(&r, "HTTP_", "4");
	padd_len(&r, "HTTP_X_NUL", nulval, sizeof(nulval) - 1);
	padd(&r, "HTTP_X_FOO", "b");
	padd(&r, "HTTP_X_EMPTY", "");
	padd(&r, "HTTP_X_TRI", "m");
	padd(&r, "HTTP_X_BAR", "2");
	padd(&r, "HTTP_X_BAR", "1");

	before = util_wall_us() / 1000;
	env = cgi_env_build(rq, &errstr);
	after = util_wall_us() / 1000;
	ok(env != NULL, "cgi_env_build succeeds (%s)", errstr ? errstr : "ok");
	if (env == NULL) {
		free(rq);
		return;
	}

	/* RFC 3875. */
	ok(is(env, "GATEWAY_INTERFACE", "CGI/1.1"),
	    "GATEWAY_INTERFACE=CGI/1.1, not the server's param");
	ok(is(env, "REQUEST_METHOD", "POST"), "REQUEST_METHOD passed");
	ok(is(env, "QUERY_STRING", "a=1&b=2"), "QUERY_STRING passed");
	ok(is(env, "SERVER_NAME", "example.org"), "SERVER_NAME passed");
	ok(is(env, "SERVER_PORT", "8080"), "SERVER_PORT passed");
	ok(is(env, "SERVER_PROTOCOL", "HTTP/1.0"), "SERVER_PROTOCOL passed");
	ok(is(env, "REMOTE_ADDR", "192.0.2.7"), "REMOTE_ADDR passed");
	ok(is(env, "REQUEST_URI", "/hello/Ada/x/y?a=1&b=2"),
	    "REQUEST_URI passed");
	ok(is(env, "CONTENT_TYPE", "application/json"), "CONTENT_TYPE passed");
	ok(is(env, "SERVER_SOFTWARE", "fngw"),
	    "SERVER_SOFTWARE=fngw, not the server's param");
	ok(is(env, "CONTENT_LENGTH", "11"), "CONTENT_LENGTH from rq_clen");
	ok(is(env, "SCRIPT_NAME", "/hello/Ada"),
	    "SCRIPT_NAME from the route, not the param");
	ok(is(env, "PATH_INFO", "/x/y"),
	    "PATH_INFO from the route, not the param");
	ok(is(env, "HTTPS", "on"), "HTTPS=on when the param is \"on\"");

	/* HTTP_*. */
	ok(is(env, "HTTP_HOST", "example.org"), "HTTP_HOST passed");
	ok(is(env, "HTTP_USER_AGENT", "curl/8.5.0"), "HTTP_USER_AGENT passed");
	ok(is(env, "HTTP_X_EMPTY", ""), "an empty header passes, empty");
	ok(absent(env, "HTTP_PROXY"), "HTTP_PROXY never passes (httpoxy)");
	ok(absent(env, "HTTP_X-BAD"), "a name with '-' is dropped");
	ok(absent(env, "HTTP_X_A.B"), "a name with '.' is dropped");
	ok(absent(env, "HTTP_x_lower"), "a name with lower case is dropped");
	ok(absent(env, "HTTP_"), "a bare HTTP_ is dropped");
	ok(absent(env, "HTTP_X_NUL"), "a value with an embedded NUL is "
	    "dropped (not cut at the NUL)");
	ok(is(env, "HTTP_X_FOO", "a, b"),
	    "a header sent twice is joined: HTTP_X_FOO=a, b");
	ok(is(env, "HTTP_X_BAR", "2, 1"),
	    "joined in arrival order, not sorted: HTTP_X_BAR=2, 1");
	ok(is(env, "HTTP_X_TRI", "z, a, m"),
	    "three copies joined in arrival order: HTTP_X_TRI=z, a, m");

	/* Not on the allow-list. */
	ok(absent(env, "DOCUMENT_ROOT"), "DOCUMENT_ROOT not passed");
	ok(absent(env, "DOCUMENT_URI"), "DOCUMENT_URI not passed");
	ok(absent(env, "SCRIPT_FILENAME"), "SCRIPT_FILENAME not passed");
	ok(absent(env, "REMOTE_PORT"), "REMOTE_PORT not passed");
	ok(absent(env, "SERVER_ADDR"), "SERVER_ADDR not passed");
	ok(absent(env, "REQUEST_ID"), "REQUEST_ID not passed");
	ok(absent(env, "FOO"), "an unknown param FOO not passed");
	ok(absent(env, "LD_PRELOAD"), "LD_PRELOAD from the params not passed");
	ok(absent(env, "SECRET_TOKEN"),
	    "nothing of the gateway's environment (SECRET_TOKEN)");
	ok(absent(env, "HOME") && absent(env, "USER") &&
	    absent(env, "LOGNAME") && absent(env, "PWD"),
	    "no HOME, USER, LOGNAME, PWD");

	/* FN_*, PATH, env. */
	ok(is(env, "PATH", "/opt/bin"), "PATH from the fn's env overrides");
	ok(is(env, "FN_NAME", "hello"), "FN_NAME is the fn, not the param");
	ok(is(env, "FN_TENANT", "acme"), "FN_TENANT is the tenant's name");
	ok(is(env, "FN_REQUEST_ID", "0123456789abcdef0123456789abcdef"),
	    "FN_REQUEST_ID is rq_reqid");
	ok(is(env, "FN_TRIGGER", "http"), "FN_TRIGGER=http");
	v = get(env, "FN_DEADLINE_MS");
	dl = v ? strtoull(v, &end, 10) : 0;
	ok(v != NULL && *v != '\0' && *end == '\0' &&
	    dl + 1000 >= before + 30000 && dl <= after + 30000 + 1000,
	    "FN_DEADLINE_MS is now + timeout, epoch ms (%s, now %llu)",
	    v ? v : "absent", (unsigned long long)before);
	ok(is(env, "FN_PARAM_NAME", "Ada"),
	    "FN_PARAM_NAME=Ada for the capture \"name\"");
	ok(is(env, "FN_PARAM_TAG", "x"),
	    "a mixed-case capture name is upper-cased (FN_PARAM_TAG)");
	ok(absent(env, "FN_PARAM_ID"), "an unset capture is absent");
	ok(absent(env, "FN_PARAM_name") && absent(env, "FN_PARAM_NAMETAG") &&
	    absent(env, "FN_PARAM_Tag"), "capture names use rp_name_len, "
	    "upper case only");
	ok(is(env, "GREETING", "hi"), "GREETING=hi from the fn's env");
	ok(names_unique(env), "every name appears exactly once (%zu vars)",
	    util_strv_len(env));
	cgi_env_free(env);
	free(rq);
}

static void
test_defaults(void)
{
	static char	 fname[] = "plain";
	static char	*fenv[] = { "GREETING=hello", "PATHX=no", NULL };
	struct fn	 fn = { 0 };
	struct preq	 r = { 0 };
	struct request	*rq;
	const char	*errstr = NULL;
	char		**env;

	fn.fn_name = fname;
	fn.fn_env = fenv;
	fn.fn_timeout_ms = 1000;
	r.rq = rq = new_request(&fn, "/plain", "http");
	(void)snprintf(rq->rq_reqid, sizeof(rq->rq_reqid), "req2");
	padd(&r, "REQUEST_METHOD", "GET");
	padd(&r, "HTTPS", "off");
	padd_len(&r, "SERVER_NAME", "ex\0ample", 8);
	env = cgi_env_build(rq, &errstr);
	ok(env != NULL, "second request builds (%s)", errstr ? errstr : "ok");
	if (env == NULL) {
		free(rq);
		return;
	}
	ok(is(env, "PATH", "/usr/local/bin:/usr/bin:/bin"),
	    "PATH is the fixed default when the fn's env has none");
	ok(is(env, "PATHX", "no"), "a name that starts with PATH is its own");
	ok(is(env, "GREETING", "hello"), "GREETING from this fn's env");
	ok(is(env, "FN_TENANT", ""), "FN_TENANT is empty with no tenant");
	ok(absent(env, "HTTPS"), "no HTTPS when the param is \"off\"");
	ok(is(env, "SCRIPT_NAME", "/plain") && is(env, "PATH_INFO", ""),
	    "no path_info: SCRIPT_NAME is the path, PATH_INFO empty");
	ok(is(env, "QUERY_STRING", ""), "QUERY_STRING is empty, not absent");
	ok(is(env, "CONTENT_LENGTH", "0") && is(env, "CONTENT_TYPE", ""),
	    "no CONTENT_LENGTH, CONTENT_TYPE params (Apache, no body): "
	    "0 and empty, as behind nginx");
	ok(absent(env, "SERVER_NAME"),
	    "a standard variable holding a NUL is dropped, not cut short");
	ok(absent(env, "FN_PARAM_NAME"), "no captures, no FN_PARAM_*");
	ok(absent(env, "SECRET_TOKEN") && absent(env, "HOME"),
	    "still nothing of the gateway's environment");
	ok(names_unique(env), "every name appears exactly once (%zu vars)",
	    util_strv_len(env));
	cgi_env_free(env);

	/* No env at all; another trigger. */
	fn.fn_env = NULL;
	rq->rq_trigger = "cron";
	env = cgi_env_build(rq, &errstr);
	ok(env != NULL && is(env, "PATH", "/usr/local/bin:/usr/bin:/bin") &&
	    absent(env, "GREETING"), "fn_env NULL: default PATH, no GREETING");
	ok(env != NULL && is(env, "FN_TRIGGER", "cron"), "FN_TRIGGER=cron");
	cgi_env_free(env);
	free(rq);
}

/* HTTPS=on only for a non-empty param that is not "off". */
static void
test_https(void)
{
	static const struct {
		const char	*val;	/* NULL: no param */
		int		 on;
	} cases[] = {
		{ NULL, 0 }, { "", 0 }, { "off", 0 }, { "OFF", 0 },
		{ "on", 1 }, { "1", 1 }, { "ON", 1 },
	};
	static char	 fname[] = "tls";
	struct fn	 fn = { 0 };
	struct request	*rq;
	const char	*errstr = NULL;
	char		**env;
	size_t		 i;

	fn.fn_name = fname;
	fn.fn_timeout_ms = 1000;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct preq	r = { 0 };

		r.rq = rq = new_request(&fn, "/tls", "http");
		padd(&r, "REQUEST_METHOD", "GET");
		if (cases[i].val != NULL)
			padd(&r, "HTTPS", cases[i].val);
		env = cgi_env_build(rq, &errstr);
		if (cases[i].on)
			ok(env != NULL && is(env, "HTTPS", "on"),
			    "HTTPS=\"%s\": HTTPS=on", cases[i].val);
		else
			ok(env != NULL && absent(env, "HTTPS"),
			    "HTTPS=%s%s%s: no HTTPS", cases[i].val ? "\"" : "",
			    cases[i].val ? cases[i].val : "(none)",
			    cases[i].val ? "\"" : "");
		cgi_env_free(env);
		free(rq);
	}
}

/* REQUEST_URI: the origin form request.c made of an absolute one (an
 * Apache that passes the request target as sent), else the param. */
static void
test_request_uri(void)
{
	static char	 fname[] = "uri";
	static char	 origin[] = "/uri/x?a=1";
	struct fn	 fn = { 0 };
	struct preq	 r = { 0 };
	struct request	*rq;
	const char	*errstr = NULL;
	char		**env;

	fn.fn_name = fname;
	fn.fn_timeout_ms = 1000;
	r.rq = rq = new_request(&fn, "/uri/x", "http");
	padd(&r, "REQUEST_METHOD", "GET");
	padd(&r, "REQUEST_URI", "http://h:8080/uri/x?a=1");
	rq->rq_uri = origin;
	env = cgi_env_build(rq, &errstr);
	ok(env != NULL && is(env, "REQUEST_URI", "/uri/x?a=1"),
	    "REQUEST_URI: the origin form, not the param");
	ok(env != NULL && names_unique(env), "  and only once");
	cgi_env_free(env);
	free(rq);
}

/*
 * Captures whose names differ only in case ("name", "NAME") would both be
 * FN_PARAM_NAME; route_compile() refuses such routes (route_test.c), so
 * cgi_env_build() never sees them.
 */

int
main(void)
{
	/* The gateway's own environment must not leak into the function's. */
	(void)setenv("SECRET_TOKEN", "leak", 1);
	(void)setenv("HOME", "/root", 1);
	(void)setenv("USER", "root", 1);
	(void)setenv("LOGNAME", "root", 1);
	(void)setenv("PWD", "/", 1);
	test_full();
	test_defaults();
	test_https();
	test_request_uri();
	return done_testing();
}
