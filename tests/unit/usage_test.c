/*
 * usage_test.c -- the ledger writer: group commits from another thread,
 * the schema, refusing foreign files, price periods, billed_ms, and a
 * writer that waits out another connection's write lock.
 */
#include "usage.h"

#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spill.h"
#include "tap.h"

static char	 dir[64];

static const struct usage_prices prices1 = {
	"0.0000002", "0.0000166667", 1, "USD"
};
static const struct usage_prices prices2 = {
	"0.0000003", "0.0000166667", 1, "USD"
};

static const char *const columns[] = {
	"id", "request_id", "started_at", "node", "function", "tenant",
	"trigger", "method", "path", "status", "outcome", "queue_us",
	"duration_us", "billed_ms", "memory_mb", "cpu_user_us", "cpu_sys_us",
	"max_rss_kb", "bytes_in", "bytes_out", "cold_start", "init_us",
	"exit_code", "signal", NULL
};

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
tpath(const char *name)
{
	static char	 buf[4][128];
	static int	 i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static struct usage_row *
make_row(int i)
{
	struct usage_row	*r;

	if ((r = usage_row_new()) == NULL)
		abort();
	snprintf(r->ur_request_id, sizeof(r->ur_request_id), "req-%d", i);
	r->ur_started_at = 1700000000000000LL + i;
	r->ur_function = strdup(i % 3 == 0 ? "hello" : "resize");
	r->ur_tenant = i % 2 == 0 ? NULL : strdup("acme");
	r->ur_trigger = "http";
	r->ur_method = strdup("GET");
	r->ur_path = strdup("/hello");
	r->ur_status = 200;
	r->ur_outcome = "ok";
	r->ur_duration_us = 1234;
	r->ur_billed_ms = 2;
	r->ur_memory_mb = 128;
	if (i % 2 == 1)
		r->ur_exit_code = i % 256;	/* even rows keep -1 */
	r->ur_signal = i % 4 == 0 ? 9 : 0;
	r->ur_token = (void *)(long)(i + 1);
	return r;
}

/*
 * Collect n rows through usage_fd/usage_done within deadline_ms.  Marks
 * each token seen; returns the number of committed rows handed back.
 */
static int
collect(struct usage *u, int n, char *seen, int deadline_ms)
{
	struct pollfd		 pfd;
	struct usage_row	*list, *next;
	long long		 end = now_ms() + deadline_ms;
	int			 got = 0, committed = 0, idx;

	pfd.fd = usage_fd(u);
	pfd.events = POLLIN;
	while (got < n && now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		for (list = usage_done(u); list != NULL; list = next) {
			next = list->ur_next;
			idx = (int)(long)list->ur_token - 1;
			if (seen != NULL && idx >= 0 && idx < n)
				seen[idx]++;
			committed += list->ur_committed == 1;
			got++;
			usage_row_free(list);
		}
	}
	return committed;
}

/* n rows straight into the ledger at path, started at start + 1 ...
 * start + n microseconds, outcome ok; 0, or an SQLite error code. */
static int
bulk_rows(const char *path, int n, long long start, const char *function,
    const char *tenant)
{
	sqlite3	*db;
	char	*sql;
	int	 rc;

	if ((rc = sqlite3_open(path, &db)) != SQLITE_OK)
		return rc;
	sql = sqlite3_mprintf("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
	    " SELECT i + 1 FROM n WHERE i < %d) INSERT INTO invocations("
	    "request_id, started_at, node, function, tenant, trigger,"
	    " outcome) SELECT printf('%%032x', i), %lld + i, 'n', %Q, %Q,"
	    " 'http', 'ok' FROM n", n, start, function, tenant);
	rc = sql == NULL ? SQLITE_NOMEM : sqlite3_exec(db, sql, NULL, NULL,
	    NULL);
	sqlite3_free(sql);
	sqlite3_close(db);
	return rc;
}

/* Column col of the first row sql returns; -1 without one, -2 when it
 * does not compile. */
static long long
q_int_col(sqlite3 *db, const char *sql, int col)
{
	sqlite3_stmt	*st;
	long long	 v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, col);
	sqlite3_finalize(st);
	return v;
}

static long long
q_int(sqlite3 *db, const char *sql)
{
	return q_int_col(db, sql, 0);
}

