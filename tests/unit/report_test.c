/*
 * report_test.c -- `fngw usage` against two hand-made ledgers: grouping,
 * formats, merging nodes, --from/--to boundaries, price periods, exact
 * decimal costs (rounded once, half up), and the error messages; the
 * html page and its helpers (escaping, the chart's axis and scale);
 * --prune-before.
 */
#include "report.h"
#include "usage.h"

#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

static char	 dir[64];

/*
 * Two price periods in both ledgers:
 *   P1 from 2024-03-01T00:00Z: 0.0000002 per request, 0.0000166667 per GB-s
 *   P2 from 2024-03-02T12:00Z: 0.00000025 per request, 0.00002 per GB-s
 */
static const char prices_sql[] =
    "DELETE FROM prices;"
    "INSERT INTO prices(since, per_request, per_gb_second, granularity_ms,"
    " currency) VALUES (1709251200000000, '0.0000002', '0.0000166667', 1,"
    " 'USD'), (1709380800000000, '0.00000025', '0.00002', 1, 'USD');";

struct fx {
	const char	*fn, *tenant, *at;	/* at: UTC, to the second */
	long		 usec;
	const char	*outcome;
	unsigned	 mem, billed;
	unsigned long	 cpu;			/* user; sys is 0 */
};

static const struct fx rows_a[] = {
	{ "hello", "acme", "2024-03-01T10:00:00", 0, "ok", 128, 200, 1500 },
	{ "hello", "acme", "2024-03-01T10:30:00", 0, "ok", 128, 200, 1500 },
	{ "hello", "acme", "2024-03-01T23:59:59", 999999, "error", 128, 200,
	    1500 },
	{ "resize", "globex", "2024-03-01T11:00:00", 0, "ok", 1024, 60000,
	    2500000 },
	{ "resize", "globex", "2024-03-01T11:00:00", 0, "throttled", 1024, 0,
	    0 },
	{ "hello", NULL, "2024-03-02T00:00:00", 0, "ok", 256, 1000, 10000 },
	{ "hello", "acme", "2024-03-02T13:00:00", 0, "timeout", 128, 10000,
	    10000000 },
	{ "resize", "globex", "2024-03-02T12:00:00", 0, "ok", 1024, 3000,
	    300000 },
	{ "resize", "globex", "2024-03-02T14:00:00", 0, "rejected", 1024, 0,
	    0 },
	{ "ping", "acme", "2024-03-02T15:00:00", 0, "ok", 1024, 500, 1000 },
	{ "ping", "acme", "2024-03-02T15:01:00", 0, "ok", 1024, 500, 1000 },
};

static const struct fx rows_b[] = {
	{ "hello", "acme", "2024-03-01T09:00:00", 0, "ok", 128, 200, 1500 },
	{ "resize", "globex", "2024-03-02T15:00:00", 0, "crash", 1024, 500,
	    400000 },
};

/*
 * Ledger c: a node that ran again two of a's requests (its rows 0 and 1
 * get a's request ids a-0 and a-4, a's throttled row) and one request
 * twice itself (rows 2 and 3 share c-2).
 */
static const struct fx rows_c[] = {
	{ "hello", "acme", "2024-03-01T10:00:05", 0, "ok", 128, 200, 1500 },
	{ "resize", "globex", "2024-03-01T11:00:01", 0, "ok", 1024, 60000,
	    2500000 },
	{ "ping", "acme", "2024-03-02T15:00:30", 0, "ok", 1024, 500, 1000 },
	{ "ping", "acme", "2024-03-02T15:00:40", 0, "timeout", 1024, 500,
	    1000 },
};

static char *
tpath(const char *name)
{
	static char	 buf[4][128];
	static int	 i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int64_t
at_us(const char *at, long usec)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	strptime(at, "%Y-%m-%dT%H:%M:%S", &tm);
	return (int64_t)timegm(&tm) * 1000000 + usec;
}

