/*
 * report.c -- `fngw usage`: totals from one or more usage ledgers (one
 * per node), grouped by function, tenant, day or hour, with the cost,
 * as a table, CSV, JSON or an HTML page with a chart; and pruning of old
 * rows.  Ledgers are opened read-only (but to prune) and each is queried
 * on its own, once per price period; the partial sums are merged in
 * memory.  Money is integer arithmetic throughout (see rpt_price and
 * rpt_add), the chart's geometry too.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "usage.h"

#define RPT_MAXKEYS	4
#define RPT_SCALE	1000000000000ULL	/* prices in 10^-12 units */
#define RPT_MBMS_PER_GBS 1024000ULL		/* MB·ms in one GB-s */
#define RPT_HOUR_US	3600000000LL		/* = usage.c's rollup index */
#define RPT_BUSY_MS	5000		/* prune: wait for fngw's writer */
#define RPT_PRUNE_BATCH	20000		/* prune: ids per transaction */

enum rpt_key { KEY_FUNCTION, KEY_TENANT, KEY_DAY, KEY_HOUR };
enum rpt_format { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_HTML };

/* One row of table prices, as the span of started_at it applies to. */
struct rpt_period {
	int64_t		 p_lo, p_hi;		/* [lo, hi) */
	int		 p_priced;		/* 0: no prices recorded */
	unsigned __int128 p_per_request, p_per_gb_second;
	char		 p_currency[16];
};

/*
 * One group's totals.  g_cost is exact: in units of 10^-12 / 1024000 of
 * the currency, i.e. (requests charged x per_request + MB·ms x
 * per_gb_second / 1024000) x 10^12 x 1024000.
 */
struct rpt_group {
	char		*g_key[RPT_MAXKEYS];	/* NULL: none (a tenant) */
	uint64_t	 g_requests, g_errors, g_throttled;
	uint64_t	 g_mbms, g_cpu_us;
	unsigned __int128	 g_cost;
	char		 g_currency[16];	/* "": no price recorded */
};

struct rpt {
	enum rpt_key	 r_key[RPT_MAXKEYS];
	int		 r_nkeys;
	int64_t		 r_from, r_to;
	enum rpt_format	 r_format;
	struct rpt_group *r_groups;
	size_t		 r_ngroups, r_cap;
};

static const char *const rpt_key_names[] = { "function", "tenant", "day",
    "hour" };

/* The keys over the hourly partial sums of rpt_query_db (h: hour). */
static const char *const rpt_key_sql[] = {
	"function",
	"tenant",
	"strftime('%Y-%m-%d', h * 3600, 'unixepoch')",
	"strftime('%Y-%m-%d %H:00', h * 3600, 'unixepoch')",
};

static const char rpt_synopsis[] =
"usage: fngw usage [-c FILE] --db FILE [--db FILE ...] [--from DATE]\n"
"                  [--to DATE] [--by function|tenant|day|hour[,...]]\n"
"                  [--format table|csv|json|html]\n"
"       fngw usage --db FILE --prune-before DATE [--by KEYS]\n";

static const char rpt_help[] =
"\n"
"Totals from one or more usage ledgers (one per node), merged.\n"
"  --db FILE     a ledger, opened read-only; repeat to merge nodes\n"
"  --from DATE   rows started at or after DATE (inclusive)\n"
"  --to DATE     rows started before DATE (exclusive)\n"
"                DATE is YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z], in UTC\n"
"  --by KEYS     group by function (default), tenant, day (UTC date)\n"
"                and/or hour, comma-separated: --by tenant,day\n"
"  --format F    table (default), csv, json or html: one page with\n"
"                the cost per day as a stacked bar chart, by function\n"
"                when --by names function before tenant (or without\n"
"                it), else by tenant; the table beneath\n"
"  --prune-before DATE\n"
"                delete the rows started before DATE (exclusive, as\n"
"                --to: a row at DATE is kept) from the one --db FILE,\n"
"                after printing them as a table (--by, default\n"
"                function,day); then VACUUM.  Safe while fngw writes;\n"
"                exits 1 when the ledger stays busy for 5 s\n"
"  -c FILE       accepted; prices always come from each ledger\n"
"\n"
"requests counts every row, throttled and rejected ones included;\n"
"errors counts error, timeout, crash and limit outcomes.  Cost is\n"
"price_per_request for each request that ran (not rejected or\n"
"throttled) plus memory_mb/1024 x billed_ms/1000 x price_per_gb_second,\n"
"at the prices in force when each row started, summed exactly and\n"
"rounded once (half up) to 6 decimals.  The last row is the TOTAL\n"
"(in json: the object with \"total\": true).\n";

/*
 * A decimal price ("0.0000166667") as an exact count of 10^-12 units.
 * -1 on anything else: signs, exponents, more than 12 decimals.
 */
static int
rpt_price(const char *s, unsigned __int128 *out)
{
	unsigned __int128	 v = 0;
	int		 frac = -1, digits = 0;

	if (s == NULL)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s == '.' && frac == -1) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || ++digits > 24)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		if (frac != -1 && ++frac > 12)
			return -1;
	}
	if (digits == 0)
		return -1;
	for (frac = frac == -1 ? 0 : frac; frac < 12; frac++)
		v *= 10;
	*out = v;
	return 0;
}

/* Fixed positions of YYYY-MM-DDTHH:MM:SS; the rest must be digits. */
static int
rpt_digits(const char *s, size_t off, size_t n, int *out)
{
	size_t	 i;

	*out = 0;
	for (i = off; i < off + n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * DATE: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z], UTC, to epoch µs.
 * Checked by a round trip through timegm/gmtime, so 2024-02-30 fails.
 */
static int
rpt_parse_date(const char *s, int64_t *out)
{
	struct tm	 tm, back;
	time_t		 t;
	size_t		 len = strlen(s);
	int		 y, mo, d, h = 0, mi = 0, sec = 0;

	if (len > 0 && s[len - 1] == 'Z' && len > 10)
		len--;
	if ((len != 10 && len != 16 && len != 19) || s[4] != '-' ||
	    s[7] != '-' || rpt_digits(s, 0, 4, &y) == -1 ||
	    rpt_digits(s, 5, 2, &mo) == -1 || rpt_digits(s, 8, 2, &d) == -1)
		return -1;
	if (len >= 16 && (s[10] != 'T' || s[13] != ':' ||
	    rpt_digits(s, 11, 2, &h) == -1 || rpt_digits(s, 14, 2, &mi) == -1))
		return -1;
	if (len == 19 && (s[16] != ':' || rpt_digits(s, 17, 2, &sec) == -1))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &back) == NULL ||
	    back.tm_year != y - 1900 || back.tm_mon != mo - 1 ||
	    back.tm_mday != d || back.tm_hour != h || back.tm_min != mi ||
	    back.tm_sec != sec)
		return -1;
	*out = (int64_t)t * 1000000;
	return 0;
}

