/*
 * fcgi.c -- FastCGI 1.0 records and name-value pairs, both directions.
 *
 * Pure byte shuffling: no I/O, no allocation, no global state.  Every
 * length read off the wire is compared with what is left of the buffer,
 * in size_t and in the form "n > len - off", so that no length field nor
 * any sum of them can overflow or over-read.  Section numbers refer to
 * the FastCGI specification (fastcgi-archives.github.io).
 */
#include <stdio.h>
#include <string.h>

#include "fcgi.h"

/* Section 3.4: a length above 127 is sent in 4 bytes, top bit set. */
#define FCGI_LEN_MAX	0x7fffffffU

struct fcgi_gv {
	uint8_t		*gv_out;	/* the result record's content */
	size_t		 gv_room;
	size_t		 gv_len;
	unsigned	 gv_seen;	/* names answered, one bit each */
	unsigned	 gv_conns;
	unsigned	 gv_reqs;
};

static int	fcgi_len_decode(const uint8_t *, size_t, size_t *, size_t *);
static size_t	fcgi_len_encode(uint8_t *, size_t);
static int	fcgi_gv_pair(const char *, size_t, const char *, size_t,
		    void *);

int
fcgi_record_parse(const uint8_t *buf, size_t len, struct fcgi_record *rec)
{
	size_t	 clen, plen;

	/*
	 * Section 3.3: version is FCGI_VERSION_1.  Refuse another one as
	 * soon as its byte is there rather than waiting for a header that
	 * may never come.
	 */
	if (len >= 1 && buf[0] != FCGI_VERSION_1)
		return -1;
	if (len < FCGI_HEADER_LEN)
		return 0;
	clen = (size_t)buf[4] << 8 | buf[5];
	plen = buf[6];
	/* At most 8 + 65535 + 255: no overflow, and len is compared last. */
	if (len - FCGI_HEADER_LEN < clen + plen)
		return 0;
	rec->fr_version = buf[0];
	rec->fr_type = buf[1];
	rec->fr_id = (uint16_t)(buf[2] << 8 | buf[3]);
	rec->fr_content = buf + FCGI_HEADER_LEN;
	rec->fr_len = clen;
	rec->fr_total = FCGI_HEADER_LEN + clen + plen;
	return 1;
}

int
fcgi_begin_parse(const struct fcgi_record *rec, unsigned *role,
    unsigned *flags)
{
	const uint8_t	*c = rec->fr_content;

	/* Section 5.1: FCGI_BeginRequestBody is 8 bytes. */
	if (rec->fr_len < 8)
		return -1;
	*role = (unsigned)c[0] << 8 | c[1];
	*flags = c[2];
	return 0;
}

int
fcgi_end_parse(const struct fcgi_record *rec, uint32_t *app_status,
    unsigned *proto_status)
{
	const uint8_t	*c = rec->fr_content;

	/* Section 5.5: FCGI_EndRequestBody is 8 bytes. */
	if (rec->fr_len < 8)
		return -1;
	*app_status = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 |
	    (uint32_t)c[2] << 8 | c[3];
	*proto_status = c[4];
	return 0;
}

void
fcgi_header_encode(uint8_t *out, unsigned type, unsigned id, size_t clen,
    size_t plen)
{
	out[0] = FCGI_VERSION_1;
	out[1] = (uint8_t)type;
	out[2] = (uint8_t)(id >> 8);
	out[3] = (uint8_t)id;
	out[4] = (uint8_t)(clen >> 8);
	out[5] = (uint8_t)clen;
	out[6] = (uint8_t)plen;
	out[7] = 0;
}

/*
 * The three fixed records have an 8-byte body, so they are already
 * 8-byte aligned (section 3.3 recommends it) and carry no padding.
 */
size_t
fcgi_begin_encode(uint8_t *out, unsigned id, unsigned role, unsigned flags)
{
	fcgi_header_encode(out, FCGI_BEGIN_REQUEST, id, 8, 0);
	memset(out + FCGI_HEADER_LEN, 0, 8);
	out[8] = (uint8_t)(role >> 8);
	out[9] = (uint8_t)role;
	out[10] = (uint8_t)flags;
	return 16;
}

size_t
fcgi_end_encode(uint8_t *out, unsigned id, uint32_t app_status,
    unsigned proto_status)
{
	fcgi_header_encode(out, FCGI_END_REQUEST, id, 8, 0);
	memset(out + FCGI_HEADER_LEN, 0, 8);
	out[8] = (uint8_t)(app_status >> 24);
	out[9] = (uint8_t)(app_status >> 16);
	out[10] = (uint8_t)(app_status >> 8);
	out[11] = (uint8_t)app_status;
	out[12] = (uint8_t)proto_status;
	return 16;
}

size_t
fcgi_unknown_type_encode(uint8_t *out, unsigned type)
{
	/* Section 4.2: a management record, so request id 0. */
	fcgi_header_encode(out, FCGI_UNKNOWN_TYPE, 0, 8, 0);
	memset(out + FCGI_HEADER_LEN, 0, 8);
	out[8] = (uint8_t)type;
	return 16;
}

/* Returns 0 when a length cannot be encoded (above 2^31 - 1). */
size_t
fcgi_pair_size(size_t nlen, size_t vlen)
{
	if (nlen > FCGI_LEN_MAX || vlen > FCGI_LEN_MAX)
		return 0;
	return (nlen < 128 ? 1 : 4) + (vlen < 128 ? 1 : 4) + nlen + vlen;
}