static int
q_text_is(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt	*st;
	int		 r = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		r = strcmp((const char *)sqlite3_column_text(st, 0), want) == 0;
	sqlite3_finalize(st);
	return r;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*b;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	*len = fread(b, 1, (size_t)n, f);
	fclose(f);
	return b;
}

static int
exists(const char *path)
{
	struct stat	 sb;

	return stat(path, &sb) == 0;
}

static void
test_bulk(void)
{
	struct usage	*u;
	const char	*errstr;
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*seen;
	int		 i, n, names_ok, all_once;

	u = usage_open(tpath("ledger.db"), &prices1, &errstr);
	ok(u != NULL, "a new database opens (%s)", errstr ? errstr : "ok");
	if (u == NULL)
		exit(done_testing());
	ok(usage_set_node(u, "node-a") == 0, "usage_set_node");
	ok(usage_fd(u) >= 0, "usage_fd is a descriptor");
	for (i = 0; i < 1000; i++)
		usage_submit(u, make_row(i), 0);
	seen = calloc(1000, 1);
	n = collect(u, 1000, seen, 20000);
	ok(n == 1000, "1000 rows handed back committed (%d)", n);
	for (all_once = 1, i = 0; i < 1000; i++)
		all_once &= seen[i] == 1;
	ok(all_once, "each row handed back exactly once");
	ok(usage_backlog(u) == 0, "backlog is 0 (%lu)", usage_backlog(u));
	ok(usage_done(u) == NULL, "nothing more to collect");
	/* usage_library_init() (first thing in main) turned SQLite's
	 * memory statistics, and the global mutex they take, off. */
	ok(sqlite3_memory_used() == 0, "SQLite kept no memory statistics "
	    "for 1000 rows (%lld bytes)", (long long)sqlite3_memory_used());
	free(seen);
	/* Rows submitted and never collected are committed by close. */
	for (i = 1000; i < 1010; i++)
		usage_submit(u, make_row(i), 0);
	usage_close(u);

	ok(sqlite3_open_v2(tpath("ledger.db"), &db, SQLITE_OPEN_READONLY,
	    NULL) == SQLITE_OK, "sqlite3 opens the ledger");
	ok(q_int(db, "SELECT count(*) FROM invocations") == 1010,
	    "1010 rows in the table");
	ok(q_int(db, "PRAGMA user_version") == USAGE_SCHEMA_VERSION,
	    "user_version = 1");
	ok(q_text_is(db, "PRAGMA journal_mode", "wal"), "journal_mode = wal");
	ok(q_text_is(db, "SELECT value FROM meta WHERE key = 'app'", "fngw"),
	    "meta app = fngw");
	names_ok = 1;
	sqlite3_prepare_v2(db, "PRAGMA table_info(invocations)", -1, &st,
	    NULL);
	for (i = 0; sqlite3_step(st) == SQLITE_ROW; i++)
		if (columns[i] == NULL || strcmp(columns[i],
		    (const char *)sqlite3_column_text(st, 1)) != 0) {
			diag("column %d is %s", i, sqlite3_column_text(st, 1));
			names_ok = 0;
		}
	sqlite3_finalize(st);
	ok(names_ok && columns[i] == NULL, "columns exactly as specified");
	ok(q_int(db, "SELECT count(*) FROM invocations WHERE exit_code IS NULL")
	    == 505, "exit_code NULL where it was -1");
	ok(q_int(db, "SELECT exit_code FROM invocations"
	    " WHERE request_id = 'req-7'") == 7, "exit_code kept otherwise");
	ok(q_int(db, "SELECT count(*) FROM invocations WHERE signal IS NULL")
	    == 757, "signal NULL where it was 0");
	ok(q_int(db, "SELECT count(*) FROM invocations WHERE tenant IS NULL")
	    == 505, "tenant NULL when none");
	ok(q_int(db, "SELECT count(*) FROM invocations WHERE node = 'node-a'")
	    == 1010, "node written into every row");
	ok(q_int(db, "SELECT started_at FROM invocations"
	    " WHERE request_id = 'req-5'") == 1700000000000005LL,
	    "started_at in microseconds");
	ok(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	    " AND sql LIKE '%(started_at)%'") == 0, "no index on started_at "
	    "alone (schema 5: the rollup index has it, behind the hour)");
	ok(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	    " AND sql LIKE '%(request_id)%'") == 0, "no index on request_id "
	    "(schema 3: random keys cost a page per row)");
	ok(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	    " AND name = 'invocations_rollup'") == 1, "the rollup index");
	ok(q_int(db, "SELECT count(*) FROM prices") == 1, "one price period");
	sqlite3_close(db);
}