static int
build(const char *path, const char *node, const struct fx *fx, int n)
{
	struct usage		*u;
	struct usage_row	*r, *next;
	struct usage_prices	 up = { "0.0000002", "0.0000166667", 1, "USD" };
	struct pollfd		 pfd;
	const char		*errstr;
	sqlite3			*db;
	int			 i, got = 0, committed = 0;

	if ((u = usage_open(path, &up, &errstr)) == NULL) {
		diag("usage_open: %s", errstr);
		return -1;
	}
	usage_set_node(u, node);
	for (i = 0; i < n; i++) {
		r = usage_row_new();
		snprintf(r->ur_request_id, sizeof(r->ur_request_id), "%s-%d",
		    node, i);
		r->ur_started_at = at_us(fx[i].at, fx[i].usec);
		r->ur_function = strdup(fx[i].fn);
		r->ur_tenant = fx[i].tenant ? strdup(fx[i].tenant) : NULL;
		r->ur_trigger = "http";
		r->ur_outcome = fx[i].outcome;
		r->ur_memory_mb = fx[i].mem;
		r->ur_billed_ms = fx[i].billed;
		r->ur_cpu_user_us = fx[i].cpu;
		usage_submit(u, r, 0);
	}
	pfd.fd = usage_fd(u);
	pfd.events = POLLIN;
	while (got < n && poll(&pfd, 1, 10000) == 1)
		for (r = usage_done(u); r != NULL; r = next) {
			next = r->ur_next;
			got++;
			committed += r->ur_committed;
			usage_row_free(r);
		}
	usage_close(u);
	if (committed != n)
		return -1;
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, prices_sql, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	sqlite3_close(db);
	return 0;
}

static char *
slurp_fd(int fd)
{
	char	*b;
	off_t	 n;

	n = lseek(fd, 0, SEEK_END);
	b = calloc(1, (size_t)n + 1);
	if (pread(fd, b, (size_t)n, 0) != n)
		b[0] = '\0';
	return b;
}

static char	*out, *err;

