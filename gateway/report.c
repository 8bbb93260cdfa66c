/*
 * report.c -- `fngw usage`: totals from one or more usage ledgers (one
 * per node), grouped by function, tenant, day or hour, with the cost,
 * as a table, CSV or JSON; the arguments, for the html page
 * (report_html.c) and --prune-before (report_prune.c) too.  Ledgers are
 * opened read-only and each is queried on its own, once per price
 * period; the partial sums are merged in memory.  Money is integer
 * arithmetic throughout (see rpt_price and rpt_add).
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

#include "config.h"
#include "report.h"
#include "usage.h"

const char *const rpt_key_names[] = { "function", "tenant", "day",
    "hour", "node" };

/* The keys over the hourly partial sums of rpt_query_db (h: hour). */
static const char *const rpt_key_sql[] = {
	"function",
	"tenant",
	"strftime('%Y-%m-%d', h * 3600, 'unixepoch')",
	"strftime('%Y-%m-%d %H:00', h * 3600, 'unixepoch')",
	"node",
};

static const char rpt_synopsis[] =
"usage: fngw usage [-c FILE] --db FILE [--db FILE ...] [--from DATE]\n"
"                  [--to DATE] [--by function|tenant|node|day|hour[,...]]\n"
"                  [--format table|csv|json|html]\n"
"       fngw usage --db FILE [--db FILE ...] --retried [--from DATE]\n"
"                  [--to DATE] [--format table|csv|json]\n"
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
"  --retried     instead of totals, each request with more than one\n"
"                invocation over the ledgers (one request id: nginx\n"
"                passed it to another node after one had run it), with\n"
"                its nodes, outcomes, cost and extra_cost (all but its\n"
"                last invocation); then their TOTAL, and ALL: every\n"
"                request and invocation in the range\n"
"  --prune-before DATE\n"
"                delete the rows started before DATE (exclusive, as\n"
"                --to: a row at DATE is kept) from the one --db FILE,\n"
"                after printing them as a table (--by, default\n"
"                function,day); then VACUUM.  Safe while fngw writes;\n"
"                exits 1 when the ledger stays busy for 5 s\n"
"  -c FILE       without --db: the ledger is FILE's [gateway] billing_db\n"
"                (prices are always each ledger's own periods)\n"
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
int
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
int
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
int
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
int
rpt_query_db(struct rpt *r, sqlite3 *db, const char *path)
{
	struct rpt_period	*per = NULL;
	sqlite3_stmt		*st = NULL;
	char			 sql[2048], keys[512], by[64];
	size_t			 nper = 0, k;
	int64_t			 lo, hi;
	int			 i, rc, has_node;

	/* The node is not in the covering index: read only when asked. */
	keys[0] = by[0] = '\0';
	for (i = 0, has_node = 0; i < r->r_nkeys; i++)
		has_node |= r->r_key[i] == KEY_NODE;
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
	    " outcome, %s AS node, count(*) AS n,"
	    " sum(coalesce(memory_mb, 0) * coalesce(billed_ms, 0)) AS mbms,"
	    " sum(coalesce(cpu_user_us, 0) + coalesce(cpu_sys_us, 0)) AS cpu"
	    " FROM invocations"
	    " WHERE started_at / 3600000000 BETWEEN ?3 AND ?4"
	    " AND started_at >= ?1 AND started_at < ?2"
	    " GROUP BY 1, 2, 3, 4, 5)"
	    " GROUP BY %s", keys, has_node ? "node" : "NULL", by);

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
		sqlite3_bind_int64(st, 3, lo / USAGE_HOUR_US);
		sqlite3_bind_int64(st, 4, (hi - 1) / USAGE_HOUR_US);
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

/*
 * Open one ledger read-only, in a read transaction (one snapshot for
 * every query), and check that it is ours.  NULL after a message.
 */
sqlite3 *
rpt_open(const char *path)
{
	sqlite3		*db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "fngw usage: %s: %s\n", path,
		    db == NULL ? "out of memory" : sqlite3_errmsg(db));
		goto fail;
	}
	(void)sqlite3_busy_timeout(db, RPT_BUSY_MS);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "fngw usage: %s: %s\n", path,
		    sqlite3_errmsg(db));
		goto fail;
	}
	if (rpt_check(db, path) == -1)
		goto fail;
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

/* Open one ledger, query it. */
static int
rpt_query(struct rpt *r, const char *path)
{
	sqlite3		*db;
	int		 rc;

	if ((db = rpt_open(path)) == NULL)
		return -1;
	rc = rpt_query_db(r, db, path);
	sqlite3_close(db);	/* ends the read transaction */
	return rc;
}

int
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
int
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
int
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

/* The formatted value cells of g: requests .. cost. */
void
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

/* A cost in the currency, 6 decimals, rounded once (half up). */
void
rpt_cost_str(char *buf, size_t size, unsigned __int128 cost)
{
	rpt_fixed(buf, size, cost, (unsigned __int128)RPT_SCALE *
	    RPT_MBMS_PER_GBS, 6);
}

/* Epoch µs as 2024-03-01T00:00:00Z. */
void
rpt_time_str(char *buf, size_t size, int64_t us)
{
	struct tm	 tm;
	time_t		 t = (time_t)(us / 1000000);

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, size, "?");
}

const char *const rpt_val_names[RPT_NVALS] = { "requests",
    "errors", "throttled", "gb_seconds", "cpu_seconds", "cost" };

void
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

void
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

int
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
		{ "retried",	  no_argument,	     NULL, 'R' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ NULL,		  0,		     NULL, 0 }
	};
	struct rpt	 r, c;
	struct config	*cf = NULL;
	const char	**dbs = NULL, *cpath = NULL, *errstr;
	int64_t		 prune = 0;
	size_t		 ndb = 0, i;
	int		 ch, ret = 1, by = 0, pruning = 0, ranged = 0;
	int		 retried = 0;
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
			cpath = optarg;
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
		case 'R':
			retried = 1;
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
	/* Without --db, -c FILE names the ledger: its billing_db.  The
	 * prices are each ledger's own periods either way: those in force
	 * when each row was written. */
	if (ndb == 0 && cpath != NULL) {
		if ((cf = config_load(cpath, &errstr)) == NULL) {
			fprintf(stderr, "fngw usage: %s\n", errstr);
			goto fail;
		}
		dbs[ndb++] = cf->cf_billing_db;
	}
	if (ndb == 0) {
		fprintf(stderr, "fngw usage: --db FILE (or -c FILE) is "
		    "required\n%s", rpt_synopsis);
		goto fail;
	}
	if (retried && (pruning || by || r.r_format == FMT_HTML)) {
		fprintf(stderr, "fngw usage: --retried takes neither --by,"
		    " --prune-before nor --format html\n");
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
	if (retried) {
		ret = rpt_retried(&r, dbs, ndb) == -1 ? 1 : 0;
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
	config_free(cf);
	return ret;
}
