/*
 * usage.h -- the usage ledger: one SQLite row per invocation.
 *
 * One writer thread owns the database connection.  The loop hands it
 * rows (usage_submit, which never blocks on SQLite); the writer commits
 * whatever is waiting in one transaction (group commit, WAL) and hands
 * the committed rows back through usage_done(), signalled on
 * usage_fd(), so the loop ends each request only once its row is in.
 * Cross-thread state is two lists under one mutex plus an eventfd.
 */
#ifndef USAGE_H
#define USAGE_H

#include <stdint.h>

#define USAGE_SCHEMA_VERSION	5
/* The rollup index's hour, started_at / 3600000000 in its SQL (and in
 * every query that seeks in it): microseconds an hour. */
#define USAGE_HOUR_US		3600000000LL

struct usage;

struct usage_row {
	char		 ur_request_id[65];
	int64_t		 ur_started_at;		/* epoch microseconds */
	char		*ur_function;		/* owned (strdup) */
	char		*ur_tenant;		/* owned; NULL: none */
	const char	*ur_trigger;		/* static "http"/"cron"/"cli" */
	char		*ur_method;		/* owned */
	char		*ur_path;		/* owned */
	int		 ur_status;
	const char	*ur_outcome;		/* static: "ok", "error", ... */
	uint64_t	 ur_queue_us;
	uint64_t	 ur_duration_us;
	uint64_t	 ur_billed_ms;
	uint64_t	 ur_memory_mb;
	uint64_t	 ur_cpu_user_us;
	uint64_t	 ur_cpu_sys_us;
	uint64_t	 ur_max_rss_kb;
	uint64_t	 ur_bytes_in;
	uint64_t	 ur_bytes_out;
	int		 ur_cold_start;
	uint64_t	 ur_init_us;
	int		 ur_exit_code;		/* -1: killed or never ran */
	int		 ur_signal;		/* 0: none */

	void		*ur_token;		/* the submitter's; untouched */
	int		 ur_committed;		/* set by the writer: 1 in db */
	struct usage_row *ur_next;		/* list link; owner's */
};

struct usage_prices {
	const char	*up_per_request;	/* decimal strings */
	const char	*up_per_gb_second;
	uint64_t	 up_granularity_ms;
	const char	*up_currency;
};

/*
 * Before any other SQLite call of the process: SQLite's settings for
 * fngw (no memory statistics: each of its allocations would take a
 * global mutex for them).  Later, it does nothing.
 */
void		 usage_library_init(void);

/*
 * Open (creating or upgrading the schema) the database at path, record
 * the prices if they differ from the latest recorded period, and start
 * the writer thread.  Returns NULL and *errstr (thread-local buffer) when
 * the file is not an fngw ledger or cannot be opened.  Start-up only.
 */
struct usage	*usage_open(const char *, const struct usage_prices *,
		    const char **);

/*
 * Record prices that a reload brings, as usage_open() does (a new
 * period when they differ from the latest), on a connection of its own:
 * blocks the caller for as long as the write takes.  -1 and *errstr.
 */
int		 usage_record_prices(const char *, const struct usage_prices *,
		    const char **);

/*
 * The node name written into every row (copied).  Call it after
 * usage_open() and before the first usage_submit(); the default is the
 * host name.  -1 (errno ENOMEM) on allocation failure.
 */
int		 usage_set_node(struct usage *, const char *);

/*
 * How long the writer may wait, after a row submitted with more = 1,
 * for the rows of the requests still running, to commit them together
 * (default USAGE_LINGER_US in usage.c; 0: never wait).
 */
void		 usage_set_linger(struct usage *, long);

/*
 * A request is on its way after a quiet spell (no commit for 50 ms):
 * the writer reads where the next row will go, so that its commit does
 * not pay for the quiet on the request's path.  Cheap when not quiet
 * (an atomic load); never blocks on SQLite.
 */
void		 usage_warm(struct usage *);

/* Transactions that committed rows so far (rows per commit: the batch),
 * warm-ups the writer ran (usage_warm), and SQLite's VM steps in the
 * last of those (a few dozen; a scan of the ledger would be millions). */
unsigned long	 usage_commits(struct usage *);
unsigned long	 usage_warmups(struct usage *);
unsigned long	 usage_warm_steps(struct usage *);
/* SQLite's VM steps in the look-ups of spilled rows replayed so far (is
 * each in already?): a few dozen a row, where a scan would be the
 * ledger's size. */
unsigned long	 usage_replay_steps(struct usage *);
/* The writer's waits for rows so far (idle, or lingering for more):
 * under a steady flow about one a commit. */
unsigned long	 usage_writer_sleeps(struct usage *);
/* Checkpoints the checkpoint thread ran (0 when the writer runs them);
 * the times it was asked for one and ran; and the most WAL frames it
 * left for the copy made with the writer held (what that copy could
 * make the writer wait for). */
unsigned long	 usage_checkpoints(struct usage *);
unsigned long	 usage_checkpoint_runs(struct usage *);
int		 usage_checkpoint_held_max(struct usage *);

/* For the status page.  Loop thread only. */
struct usage_stats {
	unsigned long	us_backlog;	/* usage_backlog() */
	int		us_writable;	/* !usage_unavailable() */
	unsigned long	us_rows;	/* rows committed in group commits */
	unsigned long	us_commits;	/* those commits (us_rows / us_commits:
					 * rows per commit) */
	unsigned long	us_spilled;	/* rows written to the spill file */
};
void		 usage_stats(struct usage *, struct usage_stats *);

/* Readable (eventfd) when committed rows are waiting in usage_done(). */
int		 usage_fd(const struct usage *);

/*
 * Queue a row for the writer; takes ownership of row.  Never blocks.
 * more: other requests are running, whose rows will follow shortly (the
 * writer may wait a moment for them, to commit them together); 0 when
 * this row is the last one in sight.
 */
void		 usage_submit(struct usage *, struct usage_row *, int);

/*
 * Take every row the writer finished (committed or failed: see
 * ur_committed) as a list; clears the eventfd.  The caller owns the rows
 * and frees them with usage_row_free().
 */
struct usage_row *usage_done(struct usage *);

/* Rows submitted and not yet handed back.  Loop thread only. */
unsigned long	 usage_backlog(struct usage *);
/*
 * 1 while the ledger cannot be written and rows go to the spill file
 * (billing_db.spill, replayed once it can): request.c then refuses new
 * requests with 503 usage_unavailable unless [billing] on_failure = serve.
 */
int		 usage_unavailable(struct usage *);

/* Commit everything queued, stop the writer, close.  Blocks. */
void		 usage_close(struct usage *);

struct usage_row *usage_row_new(void);
void		 usage_row_free(struct usage_row *);

/* init_us + duration_us rounded up to granularity_ms (at least 1). */
uint64_t	 usage_billed_ms(uint64_t, uint64_t, uint64_t);

/*
 * `fngw usage ...`: argv[0] is "usage".  Prints the report on stdout.
 * Returns the exit code (0, or 1 on a usage or database error, after a
 * message on stderr).
 */
int		 usage_report_main(int, char **);

#endif /* USAGE_H */
