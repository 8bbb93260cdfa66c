/*
 * pool.c -- slots and wait queues, tenant caps, and warm instances.
 *
 * A slot is a permission to run one invocation.  Requests over a
 * function's concurrency wait in its FIFO queue (bounded by `queue`,
 * each with its own queue_timeout, which request.c arms); requests over
 * their tenant's concurrency are refused at once, as SPEC.md's status
 * table says, so that one tenant cannot fill a shared host's queues.
 *
 * In fastcgi mode a request with a slot then needs an instance: the
 * most recently used idle one (so that the others idle out), else it
 * waits on p_need while pool.c starts one, never more than concurrency
 * processes at once (stopping ones count until they are reaped).  An
 * instance that served max_requests is stopped after its request; one
 * idle past idle_timeout is stopped while more than min_instances are
 * left.  Instances that fail to start put the pool in backoff (100 ms,
 * doubling up to 10 s): no new start until it passes, and requests that
 * no live instance can serve get a 502 at once rather than a hang.
 *
 * Pools belong to a generation, one per configuration snapshot.  A
 * reload makes a new current generation; the old ones keep serving what
 * they hold (requests routed under them, queued or running), stop their
 * instances as they fall idle, start no minimum, and are freed once
 * empty and no request holds their snapshot.  What outlives generations
 * is kept by name: a function's counters (the status page's) and a
 * tenant's busy slots, so that a tenant's cap holds across a reload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "instance.h"
#include "log.h"
#include "pool.h"
#include "request.h"

#define POOL_BACKOFF_MIN	100	/* ms */
#define POOL_BACKOFF_MAX	10000
#define POOL_NEXT_MS		50	/* ms: a start, then the next socket */

TAILQ_HEAD(instlist, instance);

/* What outlives generations, kept by name in a list: the head of each. */
struct pool_named {
	char			*n_name;
	struct pool_named	*n_next;
};

/* A function's counters, by name, across reloads. */
struct pool_cnt {
	struct pool_named c_n;		/* first */
	unsigned long	 c_started, c_start_failures, c_recycled;
	unsigned long	 c_outcomes[POOL_OUTCOMES];
	unsigned long	 c_cold_starts;
	unsigned long	 c_timed;
	uint64_t	 c_sum_us;
	unsigned long	 c_hist[POOL_HIST];
};

/* A tenant's invocations running, by name, across reloads. */
struct pool_tenant {
	struct pool_named t_n;		/* first */
	int		 t_busy;
};

struct pool_gen;

struct pool {
	const struct fn	*p_fn;
	struct pool_gen	*p_gen;
	struct pool_cnt	*p_cnt;
	int		*p_tbusy;		/* its tenant's; NULL: none */
	int		 p_busy;
	int		 p_queued;
	TAILQ_HEAD(, request) p_queue;

	/* fastcgi mode */
	struct instlist	 p_idle;		/* most recently used first */
	struct instlist	 p_others;		/* starting, busy, stopping */
	int		 p_live;		/* processes, stopping too */
	int		 p_waiting;		/* on p_need */
	TAILQ_HEAD(, request) p_need;
	int		 p_fails;		/* start failures in a row */
	uint64_t	 p_backoff_until;	/* loop_now() ms */
	struct timer	 p_backoff;
	char		 p_why[200];		/* the last start failure */
	/* The listening socket of its next instance, made ahead once it
	 * started one (pool_next_cb()): -1 while there is none. */
	int		 p_next_fd;
	unsigned	 p_next_seq;
	char		 p_next_path[INST_PATH_MAX];
	struct timer	 p_next;
};

struct pool_gen {
	struct config	*g_cf;			/* a reference */
	struct pool	*g_pools;		/* one per fn, file order */
	size_t		 g_npools;
	LIST_ENTRY(pool_gen) g_link;
};

static const char *const pool_outcomes[POOL_OUTCOMES] = {
	"ok", "error", "timeout", "crash", "limit", "aborted", "throttled",
	"rejected"
};

/* The current generation first, then older ones. */
static LIST_HEAD(, pool_gen) pool_gens = LIST_HEAD_INITIALIZER(pool_gens);
static struct pool_named *pool_cnts;		/* struct pool_cnt */
static struct pool_named *pool_tenants;		/* struct pool_tenant */
static unsigned		 pool_seq;	/* instance numbers, never reused */
static int		 pool_draining;
static struct timer	 pool_gc_timer;

