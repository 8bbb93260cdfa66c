/*
 * front.c -- FastCGI connections from the web server.
 *
 * Accepts connections (up to max_connections), reads records through
 * fcgi.c with a deadline on every wait for input, answers management
 * records, hands each request's params and body to request.c, streams
 * the reply back as FCGI_STDOUT and ends the request with END_REQUEST
 * once request.c says its usage row is committed.  Trusts nothing on the
 * socket: no byte sequence ends the daemon.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

#include "cgi.h"
#include "config.h"
#include "fcgi.h"
#include "front.h"
#include "instance.h"
#include "log.h"
#include "loop.h"
#include "request.h"
#include "systemd.h"

#define FRONT_READ_CHUNK	65536
#define FRONT_OUT_HIGH		(256 * 1024)	/* stop reading the function */
#define FRONT_HOLD_MAX		(64 * 1024)	/* held output: write past it */
#define FRONT_HOLD_CONNS	8
#define FRONT_SUN_PATH		sizeof(((struct sockaddr_un *)NULL)->sun_path)

struct conn {
	int		 c_fd;
	struct ev	 c_ev;
	struct buf	 c_in, c_out;
	struct timer	 c_timer;	/* read deadline */
	struct request	*c_rq;		/* the request in progress */
	unsigned	 c_drain_id;	/* discard STDIN of an ended request */
	int		 c_keep;	/* FCGI_KEEP_CONN of the last BEGIN */
	int		 c_closing;	/* close once c_out is flushed */
	int		 c_lingering;	/* flushed and half-closed: draining */
	int		 c_depth;	/* callbacks of ours on the stack */
	int		 c_dead;	/* closed; free when c_depth is 0 */
	int		 c_broken;	/* a write failed: closing soon */
	LIST_ENTRY(conn) c_link;
};

static struct config	*front_cf;
static int		 front_lfd = -1;
static char		 front_lname[256];	/* what we listen on */
static char		 front_lpath[FRONT_SUN_PATH];	/* one we bound */
static struct ev	 front_lev;
static struct timer	 front_ltimer;	/* accept back-off after EMFILE */
static LIST_HEAD(, conn) front_conns = LIST_HEAD_INITIALIZER(front_conns);
static int		 front_nconns;
static int		 front_draining;
static int		 front_holding;	/* front_hold() depth */
static struct conn	*front_held[FRONT_HOLD_CONNS];
static int		 front_nheld;

static void	conn_close(struct conn *);
static void	conn_flush(struct conn *);
static void	conn_arm(struct conn *);
static void	conn_linger(struct conn *);
static void	conn_read_timeout(struct timer *);
static void	conn_break(struct conn *);
static void	conn_free(struct conn *);

/*
 * Listening socket.
 */
