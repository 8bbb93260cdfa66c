/*
 * front.c -- FastCGI connections from the web server.
 *
 * Accepts connections, reads records through fcgi.c with a deadline on
 * every wait for input, decodes a request's params, routes it, gives it
 * a slot (pool.c) and hands it to the executor (cgi.c); streams the
 * reply back as FCGI_STDOUT and ends the request with END_REQUEST only
 * once its usage row is committed.  Every error reply of SPEC.md's
 * status table is made here, by front_fail() and front_reject().
 * Trusts nothing on the socket: no byte sequence ends the daemon.
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
#include <sys/random.h>
#include <unistd.h>

#include "cgi.h"
#include "config.h"
#include "fcgi.h"
#include "front.h"
#include "log.h"
#include "loop.h"
#include "pool.h"
#include "request.h"
#include "usage.h"

#define FRONT_READ_CHUNK	65536
#define FRONT_OUT_HIGH		(256 * 1024)	/* stop reading the function */
#define FRONT_MAX_PAIRS		10000

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
	LIST_ENTRY(conn) c_link;
};

static struct config	*front_cf;
static struct usage	*front_usage;
static int		 front_lfd = -1;
static struct ev	 front_lev;
static struct timer	 front_ltimer;	/* accept back-off after EMFILE */
static LIST_HEAD(, conn) front_conns = LIST_HEAD_INITIALIZER(front_conns);
static int		 front_nconns;
static unsigned long	 front_nreq;	/* requests alive */
static int		 front_draining;
static uint64_t		 front_rid[2];	/* request id generator state */

static void	conn_close(struct conn *);
static void	conn_flush(struct conn *);
static void	conn_arm(struct conn *);
static void	conn_linger(struct conn *);
static void	conn_read_timeout(struct timer *);
static void	front_end(struct request *);
static void	front_reject(struct request *, int, const char *,
		    const char *);

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
	const char		*l = cf->cf_listen;
	int			 fd = -1, one = 1, rc;

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
 * Request ids: 32 hex digits like nginx's $request_id, from a seeded
 * counter through splitmix64, unless the web server sent a valid one.
 */
