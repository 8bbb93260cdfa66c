/*
 * reply_test.c -- the CGI reply header block: status, redirects, line
 * endings, incomplete input, the malformed cases and the 64 KiB limit.
 */
#include "reply.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"

static struct reply	 rp;
static struct buf	 out;
static const char	*err;

/* Parse len bytes from an exact-size heap copy (ASan sees over-reads). */
static long
parse_n(const char *s, size_t len)
{
	char	*h;
	long	 n;

	if ((h = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(h, s, len);
	buf_free(&out);
	memset(&rp, 0, sizeof(rp));
	err = NULL;
	n = reply_parse(h, len, &rp, &out, &err);
	free(h);
	return n;
}

static long
parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* Is out exactly s? */
static int
out_is(const char *s)
{
	return out.b_len - out.b_off == strlen(s) &&
	    memcmp(out.b_data + out.b_off, s, strlen(s)) == 0;
}

/* out, with CR and LF shown as \r and \n, for test names. */
static const char *
out_str(void)
{
	static char	 s[512];
	size_t		 i, j = 0;
	unsigned char	 c;

	for (i = out.b_off; i < out.b_len && j + 3 < sizeof(s); i++) {
		c = out.b_data[i];
		if (c == '\r' || c == '\n') {
			s[j++] = '\\';
			s[j++] = c == '\r' ? 'r' : 'n';
		} else
			s[j++] = (char)c;
	}
	s[j] = '\0';
	return s;
}

/* An empty reply arrives as (NULL, 0): no arithmetic on the NULL
 * (found by fuzz_fcgi_client under clang's pointer-overflow check). */
static void
test_empty(void)
{
	struct reply	 r;
	struct buf	 b = { 0 };
	size_t		 scanned = 0;

	ok(reply_parse(NULL, 0, &r, &b, NULL) == 0 && b.b_len == 0,
	    "an empty reply (NULL, 0) is not a header block yet");
	ok(reply_ended(NULL, 0, &scanned) == 0 && scanned == 0,
	    "nor has it ended");
	buf_free(&b);
}

static void
test_status(void)
{
	const char	*s;
	long		 n;

	s = "Content-Type: text/plain\n\nbody";
	n = parse(s);
	ok(n == 26 && rp.rp_status == 200 && rp.rp_has_ctype &&
	    !rp.rp_has_location, "default status 200 (%ld)", n);
	ok(out_is("Status: 200 OK\r\nContent-Type: text/plain\r\n"),
	    "Status line first, then the headers: %s", out_str());

	n = parse("Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n");
	ok(n > 0 && rp.rp_status == 404, "Status 404 with a reason");
	ok(out_is("Status: 404 Not Found\r\nContent-Type: text/html\r\n"),
	    "the Status line is not repeated: %s", out_str());

	n = parse("Status: 418 I'm a teapot\n\n");
	ok(n > 0 && rp.rp_status == 418 &&
	    out_is("Status: 418 I'm a teapot\r\n"),
	    "the function's reason is kept: %s", out_str());

	n = parse("Status: 503\n\n");
	ok(n > 0 && rp.rp_status == 503 &&
	    out_is("Status: 503 Service Unavailable\r\n"),
	    "Status without a reason gets the standard one: %s", out_str());
	n = parse("Status:201\n\n");
	ok(n > 0 && rp.rp_status == 201 && out_is("Status: 201 Created\r\n"),
	    "Status:201 without a space");
	n = parse("Status: 299\n\n");
	ok(n > 0 && rp.rp_status == 299 && out_is("Status: 299\r\n"),
	    "code without a standard reason: no reason: %s", out_str());

	n = parse("Location: https://example.com/\n\n");
	ok(n > 0 && rp.rp_status == 302 && rp.rp_has_location,
	    "Location alone: 302");
	ok(out_is("Status: 302 Found\r\nLocation: https://example.com/\r\n"),
	    "302 header block: %s", out_str());
	n = parse("Location: /x\nStatus: 301\n\n");
	ok(n > 0 && rp.rp_status == 301 && rp.rp_has_location,
	    "Location with Status 301: 301");
	ok(out_is("Status: 301 Moved Permanently\r\nLocation: /x\r\n"),
	    "301 header block: %s", out_str());

	n = parse("sTaTuS: 204\ncontent-TYPE: a/b\nlocation: /y\n\n");
	ok(n > 0 && rp.rp_status == 204 && rp.rp_has_ctype &&
	    rp.rp_has_location, "header names are case-insensitive");
	ok(out_is("Status: 204 No Content\r\ncontent-TYPE: a/b\r\n"
	    "location: /y\r\n"), "names keep their spelling: %s", out_str());

	ok(strcmp(reply_reason(200), "OK") == 0 &&
	    strcmp(reply_reason(404), "Not Found") == 0 &&
	    strcmp(reply_reason(502), "Bad Gateway") == 0 &&
	    strcmp(reply_reason(431), "Request Header Fields Too Large") == 0 &&
	    strcmp(reply_reason(299), "") == 0 &&
	    strcmp(reply_reason(0), "") == 0, "reply_reason");
}

static void
test_lines(void)
{
	const char	*s;
	long		 n;
	size_t		 i;
	int		 bad;

	s = "A: 1\nB:2\n\n";
	ok(parse(s) == (long)strlen(s), "LF endings");
	ok(out_is("Status: 200 OK\r\nA: 1\r\nB: 2\r\n"), "LF block: %s",
	    out_str());
	s = "A: 1\r\nB:2\r\n\r\n";
	ok(parse(s) == (long)strlen(s), "CRLF endings");
	ok(out_is("Status: 200 OK\r\nA: 1\r\nB: 2\r\n"), "CRLF block: %s",
	    out_str());
	s = "A: 1\r\nB:2\n\r\n";
	ok(parse(s) == (long)strlen(s), "mixed endings");

	s = "X-Pad: \t  spaced out \t \nEmpty:\n\n";
	ok(parse(s) > 0 && out_is("Status: 200 OK\r\nX-Pad: spaced out\r\n"
	    "Empty: \r\n"), "values trimmed of spaces and tabs: %s",
	    out_str());
	s = "X-Odd!#$%&'*+-.^_`|~: v\n\n";
	ok(parse(s) > 0, "every tchar is allowed in a name");

	s = "Content-Type: text/plain\r\n\r\nStatus: 500\r\n\r\nbody";
	n = parse(s);
	ok(n == 28 && rp.rp_status == 200 &&
	    out_is("Status: 200 OK\r\nContent-Type: text/plain\r\n"),
	    "the body after the empty line is not consumed (%ld)", n);

	ok(parse("\n") == 1 && out_is("Status: 200 OK\r\n"),
	    "an empty block: just the status");
	ok(parse("\r\nbody") == 2, "an empty CRLF block");

	s = "Status: 404\r\nContent-Type: text/plain\r\n\r\nbody";
	bad = 0;
	for (i = 0; i < 41; i++)
		if (parse_n(s, i) != 0 || out.b_len != 0)
			bad = 1;
	ok(!bad, "every incomplete prefix returns 0 and writes nothing");
	ok(parse_n(s, 41) == 41 && rp.rp_status == 404,
	    "then the complete block returns its length");
	ok(parse_n(s, 42) == 41, "and more data changes nothing");
	ok(parse_n("", 0) == 0, "empty input: 0");
	ok(parse("Content-Type: text/plain\r\n\r") == 0,
	    "final CR without its LF: 0");

	s = "X-Request-Id: forged\nA: b\nx-request-id: again\n\n";
	ok(parse(s) > 0 && out_is("Status: 200 OK\r\nA: b\r\n"),
	    "X-Request-Id from the function is dropped: %s", out_str());

	/* Appends to what out holds already. */
	buf_free(&out);
	buf_append(&out, "keep", 4);
	n = reply_parse("A: b\n\n", 6, &rp, &out, &err);
	ok(n == 6 && out.b_len == 4 + 22 &&
	    memcmp(out.b_data, "keepStatus: 200 OK\r\nA: b\r\n", 26) == 0,
	    "appends after what out already holds");
}

static void
test_malformed(void)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*what;
		const char	*why;	/* in the error string */
	} bad[] = {
		{ "NoColon\n\n", 0, "no colon", "colon" },
		{ ": value\n\n", 0, "empty name", "empty" },
		{ "Bad Name: v\n\n", 0, "space in the name", "name" },
		{ "Bad\"Name: v\n\n", 0, "quote in the name", "name" },
		{ "Bad(Name): v\n\n", 0, "parenthesis in the name", "name" },
		{ "A: b\n c\n\n", 0, "folded line (space)", "folded" },
		{ "A: b\n\tc\n\n", 0, "folded line (tab)", "folded" },
		{ " A: b\n\n", 0, "first line starts with a space", "folded" },
		{ "X: a\rInjected: b\n\n", 0, "bare CR inside a value", "CR" },
		{ "X: a\r\r\n\r\n", 0, "CR CR LF", "CR" },
		{ "X\r: a\n\n", 0, "bare CR in the name", "CR" },
		{ "\rX: a\n\n", 0, "line starting with a bare CR", "CR" },
		{ "X: a\0b\n\n", 8, "NUL in a value", "NUL" },
		{ "X\0Y: a\n\n", 8, "NUL in a name", "NUL" },
		{ "Status: 2000\n\n", 0, "Status: 2000", "Status" },
		{ "Status: 99\n\n", 0, "Status: 99", "Status" },
		{ "Status: 099\n\n", 0, "Status: 099", "Status" },
		{ "Status: abc\n\n", 0, "Status: abc", "Status" },
		{ "Status: 600\n\n", 0, "Status: 600", "Status" },
		{ "Status: 20x\n\n", 0, "Status: 20x", "Status" },
		{ "Status: 200OK\n\n", 0, "Status: 200OK", "Status" },
		{ "Status: -200\n\n", 0, "Status: -200", "Status" },
		{ "Status:\n\n", 0, "empty Status", "Status" },
		{ "Status: 200\nStatus: 404\n\n", 0, "two Status lines",
		    "duplicate" },
		{ "HTTP/1.1 200 OK\n\n", 0, "an HTTP status line", "name" },
		{ "A: b\nbroken\n\nX: y\n\n", 0, "a bad line in the middle",
		    "colon" },
	};
	size_t	 i, len;
	long	 n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = bad[i].len ? bad[i].len : strlen(bad[i].in);
		n = parse_n(bad[i].in, len);
		ok(n == -1 && err != NULL && strstr(err, bad[i].why) != NULL &&
		    out.b_len == 0, "malformed: %s (%s)", bad[i].what,
		    err ? err : "-");
	}
	ok(parse("A: b\n\nnot a header\n") > 0,
	    "anything after the empty line is body, not checked");
}