static int
rpt_parse_by(struct rpt *r, const char *arg)
{
	const char	*p = arg, *end;
	size_t		 len;
	int		 k, i;

	r->r_nkeys = 0;
	for (;;) {
		end = strchr(p, ',');
		len = end == NULL ? strlen(p) : (size_t)(end - p);
		for (k = 0; k < RPT_MAXKEYS; k++)
			if (strlen(rpt_key_names[k]) == len &&
			    strncmp(rpt_key_names[k], p, len) == 0)
				break;
		if (k == RPT_MAXKEYS)
			return -1;
		for (i = 0; i < r->r_nkeys; i++)
			if (r->r_key[i] == (enum rpt_key)k)
				return -1;
		r->r_key[r->r_nkeys++] = (enum rpt_key)k;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

static struct rpt_group *
rpt_group_new(struct rpt *r)
{
	struct rpt_group	*g;
	size_t			 cap;

	if (r->r_ngroups == r->r_cap) {
		cap = r->r_cap == 0 ? 64 : r->r_cap * 2;
		if ((g = reallocarray(r->r_groups, cap, sizeof(*g))) == NULL)
			return NULL;
		r->r_groups = g;
		r->r_cap = cap;
	}
	g = &r->r_groups[r->r_ngroups++];
	memset(g, 0, sizeof(*g));
	return g;
}

/* Is this file one of our ledgers, of a version we can read? */
static int
rpt_check(sqlite3 *db, const char *path)
{
	sqlite3_stmt	*st = NULL;
	const char	*why = NULL;
	int		 rc;

	rc = sqlite3_prepare_v2(db, "SELECT (SELECT value FROM meta WHERE"
	    " key = 'app'), (SELECT user_version FROM pragma_user_version)",
	    -1, &st, NULL);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		rc = sqlite3_errcode(db);
		why = rc == SQLITE_ERROR ? "not an fngw usage ledger" :
		    rc == SQLITE_NOTADB ? "not an SQLite database" :
		    sqlite3_errmsg(db);
	} else if (sqlite3_column_text(st, 0) == NULL || strcmp("fngw",
	    (const char *)sqlite3_column_text(st, 0)) != 0)
		why = "not an fngw usage ledger";
	else if (sqlite3_column_int(st, 1) > USAGE_SCHEMA_VERSION)
		why = "made by a newer fngw";
	if (why != NULL)
		fprintf(stderr, "fngw usage: %s: %s\n", path, why);
	sqlite3_finalize(st);
	return why == NULL ? 0 : -1;
}

/*
 * The price periods of a ledger, oldest first: each row of prices
 * applies from its since to the next one's (rows with equal since: the
 * later id wins), and the first also to every row older than it.  With
 * no prices recorded, one unpriced period covers all.
 */
static int
rpt_periods(sqlite3 *db, const char *path, struct rpt_period **out,
    size_t *np)
{
	struct rpt_period	*p = NULL, *q;
	sqlite3_stmt		*st = NULL;
	const char		*cur, *why = NULL;
	size_t			 n = 0, cap = 0;
	int			 rc;

	if (sqlite3_prepare_v2(db, "SELECT since, per_request, per_gb_second,"
	    " currency FROM prices ORDER BY since, id", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW || n == 0) {
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((q = reallocarray(p, cap, sizeof(*p))) == NULL) {
				why = strerror(errno);
				goto fail;
			}
			p = q;
		}
		q = &p[n++];
		memset(q, 0, sizeof(*q));
		q->p_lo = n == 1 ? INT64_MIN : sqlite3_column_int64(st, 0);
		q->p_hi = INT64_MAX;
		if (n > 1)
			p[n - 2].p_hi = q->p_lo;
		if (rc != SQLITE_ROW)
			break;		/* no prices: one unpriced period */
		why = "a bad price in table prices";
		cur = (const char *)sqlite3_column_text(st, 3);
		if (rpt_price((const char *)sqlite3_column_text(st, 1),
		    &q->p_per_request) == -1 ||
		    rpt_price((const char *)sqlite3_column_text(st, 2),
		    &q->p_per_gb_second) == -1 || cur == NULL ||
		    strlen(cur) >= sizeof(q->p_currency))
			goto fail;
		why = NULL;
		(void)strcpy(q->p_currency, cur);
		q->p_priced = 1;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		goto fail;
	sqlite3_finalize(st);
	*out = p;
	*np = n;
	return 0;
fail:
	fprintf(stderr, "fngw usage: %s: %s\n", path,
	    why != NULL ? why : sqlite3_errmsg(db));
	sqlite3_finalize(st);
	free(p);
	return -1;
}

/*
 * Add one result row (one group within one price period) as a group.
 * The cost of the part is exact: requests x per_request + MB·ms x
 * per_gb_second / 1024000, scaled by 10^12 x 1024000 so it is an integer.
 */
static int
rpt_add(struct rpt *r, sqlite3_stmt *st, const struct rpt_period *p)
{
	struct rpt_group	*g;
	uint64_t		 charged;
	int			 i, n = r->r_nkeys;

	if ((g = rpt_group_new(r)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (sqlite3_column_type(st, i) != SQLITE_NULL &&
		    (g->g_key[i] = strdup((const char *)
		    sqlite3_column_text(st, i))) == NULL)
			return -1;
	g->g_requests = (uint64_t)sqlite3_column_int64(st, n);
	g->g_errors = (uint64_t)sqlite3_column_int64(st, n + 1);
	g->g_throttled = (uint64_t)sqlite3_column_int64(st, n + 2);
	charged = (uint64_t)sqlite3_column_int64(st, n + 3);
	g->g_mbms = (uint64_t)sqlite3_column_int64(st, n + 4);
	g->g_cpu_us = (uint64_t)sqlite3_column_int64(st, n + 5);
	if (!p->p_priced)
		return 0;		/* no price recorded: costs nothing */
	(void)strcpy(g->g_currency, p->p_currency);
	g->g_cost = (unsigned __int128)charged * p->p_per_request *
	    RPT_MBMS_PER_GBS + (unsigned __int128)g->g_mbms *
	    p->p_per_gb_second;
	return 0;
}

/*
 * Query one open ledger, once per price period: the rows of the period
 * within --from/--to, summed per hour, function, tenant and outcome
 * from the covering index invocations_rollup (schema version 2) in its
 * order, so SQLite streams the sums without a sort; then those partial
 * sums, few, grouped by the keys asked for.  Charged requests exclude
 * rejected and throttled rows: they never ran (SPEC: "billed as zero").
 * The hour bounds (?3, ?4) let SQLite seek in the index; the exact
 * started_at bounds (?1, ?2) decide.  Integer division truncates the
 * same way in C and SQLite, so the hour range holds every row.
 */
static int
rpt_query_db(struct rpt *r, sqlite3 *db, const char *path)
{
	struct rpt_period	*per = NULL;
	sqlite3_stmt		*st = NULL;
	char			 sql[2048], keys[512], by[64];
	size_t			 nper = 0, k;
	int64_t			 lo, hi;
	int			 i, rc;

	keys[0] = by[0] = '\0';
	for (i = 0; i < r->r_nkeys; i++) {
		(void)strcat(keys, rpt_key_sql[r->r_key[i]]);
		(void)strcat(keys, ", ");
		(void)snprintf(by + strlen(by), sizeof(by) - strlen(by),
		    "%s%d", i == 0 ? "" : ", ", i + 1);
	}
	(void)snprintf(sql, sizeof(sql), "SELECT %s"
	    " sum(n), sum(CASE WHEN outcome IN"
	    " ('error', 'timeout', 'crash', 'limit') THEN n ELSE 0 END),"
	    " sum(CASE WHEN outcome = 'throttled' THEN n ELSE 0 END),"
	    " sum(CASE WHEN outcome IN ('rejected', 'throttled') THEN 0"
	    " ELSE n END), sum(mbms), sum(cpu)"
	    " FROM (SELECT started_at / 3600000000 AS h, function, tenant,"
	    " outcome, count(*) AS n,"
	    " sum(coalesce(memory_mb, 0) * coalesce(billed_ms, 0)) AS mbms,"
	    " sum(coalesce(cpu_user_us, 0) + coalesce(cpu_sys_us, 0)) AS cpu"
	    " FROM invocations"
	    " WHERE started_at / 3600000000 BETWEEN ?3 AND ?4"
	    " AND started_at >= ?1 AND started_at < ?2"
	    " GROUP BY 1, 2, 3, 4)"
	    " GROUP BY %s", keys, by);

	if (rpt_periods(db, path, &per, &nper) == -1)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (k = 0; k < nper; k++) {
		lo = per[k].p_lo > r->r_from ? per[k].p_lo : r->r_from;
		hi = per[k].p_hi < r->r_to ? per[k].p_hi : r->r_to;
		if (lo >= hi)
			continue;
		sqlite3_bind_int64(st, 1, lo);
		sqlite3_bind_int64(st, 2, hi);
		sqlite3_bind_int64(st, 3, lo / RPT_HOUR_US);
		sqlite3_bind_int64(st, 4, (hi - 1) / RPT_HOUR_US);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (rpt_add(r, st, &per[k]) == -1) {
				fprintf(stderr, "fngw usage: %s\n",
				    strerror(errno));
				sqlite3_finalize(st);
				free(per);
				return -1;
			}
		if (rc != SQLITE_DONE)
			goto fail;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(per);
	return 0;
fail:
	fprintf(stderr, "fngw usage: %s: %s\n", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	free(per);
	return -1;
}

/* Open one ledger read-only, check it is ours, query it. */
static int
rpt_query(struct rpt *r, const char *path)
{
	sqlite3		*db = NULL;
	int		 rc = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "fngw usage: %s: %s\n", path,
		    db == NULL ? "out of memory" : sqlite3_errmsg(db));
		goto out;
	}
	(void)sqlite3_busy_timeout(db, RPT_BUSY_MS);
	/* One snapshot for every period's query. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "fngw usage: %s: %s\n", path,
		    sqlite3_errmsg(db));
		goto out;
	}
	if (rpt_check(db, path) == 0)
		rc = rpt_query_db(r, db, path);
out:
	sqlite3_close(db);	/* ends the read transaction */
	return rc;
}

static int
rpt_keycmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);	/* none sorts first */
	return strcmp(a, b);
}

static int	rpt_sort_nkeys;	/* qsort has no context argument */

static int
rpt_groupcmp(const void *va, const void *vb)
{
	const struct rpt_group	*a = va, *b = vb;
	int			 i, c;

	for (i = 0; i < rpt_sort_nkeys; i++)
		if ((c = rpt_keycmp(a->g_key[i], b->g_key[i])) != 0)
			return c;
	return 0;
}

/* Fold src into dst (same keys, or the total); -1 on mixed currencies. */
static int
rpt_fold(struct rpt_group *dst, const struct rpt_group *src)
{
	if (src->g_currency[0] != '\0') {
		if (dst->g_currency[0] == '\0')
			(void)strcpy(dst->g_currency, src->g_currency);
		else if (strcmp(dst->g_currency, src->g_currency) != 0) {
			fprintf(stderr, "fngw usage: prices in %s and %s cannot"
			    " be added; narrow --from/--to\n",
			    dst->g_currency, src->g_currency);
			return -1;
		}
	}
	dst->g_requests += src->g_requests;
	dst->g_errors += src->g_errors;
	dst->g_throttled += src->g_throttled;
	dst->g_mbms += src->g_mbms;
	dst->g_cpu_us += src->g_cpu_us;
	dst->g_cost += src->g_cost;
	return 0;
}

/* Sort the parts by key and fold equal neighbours into one group. */
static int
rpt_merge(struct rpt *r)
{
	size_t	 i, out = 0;
	int	 k;

	if (r->r_ngroups == 0)
		return 0;
	rpt_sort_nkeys = r->r_nkeys;
	qsort(r->r_groups, r->r_ngroups, sizeof(*r->r_groups), rpt_groupcmp);
	for (i = 1; i < r->r_ngroups; i++) {
		if (rpt_groupcmp(&r->r_groups[out], &r->r_groups[i]) == 0) {
			if (rpt_fold(&r->r_groups[out], &r->r_groups[i]) == -1)
				return -1;
			for (k = 0; k < RPT_MAXKEYS; k++)
				free(r->r_groups[i].g_key[k]);
		} else
			r->r_groups[++out] = r->r_groups[i];
	}
	r->r_ngroups = out + 1;
	return 0;
}

/* An unsigned 128-bit integer in decimal, into buf (40 bytes or more). */
static const char *
rpt_u128_str(unsigned __int128 v, char *buf, size_t size)
{
	char	*p = buf + size - 1;

	*p = '\0';
	do {
		*--p = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0 && p > buf);
	return p;
}

/*
 * v / div with 3 or 6 decimals, rounded half up; div is a multiple of
 * 10^places (and even), so this never overflows: v / (div / 10^places).
 */
static void
rpt_fixed(char *buf, size_t size, unsigned __int128 v, unsigned __int128 div,
    int places)
{
	unsigned __int128	 unit = places == 6 ? 1000000 : 1000, d, scaled;
	char			 num[48];

	d = div / unit;
	scaled = (v + d / 2) / d;
	(void)snprintf(buf, size, "%s.%0*llu", rpt_u128_str(scaled / unit,
	    num, sizeof(num)), places, (unsigned long long)(scaled % unit));
}

#define RPT_NVALS	6	/* requests ... cost, then currency */

/* The formatted value cells of g: requests .. cost. */
static void
rpt_values(const struct rpt_group *g, char val[RPT_NVALS][64])
{
	(void)snprintf(val[0], 64, "%llu", (unsigned long long)g->g_requests);
	(void)snprintf(val[1], 64, "%llu", (unsigned long long)g->g_errors);
	(void)snprintf(val[2], 64, "%llu", (unsigned long long)g->g_throttled);
	rpt_fixed(val[3], 64, g->g_mbms, RPT_MBMS_PER_GBS, 3);
	rpt_fixed(val[4], 64, g->g_cpu_us, 1000000, 3);
	/* The one rounding of the money: 10^12 x 1024000 units per 1. */
	rpt_fixed(val[5], 64, g->g_cost, (unsigned __int128)RPT_SCALE *
	    RPT_MBMS_PER_GBS, 6);
}

static const char *const rpt_val_names[RPT_NVALS] = { "requests",
    "errors", "throttled", "gb_seconds", "cpu_seconds", "cost" };

static void
rpt_csv_field(const char *s, int last)
{
	if (s != NULL && strpbrk(s, ",\"\r\n") != NULL) {
		putchar('"');
		for (; *s != '\0'; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else if (s != NULL)
		fputs(s, stdout);
	putchar(last ? '\n' : ',');
}

static void
rpt_json_str(const char *s)
{
	if (s == NULL) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Width of each column for the table format: keys, then values. */
static void
rpt_widths(struct rpt *r, const struct rpt_group *total, size_t *w)
{
	char	 val[RPT_NVALS][64];
	size_t	 i, len;
	int	 k;

	for (k = 0; k < r->r_nkeys; k++)
		w[k] = strlen(rpt_key_names[r->r_key[k]]);
	if (w[0] < 5)
		w[0] = 5;				/* "TOTAL" */
	for (k = 0; k < RPT_NVALS; k++)
		w[r->r_nkeys + k] = strlen(rpt_val_names[k]);
	for (i = 0; i <= r->r_ngroups; i++) {
		const struct rpt_group *g = i < r->r_ngroups ?
		    &r->r_groups[i] : total;

		for (k = 0; k < r->r_nkeys; k++) {
			len = g->g_key[k] == NULL ? 1 : strlen(g->g_key[k]);
			if (len > w[k])
				w[k] = len;
		}
		rpt_values(g, val);
		for (k = 0; k < RPT_NVALS; k++) {
			len = strlen(val[k]) + (k == RPT_NVALS - 1 &&
			    g->g_currency[0] != '\0' ?
			    1 + strlen(g->g_currency) : 0);
			if (len > w[r->r_nkeys + k])
				w[r->r_nkeys + k] = len;
		}
	}
}

static void
rpt_print_row(struct rpt *r, const struct rpt_group *g, int is_total,
    const size_t *w)
{
	char	 val[RPT_NVALS][64], cost[96];
	int	 k, n = r->r_nkeys;

	rpt_values(g, val);
	if (r->r_format == FMT_TABLE) {
		for (k = 0; k < n; k++)
			printf("%-*s  ", (int)w[k], is_total ? (k == 0 ?
			    "TOTAL" : "") : g->g_key[k] == NULL ? "-" :
			    g->g_key[k]);
		(void)snprintf(cost, sizeof(cost), "%s%s%s", val[5],
		    g->g_currency[0] != '\0' ? " " : "", g->g_currency);
		for (k = 0; k < RPT_NVALS - 1; k++)
			printf("%*s  ", (int)w[n + k], val[k]);
		printf("%*s\n", (int)w[n + k], cost);
	} else if (r->r_format == FMT_CSV) {
		for (k = 0; k < n; k++)
			rpt_csv_field(is_total ? (k == 0 ? "TOTAL" : NULL) :
			    g->g_key[k], 0);
		for (k = 0; k < RPT_NVALS; k++)
			rpt_csv_field(val[k], 0);
		rpt_csv_field(g->g_currency, 1);
	} else {
		putchar('{');
		if (is_total)
			printf("\"total\":true,");
		for (k = 0; k < n; k++) {
			printf("\"%s\":", rpt_key_names[r->r_key[k]]);
			rpt_json_str(is_total ? NULL : g->g_key[k]);
			putchar(',');
		}
		/* Numbers as numbers; cost as a string, to stay exact. */
		for (k = 0; k < RPT_NVALS - 1; k++)
			printf("\"%s\":%s,", rpt_val_names[k], val[k]);
		printf("\"cost\":\"%s\",\"currency\":", val[5]);
		rpt_json_str(g->g_currency);
		putchar('}');
	}
}

static int
rpt_print(struct rpt *r)
{
	struct rpt_group	 total;
	size_t			 w[RPT_MAXKEYS + RPT_NVALS] = { 0 }, i;
	int			 k;

	memset(&total, 0, sizeof(total));
	for (i = 0; i < r->r_ngroups; i++)
		if (rpt_fold(&total, &r->r_groups[i]) == -1)
			return -1;
	if (r->r_format == FMT_TABLE) {
		rpt_widths(r, &total, w);
		for (k = 0; k < r->r_nkeys; k++)
			printf("%-*s  ", (int)w[k],
			    rpt_key_names[r->r_key[k]]);
		for (k = 0; k < RPT_NVALS; k++)
			printf("%*s%s", (int)w[r->r_nkeys + k],
			    rpt_val_names[k], k == RPT_NVALS - 1 ? "\n" : "  ");
	} else if (r->r_format == FMT_CSV) {
		for (k = 0; k < r->r_nkeys; k++)
			printf("%s,", rpt_key_names[r->r_key[k]]);
		printf("requests,errors,throttled,gb_seconds,cpu_seconds,"
		    "cost,currency\n");
	} else
		putchar('[');
	for (i = 0; i < r->r_ngroups; i++) {
		rpt_print_row(r, &r->r_groups[i], 0, w);
		if (r->r_format == FMT_JSON)
			printf(",\n");
	}
	rpt_print_row(r, &total, 1, w);
	if (r->r_format == FMT_JSON)
		printf("]\n");
	return 0;
}

/* ---------------------------------------------------------------- html */

#define RPT_SERIES_MAX	12	/* colours; more series: the rest is other */
#define RPT_PLOT_H	300	/* px */
#define RPT_TOP		40	/* px above the plot: the title */
#define RPT_LEFT	96	/* px left of the plot: y labels and title */
#define RPT_RIGHT	24
#define RPT_BELOW	86	/* px below the plot: day labels, x title */
#define RPT_LEGEND_ROW	18
#define RPT_LEGEND_NAME	48	/* bytes of a name the legend shows */
#define RPT_UNIT_DIV	((unsigned __int128)1000000 * RPT_MBMS_PER_GBS)
				/* cost units in one micro-unit of money */

static const char *const rpt_colors[RPT_SERIES_MAX] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#499894", "#86bcb6", "#bab0ac",
};

/* The entity for byte c, or NULL when it stands for itself. */
static const char *
rpt_html_entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	}
	if (c < 0x20 || c == 0x7f)
		return "&#xfffd;";
	return NULL;
}

size_t
rpt_html_escape(char *dst, size_t size, const char *src)
{
	const char	*e;
	char		 one[2] = { '\0', '\0' };
	size_t		 len = 0, used = 0, n;

	for (; *src != '\0'; src++) {
		if ((e = rpt_html_entity((unsigned char)*src)) == NULL) {
			one[0] = *src;
			e = one;
		}
		n = strlen(e);
		if (used == len && len + n < size) {	/* all fit so far */
			memcpy(dst + len, e, n);
			used += n;
		}
		len += n;
	}
	if (size > 0)
		dst[used] = '\0';
	return len;
}

/* s, escaped, on stdout. */
static void
rpt_html_puts(const char *s)
{
	const char	*e;

	for (; *s != '\0'; s++)
		if ((e = rpt_html_entity((unsigned char)*s)) != NULL)
			fputs(e, stdout);
		else
			putchar(*s);
}

uint64_t
rpt_axis_step(uint64_t max, uint64_t *top)
{
	static const uint64_t	 mant[] = { 1, 2, 5 };
	uint64_t		 pow = 1, step = 1;
	int			 i;

	if (max == 0)
		max = 1;
	for (;;) {
		for (i = 0; i < 3; i++) {
			step = mant[i] * pow;
			if (max / step + (max % step != 0) <= 5) {
				*top = step * (max / step + (max % step != 0));
				return step;
			}
		}
		if (pow > UINT64_MAX / 10 / 5) {	/* cannot happen */
			*top = max;
			return max;
		}
		pow *= 10;
	}
}

int
rpt_axis_decimals(uint64_t step)
{
	int	 d = 6;

	while (d > 0 && step != 0 && step % 10 == 0) {
		step /= 10;
		d--;
	}
	return d;
}

unsigned
rpt_chart_scale(unsigned __int128 v, unsigned __int128 top, unsigned px)
{
	unsigned __int128	 h;

	if (top == 0)
		return 0;
	if (v >= top)
		return px * 100;
	h = (v * px * 100 + top / 2) / top;
	return (unsigned)h;
}

/* micro-units of money with d decimals: 1500 with 4 is "0.0015". */
static void
rpt_micro_str(char *buf, size_t size, uint64_t v, int d)
{
	uint64_t	 div = 1;
	int		 i;

	for (i = 0; i < 6 - d; i++)
		div *= 10;
	v /= div;
	if (d == 0)
		(void)snprintf(buf, size, "%llu", (unsigned long long)v);
	else {
		for (div = 1, i = 0; i < d; i++)
			div *= 10;
		(void)snprintf(buf, size, "%llu.%0*llu",
		    (unsigned long long)(v / div), d,
		    (unsigned long long)(v % div));
	}
}

/* Hundredths of a pixel as an SVG number. */
static void
rpt_px(unsigned v)
{
	if (v % 100 == 0)
		printf("%u", v / 100);
	else
		printf("%u.%02u", v / 100, v % 100);
}

/* Epoch µs as 2024-03-01T00:00:00Z. */
static void
rpt_time_str(char *buf, size_t size, int64_t us)
{
	struct tm	 tm;
	time_t		 t = (time_t)(us / 1000000);

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, size, "?");
}

/* Days since the epoch of "YYYY-MM-DD"; -1 if it is not one. */
static long
rpt_day_num(const char *s)
{
	int64_t	 us;

	if (s == NULL || rpt_parse_date(s, &us) == -1 || us < 0)
		return -1;
	return (long)(us / 86400000000LL);
}

struct rpt_series {
	const char		*s_name;	/* NULL: no tenant */
	unsigned __int128	 s_cost;
	int			 s_slot;	/* colour, stacking order */
};

static int
rpt_series_namecmp(const void *va, const void *vb)
{
	const struct rpt_series	*a = va, *b = vb;

	return rpt_keycmp(a->s_name, b->s_name);
}

/* The costliest first (at the bottom of each bar), then by name. */
static int
rpt_series_costcmp(const void *va, const void *vb)
{
	const struct rpt_series	*a = va, *b = vb;

	if (a->s_cost != b->s_cost)
		return a->s_cost > b->s_cost ? -1 : 1;
	return rpt_keycmp(a->s_name, b->s_name);
}

static struct rpt_series *
rpt_series_find(struct rpt_series *ser, size_t n, const char *name)
{
	struct rpt_series	 key;

	key.s_name = name;
	return bsearch(&key, ser, n, sizeof(*ser), rpt_series_namecmp);
}

/* A series' name: escaped, cut at a character boundary if long. */
static void
rpt_series_name(const char *name, int is_tenant, size_t max)
{
	char	 buf[RPT_LEGEND_NAME + 1];
	size_t	 n;

	if (name == NULL) {
		fputs(is_tenant ? "(no tenant)" : "(none)", stdout);
		return;
	}
	if ((n = strlen(name)) <= max || max > RPT_LEGEND_NAME) {
		rpt_html_puts(name);
		return;
	}
	n = max;
	while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, name, n);
	buf[n] = '\0';
	rpt_html_puts(buf);
	fputs("\xe2\x80\xa6", stdout);		/* U+2026 ellipsis */
}

