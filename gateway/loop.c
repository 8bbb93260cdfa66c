/*
 * loop.c -- epoll and a timer heap.  Level-triggered: a callback that
 * leaves data unread is called again on the next turn, so no callback
 * has to drain a descriptor in one go (that is what gives backpressure
 * its simple form: drop EPOLLIN and the peer stalls).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

#define LOOP_BATCH	128

static int			 loop_epfd = -1;
static int			 loop_running;
static uint64_t			 loop_cached_now;
static struct timer		**loop_heap;
static size_t			 loop_nheap, loop_capheap;
static struct epoll_event	 loop_events[LOOP_BATCH];
static int			 loop_nevents, loop_cur;

int
loop_init(void)
{
	if ((loop_epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	loop_cached_now = util_now_ms();
	return 0;
}

void
ev_init(struct ev *ev, int fd, void (*cb)(struct ev *, uint32_t), void *arg)
{
	ev->ev_fd = fd;
	ev->ev_events = 0;
	ev->ev_added = 0;
	ev->ev_cb = cb;
	ev->ev_arg = arg;
}

int
loop_set(struct ev *ev, uint32_t events)
{
	struct epoll_event	ee;

	if (ev->ev_added && ev->ev_events == events)
		return 0;
	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = ev;
	if (epoll_ctl(loop_epfd, ev->ev_added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
	    ev->ev_fd, &ee) == -1) {
		log_warn("epoll_ctl fd=%d: %s", ev->ev_fd, strerror(errno));
		return -1;
	}
	ev->ev_added = 1;
	ev->ev_events = events;
	return 0;
}

void
loop_del(struct ev *ev)
{
	int	i;

	if (!ev->ev_added)
		return;
	(void)epoll_ctl(loop_epfd, EPOLL_CTL_DEL, ev->ev_fd, NULL);
	ev->ev_added = 0;
	ev->ev_events = 0;
	/* Forget events of this batch that still point at ev. */
	for (i = loop_cur; i < loop_nevents; i++)
		if (loop_events[i].data.ptr == ev)
			loop_events[i].data.ptr = NULL;
}

/* Heap of timers ordered by t_when. */
static void
heap_swap(size_t a, size_t b)
{
	struct timer	*t = loop_heap[a];

	loop_heap[a] = loop_heap[b];
	loop_heap[b] = t;
	loop_heap[a]->t_idx = a;
	loop_heap[b]->t_idx = b;
}

static void
heap_up(size_t i)
{
	while (i > 0 && loop_heap[(i - 1) / 2]->t_when > loop_heap[i]->t_when) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(size_t i)
{
	size_t	l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < loop_nheap &&
		    loop_heap[l]->t_when < loop_heap[m]->t_when)
			m = l;
		if (r < loop_nheap &&
		    loop_heap[r]->t_when < loop_heap[m]->t_when)
			m = r;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

void
timer_init(struct timer *t, void (*cb)(struct timer *), void *arg)
{
	t->t_when = 0;
	t->t_idx = SIZE_MAX;
	t->t_cb = cb;
	t->t_arg = arg;
}

int
timer_armed(const struct timer *t)
{
	return t->t_idx != SIZE_MAX;
}

void
timer_cancel(struct timer *t)
{
	size_t	i = t->t_idx;

	if (i == SIZE_MAX)
		return;
	t->t_idx = SIZE_MAX;
	if (i != --loop_nheap) {
		loop_heap[i] = loop_heap[loop_nheap];
		loop_heap[i]->t_idx = i;
		heap_down(i);
		heap_up(i);
	}
}

void
timer_set(struct timer *t, uint64_t ms)
{
	struct timer	**nh;
	size_t		  cap;

	timer_cancel(t);
	if (loop_nheap == loop_capheap) {
		cap = loop_capheap ? loop_capheap * 2 : 64;
		/* XXX out of memory here leaves the timer idle; the
		 * callers' other deadlines still end the request. */
		if ((nh = reallocarray(loop_heap, cap, sizeof(*nh))) == NULL) {
			log_error("timer heap: out of memory");
			return;
		}
		loop_heap = nh;
		loop_capheap = cap;
	}
	t->t_when = util_now_ms() + ms;
	t->t_idx = loop_nheap;
	loop_heap[loop_nheap++] = t;
	heap_up(t->t_idx);
}

uint64_t
loop_now(void)
{
	return loop_cached_now;
}

void
loop_stop(void)
{
	loop_running = 0;
}

static void
loop_timers(void)
{
	struct timer	*t;

	loop_cached_now = util_now_ms();
	while (loop_nheap > 0 && loop_heap[0]->t_when <= loop_cached_now) {
		t = loop_heap[0];
		timer_cancel(t);
		t->t_cb(t);
	}
}

void
loop_run(void)
{
	struct ev	*ev;
	uint64_t	 now;
	int		 timeout;

	loop_running = 1;
	while (loop_running) {
		loop_timers();
		if (!loop_running)
			break;
		timeout = -1;
		if (loop_nheap > 0) {
			now = util_now_ms();
			timeout = loop_heap[0]->t_when <= now ? 0 :
			    (int)(loop_heap[0]->t_when - now);
		}
		loop_nevents = epoll_wait(loop_epfd, loop_events, LOOP_BATCH,
		    timeout);
		if (loop_nevents == -1) {
			loop_nevents = 0;
			if (errno != EINTR)
				log_error("epoll_wait: %s", strerror(errno));
			continue;
		}
		loop_cached_now = util_now_ms();
		for (loop_cur = 0; loop_cur < loop_nevents; loop_cur++) {
			if ((ev = loop_events[loop_cur].data.ptr) == NULL)
				continue;
			ev->ev_cb(ev, loop_events[loop_cur].events);
		}
		loop_nevents = loop_cur = 0;
	}
}
