/*
 * request.h -- one FastCGI request from the web server, from its
 * BEGIN_REQUEST to the moment its usage row is in the ledger.
 *
 * Created by front.c on BEGIN_REQUEST; request.c routes it, answers
 * errors and bills it; cgi.c runs the function for it and pool.c gives
 * it a slot; front.c ends it on the connection once its row is in.
 * The request owns its params, body buffer, environment, the child's
 * descriptors and its timers.  rq_conn is borrowed and becomes NULL
 * when the web server's connection goes away; the request then lives
 * on until its child is reaped and its row is written (a row is never
 * lost because a client left).  A request no web server sent (fngw
 * invoke) has no connection but a sink (rq_sink), which takes its reply
 * in front.c's place.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "loop.h"
#include "reply.h"
#include "route.h"
#include "spawn.h"
#include "spool.h"
#include "util.h"

struct conn;
struct config;
struct fn;

enum rq_state {
	RQ_PARAMS,		/* reading params */
	RQ_QUEUED,		/* waiting for a slot */
	RQ_WAITING,		/* fastcgi: has a slot, waits for an instance */
	RQ_SPAWNING,		/* with the spawner thread */
	RQ_RUNNING,		/* the function runs */
	RQ_LOGGING,		/* its row is with the usage writer */
	RQ_ENDED		/* ended on the connection; to be freed */
};

struct request;

/*
 * Where the reply of a request without a connection goes: front.c's
 * front_stdout(), front_end() and front_cut() hand such a request to
 * these, which keep the same contracts.
 */
struct request_sink {
	int	(*rs_stdout)(struct request *, const void *, size_t);
	void	(*rs_end)(struct request *);
	void	(*rs_cut)(struct request *);
};

struct pair {
	const char	*p_name;	/* NUL-terminated, in rq_pstore */
	const char	*p_value;
	size_t		 p_nlen, p_vlen;
};

struct request {
	enum rq_state	 rq_state;
	struct conn	*rq_conn;		/* borrowed; NULL once gone */
	const struct request_sink *rq_sink;	/* no connection: fngw invoke */
	unsigned	 rq_id;			/* FastCGI request id */
	struct config	*rq_cf;			/* a reference */
	const struct fn	*rq_fn;			/* borrowed from rq_cf */
	const char	*rq_trigger;		/* "http", "cron", "cli" */
	/* rq_gone(rq) is called as rq is freed, so that its owner (a
	 * schedule, for a detached run) forgets it. */
	void		(*rq_gone)(struct request *);
	void		*rq_gone_arg;

	/* Params as they came, then decoded into pairs. */
	struct buf	 rq_params;
	struct buf	 rq_pstore;		/* NUL-terminated copies */
	struct pair	*rq_pairs;
	size_t		 rq_npairs;
	const char	*rq_method, *rq_query, *rq_ctype, *rq_host;
	uint64_t	 rq_clen;		/* CONTENT_LENGTH, 0 if none */
	char		 rq_reqid[65];
	char		*rq_path;		/* normalised, malloc'ed */
	size_t		 rq_path_len;
	char		*rq_uri;		/* REQUEST_URI in origin form,
						 * malloc'ed, when it came in
						 * absolute form; else NULL */
	struct route_result rq_rr;

	/* The body: FCGI_STDIN in, the child's stdin out. */
	struct spool	 rq_body;
	uint64_t	 rq_bytes_in;
	int		 rq_stdin_done;		/* empty FCGI_STDIN seen */

	/* The child. */
	struct spawn	 rq_sp;
	char		**rq_envp;
	pid_t		 rq_pid;		/* -1 once reaped */
	int		 rq_pidfd, rq_in, rq_out, rq_err;
	struct ev	 rq_ev_in, rq_ev_out, rq_ev_err, rq_ev_pid;
	struct timer	 rq_deadline;		/* timeout, then kill_grace */
	struct timer	 rq_qtimer;		/* queue_timeout, exit grace */
	int		 rq_killed;		/* TERM sent: 1; KILL sent: 2 */
	int		 rq_kill_reason;	/* 504, 502, 499 (aborted) */
	int		 rq_reaped;
	int		 rq_out_eof;
	int		 rq_wstatus;
	struct rusage	 rq_ru;
	struct buf	 rq_out_buf;		/* stdout until headers end */
	size_t		 rq_hdr_scan;		/* rq_out_buf scanned so far */
	struct buf	 rq_err_buf;		/* a partial stderr line */
	struct reply	 rq_reply;
	int		 rq_hdr_sent;		/* headers went to the client */
	int		 rq_cut;		/* the response was cut off */
	uint64_t	 rq_bytes_out;		/* body bytes to the client */

