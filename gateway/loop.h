/*
 * loop.h -- the event loop: epoll for descriptors, a binary heap of
 * timers, and the only place fngw blocks.
 *
 * One loop per process, run by the main thread.  Callers own their
 * struct ev and struct timer; the loop only points at them while they
 * are registered.  loop_del() may be called from inside any callback,
 * also for an ev whose event is still pending in the current batch: the
 * loop drops that pending event.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct ev {
	int		 ev_fd;
	uint32_t	 ev_events;	/* EPOLL* mask in use; 0: not added */
	int		 ev_added;
	void		(*ev_cb)(struct ev *, uint32_t);
	void		*ev_arg;
};

struct timer {
	uint64_t	 t_when;	/* monotonic ms */
	size_t		 t_idx;		/* heap slot; SIZE_MAX when idle */
	void		(*t_cb)(struct timer *);
	void		*t_arg;
};

int	loop_init(void);		/* start-up only; -1 on failure */
void	ev_init(struct ev *, int, void (*)(struct ev *, uint32_t), void *);
/* Register or change the interest set; events 0 keeps the fd silent. */
int	loop_set(struct ev *, uint32_t);
void	loop_del(struct ev *);		/* before closing ev_fd */

void	timer_init(struct timer *, void (*)(struct timer *), void *);
void	timer_set(struct timer *, uint64_t);	/* ms from now */
void	timer_cancel(struct timer *);
int	timer_armed(const struct timer *);

void	loop_run(void);			/* until loop_stop() */
void	loop_stop(void);
uint64_t loop_now(void);		/* monotonic ms, cached per turn */

#endif /* LOOP_H */