static void
test_limit(void)
{
	char	*big;
	size_t	 i, fill;
	long	 n;

	if ((big = malloc(REPLY_MAX_HEADERS + 64)) == NULL)
		abort();

	/* One header line and "\r\n", exactly REPLY_MAX_HEADERS long. */
	memcpy(big, "X-Big: ", 7);
	fill = REPLY_MAX_HEADERS - 7 - 4;
	memset(big + 7, 'a', fill);
	memcpy(big + 7 + fill, "\r\n\r\n", 4);
	memcpy(big + REPLY_MAX_HEADERS, "body", 4);
	n = parse_n(big, REPLY_MAX_HEADERS + 4);
	ok(n == REPLY_MAX_HEADERS, "a block of exactly 64 KiB is fine (%ld)",
	    n);
	ok(n > 0 && out.b_len == 16 + 7 + fill + 2,
	    "all of it is passed on");
	n = parse_n(big, REPLY_MAX_HEADERS);
	ok(n == REPLY_MAX_HEADERS, "also when it is all there is");
	n = parse_n(big, REPLY_MAX_HEADERS - 1);
	ok(n == 0, "one byte short of it: 0 (more needed)");

	/* One byte more: the empty line ends past the limit. */
	memcpy(big + 7, "a", 1);
	memmove(big + 8, big + 7, fill + 4);
	n = parse_n(big, REPLY_MAX_HEADERS + 1);
	ok(n == -1 && err != NULL, "a block of 64 KiB + 1 is -1 (%s)",
	    err ? err : "-");
	n = parse_n(big, REPLY_MAX_HEADERS);
	ok(n == -1, "-1 as soon as 64 KiB are there without an end");
	n = parse_n(big, REPLY_MAX_HEADERS - 1);
	ok(n == 0, "0 while below 64 KiB");

	/* Many short headers past the limit. */
	for (i = 0; i + 6 <= REPLY_MAX_HEADERS + 64; i += 6)
		memcpy(big + i, "A: bc\n", 6);
	n = parse_n(big, i);
	ok(n == -1, "64 KiB of headers without an end: -1");

	/* Many short headers, ending just inside the limit. */
	fill = (REPLY_MAX_HEADERS - 1) / 6 * 6;
	big[fill] = '\n';
	n = parse_n(big, fill + 1);
	ok(n == (long)fill + 1 && out.b_len == 16 + fill / 6 * 7,
	    "%zu short headers, all passed on (%ld)", fill / 6, n);
	free(big);
}

/* reply_ended() on a buffer that grows a byte at a time. */
static void
test_ended(void)
{
	static const char *const blocks[] = {
		"Status: 200\nA: b\n\nbody", "A: b\r\n\r\nbody", "\nbody",
		"\r\nbody", "A: b\n\r\n"
	};
	size_t	i, n, scanned, at;
	int	ended;

	for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		scanned = 0;
		at = 0;
		for (n = 1; n <= strlen(blocks[i]); n++)
			if ((ended = reply_ended(blocks[i], n, &scanned)) &&
			    at == 0)
				at = n;
		ok(at != 0 && reply_ended(blocks[i], at - 1, &(size_t){ 0 })
		    == 0, "block %zu: ended at byte %zu, not before", i, at);
	}
	scanned = 0;
	ok(reply_ended("A: b\nC: d\n", 10, &scanned) == 0 && scanned == 10,
	    "no empty line yet: scanned to the end");
	ok(reply_ended("A: b\nC: d\n\n", 11, &scanned) == 1,
	    "the empty line straddling the old end is found");
}

int
main(void)
{
	test_ended();
	test_empty();
	test_status();
	test_lines();
	test_malformed();
	test_limit();
	buf_free(&out);
	return done_testing();
}
