/*
 * reply.h -- the CGI reply header block (RFC 3875 section 6), as a
 * function writes it on stdout (cgi mode) or in FCGI_STDOUT (fastcgi).
 *
 * reply_parse() is pure: no I/O, no global state; it fills a caller's
 * struct buf with the header block to send on, normalised.  Fuzzed.
 */
#ifndef REPLY_H
#define REPLY_H

#include <stddef.h>

struct buf;

#define REPLY_MAX_HEADERS	(64 * 1024)

struct reply {
	/* 100..599; 200 by default, 302 for Location. */
	int		 rp_status;
	int		 rp_has_location;
	int		 rp_has_ctype;
};

/*
 * Parse the header block at the start of data[0 .. len).  Lines end in
 * "\n" or "\r\n"; the block ends at the first empty line.
 *
 * Returns the number of bytes the block took (the empty line included)
 * and appends to out the block to send to the web server:
 * "Status: NNN Reason\r\n", then every header the function sent except
 * Status and X-Request-Id, each as "Name: value\r\n", without the final
 * empty line (the caller adds its own headers and then "\r\n").
 * Returns 0 when the block is not complete yet and len is below
 * REPLY_MAX_HEADERS, and -1 with *errstr set (static string) when the
 * block is malformed: a line without a colon or with an empty or
 * non-token name, a bare CR or a NUL inside a line, a Status that is not
 * a 3-digit code from 100 to 599, or no end within REPLY_MAX_HEADERS.
 * Returns -1 with errno ENOMEM when out cannot grow.
 */
long	reply_parse(const char *, size_t, struct reply *, struct buf *,
	    const char **);

/*
 * Whether data[0 .. len) holds the empty line that ends a header block
 * (at the start, or "\n\n", or "\n\r\n").  *scanned, 0 at first, keeps
 * how far it looked, so that a caller whose buffer grows a little at a
 * time pays for the new bytes only, and calls reply_parse() once the
 * block can be whole.
 */
int	reply_ended(const char *, size_t, size_t *);

/* The reason phrase of a status code ("OK", "Not Found"; "" if none). */
const char	*reply_reason(int);

#endif /* REPLY_H */