static void
test_reopen(void)
{
	struct usage	*u;
	const char	*errstr;
	sqlite3		*db;

	u = usage_open(tpath("ledger.db"), &prices1, &errstr);
	ok(u != NULL, "our own ledger reopens (%s)", errstr ? errstr : "ok");
	usage_close(u);
	sqlite3_open(tpath("ledger.db"), &db);
	ok(q_int(db, "SELECT count(*) FROM prices") == 1,
	    "same prices: no new period");
	sqlite3_close(db);

	u = usage_open(tpath("ledger.db"), &prices2, &errstr);
	ok(u != NULL, "reopens with new prices");
	usage_close(u);
	sqlite3_open(tpath("ledger.db"), &db);
	ok(q_int(db, "SELECT count(*) FROM prices") == 2,
	    "changed prices: a new period");
	ok(q_text_is(db, "SELECT per_request FROM prices ORDER BY id LIMIT 1",
	    "0.0000002"), "the old period is untouched");
	ok(q_int(db, "SELECT count(*) FROM invocations") == 1010,
	    "rows survive reopening");
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	errstr = NULL;
	u = usage_open(tpath("ledger.db"), &prices2, &errstr);
	ok(u == NULL && errstr != NULL && strstr(errstr, "newer") != NULL,
	    "a newer schema is refused (%s)", errstr ? errstr : "none");
	usage_close(u);
}

static void
test_foreign(void)
{
	struct usage	*u;
	const char	*errstr;
	struct usage_prices bad = prices1;
	sqlite3		*db;
	char		*before, *after;
	size_t		 lb, la;
	FILE		*f;

	sqlite3_open(tpath("foreign.db"), &db);
	sqlite3_exec(db, "CREATE TABLE foo(x); INSERT INTO foo VALUES (42);",
	    NULL, NULL, NULL);
	sqlite3_close(db);
	before = slurp(tpath("foreign.db"), &lb);
	errstr = NULL;
	u = usage_open(tpath("foreign.db"), &prices1, &errstr);
	ok(u == NULL && errstr != NULL && strstr(errstr, "foreign") != NULL,
	    "a foreign SQLite database is refused (%s)",
	    errstr ? errstr : "none");
	usage_close(u);
	after = slurp(tpath("foreign.db"), &la);
	ok(before && after && la == lb && memcmp(before, after, la) == 0,
	    "and left byte for byte unchanged");
	ok(!exists(tpath("foreign.db-wal")), "and not switched to WAL");
	free(before);
	free(after);

	f = fopen(tpath("notes.txt"), "w");
	fputs("these are my notes, not a database\n", f);
	fclose(f);
	errstr = NULL;
	u = usage_open(tpath("notes.txt"), &prices1, &errstr);
	ok(u == NULL && errstr != NULL && strstr(errstr, "not an SQLite"),
	    "a text file is refused (%s)", errstr ? errstr : "none");
	usage_close(u);
	after = slurp(tpath("notes.txt"), &la);
	ok(after && la == 35 && memcmp(after, "these are my", 12) == 0,
	    "and left unchanged");
	free(after);

	bad.up_per_request = "2e-7";
	errstr = NULL;
	u = usage_open(tpath("bad.db"), &bad, &errstr);
	ok(u == NULL && errstr != NULL, "a non-decimal price is refused");
	usage_close(u);
}

static void
test_billed(void)
{
	ok(usage_billed_ms(0, 0, 1) == 0, "0 us -> 0 ms");
	ok(usage_billed_ms(0, 1, 1) == 1, "1 us -> 1 ms");
	ok(usage_billed_ms(0, 1000, 1) == 1, "1000 us -> 1 ms");
	ok(usage_billed_ms(0, 1001, 1) == 2, "1001 us -> 2 ms");
	ok(usage_billed_ms(0, 150000, 100) == 200, "150 ms at 100 -> 200");
	ok(usage_billed_ms(0, 200000, 100) == 200, "200 ms at 100 -> 200");
	ok(usage_billed_ms(50000, 100001, 100) == 200, "init is billed too");
	ok(usage_billed_ms(0, 1001, 0) == 2, "granularity 0 is 1 ms");
}

