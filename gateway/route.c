/*
 * route.c -- PCRE2 routes: compiled once per config snapshot, matched on
 * the loop without allocating, plus the path normaliser the front end
 * runs before matching.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pcre2.h>

#include "config.h"
#include "log.h"
#include "route.h"

/*
 * Backtracking budget per match.  A hostile pattern/path pair such as
 * ^/(a+)+$ against "/aaaa...!" stops here (no match, a warning) instead
 * of holding the loop.  The depth and heap limits only bind the
 * interpreter; JIT honours the match limit.
 */
#define ROUTE_MATCH_LIMIT	100000
#define ROUTE_DEPTH_LIMIT	10000
#define ROUTE_HEAP_LIMIT	8192		/* KiB */

struct route_name {
	const char	*rn_name;	/* in the pattern's name table */
	size_t		 rn_len;
	int		 rn_group;
};

struct route {
	pcre2_code		*r_code;
	pcre2_match_data	*r_md;
	pcre2_code		*r_host;	/* NULL: any host */
	pcre2_match_data	*r_host_md;
	pcre2_match_context	*r_mctx;
	size_t			 r_ncaptures;
	struct route_name	 r_names[ROUTE_MAX_PARAMS];
	size_t			 r_nnames;	/* sorted by group number */
	int			 r_path_info;	/* group number; 0: none */
};

static _Thread_local char	route_errbuf[512];

/*
 * Compile one anchored pattern.  No PCRE2_UTF: a decoded path is bytes
 * and may hold any byte but NUL (e.g. %ff), which UTF mode would refuse
 * as invalid input; byte semantics are what nginx's own regexes use on
 * a URI too.  PCRE2_DOLLAR_ENDONLY and PCRE2_ENDANCHORED keep "$" from
 * matching before a trailing newline.
 */
static pcre2_code *
route_pcre(const char *src, uint32_t extra, const char **errstr)
{
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	pcre2_code	*code;
	int		 rc;

	code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
	    PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOLLAR_ENDONLY |
	    PCRE2_NEVER_UTF | PCRE2_NEVER_UCP | extra, &rc, &off, NULL);
	if (code == NULL) {
		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			(void)snprintf((char *)msg, sizeof(msg), "error %d",
			    rc);
		(void)snprintf(route_errbuf, sizeof(route_errbuf),
		    "does not compile at offset %zu: %s", (size_t)off,
		    (char *)msg);
		*errstr = route_errbuf;
		return NULL;
	}
	/* JIT is an optimisation only: the interpreter is the fallback. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	return code;
}

static int
route_name_cmp(const void *a, const void *b)
{
	const struct route_name	*x = a, *y = b;

	return x->rn_group - y->rn_group;
}

/* Read the named groups of r->r_code into r->r_names. */
static int
route_names(struct route *r, const char **errstr)
{
	PCRE2_SPTR	 table;
	uint32_t	 count, size, i;
	uint32_t	 ncap;

	if (pcre2_pattern_info(r->r_code, PCRE2_INFO_CAPTURECOUNT,
	    &ncap) != 0 ||
	    pcre2_pattern_info(r->r_code, PCRE2_INFO_NAMECOUNT, &count) != 0 ||
	    pcre2_pattern_info(r->r_code, PCRE2_INFO_NAMEENTRYSIZE,
	    &size) != 0 ||
	    pcre2_pattern_info(r->r_code, PCRE2_INFO_NAMETABLE, &table) != 0) {
		*errstr = "cannot read the pattern's capture groups";
		return -1;
	}
	r->r_ncaptures = ncap;
	if (count > ROUTE_MAX_PARAMS) {
		(void)snprintf(route_errbuf, sizeof(route_errbuf),
		    "%u named captures (at most %d)", count,
		    ROUTE_MAX_PARAMS);
		*errstr = route_errbuf;
		return -1;
	}
	/* Each entry: the group number in two bytes, then the name, NUL. */
	for (i = 0; i < count; i++) {
		r->r_names[i].rn_group = table[0] << 8 | table[1];
		r->r_names[i].rn_name = (const char *)table + 2;
		r->r_names[i].rn_len = strlen((const char *)table + 2);
		if (strcmp(r->r_names[i].rn_name, "path_info") == 0)
			r->r_path_info = r->r_names[i].rn_group;
		table += size;
	}
	r->r_nnames = count;
	/* Captures become FN_PARAM_<NAME>, upper-cased: two names that
	 * differ only in case would give one variable twice. */
	for (i = 0; i < count; i++) {
		uint32_t	j;

		for (j = i + 1; j < count; j++)
			if (strcasecmp(r->r_names[i].rn_name,
			    r->r_names[j].rn_name) == 0) {
				(void)snprintf(route_errbuf,
				    sizeof(route_errbuf),
				    "captures \"%s\" and \"%s\" would both be "
				    "FN_PARAM_ variables of one name",
				    r->r_names[i].rn_name,
				    r->r_names[j].rn_name);
				*errstr = route_errbuf;
				return -1;
			}
	}
	qsort(r->r_names, r->r_nnames, sizeof(r->r_names[0]), route_name_cmp);
	return 0;
}

