/*
 * fuzz_fcgi_records.c -- the FastCGI record layer on any byte stream,
 * read the way front.c (from the web server) and instance.c (from a
 * warm instance) read it: records one after the other, BEGIN_REQUEST
 * and END_REQUEST bodies, GET_VALUES answered, and the PARAMS stream
 * decoded as request.c decodes it, each pair encoded again and decoded.
 */
#include "fcgi.h"

#include <string.h>

#include "fuzz.h"

struct pairs {
	const uint8_t	*p_start;	/* the stream being decoded */
	size_t		 p_len;
	long		 p_n;		/* pairs seen */
	long		 p_stop;	/* return -1 on this pair (from 1) */
};

static int
pair_cb(const char *name, size_t nlen, const char *value, size_t vlen,
    void *arg)
{
	struct pairs	*p = arg;
	const char	*s = (const char *)p->p_start, *e = s + p->p_len;
	uint8_t		*enc;
	size_t		 sz, n;

	/* Name and value lie in the stream, value after name. */
	FUZZ_CHECK(name >= s && nlen <= (size_t)(e - name));
	FUZZ_CHECK(value >= name + nlen && vlen <= (size_t)(e - value));
	(void)fuzz_touch(name, nlen);
	(void)fuzz_touch(value, vlen);

	/* The other direction: encode the pair, decode it again. */
	sz = fcgi_pair_size(nlen, vlen);
	FUZZ_CHECK(sz >= nlen + vlen + 2 && sz <= nlen + vlen + 8);
	FUZZ_CHECK((enc = malloc(sz)) != NULL);
	FUZZ_CHECK(fcgi_pair_encode(enc, name, nlen, value, vlen) == sz);
	n = (size_t)((nlen < 128 ? 1 : 4) + (vlen < 128 ? 1 : 4));
	FUZZ_CHECK(memcmp(enc + n, name, nlen) == 0);
	FUZZ_CHECK(memcmp(enc + n + nlen, value, vlen) == 0);
	FUZZ_CHECK(fcgi_pairs_decode(enc, sz, NULL, NULL) == 1);
	free(enc);

	if (++p->p_n == p->p_stop)
		return -1;
	return 0;
}

static void
pairs_check(const uint8_t *buf, size_t len, long stop)
{
	struct pairs	 p;
	long		 n;

	memset(&p, 0, sizeof(p));
	p.p_start = buf;
	p.p_len = len;
	p.p_stop = stop;
	n = fcgi_pairs_decode(buf, len, pair_cb, &p);
	if (n == -1)
		FUZZ_CHECK(p.p_n <= (long)len);
	else
		FUZZ_CHECK(n == p.p_n && (stop == 0 || n < stop));
	/* Without a callback: the same answer, unless cb stopped it. */
	if (n != -1)
		FUZZ_CHECK(fcgi_pairs_decode(buf, len, NULL, NULL) == n);
	/* Every pair takes at least 2 bytes. */
	FUZZ_CHECK(n == -1 || (size_t)n * 2 <= len);
}

static void
get_values_check(const struct fcgi_record *r)
{
	struct fcgi_record	 a;
	uint8_t			 out[256];
	size_t			 n;

	n = fcgi_get_values_answer(r, 1024, 1, out, sizeof(out));
	if (n == 0)
		return;
	FUZZ_CHECK(n <= sizeof(out) && n % 8 == 0);
	FUZZ_CHECK(fcgi_record_parse(out, n, &a) == 1);
	FUZZ_CHECK(a.fr_total == n && a.fr_type == FCGI_GET_VALUES_RESULT &&
	    a.fr_id == 0);
	FUZZ_CHECK(fcgi_pairs_decode(a.fr_content, a.fr_len, NULL, NULL) <=
	    3);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_record	 r;
	uint8_t			*params = NULL, *cp, hdr[8];
	size_t			 off = 0, plen = 0, left;
	unsigned		 role, flags, proto;
	uint32_t		 app;
	int			 rc;

	while ((rc = fcgi_record_parse(data + off, size - off, &r)) == 1) {
		left = size - off;
		FUZZ_CHECK(r.fr_version == FCGI_VERSION_1);
		FUZZ_CHECK(r.fr_total >= FCGI_HEADER_LEN && r.fr_total <= left);
		FUZZ_CHECK(r.fr_content == data + off + FCGI_HEADER_LEN);
		FUZZ_CHECK(r.fr_len <= FCGI_MAX_CONTENT);
		FUZZ_CHECK(r.fr_len <= r.fr_total - FCGI_HEADER_LEN);
		FUZZ_CHECK(r.fr_total - FCGI_HEADER_LEN - r.fr_len <= 255);
		FUZZ_CHECK(r.fr_type == data[off + 1] &&
		    r.fr_id == (data[off + 2] << 8 | data[off + 3]));
		(void)fuzz_touch(r.fr_content, r.fr_len);
		/* The header encodes back to the same bytes (but byte 7). */
		fcgi_header_encode(hdr, r.fr_type, r.fr_id, r.fr_len,
		    r.fr_total - FCGI_HEADER_LEN - r.fr_len);
		FUZZ_CHECK(memcmp(hdr, data + off, 7) == 0);

		rc = fcgi_begin_parse(&r, &role, &flags);
		FUZZ_CHECK(rc == (r.fr_len < 8 ? -1 : 0));
		FUZZ_CHECK(rc == -1 || (role <= 0xffff && flags <= 0xff));
		rc = fcgi_end_parse(&r, &app, &proto);
		FUZZ_CHECK(rc == (r.fr_len < 8 ? -1 : 0));
		FUZZ_CHECK(rc == -1 || proto <= 0xff);

		switch (r.fr_type) {
		case FCGI_PARAMS:
			/* request.c keeps the stream whole, then decodes. */
			if (r.fr_len == 0)
				break;
			cp = realloc(params, plen + r.fr_len);
			FUZZ_CHECK(cp != NULL);
			params = cp;
			memcpy(params + plen, r.fr_content, r.fr_len);
			plen += r.fr_len;
			break;
		case FCGI_GET_VALUES:
			get_values_check(&r);
			pairs_check(r.fr_content, r.fr_len, 0);
			break;
		default:
			break;
		}
		off += r.fr_total;
	}
	if (rc == -1)
		FUZZ_CHECK(off < size && data[off] != FCGI_VERSION_1);
	else if (size - off >= FCGI_HEADER_LEN)
		/* Not complete yet: content and padding run past the end. */
		FUZZ_CHECK(((size_t)data[off + 4] << 8 | data[off + 5]) +
		    data[off + 6] > size - off - FCGI_HEADER_LEN);

	/* An exact-size copy, so that ASan sees any over-read. */
	if (plen > 0) {
		pairs_check(params, plen, 0);
		pairs_check(params, plen, 1 + (long)(params[0] % 4));
	}
	free(params);

	/* And the whole input as one params stream. */
	pairs_check(data, size, 0);
	return 0;
}
