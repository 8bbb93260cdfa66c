/*
 * fuzz_reply.c -- the CGI reply header parser (reply.h) on any bytes a
 * function may print: the block it passes on must be well-formed
 * header lines (no CR or LF that could start a header of its own), and
 * reply_ended(), fed the same bytes a few at a time, must agree with
 * reply_parse() on whether the block is there.
 */
#include "reply.h"

#include <string.h>

#include "fuzz.h"
#include "util.h"

#define PRE	"PRE"	/* what the caller's buffer held before */

static int
tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The block reply_parse() wrote: "Status: NNN[ reason]\r\n", headers. */
static void
block_check(const unsigned char *b, size_t len, int status)
{
	const unsigned char	*p, *e = b + len, *eol;
	int			 first = 1;

	FUZZ_CHECK(len >= 13 && memcmp(b, "Status: ", 8) == 0);
	FUZZ_CHECK(b[8] - '0' == status / 100 &&
	    b[9] - '0' == status / 10 % 10 && b[10] - '0' == status % 10);
	FUZZ_CHECK(b[11] == ' ' || b[11] == '\r');
	FUZZ_CHECK(memchr(b, '\0', len) == NULL);
	for (p = b; p < e; p = eol + 2) {
		/* Each line ends in CRLF; no CR or LF anywhere else. */
		for (eol = p; eol < e && *eol != '\r' && *eol != '\n'; eol++)
			continue;
		FUZZ_CHECK(e - eol >= 2 && eol[0] == '\r' && eol[1] == '\n');
		if (first) {
			first = 0;
			continue;
		}
		/* "Name: value", Name a token, never Status again. */
		while (p < eol && tchar(*p))
			p++;
		FUZZ_CHECK(p < eol && p[0] == ':' && eol - p >= 2 &&
		    p[1] == ' ');
		/* The value is trimmed of blanks at both ends. */
		FUZZ_CHECK(eol - p == 2 || (p[2] != ' ' && p[2] != '\t' &&
		    eol[-1] != ' ' && eol[-1] != '\t'));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*d = (const char *)data, *errstr = NULL;
	struct reply	 rp;
	struct buf	 out;
	size_t		 scanned = 0, once, len, step;
	long		 n;
	int		 ended, inc = 0;

	memset(&out, 0, sizeof(out));
	FUZZ_CHECK(buf_append(&out, PRE, 3) == 0);
	memset(&rp, 0, sizeof(rp));
	n = reply_parse(d, size, &rp, &out, &errstr);
	ended = reply_ended(d, size, &(size_t){ 0 });
	FUZZ_CHECK(memcmp(out.b_data, PRE, 3) == 0);
	if (n > 0) {
		FUZZ_CHECK((size_t)n <= size && n <= REPLY_MAX_HEADERS);
		FUZZ_CHECK(d[n - 1] == '\n' && ended);
		FUZZ_CHECK(rp.rp_status >= 100 && rp.rp_status <= 599);
		block_check(out.b_data + 3, out.b_len - 3, rp.rp_status);
	} else if (n == 0) {
		FUZZ_CHECK(size < REPLY_MAX_HEADERS && !ended);
		FUZZ_CHECK(out.b_len == 3);
	} else {
		FUZZ_CHECK(n == -1 && errstr != NULL);
		/* Refused only once the block is there, or too large. */
		FUZZ_CHECK(ended || size >= REPLY_MAX_HEADERS);
	}
	buf_free(&out);

	/* reply_ended() on a buffer that grows a few bytes at a time. */
	step = 1 + size / 32 + (size > 0 ? data[0] % 8 : 0);
	for (len = 0; len <= size; len += step) {
		inc = reply_ended(d, len, &scanned);
		once = (size_t)reply_ended(d, len, &(size_t){ 0 });
		FUZZ_CHECK((size_t)inc == once);
		if (inc)
			break;
		FUZZ_CHECK(scanned == len);
	}
	if (!inc)
		FUZZ_CHECK(reply_ended(d, size, &scanned) == ended);
	return 0;
}