int
route_compile(struct fn *fn, const char **errstr, const char **which)
{
	struct route	*r;

	*which = "route";
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		*errstr = "out of memory";
		return -1;
	}
	if ((r->r_code = route_pcre(fn->fn_route_src, 0, errstr)) == NULL ||
	    route_names(r, errstr) == -1)
		goto fail;
	if (fn->fn_host_src != NULL) {
		*which = "host";
		/* Host names are case-insensitive (RFC 9110 4.2.3). */
		if ((r->r_host = route_pcre(fn->fn_host_src, PCRE2_CASELESS,
		    errstr)) == NULL)
			goto fail;
		if ((r->r_host_md = pcre2_match_data_create_from_pattern(
		    r->r_host, NULL)) == NULL)
			goto nomem;
	}
	if ((r->r_md = pcre2_match_data_create_from_pattern(r->r_code,
	    NULL)) == NULL || (r->r_mctx = pcre2_match_context_create(
	    NULL)) == NULL)
		goto nomem;
	(void)pcre2_set_match_limit(r->r_mctx, ROUTE_MATCH_LIMIT);
	(void)pcre2_set_depth_limit(r->r_mctx, ROUTE_DEPTH_LIMIT);
	(void)pcre2_set_heap_limit(r->r_mctx, ROUTE_HEAP_LIMIT);
	route_free(fn->fn_route);
	fn->fn_route = r;
	return 0;
nomem:
	*errstr = "out of memory";
fail:
	route_free(r);
	return -1;
}

void
route_free(struct route *r)
{
	if (r == NULL)
		return;
	pcre2_match_context_free(r->r_mctx);
	pcre2_match_data_free(r->r_host_md);
	pcre2_code_free(r->r_host);
	pcre2_match_data_free(r->r_md);
	pcre2_code_free(r->r_code);
	free(r);
}

size_t
route_capture_count(const struct route *r)
{
	return r == NULL ? 0 : r->r_ncaptures;
}

static int
route_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
route_normalize(const char *in, size_t len, char *out)
{
	size_t	 i, n, w, e;
	int	 hi, lo;

	if (len == 0 || in[0] != '/')
		return -1;
	/* Decode once: "%252e" becomes "%2e", never ".". */
	for (i = n = 0; i < len; i++) {
		if (in[i] == '\0')
			return -1;
		if (in[i] != '%') {
			out[n++] = in[i];
			continue;
		}
		if (len - i < 3 || (hi = route_hexval(in[i + 1])) == -1 ||
		    (lo = route_hexval(in[i + 2])) == -1 || (hi | lo) == 0)
			return -1;
		out[n++] = (char)(hi << 4 | lo);
		i += 2;
	}

	/*
	 * Then resolve segments in place (w never passes i): "//" collapses,
	 * "." goes, ".." drops the segment before it.  A path ending in a
	 * separator, "." or ".." keeps a trailing slash.
	 */
	w = 1;
	i = 0;
	for (;;) {
		while (i < n && out[i] == '/')
			i++;
		if (i >= n)
			break;
		for (e = i; e < n && out[e] != '/'; e++)
			;
		if (e - i == 1 && out[i] == '.') {
			i = e;
			continue;
		}
		if (e - i == 2 && out[i] == '.' && out[i + 1] == '.') {
			if (w == 1)
				return -1;
			for (w--; w > 0 && out[w - 1] != '/'; w--)
				;
			i = e;
			continue;
		}
		memmove(out + w, out + i, e - i);
		w += e - i;
		if (e < n)
			out[w++] = '/';
		i = e;
	}
	out[0] = '/';
	out[w] = '\0';
	return (long)w;
}