/* A cost in the currency, 6 decimals, rounded once (half up). */
static void
rpt_cost_str(char *buf, size_t size, unsigned __int128 cost)
{
	rpt_fixed(buf, size, cost, (unsigned __int128)RPT_SCALE *
	    RPT_MBMS_PER_GBS, 6);
}

/*
 * The series of the chart, unique, each with its total cost and its
 * slot (colour and place in the stack: the costliest at the bottom).
 * Beyond RPT_SERIES_MAX, the cheapest share the last slot, "other".
 * Returns the series sorted by name (for rpt_series_find) and, in
 * *bycost, the same sorted by cost (the legend's order).
 */
static struct rpt_series *
rpt_series_make(const struct rpt *c, size_t *np,
    struct rpt_series **bycost)
{
	struct rpt_series	*ser, *byc, *s;
	size_t			 n = 0, i;

	*bycost = NULL;
	if ((ser = calloc(c->r_ngroups + 1, sizeof(*ser))) == NULL ||
	    (byc = calloc(c->r_ngroups + 1, sizeof(*byc))) == NULL) {
		free(ser);
		return NULL;
	}
	for (i = 0; i < c->r_ngroups; i++)
		ser[i].s_name = c->r_groups[i].g_key[1];
	qsort(ser, c->r_ngroups, sizeof(*ser), rpt_series_namecmp);
	for (i = 0; i < c->r_ngroups; i++)
		if (n == 0 || rpt_keycmp(ser[n - 1].s_name,
		    ser[i].s_name) != 0)
			ser[n++] = ser[i];
	for (i = 0; i < c->r_ngroups; i++) {
		s = rpt_series_find(ser, n, c->r_groups[i].g_key[1]);
		s->s_cost += c->r_groups[i].g_cost;
	}
	memcpy(byc, ser, n * sizeof(*ser));
	qsort(byc, n, sizeof(*byc), rpt_series_costcmp);
	for (i = 0; i < n; i++) {
		byc[i].s_slot = n > RPT_SERIES_MAX && i >= RPT_SERIES_MAX - 1 ?
		    RPT_SERIES_MAX - 1 : (int)i;
		rpt_series_find(ser, n, byc[i].s_name)->s_slot =
		    byc[i].s_slot;
	}
	*np = n;
	*bycost = byc;
	return ser;
}