static void
test_busy(void)
{
	struct usage	*u;
	const char	*errstr;
	sqlite3		*other;
	int		 i, n;

	u = usage_open(tpath("busy.db"), &prices1, &errstr);
	ok(u != NULL, "busy.db opens");
	if (u == NULL)
		return;
	sqlite3_open(tpath("busy.db"), &other);
	ok(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK, "another connection takes the write lock");
	for (i = 0; i < 50; i++)
		usage_submit(u, make_row(i), 0);
	n = collect(u, 50, NULL, 300);
	ok(n == 0 && usage_backlog(u) == 50,
	    "nothing commits while it is held (%d, backlog %lu)", n,
	    usage_backlog(u));
	for (i = 50; i < 60; i++)
		usage_submit(u, make_row(i), 0);
	sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
	n = collect(u, 60, NULL, 10000);
	ok(n == 60, "all 60 rows commit once it is released (%d)", n);
	ok(q_int(other, "SELECT count(*) FROM invocations") == 60,
	    "60 rows in the table");
	sqlite3_close(other);
	usage_close(u);
}

/*
 * Group commit with a linger: rows submitted with more = 1 wait for
 * their siblings and go in one transaction; a row with more = 0 ends
 * the wait at once.  The linger is long here (5 s) so that a slow or
 * sanitized run cannot split the batch; what ends it early is the row
 * that says no more are coming.
 */
static void
test_linger(void)
{
	struct usage	*u;
	const char	*errstr;
	struct timespec	 gap = { 0, 2000000 };	/* 2 ms between rows */
	long long	 t0;
	unsigned long	 c0;
	int		 i, n;

	u = usage_open(tpath("linger.db"), &prices1, &errstr);
	ok(u != NULL, "linger.db opens");
	if (u == NULL)
		return;
	usage_set_linger(u, 5000000);
	/* The first row has no recent one before it: no wait. */
	t0 = now_ms();
	usage_submit(u, make_row(0), 1);
	n = collect(u, 1, NULL, 4000);
	ok(n == 1 && now_ms() - t0 < 4000, "a first row is not kept waiting "
	    "(%lld ms)", now_ms() - t0);
	c0 = usage_commits(u);
	t0 = now_ms();
	for (i = 0; i < 5; i++) {
		usage_submit(u, make_row(i), 1);
		nanosleep(&gap, NULL);
	}
	n = collect(u, 5, NULL, 100);
	ok(n == 0, "rows with siblings still running wait (%d back)", n);
	usage_submit(u, make_row(5), 0);
	n = collect(u, 6, NULL, 4000);
	ok(n == 6, "the last row ends the wait: all 6 back (%d)", n);
	ok(now_ms() - t0 < 4000, "well before the linger ran out (%lld ms)",
	    now_ms() - t0);
	ok(usage_commits(u) - c0 == 1, "in one transaction (%lu)",
	    usage_commits(u) - c0);

	/* Rows at a trickle (further apart than the linger) do not wait
	 * for siblings either. */
	usage_set_linger(u, 300000);
	{
		struct timespec	 apart = { 0, 400000000 };	/* 400 ms */

		usage_submit(u, make_row(20), 1);
		n = collect(u, 1, NULL, 4000);
		nanosleep(&apart, NULL);
		c0 = usage_commits(u);
		t0 = now_ms();
		usage_submit(u, make_row(21), 1);
		n = collect(u, 1, NULL, 4000);
		ok(n == 1 && now_ms() - t0 < 250, "a row 400 ms after the last "
		    "is not held for the 300 ms linger (%lld ms)",
		    now_ms() - t0);
	}
	usage_set_linger(u, 5000000);

	/* A lone row (no siblings) commits at once, linger or not. */
	c0 = usage_commits(u);
	usage_submit(u, make_row(6), 0);
	n = collect(u, 1, NULL, 4000);
	ok(n == 1 && usage_commits(u) - c0 == 1, "a lone row commits alone");

	/* Without a linger, spaced rows make several transactions. */
	usage_set_linger(u, 0);
	c0 = usage_commits(u);
	for (i = 7; i < 12; i++) {
		usage_submit(u, make_row(i), 1);
		n = collect(u, 1, NULL, 4000);
	}
	ok(usage_commits(u) - c0 == 5, "linger 0: one commit per spaced row "
	    "(%lu)", usage_commits(u) - c0);
	usage_close(u);
}