/* Run usage_report_main on a NULL-terminated argv; capture both streams. */
static int
run(const char *first, ...)
{
	char		*argv[32];
	va_list		 ap;
	int		 argc = 0, rc, ofd, efd, save1, save2;

	argv[argc++] = "usage";
	argv[argc++] = (char *)first;
	va_start(ap, first);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	free(out);
	free(err);
	fflush(stdout);
	fflush(stderr);
	ofd = open(tpath("stdout"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	efd = open(tpath("stderr"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	save1 = dup(1);
	save2 = dup(2);
	dup2(ofd, 1);
	dup2(efd, 2);
	rc = usage_report_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(save1, 1);
	dup2(save2, 2);
	close(save1);
	close(save2);
	out = slurp_fd(ofd);
	err = slurp_fd(efd);
	close(ofd);
	close(efd);
	return rc;
}

/* How many times needle occurs in hay. */
static int
count(const char *hay, const char *needle)
{
	int	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static int
escaped_is(const char *src, size_t size, const char *want, size_t len)
{
	char	 buf[128];
	size_t	 got;

	memset(buf, 'Z', sizeof(buf));
	got = rpt_html_escape(buf, size, src);
	if (got == len && (size == 0 ? buf[0] == 'Z' :
	    strcmp(buf, want) == 0))
		return 1;
	diag("escape \"%s\" in %zu: got \"%.*s\" (%zu), want \"%s\" (%zu)",
	    src, size, size == 0 ? 0 : (int)sizeof(buf), buf, got, want, len);
	return 0;
}

static void
test_helpers(void)
{
	uint64_t	 top;
	unsigned __int128 t;

	ok(escaped_is("<b>&\"x", 64, "&lt;b&gt;&amp;&quot;x", 21),
	    "escape: < > & \" as entities");
	ok(escaped_is("it's", 64, "it&#39;s", 8), "escape: ' as &#39;");
	ok(escaped_is("a\tb\x01\x7f", 64, "a&#xfffd;b&#xfffd;&#xfffd;",
	    26), "escape: control characters as U+FFFD");
	ok(escaped_is("caf\xc3\xa9", 64, "caf\xc3\xa9", 5),
	    "escape: UTF-8 passes through");
	ok(escaped_is("a<b", 4, "a", 6), "escape: never half an entity");
	ok(escaped_is("a<b", 6, "a&lt;", 6), "escape: cut before the NUL");
	ok(escaped_is("a<b", 7, "a&lt;b", 6), "escape: exactly fits");
	ok(escaped_is("x", 0, "", 1), "escape: size 0 writes nothing");

	ok(rpt_axis_step(0, &top) == 1 && top == 1, "axis: 0 -> 1 step 1");
	ok(rpt_axis_step(1, &top) == 1 && top == 1, "axis: 1 -> top 1");
	ok(rpt_axis_step(7, &top) == 2 && top == 8, "axis: 7 -> 4 x 2");
	ok(rpt_axis_step(10, &top) == 2 && top == 10, "axis: 10 -> 5 x 2");
	ok(rpt_axis_step(11, &top) == 5 && top == 15, "axis: 11 -> 3 x 5");
	ok(rpt_axis_step(26, &top) == 10 && top == 30, "axis: 26 -> 3 x 10");
	ok(rpt_axis_step(79341, &top) == 20000 && top == 80000,
	    "axis: 79341 -> 4 x 20000");
	ok(rpt_axis_step(UINT64_MAX / 3, &top) > 0 && top >= UINT64_MAX / 3,
	    "axis: a huge maximum");
	ok(rpt_axis_decimals(1) == 6 && rpt_axis_decimals(20000) == 2 &&
	    rpt_axis_decimals(5000000) == 0 &&
	    rpt_axis_decimals(100000000) == 0, "axis: decimals of a step");

	t = (unsigned __int128)80000 * 1000000 * 1024000;
	ok(rpt_chart_scale(0, t, 300) == 0, "scale: 0 is the axis");
	ok(rpt_chart_scale(t, t, 300) == 30000, "scale: top is 300 px");
	ok(rpt_chart_scale(t * 2, t, 300) == 30000, "scale: clamped");
	ok(rpt_chart_scale(t / 3, t, 300) == 10000, "scale: a third");
	ok(rpt_chart_scale(1, 3, 1) == 33 && rpt_chart_scale(2, 3, 1) == 67,
	    "scale: hundredths, rounded half up");
	ok(rpt_chart_scale(1, 0, 300) == 0, "scale: top 0");
}

static int
same(const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return 1;
	diag("got:\n%s", got);
	diag("want:\n%s", want);
	return 0;
}

/* A failure: exit 1, nothing on stdout, "fngw usage: ...what..." */
static int
refused(int rc, const char *what)
{
	if (rc == 1 && out[0] == '\0' &&
	    strncmp(err, "fngw usage: ", 12) == 0 && strstr(err, what) != NULL)
		return 1;
	diag("rc %d, stdout \"%s\", stderr \"%s\"", rc, out, err);
	return 0;
}

/*
 * --retried over ledgers a and c.  The requests with more than one
 * row, by their first start:
 *   a-0: a 10:00:00 ok, c 10:00:05 ok; each P1 0.0000002 + 0.025 GB-s x
 *        0.0000166667 = 0.0000006166675: cost 0.000001233335 ->
 *        0.000001, extra (the first) -> 0.000001.
 *   a-4: a 11:00:00 throttled (no charge, 0 MB·ms), c 11:00:01 ok
 *        0.001000202: cost 0.001000, extra 0.000000, charged 1.
 *   c-2: c 15:00:30 ok, c 15:00:40 timeout; each P2 0.00000025 + 0.5
 *        GB-s x 0.00002 = 0.00001025: cost 0.0000205 -> 0.000021 (half
 *        up), extra 0.000010.
 * TOTAL 3 requests, 6 invocations, 5 charged, cost 0.001021935335 ->
 * 0.001022, extra 0.0000108666675 -> 0.000011.  ALL: a's 11 ids and
 * c-2: 12 requests, 15 invocations, 13 charged (a's throttled and
 * rejected rows are not).
 */
static void
test_retried(const char *a, const char *c)
{
	int	 rc;

	rc = run("--db", a, "--db", c, "--retried", NULL);
	ok(rc == 0 && same(out,
	    "request_id  started_at            function  tenant  nodes"
	    "  outcomes      requests  invocations  charged          cost"
	    "    extra_cost\n"
	    "a-0         2024-03-01T10:00:00Z  hello     acme    a,c  "
	    "  ok,ok                1            2        2  0.000001 USD"
	    "  0.000001 USD\n"
	    "a-4         2024-03-01T11:00:00Z  resize    globex  a,c  "
	    "  throttled,ok         1            2        1  0.001000 USD"
	    "  0.000000 USD\n"
	    "c-2         2024-03-02T15:00:30Z  ping      acme    c,c  "
	    "  ok,timeout           1            2        2  0.000021 USD"
	    "  0.000010 USD\n"
	    "TOTAL                                                    "
	    "                       3            6        5  0.001022 USD"
	    "  0.000011 USD\n"
	    "ALL                                                      "
	    "                      12           15       13\n"),
	    "--retried: a table");
	rc = run("--db", c, "--db", a, "--retried", "--format", "csv", NULL);
	ok(rc == 0 && same(out,
	    "request_id,started_at,function,tenant,nodes,outcomes,requests,"
	    "invocations,charged,cost,extra_cost,currency\n"
	    "a-0,2024-03-01T10:00:00Z,hello,acme,\"a,c\",\"ok,ok\",1,2,2,"
	    "0.000001,0.000001,USD\n"
	    "a-4,2024-03-01T11:00:00Z,resize,globex,\"a,c\","
	    "\"throttled,ok\",1,2,1,0.001000,0.000000,USD\n"
	    "c-2,2024-03-02T15:00:30Z,ping,acme,\"c,c\",\"ok,timeout\",1,2,"
	    "2,0.000021,0.000010,USD\n"
	    "TOTAL,,,,,,3,6,5,0.001022,0.000011,USD\n"
	    "ALL,,,,,,12,15,13,,,\n"),
	    "--retried --format csv: the same, whatever the order of --db");
	rc = run("--db", a, "--db", c, "--retried", "--format", "json",
	    "--from", "2024-03-02", NULL);
	ok(rc == 0 && same(out,
	    "[{\"request_id\":\"c-2\",\"started_at\":"
	    "\"2024-03-02T15:00:30Z\",\"function\":\"ping\",\"tenant\":"
	    "\"acme\",\"nodes\":\"c,c\",\"outcomes\":\"ok,timeout\","
	    "\"requests\":1,\"invocations\":2,\"charged\":2,\"cost\":"
	    "\"0.000021\",\"extra_cost\":\"0.000010\",\"currency\":"
	    "\"USD\"},\n"
	    "{\"total\":true,\"requests\":1,\"invocations\":2,"
	    "\"charged\":2,\"cost\":\"0.000021\",\"extra_cost\":"
	    "\"0.000010\",\"currency\":\"USD\"},\n"
	    "{\"all\":true,\"requests\":7,\"invocations\":8,"
	    "\"charged\":7}]\n"), "--retried --format json --from");
	rc = run("--db", a, "--db", c, "--retried", "--format", "csv",
	    "--to", "2024-03-01T10:00:03", NULL);
	ok(rc == 0 && strstr(out, "\nTOTAL,,,,,,0,0,0,0.000000,0.000000,\n"
	    "ALL,,,,,,1,1,1,,,\n") != NULL,
	    "--retried --to: a request with one row in the range is not"
	    " listed");
	rc = run("--db", a, "--retried", "--format", "csv", NULL);
	ok(rc == 0 && strstr(out, "\nTOTAL,,,,,,0,0,0,") != NULL &&
	    strstr(out, "\nALL,,,,,,11,11,9,,,\n") != NULL,
	    "--retried, one ledger of distinct ids: none");
	ok(refused(run("--db", a, "--retried", "--by", "node", NULL),
	    "--retried"), "--retried --by is refused");
	ok(refused(run("--db", a, "--retried", "--format", "html", NULL),
	    "--retried"), "--retried --format html is refused");
	ok(refused(run("--db", a, "--retried", "--prune-before",
	    "2024-03-01", NULL), "--retried"),
	    "--retried --prune-before is refused");
	ok(refused(run("--db", a, "--db", tpath("missing.db"), "--retried",
	    NULL), "missing.db"), "--retried: a missing ledger");
}

int
main(void)
{
	char	 cmd[128];
	char	*a, *b, *c, *before;
	FILE	*f;
	sqlite3	*db;
	int	 rc;

	snprintf(dir, sizeof(dir), "/tmp/report_test.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	a = strdup(tpath("a.db"));
	b = strdup(tpath("b.db"));
	test_helpers();
	ok(build(a, "a", rows_a, 11) == 0, "ledger a built");
	ok(build(b, "b", rows_b, 2) == 0, "ledger b built");
	c = strdup(tpath("c.db"));
	ok(build(c, "c", rows_c, 4) == 0 && sqlite3_open(c, &db) == SQLITE_OK &&
	    sqlite3_exec(db, "UPDATE invocations SET request_id = CASE id"
	    " WHEN 1 THEN 'a-0' WHEN 2 THEN 'a-4' ELSE 'c-2' END", NULL, NULL,
	    NULL) == SQLITE_OK && sqlite3_close(db) == SQLITE_OK,
	    "ledger c built, with a's request ids and one twice");

	/*
	 * By function, ledger a.  hello spans both periods:
	 *   P1 rows 1,2,3,6: 4 x 0.0000002 = 0.0000008, plus
	 *      (3 x 128 x 200 + 256 x 1000) MB·ms = 332800 MB·ms = 0.325 GB-s
	 *      x 0.0000166667 = 0.0000054166775
	 *   P2 row 7: 0.00000025 + 128 x 10000 = 1.25 GB-s x 0.00002
	 *      = 0.00002525
	 *   = 0.0000314666775 -> 0.000031 (all at P1 would be 0.000027)
	 * ping, P2: 2 x 0.00000025 + 1 GB-s x 0.00002 = 0.0000205 -> 0.000021,
	 *   half up (a double prints 0.000020).
	 * resize: P1 row 4 0.0000002 + 60 GB-s x 0.0000166667 = 0.001000202,
	 *   row 5 throttled: no charge; P2 row 8 0.00000025 + 3 x 0.00002
	 *   = 0.00006025, row 9 rejected: none; = 0.001060452 -> 0.001060
	 *   (charging the throttled and rejected rows: 0.001061).
	 * TOTAL 0.0011124186775 -> 0.001112.  GB-s 1.575, 1, 63 = 65.575.
	 * CPU s: 3 x 0.0015 + 0.01 + 10 = 10.0145 -> 10.015 (half up).
	 */
	rc = run("--db", a, NULL);
	ok(rc == 0 && same(out,
	    "function  requests  errors  throttled  gb_seconds  cpu_seconds"
	    "          cost\n"
	    "hello            5       2          0       1.575       10.015"
	    "  0.000031 USD\n"
	    "ping             2       0          0       1.000        0.002"
	    "  0.000021 USD\n"
	    "resize           4       0          1      63.000        2.800"
	    "  0.001060 USD\n"
	    "TOTAL           11       2          1      65.575       12.817"
	    "  0.001112 USD\n"), "--by function, table");

	/*
	 * By tenant and day: (none) 2024-03-02 is row 6 alone: 0.0000002 +
	 * 0.25 GB-s x 0.0000166667 = 0.000004366675 -> 0.000004.
	 * acme 03-01: 3 x 0.0000002 + 0.075 x 0.0000166667 = 0.0000018500025.
	 * acme 03-02: rows 7, 10, 11 in P2: 3 x 0.00000025 + 2.25 x 0.00002
	 * = 0.00004575.  globex 03-01: 0.001000202.  globex 03-02: 0.00006025.
	 */
	rc = run("--db", a, "--by", "tenant,day", "--format", "csv", NULL);
	ok(rc == 0 && same(out,
	    "tenant,day,requests,errors,throttled,gb_seconds,cpu_seconds,cost,"
	    "currency\n"
	    ",2024-03-02,1,0,0,0.250,0.010,0.000004,USD\n"
	    "acme,2024-03-01,3,1,0,0.075,0.005,0.000002,USD\n"
	    "acme,2024-03-02,3,1,0,2.250,10.002,0.000046,USD\n"
	    "globex,2024-03-01,2,0,1,60.000,2.500,0.001000,USD\n"
	    "globex,2024-03-02,2,0,0,3.000,0.300,0.000060,USD\n"
	    "TOTAL,,11,2,1,65.575,12.817,0.001112,USD\n"),
	    "--by tenant,day --format csv");

	rc = run("--db", a, "--by", "hour", "--from", "2024-03-02T12:00Z",
	    "--format", "json", NULL);
	ok(rc == 0 && same(out,
	    "[{\"hour\":\"2024-03-02 12:00\",\"requests\":1,\"errors\":0,"
	    "\"throttled\":0,\"gb_seconds\":3.000,\"cpu_seconds\":0.300,"
	    "\"cost\":\"0.000060\",\"currency\":\"USD\"},\n"
	    "{\"hour\":\"2024-03-02 13:00\",\"requests\":1,\"errors\":1,"
	    "\"throttled\":0,\"gb_seconds\":1.250,\"cpu_seconds\":10.000,"
	    "\"cost\":\"0.000025\",\"currency\":\"USD\"},\n"
	    "{\"hour\":\"2024-03-02 14:00\",\"requests\":1,\"errors\":0,"
	    "\"throttled\":0,\"gb_seconds\":0.000,\"cpu_seconds\":0.000,"
	    "\"cost\":\"0.000000\",\"currency\":\"USD\"},\n"
	    "{\"hour\":\"2024-03-02 15:00\",\"requests\":2,\"errors\":0,"
	    "\"throttled\":0,\"gb_seconds\":1.000,\"cpu_seconds\":0.002,"
	    "\"cost\":\"0.000021\",\"currency\":\"USD\"},\n"
	    "{\"total\":true,\"hour\":null,\"requests\":5,\"errors\":1,"
	    "\"throttled\":0,\"gb_seconds\":5.250,\"cpu_seconds\":10.302,"
	    "\"cost\":\"0.000106\",\"currency\":\"USD\"}]\n"),
	    "--by hour --from ... --format json");

	rc = run("--db", a, "--by", "function,tenant", "--format", "json",
	    "--to", "2024-03-02", NULL);
	ok(rc == 0 && strstr(out, "{\"function\":\"hello\",\"tenant\":"
	    "\"acme\",\"requests\":3,") != NULL && strstr(out, "\"total\":true,"
	    "\"function\":null,\"tenant\":null,\"requests\":5,") != NULL,
	    "json keys as strings, the total's as null");

	/*
	 * Two nodes merged: b adds hello row 12 (P1: 0.0000002 + 0.025 x
	 * 0.0000166667 = 0.0000006166675; hello = 0.0000320833450 ->
	 * 0.000032) and a crashed resize row 13 (P2: 0.00000025 + 0.5 x
	 * 0.00002 = 0.00001025; resize = 0.001070702 -> 0.001071).
	 * TOTAL 0.001123285345 -> 0.001123.
	 */
	rc = run("--db", a, "--db", b, "--format", "csv", NULL);
	ok(rc == 0 && same(out,
	    "function,requests,errors,throttled,gb_seconds,cpu_seconds,cost,"
	    "currency\n"
	    "hello,6,2,0,1.600,10.016,0.000032,USD\n"
	    "ping,2,0,0,1.000,0.002,0.000021,USD\n"
	    "resize,5,1,1,63.500,3.200,0.001071,USD\n"
	    "TOTAL,13,3,1,66.100,13.218,0.001123,USD\n"), "two ledgers merged");

	/* --from inclusive, --to exclusive, to the microsecond. */
	rc = run("--db", a, "--from", "2024-03-02", "--to",
	    "2024-03-02T12:00:00Z", "--format", "csv", NULL);
	ok(rc == 0 && same(out,
	    "function,requests,errors,throttled,gb_seconds,cpu_seconds,cost,"
	    "currency\n"
	    "hello,1,0,0,0.250,0.010,0.000004,USD\n"
	    "TOTAL,1,0,0,0.250,0.010,0.000004,USD\n"),
	    "row at --from is in, row at --to is out");
	rc = run("--db", a, "--from", "2024-03-01T23:59:59", "--to",
	    "2024-03-02T00:00", "--format", "csv", "-c", "/nonexistent", NULL);
	ok(rc == 0 && strstr(out, "\nhello,1,1,0,0.025,0.002,0.000001,USD\n")
	    != NULL, "23:59:59.999999 is before --to 00:00");
	rc = run("--db", a, "--from", "2030-01-01", NULL);
	ok(rc == 0 && strstr(out, "\nTOTAL  ") != NULL &&
	    strstr(out, "0.000000\n") != NULL, "no rows: a zero TOTAL");

	/* Errors. */
	ok(refused(run("--from", "2024-03-01", NULL), "--db"), "missing --db");
	ok(refused(run("--db", a, "--from", "2024-02-30", NULL), "bad date"),
	    "2024-02-30 is not a date");
	ok(refused(run("--db", a, "--to", "2024-03-01T25:00", NULL),
	    "bad date"), "25:00 is not a time");
	ok(refused(run("--db", a, "--to", "2024-3-1", NULL), "bad date"),
	    "2024-3-1 is not a date");
	ok(refused(run("--db", a, "--by", "week", NULL), "--by"),
	    "--by week is refused");
	ok(refused(run("--db", a, "--by", "day,day", NULL), "--by"),
	    "--by day,day is refused");
	ok(refused(run("--db", a, "--format", "pdf", NULL),
	    "--format pdf"), "--format pdf is refused");
	ok(refused(run("--db", a, "--db", b, "--prune-before", "2024-01-01",
	    NULL), "one --db"), "--prune-before takes one ledger");
	ok(refused(run("--db", a, "--prune-before", "2024-01-01", "--to",
	    "2024-02-01", NULL), "--to"), "--prune-before without --to");
	ok(refused(run("--db", a, "--prune-before", "2024-13-01", NULL),
	    "bad date"), "--prune-before 2024-13-01 is not a date");
	ok(refused(run("--db", tpath("missing.db"), NULL), "missing.db"),
	    "a missing ledger");
	sqlite3_open(tpath("foreign.db"), &db);
	sqlite3_exec(db, "CREATE TABLE foo(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	ok(refused(run("--db", a, "--db", tpath("foreign.db"), NULL),
	    "not an fngw usage ledger"), "a foreign database");
	f = fopen(tpath("notes.txt"), "w");
	fputs("not a database at all, just some notes in a text file\n", f);
	fclose(f);
	ok(refused(run("--db", tpath("notes.txt"), NULL), "notes.txt"),
	    "a text file");
	sqlite3_open(b, &db);
	sqlite3_exec(db, "PRAGMA user_version = 9", NULL, NULL, NULL);
	sqlite3_close(db);
	ok(refused(run("--db", b, NULL), "newer"), "a newer ledger");
	sqlite3_open(b, &db);
	snprintf(cmd, sizeof(cmd), "PRAGMA user_version = %d",
	    USAGE_SCHEMA_VERSION);
	sqlite3_exec(db, cmd, NULL, NULL, NULL);
	sqlite3_close(db);
	ok(refused(run("--db", a, "--bogus", NULL), "--bogus"),
	    "an unknown option");

	/*
	 * html, --by tenant,day: the chart stacks by tenant; a bar for
	 * each (day, tenant) with a cost: (none) 03-02, acme 03-01 and
	 * 03-02, globex 03-01 and 03-02.  globex costs most: the bottom
	 * of each bar, the first colour.
	 */
	rc = run("--db", a, "--by", "tenant,day", "--format", "html", NULL);
	ok(rc == 0 && strncmp(out, "<!DOCTYPE html>", 15) == 0 &&
	    strstr(out, "</html>\n") != NULL, "html: a whole page");
	ok(strstr(out, "http:") == NULL && strstr(out, "https:") == NULL &&
	    strstr(out, "src=") == NULL && strstr(out, "<script") == NULL &&
	    strstr(out, "<link") == NULL && strstr(out, "url(") == NULL,
	    "html: nothing external, no script");
	ok(count(out, "<svg") == 1 && count(out, "class=\"bar\"") == 5,
	    "html: one svg, 5 bars (%d)", count(out, "class=\"bar\""));
	ok(strstr(out, "by tenant</title>") != NULL &&
	    strstr(out, "fill=\"#4e79a7\" data-day=\"2024-03-01\""
	    " data-series=\"globex\" data-cost=\"0.001000\"") != NULL &&
	    strstr(out, "data-day=\"2024-03-02\" data-series=\"acme\""
	    " data-cost=\"0.000046\"") != NULL &&
	    strstr(out, "data-day=\"2024-03-02\" data-series=\"(no tenant)"
	    "\" data-cost=\"0.000004\"") != NULL, "html: bars by tenant");
	/* 0.001000202 at most: 5 steps of 0.0005 reach 0.0015. */
	ok(strstr(out, ">0.0015</text>") != NULL &&
	    strstr(out, ">0.0000</text>") != NULL &&
	    strstr(out, ">cost (USD)</text>") != NULL &&
	    strstr(out, ">day (UTC)</text>") != NULL, "html: axes");
	ok(strstr(out, "globex \xe2\x80\x94 0.001060 USD</text>") != NULL &&
	    strstr(out, "(no tenant) \xe2\x80\x94 0.000004 USD") != NULL,
	    "html: a legend with each total");
	ok(strstr(out, "<tr><td>acme</td><td>2024-03-02</td>"
	    "<td class=\"num\">3</td><td class=\"num\">1</td>"
	    "<td class=\"num\">0</td><td class=\"num\">2.250</td>"
	    "<td class=\"num\">10.002</td><td class=\"num\">0.000046 USD"
	    "</td></tr>") != NULL && strstr(out, "<tr><td>TOTAL</td><td>"
	    "</td><td class=\"num\">11</td>") != NULL &&
	    strstr(out, "<tr><td>-</td><td>2024-03-02</td>") != NULL,
	    "html: the table of the other formats");
	rc = run("--db", a, "--db", b, "--by", "function", "--format",
	    "html", "--from", "2024-03-02", NULL);
	if (!ok(rc == 0 && strstr(out, "by function</title>") != NULL &&
	    count(out, "class=\"bar\"") == 3 &&
	    strstr(out, "data-series=\"resize\" data-cost=\"0.000071\"") !=
	    NULL && strstr(out, "Ledgers ") != NULL &&
	    strstr(out, "from 2024-03-02T00:00:00Z (inclusive)") != NULL,
	    "html --by function: by function, from, two ledgers"))
		diag("%s%s", out, err);
	rc = run("--db", a, "--format", "html", "--from", "2030-01-01", NULL);
	ok(rc == 0 && count(out, "class=\"bar\"") == 0 &&
	    strstr(out, "no cost in this range") != NULL,
	    "html: no rows, an empty chart");

	test_retried(a, c);

	/*
	 * --prune-before 2024-03-02 takes the 5 rows of 03-01 from a (the
	 * row at 2024-03-01T23:59:59.999999 too, the one at 03-02T00:00
	 * stays); the rest costs what it did.
	 */
	rc = run("--db", a, "--from", "2024-03-02", "--format", "csv", NULL);
	before = strdup(out);
	rc = run("--db", a, "--prune-before", "2024-03-02", NULL);
	ok(rc == 0 && strstr(out, "pruning the rows started before"
	    " 2024-03-02T00:00:00Z") != NULL &&
	    strstr(out, "\nhello     2024-03-01         3") != NULL &&
	    strstr(out, "\nresize    2024-03-01         2") != NULL &&
	    strstr(out, "\npruned 5 rows (5 requests, 0.001002 USD)\n") !=
	    NULL && strstr(out, "vacuumed: ") != NULL,
	    "--prune-before: the summary, then pruned");
	if (rc != 0 || strstr(out, "pruned 5") == NULL)
		diag("%s%s", out, err);
	rc = run("--db", a, "--format", "csv", NULL);
	ok(rc == 0 && same(out, before), "the rest costs what it did");
	rc = run("--db", a, "--prune-before", "2024-03-02", NULL);
	ok(rc == 0 && strstr(out, "nothing to prune") != NULL,
	    "pruning again: nothing to prune");
	sqlite3_open(a, &db);
	sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	rc = run("--db", a, "--prune-before", "2024-03-03", NULL);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	ok(rc == 1 && strstr(err, "busy") != NULL &&
	    strstr(err, "nothing was pruned") != NULL &&
	    strstr(out, "pruning the rows") != NULL,
	    "a ledger held by another writer: busy, exit 1");
	rc = run("--db", a, "--format", "csv", NULL);
	ok(rc == 0 && same(out, before), "and nothing went");
	free(before);
	rc = run("--help", NULL);
	ok(rc == 0 && strstr(out, "exclusive") != NULL &&
	    strstr(out, "rejected") != NULL,
	    "--help documents --to and what is charged");

	free(out);
	free(err);
	free(a);
	free(b);
	free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
