/*
 * usage.c -- the usage ledger's single writer: opens (creating or
 * checking) the SQLite database, then one thread commits the rows the
 * loop submits in group commits and hands them back through an eventfd.
 * The report side (`fngw usage`) lives in report.c.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spill.h"
#include "usage.h"
#include "util.h"

#define USAGE_BUSY_TIMEOUT_MS	100	/* sqlite's own wait per attempt */
#define USAGE_RETRY_NS		20000000L	/* our pause between attempts */
#define USAGE_CLOSE_RETRIES	100	/* busy rounds allowed once closing */
#define USAGE_BUSY_SPILL_US	500000	/* busy this long: rows go to spill */
#define USAGE_PROBE_MS		1000	/* failing: try the ledger this often */
#define USAGE_BATCH_MAX		64	/* rows that end a linger at once */
#define USAGE_LINGER_US		100	/* the longest wait for siblings */
#define USAGE_COLD_US		50000	/* idle this long: warm up first */
#define USAGE_CHECKPOINT_PAGES	1000	/* WAL pages between checkpoints */
#define USAGE_AUTOCKPT_PAGES	300	/* the same, made by the writer */
#define USAGE_CHECKPOINT_REST	32	/* frames copied with the writer held */
#define USAGE_CHECKPOINT_TRIES	4	/* copies beside it before that */
#define USAGE_STR_(x)		#x
#define USAGE_STR(x)		USAGE_STR_(x)

struct usage {
	sqlite3			*u_db;
	sqlite3_stmt		*u_insert;	/* prepared once */
	sqlite3_stmt		*u_begin, *u_commit;	/* likewise */
	sqlite3_stmt		*u_warm_st;	/* likewise (usage_warm) */
	char			*u_node;
	int			 u_efd;		/* rows waiting in u_done */
	pthread_t		 u_thread;
	pthread_mutex_t		 u_mtx;		/* guards everything below */
	pthread_cond_t		 u_cond;
	int			 u_idle;	/* the writer waits on u_cond */
	int			 u_lingering;	/* it waits for siblings */
	int			 u_more;	/* the last submitter expects
						 * more rows soon */
	unsigned		 u_npending;
	uint64_t		 u_pending_since; /* monotonic us, first row */
	uint64_t		 u_last_submit;	/* monotonic us */
	long			 u_linger_us;
	int			 u_warm;	/* usage_warm() asked */
	uint64_t		 u_last_busy;	/* monotonic us; atomic */
	unsigned long		 u_warmups;	/* the writer's; atomic */
	unsigned long		 u_warm_steps;	/* VM steps of the last one */
	unsigned long		 u_replay_steps; /* of the replays' look-ups */
	unsigned long		 u_commits;	/* the writer's; atomic */
	unsigned long		 u_rows;	/* rows those committed; atomic */
	unsigned long		 u_spilled_rows; /* rows to the spill; atomic */
	struct usage_row	*u_pending, **u_pending_tail;
	struct usage_row	*u_done, **u_done_tail;
	unsigned long		 u_submitted;	/* the loop's own */
	unsigned long		 u_handed;	/* the loop's own */
	int			 u_stop;
	int			 u_failing;	/* logged; cleared on success;
						 * read by the loop (atomic) */
	/* The writer's own. */
	char			*u_spill;	/* billing_db.spill */
	int			 u_spilled;	/* the spill file holds rows */
	int			 u_spill_failed; /* logged */
	sqlite3_stmt		*u_exists;	/* a row already in? (replay) */
	uint64_t		 u_tick_until;	/* rows expected until then */
	unsigned long		 u_sleeps;	/* its waits on u_cond; atomic */
	/* The checkpointer's (usage_checkpointer). */
	sqlite3			*u_ckdb;	/* NULL: the writer checkpoints */
	pthread_t		 u_ckthread;
	pthread_mutex_t		 u_gate;	/* held by the writer's commits */
	pthread_mutex_t		 u_ckmtx;	/* guards the two below */
	pthread_cond_t		 u_ckcond;
	int			 u_ckwant;	/* asked for; read atomic */
	int			 u_ckstop;
	unsigned long		 u_checkpoints;	/* atomic */
	unsigned long		 u_ckruns;	/* asked and run; atomic */
	int			 u_ckheld_max;	/* frames left at a held
						 * copy, the most; atomic */
};

static _Thread_local char	 usage_errbuf[512];

static void	usage_list_free(struct usage_row *);
static void	usage_warm_up(struct usage *);

/*
 * Schema version 4.  Each entry of usage_migrations takes the database
 * from version i to i + 1; a new database runs them all (the entries
 * are history: never edit one, add the next).  Version 2 adds
 * invocations_rollup, a covering index in (hour, function, tenant,
 * outcome) order: `fngw usage` aggregates per hour from it without a
 * sort or a table lookup (report.c's query must use the same
 * expression, started_at / 3600000000).  Version 3 drops the index on
 * request_id: request ids are random, so each row dirtied a page of it
 * of its own, about an eighth of a warm request's cost; a lookup by
 * request id narrows by started_at (indexed) instead.  Version 4 moves
 * started_at in the rollup index up to just after the four grouping
 * keys: with billed_ms and the CPU times before it, each row landed on
 * a random leaf page inside its hour's group, so a commit wrote a page
 * of the index per row; now rows are appended at the end of their group
 * (a few hot pages), which halves what a commit costs (bench notes in
 * issue 7).  The report reads the same columns, grouped the same way.
 * Version 5 drops the index on started_at: the rollup index holds
 * started_at too, behind its hour, and every query of fngw's that
 * narrows by time bounds the hour as well (the reports, the prune, the
 * replay's lookup); the index cost a fifth of SQLite's work a row and
 * a page more in every commit (bench/sqlfloor.c: 6.7 to 5.2 us a row
 * at 4.3 rows a commit, 15.4 to 11.6 at one).
 */