int
front_listen(const struct config *cf, const char **errstr)
{
	static char		 err[512];
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *ai = NULL;
	char			 host[256], *port;
	const char		*l = cf->cf_listen, *name;
	int			 fd = -1, one = 1, rc;

	/* Socket activation: the manager's socket outlives us, and
	 * connections wait in its backlog while we restart. */
	if ((fd = systemd_listen_fd(&name)) != -1) {
		(void)snprintf(front_lname, sizeof(front_lname), "%s", name);
		log_info("listening on the socket the service manager passed:"
		    " fd=%d %s", fd, name);
		if (strcmp(name, l) != 0)
			log_info("[gateway] listen = %s is not used: the "
			    "inherited socket %s wins", l, name);
		front_lfd = fd;
		return 0;
	}
	(void)snprintf(front_lname, sizeof(front_lname), "%s", l);
	if (strncmp(l, "unix:", 5) == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(l + 5) >= sizeof(sun.sun_path)) {
			*errstr = "listen: unix socket path too long";
			return -1;
		}
		strcpy(sun.sun_path, l + 5);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			goto fail;
		(void)unlink(sun.sun_path);	/* a stale socket of ours */
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    chmod(sun.sun_path, cf->cf_listen_mode) == -1)
			goto fail;
		if ((cf->cf_listen_uid != (uid_t)-1 ||
		    cf->cf_listen_gid != (gid_t)-1) &&
		    chown(sun.sun_path, cf->cf_listen_uid,
		    cf->cf_listen_gid) == -1)
			goto fail;
		/* Ours to remove at exit (an inherited one never is). */
		strcpy(front_lpath, sun.sun_path);
	} else {
		if (strlen(l) >= sizeof(host))
			goto badaddr;
		strcpy(host, l);
		if ((port = strrchr(host, ':')) == NULL)
			goto badaddr;
		*port++ = '\0';
		if (host[0] == '[' && port[-2] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
		if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
			(void)snprintf(err, sizeof(err), "listen: %s: %s", l,
			    gai_strerror(rc));
			*errstr = err;
			return -1;
		}
		if ((fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
			goto fail;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
			goto fail;
		freeaddrinfo(ai);
		ai = NULL;
	}
	if (listen(fd, 1024) == -1)
		goto fail;
	front_lfd = fd;
	return 0;
badaddr:
	*errstr = "listen: expected unix:/path or host:port";
	return -1;
fail:
	(void)snprintf(err, sizeof(err), "listen %s: %s", l, strerror(errno));
	*errstr = err;
	if (ai != NULL)
		freeaddrinfo(ai);
	fd_close(&fd);
	return -1;
}

void
front_close_listener(void)
{
	if (front_lfd == -1)
		return;
	loop_del(&front_lev);
	timer_cancel(&front_ltimer);
	fd_close(&front_lfd);
}

const char *
front_listen_name(void)
{
	return front_lname;
}

void
front_remove_socket(void)
{
	if (front_lpath[0] != '\0')
		(void)unlink(front_lpath);
	front_lpath[0] = '\0';
}

/* Keep accepting only while under max_connections and not draining. */
static void
front_listen_update(void)
{
	if (front_lfd == -1)
		return;
	(void)loop_set(&front_lev, !front_draining && !timer_armed(
	    &front_ltimer) && front_nconns < front_cf->cf_max_connections ?
	    EPOLLIN : 0);
}

static void
front_ltimer_cb(struct timer *t)
{
	(void)t;
	front_listen_update();
}

static void
front_accept(struct ev *ev, uint32_t events)
{
	struct conn	*c;
	int		 fd, n;

	(void)ev;
	(void)events;
	for (n = 0; n < 64; n++) {
		if ((fd = accept4(front_lfd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: pause accepting for a
				 * moment instead of spinning (slowcgi). */
				log_warn("accept: %s; pausing 100ms",
				    strerror(errno));
				timer_set(&front_ltimer, 100);
				front_listen_update();
			}
			return;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			(void)close(fd);
			return;
		}
		c->c_fd = fd;
		ev_init(&c->c_ev, fd, NULL, c);
		timer_init(&c->c_timer, NULL, c);
		LIST_INSERT_HEAD(&front_conns, c, c_link);
		front_nconns++;
		conn_arm(c);
		if (front_nconns >= front_cf->cf_max_connections) {
			front_listen_update();
			return;
		}
	}
}

/*
 * Output to the web server.
 */
static void
conn_write_cb(struct ev *ev, uint32_t events);

/*
 * nginx stops sending a request's body as soon as the upstream's
 * response begins, and never sends the rest: a function that answers
 * while it still reads its body would wait forever.  So the function's
 * output waits in c_out (bounded: the function is stopped when c_out is
 * full) until the whole body is in (the spool takes it at the web
 * server's pace); replies of requests that ended go out at once.
 */
static int
conn_may_write(const struct conn *c)
{
	return c->c_rq == NULL || c->c_rq->rq_stdin_done;
}

static void
conn_update(struct conn *c)
{
	uint32_t	ev = 0;

	if (c->c_dead)
		return;
	if (!c->c_closing || c->c_lingering)
		ev |= EPOLLIN;
	if (buf_avail(&c->c_out) > 0 && conn_may_write(c))
		ev |= EPOLLOUT;
	(void)loop_set(&c->c_ev, ev);
}

/*
 * Close after the last byte without losing it: closing a socket that
 * still holds unread input (the rest of a body, the empty STDIN record
 * a client sends after its params) resets the connection, and the peer
 * may lose our reply with it.  So half-close, read and discard until
 * the peer closes too, for at most a second (nginx's lingering_close).
 */
static void
conn_linger(struct conn *c)
{
	if (c->c_lingering)
		return;
	c->c_lingering = 1;
	if (shutdown(c->c_fd, SHUT_WR) == -1) {
		conn_close(c);
		return;
	}
	c->c_timer.t_cb = conn_read_timeout;
	timer_set(&c->c_timer, 1000);
	conn_update(c);
}

static void
conn_flush(struct conn *c)
{
	ssize_t		 n;
	size_t		 was = buf_avail(&c->c_out);
	struct request	*rq = c->c_rq;

	if (c->c_dead || c->c_broken)
		return;
	while (buf_avail(&c->c_out) > 0 && conn_may_write(c)) {
		n = write(c->c_fd, c->c_out.b_data + c->c_out.b_off,
		    buf_avail(&c->c_out));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_break(c);
			return;
		}
		buf_consume(&c->c_out, (size_t)n);
	}
	if (buf_avail(&c->c_out) == 0 && c->c_closing) {
		conn_linger(c);
		return;
	}
	if (c->c_out.b_off > 0 && buf_avail(&c->c_out) == 0)
		buf_reset(&c->c_out);
	conn_update(c);
	if (was >= FRONT_OUT_HIGH && buf_avail(&c->c_out) < FRONT_OUT_HIGH &&
	    rq != NULL && rq->rq_state == RQ_RUNNING)
		request_resume(rq);
}

static int
conn_record(struct conn *c, unsigned type, unsigned id, const void *p,
    size_t len)
{
	uint8_t		hdr[FCGI_HEADER_LEN];
	static const uint8_t zero[8];
	size_t		n, pad;
	const uint8_t	*d = p;

	do {
		/* 65528: the largest multiple of 8 in a record. */
		n = len > 65528 ? 65528 : len;
		pad = (8 - n % 8) % 8;
		fcgi_header_encode(hdr, type, id, n, pad);
		if (buf_append(&c->c_out, hdr, sizeof(hdr)) == -1 ||
		    buf_append(&c->c_out, d, n) == -1 ||
		    buf_append(&c->c_out, zero, pad) == -1)
			return -1;
		d += n;
		len -= n;
	} while (len > 0);
	return 0;
}

/*
 * Output held while one read of a function's reply is handed on, so
 * that its records (the headers, the body, and the end when the reply
 * is small) leave in one write, not one each: every write wakes the
 * web server.  A reply whose row is being committed waits for its
 * END_REQUEST (front_end()) and goes out with it.  Whether c could be
 * held (it stays allocated until front_release()).
 */
static int
front_hold_conn(struct conn *c)
{
	int	i;

	if (front_holding == 0 || buf_avail(&c->c_out) >= FRONT_HOLD_MAX)
		return 0;
	for (i = 0; i < front_nheld; i++)
		if (front_held[i] == c)
			return 1;
	if (front_nheld == FRONT_HOLD_CONNS)
		return 0;
	c->c_depth++;
	front_held[front_nheld++] = c;
	return 1;
}

void
front_hold(void)
{
	front_holding++;
}

void
front_release(void)
{
	struct conn	*c;

	if (--front_holding > 0)
		return;
	/* conn_flush() may resume a function, which may hold again. */
	while (front_nheld > 0) {
		c = front_held[--front_nheld];
		if (!c->c_dead && (c->c_rq == NULL ||
		    c->c_rq->rq_state != RQ_LOGGING))
			conn_flush(c);
		if (--c->c_depth == 0 && c->c_dead)
			conn_free(c);
	}
}

int
front_stdout(struct request *rq, const void *p, size_t len)
{
	struct conn	*c = rq->rq_conn;

	if (rq->rq_sink != NULL)
		return rq->rq_sink->rs_stdout(rq, p, len);
	if (c == NULL || c->c_dead || c->c_closing || c->c_broken)
		return -1;
	if (len == 0)
		return 0;
	if (conn_record(c, FCGI_STDOUT, rq->rq_id, p, len) == -1) {
		log_error("out of memory; closing request_id=%s", rq->rq_reqid);
		conn_break(c);
		return -1;
	}
	if (!front_hold_conn(c))
		conn_flush(c);
	if ((c = rq->rq_conn) == NULL || c->c_dead || c->c_broken)
		return -1;
	return buf_avail(&c->c_out) >= FRONT_OUT_HIGH;
}

static void
conn_end_request(struct conn *c, unsigned id, unsigned proto)
{
	uint8_t	rec[16];

	(void)buf_append(&c->c_out, rec, fcgi_end_encode(rec, id, 0, proto));
}

/* End rq on its connection (END_REQUEST) and free it. */
void
front_end(struct request *rq)
{
	struct conn	*c = rq->rq_conn;

	if (rq->rq_sink != NULL) {
		rq->rq_sink->rs_end(rq);
		return;
	}
	rq->rq_state = RQ_ENDED;
	if (c != NULL) {
		c->c_rq = NULL;
		rq->rq_conn = NULL;
		/* FastCGI spec 5.3: the stream ends with an empty STDOUT,
		 * then END_REQUEST. */
		(void)conn_record(c, FCGI_STDOUT, rq->rq_id, NULL, 0);
		conn_end_request(c, rq->rq_id, FCGI_REQUEST_COMPLETE);
		if (!rq->rq_stdin_done)
			c->c_drain_id = rq->rq_id;
		if (!c->c_keep || front_draining)
			c->c_closing = 1;
		/* Flush first: armed with output waiting, the connection
		 * would watch EPOLLOUT for the write that follows at once. */
		conn_flush(c);
		conn_arm(c);
	}
	request_free(rq);
}

/*
 * Records from the web server.
 */

static void
front_stdin(struct conn *c, struct request *rq, const struct fcgi_record *r)
{
	request_body(rq, r->fr_content, r->fr_len);
	/* The body complete (or rq ended): output held back may go now. */
	if (c->c_rq == NULL || c->c_rq->rq_stdin_done)
		conn_flush(c);
}

void
front_cut(struct request *rq)
{
	struct conn	*c;

	if (rq->rq_sink != NULL) {
		rq->rq_sink->rs_cut(rq);
		return;
	}
	if ((c = rq->rq_conn) == NULL)
		return;
	rq->rq_conn = NULL;
	c->c_rq = NULL;
	conn_close(c);
}

void
front_request_gone(void)
{
	if (front_draining && front_idle())
		loop_stop();
}

static void
front_begin(struct conn *c, const struct fcgi_record *r)
{
	unsigned	role, flags;
	uint8_t		rec[16];

	if (fcgi_begin_parse(r, &role, &flags) == -1) {
		c->c_closing = 1;
		return;
	}
	if (c->c_rq != NULL) {
		/* One request at a time (FCGI_MPXS_CONNS 0), spec 5.1. */
		(void)buf_append(&c->c_out, rec, fcgi_end_encode(rec, r->fr_id,
		    0, FCGI_CANT_MPX_CONN));
		return;
	}
	c->c_keep = (flags & FCGI_KEEP_CONN) != 0;
	c->c_drain_id = 0;
	if (role != FCGI_RESPONDER) {
		(void)buf_append(&c->c_out, rec, fcgi_end_encode(rec, r->fr_id,
		    0, FCGI_UNKNOWN_ROLE));
		if (!c->c_keep)
			c->c_closing = 1;
		return;
	}
	if (front_draining) {
		(void)buf_append(&c->c_out, rec, fcgi_end_encode(rec, r->fr_id,
		    0, FCGI_OVERLOADED));
		c->c_closing = 1;
		return;
	}
	if ((c->c_rq = request_new(c, r->fr_id, front_cf)) == NULL) {
		(void)buf_append(&c->c_out, rec, fcgi_end_encode(rec, r->fr_id,
		    0, FCGI_OVERLOADED));
		c->c_closing = 1;
	}
}

/* Handle one record; returns -1 when the connection must close now. */
static int
front_record(struct conn *c, const struct fcgi_record *r)
{
	struct request	*rq = c->c_rq;
	uint8_t		 out[512];
	size_t		 n;

	if (r->fr_id == 0) {
		/* Management records, spec section 4. */
		if (r->fr_type == FCGI_BEGIN_REQUEST)
			return -1;
		if (r->fr_type == FCGI_GET_VALUES) {
			if ((n = fcgi_get_values_answer(r, (unsigned)
			    front_cf->cf_max_connections, (unsigned)
			    front_cf->cf_max_connections, out,
			    sizeof(out))) == 0)
				return -1;
			(void)buf_append(&c->c_out, out, n);
		} else
			(void)buf_append(&c->c_out, out,
			    fcgi_unknown_type_encode(out, r->fr_type));
		return 0;
	}
	switch (r->fr_type) {
	case FCGI_BEGIN_REQUEST:
		front_begin(c, r);
		return 0;
	case FCGI_ABORT_REQUEST:
		if (rq != NULL && rq->rq_id == r->fr_id) {
			/* Spec 5.4: answer with END_REQUEST, which
			 * front_end() sends once the row is in. */
			request_abort(rq, "FCGI_ABORT_REQUEST");
		}
		return 0;
	case FCGI_PARAMS:
		if (rq == NULL || rq->rq_id != r->fr_id ||
		    rq->rq_state != RQ_PARAMS || rq->rq_npairs > 0)
			return 0;	/* stale or repeated: ignore */
		if (r->fr_len == 0) {
			request_dispatch(rq);
			return 0;
		}
		if (rq->rq_params.b_len + r->fr_len >
		    rq->rq_cf->cf_max_params) {
			buf_free(&rq->rq_params);
			rq->rq_stdin_done = 0;
			/* Nothing sane can follow: answer, then close. */
			c->c_keep = 0;
			request_reject(rq, 431, "params_too_large",
			    "params larger than max_params");
			return 0;
		}
		(void)buf_append(&rq->rq_params, r->fr_content, r->fr_len);
		return 0;
	case FCGI_STDIN:
		if (rq != NULL && rq->rq_id == r->fr_id &&
		    rq->rq_state != RQ_PARAMS)
			front_stdin(c, rq, r);
		else if (rq == NULL && c->c_drain_id == r->fr_id &&
		    r->fr_len == 0)
			c->c_drain_id = 0;
		else if (rq != NULL && rq->rq_id == r->fr_id)
			return -1;	/* STDIN before the params ended */
		return 0;
	default:
		/* DATA and anything else for a request: not for a
		 * responder; ignore. */
		return 0;
	}
}

static void
conn_read_timeout(struct timer *t)
{
	struct conn	*c = t->t_arg;

	log_debug("fd=%d read deadline passed", c->c_fd);
	conn_close(c);
}

static void
conn_broken_cb(struct timer *t)
{
	conn_close(t->t_arg);
}

/*
 * A write failed (the web server went away) or the output cannot grow.
 * Callers up the stack may be in the middle of rq (request_reject(),
 * request_output()), and conn_close() aborts rq, which can free it: the
 * close waits for the loop's next turn, and nothing more is written.
 */
static void
conn_break(struct conn *c)
{
	if (c->c_dead || c->c_broken)
		return;
	c->c_broken = 1;
	buf_reset(&c->c_out);
	c->c_timer.t_cb = conn_broken_cb;
	timer_set(&c->c_timer, 0);
}

/* A read deadline applies whenever we wait for the web server. */
static void
conn_arm(struct conn *c)
{
	struct request	*rq = c->c_rq;

	if (c->c_dead || c->c_lingering || c->c_broken)
		return;
	c->c_timer.t_cb = conn_read_timeout;
	if (c->c_closing || (rq != NULL && rq->rq_state != RQ_PARAMS &&
	    rq->rq_stdin_done))
		timer_cancel(&c->c_timer);
	else
		timer_set(&c->c_timer, front_cf->cf_read_timeout_ms);
	c->c_ev.ev_cb = conn_write_cb;
	conn_update(c);
}

static void
conn_read(struct conn *c)
{
	struct fcgi_record	 r;
	ssize_t			 n;
	int			 rc;

	if (c->c_lingering) {
		char	discard[4096];

		if ((n = read(c->c_fd, discard, sizeof(discard))) == -1 &&
		    (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			conn_close(c);
		return;
	}
	if (buf_reserve(&c->c_in, FRONT_READ_CHUNK) == -1) {
		conn_close(c);
		return;
	}
	n = read(c->c_fd, c->c_in.b_data + c->c_in.b_len,
	    c->c_in.b_cap - c->c_in.b_len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->c_in.b_len += (size_t)n;
	/* The records of one read go on to an instance in one write. */
	instance_hold();
	while (!c->c_dead && !c->c_closing &&
	    (rc = fcgi_record_parse(c->c_in.b_data + c->c_in.b_off,
	    buf_avail(&c->c_in), &r)) != 0) {
		if (rc == -1 || front_record(c, &r) == -1) {
			/* A version other than 1, BEGIN with id 0, or
			 * worse: nothing sane can follow on this stream. */
			log_info("fd=%d protocol error: closing", c->c_fd);
			conn_close(c);
			break;
		}
		buf_consume(&c->c_in, r.fr_total);
	}
	instance_release();
	if (c->c_dead)
		return;
	buf_compact(&c->c_in);
	conn_flush(c);
	conn_arm(c);
}

static void
conn_free(struct conn *c)
{
	buf_free(&c->c_in);
	buf_free(&c->c_out);
	free(c);
}

static void
conn_write_cb(struct ev *ev, uint32_t events)
{
	struct conn	*c = ev->ev_arg;

	c->c_depth++;
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN))
		conn_close(c);
	if (!c->c_dead && events & EPOLLOUT)
		conn_flush(c);
	if (!c->c_dead && events & EPOLLIN)
		conn_read(c);
	if (--c->c_depth == 0 && c->c_dead)
		conn_free(c);
}

static void
conn_close(struct conn *c)
{
	struct request	*rq = c->c_rq;

	if (c->c_dead)
		return;
	c->c_dead = 1;
	c->c_depth++;
	loop_del(&c->c_ev);
	timer_cancel(&c->c_timer);
	fd_close(&c->c_fd);
	LIST_REMOVE(c, c_link);
	front_nconns--;
	c->c_rq = NULL;
	if (rq != NULL) {
		rq->rq_conn = NULL;
		if (rq->rq_state != RQ_LOGGING && rq->rq_state != RQ_ENDED)
			request_abort(rq,
			    "the web server closed the connection");
	}
	front_listen_update();
	if (--c->c_depth == 0)
		conn_free(c);
}

int
front_start(struct config *cf, struct usage *u)
{
	request_setup(u);
	front_cf = cf;
	timer_init(&front_ltimer, front_ltimer_cb, NULL);
	ev_init(&front_lev, front_lfd, front_accept, NULL);
	front_listen_update();
	return 0;
}

void
front_reload(struct config *cf)
{
	front_cf = cf;
	front_listen_update();		/* max_connections may differ */
}

int
front_idle(void)
{
	return request_count() == 0;
}

void
front_shutdown(void)
{
	struct conn	*c, *next;

	front_draining = 1;
	front_close_listener();
	/* Idle connections go now; busy ones after their request. */
	for (c = LIST_FIRST(&front_conns); c != NULL; c = next) {
		next = LIST_NEXT(c, c_link);
		if (c->c_rq == NULL || c->c_rq->rq_state == RQ_PARAMS) {
			if (buf_avail(&c->c_out) > 0)
				c->c_closing = 1;
			else
				conn_close(c);
		}
	}
	if (front_idle())
		loop_stop();
}

void
front_shutdown_now(void)
{
	struct conn	*c, *next;

	for (c = LIST_FIRST(&front_conns); c != NULL; c = next) {
		next = LIST_NEXT(c, c_link);
		if (c->c_rq != NULL && (c->c_rq->rq_state == RQ_RUNNING ||
		    c->c_rq->rq_state == RQ_SPAWNING ||
		    c->c_rq->rq_state == RQ_QUEUED)) {
			request_fail(c->c_rq, 503, "shutting_down",
			    "fngw is shutting down");
			request_abort(c->c_rq, "shutdown_timeout passed");
		}
	}
}

/*
 * At exit: give each connection up to ms to take what we still owe it
 * (END_REQUESTs of the last requests), then close it.
 */
void
front_flush_all(int ms)
{
	struct conn	*c;
	struct pollfd	 pfd;
	uint64_t	 end = util_now_ms() + (uint64_t)ms, now;
	ssize_t		 n;

	while ((c = LIST_FIRST(&front_conns)) != NULL) {
		while (buf_avail(&c->c_out) > 0 &&
		    (now = util_now_ms()) < end) {
			pfd.fd = c->c_fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, (int)(end - now)) <= 0)
				break;
			if ((n = write(c->c_fd, c->c_out.b_data +
			    c->c_out.b_off, buf_avail(&c->c_out))) <= 0)
				break;
			buf_consume(&c->c_out, (size_t)n);
		}
		conn_close(c);
	}
}