/*
 * Under a steady flow of rows that say more are coming, the writer
 * waits once a commit: after a commit it waits for the next rows up to
 * a linger after it, and rows coming meanwhile do not wake it.  Idle in
 * between instead, the first row would wake it and it would sleep again
 * in the linger: two waits, and two wake-ups, a commit.
 */
static void
test_steady(void)
{
	struct usage	*u;
	const char	*errstr;
	struct timespec	 gap = { 0, 1000000 };	/* 1 ms between rows */
	unsigned long	 c0, s0, commits, sleeps;
	int		 i, n;

	u = usage_open(tpath("steady.db"), &prices1, &errstr);
	ok(u != NULL, "steady.db opens");
	if (u == NULL)
		return;
	usage_set_linger(u, 20000);		/* 20 ms */
	usage_submit(u, make_row(0), 0);
	(void)collect(u, 1, NULL, 4000);
	c0 = usage_commits(u);
	s0 = usage_writer_sleeps(u);
	for (i = 1; i <= 200; i++) {
		usage_submit(u, make_row(i), 1);
		nanosleep(&gap, NULL);
	}
	usage_submit(u, make_row(201), 0);
	n = collect(u, 201, NULL, 10000);
	ok(n == 201, "201 rows, 1 ms apart, committed (%d)", n);
	commits = usage_commits(u) - c0;
	sleeps = usage_writer_sleeps(u) - s0;
	ok(commits >= 6 && sleeps <= commits + 3, "the writer waited %lu "
	    "times for %lu commits", sleeps, commits);
	usage_close(u);
}

/*
 * Checkpoints come every 1000 WAL pages, in a thread of their own:
 * after 2000 commits of one row each (about 6000 pages, 24 MiB of WAL
 * if it were never started over), the WAL has been started over and
 * stays small.  The copies beside the writer let it run on past the
 * 1000 pages (4 MiB): 4.8 MB seen.
 */
static void
test_checkpoint(void)
{
	struct usage	*u;
	const char	*errstr;
	struct stat	 sb;
	int		 i, n = 0;

	u = usage_open(tpath("ckpt.db"), &prices1, &errstr);
	ok(u != NULL, "ckpt.db opens");
	if (u == NULL)
		return;
	for (i = 0; i < 2000; i++) {
		usage_submit(u, make_row(i), 0);
		n += collect(u, 1, NULL, 4000);
	}
	ok(n == 2000, "2000 rows, one commit each (%d)", n);
	memset(&sb, 0, sizeof(sb));
	i = stat(tpath("ckpt.db-wal"), &sb);
	ok(i == 0 && sb.st_size < 16 * 1048576,
	    "the WAL stays under 16 MiB (%lld bytes)", (long long)sb.st_size);
	/* Run beside the writer, in the checkpoint thread: in the writer,
	 * each held every row behind it for its fdatasyncs. */
	ok(usage_checkpoints(u) >= 1, "the checkpoint thread ran them (%lu)",
	    usage_checkpoints(u));
	usage_close(u);
}

/*
 * Commits back to back, never a gap between them: a checkpoint copying
 * the WAL beside the writer never finds it all copied, and the WAL
 * would never start over (it grew by 60 MB a second behind nginx) but
 * for the last copy, made with the writer held.  5000 commits of about
 * one row (15000 pages, 60 MiB if never started over).
 */