static const char *const usage_migrations[] = {
	"CREATE TABLE IF NOT EXISTS meta ("
	"key TEXT PRIMARY KEY, value TEXT);"
	"INSERT OR REPLACE INTO meta(key, value) VALUES ('app', 'fngw');"
	"CREATE TABLE IF NOT EXISTS invocations ("
	"id INTEGER PRIMARY KEY, request_id TEXT NOT NULL,"
	" started_at INTEGER NOT NULL, node TEXT NOT NULL,"
	" function TEXT NOT NULL, tenant TEXT, trigger TEXT NOT NULL,"
	" method TEXT, path TEXT, status INTEGER, outcome TEXT NOT NULL,"
	" queue_us INTEGER, duration_us INTEGER, billed_ms INTEGER,"
	" memory_mb INTEGER, cpu_user_us INTEGER, cpu_sys_us INTEGER,"
	" max_rss_kb INTEGER, bytes_in INTEGER, bytes_out INTEGER,"
	" cold_start INTEGER, init_us INTEGER, exit_code INTEGER,"
	" signal INTEGER);"
	"CREATE INDEX IF NOT EXISTS invocations_started_at"
	" ON invocations(started_at);"
	"CREATE INDEX IF NOT EXISTS invocations_request_id"
	" ON invocations(request_id);"
	"CREATE TABLE IF NOT EXISTS prices ("
	"id INTEGER PRIMARY KEY, since INTEGER NOT NULL,"
	" per_request TEXT NOT NULL, per_gb_second TEXT NOT NULL,"
	" granularity_ms INTEGER NOT NULL, currency TEXT NOT NULL);"
	"PRAGMA user_version = 1;",
	"CREATE INDEX IF NOT EXISTS invocations_rollup ON invocations("
	"started_at / 3600000000, function, tenant, outcome, memory_mb,"
	" billed_ms, cpu_user_us, cpu_sys_us, started_at);"
	"PRAGMA user_version = 2;",
	"DROP INDEX IF EXISTS invocations_request_id;"
	"PRAGMA user_version = 3;",
	"DROP INDEX IF EXISTS invocations_rollup;"
	"CREATE INDEX invocations_rollup ON invocations("
	"started_at / 3600000000, function, tenant, outcome, started_at,"
	" memory_mb, billed_ms, cpu_user_us, cpu_sys_us);"
	"PRAGMA user_version = 4;",
	"DROP INDEX IF EXISTS invocations_started_at;"
	"PRAGMA user_version = 5;",
};

static const char usage_insert_sql[] =
    "INSERT INTO invocations(request_id, started_at, node, function,"
    " tenant, trigger, method, path, status, outcome, queue_us,"
    " duration_us, billed_ms, memory_mb, cpu_user_us, cpu_sys_us,"
    " max_rss_kb, bytes_in, bytes_out, cold_start, init_us, exit_code,"
    " signal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?, ?, ?, ?)";

/*
 * Is a spilled row in the ledger already?  A seek in the rollup index
 * down to its started_at (schema 5 has no index of started_at alone).
 * BETWEEN, not "started_at = ?2": SQLite would put ?2 in place of
 * started_at in the hour's expression, which then matches no index, and
 * scan the table (EXPLAIN QUERY PLAN; usage_test counts the look-ups'
 * VM steps: 70 for three on 50 001 rows, 600 074 with "=").
 */
static const char usage_exists_sql[] =
    "SELECT 1 FROM invocations WHERE started_at / 3600000000 = ?3"
    " AND function = ?4 AND tenant IS ?5 AND outcome = ?6"
    " AND started_at BETWEEN ?2 AND ?2 AND request_id = ?1";

static const char *
usage_err(const char *path, const char *what)
{
	(void)snprintf(usage_errbuf, sizeof(usage_errbuf), "%s: %s", path,
	    what);
	return usage_errbuf;
}

/*
 * A file that exists and is not empty must start with SQLite's magic;
 * checked by hand so that a stray text file gets a clear message and is
 * never touched.  Returns 0 (SQLite, empty or absent), 1 (something
 * else) or -1 (errno: cannot read it).
 */
static int
usage_check_magic(const char *path)
{
	static const char	 magic[16] = "SQLite format 3";
	char			 hdr[16];
	ssize_t			 n;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	n = read(fd, hdr, sizeof(hdr));
	fd_close(&fd);
	if (n == -1)
		return -1;
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr, magic, sizeof(hdr)) != 0)
		return 1;
	return 0;
}

static int
usage_int_query(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Inside the open transaction: is this our ledger (or an empty
 * database), and at which version?  Then migrate.
 */
static int
usage_schema(sqlite3 *db, const char *path, const char **errstr)
{
	long long	 ntables, ours = 0, version;
	size_t		 v;
	char		 num[64];
	const char	*why = NULL;

	if (usage_int_query(db, "SELECT count(*) FROM sqlite_master",
	    &ntables) == -1)
		goto fail;
	if (ntables > 0) {
		if (usage_int_query(db, "SELECT count(*) FROM sqlite_master"
		    " WHERE type = 'table' AND name = 'meta'", &ours) == -1)
			goto fail;
		if (ours != 0 && usage_int_query(db, "SELECT count(*) FROM meta"
		    " WHERE key = 'app' AND value = 'fngw'", &ours) == -1)
			goto fail;
		why = "not an fngw usage ledger (a foreign SQLite database);"
		    " refusing to touch it";
		if (ours == 0)
			goto fail;
		why = NULL;
	}
	if (usage_int_query(db, "PRAGMA user_version", &version) == -1)
		goto fail;
	if (version > USAGE_SCHEMA_VERSION) {
		(void)snprintf(num, sizeof(num), "schema version %lld was made"
		    " by a newer fngw", version);
		why = num;
		goto fail;
	}
	for (v = (size_t)(version < 0 ? 0 : version);
	    v < sizeof(usage_migrations) / sizeof(usage_migrations[0]); v++)
		if (sqlite3_exec(db, usage_migrations[v], NULL, NULL,
		    NULL) != SQLITE_OK)
			goto fail;
	return 0;
fail:
	*errstr = usage_err(path, why != NULL ? why : sqlite3_errmsg(db));
	return -1;
}

/*
 * Record the prices unless the latest period has exactly these: a
 * change starts a new period, so old rows keep the prices they were
 * written under.
 */
static int
usage_prices(sqlite3 *db, const struct usage_prices *up)
{
	sqlite3_stmt	*st = NULL;
	int		 rc, same = 0;

	if (sqlite3_prepare_v2(db, "SELECT per_request, per_gb_second,"
	    " granularity_ms, currency FROM prices"
	    " ORDER BY since DESC, id DESC LIMIT 1", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		same = strcmp((const char *)sqlite3_column_text(st, 0),
		    up->up_per_request) == 0 &&
		    strcmp((const char *)sqlite3_column_text(st, 1),
		    up->up_per_gb_second) == 0 &&
		    (uint64_t)sqlite3_column_int64(st, 2) ==
		    up->up_granularity_ms &&
		    strcmp((const char *)sqlite3_column_text(st, 3),
		    up->up_currency) == 0;
	else if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (same)
		return 0;
	if (sqlite3_prepare_v2(db, "INSERT INTO prices(since, per_request,"
	    " per_gb_second, granularity_ms, currency) VALUES (?, ?, ?, ?, ?)",
	    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)util_wall_us());
	sqlite3_bind_text(st, 2, up->up_per_request, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, up->up_per_gb_second, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)up->up_granularity_ms);
	sqlite3_bind_text(st, 5, up->up_currency, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	sqlite3_finalize(st);
	return -1;
}

static int
usage_pragma_is(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt	*st = NULL;
	int		 r = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL &&
	    strcmp((const char *)sqlite3_column_text(st, 0), want) == 0)
		r = 0;
	sqlite3_finalize(st);
	return r;
}

void
usage_library_init(void)
{
	/*
	 * SQLite counts the bytes it holds unless told not to, under a
	 * global mutex taken at each of its allocations: 1.7k of the 41k
	 * instructions an inserted row takes (callgrind on bench/sqlfloor.c).
	 * fngw never asks sqlite3_memory_used().  SQLITE_MISUSE once SQLite
	 * has started: then it keeps counting, nothing worse.
	 */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void
usage_bind_text(sqlite3_stmt *st, int i, const char *s, int required)
{
	if (s == NULL && !required)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s == NULL ? "" : s, -1,
		    SQLITE_STATIC);
}

static void
usage_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, v > INT64_MAX ? INT64_MAX :
	    (sqlite3_int64)v);
}