static void	pool_backoff_cb(struct timer *);

/* The entry named name of list *head (size bytes, zeroed when new). */
static void *
pool_named_get(struct pool_named **head, size_t size, const char *name)
{
	struct pool_named	*n;

	for (n = *head; n != NULL; n = n->n_next)
		if (strcmp(n->n_name, name) == 0)
			return n;
	if ((n = calloc(1, size)) == NULL ||
	    (n->n_name = strdup(name)) == NULL) {
		free(n);
		return NULL;
	}
	n->n_next = *head;
	*head = n;
	return n;
}

static void
pool_named_free(struct pool_named **head)
{
	struct pool_named	*n;

	while ((n = *head) != NULL) {
		*head = n->n_next;
		free(n->n_name);
		free(n);
	}
}

static struct pool_cnt *
pool_cnt_of(const char *name)
{
	return pool_named_get(&pool_cnts, sizeof(struct pool_cnt), name);
}

static int *
pool_tenant_of(const char *name)
{
	struct pool_tenant	*t;

	t = pool_named_get(&pool_tenants, sizeof(*t), name);
	return t != NULL ? &t->t_busy : NULL;
}

static struct pool_gen *
pool_current(void)
{
	return LIST_FIRST(&pool_gens);
}

static int
pool_old(const struct pool *p)
{
	return p->p_gen != pool_current();
}

static void	pool_next_drop(struct pool *);

static void
pool_gen_free(struct pool_gen *g)
{
	size_t	i;

	for (i = 0; i < g->g_npools; i++) {
		timer_cancel(&g->g_pools[i].p_backoff);
		pool_next_drop(&g->g_pools[i]);
	}
	LIST_REMOVE(g, g_link);
	free(g->g_pools);
	config_unref(g->g_cf);
	free(g);
}

/* Old generations that nothing uses any more go; the timer runs while
 * there are old ones. */
static void
pool_gc_cb(struct timer *t)
{
	struct pool_gen	*g, *next;
	const struct pool *p;
	size_t		 i;
	int		 busy;

	(void)t;
	for (g = LIST_NEXT(pool_current(), g_link); g != NULL; g = next) {
		next = LIST_NEXT(g, g_link);
		/* A request of its snapshot may still route to it. */
		busy = g->g_cf->cf_refs > 1;
		for (i = 0; !busy && i < g->g_npools; i++) {
			p = &g->g_pools[i];
			busy = p->p_busy || p->p_queued || p->p_live ||
			    p->p_waiting;
		}
		if (!busy) {
			log_debug("the pools of a replaced configuration "
			    "are empty: freed");
			pool_gen_free(g);
		}
	}
	if (LIST_NEXT(pool_current(), g_link) != NULL)
		timer_set(&pool_gc_timer, 1000);
}

static void	pool_keep_min(struct pool *);
static void	pool_retire(struct instance *, const char *);
static void	pool_next_cb(struct timer *);

/* A generation for cf, made current. */
static int
pool_gen_new(struct config *cf)
{
	struct pool_gen	*g;
	struct pool	*p;
	size_t		 i;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->g_pools = calloc(cf->cf_nfns + 1, sizeof(*g->g_pools))) ==
	    NULL) {
		free(g);
		return -1;
	}
	g->g_npools = cf->cf_nfns;
	for (i = 0; i < g->g_npools; i++) {
		p = &g->g_pools[i];
		p->p_fn = cf->cf_fns[i];
		p->p_gen = g;
		if ((p->p_cnt = pool_cnt_of(p->p_fn->fn_name)) == NULL ||
		    (p->p_fn->fn_tenant != NULL && (p->p_tbusy =
		    pool_tenant_of(p->p_fn->fn_tenant->t_name)) == NULL)) {
			free(g->g_pools);
			free(g);
			return -1;
		}
		TAILQ_INIT(&p->p_queue);
		TAILQ_INIT(&p->p_idle);
		TAILQ_INIT(&p->p_others);
		TAILQ_INIT(&p->p_need);
		timer_init(&p->p_backoff, pool_backoff_cb, p);
		p->p_next_fd = -1;
		timer_init(&p->p_next, pool_next_cb, p);
	}
	g->g_cf = config_ref(cf);
	LIST_INSERT_HEAD(&pool_gens, g, g_link);
	return 0;
}