	/* Accounting. */
	int		 rq_status;
	const char	*rq_outcome;
	const char	*rq_errcode;		/* JSON error code, if any */
	int64_t		 rq_started_wall;	/* epoch µs */
	uint64_t	 rq_t_routed;		/* monotonic µs */
	uint64_t	 rq_t_spawn;		/* handed to the function */
	uint64_t	 rq_t_end;
	int		 rq_slot;		/* holds a pool slot */
	TAILQ_ENTRY(request) rq_qlink;		/* in a pool's wait queue */

	/* fastcgi mode (instance.c): the instance serving rq, how much of
	 * the body went to it, whether it is a retry; the usage figures
	 * an instance measured (cgi mode takes them from rq_ru). */
	struct instance	*rq_inst;
	uint64_t	 rq_body_off;
	int		 rq_retried;
	int		 rq_cold;
	uint64_t	 rq_init_us;
	uint64_t	 rq_cpu_user_us, rq_cpu_sys_us, rq_max_rss_kb;
	int		 rq_app_status;		/* END_REQUEST's, or -1 */
};

struct usage;
struct usage_row;

/* Start-up: the ledger rows go to (borrowed), a seeded id generator. */
void	request_setup(struct usage *);
/* A new request on connection c (borrowed) under snapshot cf (a new
 * reference); NULL when out of memory. */
struct request	*request_new(struct conn *, unsigned, struct config *);
/*
 * A run of fn that no web server asked for (trigger is static text:
 * "cron"): a detached request under snapshot cf (a new reference), a GET
 * of "/" with no query, no headers and no body, whose reply is read,
 * counted and dropped.  NULL when out of memory.  Start it with
 * request_admit(); it ends as any request does, row and all.
 */
struct request	*request_new_detached(struct config *, const struct fn *,
		    const char *);
/*
 * rq is routed (rq_fn set): refuse it while the ledger cannot take its
 * row, else take a slot and run it, or queue it (queue_timeout), or
 * refuse it (queue full, tenant cap), exactly as an HTTP request.  rq
 * may be finished, and even freed, before this returns.
 */
void	request_admit(struct request *);
/* Free rq and all it owns; tells front.c (front_request_gone()). */
void	request_free(struct request *);
unsigned long	 request_count(void);	/* requests alive */

/* The params are complete: route rq and start it, queue it or end it. */
void	request_dispatch(struct request *);
/* FCGI_STDIN content for rq (len 0: the end of the body). */
void	request_body(struct request *, const void *, size_t);
/* The web server is gone or aborted rq: kill its function, bill it. */
void	request_abort(struct request *, const char *);

/*
 * End rq with an error: a JSON error reply when no header went out yet,
 * else the response is cut off (front_cut(): the connection closes
 * without END_REQUEST, so the web server does not pass it on as
 * complete).  Sets rq_status and rq_errcode; does not finish rq.
 */
void	request_fail(struct request *, int, const char *, const char *);
/*
 * The outcome of a function that ended by itself with wait status st:
 * NULL for exit 0, "limit" when one of its rlimits explains the end,
 * else "crash" (a signal) or "error"; msg gets the reason.
 */
const char *request_exit_outcome(struct request *, int, char *, size_t);
/* Refuse rq before any function ran: its row if it had a route. */
void	request_reject(struct request *, int, const char *, const char *);
/* The function is done (reaped, output over): write its row; front.c
 * ends rq once request_logged() sees the row committed. */
void	request_finish(struct request *);
void	request_logged(struct usage_row *);
/* The loop callback for usage_fd() of request_setup()'s ledger. */
struct ev;
void	request_ledger_cb(struct ev *, uint32_t);

/* Hand rq (which holds a slot) to its function's executor. */
void	request_run(struct request *);
/* The web server's connection drained: read the function again. */
void	request_resume(struct request *);
/*
 * The function's output: its header block until complete, then body
 * bytes for the client.  Returns 0 to go on, 1 when the connection
 * backs up (stop reading until request_resume()), -1 when the reply is
 * malformed or over max_output (rq has its 502: stop the function).
 * With judge set no more output will come: an incomplete header block
 * is judged now, else it waits for more.
 */
int	request_output(struct request *, const void *, size_t, int);
/* A line the function wrote to stderr (rq as void *, for buf_lines()):
 * to the log, tagged with function and request id, 1000 bytes at most. */
void	request_stderr_line(void *, const char *, size_t);

#endif /* REQUEST_H */