static int
usage_insert(struct usage *u, const struct usage_row *r)
{
	sqlite3_stmt	*st = u->u_insert;
	int		 rc;

	/* Required columns get "" rather than fail the whole batch. */
	usage_bind_text(st, 1, r->ur_request_id, 1);
	sqlite3_bind_int64(st, 2, r->ur_started_at);
	usage_bind_text(st, 3, u->u_node, 1);
	usage_bind_text(st, 4, r->ur_function, 1);
	usage_bind_text(st, 5, r->ur_tenant, 0);
	usage_bind_text(st, 6, r->ur_trigger, 1);
	usage_bind_text(st, 7, r->ur_method, 0);
	usage_bind_text(st, 8, r->ur_path, 0);
	sqlite3_bind_int(st, 9, r->ur_status);
	usage_bind_text(st, 10, r->ur_outcome, 1);
	usage_bind_u64(st, 11, r->ur_queue_us);
	usage_bind_u64(st, 12, r->ur_duration_us);
	usage_bind_u64(st, 13, r->ur_billed_ms);
	usage_bind_u64(st, 14, r->ur_memory_mb);
	usage_bind_u64(st, 15, r->ur_cpu_user_us);
	usage_bind_u64(st, 16, r->ur_cpu_sys_us);
	usage_bind_u64(st, 17, r->ur_max_rss_kb);
	usage_bind_u64(st, 18, r->ur_bytes_in);
	usage_bind_u64(st, 19, r->ur_bytes_out);
	sqlite3_bind_int(st, 20, r->ur_cold_start != 0);
	usage_bind_u64(st, 21, r->ur_init_us);
	if (r->ur_exit_code == -1)
		sqlite3_bind_null(st, 22);
	else
		sqlite3_bind_int(st, 22, r->ur_exit_code);
	if (r->ur_signal == 0)
		sqlite3_bind_null(st, 23);
	else
		sqlite3_bind_int(st, 23, r->ur_signal);
	/* No sqlite3_clear_bindings(): every parameter is bound above, for
	 * every row (0.5k instructions a row saved). */
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc;
}

/*
 * One group commit.  Returns 0 when every row is in, 1 when the database
 * was busy (nothing written; try again), -1 on any other error.
 */
static int	usage_commit_rows(struct usage *, struct usage_row *);

static int
usage_commit(struct usage *u, struct usage_row *batch)
{
	int	rc;

	if (u->u_ckdb != NULL)
		pthread_mutex_lock(&u->u_gate);
	rc = usage_commit_rows(u, batch);
	if (u->u_ckdb != NULL)
		pthread_mutex_unlock(&u->u_gate);
	return rc;
}

static int
usage_commit_rows(struct usage *u, struct usage_row *batch)
{
	struct usage_row	*r;
	int			 rc;

	/* Prepared statements, not sqlite3_exec(): a commit a request
	 * would otherwise parse "BEGIN IMMEDIATE" and "COMMIT" anew. */
	rc = sqlite3_step(u->u_begin);
	(void)sqlite3_reset(u->u_begin);
	if (rc != SQLITE_DONE)
		goto fail;
	for (r = batch; r != NULL; r = r->ur_next)
		if ((rc = usage_insert(u, r)) != SQLITE_DONE)
			goto fail;
	rc = sqlite3_step(u->u_commit);
	(void)sqlite3_reset(u->u_commit);
	if (rc != SQLITE_DONE)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(u->u_db))
		(void)sqlite3_exec(u->u_db, "ROLLBACK", NULL, NULL, NULL);
	rc &= 0xff;		/* the primary code of an extended one */
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 1;
	if (!u->u_failing)
		log_error("db_error=\"%s\"", sqlite3_errmsg(u->u_db));
	return -1;
}

/*
 * Called with u_mtx held: the batch is finished, wake the loop.  The
 * eventfd is written with the mutex let go: the loop, woken at once on
 * the other core, takes the mutex in usage_done() first thing, and
 * would otherwise sleep on it until this thread lets go (two more
 * context switches per batch).
 */
static void
usage_finish(struct usage *u, struct usage_row *batch, int committed)
{
	struct usage_row	*r;
	uint64_t		 one = 1;

	if (batch == NULL)
		return;
	*u->u_done_tail = batch;
	for (r = batch; r != NULL; r = r->ur_next) {
		r->ur_committed = committed;
		u->u_done_tail = &r->ur_next;
	}
	pthread_mutex_unlock(&u->u_mtx);
	(void)write(u->u_efd, &one, sizeof(one));
	pthread_mutex_lock(&u->u_mtx);
}

/*
 * Read the ends of the table and of the rollup index, where the next
 * row goes: a commit after a quiet spell then finds SQLite's pages,
 * the WAL index and the kernel's structures warm.  On a VM a quiet
 * spell is expensive: a one-row commit took 0.1 to 0.4 ms after 200 ms
 * without work against 50 to 90 us back to back (bench notes, issue 7),
 * and it sits on the request's path.  A read: it blocks no writer, but
 * rows that come in meanwhile wait for it.
 *
 * One max() per subquery: SQLite looks a lone min() or max() up at the
 * end of a b-tree, but "SELECT max(id), max(started_at)" scans the whole
 * index (69 ms a million rows here), and every row submitted during it
 * waited: warm requests' p99 went to 30-80 ms once a ledger held half a
 * million rows (issue 7's "p99 in later rounds").  usage_warm_steps()
 * lets a test see that it does not scan.
 */
static const char usage_warm_sql[] =
    "SELECT (SELECT max(id) FROM invocations),"
    " (SELECT max(started_at / 3600000000) FROM invocations)";

static void
usage_warm_up(struct usage *u)
{
	while (sqlite3_step(u->u_warm_st) == SQLITE_ROW)
		;
	__atomic_store_n(&u->u_warm_steps, (unsigned long)
	    sqlite3_stmt_status(u->u_warm_st, SQLITE_STMTSTATUS_VM_STEP, 1),
	    __ATOMIC_RELAXED);
	(void)sqlite3_reset(u->u_warm_st);
	__atomic_store_n(&u->u_last_busy, util_now_us(), __ATOMIC_RELAXED);
	__atomic_add_fetch(&u->u_warmups, 1, __ATOMIC_RELAXED);
}

/* Called with u_mtx held: wait for rows up to until (monotonic us),
 * woken early only by a row that ends the wait (usage_submit()). */
static void
usage_wait_until(struct usage *u, uint64_t until)
{
	struct timespec	dl;

	dl.tv_sec = (time_t)(until / 1000000);
	dl.tv_nsec = (long)(until % 1000000) * 1000;
	u->u_lingering = 1;
	__atomic_add_fetch(&u->u_sleeps, 1, __ATOMIC_RELAXED);
	(void)pthread_cond_timedwait(&u->u_cond, &u->u_mtx, &dl);
	u->u_lingering = 0;
}

