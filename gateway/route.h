/*
 * route.h -- map a request path (and host, method) to a function.
 *
 * Patterns are compiled once per config snapshot with PCRE2 (JIT when
 * available), PCRE2_ANCHORED | PCRE2_ENDANCHORED, with a match limit.
 * route_find() runs on the loop: it does not allocate (it uses the
 * route's own match data; the loop is single-threaded) and never
 * blocks.  The fn it returns is borrowed from the snapshot.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>

struct config;
struct fn;
struct route;

#define ROUTE_MAX_PARAMS	16

/*
 * Compile fn's route (and host pattern, if any) into fn->fn_route.
 * Returns 0, or -1 with *errstr set to a thread-local message such as
 * "does not compile at offset 3: missing closing parenthesis" (the caller
 * adds file, section and key).  The pattern that failed is in *which:
 * "route" or "host".
 */
int		 route_compile(struct fn *, const char **, const char **);
void		 route_free(struct route *);
size_t		 route_capture_count(const struct route *);

/*
 * Normalise a request path: percent-decode once, collapse "//", resolve
 * "." and ".." segments.  Writes a NUL-terminated result of at most
 * `len` bytes to out (which must hold len + 2 bytes).  Returns the
 * length, or -1 when the path is not absolute, holds a NUL (encoded or
 * not), has a bad %-escape, or ".." would climb above "/".  A trailing
 * slash is kept ("/a/b/" stays "/a/b/"; "/a/." becomes "/a/").
 */
long		 route_normalize(const char *, size_t, char *);

/*
 * Where the origin form (RFC 9112 3.2.1, "/path?query") of a request
 * target starts: 0 when uri is one already, just past "scheme://host"
 * when it is in absolute form (3.2.2: "http://host/path?query"), which
 * Apache passes on in REQUEST_URI as the client sent it (nginx sends
 * the origin form).  What follows the host may be empty or start with
 * "?": the path is then "/".  Returns -1 when uri is neither form.
 * Reads at most len bytes; does not allocate.
 */
long		 route_origin(const char *, size_t);

struct route_param {
	const char	*rp_name;	/* borrowed from the compiled pattern */
	size_t		 rp_name_len;
	size_t		 rp_off;	/* into the matched path */
	size_t		 rp_len;
	int		 rp_set;	/* 0: the group did not participate */
};

struct route_result {
	const struct fn	*rr_fn;		/* NULL: no route matched the path */
	int		 rr_method_ok;	/* 0: path matched, method not (405) */
	size_t		 rr_script_len;	/* SCRIPT_NAME = path[0..script_len) */
	/* PATH_INFO = the path_info capture. */
	size_t		 rr_path_info_off;
	size_t		 rr_path_info_len;
	struct route_param rr_params[ROUTE_MAX_PARAMS];
	size_t		 rr_nparams;	/* named captures, path_info included */
};

/*
 * Find the first fn, in file order, whose route matches path (already
 * normalised) and whose host pattern (if any) matches host (may be NULL:
 * then routes with a host= never match).  Method is the request method
 * ("GET").  When a route matches path and host but not the method, the
 * search goes on; if no later route matches fully, that first fn is
 * returned with rr_method_ok = 0.  Returns 0 when something matched
 * (check rr_method_ok), -1 when nothing did (404).
 */
int		 route_find(const struct config *, const char *, size_t,
		    const char *, const char *, struct route_result *);

/* Method name to M_* bit; 0 for an unknown method. */
unsigned	 route_method_bit(const char *);

#endif /* ROUTE_H */
