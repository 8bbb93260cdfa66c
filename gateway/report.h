/*
 * report.h -- the inside of `fngw usage` (usage_report_main() in
 * usage.h), shared by its files: report.c (arguments, queries,
 * merging, table/CSV/JSON), report_html.c (the html page and its
 * chart), report_retry.c (--retried) and report_prune.c
 * (--prune-before).  A struct rpt owns its groups
 * and their keys.  The pure html helpers are here for the unit tests.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>

#define RPT_MAXKEYS	5
#define RPT_SCALE	1000000000000ULL	/* prices in 10^-12 units */
#define RPT_MBMS_PER_GBS 1024000ULL		/* MB·ms in one GB-s */
#define RPT_BUSY_MS	5000		/* wait for fngw's writer (locks) */
#define RPT_NVALS	6	/* requests ... cost, then currency */

enum rpt_key { KEY_FUNCTION, KEY_TENANT, KEY_DAY, KEY_HOUR, KEY_NODE };
enum rpt_format { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_HTML };

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

/* One row of table prices, as the span of started_at it applies to. */
struct rpt_period {
	int64_t		 p_lo, p_hi;		/* [lo, hi) */
	int		 p_priced;		/* 0: no prices recorded */
	unsigned __int128 p_per_request, p_per_gb_second;
	char		 p_currency[16];
};

/* A report: what to group by, the range, the groups (owned). */
struct rpt {
	enum rpt_key	 r_key[RPT_MAXKEYS];
	int		 r_nkeys;
	int64_t		 r_from, r_to;		/* epoch µs, [from, to) */
	enum rpt_format	 r_format;
	struct rpt_group *r_groups;
	size_t		 r_ngroups, r_cap;
};

struct sqlite3;

/* The names of the keys, indexed by enum rpt_key. */
extern const char *const rpt_key_names[];

/* The names of the value columns, requests .. cost. */
extern const char *const rpt_val_names[];

/* report.c */

/* DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z], UTC) to epoch µs; -1. */
int		 rpt_parse_date(const char *, int64_t *);

/* 0 when the open db is an fngw ledger we can read; -1 after a message. */
int		 rpt_check(struct sqlite3 *, const char *);

/*
 * A ledger opened read-only in a read transaction (one snapshot), and
 * checked to be ours; NULL after a message.  sqlite3_close() ends it.
 */
struct sqlite3	*rpt_open(const char *);

/*
 * The open ledger's price periods, oldest first, covering all time
 * (one unpriced period when it has none): *out (free it), *np.  -1
 * after a message naming the path.
 */
int		 rpt_periods(struct sqlite3 *, const char *,
		    struct rpt_period **, size_t *);

/* r += the open ledger's rows in r's range, unmerged; -1 after a message. */
int		 rpt_query_db(struct rpt *, struct sqlite3 *, const char *);

/* strcmp for keys, where NULL (none) sorts first. */
int		 rpt_keycmp(const char *, const char *);

/* Fold a group into another (or the total); -1 on mixed currencies. */
int		 rpt_fold(struct rpt_group *, const struct rpt_group *);

/* Sort r's groups by key, folding equal ones; -1 on mixed currencies. */
int		 rpt_merge(struct rpt *);

/* A group's formatted value cells, requests .. cost (no currency). */
void		 rpt_values(const struct rpt_group *, char[RPT_NVALS][64]);

/* A cost in the currency, 6 decimals, rounded once (half up). */
void		 rpt_cost_str(char *, size_t, unsigned __int128);

/* Epoch µs as 2024-03-01T00:00:00Z ("?" if it cannot be). */
void		 rpt_time_str(char *, size_t, int64_t);

/* r's groups and their total on stdout, as table, csv or json. */
int		 rpt_print(struct rpt *);

/* One CSV field on stdout (quoted when it must be; NULL: empty), then
 * ',' or, when last, a newline. */
void		 rpt_csv_field(const char *, int);

/* A JSON string on stdout, escaped (NULL: null). */
void		 rpt_json_str(const char *);

/* report_html.c */

/*
 * The html page on stdout: the chart of c (day, series), r as a table;
 * the series are tenants when is_tenant, else functions.  -1 on failure.
 */
int		 rpt_print_html(struct rpt *, const struct rpt *, int,
		    const char **, size_t);

/*
 * src escaped for HTML text and attribute values: & < > " ' as
 * entities, control characters (C0 and DEL) as U+FFFD.  Like snprintf:
 * returns the length of the whole escaped string and writes as much as
 * fits in size (never half an entity), NUL-terminated when size > 0.
 */
size_t		 rpt_html_escape(char *, size_t, const char *);

/*
 * The y axis of the chart, in integer units (micro-currency): the
 * smallest step of 1, 2 or 5 x 10^k such that at most 5 steps reach
 * max; *top is the axis maximum (a multiple of step, >= max, >= 1).
 */
uint64_t	 rpt_axis_step(uint64_t, uint64_t *);

/* Decimals that print every multiple of step (micro-units) exactly. */
int		 rpt_axis_decimals(uint64_t);

/*
 * The height of v on an axis whose maximum top is px pixels tall, in
 * hundredths of a pixel, rounded half up; 0 when top is 0, at most
 * px x 100.  Integer arithmetic: v and top are exact costs.
 */
unsigned	 rpt_chart_scale(unsigned __int128, unsigned __int128,
		    unsigned);

/* report_retry.c */

/*
 * --retried: on stdout, as r's format (table, csv or json), each
 * request in r's range that has more than one row over the ledgers
 * (paths, n), then the TOTAL of those and ALL, the requests,
 * invocations and charged invocations of the whole range.  -1 after a
 * message on stderr.
 */
int		 rpt_retried(const struct rpt *, const char **, size_t);

/* report_prune.c */

/*
 * --prune-before: print, then delete, the rows of the ledger at path
 * started before `before` (epoch µs), grouped by r's keys; then VACUUM.
 * -1 after a message on stderr.
 */
int		 rpt_prune(struct rpt *, const char *, int64_t);

#endif /* REPORT_H */
