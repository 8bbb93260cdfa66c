/*
 * sqlfloor -- what SQLite itself spends to insert one usage row, with
 * fngw's schema and settings and nothing of fngw around it: the floor
 * under the ledger's cost, which any gateway that commits each row
 * before its request ends pays.  bench/standing.sh compiles it (cc -O2
 * -lsqlite3) and runs it for the batch sizes fngw's writer reached.
 *
 *	sqlfloor SCHEMA_DB SCRATCH_DB BATCH ROWS [RATE]
 *
 * It creates SCRATCH_DB afresh with the tables and indexes of
 * SCHEMA_DB (a ledger fngw made, so the schema is fngw's, whatever its
 * version) and its page size, in WAL mode with synchronous = NORMAL and
 * a checkpoint every 1000 WAL pages, on a connection without a mutex
 * and without SQLite's memory statistics, as fngw runs its ledger.
 * Then it inserts ROWS rows of a warm GET's shape in transactions of
 * BATCH rows on average (BATCH may have a fraction: 3.5 commits 3 and 4
 * in turn), with one prepared statement, after as many rows unmeasured
 * to warm the caches, and prints the process's CPU time (user + system,
 * from getrusage) per row in microseconds: the statement's bindings, the
 * b-tree inserts into the table and its indexes, the WAL frames and
 * their checksums, the locks, and the checkpoints.  No thread, no
 * hand-off, no wake-up: fngw's writer thread pays those on top.
 *
 * With RATE (rows a second), the measured pass is paced: each batch
 * waits (clock_nanosleep) for its moment, so that the rows go in at
 * that rate, a commit at a time, as a writer beside a serving gateway
 * puts them in.  Run beside a gateway that writes no rows, it shows
 * what the same SQLite work costs the machine's serving when it is on
 * no request's path at all (bench/standing.sh's in-situ ceiling).  The
 * warm-up is then a tenth of a second's rows; "paced" on stderr says
 * the measured pass began, and SIGTERM ends it early, the figure
 * printed over the rows it inserted.
 */
#include <sys/resource.h>

#include <signal.h>

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAXCOLS	64

static sqlite3			*db;
static volatile sig_atomic_t	 stop;

static void
die(const char *what)
{
	fprintf(stderr, "sqlfloor: %s: %s\n", what,
	    db != NULL ? sqlite3_errmsg(db) : "?");
	exit(1);
}

static void
run(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql);
}

static void
step(sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die(sqlite3_sql(st));
	(void)sqlite3_reset(st);
}

static double
cpu_us(void)
{
	struct rusage	ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* The value each column gets, decided once from its name and type: a
 * strcmp() chain per column and row cost more than some of what SQLite
 * does with the row (4.8k of 41k instructions a row). */
enum kind {
	K_ID,		/* a request id: random-looking, 32 hex digits */
	K_STARTED,	/* microseconds, rising */
	K_NULL,
	K_TEXT,		/* col.text */
	K_INT,		/* col.num */
	K_SMALL		/* durations, CPU times, bytes: small, varying */
};

struct col {
	enum kind	 kind;
	const char	*text;
	int		 num;
};

static struct col
col_of(const char *name, const char *type)
{
	static const struct {
		const char	*name;
		struct col	 col;
	} named[] = {
		{ "request_id", { K_ID, NULL, 0 } },
		{ "started_at", { K_STARTED, NULL, 0 } },
		{ "node", { K_TEXT, "bench", 0 } },
		{ "function", { K_TEXT, "counter", 0 } },
		{ "tenant", { K_NULL, NULL, 0 } },
		{ "trigger", { K_TEXT, "http", 0 } },
		{ "method", { K_TEXT, "GET", 0 } },
		{ "path", { K_TEXT, "/fngw/counter", 0 } },
		{ "outcome", { K_TEXT, "ok", 0 } },
		{ "status", { K_INT, NULL, 200 } },
		{ "memory_mb", { K_INT, NULL, 128 } },
		{ "exit_code", { K_INT, NULL, 0 } },
		{ "signal", { K_INT, NULL, 0 } },
		{ "cold_start", { K_INT, NULL, 0 } },
		{ "init_us", { K_INT, NULL, 0 } },
	};
	struct col	other = { K_SMALL, NULL, 0 };
	size_t		i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strcmp(name, named[i].name) == 0)
			return named[i].col;
	if (strcasecmp(type, "TEXT") == 0) {
		other.kind = K_TEXT;
		other.text = "x";
	}
	return other;
}

/* Column i's value in row n of a warm GET's shape; id: room for the
 * request id, alive until the row is stepped. */
static void
bind_col(sqlite3_stmt *st, int i, const struct col *c, uint64_t n,
    uint64_t t0, char *id)
{
	int	rc = SQLITE_OK;

	switch (c->kind) {
	case K_ID:
		(void)snprintf(id, 33, "%016" PRIx64 "%016" PRIx64,
		    (uint64_t)(n * 0x9e3779b97f4a7c15ULL), n);
		rc = sqlite3_bind_text(st, i, id, 32, SQLITE_STATIC);
		break;
	case K_STARTED:
		rc = sqlite3_bind_int64(st, i, (sqlite3_int64)(t0 + n * 40));
		break;
	case K_NULL:
		rc = sqlite3_bind_null(st, i);
		break;
	case K_TEXT:
		rc = sqlite3_bind_text(st, i, c->text, -1, SQLITE_STATIC);
		break;
	case K_INT:
		rc = sqlite3_bind_int(st, i, c->num);
		break;
	case K_SMALL:
		rc = sqlite3_bind_int64(st, i, (sqlite3_int64)(40 + n % 97));
		break;
	}
	if (rc != SQLITE_OK)
		die("bind");
}