/* The x axis: a label under every few bars, the title. */
static void
rpt_html_days(long d0, long nd, unsigned slot)
{
	struct tm	 tm;
	time_t		 t;
	char		 day[32];
	unsigned	 x, y = RPT_TOP + RPT_PLOT_H, every;
	long		 d;

	every = (16 + slot - 1) / slot;
	printf("<g class=\"x-axis\">\n<line x1=\"%u\" x2=\"%u\" y1=\"%u\""
	    " y2=\"%u\"/>\n", RPT_LEFT, RPT_LEFT + (unsigned)nd * slot, y, y);
	for (d = 0; d < nd; d += every) {
		t = (time_t)(d0 + d) * 86400;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
			continue;
		x = RPT_LEFT + (unsigned)d * slot + slot / 2;
		printf("<text x=\"%u\" y=\"%u\" text-anchor=\"end\""
		    " transform=\"rotate(-45 %u %u)\">%s</text>\n",
		    x, y + 14, x, y + 14, day);
	}
	printf("<text class=\"axis-title\" x=\"%u\" y=\"%u\""
	    " text-anchor=\"middle\">day (UTC)</text>\n</g>\n",
	    RPT_LEFT + (unsigned)nd * slot / 2, y + RPT_BELOW - 4);
}

/* The y axis: grid lines at each step, labelled, and the title. */
static void
rpt_html_yaxis(uint64_t step, uint64_t top_micro, unsigned __int128 top,
    unsigned plot_w, const char *currency)
{
	char		 num[64];
	unsigned	 y;
	uint64_t	 v;
	int		 dec = rpt_axis_decimals(step);

	printf("<g class=\"y-axis\">\n");
	for (v = 0; v <= top_micro; v += step) {
		y = (RPT_TOP + RPT_PLOT_H) * 100 - rpt_chart_scale(
		    (unsigned __int128)v * RPT_UNIT_DIV, top, RPT_PLOT_H);
		rpt_micro_str(num, sizeof(num), v, dec);
		printf("<line class=\"grid\" x1=\"%u\" x2=\"%u\" y1=\"",
		    RPT_LEFT, RPT_LEFT + plot_w);
		rpt_px(y);
		printf("\" y2=\"");
		rpt_px(y);
		printf("\"/><text x=\"%u\" y=\"", RPT_LEFT - 6);
		rpt_px(y + 400);
		printf("\" text-anchor=\"end\">%s</text>\n", num);
		if (top_micro - v < step)
			break;
	}
	printf("<text class=\"axis-title\" transform=\"translate(18 %u)"
	    " rotate(-90)\" text-anchor=\"middle\">cost (",
	    RPT_TOP + RPT_PLOT_H / 2);
	rpt_html_puts(currency[0] != '\0' ? currency : "no price recorded");
	printf(")</text>\n</g>\n");
}

