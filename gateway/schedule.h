/*
 * schedule.h -- schedules: each function with a `schedule` runs at the
 * times its cron expression names (UTC), on a node whose [gateway] cron
 * is on, as a detached request (FN_TRIGGER=cron, no body, the reply
 * dropped) through the same pool, limits and ledger as HTTP requests.
 * A run still going when the next is due makes that one skip (logged),
 * never a second run at once.
 *
 * Loop thread only, except sched_print().  The scheduler holds a
 * reference to the snapshot it runs and owns one timer per schedule;
 * the requests are owned as any request is, and tell the scheduler when
 * they are freed.
 */
#ifndef SCHEDULE_H
#define SCHEDULE_H

#include <time.h>

struct config;

/*
 * Run cf's schedules (none when cf_cron is off).  Called again with a
 * new snapshot, it replaces the old one's: a function whose schedule did
 * not change keeps its next time and its run in flight.  Returns -1 when
 * out of memory (the old schedules then stay).
 */
int	sched_start(struct config *);
void	sched_drain(void);		/* shutting down: no new runs */
void	sched_shutdown_now(void);	/* shutdown_timeout: abort runs */
void	sched_teardown(void);		/* at exit, once no request is left */

/*
 * `fngw check`: each scheduled function, its schedule and its next run
 * after now (UTC, ISO 8601), to fd; nothing when none has a schedule.
 */
void	sched_print(const struct config *, int, time_t);

#endif /* SCHEDULE_H */
