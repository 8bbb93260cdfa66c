/*
 * fcgi.h -- FastCGI records and name-value pairs, both directions.
 *
 * Strict parsing with limits and encoding into caller buffers; no I/O,
 * no allocation except in struct fcgi_params, no global state.  Used as
 * a server towards the web server (front.c) and as a client towards warm
 * instances.  Every length is checked against what is actually there, in
 * size_t arithmetic, so no length field (up to 2^31 - 1 each, or summed)
 * can overflow or over-read (the shape of CVE-2025-23016 in libfcgi).
 * References: the FastCGI 1.0 specification (fastcgi-archives), sections
 * 3.3 (records), 3.4 (name-value pairs), 4 (management records), 5.
 */
#ifndef FCGI_H
#define FCGI_H

#include <stddef.h>
#include <stdint.h>

#define FCGI_VERSION_1		1
#define FCGI_HEADER_LEN		8
#define FCGI_MAX_CONTENT	65535

#define FCGI_BEGIN_REQUEST	1
#define FCGI_ABORT_REQUEST	2
#define FCGI_END_REQUEST	3
#define FCGI_PARAMS		4
#define FCGI_STDIN		5
#define FCGI_STDOUT		6
#define FCGI_STDERR		7
#define FCGI_DATA		8
#define FCGI_GET_VALUES		9
#define FCGI_GET_VALUES_RESULT	10
#define FCGI_UNKNOWN_TYPE	11

#define FCGI_RESPONDER		1
#define FCGI_AUTHORIZER		2
#define FCGI_FILTER		3

#define FCGI_KEEP_CONN		1

#define FCGI_REQUEST_COMPLETE	0
#define FCGI_CANT_MPX_CONN	1
#define FCGI_OVERLOADED		2
#define FCGI_UNKNOWN_ROLE	3

struct fcgi_record {
	uint8_t		 fr_version;
	uint8_t		 fr_type;
	uint16_t	 fr_id;
	const uint8_t	*fr_content;	/* borrowed from the input buffer */
	size_t		 fr_len;	/* content length */
	size_t		 fr_total;	/* header + content + padding */
};

/*
 * Parse one record from buf[0 .. len).  Returns 1 and fills *rec when a
 * whole record (padding included) is there, 0 when more bytes are
 * needed, -1 when the header is invalid (version other than 1).  Never
 * reads past len.
 */
int	fcgi_record_parse(const uint8_t *, size_t, struct fcgi_record *);

/*
 * BEGIN_REQUEST body: 8 bytes, role (2) and flags (1).  Returns -1 when
 * the content is shorter than 8 bytes.
 */
int	fcgi_begin_parse(const struct fcgi_record *, unsigned *, unsigned *);

/*
 * END_REQUEST body: app status (4) and protocol status (1); -1 when the
 * content is shorter than 8 bytes.
 */
int	fcgi_end_parse(const struct fcgi_record *, uint32_t *, unsigned *);

/*
 * Write a record header for a record of type, id, content length clen
 * (<= 65535) and padding plen into out[8].
 */
void	fcgi_header_encode(uint8_t *, unsigned, unsigned, size_t, size_t);

/* Whole small records, written into out; return their length. */
size_t	fcgi_begin_encode(uint8_t *out /* 16 */, unsigned, unsigned, unsigned);
size_t	fcgi_end_encode(uint8_t *out /* 16 */, unsigned, uint32_t, unsigned);
size_t	fcgi_unknown_type_encode(uint8_t *out /* 16 */, unsigned);

/*
 * Name-value pair length prefix: 1 byte for < 128, else 4 bytes with the
 * top bit set.  fcgi_pair_size() is the encoded size of a pair;
 * fcgi_pair_encode() writes it into out (which must hold that size) and
 * returns the size.
 */
size_t	fcgi_pair_size(size_t, size_t);
size_t	fcgi_pair_encode(uint8_t *, const char *, size_t, const char *,
	    size_t);

/*
 * Decode name-value pairs from a complete params stream buf[0 .. len),
 * calling cb(name, nlen, value, vlen, arg) for each; cb returns 0 to go
 * on, -1 to stop (then fcgi_pairs_decode returns -1).  Returns the
 * number of pairs, or -1 when a length runs past the end of the stream
 * (malformed).  Names and values are not NUL-terminated.
 */
long	fcgi_pairs_decode(const uint8_t *, size_t,
	    int (*)(const char *, size_t, const char *, size_t, void *),
	    void *);

/*
 * The answer to a GET_VALUES record: for each name asked that we know
 * (FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS) a pair with our
 * value.  Writes a whole GET_VALUES_RESULT record into out (which holds
 * at least 256 bytes) and returns its length, or 0 when the request is
 * malformed.
 */
size_t	fcgi_get_values_answer(const struct fcgi_record *, unsigned,
	    unsigned, uint8_t *, size_t);

#endif /* FCGI_H */