/*
 * One day's bar: a <rect class="bar"> per slot with a cost, stacked
 * from the axis up; the rounding is of the running sum, so the
 * segments meet and the bar's top is exactly its total.
 */
static void
rpt_html_bar(const char *day, unsigned x, unsigned barw,
    const unsigned __int128 *slotcost, const struct rpt_series *byc,
    size_t nser, int is_tenant, unsigned __int128 top, const char *cur)
{
	unsigned __int128	 cum = 0;
	unsigned		 ybot, ytop;
	char			 cost[64];
	int			 k;

	for (k = 0; k < RPT_SERIES_MAX && (size_t)k < nser; k++) {
		if (slotcost[k] == 0)
			continue;
		ybot = (RPT_TOP + RPT_PLOT_H) * 100 -
		    rpt_chart_scale(cum, top, RPT_PLOT_H);
		cum += slotcost[k];
		ytop = (RPT_TOP + RPT_PLOT_H) * 100 -
		    rpt_chart_scale(cum, top, RPT_PLOT_H);
		rpt_cost_str(cost, sizeof(cost), slotcost[k]);
		printf("<rect class=\"bar\" x=\"%u\" y=\"", x);
		rpt_px(ytop);
		printf("\" width=\"%u\" height=\"", barw);
		rpt_px(ybot - ytop);
		printf("\" fill=\"%s\" data-day=\"%s\" data-series=\"",
		    rpt_colors[k], day);
		if (nser > RPT_SERIES_MAX && k == RPT_SERIES_MAX - 1)
			fputs("(other)", stdout);
		else
			rpt_series_name(byc[k].s_name, is_tenant, SIZE_MAX);
		printf("\" data-cost=\"%s\"><title>%s ", cost, day);
		if (nser > RPT_SERIES_MAX && k == RPT_SERIES_MAX - 1)
			fputs("(other)", stdout);
		else
			rpt_series_name(byc[k].s_name, is_tenant, SIZE_MAX);
		printf(": %s ", cost);
		rpt_html_puts(cur);
		printf("</title></rect>\n");
	}
}

