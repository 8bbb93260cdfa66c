/*
 * pool.h -- per function: invocation slots (concurrency), the bounded
 * wait queue, per-tenant caps across a tenant's functions, and for
 * fastcgi mode the warm instances (start, reuse, recycle, reap idle).
 *
 * Loop thread only.  Pools live as long as the snapshot they were made
 * for (a reload makes new ones and lets the old drain); a request holds
 * at most one slot, taken by pool_acquire() and given back by
 * pool_release(), which also starts the next waiting
 * request (through request_run()).  A fastcgi request with a slot then
 * takes an idle instance, or waits for one that pool.c starts while
 * fewer than concurrency instances exist.
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct instance;
struct request;

/* Outcomes of SPEC.md's usage rows, in the order status pages list them. */
#define POOL_OUTCOMES	8
#define POOL_HIST	160	/* log-linear duration buckets: 16 + 36 * 4 */

struct pool_stats {
	const struct fn	*ps_fn;
	unsigned long	 ps_busy;		/* invocations running */
	unsigned long	 ps_queued;		/* waiting for a slot */
	/* fastcgi mode: instances by state (cgi mode: ps_busy are busy) */
	unsigned long	 ps_inst_busy, ps_inst_idle, ps_inst_starting;
	unsigned long	 ps_inst_stopping;
	unsigned long	 ps_waiting;		/* slot, no instance yet */
	unsigned long	 ps_started, ps_start_failures, ps_recycled;
	unsigned long	 ps_outcomes[POOL_OUTCOMES];
	unsigned long	 ps_cold_starts;
	unsigned long	 ps_timed;		/* durations recorded */
	uint64_t	 ps_p50_us, ps_p90_us, ps_p99_us;
	uint64_t	 ps_sum_us;
};

int	pool_setup(struct config *);	/* start-up; -1 on ENOMEM */
/* A reload: cf's pools become current, the old ones drain (-1: ENOMEM,
 * nothing changed). */
int	pool_reload(struct config *);
void	pool_teardown(void);

/*
 * Take a slot for rq's function.  Returns 0 when rq holds a slot (start
 * it now), 1 when rq waits in the queue (pool_release() will start it),
 * -1 when it is refused: rq->rq_errcode is "queue_full" or
 * "tenant_limit".
 */
int	pool_acquire(struct request *);
void	pool_release(struct request *);		/* no-op without a slot */
void	pool_dequeue(struct request *);		/* leave the queue */
/* Count rq's outcome and duration, once, when it is finished. */
void	pool_account(const struct request *);
/* The counters of the i-th function (file order); -1 past the last. */
int	pool_stats(size_t, struct pool_stats *);
/* The name of outcome i < POOL_OUTCOMES ("ok", "error", ...). */
const char	*pool_outcome_name(size_t);

/* fastcgi mode. */
void	pool_run(struct request *);	/* rq holds a slot: an instance */
void	pool_warm_start(void);		/* start-up: min_instances */
void	pool_drain(void);		/* shutting down: keep no minimum */
int	pool_is_draining(void);
void	pool_stop_all(void);		/* at exit: kill and reap them all */
/* From instance.c: what became of an instance. */
void	pool_instance_spawned(struct instance *); /* may claim a request */
void	pool_instance_ready(struct instance *);	/* accepting now */
void	pool_instance_done(struct instance *);	/* its request ended */
/* Reaped (or never started: start_failed); inst is freed. */
void	pool_instance_gone(struct instance *, int, const char *);
/* The request inst had claimed, never accepted: it waits again. */
void	pool_unclaimed(struct request *);
/* rq's instance went away before answering: send rq again, once. */
void	pool_retry(struct request *);

#endif /* POOL_H */