int
pool_setup(struct config *cf)
{
	timer_init(&pool_gc_timer, pool_gc_cb, NULL);
	return pool_gen_new(cf);
}

int
pool_reload(struct config *cf)
{
	struct pool_gen	*old = pool_current();
	struct instance	*inst;
	size_t		 i;

	if (pool_gen_new(cf) == -1)
		return -1;
	/* The old generation serves on what it holds; idle instances go
	 * now, busy ones when their request ends (pool_give()).  A start
	 * it still makes binds a socket of its own. */
	for (i = 0; old != NULL && i < old->g_npools; i++) {
		pool_next_drop(&old->g_pools[i]);
		while ((inst = TAILQ_FIRST(&old->g_pools[i].p_idle)) != NULL)
			pool_retire(inst, "the configuration was reloaded");
	}
	pool_warm_start();
	timer_set(&pool_gc_timer, 1000);
	return 0;
}

void
pool_teardown(void)
{
	timer_cancel(&pool_gc_timer);
	while (!LIST_EMPTY(&pool_gens))
		pool_gen_free(LIST_FIRST(&pool_gens));
	pool_named_free(&pool_cnts);
	pool_named_free(&pool_tenants);
}

/* fn's pool: in the generation of the snapshot fn belongs to. */
static struct pool *
pool_of(const struct fn *fn)
{
	struct pool_gen	*g;

	LIST_FOREACH(g, &pool_gens, g_link)
		if ((size_t)fn->fn_index < g->g_npools &&
		    g->g_pools[fn->fn_index].p_fn == fn)
			return &g->g_pools[fn->fn_index];
	abort();	/* a request outlived its snapshot's reference */
}

/* Instances of p in state st (p_others holds all but the idle ones). */
static int
pool_count(const struct pool *p, enum inst_state st)
{
	const struct instance	*inst;
	int			 n = 0;

	TAILQ_FOREACH(inst, &p->p_others, i_link)
		n += inst->i_state == st;
	return n;
}

/* Starting instances that claimed no request (a waiting one will get
 * each of them). */
static int
pool_starting_free(const struct pool *p)
{
	const struct instance	*inst;
	int			 n = 0;

	TAILQ_FOREACH(inst, &p->p_others, i_link)
		n += inst->i_state == INST_STARTING && inst->i_rq == NULL;
	return n;
}

/* No instance lives and none may start yet: nothing can serve. */
static int
pool_dead(const struct pool *p)
{
	return p->p_fn->fn_mode == FN_FASTCGI && p->p_live == 0 &&
	    loop_now() < p->p_backoff_until;
}

/* A request that no instance can serve now: 502 at once, not a hang. */
static void
pool_refuse(struct pool *p, struct request *rq)
{
	char	msg[300];

	(void)snprintf(msg, sizeof(msg), "the function cannot start: %s",
	    p->p_why);
	timer_cancel(&rq->rq_qtimer);
	rq->rq_state = RQ_RUNNING;
	request_fail(rq, 502, "bad_gateway", msg);
	rq->rq_outcome = "error";
	request_finish(rq);
}

/* p's tenant is at its cap (the cap of p's snapshot, over the busy
 * slots of every generation). */
static int
tenant_full(const struct pool *p)
{
	const struct tenant	*t = p->p_fn->fn_tenant;

	return t != NULL && t->t_concurrency > 0 &&
	    *p->p_tbusy >= t->t_concurrency;
}

static void
pool_take(struct pool *p, struct request *rq)
{
	p->p_busy++;
	if (p->p_tbusy != NULL)
		(*p->p_tbusy)++;
	rq->rq_slot = 1;
}

