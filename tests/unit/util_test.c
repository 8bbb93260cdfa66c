/*
 * util_test.c -- the strict parsers of util.h: durations, sizes,
 * integers, booleans and util_split().
 */
#include "util.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"

static int
dur(const char *s, uint64_t want)
{
	const char	*errstr = NULL;
	uint64_t	 ms = 12345;

	return util_parse_duration(s, &ms, &errstr) == 0 && ms == want;
}

static int
dur_bad(const char *s)
{
	const char	*errstr = NULL;
	uint64_t	 ms = 12345;

	return util_parse_duration(s, &ms, &errstr) == -1 && errstr != NULL &&
	    ms == 12345;
}

static int
size(const char *s, uint64_t want)
{
	const char	*errstr = NULL;
	uint64_t	 b = 12345;

	return util_parse_size(s, &b, &errstr) == 0 && b == want;
}

static int
size_bad(const char *s)
{
	const char	*errstr = NULL;
	uint64_t	 b = 12345;

	return util_parse_size(s, &b, &errstr) == -1 && errstr != NULL &&
	    b == 12345;
}

static int
num(const char *s, long long min, long long max, long long want)
{
	const char	*errstr = NULL;
	long long	 v = 12345;

	return util_parse_int(s, min, max, &v, &errstr) == 0 && v == want;
}

static int
num_bad(const char *s, long long min, long long max, const char *why)
{
	const char	*errstr = NULL;
	long long	 v = 12345;

	return util_parse_int(s, min, max, &v, &errstr) == -1 &&
	    errstr != NULL && (why == NULL || strcmp(errstr, why) == 0) &&
	    v == 12345;
}

static int
boolean(const char *s, int want)
{
	const char	*errstr = NULL;
	int		 v = 7;

	if (want == -1)
		return util_parse_bool(s, &v, &errstr) == -1 &&
		    errstr != NULL && v == 7;
	return util_parse_bool(s, &v, &errstr) == 0 && v == want;
}

/* util_split(s) gives exactly the words of want (NULL-terminated). */
static int
split(const char *s, const char *const *want)
{
	const char	*errstr = NULL;
	char		**v;
	size_t		 i;
	int		 same;

	if ((v = util_split(s, &errstr)) == NULL)
		return 0;
	for (i = 0; want[i] != NULL && v[i] != NULL; i++)
		if (strcmp(want[i], v[i]) != 0)
			break;
	same = want[i] == NULL && v[i] == NULL;
	if (same && util_strv_len(v) != i)
		same = 0;
	util_strv_free(v);
	return same;
}

static void
test_duration(void)
{
	ok(dur("250ms", 250), "250ms");
	ok(dur("10s", 10000), "10s");
	ok(dur("5m", 300000), "5m");
	ok(dur("1h", 3600000), "1h");
	ok(dur("7", 7000), "bare 7 is seconds");
	ok(dur("0", 0), "0");
	ok(dur("042", 42000), "042 is 42 seconds, not octal");
	ok(dur("720h", 720ULL * 3600 * 1000), "30 days is the maximum");
	ok(dur_bad("721h"), "more than 30 days");
	ok(dur_bad("10x"), "10x: unknown unit");
	ok(dur_bad("-1s"), "-1s: no sign");
	ok(dur_bad("+1s"), "+1s: no sign");
	ok(dur_bad(""), "empty");
	ok(dur_bad("s"), "unit alone");
	ok(dur_bad("1.5s"), "no fractions");
	ok(dur_bad(" 1s"), "no leading space");
	ok(dur_bad("1s "), "no trailing space");
	ok(dur_bad("1 s"), "no space before the unit");
	ok(dur_bad("10sec"), "10sec");
	ok(dur_bad("99999999999999999999999s"), "overflow in the digits");
	ok(dur_bad("18446744073709551615ms"), "overflow with the unit");
	ok(dur_bad("5124095576030431h"), "overflow when multiplied");
}

static void
test_size(void)
{
	ok(size("100", 100), "100 bytes");
	ok(size("0", 0), "0");
	ok(size("64k", 65536), "64k");
	ok(size("128m", 128ULL << 20), "128m");
	ok(size("1g", 1ULL << 30), "1g");
	ok(size("64K", 65536), "units are case-insensitive");
	ok(size("010k", 10240), "010k is decimal");
	ok(size("1024g", 1ULL << 40), "1 TiB is the maximum");
	ok(size_bad("1025g"), "more than 1 TiB");
	ok(size_bad("1t"), "no t unit");
	ok(size_bad("12q"), "12q");
	ok(size_bad("-1"), "no sign");
	ok(size_bad(""), "empty");
	ok(size_bad("k"), "unit alone");
	ok(size_bad("1.5m"), "no fractions");
	ok(size_bad("64kb"), "64kb");
	ok(size_bad("99999999999999999999999"), "overflow");
	ok(size_bad("17592186044416g"), "overflow when multiplied");
}

