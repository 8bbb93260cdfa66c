/*
 * fcgi_test.c -- the FastCGI record layer: records, fixed bodies,
 * name-value pairs (well-formed, split, hostile) and GET_VALUES.
 */
#include "fcgi.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"

struct collect {
	size_t		 c_n;
	size_t		 c_nlen[8];
	size_t		 c_vlen[8];
	const char	*c_name[8];
	const char	*c_value[8];
	int		 c_stop_at;	/* -1 on this pair (from 1) */
};

static int
collect_cb(const char *name, size_t nlen, const char *value, size_t vlen,
    void *arg)
{
	struct collect	*c = arg;

	if (c->c_n < 8) {
		c->c_name[c->c_n] = name;
		c->c_nlen[c->c_n] = nlen;
		c->c_value[c->c_n] = value;
		c->c_vlen[c->c_n] = vlen;
	}
	c->c_n++;
	if (c->c_stop_at != 0 && (int)c->c_n == c->c_stop_at)
		return -1;
	return 0;
}

static int
count_cb(const char *name, size_t nlen, const char *value, size_t vlen,
    void *arg)
{
	size_t	*n = arg;

	(void)value;
	if (nlen != 4 || memcmp(name, "NAME", 4) != 0 || vlen != 5)
		return -1;
	(*n)++;
	return 0;
}

static void
test_records(void)
{
	struct fcgi_record	 rec;
	uint8_t			 buf[64];
	size_t			 i, total;
	int			 r, all0;

	/* A STDOUT record, id 258, 5 bytes of content, 3 of padding. */
	fcgi_header_encode(buf, FCGI_STDOUT, 258, 5, 3);
	memcpy(buf + 8, "hello", 5);
	memset(buf + 13, 0xee, 3);
	total = 16;
	buf[total] = 0x77;	/* first byte of whatever comes next */

	memset(&rec, 0, sizeof(rec));
	r = fcgi_record_parse(buf, total + 1, &rec);
	ok(r == 1, "whole record parses (%d)", r);
	ok(rec.fr_version == 1 && rec.fr_type == FCGI_STDOUT &&
	    rec.fr_id == 258, "version, type and id");
	ok(rec.fr_len == 5 && memcmp(rec.fr_content, "hello", 5) == 0,
	    "content borrowed from the buffer");
	ok(rec.fr_total == 16, "total counts header, content and padding "
	    "(%zu)", rec.fr_total);

	all0 = 1;
	for (i = 0; i < total; i++)
		if (fcgi_record_parse(buf, i, &rec) != 0)
			all0 = 0;
	ok(all0, "every prefix, one byte at a time, returns 0");
	ok(fcgi_record_parse(buf, 13, &rec) == 0,
	    "content there but padding missing: 0");
	ok(fcgi_record_parse(buf, total, &rec) == 1 && rec.fr_total == 16,
	    "complete at exactly header + content + padding");

	/* Byte at a time from a heap copy of exact size: ASan checks reads. */
	{
		uint8_t	*h;
		int	 bad = 0;

		for (i = 0; i <= total; i++) {
			if ((h = malloc(i ? i : 1)) == NULL)
				abort();
			memcpy(h, buf, i);
			r = fcgi_record_parse(h, i, &rec);
			if (r != (i == total ? 1 : 0))
				bad = 1;
			free(h);
		}
		ok(!bad, "exact-size buffers, 0..16 bytes, never over-read");
	}

	/* Maximum padding: 255 bytes after empty content. */
	{
		static uint8_t	big[8 + 255];

		fcgi_header_encode(big, FCGI_STDERR, 1, 0, 255);
		ok(fcgi_record_parse(big, sizeof(big) - 1, &rec) == 0,
		    "255 bytes of padding: one short is 0");
		ok(fcgi_record_parse(big, sizeof(big), &rec) == 1 &&
		    rec.fr_len == 0 && rec.fr_total == 263,
		    "255 bytes of padding honoured");
	}

	buf[0] = 2;
	ok(fcgi_record_parse(buf, total, &rec) == -1, "version 2 is -1");
	buf[0] = 0;
	ok(fcgi_record_parse(buf, 1, &rec) == -1,
	    "version 0 is -1 as soon as its byte is there");
	ok(fcgi_record_parse(buf, 0, &rec) == 0, "empty input is 0");
}