/*
 * Called with u_mtx held and rows pending.  A commit costs the same
 * for one row as for several (the WAL frames of the same few pages, the
 * locks, the wake-ups): while other requests are running whose rows
 * will follow within a moment (the submitter says so, and the last row
 * came less than a linger ago), wait for them, up to USAGE_LINGER_US
 * after the first row or USAGE_BATCH_MAX rows.  A lone request, or
 * one at a trickle, is committed at once: a quiet gateway adds no
 * latency.
 */
static void
usage_linger(struct usage *u)
{
	uint64_t	until;

	if (u->u_pending == NULL || u->u_linger_us <= 0 || u->u_spilled)
		return;
	until = u->u_pending_since + (uint64_t)u->u_linger_us;
	/* Rows that came while the writer waited for them (usage_writer)
	 * have waited since its commit before: up to then, no longer. */
	if (u->u_tick_until != 0 && u->u_tick_until < until)
		until = u->u_tick_until;
	while (u->u_more && !u->u_stop && u->u_npending < USAGE_BATCH_MAX &&
	    util_now_us() < until)
		usage_wait_until(u, until);
}

static void
usage_set_failing(struct usage *u, int on, const char *why)
{
	if (on && !u->u_failing)
		log_error("usage ledger cannot be written (%s): rows go to %s "
		    "until it can", why, u->u_spill);
	else if (!on && u->u_failing)
		log_info("usage ledger writable again");
	__atomic_store_n(&u->u_failing, on, __ATOMIC_RELAXED);
}

/*
 * Move the spill file's rows into the ledger, skipping those already in
 * (a crash between the commit and the unlink must not bill twice).
 * Returns 0 when the spill is gone, -1 when the ledger still fails.
 */