static void
test_int(void)
{
	ok(num("42", 0, 100, 42), "42");
	ok(num("042", 0, 100, 42), "042 is decimal");
	ok(num("-5", -10, 10, -5), "negative in range");
	ok(num("9223372036854775807", 0, 9223372036854775807LL,
	    9223372036854775807LL), "LLONG_MAX");
	ok(num_bad("101", 0, 100, "too large"), "above max: too large");
	ok(num_bad("-1", 0, 100, "too small"), "below min: too small");
	ok(num_bad("0x10", 0, 100, "not a number"), "no hex");
	ok(num_bad("12a", 0, 100, "not a number"), "trailing garbage");
	ok(num_bad("", 0, 100, NULL), "empty");
	ok(num_bad(" 1", 0, 100, NULL), "leading space");
	ok(num_bad("+1", 0, 100, NULL), "plus sign");
	ok(num_bad("9223372036854775808", 0, 9223372036854775807LL,
	    "too large"), "overflow");
}

static void
test_bool(void)
{
	ok(boolean("yes", 1) && boolean("on", 1) && boolean("true", 1) &&
	    boolean("1", 1), "yes on true 1");
	ok(boolean("no", 0) && boolean("off", 0) && boolean("false", 0) &&
	    boolean("0", 0), "no off false 0");
	ok(boolean("YES", 1) && boolean("Off", 0), "case-insensitive");
	ok(boolean("maybe", -1) && boolean("", -1) && boolean("2", -1),
	    "anything else is an error");
}

static void
test_split(void)
{
	static const char *const w1[] = { "a", "b", "c", NULL };
	static const char *const w2[] = { "--name", "two words", "x", NULL };
	static const char *const w3[] = { "MSG=a b", "LANG=C", NULL };
	static const char *const w4[] = { NULL };
	static const char *const w5[] = { "", "z", NULL };
	const char	*errstr = NULL;
	char		**v;

	ok(split("a b c", w1), "plain words");
	ok(split("  a \t b   c  ", w1), "runs of blanks and tabs");
	ok(split("--name \"two words\" x", w2), "quoted part keeps spaces");
	ok(split("MSG=\"a b\" LANG=C", w3), "quotes inside a word");
	ok(split("", w4), "empty: no words");
	ok(split("   ", w4), "blanks: no words");
	ok(split("\"\" z", w5), "empty quoted word");
	v = util_split("a \"b c", &errstr);
	ok(v == NULL && errstr != NULL, "unterminated quote is an error");
	util_strv_free(v);
	util_strv_free(NULL);
	ok(util_strv_len(NULL) == 0, "util_strv_len(NULL)");
}

static void
test_json(void)
{
	struct buf	b = { 0 };

	buf_json_str(&b, "a\"b\\c\n\x01" "d");
	ok(b.b_len == 22 && memcmp(b.b_data,
	    "\"a\\\"b\\\\c\\u000a\\u0001d\"", 22) == 0,
	    "buf_json_str escapes quote, backslash and controls");
	buf_reset(&b);
	buf_json_str(&b, NULL);
	ok(b.b_len == 2 && memcmp(b.b_data, "\"\"", 2) == 0,
	    "buf_json_str(NULL) is the empty string");
	buf_free(&b);
}

struct lines {
	char	got[8][64];
	int	n;
};

static void
line_cb(void *arg, const char *s, size_t len)
{
	struct lines	*l = arg;

	if (l->n < 8)
		(void)snprintf(l->got[l->n++], 64, "%.*s", (int)len, s);
}

static void
test_lines(void)
{
	struct buf	b = { 0 };
	struct lines	l = { .n = 0 };

	buf_lines(&b, "one\ntw", 6, 0, 1000, line_cb, &l);
	ok(l.n == 1 && strcmp(l.got[0], "one") == 0 && b.b_len == 2,
	    "buf_lines: a whole line out, the partial one kept");
	buf_lines(&b, "o\nthree\n", 8, 0, 1000, line_cb, &l);
	ok(l.n == 3 && strcmp(l.got[1], "two") == 0 &&
	    strcmp(l.got[2], "three") == 0 && b.b_data == NULL,
	    "buf_lines: the kept part joins the next; nothing left, freed");
	buf_lines(&b, "abcdefgh", 8, 0, 5, line_cb, &l);
	ok(l.n == 4 && strcmp(l.got[3], "abcdefgh") == 0,
	    "buf_lines: a partial line longer than max goes out");
	buf_lines(&b, "tail", 4, 0, 1000, line_cb, &l);
	ok(l.n == 4, "buf_lines: a short partial line waits");
	buf_lines(&b, NULL, 0, 1, 1000, line_cb, &l);
	ok(l.n == 5 && strcmp(l.got[4], "tail") == 0 && b.b_data == NULL,
	    "buf_lines: flush says what is left");
	buf_free(&b);
}

int
main(void)
{
	test_lines();
	test_json();
	test_duration();
	test_size();
	test_int();
	test_bool();
	test_split();
	return done_testing();
}
