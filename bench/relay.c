/*
 * relay -- a byte relay between two unix sockets, and nothing else: the
 * ceiling of any gateway that sits between nginx and a FastCGI program.
 * bench/hop.sh puts it where fngw would be, in front of spawn-fcgi's
 * processes, to measure what one more hop costs by itself (an accept, a
 * connect, every byte read and written once more, the wake-ups) with no
 * parsing, routing, process management or ledger.
 *
 *	relay LISTEN_PATH TARGET_PATH
 *
 * One thread, epoll (edge-triggered: no epoll_ctl after a connection is
 * set up), like fngw's loop.  Each accepted connection gets a connection
 * of its own to TARGET_PATH; bytes go both ways through a 64 KiB buffer
 * per direction, as fngw's reads are; an EOF is passed on as a
 * half-close, and both connections close once both directions are done
 * or either fails.  Runs until killed.  Built by bench/hop.sh
 * (cc -O2); not part of fngw.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RELAY_BUF	65536
#define RELAY_EVENTS	64

struct side;

struct pair {
	struct side	*p_a, *p_b;	/* the client's, the target's */
	struct pair	*p_next;	/* closed: freed after the batch */
	int		 p_dead;
};

struct side {
	int		 s_fd;
	struct pair	*s_pair;
	struct side	*s_peer;
	char		 s_buf[RELAY_BUF];	/* read here, for the peer */
	size_t		 s_len, s_off;
	int		 s_eof;		/* read EOF; the peer half-closed */
	int		 s_done;	/* shut down for writing */
};

static int	 epfd;
static struct pair *dead;		/* closed in this batch */
static char	target[sizeof(((struct sockaddr_un *)NULL)->sun_path)];

static void
die(const char *what)
{
	fprintf(stderr, "relay: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Close p now; free it once the batch of events is handled (a later
 * event of the batch may be one of its sides'). */
static void
pair_close(struct pair *p)
{
	close(p->p_a->s_fd);
	close(p->p_b->s_fd);
	p->p_dead = 1;
	p->p_next = dead;
	dead = p;
}

static void
free_dead(void)
{
	struct pair	*p;

	while ((p = dead) != NULL) {
		dead = p->p_next;
		free(p->p_a);
		free(p->p_b);
		free(p);
	}
}

/*
 * Move what can move from `from` to its peer, until either would block
 * (edge-triggered: every event is drained to EAGAIN); pass an EOF on as
 * a half-close.  -1 when a side broke.
 */
static int
pump(struct side *from)
{
	struct side	*to = from->s_peer;
	ssize_t		 n;

	for (;;) {
		if (from->s_off == from->s_len && !from->s_eof) {
			n = read(from->s_fd, from->s_buf, sizeof(from->s_buf));
			if (n > 0) {
				from->s_off = 0;
				from->s_len = (size_t)n;
			} else if (n == 0)
				from->s_eof = 1;
			else if (errno == EAGAIN)
				return 0;
			else
				return -1;
		}
		if (from->s_off < from->s_len) {
			n = write(to->s_fd, from->s_buf + from->s_off,
			    from->s_len - from->s_off);
			if (n > 0)
				from->s_off += (size_t)n;
			else if (n == -1 && errno == EAGAIN)
				return 0;
			else
				return -1;
			continue;
		}
		if (from->s_eof) {
			if (!to->s_done) {
				(void)shutdown(to->s_fd, SHUT_WR);
				to->s_done = 1;
			}
			return 0;
		}
	}
}

static void
handle(struct side *s)
{
	struct pair	*p = s->s_pair;

	if (p->p_dead)
		return;
	if (pump(p->p_a) == -1 || pump(p->p_b) == -1 ||
	    (p->p_a->s_done && p->p_b->s_done))
		pair_close(p);
}

static struct side *
side_new(int fd, struct pair *p)
{
	struct side		*s;
	struct epoll_event	 ev;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		die("calloc");
	s->s_fd = fd;
	s->s_pair = p;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = s;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		die("epoll_ctl");
	return s;
}

static void
accept_one(int lfd)
{
	struct sockaddr_un	 sun;
	struct pair		*p;
	int			 cfd, tfd;

	if ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1)
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, target, sizeof(sun.sun_path));
	if ((tfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || connect(tfd, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1) {
		if (tfd != -1)
			close(tfd);
		close(cfd);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		die("calloc");
	p->p_a = side_new(cfd, p);
	p->p_b = side_new(tfd, p);
	p->p_a->s_peer = p->p_b;
	p->p_b->s_peer = p->p_a;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct epoll_event	 ev, evs[RELAY_EVENTS];
	int			 lfd, n, i;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sun.sun_path) ||
	    strlen(argv[2]) >= sizeof(target)) {
		fprintf(stderr, "usage: relay LISTEN_PATH TARGET_PATH\n");
		return 2;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	(void)strcpy(target, argv[2]);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strcpy(sun.sun_path, argv[1]);
	(void)unlink(argv[1]);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) ==
	    -1 || listen(lfd, 1024) == -1)
		die(argv[1]);
	(void)chmod(argv[1], 0666);
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;		/* the listener */
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) == -1)
		die("epoll_ctl");
	for (;;) {
		if ((n = epoll_wait(epfd, evs, RELAY_EVENTS, -1)) == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				accept_one(lfd);
			else
				handle(evs[i].data.ptr);
		}
		free_dead();
	}
}