static void
test_checkpoint_busy(void)
{
	struct usage		*u;
	struct usage_row	*list, *next;
	const char		*errstr;
	struct stat		 sb;
	struct timespec		 gap = { 0, 20000 };	/* 20 us */
	int			 i, got = 0, committed = 0;

	u = usage_open(tpath("busy.db"), &prices1, &errstr);
	ok(u != NULL, "busy.db opens");
	if (u == NULL)
		return;
	usage_set_linger(u, 0);
	for (i = 0; i < 5000; i++) {
		usage_submit(u, make_row(i), 0);
		(void)nanosleep(&gap, NULL);
		for (list = usage_done(u); list != NULL; list = next) {
			next = list->ur_next;
			committed += list->ur_committed == 1;
			got++;
			usage_row_free(list);
		}
	}
	committed += collect(u, 5000 - got, NULL, 20000);
	ok(committed == 5000, "5000 rows committed (%d in %lu commits)",
	    committed, usage_commits(u));
	memset(&sb, 0, sizeof(sb));
	i = stat(tpath("busy.db-wal"), &sb);
	ok(i == 0 && sb.st_size < 16 * 1048576,
	    "the WAL stays under 16 MiB (%lld bytes, %lu checkpoints)",
	    (long long)sb.st_size, usage_checkpoints(u));
	usage_close(u);
}

/*
 * A report holding its snapshot stops every checkpoint where the
 * snapshot began.  The checkpointer then leaves the writer alone: a
 * copy made with it held could get no further, and were the reader to
 * let go just then, it would copy the whole backlog with every row
 * (and its request's END) waiting.  Once the reader is gone the WAL is
 * copied back and starts over as before.
 */
static void
test_checkpoint_reader(void)
{
	struct usage	*u;
	sqlite3		*rd = NULL;
	const char	*errstr;
	long long	 end;
	unsigned long	 runs, ck;
	int		 i, n = 0;

	u = usage_open(tpath("reader.db"), &prices1, &errstr);
	ok(u != NULL, "reader.db opens");
	if (u == NULL)
		return;
	usage_submit(u, make_row(0), 0);
	n += collect(u, 1, NULL, 4000);
	ok(sqlite3_open_v2(tpath("reader.db"), &rd, SQLITE_OPEN_READONLY,
	    NULL) == SQLITE_OK && sqlite3_exec(rd, "BEGIN", NULL, NULL,
	    NULL) == SQLITE_OK && q_int(rd, "SELECT count(*) FROM "
	    "invocations") == 1, "a reader holds its snapshot");
	for (i = 1; i < 1500; i++) {
		usage_submit(u, make_row(i), 0);
		n += collect(u, 1, NULL, 4000);
	}
	end = now_ms() + 4000;
	while (usage_checkpoint_runs(u) < 3 && now_ms() < end)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	runs = usage_checkpoint_runs(u);
	ck = usage_checkpoints(u);
	ok(runs >= 3, "checkpoints were asked for behind the reader (%lu)",
	    runs);
	ok(usage_checkpoint_held_max(u) <= 32, "none held the writer for "
	    "more than the last 32 frames (at most %d)",
	    usage_checkpoint_held_max(u));
	(void)sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(rd);
	for (i = 1500; i < 1600; i++) {
		usage_submit(u, make_row(i), 0);
		n += collect(u, 1, NULL, 4000);
	}
	end = now_ms() + 4000;
	while (usage_checkpoints(u) == ck && now_ms() < end)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ok(n == 1600 && usage_checkpoints(u) > ck, "with the reader gone, "
	    "the WAL is copied back (%d rows, %lu checkpoints)", n,
	    usage_checkpoints(u) - ck);
	ok(usage_checkpoint_held_max(u) <= 32, "still none held the writer "
	    "for more than 32 frames (at most %d)",
	    usage_checkpoint_held_max(u));
	for (i = 1600; i < 1700; i++) {
		usage_submit(u, make_row(i), 0);
		n += collect(u, 1, NULL, 4000);
	}
	/* PASSIVE from here copies what it can and says how many frames
	 * the WAL holds: about 3 a commit since it started over, 4800 if
	 * it never did. */
	rd = NULL;
	i = -3;
	if (sqlite3_open_v2(tpath("reader.db"), &rd, SQLITE_OPEN_READWRITE,
	    NULL) == SQLITE_OK)
		i = (int)q_int_col(rd, "PRAGMA wal_checkpoint(PASSIVE)", 1);
	ok(i >= 0 && i < 1000, "the WAL started over (%d frames in it)", i);
	sqlite3_close(rd);
	usage_close(u);
}

/*
 * usage_warm: after a quiet spell (no commit for 50 ms) the writer
 * reads where the next row goes, once; not while rows come in.
 */
