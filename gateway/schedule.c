/*
 * schedule.c -- the schedules' timers.  Each scheduled function has a loop
 * timer for its next due time (wall clock, UTC); when it fires, the run
 * is a detached request that request.c admits exactly as it admits the
 * web server's (ledger, tenant cap, slot or queue, limits, row), and the
 * next due time is computed from the clock as it then reads, so that a
 * machine that slept or a clock that jumped ahead gives one run, never a
 * burst of the ones it missed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cron.h"
#include "log.h"
#include "loop.h"
#include "request.h"
#include "schedule.h"
#include "util.h"

/*
 * Timers run on the monotonic clock, which stands still while the
 * machine sleeps and does not follow changes of the wall clock: so
 * sleep at most this long before reading the wall clock again.
 */
#define SCHED_MAX_SLEEP_MS	60000

struct sched_job {
	const struct fn	*j_fn;		/* borrowed from sched_cf */
	struct timer	 j_timer;
	time_t		 j_next;	/* due, scheduler seconds; -1: never */
	struct request	*j_running;	/* the run in flight, or NULL */
};

static struct config	*sched_cf;	/* a reference */
static struct sched_job	*sched_jobs;
static size_t		 sched_njobs;
static int		 sched_draining;
/*
 * For tests only, never for users: FNGW_TEST_CRON_SCALE=N in fngw's
 * environment makes the scheduler's clock run N times as fast as the
 * wall clock from start-up on (60: a minute a second), so that a test
 * sees real cron expressions fire through the real timers and request
 * path without waiting minutes.
 */
static int64_t		 sched_scale = 1;
static int64_t		 sched_base_ms;

static void	sched_fire(struct timer *);

/* The scheduler's clock, epoch milliseconds (UTC). */
static int64_t
sched_now_ms(void)
{
	int64_t	wall = (int64_t)(util_wall_us() / 1000);

	return sched_base_ms + (wall - sched_base_ms) * sched_scale;
}

static void
sched_arm(struct sched_job *j)
{
	int64_t	wait;

	if (j->j_next == -1 || sched_draining)
		return;
	wait = (int64_t)j->j_next * 1000 - sched_now_ms();
	wait = wait <= 0 ? 0 : (wait + sched_scale - 1) / sched_scale;
	if (wait > SCHED_MAX_SLEEP_MS)
		wait = SCHED_MAX_SLEEP_MS;
	timer_set(&j->j_timer, (uint64_t)wait);
}

/* The run's request is being freed: the schedule may run again. */
static void
sched_gone(struct request *rq)
{
	struct sched_job	*j = rq->rq_gone_arg;

	if (j != NULL && j->j_running == rq)
		j->j_running = NULL;
}

static void
sched_run(struct sched_job *j, const char *due)
{
	const struct fn	*fn = j->j_fn;
	struct request	*rq;

	if ((rq = request_new_detached(sched_cf, fn, "cron")) == NULL) {
		log_error("fn=%s due=%s out of memory: this run is skipped",
		    fn->fn_name, due);
		return;
	}
	j->j_running = rq;
	rq->rq_gone = sched_gone;
	rq->rq_gone_arg = j;
	log_info("fn=%s trigger=cron due=%s request_id=%s", fn->fn_name, due,
	    rq->rq_reqid);
	request_admit(rq);	/* may end and free rq at once */
}

static void
sched_fire(struct timer *t)
{
	struct sched_job	*j = t->t_arg;
	const struct fn		*fn = j->j_fn;
	int64_t			 now_ms;
	time_t			 now, missed;
	char			 due[32], next[32];

	if (sched_draining)
		return;
	now_ms = sched_now_ms();
	if (now_ms < (int64_t)j->j_next * 1000) {
		/* A capped sleep, or the wall clock went back: a time
		 * already run never runs twice, so wait for j_next. */
		sched_arm(j);
		return;
	}
	now = (time_t)(now_ms / 1000);
	cron_iso8601(j->j_next, due, sizeof(due));
	if ((missed = cron_next(&fn->fn_cron, j->j_next)) != -1 &&
	    missed <= now)
		log_warn("fn=%s due=%s late by %llds (the clock jumped ahead "
		    "or the machine slept): one run now, the runs due "
		    "meanwhile are not made up", fn->fn_name, due,
		    (long long)(now - j->j_next));
	j->j_next = cron_next(&fn->fn_cron, now);
	if (j->j_running != NULL)
		log_warn("fn=%s due=%s skipped: the previous run is still "
		    "going (request_id=%s)", fn->fn_name, due,
		    j->j_running->rq_reqid);
	else
		sched_run(j, due);
	if (j->j_next == -1) {
		log_warn("fn=%s schedule=\"%s\" has no next run",
		    fn->fn_name, fn->fn_schedule);
		return;
	}
	cron_iso8601(j->j_next, next, sizeof(next));
	log_debug("fn=%s next=%s", fn->fn_name, next);
	sched_arm(j);
}

static void
sched_scale_init(void)
{
	const char	*v, *errstr;
	long long	 n;

	sched_base_ms = (int64_t)(util_wall_us() / 1000);
	if ((v = getenv("FNGW_TEST_CRON_SCALE")) == NULL)
		return;
	if (util_parse_int(v, 1, 3600, &n, &errstr) == -1) {
		log_warn("FNGW_TEST_CRON_SCALE=\"%s\": %s; ignored", v, errstr);
		return;
	}
	sched_scale = n;
	log_warn("FNGW_TEST_CRON_SCALE=%lld: schedules run %lld times as "
	    "fast as the clock (for tests only)", n, n);
}

