/*
 * route_test.c -- route_find() over tests/fixtures/config/routes.ini,
 * route_normalize(), route_origin() and route_compile() limits.  Run
 * from the top of the tree (prove does).
 */
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "tap.h"
#include "util.h"

static struct config	*cf;

static const char *
find(const char *path, const char *host, const char *method,
    struct route_result *rr)
{
	if (route_find(cf, path, strlen(path), host, method, rr) == -1)
		return NULL;
	return rr->rr_fn->fn_name;
}

static int
is(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static const struct route_param *
param(const struct route_result *rr, const char *name)
{
	size_t	i;

	for (i = 0; i < rr->rr_nparams; i++)
		if (rr->rr_params[i].rp_name_len == strlen(name) &&
		    memcmp(rr->rr_params[i].rp_name, name,
		    rr->rr_params[i].rp_name_len) == 0)
			return &rr->rr_params[i];
	return NULL;
}

static int
param_is(const struct route_result *rr, const char *path, const char *name,
    const char *want)
{
	const struct route_param	*p;

	if ((p = param(rr, name)) == NULL)
		return 0;
	if (want == NULL)
		return !p->rp_set;
	return p->rp_set && p->rp_len == strlen(want) &&
	    memcmp(path + p->rp_off, want, p->rp_len) == 0;
}

static void
test_find(void)
{
	struct route_result	 rr;
	const char		*n;
	const char		*p;
	struct timespec		 t0, t1;
	double			 dt;

	/* anchoring */
	ok(is(find("/fn/echo", NULL, "GET", &rr), "echo") && rr.rr_method_ok,
	    "exact path matches");
	ok(find("/fn/echoes", NULL, "GET", &rr) == NULL,
	    "anchored at the end: /fn/echoes does not match");
	ok(find("/fn/echo\n", NULL, "GET", &rr) == NULL,
	    "$ does not match before a trailing newline");
	ok(find("/x/fn/echo", NULL, "GET", &rr) == NULL,
	    "anchored at the start");
	ok(find("/nothing", NULL, "GET", &rr) == NULL, "no match: -1");

	/* methods */
	ok(is(find("/fn/echo", NULL, "POST", &rr), "echo_post") &&
	    rr.rr_method_ok, "a later route matching the method is preferred");
	n = find("/fn/echo", NULL, "PUT", &rr);
	ok(is(n, "echo") && rr.rr_method_ok == 0,
	    "no route allows PUT: the first path match, method_ok = 0");
	n = find("/fn/echo", NULL, "get", &rr);
	ok(is(n, "echo") && rr.rr_method_ok == 0,
	    "methods are case-sensitive");
	ok(is(find("/fn/echo", NULL, "HEAD", &rr), "echo") &&
	    rr.rr_method_ok, "HEAD allowed");

	/* hosts */
	ok(is(find("/site", "example.com", "GET", &rr), "hosted"),
	    "host pattern matches");
	ok(is(find("/site", "WWW.Example.COM", "GET", &rr), "hosted"),
	    "host match is case-insensitive");
	ok(is(find("/site", "example.com.evil.org", "GET", &rr), "site"),
	    "host pattern anchored");
	ok(is(find("/site", NULL, "GET", &rr), "site"),
	    "NULL host skips host= routes");
	ok(find("/only", NULL, "GET", &rr) == NULL,
	    "NULL host never matches a host= route");
	ok(find("/only", "example.net", "GET", &rr) == NULL,
	    "other host: no match");
	ok(is(find("/only", "example.org", "GET", &rr), "hostonly"),
	    "right host matches");

	/* order */
	ok(is(find("/order/x", NULL, "GET", &rr), "first"),
	    "first match in file order wins");

	/* captures */
	p = "/u/alice/posts";
	ok(is(find(p, NULL, "GET", &rr), "params"), "params route");
	ok(rr.rr_nparams == 2, "two named captures (%zu)", rr.rr_nparams);
	ok(param_is(&rr, p, "user", "alice") && param_is(&rr, p, "tab",
	    "posts"), "captures -> params");
	ok(rr.rr_nparams == 2 && is(rr.rr_params[0].rp_name, "user"),
	    "params in pattern order");
	ok(rr.rr_script_len == strlen(p) && rr.rr_path_info_len == 0,
	    "no path_info: SCRIPT_NAME is the whole path");
	p = "/u/bob";
	ok(is(find(p, NULL, "GET", &rr), "params") &&
	    param_is(&rr, p, "user", "bob") && param_is(&rr, p, "tab", NULL),
	    "a group that did not participate has rp_set = 0");

	/* path_info */
	p = "/cgi/wiki.cgi/Main/Page";
	ok(is(find(p, NULL, "GET", &rr), "cgi"), "cgi route");
	ok(rr.rr_script_len == strlen("/cgi/wiki.cgi"),
	    "SCRIPT_NAME = path minus path_info (%zu)", rr.rr_script_len);
	ok(rr.rr_path_info_len == strlen("/Main/Page") &&
	    memcmp(p + rr.rr_path_info_off, "/Main/Page",
	    rr.rr_path_info_len) == 0, "PATH_INFO = the capture");
	ok(param_is(&rr, p, "path_info", "/Main/Page") &&
	    param_is(&rr, p, "script", "wiki.cgi"), "path_info is a param");
	p = "/cgi/wiki.cgi";
	ok(is(find(p, NULL, "GET", &rr), "cgi") &&
	    rr.rr_script_len == strlen(p) && rr.rr_path_info_len == 0,
	    "absent path_info: empty PATH_INFO, whole SCRIPT_NAME");
	p = "/mid/abc/end";
	ok(is(find(p, NULL, "GET", &rr), "mid") &&
	    rr.rr_script_len == strlen(p),
	    "path_info not at the end: SCRIPT_NAME is the whole path");

	/* bytes, not UTF-8 */
	ok(is(find("/bin/\xff\xfe", NULL, "GET", &rr), "bytes"),
	    "invalid UTF-8 bytes match");

	/* match limit */
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	n = find("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", NULL, "GET", &rr);
	ok(n == NULL, "catastrophic ^/(a+)+$ gives no match");
	n = find("/xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
	    NULL, "GET", &rr);
	ok(n == NULL, "catastrophic ^/x((a|aa)+)+$ gives no match");
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(dt < 0.5, "and does not hang (%.3fs)", dt);
	ok(is(find("/aaaa", NULL, "GET", &rr), "evil"),
	    "the same pattern still matches a sane path");
}

static int
norm(const char *in, const char *want)
{
	char	out[256];
	long	n;

	n = route_normalize(in, strlen(in), out);
	if (want == NULL)
		return n == -1;
	return n >= 0 && (size_t)n == strlen(want) && strcmp(out, want) == 0;
}

static void
test_normalize(void)
{
	char	out[16];

	ok(norm("/", "/"), "/");
	ok(norm("/a/b", "/a/b"), "/a/b unchanged");
	ok(norm("/a/./b/../c", "/a/c"), "/a/./b/../c -> /a/c");
	ok(norm("//a", "/a"), "//a -> /a");
	ok(norm("/a//b///c", "/a/b/c"), "duplicate slashes collapse");
	ok(norm("/a/%2e%2e/b", "/b"), "%%2e%%2e decoded, then resolved");
	ok(norm("/a/%2E%2e/b", "/b"), "upper-case hex");
	ok(norm("/a/%252e%252e/b", "/a/%2e%2e/b"), "decoded once only");
	ok(norm("/a%2fb", "/a/b"), "%%2f decodes to a separator");
	ok(norm("/a/b/", "/a/b/"), "trailing slash kept");
	ok(norm("/a/.", "/a/"), "/a/. -> /a/");
	ok(norm("/a/..", "/"), "/a/.. -> /");
	ok(norm("/a/b/..", "/a/"), "/a/b/.. -> /a/");
	ok(norm("/a/...", "/a/..."), "... is a name");
	ok(norm("/a/..b/.c", "/a/..b/.c"), "..b and .c are names");
	ok(norm("/hello%20world", "/hello world"), "%%20 decodes");
	ok(norm("/%ff", "/\xff"), "any byte but NUL");
	ok(norm("/..", NULL), "/.. climbs above root: -1");
	ok(norm("/a/../..", NULL), "/a/../.. climbs above root: -1");
	ok(norm("/../a", NULL), "/../a: -1");
	ok(norm("/%2e%2e", NULL), "encoded .. above root: -1");
	ok(norm("/%00", NULL), "%%00: -1");
	ok(norm("/a%zz", NULL), "bad escape %%zz: -1");
	ok(norm("/a%4", NULL), "truncated escape: -1");
	ok(norm("/a%", NULL), "lone %%: -1");
	ok(norm("a/b", NULL), "not absolute: -1");
	ok(norm("", NULL), "empty: -1");
	ok(route_normalize("/a\0b", 4, out) == -1, "raw NUL: -1");
	ok(route_normalize("/ab/c", 3, out) == 3 && strcmp(out, "/ab") == 0,
	    "honours len");
}

static int
origin(const char *in, const char *want)
{
	long	off;

	off = route_origin(in, strlen(in));
	if (want == NULL)
		return off == -1;
	return off >= 0 && strcmp(in + off, want) == 0;
}

/* Apache's REQUEST_URI is the request target as sent: maybe absolute. */
static void
test_origin(void)
{
	ok(origin("/a/b?x=1", "/a/b?x=1"), "origin form: itself");
	ok(origin("/", "/"), "/: itself");
	ok(origin("http://127.0.0.1:8080/a/b?x=1", "/a/b?x=1"),
	    "absolute form: from the path on");
	ok(origin("HTTPS://example.com/a", "/a"), "scheme in capitals");
	ok(origin("svn+ssh.x-1://h/a", "/a"), "scheme with + . - digits");
	ok(origin("http://h", ""), "no path: empty");
	ok(origin("http://h?x=/y", "?x=/y"), "no path, a query with /");
	ok(origin("http://h#f/g", "#f/g"), "no path, a fragment with /");
	ok(origin("http:///a", "/a"), "empty host");
	ok(origin("http://user@h:1/a//b", "/a//b"), "userinfo and port");
	ok(origin("", NULL), "empty: -1");
	ok(origin("a/b", NULL), "relative: -1");
	ok(origin("*", NULL), "asterisk form: -1");
	ok(origin("h:80", NULL), "authority form: -1");
	ok(origin("1http://h/a", NULL), "scheme starting with a digit: -1");
	ok(origin("http:/h/a", NULL), "one slash: -1");
	ok(origin("http//h/a", NULL), "no colon: -1");
	ok(origin("://h/a", NULL), "no scheme: -1");
	ok(route_origin("http://h/a", 6) == -1, "honours len (cut in ://)");
	ok(route_origin("http://h/a", 8) == 8, "honours len (host only)");
}

static void
test_compile(void)
{
	struct fn	 fn;
	const char	*errstr, *which;
	char		 pat[512];
	size_t		 i, n;

	memset(&fn, 0, sizeof(fn));
	fn.fn_route_src = pat;
	n = (size_t)snprintf(pat, sizeof(pat), "^/");
	for (i = 0; i < ROUTE_MAX_PARAMS; i++)
		n += (size_t)snprintf(pat + n, sizeof(pat) - n, "(?<p%zu>x)",
		    i);
	(void)snprintf(pat + n, sizeof(pat) - n, "$");
	ok(route_compile(&fn, &errstr, &which) == 0,
	    "%d named captures compile", ROUTE_MAX_PARAMS);
	ok(route_capture_count(fn.fn_route) == ROUTE_MAX_PARAMS,
	    "capture count");
	route_free(fn.fn_route);
	fn.fn_route = NULL;
	(void)snprintf(pat + n, sizeof(pat) - n, "(?<toomany>y)$");
	ok(route_compile(&fn, &errstr, &which) == -1 && fn.fn_route == NULL,
	    "%d named captures do not", ROUTE_MAX_PARAMS + 1);
	ok(strcmp(which, "route") == 0, "  which = route");

	/* Both would be FN_PARAM_NAME: one variable set twice. */
	(void)snprintf(pat, sizeof(pat), "^/(?<name>[a-z]+)/(?<NAME>[a-z]+)$");
	ok(route_compile(&fn, &errstr, &which) == -1 && fn.fn_route == NULL &&
	    strstr(errstr, "FN_PARAM_") != NULL,
	    "captures differing only in case are refused: %s", errstr);

	(void)snprintf(pat, sizeof(pat), "^/ok$");
	fn.fn_host_src = "(bad";
	ok(route_compile(&fn, &errstr, &which) == -1 &&
	    strcmp(which, "host") == 0 && strstr(errstr, "offset 4") != NULL,
	    "bad host pattern: which = host, %s", errstr);
	route_free(NULL);

	ok(route_method_bit("GET") == M_GET && route_method_bit("HEAD") ==
	    M_HEAD && route_method_bit("POST") == M_POST &&
	    route_method_bit("PUT") == M_PUT && route_method_bit("DELETE") ==
	    M_DELETE && route_method_bit("PATCH") == M_PATCH &&
	    route_method_bit("OPTIONS") == M_OPTIONS, "route_method_bit");
	ok(route_method_bit("get") == 0 && route_method_bit("TRACE") == 0 &&
	    route_method_bit("") == 0, "unknown methods are 0");
}

int
main(void)
{
	const char	*errstr = NULL;

	cf = config_load("tests/fixtures/config/routes.ini", &errstr);
	ok(cf != NULL, "routes.ini loads (%s)", errstr ? errstr : "ok");
	if (cf != NULL)
		test_find();
	test_normalize();
	test_origin();
	test_compile();
	config_free(cf);
	return done_testing();
}