/* Sleep until *at, then move it sec on: a steady pace that catches up
 * after a late wake rather than drifting. */
static void
pace(struct timespec *at, double sec)
{
	long	ns;

	while (!stop &&
	    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, at, NULL) != 0)
		;
	ns = at->tv_nsec + (long)(sec * 1e9);
	at->tv_sec += ns / 1000000000L;
	at->tv_nsec = ns % 1000000000L;
}

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char *argv[])
{
	sqlite3		*src;
	sqlite3_stmt	*st, *ins, *begin, *commit;
	char		 sql[4096], cols[MAXCOLS][64], types[MAXCOLS][16];
	char		 id[33];
	struct col	 vals[MAXCOLS];
	char		 path[4096];
	struct timespec	 at;
	double		 batch, t0, rate = 0;
	struct sigaction sa;
	uint64_t	 rows, n, done, k, size, j, t0us, want;
	size_t		 len;
	int		 ncol = 0, page = 4096, i, pass;

	if ((argc != 5 && argc != 6) || (batch = atof(argv[3])) < 1 ||
	    (rows = strtoull(argv[4], NULL, 10)) < 1 ||
	    (argc == 6 && (rate = atof(argv[5])) <= 0)) {
		fprintf(stderr, "usage: sqlfloor SCHEMA_DB SCRATCH_DB BATCH "
		    "ROWS [RATE]\n");
		return 2;
	}
	/* As fngw (usage_library_init): no memory statistics. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	t0us = (uint64_t)time(NULL) * 1000000;
	/* The schema, the page size and the columns, from fngw's ledger. */
	if (sqlite3_open_v2(argv[1], &src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		die(argv[1]);
	if (sqlite3_prepare_v2(src, "PRAGMA page_size", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		page = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(src, "PRAGMA table_info(invocations)", -1,
	    &st, NULL) != SQLITE_OK)
		die("table_info");
	while (sqlite3_step(st) == SQLITE_ROW && ncol < MAXCOLS) {
		if (strcmp((const char *)sqlite3_column_text(st, 1), "id") == 0)
			continue;	/* the rowid: SQLite's to pick */
		(void)snprintf(cols[ncol], sizeof(cols[0]), "%s",
		    sqlite3_column_text(st, 1));
		(void)snprintf(types[ncol], sizeof(types[0]), "%s",
		    sqlite3_column_text(st, 2));
		vals[ncol] = col_of(cols[ncol], types[ncol]);
		ncol++;
	}
	sqlite3_finalize(st);
	if (ncol == 0) {
		fprintf(stderr, "sqlfloor: %s: no invocations table\n",
		    argv[1]);
		return 1;
	}

	for (i = 0; i < 3; i++) {
		(void)snprintf(path, sizeof(path), "%s%s", argv[2],
		    i == 0 ? "" : i == 1 ? "-wal" : "-shm");
		(void)unlink(path);
	}
	/* As fngw's writer: a connection without a mutex of its own. */
	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		die(argv[2]);
	(void)snprintf(sql, sizeof(sql), "PRAGMA page_size = %d", page);
	run(sql);
	run("PRAGMA journal_mode = WAL");
	run("PRAGMA synchronous = NORMAL");
	run("PRAGMA wal_autocheckpoint = 1000");
	if (sqlite3_prepare_v2(src, "SELECT sql FROM sqlite_master WHERE "
	    "sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY "
	    "type = 'index'", -1, &st, NULL) != SQLITE_OK)
		die("sqlite_master");
	while (sqlite3_step(st) == SQLITE_ROW)
		run((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(src);

	len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO invocations(");
	for (i = 0; i < ncol && len < sizeof(sql); i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s%s",
		    i ? ", " : "", cols[i]);
	for (i = 0; i < ncol && len < sizeof(sql); i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s",
		    i ? ", ?" : ") VALUES (?");
	if (len + 2 >= sizeof(sql))
		die("too many columns");
	(void)strcat(sql, ")");
	if (sqlite3_prepare_v2(db, sql, -1, &ins, NULL) != SQLITE_OK)
		die(sql);

	if (sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK)
		die("BEGIN, COMMIT");

	/* Pass 0 warms the caches; pass 1 is measured. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigaction(SIGTERM, &sa, NULL);
	n = 0;
	t0 = 0;
	done = 0;
	for (pass = 0; pass < 2; pass++) {
		want = rows;
		if (pass == 0 && rate > 0 && (uint64_t)(rate / 10) < rows)
			want = (uint64_t)(rate / 10) + 1;
		if (pass == 1) {
			t0 = cpu_us();
			(void)clock_gettime(CLOCK_MONOTONIC, &at);
			if (rate > 0)
				fprintf(stderr, "paced\n");
		}
		for (done = 0, k = 0; done < want && !stop; done += size,
		    k++) {
			/* Sizes averaging batch: 3.5 gives 3, 4, 3, 4 ... */
			size = (uint64_t)((double)(k + 1) * batch) -
			    (uint64_t)((double)k * batch);
			if (size > want - done)
				size = want - done;
			if (pass == 1 && rate > 0) {
				pace(&at, (double)size / rate);
				if (stop)
					break;
			}
			step(begin);
			for (j = 0; j < size; j++) {
				for (i = 0; i < ncol; i++)
					bind_col(ins, i + 1, &vals[i], n, t0us,
					    id);
				step(ins);
				n++;
			}
			step(commit);
		}
	}
	printf("%.2f\n", (cpu_us() - t0) / (double)(done > 0 ? done : 1));
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	for (i = 0; i < 3; i++) {
		(void)snprintf(path, sizeof(path), "%s%s", argv[2],
		    i == 0 ? "" : i == 1 ? "-wal" : "-shm");
		(void)unlink(path);
	}
	return 0;
}
