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
	unsigned long	 p_outcomes[POOL_OUTCOMES];
	unsigned long	 p_cold_starts;
	unsigned long	 p_timed;
	uint64_t	 p_sum_us;
	unsigned long	 p_hist[POOL_HIST];
};

static const char *const pool_outcomes[POOL_OUTCOMES] = {
	"ok", "error", "timeout", "crash", "limit", "aborted", "throttled",
	"rejected"
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

	if (tenant_full(rq->rq_fn)) {
		rq->rq_errcode = "tenant_limit";
		return -1;
	}
	if (p->p_busy < rq->rq_fn->fn_concurrency && p->p_queued == 0) {
		pool_take(p, rq);
		return 0;
	}
	if (p->p_queued >= rq->rq_fn->fn_queue) {
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

/*
 * Durations go into log-linear buckets: exact below 16 us, then four
 * buckets per power of two (at most 19% wide), up to 2^39 us.  Enough
 * for percentiles on a status page, in a fixed 1.3 KiB per function.
 */
static size_t
hist_bucket(uint64_t us)
{
	unsigned	e;

	if (us < 16)
		return (size_t)us;
	e = 63 - (unsigned)__builtin_clzll(us);
	if (e > 39)
		return POOL_HIST - 1;
	return 16 + (size_t)(e - 4) * 4 + (size_t)((us >> (e - 2)) & 3);
}

static uint64_t
hist_value(size_t b)
{
	unsigned	e, sub;

	if (b < 16)
		return b;
	e = (unsigned)(b - 16) / 4 + 4;
	sub = (unsigned)(b - 16) % 4;
	/* The middle of the bucket. */
	return ((uint64_t)(4 + sub) << (e - 2)) + ((uint64_t)1 << (e - 3));
}

static uint64_t
hist_quantile(const struct pool *p, unsigned permille)
{
	unsigned long	want, seen = 0;
	size_t		b;

	if (p->p_timed == 0)
		return 0;
	want = (p->p_timed * permille + 999) / 1000;
	for (b = 0; b < POOL_HIST; b++)
		if ((seen += p->p_hist[b]) >= want)
			return hist_value(b);
	return hist_value(POOL_HIST - 1);
}

void
pool_account(const struct request *rq)
{
	struct pool	*p = pool_of(rq->rq_fn);
	uint64_t	 us;
	size_t		 i;

	for (i = 0; i < POOL_OUTCOMES; i++)
		if (strcmp(rq->rq_outcome, pool_outcomes[i]) == 0)
			p->p_outcomes[i]++;
	if (rq->rq_t_spawn != 0 && rq->rq_t_end >= rq->rq_t_spawn) {
		us = rq->rq_t_end - rq->rq_t_spawn;
		p->p_hist[hist_bucket(us)]++;
		p->p_timed++;
		p->p_sum_us += us;
	}
}

int
pool_stats(size_t i, struct pool_stats *ps)
{
	const struct pool	*p;

	if (i >= npools)
		return -1;
	p = &pools[i];
	memset(ps, 0, sizeof(*ps));
	ps->ps_fn = p->p_fn;
	ps->ps_busy = (unsigned long)p->p_busy;
	ps->ps_queued = (unsigned long)p->p_queued;
	memcpy(ps->ps_outcomes, p->p_outcomes, sizeof(ps->ps_outcomes));
	ps->ps_cold_starts = p->p_cold_starts;
	ps->ps_timed = p->p_timed;
	ps->ps_sum_us = p->p_sum_us;
	ps->ps_p50_us = hist_quantile(p, 500);
	ps->ps_p90_us = hist_quantile(p, 900);
	ps->ps_p99_us = hist_quantile(p, 990);
	return 0;
}

const char *
pool_outcome_name(size_t i)
{
	return i < POOL_OUTCOMES ? pool_outcomes[i] : "?";
}