/* Drop the old jobs: their runs in flight end unwatched. */
static void
sched_free_jobs(struct sched_job *jobs, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		timer_cancel(&jobs[i].j_timer);
		if (jobs[i].j_running != NULL)
			jobs[i].j_running->rq_gone_arg = NULL;
	}
	free(jobs);
}

int
sched_start(struct config *cf)
{
	struct sched_job	*jobs = NULL, *j, *old;
	const struct fn		*fn;
	size_t			 i, k, n = 0, nsched = 0;
	time_t			 now;
	char			 next[32];

	if (sched_cf == NULL)
		sched_scale_init();
	for (i = 0; i < cf->cf_nfns; i++)
		nsched += cf->cf_fns[i]->fn_schedule != NULL;
	if (nsched > 0 && !cf->cf_cron)
		log_info("cron = off: the %zu schedule%s of the config do "
		    "not run on this node", nsched, nsched == 1 ? "" : "s");
	if (nsched > 0 && cf->cf_cron &&
	    (jobs = calloc(nsched, sizeof(*jobs))) == NULL)
		return -1;
	now = (time_t)(sched_now_ms() / 1000);
	for (i = 0; jobs != NULL && i < cf->cf_nfns; i++) {
		fn = cf->cf_fns[i];
		if (fn->fn_schedule == NULL)
			continue;
		j = &jobs[n++];
		j->j_fn = fn;
		timer_init(&j->j_timer, sched_fire, j);
		j->j_next = cron_next(&fn->fn_cron, now);
		/* The same schedule in the old snapshot: its next time
		 * and its run in flight carry over. */
		for (k = 0, old = NULL; k < sched_njobs; k++)
			if (strcmp(sched_jobs[k].j_fn->fn_name,
			    fn->fn_name) == 0 && strcmp(sched_jobs[k].j_fn->
			    fn_schedule, fn->fn_schedule) == 0)
				old = &sched_jobs[k];
		if (old != NULL) {
			j->j_next = old->j_next;
			if ((j->j_running = old->j_running) != NULL)
				j->j_running->rq_gone_arg = j;
			old->j_running = NULL;
		}
		cron_iso8601(j->j_next, next, sizeof(next));
		log_info("fn=%s schedule=\"%s\" next=%s", fn->fn_name,
		    fn->fn_schedule, j->j_next == -1 ? "never" : next);
	}
	sched_free_jobs(sched_jobs, sched_njobs);
	config_unref(sched_cf);
	sched_cf = config_ref(cf);
	sched_jobs = jobs;
	sched_njobs = n;
	for (i = 0; i < n; i++)
		sched_arm(&sched_jobs[i]);
	return 0;
}

void
sched_drain(void)
{
	size_t	i;

	sched_draining = 1;
	for (i = 0; i < sched_njobs; i++)
		timer_cancel(&sched_jobs[i].j_timer);
}

void
sched_shutdown_now(void)
{
	struct request	*rq;
	size_t		 i;

	for (i = 0; i < sched_njobs; i++) {
		if ((rq = sched_jobs[i].j_running) == NULL)
			continue;
		if (rq->rq_state == RQ_RUNNING || rq->rq_state == RQ_SPAWNING ||
		    rq->rq_state == RQ_QUEUED || rq->rq_state == RQ_WAITING) {
			request_fail(rq, 503, "shutting_down",
			    "fngw is shutting down");
			request_abort(rq, "shutdown_timeout passed");
		}
	}
}

void
sched_teardown(void)
{
	sched_free_jobs(sched_jobs, sched_njobs);
	sched_jobs = NULL;
	sched_njobs = 0;
	config_unref(sched_cf);
	sched_cf = NULL;
}

void
sched_print(const struct config *cf, int fd, time_t now)
{
	const struct fn	*fn;
	char		 next[32];
	size_t		 i;
	int		 wn = 8, ws = 8, len, any = 0;
	time_t		 t;

	for (i = 0; i < cf->cf_nfns; i++) {
		if ((fn = cf->cf_fns[i])->fn_schedule == NULL)
			continue;
		any = 1;
		if ((len = (int)strlen(fn->fn_name)) > wn)
			wn = len;
		if ((len = (int)strlen(fn->fn_schedule)) > ws)
			ws = len;
	}
	if (!any)
		return;
	dprintf(fd, "\n%-*s  %-*s  %s\n", wn, "FUNCTION", ws, "SCHEDULE",
	    "NEXT RUN (UTC)");
	for (i = 0; i < cf->cf_nfns; i++) {
		if ((fn = cf->cf_fns[i])->fn_schedule == NULL)
			continue;
		if ((t = cron_next(&fn->fn_cron, now)) == -1)
			(void)snprintf(next, sizeof(next), "never");
		else
			cron_iso8601(t, next, sizeof(next));
		dprintf(fd, "%-*s  %-*s  %s\n", wn, fn->fn_name, ws,
		    fn->fn_schedule, next);
	}
	if (!cf->cf_cron)
		dprintf(fd, "cron = off: schedules do not run on this node\n");
}
