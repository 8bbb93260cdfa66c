/*
 * reply.c -- the CGI reply header block (RFC 3875 section 6), checked
 * and normalised into the header block fngw sends on.
 *
 * Stateless: each call starts again at the first byte, so the caller
 * may call it after every read.  A cheap scan for the empty line comes
 * first; the block is parsed, in one pass, only once it is complete.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "reply.h"
#include "util.h"

static long	reply_fail(const char **, const char *);
static size_t	reply_find_end(const char *, size_t);
static int	reply_tchar(unsigned char);
static int	reply_is(const char *, size_t, const char *);
static int	reply_status(const char *, size_t, int *, const char **,
		    size_t *);

static long
reply_fail(const char **errstr, const char *why)
{
	if (errstr != NULL)
		*errstr = why;
	errno = EINVAL;
	return -1;
}

/*
 * The length of the block, empty line included, when data[0 .. len)
 * holds one; 0 otherwise.  An empty line is "\n" or "\r\n" at the start
 * of a line.
 */
static size_t
reply_find_end(const char *data, size_t len)
{
	const char	*p = data, *end, *nl;

	if (len == 0)
		return 0;	/* data may be NULL: no arithmetic on it */
	end = data + len;
	for (;;) {
		if (p < end && p[0] == '\n')
			return (size_t)(p + 1 - data);
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p + 2 - data);
		if (p == end ||
		    (nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return 0;
		p = nl + 1;
	}
}

/* RFC 7230 section 3.2.6: tchar. */
static int
reply_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
reply_is(const char *name, size_t nlen, const char *want)
{
	return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

/*
 * "404" or "404 Not Found" (value already trimmed): exactly three
 * digits, 100 to 599, then nothing or a space and a reason.
 */
static int
reply_status(const char *v, size_t vlen, int *code, const char **reason,
    size_t *rlen)
{
	size_t	 i;

	if (vlen < 3)
		return -1;
	for (i = 0; i < 3; i++)
		if (v[i] < '0' || v[i] > '9')
			return -1;
	*code = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
	if (*code < 100 || *code > 599)
		return -1;
	if (vlen > 3 && v[3] != ' ' && v[3] != '\t')
		return -1;
	/* The value is trimmed, so a reason, if any, follows the blanks. */
	for (i = 3; i < vlen && (v[i] == ' ' || v[i] == '\t'); i++)
		continue;
	*reason = v + i;
	*rlen = vlen - i;
	return 0;
}

long
reply_parse(const char *data, size_t len, struct reply *rp, struct buf *out,
    const char **errstr)
{
	struct reply	 r = { 200, 0, 0 };
	const char	*p, *end, *eol, *colon, *v, *ve, *reason = NULL;
	unsigned char	*base;
	size_t		 n, start, w = 0, rlen = 0, slen, hlen;
	int		 have_status = 0;

	n = reply_find_end(data, len < REPLY_MAX_HEADERS ? len :
	    REPLY_MAX_HEADERS);
	if (n == 0) {
		if (len >= REPLY_MAX_HEADERS)
			return reply_fail(errstr, "headers too large");
		return 0;
	}

	/*
	 * Each line of output is at most 2 bytes longer than its input
	 * line, which is at least 3 bytes ("X:\n"), and the default status
	 * line is short: 2n + 64 bytes always do.  One reservation, then
	 * plain copies.
	 */
	if (buf_reserve(out, 2 * n + 64) == -1) {
		if (errstr != NULL)
			*errstr = "out of memory";
		errno = ENOMEM;
		return -1;
	}
	start = out->b_len;
	base = out->b_data + start;

	for (p = data, end = data + n; ; p = eol + 1) {
		/* Every line is complete: reply_find_end() saw the end. */
		eol = memchr(p, '\n', (size_t)(end - p));
		ve = eol;
		if (ve > p && ve[-1] == '\r')
			ve--;
		if (ve == p)
			break;		/* the empty line: end of block */
		/* A CR alone would start a new header line downstream. */
		if (memchr(p, '\r', (size_t)(ve - p)) != NULL)
			return reply_fail(errstr, "bare CR in header line");
		if (memchr(p, '\0', (size_t)(ve - p)) != NULL)
			return reply_fail(errstr, "NUL in header line");
		/* RFC 7230 section 3.2.4: obs-fold is refused. */
		if (*p == ' ' || *p == '\t')
			return reply_fail(errstr, "folded header line");
		for (colon = p; colon < ve && reply_tchar(*colon); colon++)
			continue;
		if (colon == ve)
			return reply_fail(errstr, "header without a colon");
		if (*colon != ':')
			return reply_fail(errstr, "invalid header name");
		if (colon == p)
			return reply_fail(errstr, "empty header name");
		v = colon + 1;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;

		if (reply_is(p, (size_t)(colon - p), "Status")) {
			if (have_status)
				return reply_fail(errstr, "duplicate Status");
			if (reply_status(v, (size_t)(ve - v), &r.rp_status,
			    &reason, &rlen) == -1)
				return reply_fail(errstr, "invalid Status");
			have_status = 1;
			continue;
		}
		/* fngw sets its own X-Request-Id (SPEC.md). */
		if (reply_is(p, (size_t)(colon - p), "X-Request-Id"))
			continue;
		if (reply_is(p, (size_t)(colon - p), "Location"))
			r.rp_has_location = 1;
		else if (reply_is(p, (size_t)(colon - p), "Content-Type"))
			r.rp_has_ctype = 1;
		memcpy(base + w, p, (size_t)(colon - p));
		w += (size_t)(colon - p);
		memcpy(base + w, ": ", 2);
		w += 2;
		memcpy(base + w, v, (size_t)(ve - v));
		w += (size_t)(ve - v);
		memcpy(base + w, "\r\n", 2);
		w += 2;
	}

	/* RFC 3875 section 6.2.3: Location without Status redirects. */
	if (!have_status && r.rp_has_location)
		r.rp_status = 302;
	if (reason == NULL || rlen == 0) {
		reason = reply_reason(r.rp_status);
		rlen = strlen(reason);
	}

	/* The Status line goes first: move the other headers after it. */
	hlen = w;
	slen = sizeof("Status: NNN\r\n") - 1 + (rlen > 0 ? 1 + rlen : 0);
	memmove(base + slen, base, hlen);
	memcpy(base, "Status: ", 8);
	base[8] = (unsigned char)('0' + r.rp_status / 100);
	base[9] = (unsigned char)('0' + r.rp_status / 10 % 10);
	base[10] = (unsigned char)('0' + r.rp_status % 10);
	w = 11;
	if (rlen > 0) {
		base[w++] = ' ';
		memcpy(base + w, reason, rlen);
		w += rlen;
	}
	memcpy(base + w, "\r\n", 2);
	out->b_len = start + slen + hlen;
	*rp = r;
	return (long)n;
}

const char *
reply_reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Content";
	case 426: return "Upgrade Required";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

int
reply_ended(const char *d, size_t len, size_t *scanned)
{
	size_t	i;

	if (len > 0 && (d[0] == '\n' || (len > 1 && d[0] == '\r' &&
	    d[1] == '\n')))
		return 1;
	/* Back up two bytes: the newlines may straddle the old end. */
	for (i = *scanned > 2 ? *scanned - 2 : 0; i + 1 < len; i++)
		if (d[i] == '\n' && (d[i + 1] == '\n' ||
		    (d[i + 1] == '\r' && i + 2 < len && d[i + 2] == '\n')))
			return 1;
	*scanned = len;
	return 0;
}