static void
test_warm(void)
{
	struct usage	*u;
	const char	*errstr;
	struct timespec	 quiet = { 0, 80000000 };	/* 80 ms */
	long long	 end;
	unsigned long	 w0;

	u = usage_open(tpath("warm.db"), &prices1, &errstr);
	ok(u != NULL, "warm.db opens");
	if (u == NULL)
		return;
	usage_submit(u, make_row(1), 0);
	ok(collect(u, 1, NULL, 4000) == 1, "a row in");
	w0 = usage_warmups(u);
	usage_warm(u);
	ok(usage_warmups(u) == w0, "no warm-up right after a commit");
	nanosleep(&quiet, NULL);
	usage_warm(u);
	usage_warm(u);
	usage_warm(u);
	end = now_ms() + 4000;
	while (usage_warmups(u) == w0 && now_ms() < end)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ok(usage_warmups(u) == w0 + 1, "after 80 ms quiet: one warm-up for "
	    "three calls (%lu)", usage_warmups(u) - w0);
	usage_submit(u, make_row(2), 0);
	ok(collect(u, 1, NULL, 4000) == 1, "the next row commits after it");
	usage_warm(NULL);
	usage_close(u);
}

/*
 * The warm-up looks up the ends of the ledger and scans nothing: with
 * "SELECT max(id), max(started_at)" it read the whole started_at index,
 * 69 ms a million rows, while the rows of the requests that came in
 * waited.  SQLite's VM steps say which: a few dozen, against one or
 * more per row for a scan.
 */
static void
test_warm_big(void)
{
	struct usage	*u;
	const char	*errstr, *path = tpath("warmbig.db");
	struct timespec	 quiet = { 0, 80000000 };	/* 80 ms */
	long long	 end;
	unsigned long	 w0;

	u = usage_open(path, &prices1, &errstr);
	ok(u != NULL, "warmbig.db opens");
	if (u == NULL)
		return;
	usage_close(u);
	ok(bulk_rows(path, 50000, 1700000000000000LL, "f", NULL) == 0,
	    "50 000 rows put in");
	u = usage_open(path, &prices1, &errstr);
	ok(u != NULL, "warmbig.db opens again");
	if (u == NULL)
		return;
	usage_submit(u, make_row(1), 0);
	ok(collect(u, 1, NULL, 4000) == 1, "a row in");
	w0 = usage_warmups(u);
	nanosleep(&quiet, NULL);
	usage_warm(u);
	end = now_ms() + 4000;
	while (usage_warmups(u) == w0 && now_ms() < end)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ok(usage_warmups(u) == w0 + 1, "a warm-up ran");
	ok(usage_warm_steps(u) > 0 && usage_warm_steps(u) < 500,
	    "it looked the ends up, no scan: %lu VM steps for 50 001 rows",
	    usage_warm_steps(u));
	usage_close(u);
}

/*
 * Spilled rows are replayed once the ledger takes rows again, each
 * looked up first (a row already in is not written twice).  Schema 5
 * has no index of started_at alone: the look-up seeks in the rollup
 * index down to the row's started_at, a few pages of a big ledger.
 * Written "started_at = ?", SQLite put the value into the hour's
 * expression, which then matched no index, and scanned the table: a VM
 * step or more per row of it for each spilled row.
 */