static void
front_make_reqid(char *out)
{
	uint64_t	z[2];
	int		i;

	for (i = 0; i < 2; i++) {
		z[i] = (front_rid[i] += 0x9e3779b97f4a7c15ULL);
		z[i] = (z[i] ^ (z[i] >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z[i] = (z[i] ^ (z[i] >> 27)) * 0x94d049bb133111ebULL;
		z[i] ^= z[i] >> 31;
	}
	(void)snprintf(out, 33, "%016llx%016llx", (unsigned long long)z[0],
	    (unsigned long long)z[1]);
}

static int
front_valid_reqid(const char *s, size_t len)
{
	size_t	i;

	if (len < 1 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
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

	if (c->c_dead)
		return;
	while (buf_avail(&c->c_out) > 0 && conn_may_write(c)) {
		n = write(c->c_fd, c->c_out.b_data + c->c_out.b_off,
		    buf_avail(&c->c_out));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_close(c);
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
		cgi_resume(rq);
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

int
front_stdout(struct request *rq, const void *p, size_t len)
{
	struct conn	*c = rq->rq_conn;

	if (c == NULL || c->c_dead || c->c_closing)
		return -1;
	if (len == 0)
		return 0;
	if (conn_record(c, FCGI_STDOUT, rq->rq_id, p, len) == -1) {
		log_error("out of memory; closing request_id=%s", rq->rq_reqid);
		conn_close(c);
		return -1;
	}
	conn_flush(c);
	if ((c = rq->rq_conn) == NULL || c->c_dead)
		return -1;
	return buf_avail(&c->c_out) >= FRONT_OUT_HIGH;
}

static void
conn_end_request(struct conn *c, unsigned id, unsigned proto)
{
	uint8_t	rec[16];

	(void)buf_append(&c->c_out, rec, fcgi_end_encode(rec, id, 0, proto));
}

/*
 * Error replies (SPEC.md's status table).
 */
static void
front_json_reply(struct request *rq, int status, const char *code,
    const char *msg)
{
	struct buf	 b = { 0 };
	const char	*p;

	(void)buf_printf(&b, "Status: %d %s\r\nContent-Type: application/json"
	    "\r\nX-Request-Id: %s\r\n", status, reply_reason(status),
	    rq->rq_reqid);
	if (status == 405 && rq->rq_fn != NULL)
		(void)buf_printf(&b, "Allow: %s\r\n", rq->rq_fn->fn_allow);
	if (status == 503)
		(void)buf_printf(&b, "Retry-After: 1\r\n");
	(void)buf_printf(&b, "Cache-Control: no-store\r\n\r\n"
	    "{\"error\":\"%s\",\"message\":\"", code);
	/* Messages are ours, but escape them anyway. */
	for (p = msg; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			(void)buf_printf(&b, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			(void)buf_printf(&b, "\\u%04x", (unsigned char)*p);
		else
			(void)buf_append(&b, p, 1);
	}
	(void)buf_printf(&b, "\",\"request_id\":\"%s\"}\n", rq->rq_reqid);
	if (b.b_data != NULL)
		(void)front_stdout(rq, b.b_data, b.b_len);
	buf_free(&b);
}

void
front_fail(struct request *rq, int status, const char *code, const char *msg)
{
	struct conn	*c;

	if (rq->rq_hdr_sent) {
		/* Too late for a status: cut the response off so the web
		 * server does not end it as complete. */
		log_warn("fn=%s request_id=%s response cut off: %s",
		    rq->rq_fn ? rq->rq_fn->fn_name : "-", rq->rq_reqid, msg);
		rq->rq_cut = 1;
		if ((c = rq->rq_conn) != NULL) {
			rq->rq_conn = NULL;
			c->c_rq = NULL;
			conn_close(c);
		}
		return;
	}
	if (rq->rq_errcode == NULL || rq->rq_status == 0) {
		rq->rq_status = status;
		rq->rq_errcode = code;
	}
	rq->rq_hdr_sent = 1;
	log_warn("fn=%s status=%d error=%s request_id=%s: %s",
	    rq->rq_fn ? rq->rq_fn->fn_name : "-", status, code, rq->rq_reqid,
	    msg);
	front_json_reply(rq, status, code, msg);
}

/*
 * Reject a request before any function ran for it.  With a route (405,
 * 413, 503, 400 on the body) it gets its row, billed as zero; without
 * one (404, 400 on the path, 431) it ends at once.
 */
static void
front_reject(struct request *rq, int status, const char *code,
    const char *msg)
{
	front_fail(rq, status, code, msg);
	rq->rq_outcome = status == 503 ? "throttled" :
	    (status == 499 ? "aborted" : "rejected");
	if (rq->rq_fn != NULL)
		front_finish(rq);
	else
		front_end(rq);
}

/*
 * Requests.
 */
static struct request *
request_new(struct conn *c, unsigned id)
{
	struct request	*rq;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	rq->rq_conn = c;
	rq->rq_id = id;
	rq->rq_cf = config_ref(front_cf);
	rq->rq_trigger = "http";
	rq->rq_pid = -1;
	rq->rq_pidfd = rq->rq_in = rq->rq_out = rq->rq_err = -1;
	rq->rq_started_wall = (int64_t)util_wall_us();
	timer_init(&rq->rq_deadline, NULL, rq);
	timer_init(&rq->rq_qtimer, NULL, rq);
	spool_init(&rq->rq_body, rq->rq_cf->cf_runtime_dir);
	front_make_reqid(rq->rq_reqid);
	front_nreq++;
	return rq;
}

static void
request_free(struct request *rq)
{
	cgi_cleanup(rq);
	pool_dequeue(rq);
	pool_release(rq);
	timer_cancel(&rq->rq_qtimer);
	buf_free(&rq->rq_params);
	buf_free(&rq->rq_pstore);
	spool_free(&rq->rq_body);
	free(rq->rq_pairs);
	free(rq->rq_path);
	config_unref(rq->rq_cf);
	free(rq);
	front_nreq--;
	if (front_draining && front_idle())
		loop_stop();
}

/* End rq on its connection (END_REQUEST) and free it. */
static void
front_end(struct request *rq)
{
	struct conn	*c = rq->rq_conn;

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
		conn_arm(c);
		conn_flush(c);
	}
	request_free(rq);
}

void
front_finish(struct request *rq)
{
	struct usage_row	*ur;
	const struct fn		*fn = rq->rq_fn;
	const struct config	*cf = rq->rq_cf;
	uint64_t		 dur;

	pool_release(rq);
	if (rq->rq_status == 0)
		rq->rq_status = 502;
	if (rq->rq_outcome == NULL)
		rq->rq_outcome = "ok";
	if (rq->rq_t_end == 0)
		rq->rq_t_end = util_now_us();
	dur = rq->rq_t_spawn ? rq->rq_t_end - rq->rq_t_spawn : 0;
	log_info("fn=%s status=%d outcome=%s dur_ms=%llu.%03llu bytes_out=%llu"
	    " request_id=%s", fn->fn_name, rq->rq_status, rq->rq_outcome,
	    (unsigned long long)dur / 1000, (unsigned long long)dur % 1000,
	    (unsigned long long)rq->rq_bytes_out, rq->rq_reqid);
	if ((ur = usage_row_new()) == NULL) {
		log_error("out of memory: row lost request_id=%s", rq->rq_reqid);
		front_end(rq);
		return;
	}
	(void)snprintf(ur->ur_request_id, sizeof(ur->ur_request_id), "%s",
	    rq->rq_reqid);
	ur->ur_started_at = rq->rq_started_wall;
	ur->ur_function = strdup(fn->fn_name);
	ur->ur_tenant = fn->fn_tenant ? strdup(fn->fn_tenant->t_name) : NULL;
	ur->ur_trigger = rq->rq_trigger;
	ur->ur_method = strdup(rq->rq_method ? rq->rq_method : "");
	ur->ur_path = strdup(rq->rq_path ? rq->rq_path : "");
	ur->ur_status = rq->rq_status;
	ur->ur_outcome = rq->rq_outcome;
	if (rq->rq_t_spawn != 0) {
		ur->ur_queue_us = rq->rq_t_spawn - rq->rq_t_routed;
		ur->ur_duration_us = dur;
		ur->ur_billed_ms = usage_billed_ms(0, dur,
		    cf->cf_granularity_ms);
		ur->ur_cpu_user_us = (uint64_t)rq->rq_ru.ru_utime.tv_sec *
		    1000000 + (uint64_t)rq->rq_ru.ru_utime.tv_usec;
		ur->ur_cpu_sys_us = (uint64_t)rq->rq_ru.ru_stime.tv_sec *
		    1000000 + (uint64_t)rq->rq_ru.ru_stime.tv_usec;
		ur->ur_max_rss_kb = (uint64_t)rq->rq_ru.ru_maxrss;
	} else if (rq->rq_t_routed != 0)
		ur->ur_queue_us = util_now_us() - rq->rq_t_routed;
	ur->ur_memory_mb = (fn->fn_memory ? fn->fn_memory : 128ULL << 20) >>
	    20;
	ur->ur_bytes_in = rq->rq_bytes_in;
	ur->ur_bytes_out = rq->rq_bytes_out;
	if (rq->rq_reaped) {
		if (WIFEXITED(rq->rq_wstatus))
			ur->ur_exit_code = WEXITSTATUS(rq->rq_wstatus);
		else if (WIFSIGNALED(rq->rq_wstatus))
			ur->ur_signal = WTERMSIG(rq->rq_wstatus);
	}
	ur->ur_token = rq;
	rq->rq_state = RQ_LOGGING;
	usage_submit(front_usage, ur);
}

void
front_logged(struct usage_row *list)
{
	struct usage_row	*ur, *next;

	for (ur = list; ur != NULL; ur = next) {
		next = ur->ur_next;
		if (!ur->ur_committed)
			log_error("usage row not written request_id=%s",
			    ur->ur_request_id);
		front_end(ur->ur_token);
		usage_row_free(ur);
	}
}

/*
 * Params: collect, decode, route.
 */
static int
front_pair(const char *n, size_t nl, const char *v, size_t vl, void *arg)
{
	struct request	*rq = arg;
	struct pair	*p;
	size_t		 off;

	if (rq->rq_npairs >= FRONT_MAX_PAIRS)
		return -1;
	if ((rq->rq_npairs & (rq->rq_npairs - 1)) == 0 ||
	    rq->rq_npairs == 0) {
		if ((p = reallocarray(rq->rq_pairs, rq->rq_npairs ?
		    rq->rq_npairs * 2 : 32, sizeof(*p))) == NULL)
			return -1;
		rq->rq_pairs = p;
	}
	/* Offsets first: rq_pstore may move as it grows. */
	off = rq->rq_pstore.b_len;
	if (buf_append(&rq->rq_pstore, n, nl) == -1 ||
	    buf_append(&rq->rq_pstore, "", 1) == -1 ||
	    buf_append(&rq->rq_pstore, v, vl) == -1 ||
	    buf_append(&rq->rq_pstore, "", 1) == -1)
		return -1;
	p = &rq->rq_pairs[rq->rq_npairs++];
	p->p_name = (const char *)(uintptr_t)off;
	p->p_nlen = nl;
	p->p_value = (const char *)(uintptr_t)(off + nl + 1);
	p->p_vlen = vl;
	return 0;
}

static const char *
front_param(const struct request *rq, const char *name, size_t *len)
{
	size_t	i;

	for (i = 0; i < rq->rq_npairs; i++)
		if (strcmp(rq->rq_pairs[i].p_name, name) == 0) {
			if (len != NULL)
				*len = rq->rq_pairs[i].p_vlen;
			return rq->rq_pairs[i].p_value;
		}
	return NULL;
}

static void
front_queue_timeout(struct timer *t)
{
	struct request	*rq = t->t_arg;

	pool_dequeue(rq);
	rq->rq_state = RQ_PARAMS;
	front_reject(rq, 503, "queue_timeout",
	    "no free slot within queue_timeout");
}

/* The params are complete: decide what becomes of rq. */
static void
front_dispatch(struct request *rq)
{
	const struct config	*cf = rq->rq_cf;
	const char		*uri, *doc, *clen, *rid, *errstr;
	char			*esc = NULL, *path;
	size_t			 i, len, n;
	long			 plen;
	long long		 v;

	if (fcgi_pairs_decode(rq->rq_params.b_data, rq->rq_params.b_len,
	    front_pair, rq) == -1) {
		front_reject(rq, 400, "bad_request", "malformed params");
		return;
	}
	for (i = 0; i < rq->rq_npairs; i++) {
		rq->rq_pairs[i].p_name = (const char *)rq->rq_pstore.b_data +
		    (uintptr_t)rq->rq_pairs[i].p_name;
		rq->rq_pairs[i].p_value = (const char *)rq->rq_pstore.b_data +
		    (uintptr_t)rq->rq_pairs[i].p_value;
	}
	buf_free(&rq->rq_params);
	if ((rid = front_param(rq, "REQUEST_ID", &len)) != NULL &&
	    front_valid_reqid(rid, len))
		memcpy(rq->rq_reqid, rid, len + 1);
	rq->rq_method = front_param(rq, "REQUEST_METHOD", NULL);
	rq->rq_query = front_param(rq, "QUERY_STRING", NULL);
	rq->rq_ctype = front_param(rq, "CONTENT_TYPE", NULL);
	rq->rq_host = front_param(rq, "HTTP_HOST", NULL);
	if (rq->rq_host == NULL)
		rq->rq_host = front_param(rq, "SERVER_NAME", NULL);
	if (rq->rq_method == NULL || rq->rq_method[0] == '\0') {
		front_reject(rq, 400, "bad_request", "no REQUEST_METHOD");
		return;
	}
	if ((clen = front_param(rq, "CONTENT_LENGTH", NULL)) != NULL &&
	    clen[0] != '\0') {
		if (util_parse_int(clen, 0, INT64_MAX, &v, &errstr) == -1) {
			front_reject(rq, 400, "bad_request",
			    "bad CONTENT_LENGTH");
			return;
		}
		rq->rq_clen = (uint64_t)v;
	}

	/*
	 * The path: nginx's DOCUMENT_URI is already decoded and
	 * normalised, so it must not be decoded a second time (escape its
	 * '%' so that route_normalize() only resolves dot segments); else
	 * the path of REQUEST_URI, decoded once.
	 */
	if ((doc = front_param(rq, "DOCUMENT_URI", &len)) != NULL &&
	    len > 0) {
		if (strlen(doc) != len) {
			front_reject(rq, 400, "bad_request", "NUL in path");
			return;
		}
		for (n = 0, i = 0; i < len; i++)
			n += doc[i] == '%';
		if ((esc = malloc(len + 2 * n + 1)) == NULL) {
			front_reject(rq, 400, "bad_request", "out of memory");
			return;
		}
		for (n = 0, i = 0; i < len; i++) {
			esc[n++] = doc[i];
			if (doc[i] == '%') {
				esc[n++] = '2';
				esc[n++] = '5';
			}
		}
		esc[n] = '\0';
		uri = esc;
		len = n;
	} else if ((uri = front_param(rq, "REQUEST_URI", &len)) != NULL) {
		if (strlen(uri) != len) {
			front_reject(rq, 400, "bad_request", "NUL in path");
			return;
		}
		len = strcspn(uri, "?#");
	} else {
		front_reject(rq, 400, "bad_request", "no REQUEST_URI");
		return;
	}
	if ((path = malloc(len + 2)) == NULL) {
		free(esc);
		front_reject(rq, 400, "bad_request", "out of memory");
		return;
	}
	plen = route_normalize(uri, len, path);
	free(esc);
	if (plen < 0) {
		free(path);
		front_reject(rq, 400, "bad_request", "invalid path");
		return;
	}
	rq->rq_path = path;
	rq->rq_path_len = (size_t)plen;

	if (route_find(cf, path, rq->rq_path_len, rq->rq_host, rq->rq_method,
	    &rq->rq_rr) == -1) {
		front_reject(rq, 404, "not_found", "no route matches");
		return;
	}
	rq->rq_fn = rq->rq_rr.rr_fn;
	rq->rq_t_routed = util_now_us();
	if (!rq->rq_rr.rr_method_ok) {
		front_reject(rq, 405, "method_not_allowed",
		    "method not allowed");
		return;
	}
	if (rq->rq_clen > rq->rq_fn->fn_max_body) {
		front_reject(rq, 413, "body_too_large",
		    "body larger than max_body");
		return;
	}
	switch (pool_acquire(rq)) {
	case 0:
		cgi_start(rq);
		break;
	case 1:
		rq->rq_qtimer.t_cb = front_queue_timeout;
		timer_set(&rq->rq_qtimer, rq->rq_fn->fn_queue_timeout_ms);
		break;
	default:
		front_reject(rq, 503, rq->rq_errcode,
		    strcmp(rq->rq_errcode, "tenant_limit") == 0 ?
		    "the tenant is at its concurrency cap" :
		    "the function's queue is full");
		break;
	}
}

/*
 * Records from the web server.
 */

/* The request is gone from the web server's side (ABORT or close). */
static void
front_abort(struct request *rq, const char *why)
{
	log_info("fn=%s request_id=%s aborted: %s",
	    rq->rq_fn ? rq->rq_fn->fn_name : "-", rq->rq_reqid, why);
	rq->rq_status = rq->rq_status ? rq->rq_status : 499;
	rq->rq_outcome = "aborted";
	switch (rq->rq_state) {
	case RQ_PARAMS:
		/* Not routed yet: nothing ran, no row. */
		front_end(rq);
		break;
	case RQ_QUEUED:
		timer_cancel(&rq->rq_qtimer);
		pool_dequeue(rq);
		rq->rq_hdr_sent = 1;
		front_finish(rq);
		break;
	case RQ_SPAWNING:
	case RQ_RUNNING:
		cgi_abort(rq, 499);
		break;
	default:
		break;
	}
}

static void
front_stdin(struct conn *c, struct request *rq, const struct fcgi_record *r)
{
	if (rq->rq_stdin_done)
		return;
	if (r->fr_len == 0) {
		rq->rq_stdin_done = 1;
		if (rq->rq_bytes_in != rq->rq_clen)
			goto mismatch;
	} else {
		rq->rq_bytes_in += r->fr_len;
		if (rq->rq_bytes_in > rq->rq_clen)
			goto mismatch;
		if (rq->rq_state != RQ_LOGGING && rq->rq_state != RQ_ENDED &&
		    spool_write(&rq->rq_body, r->fr_content, r->fr_len) == -1) {
			log_error("request_id=%s cannot keep the body: %s",
			    rq->rq_reqid, strerror(errno));
			front_abort(rq, "the body could not be spooled");
			return;
		}
	}
	if (rq->rq_state == RQ_RUNNING)
		cgi_body(rq);
	if (rq->rq_stdin_done)
		conn_flush(c);	/* output held back may go now */
	return;
mismatch:
	/* CONTENT_LENGTH is what the function was promised: a body that
	 * does not match it is the web server's error, never passed on. */
	rq->rq_stdin_done = 1;
	spool_reset(&rq->rq_body);
	if (rq->rq_state == RQ_RUNNING || rq->rq_state == RQ_SPAWNING) {
		front_fail(rq, 400, "bad_request",
		    "body does not match CONTENT_LENGTH");
		cgi_abort(rq, 400);
	} else if (rq->rq_state == RQ_QUEUED) {
		timer_cancel(&rq->rq_qtimer);
		pool_dequeue(rq);
		front_reject(rq, 400, "bad_request",
		    "body does not match CONTENT_LENGTH");
	}
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
	if ((c->c_rq = request_new(c, r->fr_id)) == NULL) {
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
			front_abort(rq, "FCGI_ABORT_REQUEST");
		}
		return 0;
	case FCGI_PARAMS:
		if (rq == NULL || rq->rq_id != r->fr_id ||
		    rq->rq_state != RQ_PARAMS || rq->rq_npairs > 0)
			return 0;	/* stale or repeated: ignore */
		if (r->fr_len == 0) {
			front_dispatch(rq);
			return 0;
		}
		if (rq->rq_params.b_len + r->fr_len >
		    rq->rq_cf->cf_max_params) {
			buf_free(&rq->rq_params);
			rq->rq_stdin_done = 0;
			/* Nothing sane can follow: answer, then close. */
			c->c_keep = 0;
			front_reject(rq, 431, "params_too_large",
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

/* A read deadline applies whenever we wait for the web server. */
static void
conn_arm(struct conn *c)
{
	struct request	*rq = c->c_rq;

	if (c->c_dead || c->c_lingering)
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
	while (!c->c_dead && !c->c_closing && (rc = fcgi_record_parse(c->c_in.b_data +
	    c->c_in.b_off, buf_avail(&c->c_in), &r)) != 0) {
		if (rc == -1 || front_record(c, &r) == -1) {
			/* A version other than 1, BEGIN with id 0, or
			 * worse: nothing sane can follow on this stream. */
			log_info("fd=%d protocol error: closing", c->c_fd);
			conn_close(c);
			return;
		}
		buf_consume(&c->c_in, r.fr_total);
	}
	if (c->c_dead)
		return;
	buf_compact(&c->c_in);
	conn_arm(c);
	conn_flush(c);
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
			front_abort(rq, "the web server closed the connection");
	}
	front_listen_update();
	if (--c->c_depth == 0)
		conn_free(c);
}

int
front_start(struct config *cf, struct usage *u)
{
	if (getrandom(front_rid, sizeof(front_rid), 0) !=
	    (ssize_t)sizeof(front_rid))
		front_rid[0] = util_wall_us() ^ ((uint64_t)getpid() << 32);
	front_cf = cf;
	front_usage = u;
	timer_init(&front_ltimer, front_ltimer_cb, NULL);
	ev_init(&front_lev, front_lfd, front_accept, NULL);
	front_listen_update();
	return 0;
}

int
front_idle(void)
{
	return front_nreq == 0;
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
			front_fail(c->c_rq, 503, "shutting_down",
			    "fngw is shutting down");
			front_abort(c->c_rq, "shutdown_timeout passed");
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