static size_t
fcgi_len_encode(uint8_t *out, size_t n)
{
	if (n < 128) {
		out[0] = (uint8_t)n;
		return 1;
	}
	out[0] = (uint8_t)(n >> 24 | 0x80);
	out[1] = (uint8_t)(n >> 16);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	return 4;
}

/* Writes nothing and returns 0 when a length is above 2^31 - 1. */
size_t
fcgi_pair_encode(uint8_t *out, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	size_t	 off;

	if (fcgi_pair_size(nlen, vlen) == 0)
		return 0;
	off = fcgi_len_encode(out, nlen);
	off += fcgi_len_encode(out + off, vlen);
	if (nlen > 0)
		memcpy(out + off, name, nlen);
	off += nlen;
	if (vlen > 0)
		memcpy(out + off, value, vlen);
	return off + vlen;
}

/*
 * One length of section 3.4 at buf[*off]: 1 byte with the top bit
 * clear, or 4 bytes with it set (the value is the other 31 bits).
 * -1 when the length itself is cut off.
 */
static int
fcgi_len_decode(const uint8_t *buf, size_t len, size_t *off, size_t *n)
{
	const uint8_t	*p;

	if (*off >= len)
		return -1;
	p = buf + *off;
	if ((p[0] & 0x80) == 0) {
		*n = p[0];
		*off += 1;
		return 0;
	}
	if (len - *off < 4)
		return -1;
	*n = (size_t)(p[0] & 0x7f) << 24 | (size_t)p[1] << 16 |
	    (size_t)p[2] << 8 | p[3];
	*off += 4;
	return 0;
}

long
fcgi_pairs_decode(const uint8_t *buf, size_t len,
    int (*cb)(const char *, size_t, const char *, size_t, void *), void *arg)
{
	const char	*name, *value;
	size_t		 off = 0, nlen, vlen;
	long		 n = 0;

	while (off < len) {
		if (fcgi_len_decode(buf, len, &off, &nlen) == -1 ||
		    fcgi_len_decode(buf, len, &off, &vlen) == -1)
			return -1;
		/*
		 * Each length on its own against what is left: never
		 * nlen + vlen, which is what overflows in libfcgi
		 * (CVE-2025-23016).
		 */
		if (nlen > len - off)
			return -1;
		name = (const char *)buf + off;
		off += nlen;
		if (vlen > len - off)
			return -1;
		value = (const char *)buf + off;
		off += vlen;
		if (cb != NULL && cb(name, nlen, value, vlen, arg) == -1)
			return -1;
		n++;
	}
	return n;
}

static int
fcgi_gv_pair(const char *name, size_t nlen, const char *value, size_t vlen,
    void *arg)
{
	static const char *const names[] = {
		"FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"
	};
	struct fcgi_gv	*gv = arg;
	char		 num[16];
	size_t		 i, len, need;
	int		 r;

	(void)value;	/* section 4.1: the values asked are empty */
	(void)vlen;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == nlen &&
		    memcmp(names[i], name, nlen) == 0)
			break;
	/* Section 4.1: names we do not know are left out of the answer. */
	if (i == sizeof(names) / sizeof(names[0]) ||
	    (gv->gv_seen & 1U << i) != 0)
		return 0;
	gv->gv_seen |= 1U << i;
	/* We never multiplex: one request per connection at a time. */
	r = snprintf(num, sizeof(num), "%u",
	    i == 0 ? gv->gv_conns : i == 1 ? gv->gv_reqs : 0);
	if (r < 0 || (size_t)r >= sizeof(num))
		return -1;
	len = (size_t)r;
	need = fcgi_pair_size(nlen, len);
	if (need > gv->gv_room - gv->gv_len)
		return -1;
	gv->gv_len += fcgi_pair_encode(gv->gv_out + gv->gv_len, names[i], nlen,
	    num, len);
	return 0;
}

size_t
fcgi_get_values_answer(const struct fcgi_record *rec, unsigned max_conns,
    unsigned max_reqs, uint8_t *out, size_t outsz)
{
	struct fcgi_gv	 gv;
	size_t		 plen;

	if (rec->fr_type != FCGI_GET_VALUES || outsz < FCGI_HEADER_LEN)
		return 0;
	memset(&gv, 0, sizeof(gv));
	gv.gv_out = out + FCGI_HEADER_LEN;
	gv.gv_room = outsz - FCGI_HEADER_LEN;
	if (gv.gv_room > FCGI_MAX_CONTENT)
		gv.gv_room = FCGI_MAX_CONTENT;
	gv.gv_conns = max_conns;
	gv.gv_reqs = max_reqs;
	if (fcgi_pairs_decode(rec->fr_content, rec->fr_len, fcgi_gv_pair,
	    &gv) == -1)
		return 0;
	/* Section 3.3: pad the content to a multiple of 8 bytes. */
	plen = (8 - gv.gv_len % 8) % 8;
	if (plen > gv.gv_room - gv.gv_len)
		return 0;
	memset(gv.gv_out + gv.gv_len, 0, plen);
	/* Section 4.1: a management record, request id 0. */
	fcgi_header_encode(out, FCGI_GET_VALUES_RESULT, 0, gv.gv_len, plen);
	return FCGI_HEADER_LEN + gv.gv_len + plen;
}