static void
test_fixed(void)
{
	struct fcgi_record	 rec;
	uint8_t			 buf[16];
	unsigned		 role = 0, flags = 0, ps = 0;
	uint32_t		 as = 0;

	ok(fcgi_begin_encode(buf, 7, FCGI_RESPONDER, FCGI_KEEP_CONN) == 16,
	    "BEGIN_REQUEST is 16 bytes");
	ok(fcgi_record_parse(buf, 16, &rec) == 1 &&
	    rec.fr_type == FCGI_BEGIN_REQUEST && rec.fr_id == 7 &&
	    rec.fr_len == 8, "BEGIN_REQUEST record parses");
	ok(fcgi_begin_parse(&rec, &role, &flags) == 0 &&
	    role == FCGI_RESPONDER && flags == FCGI_KEEP_CONN,
	    "role and flags round-trip");
	buf[8] = 0x12;
	buf[9] = 0x34;
	ok(fcgi_begin_parse(&rec, &role, &flags) == 0 && role == 0x1234,
	    "role is 16 bits, big-endian");
	rec.fr_len = 7;
	ok(fcgi_begin_parse(&rec, &role, &flags) == -1,
	    "BEGIN_REQUEST body of 7 bytes is -1");

	ok(fcgi_end_encode(buf, 65535, 0x01020304, FCGI_OVERLOADED) == 16,
	    "END_REQUEST is 16 bytes");
	ok(fcgi_record_parse(buf, 16, &rec) == 1 &&
	    rec.fr_type == FCGI_END_REQUEST && rec.fr_id == 65535,
	    "END_REQUEST record parses, id 65535");
	ok(fcgi_end_parse(&rec, &as, &ps) == 0 && as == 0x01020304 &&
	    ps == FCGI_OVERLOADED, "app and protocol status round-trip");
	rec.fr_len = 0;
	ok(fcgi_end_parse(&rec, &as, &ps) == -1,
	    "END_REQUEST body of 0 bytes is -1");

	ok(fcgi_unknown_type_encode(buf, 42) == 16 &&
	    fcgi_record_parse(buf, 16, &rec) == 1 &&
	    rec.fr_type == FCGI_UNKNOWN_TYPE && rec.fr_id == 0 &&
	    rec.fr_len == 8 && rec.fr_content[0] == 42,
	    "UNKNOWN_TYPE: id 0, the type in the body");
}

