/*
 * fuzz_parsers.c -- the strict number, duration, size and boolean
 * parsers of util.h on any string: success means a value in the
 * documented range, equal to what a plain reading of the string gives
 * (digits, then a unit, nothing else); failure always says why.
 */
#include "util.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"

#define MAX_MS		(30ULL * 24 * 3600 * 1000)
#define MAX_BYTES	(1ULL << 40)

/*
 * Digits then a unit: 0 and the value (saturated at UINT64_MAX) and
 * the unit, or -1 when the string does not start with a digit.
 */
static int
number_unit(const char *s, uint64_t *v, const char **unit)
{
	*v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (*v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			*v = UINT64_MAX;
		else
			*v = *v * 10 + (uint64_t)(*s - '0');
	}
	*unit = s;
	return 0;
}

/* The value a unit multiplies by; 0 for an unknown unit. */
static uint64_t
unit_mul(const char *u, const char *const *names, const uint64_t *muls,
    size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcasecmp(u, names[i]) == 0)
			return muls[i];
	return 0;
}

static void
duration_check(const char *s)
{
	static const char *const names[] = { "", "ms", "s", "m", "h" };
	static const uint64_t muls[] = { 1000, 1, 1000, 60000, 3600000 };
	const char	*errstr = NULL, *unit;
	uint64_t	 ms = 0, v, mul = 0;
	int		 want = -1;

	if (number_unit(s, &v, &unit) == 0 &&
	    (mul = unit_mul(unit, names, muls, 5)) != 0 && v <= MAX_MS / mul)
		want = 0;
	FUZZ_CHECK(util_parse_duration(s, &ms, &errstr) == want);
	if (want == 0)
		FUZZ_CHECK(ms == v * mul && ms <= MAX_MS);
	else
		FUZZ_CHECK(errstr != NULL && *errstr != '\0');
}

static void
size_check(const char *s)
{
	static const char *const names[] = { "", "k", "m", "g" };
	static const uint64_t muls[] = { 1, 1ULL << 10, 1ULL << 20,
	    1ULL << 30 };
	const char	*errstr = NULL, *unit;
	uint64_t	 bytes = 0, v, mul = 0;
	int		 want = -1;

	if (number_unit(s, &v, &unit) == 0 &&
	    (mul = unit_mul(unit, names, muls, 4)) != 0 &&
	    v <= MAX_BYTES / mul)
		want = 0;
	FUZZ_CHECK(util_parse_size(s, &bytes, &errstr) == want);
	if (want == 0)
		FUZZ_CHECK(bytes == v * mul && bytes <= MAX_BYTES);
	else
		FUZZ_CHECK(errstr != NULL && *errstr != '\0');
}

static void
int_check(const char *s, long long min, long long max)
{
	const char	*errstr = NULL, *p = s;
	long long	 v = 0, ref = 0;
	uint64_t	 mag;
	int		 neg = 0, want;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	want = number_unit(p, &mag, &p) == 0 && *p == '\0' ? 0 : -1;
	/* The magnitude is read as a positive long long, either sign. */
	if (want == 0 && mag > (uint64_t)LLONG_MAX)
		want = -1;
	if (want == 0) {
		ref = neg ? -(long long)mag : (long long)mag;
		if (ref < min || ref > max)
			want = -1;
	}
	FUZZ_CHECK(util_parse_int(s, min, max, &v, &errstr) == want);
	if (want == 0)
		FUZZ_CHECK(v >= min && v <= max && v == ref);
	else
		FUZZ_CHECK(errstr != NULL && *errstr != '\0');
}

static void
bool_check(const char *s)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };
	const char	*errstr = NULL;
	size_t		 i;
	int		 b = -1, rc;

	rc = util_parse_bool(s, &b, &errstr);
	if (rc == -1) {
		FUZZ_CHECK(errstr != NULL && *errstr != '\0');
		return;
	}
	FUZZ_CHECK(rc == 0 && (b == 0 || b == 1));
	for (i = 0; i < 4; i++)
		if (strcasecmp(s, b ? yes[i] : no[i]) == 0)
			return;
	FUZZ_CHECK(!"a boolean that is no known word");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	FUZZ_CHECK((s = malloc(size + 1)) != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	duration_check(s);
	size_check(s);
	int_check(s, -1000, 1000000);
	int_check(s, LLONG_MIN + 1, LLONG_MAX);
	bool_check(s);
	free(s);
	return 0;
}