static int
usage_replay(struct usage *u)
{
	struct usage_row	*rows, *r, **pp;
	unsigned long		 bad, n = 0;
	int			 err, rc;

	rows = spill_read(u->u_spill, &err, &bad);
	if (err != 0) {
		log_error("spill %s: %s", u->u_spill, strerror(err));
		usage_list_free(rows);
		return -1;
	}
	if (bad > 0)
		log_error("spill %s: %lu lines unreadable, skipped", u->u_spill,
		    bad);
	for (pp = &rows; (r = *pp) != NULL; ) {
		sqlite3_bind_text(u->u_exists, 1, r->ur_request_id, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(u->u_exists, 2, r->ur_started_at);
		sqlite3_bind_int64(u->u_exists, 3, r->ur_started_at /
		    USAGE_HOUR_US);
		/* As usage_insert() wrote them. */
		usage_bind_text(u->u_exists, 4, r->ur_function, 1);
		usage_bind_text(u->u_exists, 5, r->ur_tenant, 0);
		usage_bind_text(u->u_exists, 6, r->ur_outcome, 1);
		rc = sqlite3_step(u->u_exists);
		__atomic_add_fetch(&u->u_replay_steps, (unsigned long)
		    sqlite3_stmt_status(u->u_exists,
		    SQLITE_STMTSTATUS_VM_STEP, 1), __ATOMIC_RELAXED);
		sqlite3_reset(u->u_exists);
		if (rc == SQLITE_ROW) {
			*pp = r->ur_next;
			r->ur_next = NULL;
			usage_row_free(r);
		} else {
			pp = &r->ur_next;
			n++;
		}
	}
	if (rows != NULL && usage_commit(u, rows) != 0) {
		usage_list_free(rows);
		return -1;
	}
	usage_list_free(rows);
	if (unlink(u->u_spill) == -1 && errno != ENOENT)
		log_error("spill %s: %s", u->u_spill, strerror(errno));
	log_info("usage ledger: %lu spilled rows replayed from %s", n,
	    u->u_spill);
	u->u_spilled = 0;
	return 0;
}

static unsigned long
usage_count(const struct usage_row *r)
{
	unsigned long	n;

	for (n = 0; r != NULL; r = r->ur_next)
		n++;
	return n;
}

/*
 * A batch the ledger would not take goes to the spill file; the rows
 * then count as kept.  Returns 0, or -1 when the spill failed too.
 */
static int
usage_spill(struct usage *u, struct usage_row *batch, const char *why)
{
	/* Busy is another writer's lock, and passes: the spill only keeps
	 * the rows meanwhile.  Anything else means the ledger is down. */
	if (why != NULL)
		usage_set_failing(u, 1, why);
	if (spill_append(u->u_spill, batch) == -1) {
		if (!u->u_spill_failed)
			log_error("spill %s: %s: rows wait in memory",
			    u->u_spill, strerror(errno));
		u->u_spill_failed = 1;
		return -1;
	}
	u->u_spill_failed = 0;
	u->u_spilled = 1;
	__atomic_add_fetch(&u->u_spilled_rows, usage_count(batch),
	    __ATOMIC_RELAXED);
	return 0;
}

static void
usage_requeue(struct usage *u, struct usage_row *batch,
    struct usage_row **tail)
{
	*tail = u->u_pending;
	if (u->u_pending == NULL)
		u->u_pending_tail = tail;
	u->u_pending = batch;
}

static void
usage_nap(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

/*
 * The writer: take everything pending, commit it in one transaction,
 * hand it back.  Group commit: rows that come in while a commit runs
 * make the next one, and while other requests are running the writer
 * lingers up to USAGE_LINGER_US for their rows (usage_linger()); an
 * idle gateway's lone row is committed at once.  Measured behind nginx
 * with 2 warm instances and 16 connections (bench/ledger-cost.sh):
 * 250 us took batches from 1.5 to 4.7 rows and throughput with rows
 * from about 13.2k to 14.5-15k req/s; 1 ms was worse than none (each
 * request's END waits that long).  Once the checkpoints left the writer
 * (a commit of 6.5 rows took 77 us, the first row waited 210 us for its
 * siblings), 100 us gave 10% more than 250 (21.9k against 19.8k req/s,
 * 3 interleaved rounds) and 8% more than none.  usage_submit() wakes
 * the writer only when it sleeps or the linger can end, not for every
 * row.
 *
 * Busy (another writer holds the lock): the batch waits and is tried
 * again every USAGE_RETRY_NS, new rows joining it, for up to
 * USAGE_BUSY_SPILL_US; past that it goes to the spill file, and so do
 * the next batches until a commit works again: serving goes on, the
 * rows are kept.  On any other error (disk full, read-only, I/O) the
 * batch spills too and the ledger is "failing" (request.c refuses new
 * requests with 503 unless on_failure = serve).  While spilling, the
 * writer tries to replay the spill into the ledger every
 * USAGE_PROBE_MS; once that works, it is writable again.  When the spill
 * cannot be written either, the batch waits in memory (its requests
 * held) and is tried again every USAGE_PROBE_MS; a row is lost only if
 * fngw stops meanwhile: said in the log.
 */
static void *
usage_writer(void *arg)
{
	struct usage		*u = arg;
	struct usage_row	*batch, **tail;
	struct timespec		 dl;
	sigset_t		 all;
	uint64_t		 busy_since = 0, next_probe, now;
	int			 rc, busy = 0, tries;

	/* Signals are the loop's (signalfd), never this thread's. */
	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (u->u_spilled && usage_replay(u) == -1)
		usage_set_failing(u, 1, "spilled rows from before");
	next_probe = util_now_us() + USAGE_PROBE_MS * 1000;
	pthread_mutex_lock(&u->u_mtx);
	for (;;) {
		while (u->u_pending == NULL && !u->u_stop) {
			if (u->u_warm) {
				u->u_warm = 0;
				pthread_mutex_unlock(&u->u_mtx);
				usage_warm_up(u);
				pthread_mutex_lock(&u->u_mtx);
				continue;
			}
			/*
			 * Under load (a commit less than a linger ago, and
			 * the last row said more were coming), wait for the
			 * next rows as in a linger, up to a linger after that
			 * commit: rows coming meanwhile do not wake the
			 * writer, the deadline does (or a row that says no
			 * more are coming).  Idle, the first row would wake
			 * it and it would then sleep again in the linger:
			 * two wake-ups a commit instead of one, about 5 us
			 * of CPU each on this VM (perf: 30% of the writer's
			 * time was switching).  A row waits no longer for it.
			 */
			now = util_now_us();
			if (u->u_tick_until > now && u->u_more &&
			    u->u_linger_us > 0 && !u->u_spilled) {
				usage_wait_until(u, u->u_tick_until);
				continue;
			}
			u->u_tick_until = 0;
			u->u_idle = 1;
			__atomic_add_fetch(&u->u_sleeps, 1, __ATOMIC_RELAXED);
			if (!u->u_spilled) {
				pthread_cond_wait(&u->u_cond, &u->u_mtx);
				u->u_idle = 0;
				continue;
			}
			(void)clock_gettime(CLOCK_MONOTONIC, &dl);
			dl.tv_sec += USAGE_PROBE_MS / 1000;
			rc = pthread_cond_timedwait(&u->u_cond, &u->u_mtx,
			    &dl);
			u->u_idle = 0;
			if (rc == ETIMEDOUT)
				break;
		}
		usage_linger(u);
		batch = u->u_pending;
		tail = u->u_pending_tail;
		u->u_pending = NULL;
		u->u_pending_tail = &u->u_pending;
		u->u_npending = 0;
		if (batch == NULL && (u->u_stop || !u->u_spilled))
			break;		/* stopping and nothing left */
		pthread_mutex_unlock(&u->u_mtx);

		/* While spilling, the ledger is tried once per
		 * USAGE_PROBE_MS (a replay of the spill); new batches go
		 * straight to the spill until that works. */
		now = util_now_us();
		if (u->u_spilled && now >= next_probe) {
			next_probe = now + USAGE_PROBE_MS * 1000;
			if (usage_replay(u) == 0) {
				usage_set_failing(u, 0, NULL);
				busy_since = 0;
			}
		}
		if (batch == NULL)
			rc = 0;
		else if (u->u_spilled)
			rc = 2;
		else
			rc = usage_commit(u, batch);
		if (batch != NULL && rc == 0) {
			__atomic_add_fetch(&u->u_commits, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&u->u_rows, usage_count(batch),
			    __ATOMIC_RELAXED);
		}
		__atomic_store_n(&u->u_last_busy, util_now_us(),
		    __ATOMIC_RELAXED);

		pthread_mutex_lock(&u->u_mtx);
		if (batch == NULL)
			continue;
		if (rc == 1) {
			if (busy_since == 0)
				busy_since = util_now_us();
			if (util_now_us() - busy_since < USAGE_BUSY_SPILL_US &&
			    !(u->u_stop && ++busy > USAGE_CLOSE_RETRIES)) {
				usage_requeue(u, batch, tail);
				pthread_mutex_unlock(&u->u_mtx);
				usage_nap(USAGE_RETRY_NS / 1000000);
				pthread_mutex_lock(&u->u_mtx);
				continue;
			}
		}
		busy = 0;
		if (rc == 0) {
			busy_since = 0;
			if (!u->u_spilled)
				usage_set_failing(u, 0, NULL);
			if (u->u_linger_us > 0)
				u->u_tick_until = util_now_us() +
				    (uint64_t)u->u_linger_us;
			usage_finish(u, batch, 1);
			continue;
		}
		/* The ledger will not take it: the spill, else wait. */
		pthread_mutex_unlock(&u->u_mtx);
		for (tries = 0; usage_spill(u, batch, rc != -1 ? NULL :
		    sqlite3_errmsg(u->u_db)) == -1; tries++) {
			if (__atomic_load_n(&u->u_stop, __ATOMIC_RELAXED) &&
			    tries >= 3)
				break;
			usage_nap(USAGE_PROBE_MS);
			if ((rc = usage_commit(u, batch)) == 0)
				break;
		}
		pthread_mutex_lock(&u->u_mtx);
		/* Still busy: the next batch spills at once. */
		if (rc != 1)
			busy_since = 0;
		if (rc != 0 && u->u_spill_failed)
			log_error("usage rows lost: the ledger and %s both "
			    "failed while stopping", u->u_spill);
		usage_finish(u, batch, rc == 0 || !u->u_spill_failed);
	}
	pthread_mutex_unlock(&u->u_mtx);
	return NULL;
}

/*
 * Checkpoints run in a thread of their own, on a connection of their
 * own: in the writer (SQLite's autocheckpoint), a checkpoint's two
 * fdatasyncs (3 ms and more here) held every row committed behind it,
 * and so every request's END_REQUEST: 1 to 5% of warm requests waited
 * 0.8 to 3 ms or more for it.  A PASSIVE checkpoint blocks no writer;
 * commits go on into the WAL meanwhile, which starts over at its next
 * commit once a checkpoint has copied it all back.
 *
 * The writer's WAL hook, after each commit: ask for one past
 * USAGE_CHECKPOINT_PAGES (none is asked while one is asked for).  A
 * row's pages are the same few last pages of the table and its two
 * indexes, written again by commit after commit: a checkpoint copies
 * each page once however many frames hold it, and syncs twice however
 * many it copies.  1000 pages rather than 300 took the checkpoint
 * thread from 2 to 1.2 us of CPU a row and warm GETs behind nginx 5%
 * up (16.5k to 17.4k req/s, 5 interleaved rounds, p99 even at
 * 2.4-3.1 ms); 3000 bought nothing more.
 */
static int
usage_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct usage	*u = arg;

	(void)db;
	(void)name;
	if (frames < USAGE_CHECKPOINT_PAGES ||
	    __atomic_load_n(&u->u_ckwant, __ATOMIC_RELAXED))
		return SQLITE_OK;
	pthread_mutex_lock(&u->u_ckmtx);
	__atomic_store_n(&u->u_ckwant, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->u_ckmtx);
	pthread_cond_signal(&u->u_ckcond);
	return SQLITE_OK;
}

/*
 * Before the writer is held: the database file's pages copied so far,
 * then the WAL, to the disk.  The held copy's own syncs (SQLite's: the
 * WAL before it copies, the database after) then have only what came
 * since, not the whole cycle's pages: they took 1.1 and 1.5 ms with
 * every request's END waiting, and take 0.5 and 0.3 after this (perf
 * trace of fdatasync under warm load).  Through the checkpoint
 * connection's own files (SQLite's VFS), so no descriptor of ours is
 * ever closed on the database: that would drop SQLite's POSIX locks.
 */
static void
usage_presync_file(sqlite3 *db, int op)
{
	sqlite3_file	*f = NULL;

	if (sqlite3_file_control(db, "main", op, &f) == SQLITE_OK &&
	    f != NULL && f->pMethods != NULL)
		(void)f->pMethods->xSync(f, SQLITE_SYNC_NORMAL |
		    SQLITE_SYNC_DATAONLY);
}

static void
usage_presync(sqlite3 *db)
{
	usage_presync_file(db, SQLITE_FCNTL_FILE_POINTER);
	usage_presync_file(db, SQLITE_FCNTL_JOURNAL_POINTER);
}

/*
 * Copy the WAL back, then let it start over.  The copy runs beside the
 * writer's commits, which go on appending; it then leaves the frames
 * they added meanwhile, and a WAL not copied to its end is never
 * started over: under steady load it would grow without end.  So once
 * the rest is small, the writer waits (u_gate) while the rest is
 * copied, and its next commit starts the WAL from the top.  Busy
 * (another process checkpoints) passes: the next commit asks again.
 *
 * A copy that gets no further than the one before is stopped by a
 * reader (a report holding its snapshot), not by the writer: then the
 * writer is not held, as the held copy could not get further either,
 * or, were the reader to finish just then, would copy the whole backlog
 * with every request's END waiting for it.  The next commit asks again.
 */
static void
usage_checkpoint(struct usage *u)
{
	int	log = 0, done = 0, before, i, rc;

	__atomic_add_fetch(&u->u_ckruns, 1, __ATOMIC_RELAXED);
	for (i = 0; i < USAGE_CHECKPOINT_TRIES; i++) {
		before = done;
		rc = sqlite3_wal_checkpoint_v2(u->u_ckdb, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		if (rc != SQLITE_OK)
			return;
		if (log - done <= USAGE_CHECKPOINT_REST)
			break;
		if (i > 0 && done == before)
			return;		/* a reader's snapshot */
	}
	usage_presync(u->u_ckdb);
	if (log - done > __atomic_load_n(&u->u_ckheld_max, __ATOMIC_RELAXED))
		__atomic_store_n(&u->u_ckheld_max, log - done,
		    __ATOMIC_RELAXED);
	/* Even with nothing left: the WAL starts over only at a commit
	 * that begins once it is all copied, with no commit in between. */
	pthread_mutex_lock(&u->u_gate);
	rc = sqlite3_wal_checkpoint_v2(u->u_ckdb, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	pthread_mutex_unlock(&u->u_gate);
	if (rc == SQLITE_OK)
		__atomic_add_fetch(&u->u_checkpoints, 1, __ATOMIC_RELAXED);
}

static void *
usage_checkpointer(void *arg)
{
	struct usage	*u = arg;
	sigset_t	 all;

	(void)sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&u->u_ckmtx);
	for (;;) {
		while (!u->u_ckwant && !u->u_ckstop)
			pthread_cond_wait(&u->u_ckcond, &u->u_ckmtx);
		if (u->u_ckstop)
			break;
		pthread_mutex_unlock(&u->u_ckmtx);
		usage_checkpoint(u);
		pthread_mutex_lock(&u->u_ckmtx);
		__atomic_store_n(&u->u_ckwant, 0, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&u->u_ckmtx);
	return NULL;
}

/*
 * Start the checkpointer on path; the writer's connection then leaves
 * checkpoints to it.  When it cannot start, the writer checkpoints as
 * before (usage_db_open's autocheckpoint): slower, not wrong.
 */
static void
usage_checkpointer_start(struct usage *u, const char *path)
{
	int	stage = 0;

	if (sqlite3_open_v2(path, &u->u_ckdb, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	(void)sqlite3_busy_timeout(u->u_ckdb, USAGE_BUSY_TIMEOUT_MS);
	/* Until it reads the file, a connection does not know the WAL is
	 * there, and checkpoints nothing. */
	if (usage_pragma_is(u->u_ckdb, "PRAGMA journal_mode", "wal") == -1)
		goto fail;
	if (pthread_mutex_init(&u->u_ckmtx, NULL) != 0)
		goto fail;
	if (pthread_mutex_init(&u->u_gate, NULL) != 0) {
		pthread_mutex_destroy(&u->u_ckmtx);
		goto fail;
	}
	stage = 1;
	if (pthread_cond_init(&u->u_ckcond, NULL) != 0)
		goto fail;
	stage = 2;
	if (pthread_create(&u->u_ckthread, NULL, usage_checkpointer, u) != 0)
		goto fail;
	/* Replaces the autocheckpoint, which is a WAL hook too. */
	(void)sqlite3_wal_hook(u->u_db, usage_wal_hook, u);
	return;
fail:
	log_warn("usage ledger: no checkpoint thread (%s); the writer "
	    "checkpoints", u->u_ckdb != NULL ? sqlite3_errmsg(u->u_ckdb) :
	    "out of memory");
	if (stage == 2)
		pthread_cond_destroy(&u->u_ckcond);
	if (stage >= 1) {
		pthread_mutex_destroy(&u->u_ckmtx);
		pthread_mutex_destroy(&u->u_gate);
	}
	sqlite3_close(u->u_ckdb);
	u->u_ckdb = NULL;
}

static void
usage_checkpointer_stop(struct usage *u)
{
	if (u->u_ckdb == NULL)
		return;
	pthread_mutex_lock(&u->u_ckmtx);
	u->u_ckstop = 1;
	pthread_mutex_unlock(&u->u_ckmtx);
	pthread_cond_signal(&u->u_ckcond);
	pthread_join(u->u_ckthread, NULL);
	pthread_cond_destroy(&u->u_ckcond);
	pthread_mutex_destroy(&u->u_ckmtx);
	pthread_mutex_destroy(&u->u_gate);
	if (sqlite3_close(u->u_ckdb) != SQLITE_OK)
		log_error("db_error=\"%s\"", sqlite3_errmsg(u->u_ckdb));
	u->u_ckdb = NULL;
}

/*
 * Open the database, check it is ours (or empty), create or upgrade the
 * schema, record the prices, switch to WAL.  NULL plus *errstr on error,
 * leaving a foreign file untouched.
 */
static sqlite3 *
usage_db_open(const char *path, const struct usage_prices *up, int ours,
    const char **errstr)
{
	sqlite3		*db = NULL;
	int		 rc;

	if (up != NULL && (!util_price_ok(up->up_per_request) ||
	    !util_price_ok(up->up_per_gb_second) ||
	    up->up_currency == NULL)) {
		*errstr = usage_err(path, "prices must be plain decimals"
		    " with at most 12 decimal places");
		goto fail;
	}
	/*
	 * Not when this process has the ledger open already (ours): closing
	 * any descriptor of a file drops every POSIX lock the process holds
	 * on it, the writer's connection's too, and SQLite then fails with
	 * a disk I/O error.  SQLite itself never closes such a descriptor.
	 */
	if (!ours && (rc = usage_check_magic(path)) != 0) {
		*errstr = usage_err(path, rc == -1 ? strerror(errno) :
		    "not an SQLite database; refusing to touch it");
		goto fail;
	}
	/*
	 * NOMUTEX: each connection is used by one thread at a time (opened
	 * by the loop, then the writer's alone; the checkpointer has its
	 * own), so SQLite's per-call mutex is pure cost: 2.1k of the 41k
	 * instructions an inserted row takes (callgrind, bench/sqlfloor.c).
	 */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	(void)sqlite3_busy_timeout(db, USAGE_BUSY_TIMEOUT_MS * 10);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK || usage_schema(db, path, errstr) == -1 ||
	    (up != NULL && usage_prices(db, up) == -1) ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	/*
	 * WAL with synchronous=NORMAL: a commit is in the WAL file, i.e. in
	 * the kernel's page cache, when COMMIT returns, so it survives the
	 * death of fngw (even SIGKILL); only a power loss or kernel crash
	 * can take the last commits, and never corrupts the database.
	 * FULL would fsync every group commit for no gain against SIGKILL.
	 */
	if (usage_pragma_is(db, "PRAGMA journal_mode = WAL", "wal") == -1) {
		*errstr = usage_err(path, "cannot switch to WAL mode");
		goto fail;
	}
	if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL,
	    NULL) != SQLITE_OK)
		goto fail;
	/* A reader holding a snapshot (a long report) stops checkpoints
	 * from reaching the end of the WAL, which then grows; once it lets
	 * go, the next checkpoint starts the WAL over and truncates the
	 * file to this size. */
	(void)sqlite3_exec(db, "PRAGMA journal_size_limit = 16777216", NULL,
	    NULL, NULL);
	/*
	 * Checkpoint every USAGE_AUTOCKPT_PAGES WAL pages, not SQLite's
	 * 1000, when it runs in the writer (the writer of usage_open()
	 * leaves it to its checkpointer, every USAGE_CHECKPOINT_PAGES):
	 * its two fdatasyncs (3 ms and more here) hold every row waiting
	 * meanwhile.  Smaller and more often halved the p99 of warm
	 * requests behind nginx (5.6 to 2.9 ms, 2 warm instances, wrk
	 * -c16) for about the same throughput; 10000 made it 33 ms.
	 */
	(void)sqlite3_exec(db, "PRAGMA wal_autocheckpoint = "
	    USAGE_STR(USAGE_AUTOCKPT_PAGES), NULL, NULL, NULL);
	(void)sqlite3_busy_timeout(db, USAGE_BUSY_TIMEOUT_MS);
	return db;
fail:
	if (*errstr == NULL)
		*errstr = usage_err(path, db == NULL ? "out of memory" :
		    sqlite3_errmsg(db));
	if (db != NULL && !sqlite3_get_autocommit(db))
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return NULL;
}

struct usage *
usage_open(const char *path, const struct usage_prices *up,
    const char **errstr)
{
	struct usage	*u = NULL;
	pthread_condattr_t ca;
	char		 host[HOST_NAME_MAX + 1];
	int		 sync = 0;

	*errstr = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		goto fail;
	u->u_efd = -1;
	u->u_linger_us = USAGE_LINGER_US;
	u->u_pending_tail = &u->u_pending;
	u->u_done_tail = &u->u_done;
	if ((u->u_db = usage_db_open(path, up, 0, errstr)) == NULL)
		goto fail;
	if (sqlite3_prepare_v3(u->u_db, usage_insert_sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &u->u_insert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(u->u_db, usage_exists_sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &u->u_exists, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(u->u_db, "BEGIN IMMEDIATE", -1,
	    SQLITE_PREPARE_PERSISTENT, &u->u_begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(u->u_db, "COMMIT", -1,
	    SQLITE_PREPARE_PERSISTENT, &u->u_commit, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(u->u_db, usage_warm_sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &u->u_warm_st, NULL) != SQLITE_OK) {
		*errstr = usage_err(path, sqlite3_errmsg(u->u_db));
		goto fail;
	}
	/* Rows spilled by an earlier run go in first (usage_writer). */
	if (asprintf(&u->u_spill, "%s.spill", path) == -1) {
		u->u_spill = NULL;
		goto fail;
	}
	u->u_spilled = access(u->u_spill, F_OK) == 0;
	if (gethostname(host, sizeof(host)) == -1)
		(void)strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if ((u->u_node = strdup(host)) == NULL ||
	    (u->u_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		goto fail;
	if ((errno = pthread_mutex_init(&u->u_mtx, NULL)) != 0)
		goto fail;
	sync = 1;
	/* Monotonic: the waits with a deadline must not jump with the
	 * wall clock. */
	if ((errno = pthread_condattr_init(&ca)) != 0)
		goto fail;
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	errno = pthread_cond_init(&u->u_cond, &ca);
	(void)pthread_condattr_destroy(&ca);
	if (errno != 0)
		goto fail;
	sync = 2;
	usage_checkpointer_start(u, path);
	if ((errno = pthread_create(&u->u_thread, NULL, usage_writer,
	    u)) != 0) {
		usage_checkpointer_stop(u);
		goto fail;
	}
	return u;
fail:
	if (*errstr == NULL)
		*errstr = usage_err(path, strerror(errno));
	if (u != NULL) {
		if (sync == 2)
			pthread_cond_destroy(&u->u_cond);
		if (sync >= 1)
			pthread_mutex_destroy(&u->u_mtx);
		fd_close(&u->u_efd);
		sqlite3_finalize(u->u_insert);
		sqlite3_finalize(u->u_exists);
		sqlite3_finalize(u->u_begin);
		sqlite3_finalize(u->u_commit);
		sqlite3_finalize(u->u_warm_st);
		sqlite3_close(u->u_db);
		free(u->u_spill);
		free(u->u_node);
		free(u);
	}
	return NULL;
}

int
usage_record_prices(const char *path, const struct usage_prices *up,
    const char **errstr)
{
	sqlite3	*db;

	*errstr = NULL;
	if ((db = usage_db_open(path, up, 1, errstr)) == NULL) {
		if (*errstr == NULL)
			*errstr = usage_err(path, strerror(errno));
		return -1;
	}
	sqlite3_close(db);
	return 0;
}

int
usage_set_node(struct usage *u, const char *node)
{
	char	*copy;

	if ((copy = strdup(node == NULL ? "" : node)) == NULL)
		return -1;
	pthread_mutex_lock(&u->u_mtx);
	free(u->u_node);
	u->u_node = copy;
	pthread_mutex_unlock(&u->u_mtx);
	return 0;
}

void
usage_warm(struct usage *u)
{
	uint64_t	now = util_now_us(), busy;
	int		wake = 0;

	if (u == NULL)
		return;
	busy = __atomic_load_n(&u->u_last_busy, __ATOMIC_RELAXED);
	if (now - busy < USAGE_COLD_US)
		return;
	pthread_mutex_lock(&u->u_mtx);
	if (u->u_idle && u->u_pending == NULL && !u->u_warm &&
	    !u->u_spilled) {
		u->u_warm = 1;
		wake = 1;
		/* Once per quiet spell, however many requests come. */
		__atomic_store_n(&u->u_last_busy, now, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&u->u_mtx);
	if (wake)
		pthread_cond_signal(&u->u_cond);
}

void
usage_set_linger(struct usage *u, long us)
{
	pthread_mutex_lock(&u->u_mtx);
	u->u_linger_us = us;
	pthread_mutex_unlock(&u->u_mtx);
}

unsigned long
usage_warm_steps(struct usage *u)
{
	return __atomic_load_n(&u->u_warm_steps, __ATOMIC_RELAXED);
}

unsigned long
usage_writer_sleeps(struct usage *u)
{
	return __atomic_load_n(&u->u_sleeps, __ATOMIC_RELAXED);
}

unsigned long
usage_replay_steps(struct usage *u)
{
	return __atomic_load_n(&u->u_replay_steps, __ATOMIC_RELAXED);
}

unsigned long
usage_commits(struct usage *u)
{
	return __atomic_load_n(&u->u_commits, __ATOMIC_RELAXED);
}

void
usage_stats(struct usage *u, struct usage_stats *st)
{
	st->us_backlog = usage_backlog(u);
	st->us_writable = !usage_unavailable(u);
	st->us_rows = __atomic_load_n(&u->u_rows, __ATOMIC_RELAXED);
	st->us_commits = __atomic_load_n(&u->u_commits, __ATOMIC_RELAXED);
	st->us_spilled = __atomic_load_n(&u->u_spilled_rows,
	    __ATOMIC_RELAXED);
}

unsigned long
usage_checkpoints(struct usage *u)
{
	return __atomic_load_n(&u->u_checkpoints, __ATOMIC_RELAXED);
}

unsigned long
usage_checkpoint_runs(struct usage *u)
{
	return __atomic_load_n(&u->u_ckruns, __ATOMIC_RELAXED);
}

int
usage_checkpoint_held_max(struct usage *u)
{
	return __atomic_load_n(&u->u_ckheld_max, __ATOMIC_RELAXED);
}

unsigned long
usage_warmups(struct usage *u)
{
	return __atomic_load_n(&u->u_warmups, __ATOMIC_RELAXED);
}

int
usage_fd(const struct usage *u)
{
	return u->u_efd;
}

void
usage_submit(struct usage *u, struct usage_row *r, int more)
{
	uint64_t	now;
	int		wake;

	if (r == NULL)
		return;
	r->ur_next = NULL;
	r->ur_committed = 0;
	pthread_mutex_lock(&u->u_mtx);
	now = util_now_us();
	if (u->u_pending == NULL)
		u->u_pending_since = now;
	*u->u_pending_tail = r;
	u->u_pending_tail = &r->ur_next;
	u->u_npending++;
	/* Siblings are worth waiting for only while rows come in faster
	 * than the linger: at a trickle, a long request running beside
	 * (a slow upload, a long poll) would delay every row for nothing. */
	u->u_more = more && now - u->u_last_submit < (uint64_t)u->u_linger_us;
	u->u_last_submit = now;
	u->u_submitted++;
	wake = u->u_idle || (u->u_lingering && (!more ||
	    u->u_npending >= USAGE_BATCH_MAX));
	pthread_mutex_unlock(&u->u_mtx);
	/* After letting go, so that the writer does not wake only to
	 * wait for the mutex (the row went in under it: no lost wake-up). */
	if (wake)
		pthread_cond_signal(&u->u_cond);
}

struct usage_row *
usage_done(struct usage *u)
{
	struct usage_row	*list, *r;
	uint64_t		 n;

	pthread_mutex_lock(&u->u_mtx);
	list = u->u_done;
	u->u_done = NULL;
	u->u_done_tail = &u->u_done;
	(void)read(u->u_efd, &n, sizeof(n));	/* EAGAIN: already clear */
	for (r = list; r != NULL; r = r->ur_next)
		u->u_handed++;
	pthread_mutex_unlock(&u->u_mtx);
	return list;
}

int
usage_unavailable(struct usage *u)
{
	return __atomic_load_n(&u->u_failing, __ATOMIC_RELAXED);
}

unsigned long
usage_backlog(struct usage *u)
{
	/* Both counters are the loop's own (usage_submit, usage_done): no
	 * lock, though request.c asks for every request. */
	return u->u_submitted - u->u_handed;
}

static void
usage_list_free(struct usage_row *r)
{
	struct usage_row	*next;

	for (; r != NULL; r = next) {
		next = r->ur_next;
		usage_row_free(r);
	}
}

void
usage_close(struct usage *u)
{
	if (u == NULL)
		return;
	pthread_mutex_lock(&u->u_mtx);
	u->u_stop = 1;
	pthread_cond_signal(&u->u_cond);
	pthread_mutex_unlock(&u->u_mtx);
	pthread_join(u->u_thread, NULL);
	usage_checkpointer_stop(u);

	/* Committed (or failed) rows the loop never collected. */
	usage_list_free(u->u_done);
	usage_list_free(u->u_pending);
	sqlite3_finalize(u->u_insert);
	sqlite3_finalize(u->u_exists);
	sqlite3_finalize(u->u_begin);
	sqlite3_finalize(u->u_commit);
	sqlite3_finalize(u->u_warm_st);
	free(u->u_spill);
	(void)sqlite3_exec(u->u_db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
	    NULL, NULL);
	if (sqlite3_close(u->u_db) != SQLITE_OK)
		log_error("db_error=\"%s\"", sqlite3_errmsg(u->u_db));
	fd_close(&u->u_efd);
	pthread_cond_destroy(&u->u_cond);
	pthread_mutex_destroy(&u->u_mtx);
	free(u->u_node);
	free(u);
}

struct usage_row *
usage_row_new(void)
{
	struct usage_row	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->ur_exit_code = -1;
	return r;
}

void
usage_row_free(struct usage_row *r)
{
	if (r == NULL)
		return;
	free(r->ur_function);
	free(r->ur_tenant);
	free(r->ur_method);
	free(r->ur_path);
	free(r);
}

uint64_t
usage_billed_ms(uint64_t init_us, uint64_t duration_us, uint64_t gran_ms)
{
	uint64_t	 total, unit;

	if (gran_ms == 0)
		gran_ms = 1;
	total = init_us + duration_us;
	if (total < init_us || gran_ms > UINT64_MAX / 1000)
		return UINT64_MAX;		/* absurd; never wraps to 0 */
	unit = gran_ms * 1000;
	return (total / unit + (total % unit != 0)) * gran_ms;
}
