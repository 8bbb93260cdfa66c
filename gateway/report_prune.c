/*
 * report_prune.c -- `fngw usage --prune-before DATE`: print the rows of
 * one ledger started before DATE as a report, delete exactly those in
 * short transactions beside fngw's own writer, then VACUUM.  The price
 * periods stay.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "usage.h"

#define RPT_PRUNE_BATCH	20000		/* prune: ids per transaction */

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
int
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
	/* The hour bound lets SQLite read the rollup index (no index of
	 * started_at alone since schema 5). */
	if (sqlite3_prepare_v2(db, "SELECT coalesce(min(id), 0),"
	    " coalesce(max(id), -1) FROM invocations WHERE"
	    " started_at / 3600000000 <= ?2 AND started_at < ?1",
	    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, before / USAGE_HOUR_US);
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
