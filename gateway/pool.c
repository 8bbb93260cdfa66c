/*
 * pool.c -- slots and wait queues for cgi mode, and tenant caps.
 *
 * A slot is a permission to run one invocation.  Requests over a
 * function's concurrency wait in its FIFO queue (bounded by `queue`,
 * each with its own queue_timeout, which front.c arms); requests over
 * their tenant's concurrency are refused at once, as SPEC.md's status
 * table says, so that one tenant cannot fill a shared host's queues.
 */
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "config.h"
#include "log.h"
#include "pool.h"
#include "request.h"

struct pool {
	const struct fn	*p_fn;
	int		 p_busy;
	int		 p_queued;
	TAILQ_HEAD(, request) p_queue;
	unsigned long	 p_requests;
	unsigned long	 p_throttled;
};

static struct pool	*pools;
static size_t		 npools;
static int		*tenant_busy;
static const struct config *pool_cf;

int
pool_setup(const struct config *cf)
{
	size_t	i;

	if ((pools = calloc(cf->cf_nfns + 1, sizeof(*pools))) == NULL)
		return -1;
	if ((tenant_busy = calloc(cf->cf_ntenants + 1,
	    sizeof(*tenant_busy))) == NULL)
		return -1;
	npools = cf->cf_nfns;
	for (i = 0; i < npools; i++) {
		pools[i].p_fn = cf->cf_fns[i];
		TAILQ_INIT(&pools[i].p_queue);
	}
	pool_cf = cf;
	return 0;
}

void
pool_teardown(void)
{
	free(pools);
	free(tenant_busy);
	pools = NULL;
	tenant_busy = NULL;
	npools = 0;
}

static struct pool *
pool_of(const struct fn *fn)
{
	return &pools[fn->fn_index];
}

static int
tenant_full(const struct fn *fn)
{
	const struct tenant	*t = fn->fn_tenant;

	return t != NULL && t->t_concurrency > 0 &&
	    tenant_busy[t->t_index] >= t->t_concurrency;
}

static void
pool_take(struct pool *p, struct request *rq)
{
	p->p_busy++;
	if (p->p_fn->fn_tenant != NULL)
		tenant_busy[p->p_fn->fn_tenant->t_index]++;
	rq->rq_slot = 1;
}

int
pool_acquire(struct request *rq)
{
	struct pool	*p = pool_of(rq->rq_fn);

	p->p_requests++;
	if (tenant_full(rq->rq_fn)) {
		p->p_throttled++;
		rq->rq_errcode = "tenant_limit";
		return -1;
	}
	if (p->p_busy < rq->rq_fn->fn_concurrency && p->p_queued == 0) {
		pool_take(p, rq);
		return 0;
	}
	if (p->p_queued >= rq->rq_fn->fn_queue) {
		p->p_throttled++;
		rq->rq_errcode = "queue_full";
		return -1;
	}
	TAILQ_INSERT_TAIL(&p->p_queue, rq, rq_qlink);
	p->p_queued++;
	rq->rq_state = RQ_QUEUED;
	return 1;
}

void
pool_dequeue(struct request *rq)
{
	struct pool	*p;

	if (rq->rq_state != RQ_QUEUED)
		return;
	p = pool_of(rq->rq_fn);
	TAILQ_REMOVE(&p->p_queue, rq, rq_qlink);
	p->p_queued--;
}

/* Start waiting requests of p while it and their tenant have room. */
static void
pool_wake(struct pool *p)
{
	struct request	*rq;

	while ((rq = TAILQ_FIRST(&p->p_queue)) != NULL &&
	    p->p_busy < p->p_fn->fn_concurrency && !tenant_full(p->p_fn)) {
		TAILQ_REMOVE(&p->p_queue, rq, rq_qlink);
		p->p_queued--;
		pool_take(p, rq);
		cgi_start(rq);
	}
}

void
pool_release(struct request *rq)
{
	struct pool		*p;
	const struct tenant	*t;
	size_t			 i;

	if (!rq->rq_slot)
		return;
	rq->rq_slot = 0;
	p = pool_of(rq->rq_fn);
	p->p_busy--;
	if ((t = rq->rq_fn->fn_tenant) != NULL)
		tenant_busy[t->t_index]--;
	pool_wake(p);
	/* A tenant's freed capacity may be what another of its functions'
	 * queue waits for. */
	for (i = 0; t != NULL && i < npools && !tenant_full(rq->rq_fn); i++)
		if (pools[i].p_fn->fn_tenant == t && &pools[i] != p)
			pool_wake(&pools[i]);
}

int
pool_stats(const char *name, struct pool_stats *ps)
{
	size_t	i;

	for (i = 0; i < npools; i++)
		if (strcmp(pools[i].p_fn->fn_name, name) == 0) {
			ps->ps_busy = (unsigned long)pools[i].p_busy;
			ps->ps_queued = (unsigned long)pools[i].p_queued;
			ps->ps_requests = pools[i].p_requests;
			ps->ps_throttled = pools[i].p_throttled;
			return 0;
		}
	return -1;
}

unsigned long
pool_active(void)
{
	unsigned long	n = 0;
	size_t		i;

	for (i = 0; i < npools; i++)
		n += (unsigned long)(pools[i].p_busy + pools[i].p_queued);
	return n;
}