/* The legend, under the chart, in stacking order with each total. */
static void
rpt_html_legend(const struct rpt_series *byc, size_t nser, int is_tenant,
    const char *cur)
{
	unsigned __int128	 other = 0;
	unsigned		 y = RPT_TOP + RPT_PLOT_H + RPT_BELOW + 8;
	char			 cost[64];
	size_t			 i;

	printf("<g class=\"legend\">\n");
	for (i = 0; i < nser; i++) {
		if (nser > RPT_SERIES_MAX && i >= RPT_SERIES_MAX - 1) {
			other += byc[i].s_cost;
			if (i + 1 < nser)
				continue;
		}
		printf("<rect class=\"swatch\" x=\"%u\" y=\"%u\" width=\"12\""
		    " height=\"12\" fill=\"%s\"/><text x=\"%u\" y=\"%u\">",
		    RPT_LEFT, y, rpt_colors[byc[i].s_slot], RPT_LEFT + 18,
		    y + 10);
		if (nser > RPT_SERIES_MAX && i >= RPT_SERIES_MAX - 1) {
			printf("other (%zu more)", nser - RPT_SERIES_MAX + 1);
			rpt_cost_str(cost, sizeof(cost), other);
		} else {
			rpt_series_name(byc[i].s_name, is_tenant,
			    RPT_LEGEND_NAME);
			rpt_cost_str(cost, sizeof(cost), byc[i].s_cost);
		}
		printf(" \xe2\x80\x94 %s ", cost);
		rpt_html_puts(cur);
		printf("</text>\n");
		y += RPT_LEGEND_ROW;
	}
	printf("</g>\n");
}

/*
 * The chart: c's groups are (day, series), merged and sorted by day.
 * One bar per day from the first day with usage to the last (days
 * without are gaps), the y axis from 0 to a round amount.
 */
static int
rpt_html_chart(const struct rpt *c, int is_tenant, const char *cur)
{
	struct rpt_series	*ser, *byc;
	unsigned __int128	 slotcost[RPT_SERIES_MAX], max = 0, day, top;
	uint64_t		 top_micro, step, maxmicro;
	size_t			 nser = 0, i, j;
	long			 d0 = -1, d1 = -1, d, nd;
	unsigned		 slot, barw, w, h, nslots;
	const char		*what = is_tenant ? "tenant" : "function";

	if ((ser = rpt_series_make(c, &nser, &byc)) == NULL)
		return -1;
	for (i = 0; i < c->r_ngroups; i = j) {
		day = 0;
		for (j = i; j < c->r_ngroups && rpt_keycmp(c->r_groups[j].
		    g_key[0], c->r_groups[i].g_key[0]) == 0; j++)
			day += c->r_groups[j].g_cost;
		if (day > max)
			max = day;
		if ((d = rpt_day_num(c->r_groups[i].g_key[0])) == -1)
			continue;
		if (d0 == -1 || d < d0)
			d0 = d;
		if (d > d1)
			d1 = d;
	}
	maxmicro = (uint64_t)((max + RPT_UNIT_DIV - 1) / RPT_UNIT_DIV);
	step = rpt_axis_step(maxmicro, &top_micro);
	top = (unsigned __int128)top_micro * RPT_UNIT_DIV;

	nd = d0 == -1 ? 1 : d1 - d0 + 1;
	slot = 900 / (unsigned)(nd > 900 ? 900 : nd);
	slot = slot > 48 ? 48 : slot < 2 ? 2 : slot;
	barw = slot * 3 / 4;
	w = RPT_LEFT + (unsigned)nd * slot + RPT_RIGHT;
	w = w < 560 ? 560 : w;
	nslots = nser > RPT_SERIES_MAX ? RPT_SERIES_MAX : (unsigned)nser;
	h = RPT_TOP + RPT_PLOT_H + RPT_BELOW + 8 +
	    (nslots > 0 ? nslots : 1) * RPT_LEGEND_ROW + 8;

	printf("<svg class=\"chart\" width=\"%u\" height=\"%u\""
	    " viewBox=\"0 0 %u %u\" role=\"img\""
	    " aria-labelledby=\"chart-title\">\n"
	    "<title id=\"chart-title\">Cost per day by %s</title>\n"
	    "<text class=\"title\" x=\"%u\" y=\"24\">Cost per day (UTC) by"
	    " %s</text>\n", w, h, w, h, what, RPT_LEFT, what);
	rpt_html_yaxis(step, top_micro, top, (unsigned)nd * slot, cur);
	rpt_html_days(d0 == -1 ? 0 : d0, nd, slot);
	printf("<g class=\"bars\">\n");
	for (i = 0; i < c->r_ngroups; i = j) {
		memset(slotcost, 0, sizeof(slotcost));
		for (j = i; j < c->r_ngroups && rpt_keycmp(c->r_groups[j].
		    g_key[0], c->r_groups[i].g_key[0]) == 0; j++)
			slotcost[rpt_series_find(ser, nser, c->r_groups[j].
			    g_key[1])->s_slot] += c->r_groups[j].g_cost;
		if ((d = rpt_day_num(c->r_groups[i].g_key[0])) == -1)
			continue;
		rpt_html_bar(c->r_groups[i].g_key[0], RPT_LEFT +
		    (unsigned)(d - d0) * slot + (slot - barw) / 2, barw,
		    slotcost, byc, nser, is_tenant, top, cur);
	}
	printf("</g>\n");
	if (max == 0)
		printf("<text class=\"empty\" x=\"%u\" y=\"%u\""
		    " text-anchor=\"middle\">no cost in this range</text>\n",
		    RPT_LEFT + (unsigned)nd * slot / 2,
		    RPT_TOP + RPT_PLOT_H / 2);
	rpt_html_legend(byc, nser, is_tenant, cur);
	printf("</svg>\n");
	free(ser);
	free(byc);
	return 0;
}