int
pool_acquire(struct request *rq)
{
	struct pool	*p = pool_of(rq->rq_fn);

	if (tenant_full(p)) {
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

	if (rq->rq_state == RQ_WAITING) {
		p = pool_of(rq->rq_fn);
		TAILQ_REMOVE(&p->p_need, rq, rq_qlink);
		p->p_waiting--;
		rq->rq_state = RQ_PARAMS;
		return;
	}
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
	    p->p_busy < p->p_fn->fn_concurrency && !tenant_full(p)) {
		TAILQ_REMOVE(&p->p_queue, rq, rq_qlink);
		p->p_queued--;
		rq->rq_state = RQ_PARAMS;
		if (pool_dead(p)) {
			/* No slot taken: pool_release() will not recurse. */
			pool_refuse(p, rq);
			continue;
		}
		pool_take(p, rq);
		request_run(rq);
	}
}

void
pool_release(struct request *rq)
{
	struct pool	*p, *q;
	struct pool_gen	*g;
	size_t		 i;

	if (!rq->rq_slot)
		return;
	rq->rq_slot = 0;
	p = pool_of(rq->rq_fn);
	p->p_busy--;
	if (p->p_tbusy != NULL)
		(*p->p_tbusy)--;
	pool_wake(p);
	/* A tenant's freed capacity may be what another of its functions'
	 * queue waits for, in any generation. */
	LIST_FOREACH(g, &pool_gens, g_link)
		for (i = 0; p->p_tbusy != NULL && i < g->g_npools; i++) {
			q = &g->g_pools[i];
			if (q != p && q->p_tbusy == p->p_tbusy &&
			    q->p_queued > 0 && !tenant_full(q))
				pool_wake(q);
		}
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
hist_quantile(const struct pool_cnt *c, unsigned permille)
{
	unsigned long	want, seen = 0;
	size_t		b;

	if (c->c_timed == 0)
		return 0;
	want = (c->c_timed * permille + 999) / 1000;
	for (b = 0; b < POOL_HIST; b++)
		if ((seen += c->c_hist[b]) >= want)
			return hist_value(b);
	return hist_value(POOL_HIST - 1);
}

void
pool_account(const struct request *rq)
{
	struct pool_cnt	*c = pool_of(rq->rq_fn)->p_cnt;
	uint64_t	 us;
	size_t		 i;

	for (i = 0; i < POOL_OUTCOMES; i++)
		if (strcmp(rq->rq_outcome, pool_outcomes[i]) == 0)
			c->c_outcomes[i]++;
	if (rq->rq_t_spawn != 0 && rq->rq_t_end >= rq->rq_t_spawn) {
		us = rq->rq_t_end - rq->rq_t_spawn;
		c->c_hist[hist_bucket(us)]++;
		c->c_timed++;
		c->c_sum_us += us;
	}
}

/* Add what p holds now to ps. */
static void
pool_stats_add(const struct pool *p, struct pool_stats *ps)
{
	const struct instance	*inst;
	unsigned long		 busy = 0, idle = 0;

	ps->ps_busy += (unsigned long)p->p_busy;
	ps->ps_queued += (unsigned long)p->p_queued;
	ps->ps_waiting += (unsigned long)p->p_waiting;
	if (p->p_fn->fn_mode == FN_CGI) {
		ps->ps_inst_busy += (unsigned long)p->p_busy;
		return;
	}
	ps->ps_inst_starting += (unsigned long)pool_count(p, INST_STARTING);
	ps->ps_inst_stopping += (unsigned long)pool_count(p, INST_STOPPING);
	busy = (unsigned long)pool_count(p, INST_BUSY);
	TAILQ_FOREACH(inst, &p->p_idle, i_link)
		idle++;
	ps->ps_inst_busy += busy;
	ps->ps_inst_idle += idle;
}

int
pool_stats(size_t i, struct pool_stats *ps)
{
	const struct pool_gen	*cur = pool_current(), *g;
	const struct pool	*p;
	const struct pool_cnt	*c;
	size_t			 k;

	if (cur == NULL || i >= cur->g_npools)
		return -1;
	p = &cur->g_pools[i];
	c = p->p_cnt;
	memset(ps, 0, sizeof(*ps));
	ps->ps_fn = p->p_fn;
	pool_stats_add(p, ps);
	/* What the same function still runs under a replaced snapshot. */
	for (g = LIST_NEXT(cur, g_link); g != NULL; g = LIST_NEXT(g, g_link))
		for (k = 0; k < g->g_npools; k++)
			if (g->g_pools[k].p_cnt == c)
				pool_stats_add(&g->g_pools[k], ps);
	ps->ps_started = c->c_started;
	ps->ps_start_failures = c->c_start_failures;
	ps->ps_recycled = c->c_recycled;
	memcpy(ps->ps_outcomes, c->c_outcomes, sizeof(ps->ps_outcomes));
	ps->ps_cold_starts = c->c_cold_starts;
	ps->ps_timed = c->c_timed;
	ps->ps_sum_us = c->c_sum_us;
	ps->ps_p50_us = hist_quantile(c, 500);
	ps->ps_p90_us = hist_quantile(c, 900);
	ps->ps_p99_us = hist_quantile(c, 990);
	return 0;
}

const char *
pool_outcome_name(size_t i)
{
	return i < POOL_OUTCOMES ? pool_outcomes[i] : "?";
}

/*
 * Warm instances (fastcgi mode).
 */
static void
pool_start_one(struct pool *p)
{
	struct instance	*inst;

	if ((inst = calloc(1, sizeof(*inst))) == NULL) {
		log_error("fn=%s out of memory for an instance",
		    p->p_fn->fn_name);
		return;
	}
	inst->i_pool = p;
	inst->i_fn = p->p_fn;
	if (p->p_next_fd != -1) {
		inst->i_lfd = p->p_next_fd;
		inst->i_seq = p->p_next_seq;
		memcpy(inst->i_path, p->p_next_path, sizeof(inst->i_path));
		p->p_next_fd = -1;
	} else {
		inst->i_lfd = -1;
		inst->i_seq = ++pool_seq;
	}
	inst->i_state = INST_STARTING;
	TAILQ_INSERT_TAIL(&p->p_others, inst, i_link);
	p->p_live++;
	p->p_cnt->c_started++;
	/* The next start's socket, once this one is on its way. */
	if (!pool_old(p) && !pool_draining)
		timer_set(&p->p_next, POOL_NEXT_MS);
	/* May call pool_instance_gone() before it returns. */
	instance_start(inst, p->p_gen->g_cf);
}

/*
 * A function that started an instance keeps the socket of its next one
 * bound: a cold start then spends no time making a file in runtime_dir
 * (bind() and chown() cost 0.1 ms after a pause when it is on a disk,
 * as much as the rest of fngw's part of the start).  Made off the
 * request's path, a little after the start that used the last one.
 */
static void
pool_next_cb(struct timer *t)
{
	struct pool	*p = t->t_arg;
	const char	*why;
	unsigned	 seq;

	if (p->p_next_fd != -1 || pool_old(p) || pool_draining)
		return;
	seq = ++pool_seq;
	if ((p->p_next_fd = instance_socket(p->p_fn,
	    p->p_gen->g_cf->cf_runtime_dir, seq, p->p_next_path, &why)) ==
	    -1) {
		/* The start that needs it makes it, and says why not. */
		log_debug("fn=%s next instance's socket: %s", p->p_fn->fn_name,
		    why != NULL ? why : strerror(errno));
		return;
	}
	p->p_next_seq = seq;
}

static void
pool_next_drop(struct pool *p)
{
	timer_cancel(&p->p_next);
	if (p->p_next_fd == -1)
		return;
	fd_close(&p->p_next_fd);
	(void)unlink(p->p_next_path);
}

static int
pool_may_start(const struct pool *p)
{
	return p->p_live < p->p_fn->fn_concurrency &&
	    loop_now() >= p->p_backoff_until;
}

/* Start instances for the requests that wait and no start covers. */
static void
pool_grow(struct pool *p)
{
	while (p->p_waiting > pool_starting_free(p) && pool_may_start(p))
		pool_start_one(p);
}

/* Keep min_instances alive (not counting those on their way out); an
 * old generation keeps none. */
static void
pool_keep_min(struct pool *p)
{
	while (!pool_draining && !pool_old(p) &&
	    p->p_fn->fn_mode == FN_FASTCGI &&
	    p->p_live - pool_count(p, INST_STOPPING) <
	    p->p_fn->fn_min_instances && pool_may_start(p))
		pool_start_one(p);
}

static void
pool_backoff_cb(struct timer *t)
{
	struct pool	*p = t->t_arg;

	pool_grow(p);
	pool_keep_min(p);
}

void
pool_run(struct request *rq)
{
	struct pool	*p = pool_of(rq->rq_fn);
	struct instance	*inst;

	if ((inst = TAILQ_FIRST(&p->p_idle)) != NULL) {
		TAILQ_REMOVE(&p->p_idle, inst, i_link);
		TAILQ_INSERT_TAIL(&p->p_others, inst, i_link);
		timer_cancel(&inst->i_timer);
		instance_serve(inst, rq);
		return;
	}
	if (pool_dead(p)) {
		pool_refuse(p, rq);
		return;
	}
	rq->rq_state = RQ_WAITING;
	TAILQ_INSERT_TAIL(&p->p_need, rq, rq_qlink);
	p->p_waiting++;
	pool_grow(p);
}

void
pool_retry(struct request *rq)
{
	rq->rq_inst = NULL;
	rq->rq_retried = 1;
	rq->rq_body_off = 0;
	rq->rq_t_spawn = rq->rq_t_end = 0;
	rq->rq_cpu_user_us = rq->rq_cpu_sys_us = rq->rq_max_rss_kb = 0;
	rq->rq_cold = 0;
	rq->rq_init_us = 0;
	pool_run(rq);
}

static void
pool_retire(struct instance *inst, const char *why)
{
	struct pool	*p = inst->i_pool;

	if (inst->i_state == INST_IDLE) {
		TAILQ_REMOVE(&p->p_idle, inst, i_link);
		TAILQ_INSERT_TAIL(&p->p_others, inst, i_link);
	}
	instance_stop(inst, why);
}

static void
pool_idle_cb(struct timer *t)
{
	struct instance	*inst = t->t_arg;
	struct pool	*p = inst->i_pool;

	if (inst->i_state == INST_IDLE && p->p_live -
	    pool_count(p, INST_STOPPING) > p->p_fn->fn_min_instances)
		pool_retire(inst, "idle past idle_timeout");
}

/* rq waited for inst to start: a cold start, billed for the part of the
 * start it saw. */
static void
pool_cold(struct instance *inst, struct request *rq)
{
	uint64_t	waited, init;

	rq->rq_cold = 1;
	waited = util_now_us() - rq->rq_t_routed;
	init = inst->i_t_ready - inst->i_t_start;
	rq->rq_init_us = init < waited ? init : waited;
	inst->i_pool->p_cnt->c_cold_starts++;
}

/* inst is ready for a request: its claimed one, else the first waiting
 * one, else it idles. */
static void
pool_give(struct instance *inst, int fresh)
{
	struct pool	*p = inst->i_pool;
	const struct fn	*fn = p->p_fn;
	struct request	*rq;

	if ((rq = inst->i_rq) != NULL) {
		/* Its claimed request, sent ahead while it started. */
		pool_cold(inst, rq);
		instance_serve(inst, rq);
		return;
	}
	if (fn->fn_max_requests > 0 && inst->i_served >= fn->fn_max_requests) {
		p->p_cnt->c_recycled++;
		pool_retire(inst, "served max_requests");
		pool_grow(p);
		return;
	}
	if ((rq = TAILQ_FIRST(&p->p_need)) != NULL) {
		TAILQ_REMOVE(&p->p_need, rq, rq_qlink);
		p->p_waiting--;
		if (fresh)
			pool_cold(inst, rq);
		instance_serve(inst, rq);
		return;
	}
	if (pool_old(p)) {
		pool_retire(inst, "the configuration was reloaded");
		return;
	}
	TAILQ_REMOVE(&p->p_others, inst, i_link);
	TAILQ_INSERT_HEAD(&p->p_idle, inst, i_link);
	inst->i_state = INST_IDLE;
	inst->i_timer.t_cb = pool_idle_cb;
	inst->i_timer.t_arg = inst;
	timer_set(&inst->i_timer, fn->fn_idle_timeout_ms);
}

/*
 * inst was just spawned: when a request waits for it and no instance is
 * busy (a cold start: no other could take the request sooner, and none
 * can once it was sent), the first one goes ahead (instance_claim()).
 * With one busy, it stays in line for whichever instance comes first.
 */
void
pool_instance_spawned(struct instance *inst)
{
	struct pool	*p = inst->i_pool;
	struct request	*rq;

	if ((rq = TAILQ_FIRST(&p->p_need)) == NULL ||
	    pool_count(p, INST_BUSY) > 0 || instance_claim(inst, rq) == -1)
		return;
	TAILQ_REMOVE(&p->p_need, rq, rq_qlink);
	p->p_waiting--;
}

void
pool_unclaimed(struct request *rq)
{
	struct pool	*p = pool_of(rq->rq_fn);

	if (rq->rq_kill_reason != 0) {
		/* Aborted meanwhile, never run: it ends as a waiting
		 * request would have (request_abort()). */
		rq->rq_state = RQ_PARAMS;
		rq->rq_hdr_sent = 1;
		request_finish(rq);
		return;
	}
	rq->rq_state = RQ_WAITING;
	TAILQ_INSERT_HEAD(&p->p_need, rq, rq_qlink);
	p->p_waiting++;
}

void
pool_instance_ready(struct instance *inst)
{
	inst->i_pool->p_fails = 0;
	pool_give(inst, 1);
}

void
pool_instance_done(struct instance *inst)
{
	pool_give(inst, 0);
}

void
pool_instance_gone(struct instance *inst, int start_failed, const char *why)
{
	struct pool	*p = inst->i_pool;
	struct request	*rq;
	uint64_t	 ms;

	if (inst->i_state == INST_IDLE)
		TAILQ_REMOVE(&p->p_idle, inst, i_link);
	else
		TAILQ_REMOVE(&p->p_others, inst, i_link);
	p->p_live--;
	instance_free(inst);
	if (start_failed) {
		p->p_cnt->c_start_failures++;
		p->p_fails++;
		(void)snprintf(p->p_why, sizeof(p->p_why), "%s", why);
		ms = p->p_fails > 7 ? POOL_BACKOFF_MAX :
		    (uint64_t)POOL_BACKOFF_MIN << (p->p_fails - 1);
		if (ms > POOL_BACKOFF_MAX)
			ms = POOL_BACKOFF_MAX;
		p->p_backoff_until = loop_now() + ms;
		timer_set(&p->p_backoff, ms);
		log_error("fn=%s instance failed to start: %s (%d in a row; "
		    "next start in %llu ms)", p->p_fn->fn_name, why,
		    p->p_fails, (unsigned long long)ms);
	}
	/* Requests that wait while nothing lives and nothing may start
	 * would hang: they get a 502 now. */
	while (pool_dead(p) && (rq = TAILQ_FIRST(&p->p_need)) != NULL) {
		pool_dequeue(rq);
		pool_refuse(p, rq);
	}
	pool_grow(p);
	pool_keep_min(p);
}

void
pool_warm_start(void)
{
	struct pool_gen	*g = pool_current();
	size_t		 i;

	for (i = 0; g != NULL && i < g->g_npools; i++)
		pool_keep_min(&g->g_pools[i]);
}

void
pool_drain(void)
{
	struct pool_gen	*g;
	size_t		 i;

	pool_draining = 1;
	LIST_FOREACH(g, &pool_gens, g_link)
		for (i = 0; i < g->g_npools; i++)
			pool_next_drop(&g->g_pools[i]);
}

int
pool_is_draining(void)
{
	return pool_draining;
}

void
pool_stop_all(void)
{
	struct pool_gen	*g;
	struct pool	*p;
	struct instance	*inst;
	size_t		 i;

	LIST_FOREACH(g, &pool_gens, g_link)
		for (i = 0; i < g->g_npools; i++) {
			p = &g->g_pools[i];
			while ((inst = TAILQ_FIRST(&p->p_idle)) != NULL) {
				TAILQ_REMOVE(&p->p_idle, inst, i_link);
				instance_kill_now(inst);
				instance_free(inst);
			}
			while ((inst = TAILQ_FIRST(&p->p_others)) != NULL) {
				TAILQ_REMOVE(&p->p_others, inst, i_link);
				instance_kill_now(inst);
				instance_free(inst);
			}
			p->p_live = 0;
		}
}