static void
test_replay_big(void)
{
	struct usage		*u;
	struct usage_row	*rows[3];
	sqlite3			*db;
	const char		*errstr, *path = tpath("replay.db");
	char			 spill[4096];
	long long		 end;
	int			 i;

	u = usage_open(path, &prices1, &errstr);
	ok(u != NULL, "replay.db opens");
	if (u == NULL)
		return;
	usage_submit(u, make_row(1), 0);
	ok(collect(u, 1, NULL, 4000) == 1, "a row in");
	usage_close(u);
	/* 50 000 more in the same hour, function, tenant and outcome:
	 * the rollup index's group of the spilled rows. */
	ok(bulk_rows(path, 50000, 1700000000000010LL, "resize", "acme") == 0,
	    "50 000 rows put in");
	/* The spill: the row that is in already, and two that are not. */
	(void)snprintf(spill, sizeof(spill), "%s.spill", path);
	rows[0] = make_row(1);
	rows[1] = make_row(3);
	rows[2] = make_row(5);
	rows[0]->ur_next = rows[1];
	rows[1]->ur_next = rows[2];
	ok(spill_append(spill, rows[0]) == 0, "3 rows in the spill");
	for (i = 0; i < 3; i++)
		usage_row_free(rows[i]);
	u = usage_open(path, &prices1, &errstr);
	ok(u != NULL, "replay.db opens with its spill");
	if (u == NULL)
		return;
	end = now_ms() + 10000;
	while (access(spill, F_OK) == 0 && now_ms() < end)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ok(access(spill, F_OK) == -1, "the spill is replayed and removed");
	ok(usage_replay_steps(u) > 0 && usage_replay_steps(u) < 500,
	    "3 look-ups, no scan: %lu VM steps for 50 001 rows",
	    usage_replay_steps(u));
	usage_close(u);
	sqlite3_open(path, &db);
	ok(q_int(db, "SELECT count(*) FROM invocations") == 50003,
	    "the two new rows in, the one there already not again");
	ok(q_int(db, "SELECT count(*) FROM invocations WHERE request_id ="
	    " 'req-1'") == 1, "req-1 once");
	sqlite3_close(db);
}

/*
 * Schema 3 to 5: the rollup index is made again with started_at right
 * after the grouping keys (appended rows touch few pages), the index of
 * started_at alone goes; rows kept.
 */
static void
test_upgrade(void)
{
	struct usage	*u;
	const char	*errstr;
	sqlite3		*db;
	int		 i;

	u = usage_open(tpath("old.db"), &prices1, &errstr);
	ok(u != NULL, "old.db opens");
	if (u == NULL)
		return;
	for (i = 0; i < 20; i++)
		usage_submit(u, make_row(i), 0);
	ok(collect(u, 20, NULL, 10000) == 20, "20 rows in");
	usage_close(u);
	/* Back to version 3 as it was written. */
	sqlite3_open(tpath("old.db"), &db);
	ok(sqlite3_exec(db, "DROP INDEX invocations_rollup;"
	    "CREATE INDEX invocations_rollup ON invocations("
	    "started_at / 3600000000, function, tenant, outcome, memory_mb,"
	    " billed_ms, cpu_user_us, cpu_sys_us, started_at);"
	    "PRAGMA user_version = 3;", NULL, NULL, NULL) == SQLITE_OK,
	    "made a version 3 ledger");
	sqlite3_close(db);
	u = usage_open(tpath("old.db"), &prices1, &errstr);
	ok(u != NULL, "a version 3 ledger opens (%s)", errstr ? errstr : "ok");
	if (u == NULL)
		return;
	usage_close(u);
	sqlite3_open(tpath("old.db"), &db);
	ok(q_int(db, "PRAGMA user_version") == USAGE_SCHEMA_VERSION,
	    "upgraded to version %d", USAGE_SCHEMA_VERSION);
	ok(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name ="
	    " 'invocations_rollup' AND sql LIKE '%outcome, started_at,"
	    " memory_mb%'") == 1, "the rollup index has started_at fifth");
	ok(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type ="
	    " 'index' AND tbl_name = 'invocations'") == 1,
	    "version 5: the rollup index is the table's only index");
	ok(q_int(db, "SELECT count(*) FROM invocations") == 20,
	    "the rows are kept");
	ok(q_int(db, "SELECT count(*) FROM (SELECT started_at / 3600000000,"
	    " function, tenant, outcome, count(*) FROM invocations"
	    " INDEXED BY invocations_rollup GROUP BY 1, 2, 3, 4)") == 4,
	    "the report's grouping reads from it");
	sqlite3_close(db);
}

int
main(void)
{
	char	 cmd[128];

	usage_library_init();
	snprintf(dir, sizeof(dir), "/tmp/usage_test.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_bulk();
	test_reopen();
	test_foreign();
	test_billed();
	test_busy();
	test_linger();
	test_steady();
	test_warm();
	test_warm_big();
	test_checkpoint();
	test_checkpoint_busy();
	test_checkpoint_reader();
	test_replay_big();
	test_upgrade();
	usage_close(NULL);
	usage_row_free(NULL);
	ok(1, "usage_close(NULL) and usage_row_free(NULL) are harmless");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