static void
test_pairs(void)
{
	static const size_t	 lens[] = { 0, 127, 128, 65536 };
	struct collect		 c;
	uint8_t			*buf, *p;
	char			*name, *value;
	size_t			 i, j, sz, off;
	long			 n;
	int			 good;

	name = malloc(65536);
	value = malloc(65536);
	buf = malloc(2 * 65536 + 64);
	if (name == NULL || value == NULL || buf == NULL)
		abort();
	for (i = 0; i < 65536; i++) {
		name[i] = (char)('a' + i % 26);
		value[i] = (char)('A' + i % 23);
	}

	ok(fcgi_pair_size(127, 127) == 2 + 254, "pair size 127/127");
	ok(fcgi_pair_size(128, 0) == 5 + 128, "pair size 128/0");
	ok(fcgi_pair_size(0x80000000UL, 0) == 0,
	    "a length of 2^31 cannot be encoded");

	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++) {
			sz = fcgi_pair_encode(buf, name, lens[i], value,
			    lens[j]);
			memset(&c, 0, sizeof(c));
			n = fcgi_pairs_decode(buf, sz, collect_cb, &c);
			good = sz == fcgi_pair_size(lens[i], lens[j]) &&
			    n == 1 && c.c_nlen[0] == lens[i] &&
			    c.c_vlen[0] == lens[j] &&
			    memcmp(c.c_name[0], name, lens[i]) == 0 &&
			    memcmp(c.c_value[0], value, lens[j]) == 0;
			ok(good, "pair %zu/%zu round-trips", lens[i], lens[j]);
		}
	/* The prefix bytes themselves. */
	sz = fcgi_pair_encode(buf, name, 128, value, 127);
	ok(buf[0] == 0x80 && buf[1] == 0 && buf[2] == 0 && buf[3] == 128 &&
	    buf[4] == 127, "128 is 4 bytes with the top bit, 127 is 1 byte");

	/* A stream of pairs mixing 1- and 4-byte lengths. */
	off = 0;
	off += fcgi_pair_encode(buf + off, "A", 1, value, 200);
	off += fcgi_pair_encode(buf + off, name, 300, "v", 1);
	off += fcgi_pair_encode(buf + off, "EMPTY", 5, "", 0);
	off += fcgi_pair_encode(buf + off, name, 130, value, 140);
	memset(&c, 0, sizeof(c));
	n = fcgi_pairs_decode(buf, off, collect_cb, &c);
	ok(n == 4 && c.c_nlen[0] == 1 && c.c_vlen[0] == 200 &&
	    c.c_nlen[1] == 300 && c.c_vlen[1] == 1 &&
	    c.c_nlen[2] == 5 && c.c_vlen[2] == 0 &&
	    c.c_nlen[3] == 130 && c.c_vlen[3] == 140 &&
	    memcmp(c.c_value[3], value, 140) == 0,
	    "mixed 1- and 4-byte lengths decode (%ld)", n);
	memset(&c, 0, sizeof(c));
	c.c_stop_at = 2;
	ok(fcgi_pairs_decode(buf, off, collect_cb, &c) == -1 && c.c_n == 2,
	    "callback returning -1 stops the decode with -1");
	ok(fcgi_pairs_decode(buf, off, NULL, NULL) == 4,
	    "no callback: just counts");

	/*
	 * Pairs split across PARAMS records: wrap the stream in records of
	 * 7 content bytes (so lengths and names are cut mid-way), parse the
	 * records back, concatenate their contents, decode.
	 */
	{
		struct fcgi_record	 rec;
		uint8_t			*wire, *cat;
		size_t			 w = 0, k, clen, cl = 0;
		int			 r, bad = 0;

		wire = malloc(off * 3 + 64);
		cat = malloc(off);
		if (wire == NULL || cat == NULL)
			abort();
		for (k = 0; k < off; k += clen) {
			clen = off - k < 7 ? off - k : 7;
			fcgi_header_encode(wire + w, FCGI_PARAMS, 1, clen,
			    (8 - clen % 8) % 8);
			memcpy(wire + w + 8, buf + k, clen);
			memset(wire + w + 8 + clen, 0, (8 - clen % 8) % 8);
			w += 8 + clen + (8 - clen % 8) % 8;
		}
		for (k = 0; k < w; k += rec.fr_total) {
			r = fcgi_record_parse(wire + k, w - k, &rec);
			if (r != 1 || rec.fr_type != FCGI_PARAMS) {
				bad = 1;
				break;
			}
			memcpy(cat + cl, rec.fr_content, rec.fr_len);
			cl += rec.fr_len;
		}
		memset(&c, 0, sizeof(c));
		ok(!bad && cl == off && fcgi_pairs_decode(cat, cl, collect_cb,
		    &c) == 4 && c.c_nlen[1] == 300 &&
		    memcmp(c.c_name[1], name, 300) == 0,
		    "pairs split over 7-byte PARAMS records decode");
		free(wire);
		free(cat);
	}

	/* 10 000 pairs. */
	{
		size_t	 cnt = 0;

		p = malloc(10000 * 16);
		if (p == NULL)
			abort();
		for (off = 0, i = 0; i < 10000; i++)
			off += fcgi_pair_encode(p + off, "NAME", 4, "value",
			    5);
		n = fcgi_pairs_decode(p, off, count_cb, &cnt);
		ok(n == 10000 && cnt == 10000, "10 000 pairs decode (%ld)",
		    n);
		free(p);
	}

	free(name);
	free(value);
	free(buf);
}