static const char rpt_html_style[] =
"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}\n"
"h1{font-size:20px;margin:0 0 4px}\n"
"p.meta{color:#555;margin:0 0 16px}\n"
"svg.chart{display:block;margin:0 0 24px;overflow:visible}\n"
"svg.chart text{font-size:11px;fill:#333}\n"
"svg.chart text.title{font-size:14px;font-weight:600}\n"
"svg.chart text.axis-title{font-size:12px}\n"
"svg.chart line{stroke:#999;stroke-width:1}\n"
"svg.chart line.grid{stroke:#e3e3e3}\n"
"table{border-collapse:collapse}\n"
"th,td{padding:3px 10px;border-bottom:1px solid #e3e3e3;"
"white-space:nowrap}\n"
"th{text-align:left;border-bottom:2px solid #999}\n"
"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
"tfoot td{font-weight:600;border-top:2px solid #999}\n";

/*
 * The html format: one page, nothing external (no script, no link, no
 * image, no font), every string from the ledgers escaped.  The chart
 * comes from c (keys day and the series); the table is r's, the same
 * rows as the other formats.
 */
static int
rpt_print_html(struct rpt *r, const struct rpt *c, int is_tenant,
    const char **dbs, size_t ndb)
{
	struct rpt_group	 total;
	char			 val[RPT_NVALS][64], when[32];
	size_t			 i;
	int			 k, n = r->r_nkeys;

	memset(&total, 0, sizeof(total));
	for (i = 0; i < r->r_ngroups; i++)
		if (rpt_fold(&total, &r->r_groups[i]) == -1)
			return -1;
	printf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>fngw usage</title>\n"
	    "<style>\n%s</style>\n</head>\n<body>\n<h1>fngw usage</h1>\n"
	    "<p class=\"meta\">", rpt_html_style);
	for (i = 0; i < ndb; i++) {
		fputs(i == 0 ? "Ledger" : ", ", stdout);
		if (i == 0 && ndb > 1)
			putchar('s');
		if (i == 0)
			putchar(' ');
		rpt_html_puts(dbs[i]);
	}
	if (r->r_from != INT64_MIN) {
		rpt_time_str(when, sizeof(when), r->r_from);
		printf("; from %s (inclusive)", when);
	}
	if (r->r_to != INT64_MAX) {
		rpt_time_str(when, sizeof(when), r->r_to);
		printf("; to %s (exclusive)", when);
	}
	printf(".</p>\n");
	if (rpt_html_chart(c, is_tenant, total.g_currency) == -1)
		return -1;
	printf("<table>\n<thead><tr>");
	for (k = 0; k < n; k++)
		printf("<th>%s</th>", rpt_key_names[r->r_key[k]]);
	for (k = 0; k < RPT_NVALS; k++)
		printf("<th class=\"num\">%s</th>", rpt_val_names[k]);
	printf("</tr></thead>\n<tbody>\n");
	for (i = 0; i <= r->r_ngroups; i++) {
		const struct rpt_group *g = i < r->r_ngroups ?
		    &r->r_groups[i] : &total;

		if (i == r->r_ngroups)
			printf("</tbody>\n<tfoot>\n");
		rpt_values(g, val);
		printf("<tr>");
		for (k = 0; k < n; k++) {
			printf("<td>");
			rpt_html_puts(g == &total ? (k == 0 ? "TOTAL" : "") :
			    g->g_key[k] == NULL ? "-" : g->g_key[k]);
			printf("</td>");
		}
		for (k = 0; k < RPT_NVALS; k++)
			printf("<td class=\"num\">%s%s", val[k],
			    k < RPT_NVALS - 1 || g->g_currency[0] == '\0' ?
			    "</td>" : " ");
		if (g->g_currency[0] != '\0') {
			rpt_html_puts(g->g_currency);
			printf("</td>");
		}
		printf("</tr>\n");
	}
	printf("</tfoot>\n</table>\n</body>\n</html>\n");
	return 0;
}

/* ---------------------------------------------------------------- prune */

