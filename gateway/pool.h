/*
 * pool.h -- per function: invocation slots (concurrency), the bounded
 * wait queue, and per-tenant caps across a tenant's functions.
 *
 * Loop thread only.  Pools live as long as the snapshot they were made
 * for; a request holds at most one slot, taken by pool_acquire() and
 * given back by pool_release(), which also starts the next waiting
 * request (through cgi_start()).
 */
#ifndef POOL_H
#define POOL_H

struct config;
struct request;

struct pool_stats {
	unsigned long	 ps_busy;
	unsigned long	 ps_queued;
	unsigned long	 ps_requests;
	unsigned long	 ps_throttled;
};

int	pool_setup(const struct config *);	/* start-up; -1 on ENOMEM */
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
int	pool_stats(const char *, struct pool_stats *);
/* Requests running or waiting, over all functions. */
unsigned long pool_active(void);

#endif /* POOL_H */