long
route_origin(const char *uri, size_t len)
{
	size_t	i;

	if (len > 0 && uri[0] == '/')
		return 0;
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986) */
	for (i = 0; i < len; i++) {
		if ((uri[i] >= 'a' && uri[i] <= 'z') ||
		    (uri[i] >= 'A' && uri[i] <= 'Z'))
			continue;
		if (i > 0 && ((uri[i] >= '0' && uri[i] <= '9') ||
		    uri[i] == '+' || uri[i] == '-' || uri[i] == '.'))
			continue;
		break;
	}
	if (i == 0 || len - i < 3 || memcmp(uri + i, "://", 3) != 0)
		return -1;
	/* The authority ends at the path, the query or the fragment. */
	for (i += 3; i < len && uri[i] != '/' && uri[i] != '?' &&
	    uri[i] != '#'; i++)
		;
	return (long)i;
}

unsigned
route_method_bit(const char *m)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} methods[] = {
		{ "GET", M_GET }, { "HEAD", M_HEAD }, { "POST", M_POST },
		{ "PUT", M_PUT }, { "DELETE", M_DELETE },
		{ "PATCH", M_PATCH }, { "OPTIONS", M_OPTIONS },
	};
	size_t	i;

	if (m == NULL)
		return 0;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(m, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

/* 1: matched, 0: did not (or gave up at a limit). */
static int
route_run(const struct fn *fn, pcre2_code *code, pcre2_match_data *md,
    const char *s, size_t len)
{
	int	rc;

	rc = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, md,
	    fn->fn_route->r_mctx);
	if (rc >= 0)
		return 1;
	if (rc != PCRE2_ERROR_NOMATCH)
		log_warn("fn=%s error=%d what=\"match gave up, no match\"",
		    fn->fn_name, rc);
	return 0;
}

/* Fill rr from the match fn's route left in its match data. */
static void
route_result_fill(const struct fn *fn, size_t len, struct route_result *rr)
{
	const struct route	*r = fn->fn_route;
	PCRE2_SIZE		*ov;
	struct route_param	*p;
	size_t			 i;

	ov = pcre2_get_ovector_pointer(r->r_md);
	rr->rr_fn = fn;
	rr->rr_script_len = len;
	rr->rr_path_info_off = len;
	rr->rr_path_info_len = 0;
	rr->rr_nparams = r->r_nnames;
	for (i = 0; i < r->r_nnames; i++) {
		p = &rr->rr_params[i];
		p->rp_name = r->r_names[i].rn_name;
		p->rp_name_len = r->r_names[i].rn_len;
		p->rp_off = ov[2 * r->r_names[i].rn_group];
		p->rp_set = p->rp_off != PCRE2_UNSET;
		if (!p->rp_set) {
			p->rp_off = 0;
			p->rp_len = 0;
			continue;
		}
		p->rp_len = ov[2 * r->r_names[i].rn_group + 1] - p->rp_off;
		if (r->r_names[i].rn_group != r->r_path_info)
			continue;
		rr->rr_path_info_off = p->rp_off;
		rr->rr_path_info_len = p->rp_len;
		/* SCRIPT_NAME is the path minus a path_info that ends it. */
		if (p->rp_off + p->rp_len == len)
			rr->rr_script_len = p->rp_off;
	}
}

int
route_find(const struct config *cf, const char *path, size_t len,
    const char *host, const char *method, struct route_result *rr)
{
	const struct fn	*fn, *partial = NULL;
	unsigned	 bit;
	size_t		 i;

	memset(rr, 0, sizeof(*rr));
	bit = route_method_bit(method);
	for (i = 0; i < cf->cf_nfns; i++) {
		fn = cf->cf_fns[i];
		if (fn->fn_route == NULL)
			continue;
		if (!route_run(fn, fn->fn_route->r_code, fn->fn_route->r_md,
		    path, len))
			continue;
		if (fn->fn_route->r_host != NULL && (host == NULL ||
		    !route_run(fn, fn->fn_route->r_host,
		    fn->fn_route->r_host_md, host, strlen(host))))
			continue;
		if ((fn->fn_methods & bit) != 0) {
			route_result_fill(fn, len, rr);
			rr->rr_method_ok = 1;
			return 0;
		}
		/* Its match data stays as is: later fns have their own. */
		if (partial == NULL)
			partial = fn;
	}
	if (partial == NULL)
		return -1;
	route_result_fill(partial, len, rr);
	rr->rr_method_ok = 0;
	return 0;
}
