/*
 * fuzz_route.c -- route_origin() on any request target, against what
 * route.h promises; route_normalize() on it as a path, against the same
 * and against a plain second implementation of it (decode, split on
 * "/", drop "" and ".", pop on ".."); then the router over the routes of
 * tests/fixtures/config/routes.ini (loaded when the target runs from the
 * top of the tree), whose captures must lie in the path.
 */
#include "route.h"

#include <string.h>

#include "config.h"
#include "fuzz.h"

#define ROUTES	"tests/fixtures/config/routes.ini"

static struct config	*cf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*errstr;

	(void)argc;
	(void)argv;
	if ((cf = config_load(ROUTES, &errstr)) == NULL)
		fprintf(stderr, "fuzz_route: no router: %s\n", errstr);
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The reference: -1, or the normalised path in out (len + 2 bytes). */
static long
reference(const char *in, size_t len, char *out)
{
	char	*dec, *seg, *next;
	size_t	 i, n = 0, w = 1, dlen, slen;
	size_t	*stack;			/* where each kept segment starts */
	size_t	 depth = 0;
	int	 hi, lo, trail;

	if (len == 0 || in[0] != '/')
		return -1;
	FUZZ_CHECK((dec = malloc(len + 1)) != NULL);
	FUZZ_CHECK((stack = malloc((len + 1) * sizeof(*stack))) != NULL);
	for (i = 0; i < len; i++) {
		if (in[i] == '\0')
			goto fail;
		if (in[i] != '%') {
			dec[n++] = in[i];
			continue;
		}
		if (len - i < 3 || (hi = hexval(in[i + 1])) == -1 ||
		    (lo = hexval(in[i + 2])) == -1 || hi * 16 + lo == 0)
			goto fail;
		dec[n++] = (char)(hi * 16 + lo);
		i += 2;
	}
	dec[n] = '\0';
	dlen = n;

	out[0] = '/';
	trail = 0;
	for (seg = dec + 1; seg <= dec + dlen; seg = next + 1) {
		if ((next = memchr(seg, '/', (size_t)(dec + dlen - seg))) ==
		    NULL)
			next = dec + dlen;
		slen = (size_t)(next - seg);
		/* The last segment empty, "." or "..": a trailing slash. */
		trail = slen == 0 || (slen == 1 && seg[0] == '.') ||
		    (slen == 2 && seg[0] == '.' && seg[1] == '.');
		if (slen == 0 || (slen == 1 && seg[0] == '.'))
			continue;
		if (slen == 2 && seg[0] == '.' && seg[1] == '.') {
			if (depth == 0)
				goto fail;
			w = stack[--depth];
			continue;
		}
		stack[depth++] = w;
		memcpy(out + w, seg, slen);
		w += slen;
		out[w++] = '/';
	}
	/* Segments were written with a slash after each: drop the last. */
	if (!trail && w > 1)
		w--;
	out[w] = '\0';
	free(dec);
	free(stack);
	return (long)w;
fail:
	free(dec);
	free(stack);
	return -1;
}

static void
router_check(const char *path, size_t len, const char *method)
{
	struct route_result	 rr;
	size_t			 i;

	if (cf == NULL)
		return;
	memset(&rr, 0, sizeof(rr));
	if (route_find(cf, path, len, "www.example.com", method, &rr) == -1)
		return;
	FUZZ_CHECK(rr.rr_fn != NULL && rr.rr_fn->fn_name != NULL);
	FUZZ_CHECK(rr.rr_script_len <= len);
	FUZZ_CHECK(rr.rr_path_info_off <= len &&
	    rr.rr_path_info_len <= len - rr.rr_path_info_off);
	FUZZ_CHECK(rr.rr_nparams <= ROUTE_MAX_PARAMS);
	for (i = 0; i < rr.rr_nparams; i++) {
		if (!rr.rr_params[i].rp_set)
			continue;
		FUZZ_CHECK(rr.rr_params[i].rp_off <= len &&
		    rr.rr_params[i].rp_len <= len - rr.rr_params[i].rp_off);
		(void)fuzz_touch(rr.rr_params[i].rp_name,
		    rr.rr_params[i].rp_name_len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data;
	char		*out, *ref;
	long		 n, r;
	size_t		 len;

	/* Exactly len + 2 bytes, as route.h asks: ASan sees the rest. */
	FUZZ_CHECK((out = malloc(size + 2)) != NULL);
	FUZZ_CHECK((ref = malloc(size + 2)) != NULL);
	/* route_origin(): 0 for a path, else just past "scheme://host". */
	n = route_origin(in, size);
	FUZZ_CHECK(n >= -1 && n <= (long)size);
	if (n == 0)
		FUZZ_CHECK(size > 0 && in[0] == '/');
	if (n > 0) {
		FUZZ_CHECK(memmem(in, (size_t)n, "://", 3) != NULL);
		FUZZ_CHECK((size_t)n == size || in[n] == '/' ||
		    in[n] == '?' || in[n] == '#');
		FUZZ_CHECK((const char *)memchr(in, '/', (size_t)n) ==
		    (const char *)memmem(in, (size_t)n, "://", 3) + 1);
	}

	n = route_normalize(in, size, out);
	r = reference(in, size, ref);
	FUZZ_CHECK(n == r);
	if (n == -1)
		goto done;

	len = (size_t)n;
	FUZZ_CHECK(len >= 1 && len <= size);
	FUZZ_CHECK(out[0] == '/' && out[len] == '\0');
	FUZZ_CHECK(strlen(out) == len);
	FUZZ_CHECK(strstr(out, "//") == NULL);
	FUZZ_CHECK(strstr(out, "/./") == NULL);
	FUZZ_CHECK(strstr(out, "/../") == NULL);
	FUZZ_CHECK(!(len >= 2 && strcmp(out + len - 2, "/.") == 0));
	FUZZ_CHECK(!(len >= 3 && strcmp(out + len - 3, "/..") == 0));
	FUZZ_CHECK(memcmp(out, ref, len + 1) == 0);

	router_check(out, len, size > 0 && data[size - 1] & 1 ? "POST" :
	    "GET");
done:
	free(out);
	free(ref);
	return 0;
}