/* Decode len bytes from an exact-size heap copy, so ASan sees any over-read. */
static long
decode_exact(const uint8_t *src, size_t len)
{
	struct collect	 c;
	uint8_t		*h;
	long		 n;

	if ((h = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(h, src, len);
	memset(&c, 0, sizeof(c));
	n = fcgi_pairs_decode(h, len, collect_cb, &c);
	free(h);
	return n;
}

static void
test_malformed(void)
{
	uint8_t		 b[64];
	size_t		 i, k;
	int		 bad;

	memcpy(b, "\x80\x00\x01", 3);
	ok(decode_exact(b, 3) == -1, "name length cut after 3 of 4 bytes");
	memcpy(b, "\x03\x80\x00", 3);
	ok(decode_exact(b, 3) == -1, "value length cut after 2 of 4 bytes");
	ok(decode_exact(b, 1) == -1, "value length missing");

	memcpy(b, "\x01\x0a" "Nshort", 8);
	ok(decode_exact(b, 8) == -1, "value running past the end");
	memcpy(b, "\x09\x00" "NAME", 6);
	ok(decode_exact(b, 6) == -1, "name running past the end");

	/* CVE-2025-23016 shape: both lengths 0x7fffffff. */
	memcpy(b, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	memcpy(b + 8, "tiny", 4);
	ok(decode_exact(b, 12) == -1, "lengths 0x7fffffff + 0x7fffffff");
	memcpy(b, "\xff\xff\xff\xff\x00", 5);
	ok(decode_exact(b, 5) == -1, "name length 0x7fffffff, 5-byte buffer");
	memcpy(b, "\x01\xff\xff\xff\xff" "N", 6);
	ok(decode_exact(b, 6) == -1, "value length 0x7fffffff after a name");
	/* The name fits exactly; nothing is left for the value. */
	memcpy(b, "\x02\xff\xff\xff\xfe" "NN", 7);
	ok(decode_exact(b, 7) == -1, "value length 0x7ffffffe at the end");

	/* A good pair followed by every truncation of a second one. */
	bad = 0;
	i = fcgi_pair_encode(b, "K", 1, "V", 1);
	i += fcgi_pair_encode(b + i, "NAMEX", 5, "VAL", 3);
	for (k = 5; k < i; k++)
		if (decode_exact(b, k) != -1)
			bad = 1;
	ok(!bad && decode_exact(b, i) == 2 && decode_exact(b, 4) == 1,
	    "every cut inside the second pair is -1");
	ok(decode_exact(b, 0) == 0, "empty stream: 0 pairs");
}

static int
gv_cb(const char *name, size_t nlen, const char *value, size_t vlen,
    void *arg)
{
	char	*s = arg;
	size_t	 l = strlen(s);

	if (l + nlen + vlen + 3 > 256)
		return -1;
	memcpy(s + l, name, nlen);
	s[l + nlen] = '=';
	memcpy(s + l + nlen + 1, value, vlen);
	s[l + nlen + 1 + vlen] = ';';
	s[l + nlen + vlen + 2] = '\0';
	return 0;
}

static void
test_get_values(void)
{
	struct fcgi_record	 req, res;
	uint8_t			 in[256], out[256];
	char			 got[257];
	size_t			 off, n;

	off = 8;
	off += fcgi_pair_encode(in + off, "FCGI_MPXS_CONNS", 15, "", 0);
	off += fcgi_pair_encode(in + off, "FCGI_UNKNOWN_X", 14, "", 0);
	off += fcgi_pair_encode(in + off, "FCGI_MAX_CONNS", 14, "", 0);
	off += fcgi_pair_encode(in + off, "FCGI_MAX_REQS", 13, "", 0);
	fcgi_header_encode(in, FCGI_GET_VALUES, 0, off - 8, 0);
	ok(fcgi_record_parse(in, off, &req) == 1, "GET_VALUES parses");

	n = fcgi_get_values_answer(&req, 1024, 1, out, sizeof(out));
	ok(n > 8 && n % 8 == 0, "answer is padded to 8 bytes (%zu)", n);
	ok(fcgi_record_parse(out, n, &res) == 1 && res.fr_total == n &&
	    res.fr_type == FCGI_GET_VALUES_RESULT && res.fr_id == 0,
	    "answer is a whole GET_VALUES_RESULT record, id 0");
	got[0] = '\0';
	ok(fcgi_pairs_decode(res.fr_content, res.fr_len, gv_cb, got) == 3,
	    "answer holds 3 pairs");
	ok(strcmp(got, "FCGI_MPXS_CONNS=0;FCGI_MAX_CONNS=1024;"
	    "FCGI_MAX_REQS=1;") == 0, "answer: %s", got);

	ok(fcgi_get_values_answer(&req, 1024, 1, out, 20) == 0,
	    "answer that does not fit: 0");
	req.fr_len -= 1;
	ok(fcgi_get_values_answer(&req, 1024, 1, out, sizeof(out)) == 0,
	    "truncated GET_VALUES: 0");
	req.fr_len = 0;
	n = fcgi_get_values_answer(&req, 1024, 1, out, sizeof(out));
	ok(n == 8 && fcgi_record_parse(out, n, &res) == 1 && res.fr_len == 0,
	    "empty GET_VALUES: empty result record");
}

int
main(void)
{
	test_records();
	test_fixed();
	test_pairs();
	test_malformed();
	test_get_values();
	return done_testing();
}