static long long
rpt_db_bytes(sqlite3 *db)
{
	sqlite3_stmt	*st = NULL;
	long long	 n = -1;

	if (sqlite3_prepare_v2(db, "SELECT page_count * page_size FROM"
	    " pragma_page_count, pragma_page_size", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
rpt_busy(sqlite3 *db)
{
	int	 rc = sqlite3_errcode(db) & 0xff;

	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

/*
 * --prune-before: print what goes (the report of the rows started
 * before `before`, from one read snapshot), delete exactly those rows
 * in batches of RPT_PRUNE_BATCH ids, each in its own BEGIN IMMEDIATE
 * transaction, so that fngw's writer (WAL) waits at most one batch;
 * then VACUUM.  Rows fngw adds meanwhile come after the snapshot's
 * last id and are never touched.  The prices stay: the rows that are
 * kept are billed with them.  A ledger still busy after RPT_BUSY_MS is
 * an error that says how far the pruning got.
 */
static int
rpt_prune(struct rpt *r, const char *path, int64_t before)
{
	struct rpt_group	 total;
	sqlite3			*db = NULL;
	sqlite3_stmt		*st = NULL;
	char			 when[32], cost[64];
	const char		*step = "cannot open it";
	int64_t			 minid = 0, maxid = 0, lo;
	long long		 size0, size1;
	uint64_t		 done = 0;
	size_t			 i;
	int			 ret = 1, checked = 0;

	memset(&total, 0, sizeof(total));
	r->r_to = before;
	rpt_time_str(when, sizeof(when), before);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto fail;
	(void)sqlite3_busy_timeout(db, RPT_BUSY_MS);
	step = "cannot read it";
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if ((checked = rpt_check(db, path)) == -1)
		goto fail;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(min(id), 0),"
	    " coalesce(max(id), -1) FROM invocations WHERE started_at < ?1",
	    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, before);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto fail;
	minid = sqlite3_column_int64(st, 0);
	maxid = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	st = NULL;
	if ((checked = rpt_query_db(r, db, path)) == -1)
		goto fail;
	size0 = rpt_db_bytes(db);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (rpt_merge(r) == -1)
		goto out;
	for (i = 0; i < r->r_ngroups; i++)
		if (rpt_fold(&total, &r->r_groups[i]) == -1)
			goto out;
	if (total.g_requests == 0) {
		printf("%s: no rows started before %s; nothing to prune\n",
		    path, when);
		ret = 0;
		goto out;
	}
	printf("%s: pruning the rows started before %s (the rows at %s"
	    " and later are kept):\n", path, when, when);
	if (rpt_print(r) == -1)
		goto out;
	(void)fflush(stdout);

	step = "cannot delete";
	if (sqlite3_prepare_v2(db, "DELETE FROM invocations WHERE id >= ?1"
	    " AND id < ?2 AND started_at < ?3", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (lo = minid; lo <= maxid && done < total.g_requests;
	    lo += RPT_PRUNE_BATCH) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL,
		    NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(st, 1, lo);
		sqlite3_bind_int64(st, 2, maxid - lo < RPT_PRUNE_BATCH ?
		    maxid + 1 : lo + RPT_PRUNE_BATCH);
		sqlite3_bind_int64(st, 3, before);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(st);
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		done += (uint64_t)sqlite3_changes(db);
	}
	sqlite3_finalize(st);
	st = NULL;
	rpt_cost_str(cost, sizeof(cost), total.g_cost);
	printf("pruned %llu rows (%llu requests, %s%s%s)\n",
	    (unsigned long long)done,
	    (unsigned long long)total.g_requests, cost,
	    total.g_currency[0] != '\0' ? " " : "", total.g_currency);
	if (done != total.g_requests)
		fprintf(stderr, "fngw usage: %s: %llu rows were to go, %llu"
		    " went: another prune at the same time?\n", path,
		    (unsigned long long)total.g_requests,
		    (unsigned long long)done);
	(void)fflush(stdout);
	step = "VACUUM";
	if (sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	/* VACUUM went through the WAL: hand it back if nobody reads. */
	(void)sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
	    NULL, NULL);
	size1 = rpt_db_bytes(db);
	printf("vacuumed: %lld -> %lld bytes\n", size0, size1);
	ret = 0;
	goto out;
fail:
	if (checked == -1)
		goto out;
	if (db != NULL && rpt_busy(db))
		fprintf(stderr, "fngw usage: %s: the ledger stayed busy"
		    " (another writer held it) for %d s: %s\n", path,
		    RPT_BUSY_MS / 1000, done > 0 || strcmp(step, "VACUUM") ==
		    0 ? "pruning stopped part way; run it again" :
		    "nothing was pruned");
	else
		fprintf(stderr, "fngw usage: %s: %s: %s\n", path, step,
		    db == NULL ? "out of memory" : sqlite3_errmsg(db));
	if (done > 0 && strcmp(step, "VACUUM") != 0)
		fprintf(stderr, "fngw usage: %s: %llu of the %llu rows were"
		    " pruned\n", path, (unsigned long long)done,
		    (unsigned long long)total.g_requests);
	else if (strcmp(step, "VACUUM") == 0)
		fprintf(stderr, "fngw usage: %s: the rows are pruned; the"
		    " file keeps its size until a VACUUM\n", path);
out:
	sqlite3_finalize(st);
	if (db != NULL && !sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return ret == 0 ? 0 : -1;
}

static void
rpt_free(struct rpt *r)
{
	size_t	 i;
	int	 k;

	for (i = 0; i < r->r_ngroups; i++)
		for (k = 0; k < RPT_MAXKEYS; k++)
			free(r->r_groups[i].g_key[k]);
	free(r->r_groups);
	r->r_groups = NULL;
	r->r_ngroups = r->r_cap = 0;
}

int
usage_report_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db",		  required_argument, NULL, 'd' },
		{ "from",	  required_argument, NULL, 'f' },
		{ "to",		  required_argument, NULL, 't' },
		{ "by",		  required_argument, NULL, 'b' },
		{ "format",	  required_argument, NULL, 'F' },
		{ "prune-before", required_argument, NULL, 'P' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL,		  0,		     NULL, 0 }
	};
	struct rpt	 r, c;
	const char	**dbs = NULL;
	int64_t		 prune = 0;
	size_t		 ndb = 0, i;
	int		 ch, ret = 1, by = 0, pruning = 0, ranged = 0;
	int		 is_tenant = 1;

	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	r.r_nkeys = 1;
	r.r_key[0] = KEY_FUNCTION;
	r.r_from = INT64_MIN;
	r.r_to = INT64_MAX;
	if ((dbs = calloc((size_t)argc + 1, sizeof(*dbs))) == NULL) {
		fprintf(stderr, "fngw usage: %s\n", strerror(errno));
		return 1;
	}
	optind = 0;	/* glibc: a full reset; main() may have used it */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			/* XXX prices come from each ledger's own periods;
			 * -c is accepted for the html format's settings. */
			break;
		case 'd':
			dbs[ndb++] = optarg;
			break;
		case 'f':
		case 't':
			if (rpt_parse_date(optarg, ch == 'f' ? &r.r_from :
			    &r.r_to) == -1) {
				fprintf(stderr, "fngw usage: bad date \"%s\""
				    " (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"
				    "[Z])\n", optarg);
				goto fail;
			}
			ranged = 1;
			break;
		case 'b':
			if (rpt_parse_by(&r, optarg) == -1) {
				fprintf(stderr, "fngw usage: bad --by \"%s\""
				    " (function, tenant, day, hour)\n", optarg);
				goto fail;
			}
			by = 1;
			break;
		case 'F':
			if (strcmp(optarg, "table") == 0)
				r.r_format = FMT_TABLE;
			else if (strcmp(optarg, "csv") == 0)
				r.r_format = FMT_CSV;
			else if (strcmp(optarg, "json") == 0)
				r.r_format = FMT_JSON;
			else if (strcmp(optarg, "html") == 0)
				r.r_format = FMT_HTML;
			else {
				fprintf(stderr, "fngw usage: bad --format %s"
				    " (table, csv, json, html)\n", optarg);
				goto fail;
			}
			break;
		case 'P':
			if (rpt_parse_date(optarg, &prune) == -1) {
				fprintf(stderr, "fngw usage: bad date \"%s\""
				    " (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]"
				    "[Z])\n", optarg);
				goto fail;
			}
			pruning = 1;
			break;
		case 'h':
			fputs(rpt_synopsis, stdout);
			fputs(rpt_help, stdout);
			ret = 0;
			goto fail;
		case ':':
			fprintf(stderr, "fngw usage: %s needs an argument\n%s",
			    argv[optind - 1], rpt_synopsis);
			goto fail;
		default:
			fprintf(stderr, "fngw usage: bad option %s\n%s",
			    argv[optind - 1], rpt_synopsis);
			goto fail;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fngw usage: unexpected argument %s\n",
		    argv[optind]);
		goto fail;
	}
	if (ndb == 0) {
		fprintf(stderr, "fngw usage: --db FILE is required\n%s",
		    rpt_synopsis);
		goto fail;
	}
	if (pruning) {
		if (ndb != 1 || ranged || r.r_format != FMT_TABLE) {
			fprintf(stderr, "fngw usage: --prune-before takes one"
			    " --db, and neither --from, --to nor --format\n");
			goto fail;
		}
		if (!by) {
			r.r_nkeys = 2;
			r.r_key[1] = KEY_DAY;
		}
		ret = rpt_prune(&r, dbs[0], prune) == -1 ? 1 : 0;
		goto fail;
	}
	if (r.r_from >= r.r_to) {
		fprintf(stderr, "fngw usage: --from must be before --to\n");
		goto fail;
	}
	for (i = 0; i < ndb; i++)
		if (rpt_query(&r, dbs[i]) == -1)
			goto fail;
	if (rpt_merge(&r) == -1)
		goto fail;
	if (r.r_format == FMT_HTML) {
		/*
		 * The chart's series: function when --by names it before
		 * tenant (or without tenant), else tenant.
		 */
		for (ch = 0; by && ch < r.r_nkeys; ch++)
			if (r.r_key[ch] == KEY_FUNCTION ||
			    r.r_key[ch] == KEY_TENANT) {
				is_tenant = r.r_key[ch] == KEY_TENANT;
				break;
			}
		c.r_nkeys = 2;
		c.r_key[0] = KEY_DAY;
		c.r_key[1] = is_tenant ? KEY_TENANT : KEY_FUNCTION;
		c.r_from = r.r_from;
		c.r_to = r.r_to;
		c.r_format = FMT_HTML;
		for (i = 0; i < ndb; i++)
			if (rpt_query(&c, dbs[i]) == -1)
				goto fail;
		if (rpt_merge(&c) == -1 ||
		    rpt_print_html(&r, &c, is_tenant, dbs, ndb) == -1)
			goto fail;
	} else if (rpt_print(&r) == -1)
		goto fail;
	ret = 0;
fail:
	(void)fflush(stdout);
	rpt_free(&r);
	rpt_free(&c);
	free(dbs);
	return ret;
}
