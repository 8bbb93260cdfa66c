/*
 * instance.c -- a warm FastCGI instance, from its socket to its reap.
 *
 * Start: fngw binds a unix socket in runtime_dir (mode 0600, owned by
 * the function's user), listens on it and hands it to the spawner as the
 * child's fd 0; the child runs in its own group with the function's
 * user, limits and environment (cgi_env_instance()), and dies with fngw
 * (PR_SET_PDEATHSIG, in spawn.c).  RLIMIT_CPU is not set: it would count
 * the instance's whole life; the cpu limit is enforced per request here.
 *
 * Ready: the listening socket takes connections before the program ever
 * calls accept(), so a connect proves nothing.  fngw sends a probe
 * connection an FCGI_GET_VALUES record (FastCGI 1.0, 4.1: every
 * application answers management records); an answer, or an accept
 * followed by a close, means the program accepts.  That moment ends
 * init_us.  Then one connection is opened and kept (FCGI_KEEP_CONN).
 * A request that waits for the start of an instance when none is busy
 * (a cold start: nothing else could take it sooner) goes ahead on that
 * connection right after the probe (instance_claim()), so that the
 * program finds it when it accepts again, not a round trip later.
 *
 * Serve: BEGIN_REQUEST, the request's environment as PARAMS, the body
 * as STDIN records read from the spool without consuming it (so that a
 * request whose instance went away unanswered can be sent again), and
 * the reply's STDOUT through request_output(), as in cgi mode.  What
 * the instance spent on each request, CPU and peak memory, is measured
 * by pstat.c.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "cgi.h"
#include "config.h"
#include "fcgi.h"
#include "front.h"
#include "instance.h"
#include "log.h"
#include "pool.h"
#include "pstat.h"
#include "request.h"

#define INST_ID		1		/* our FastCGI request id */
#define INST_CHUNK	65528		/* STDIN content per record (8k) */
#define INST_OUT_HIGH	(256 * 1024)	/* stop adding body above this */
#define INST_READ	65536
#define INST_LOST_GRACE	1000	/* ms for an instance that hung up */
#define INST_BACKLOG	16
#define INST_HOLD_MAX	8		/* instances held at once */
/*
 * libfcgi reads its connection 8192 bytes at a time into an empty
 * buffer: a request sent whole in one write of at most this is read
 * whole, end of body included, before the program sees a byte of it.
 */
#define INST_WHOLE_MAX	8184

static struct instance	*inst_held[INST_HOLD_MAX];
static int		 inst_nheld, inst_holding;

static void	instance_fd_cb(struct ev *, uint32_t);
static int	instance_flush(struct instance *);
static void	instance_lost(struct instance *);
static void	instance_pid_cb(struct ev *, uint32_t);
static void	instance_err_cb(struct ev *, uint32_t);
static void	instance_parse(struct instance *);
static void	instance_lost(struct instance *);
static void	instance_deadline(struct timer *);
static void	instance_cpu_check(struct timer *);
static void	instance_drain(struct timer *);

static void
instance_signal(struct instance *inst, int sig)
{
	/* setsid() made its pid its group's id; the zombie keeps it taken
	 * until we reap, so this never hits a stranger. */
	if (inst->i_sp.sp_pid > 0 && !inst->i_reaped)
		(void)kill(-inst->i_sp.sp_pid, sig);
	if (sig == SIGKILL)
		inst->i_killed = 2;
	else if (inst->i_killed == 0)
		inst->i_killed = 1;
}

static void
instance_close_fd(struct instance *inst)
{
	if (inst->i_fd == -1)
		return;
	loop_del(&inst->i_ev_fd);
	fd_close(&inst->i_fd);
	buf_reset(&inst->i_in);
	buf_reset(&inst->i_out);
}

/* What the instance's connection wants to hear about. */
static void
instance_watch(struct instance *inst)
{
	uint32_t	ev = 0;

	if (inst->i_fd == -1)
		return;
	if (!inst->i_paused)
		ev |= EPOLLIN;
	if (buf_avail(&inst->i_out) > 0)
		ev |= EPOLLOUT;
	(void)loop_set(&inst->i_ev_fd, ev);
}

static int
instance_dial(const struct instance *inst)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, inst->i_path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	/* A unix socket connects at once or not at all (EAGAIN: backlog
	 * full), never EINPROGRESS. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

static int
instance_connect(struct instance *inst)
{
	if ((inst->i_fd = instance_dial(inst)) == -1)
		return -1;
	ev_init(&inst->i_ev_fd, inst->i_fd, instance_fd_cb, inst);
	return 0;
}

static void
instance_close_probe(struct instance *inst)
{
	if (inst->i_pfd == -1)
		return;
	loop_del(&inst->i_ev_pfd);
	fd_close(&inst->i_pfd);
}

/*
 * What inst spent since the last measurement goes to rq, and a new one
 * starts: measured more than once (a timeout, then the reap), the parts
 * add up, and the CPU an instance spends between requests goes to the
 * next one rather than nowhere.
 */
static void
instance_measure(struct instance *inst, struct request *rq)
{
	uint64_t	user, sys, kb;

	if (pstat_take(&inst->i_ps, &user, &sys, &kb) == 0) {
		rq->rq_cpu_user_us += user;
		rq->rq_cpu_sys_us += sys;
	}
	if (kb > rq->rq_max_rss_kb)
		rq->rq_max_rss_kb = kb;
}

/*
 * Starting.
 */
static void
instance_failed_start(struct instance *inst, const char *msg)
{
	struct request	*rq = inst->i_rq;

	/* Its claimed request: the program never accepted it (it died,
	 * or was killed, before it answered the probe ahead of it); it
	 * waits again, first, as it would have all along. */
	if (rq != NULL) {
		instance_close_fd(inst);
		inst->i_rq = NULL;
		rq->rq_inst = NULL;
		rq->rq_body_off = 0;
	}
	if (inst->i_path[0] != '\0')
		(void)unlink(inst->i_path);
	if (rq != NULL)
		pool_unclaimed(rq);
	pool_instance_gone(inst, 1, msg);
}

static void
instance_start_timeout(struct timer *t)
{
	struct instance	*inst = t->t_arg;

	/* Never accepted: stop it; its reap reports the failure. */
	inst->i_why = "it did not accept a connection within its timeout";
	instance_signal(inst, SIGKILL);
}

static void	instance_spawned(struct spawn *);

int
instance_socket(const struct fn *fn, const char *rundir, unsigned seq,
    char *path, const char **why)
{
	struct sockaddr_un	sun;
	mode_t			um;
	int			n, fd, e;

	n = snprintf(path, INST_PATH_MAX, "%s/%s.%u.sock", rundir,
	    fn->fn_name, seq);
	if (n < 0 || n >= INST_PATH_MAX)
		n = snprintf(path, INST_PATH_MAX, "%s/fn%d.%u.sock", rundir,
		    fn->fn_index, seq);
	if (n < 0 || n >= INST_PATH_MAX) {
		path[0] = '\0';
		*why = "runtime_dir is too long for a unix socket's path";
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, (size_t)n);
	*why = NULL;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* 0600 from the start (a socket is made 0777 less the umask): no
	 * moment in which others could connect.  Only the loop thread
	 * creates files.  A file left at the path (a socket of an fngw
	 * that was killed) is removed only when it is there: a lookup
	 * that finds nothing costs as much as the bind. */
	um = umask(0177);
	n = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (n == -1 && errno == EADDRINUSE && unlink(path) == 0)
		n = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(um);
	if (n == -1)
		goto fail;
	if (listen(fd, INST_BACKLOG) == -1 ||
	    (geteuid() == 0 && chown(path, fn->fn_uid, fn->fn_gid) == -1)) {
		e = errno;
		(void)unlink(path);
		errno = e;
		goto fail;
	}
	return fd;
fail:
	e = errno;
	(void)close(fd);
	errno = e;
	return -1;
}

void
instance_start(struct instance *inst, const struct config *cf)
{
	const struct fn		*fn = inst->i_fn;
	struct spawn		*sp = &inst->i_sp;
	const char		*why;
	char			 msg[300];

	inst->i_pid = -1;
	inst->i_pidfd = inst->i_err = inst->i_fd = inst->i_pfd = -1;
	pstat_init(&inst->i_ps);
	timer_init(&inst->i_timer, instance_start_timeout, inst);
	timer_init(&inst->i_drain, instance_drain, inst);
	inst->i_t_start = util_now_us();
	inst->i_grace_ms = cf->cf_kill_grace_ms;

	if (config_fn_trusted(fn, msg, sizeof(msg)) == -1) {
		/* A socket made ahead goes with it. */
		instance_failed_start(inst, msg);
		return;
	}
	if (inst->i_lfd == -1 && (inst->i_lfd = instance_socket(fn,
	    cf->cf_runtime_dir, inst->i_seq, inst->i_path, &why)) == -1) {
		if (why == NULL) {
			(void)snprintf(msg, sizeof(msg), "socket %s: %s",
			    inst->i_path, strerror(errno));
			why = msg;
		}
		inst->i_path[0] = '\0';	/* nothing of ours there */
		instance_failed_start(inst, why);
		return;
	}
	if ((inst->i_envp = cgi_env_instance(fn)) == NULL) {
		(void)snprintf(msg, sizeof(msg), "environment: %s",
		    strerror(ENOMEM));
		instance_failed_start(inst, msg);
		return;
	}
	cgi_spawn_prepare(sp, fn);
	sp->sp_cpu = 0;		/* per request instead: see above */
	sp->sp_envp = inst->i_envp;
	sp->sp_fd0 = inst->i_lfd;
	sp->sp_token = inst;
	sp->sp_done = instance_spawned;
	timer_set(&inst->i_timer, fn->fn_timeout_ms);
	/* In the loop: a cold request waits for this start. */
	spawn_now(sp);
	instance_spawned(sp);
}

static void	instance_probed(struct instance *);

static void
instance_probe_cb(struct ev *ev, uint32_t events)
{
	(void)events;
	instance_probed(ev->ev_arg);
}

/* The probe: GET_VALUES for FCGI_MPXS_CONNS on a connection of its own. */
static void
instance_probe(struct instance *inst)
{
	uint8_t	rec[64];
	size_t	len = fcgi_pair_size(15, 0);

	if ((inst->i_pfd = instance_dial(inst)) == -1)
		return;		/* dying: its reap says why */
	ev_init(&inst->i_ev_pfd, inst->i_pfd, instance_probe_cb, inst);
	fcgi_header_encode(rec, FCGI_GET_VALUES, 0, len, (8 - len % 8) % 8);
	(void)fcgi_pair_encode(rec + FCGI_HEADER_LEN, "FCGI_MPXS_CONNS", 15,
	    "", 0);
	memset(rec + FCGI_HEADER_LEN + len, 0, (8 - len % 8) % 8);
	/* Written at once (a fresh socket's buffer takes it), then our
	 * side is closed for writing: the program reads the question, an
	 * EOF after it, and goes back to accept() at once rather than wait
	 * for us to hang up; the request it accepts next is what we send
	 * once it answered (or claimed, already behind the probe). */
	if (write(inst->i_pfd, rec, FCGI_HEADER_LEN + len + (8 - len % 8) %
	    8) == (ssize_t)(FCGI_HEADER_LEN + len + (8 - len % 8) % 8))
		(void)shutdown(inst->i_pfd, SHUT_WR);
	(void)loop_set(&inst->i_ev_pfd, EPOLLIN);
}

/* It accepts: init_us ends. */
static void
instance_ready(struct instance *inst)
{
	instance_close_probe(inst);
	timer_cancel(&inst->i_timer);
	inst->i_t_ready = util_now_us();
	log_debug("fn=%s pid=%d instance ready in %llu us (exec at %llu, "
	    "spawn back at %llu)%s", inst->i_fn->fn_name, (int)inst->i_pid,
	    (unsigned long long)(inst->i_t_ready - inst->i_t_start),
	    (unsigned long long)(inst->i_sp.sp_started_us - inst->i_t_start),
	    (unsigned long long)(inst->i_t_spawned - inst->i_t_start),
	    inst->i_rq != NULL ? ", its request sent ahead" : "");
	/* No connection until there is a request to send on it: libfcgi
	 * drops a connection that brings nothing within 2 s of accept(). */
	pool_instance_ready(inst);
}

/* The probe's answer, or its end: 1 if the program accepted it. */
static int
instance_probe_read(struct instance *inst)
{
	uint8_t	buf[512];

	if (read(inst->i_pfd, buf, sizeof(buf)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			/* Reset: it died with the probe still pending. */
			instance_close_probe(inst);
		return 0;
	}
	return 1;
}

static void
instance_probed(struct instance *inst)
{
	/* An answer, or it accepted and hung up: it accepts. */
	if (instance_probe_read(inst))
		instance_ready(inst);
}

/*
 * It exited while starting with a request claimed: did it accept the
 * probe (and so, perhaps, the request behind it) first?  The probe's
 * answer or end, or anything on the request's connection, says so: then
 * it went mid-request, and the request is judged as one (reaped below),
 * never handed back to be run a second time.
 */
static int
instance_accepted(struct instance *inst)
{
	uint8_t	b;

	if (inst->i_pfd != -1 && instance_probe_read(inst))
		return 1;
	return inst->i_fd != -1 &&
	    recv(inst->i_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

static void
instance_err_line(void *arg, const char *s, size_t len)
{
	struct instance	*inst = arg;

	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	log_info("fn=%s pid=%d stream=stderr: %.*s", inst->i_fn->fn_name,
	    (int)inst->i_sp.sp_pid, (int)(len > 1000 ? 1000 : len), s);
}

static void
instance_err_cb(struct ev *ev, uint32_t events)
{
	struct instance	*inst = ev->ev_arg;
	char		 chunk[4096];
	ssize_t		 n;

	(void)events;
	if ((n = read(inst->i_err, chunk, sizeof(chunk))) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		n = 0;
	}
	buf_lines(&inst->i_errline, chunk, n > 0 ? (size_t)n : 0, n == 0,
	    1000, instance_err_line, inst);
	if (n == 0) {
		loop_del(&inst->i_ev_err);
		fd_close(&inst->i_err);
	}
}

static void
instance_spawned(struct spawn *sp)
{
	struct instance	*inst = sp->sp_token;

	inst->i_t_spawned = util_now_us();
	fd_close(&inst->i_lfd);		/* the child has it */
	cgi_env_free(inst->i_envp);
	inst->i_envp = NULL;
	if (sp->sp_pid == -1) {
		char	msg[300];

		timer_cancel(&inst->i_timer);
		(void)snprintf(msg, sizeof(msg), "cannot start %s: %s: %s",
		    inst->i_fn->fn_exec, sp->sp_errwhat ? sp->sp_errwhat : "?",
		    strerror(sp->sp_errno));
		instance_failed_start(inst, msg);
		return;
	}
	inst->i_pid = sp->sp_pid;
	inst->i_pidfd = sp->sp_pidfd;
	inst->i_err = sp->sp_err;
	ev_init(&inst->i_ev_pid, inst->i_pidfd, instance_pid_cb, inst);
	ev_init(&inst->i_ev_err, inst->i_err, instance_err_cb, inst);
	/* The probe first: the program may be in accept() already (the
	 * loop often runs again only once it blocks there), and answers
	 * while the rest is done.  Then its /proc files (a claim marks its
	 * CPU), and a request that waits for it, right behind the probe. */
	if (inst->i_state != INST_STOPPING)
		instance_probe(inst);
	pstat_open(&inst->i_ps, inst->i_pid);
	if (inst->i_state != INST_STOPPING && inst->i_pfd != -1)
		pool_instance_spawned(inst);
	(void)loop_set(&inst->i_ev_pid, EPOLLIN);
	(void)loop_set(&inst->i_ev_err, EPOLLIN);
	if (inst->i_state == INST_STOPPING)
		instance_signal(inst, SIGKILL);
}

/*
 * Serving.
 */
/* Whether inst's output may wait for instance_release(). */
static int
instance_held(struct instance *inst)
{
	if (inst_holding == 0)
		return 0;
	if (inst->i_held)
		return 1;
	if (inst_nheld == INST_HOLD_MAX)
		return 0;
	inst->i_held = 1;
	inst_held[inst_nheld++] = inst;
	return 1;
}

void
instance_hold(void)
{
	inst_holding++;
}

void
instance_release(void)
{
	struct instance	*inst;

	if (--inst_holding > 0)
		return;
	while (inst_nheld > 0) {
		inst = inst_held[--inst_nheld];
		inst->i_held = 0;
		if (inst->i_fd == -1 || instance_flush(inst) == -1)
			continue;
		/* All gone: the rest of a body in the spool follows. */
		if (inst->i_rq != NULL && buf_avail(&inst->i_out) == 0)
			instance_body(inst->i_rq);
	}
}

/* Drop inst from the held ones (it is freed). */
static void
instance_unhold(struct instance *inst)
{
	int	i;

	if (!inst->i_held)
		return;
	for (i = 0; i < inst_nheld; i++)
		if (inst_held[i] == inst) {
			inst_held[i] = inst_held[--inst_nheld];
			break;
		}
	inst->i_held = 0;
}

static int
instance_flush(struct instance *inst)
{
	ssize_t	n;

	if (buf_avail(&inst->i_out) > 0 && instance_held(inst))
		return 0;
	while (buf_avail(&inst->i_out) > 0) {
		n = write(inst->i_fd, inst->i_out.b_data + inst->i_out.b_off,
		    buf_avail(&inst->i_out));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			instance_lost(inst);
			return -1;
		}
		buf_consume(&inst->i_out, (size_t)n);
		inst->i_writes++;
		inst->i_sent += (size_t)n;
	}
	instance_watch(inst);
	return 0;
}

/* Append a record of type with content p, padded to 8 bytes. */
static int
instance_record(struct instance *inst, unsigned type, const void *p,
    size_t len)
{
	static const uint8_t	zero[8];
	uint8_t			hdr[FCGI_HEADER_LEN];
	size_t			pad = (8 - len % 8) % 8;

	fcgi_header_encode(hdr, type, INST_ID, len, pad);
	if (buf_append(&inst->i_out, hdr, sizeof(hdr)) == -1 ||
	    (len > 0 && buf_append(&inst->i_out, p, len) == -1) ||
	    buf_append(&inst->i_out, zero, pad) == -1)
		return -1;
	return 0;
}

/* BEGIN_REQUEST and the params stream, cut into records. */
static int
instance_begin(struct instance *inst, struct request *rq, const char **err)
{
	struct buf	 ps = { 0 };
	uint8_t		 rec[16];
	char		**envp, *eq;
	size_t		 i, nl, vl, off, n;
	int		 r = -1;

	if ((envp = cgi_env_build(rq, err)) == NULL)
		return -1;
	/* About what the pairs take, once, rather than doubling up to it. */
	if (buf_reserve(&ps, rq->rq_pstore.b_len + 1024) == -1)
		goto out;
	for (i = 0; envp[i] != NULL; i++) {
		eq = strchr(envp[i], '=');
		nl = (size_t)(eq - envp[i]);
		vl = strlen(eq + 1);
		if (buf_reserve(&ps, fcgi_pair_size(nl, vl)) == -1)
			goto out;
		ps.b_len += fcgi_pair_encode(ps.b_data + ps.b_len, envp[i], nl,
		    eq + 1, vl);
	}
	(void)buf_append(&inst->i_out, rec, fcgi_begin_encode(rec, INST_ID,
	    FCGI_RESPONDER, FCGI_KEEP_CONN));
	for (off = 0; off < ps.b_len; off += n) {
		n = ps.b_len - off > INST_CHUNK ? INST_CHUNK : ps.b_len - off;
		if (instance_record(inst, FCGI_PARAMS, ps.b_data + off,
		    n) == -1)
			goto out;
	}
	if (instance_record(inst, FCGI_PARAMS, NULL, 0) == -1)
		goto out;
	r = 0;
out:
	if (r == -1)
		*err = "out of memory";
	buf_free(&ps);
	cgi_env_free(envp);
	return r;
}

void
instance_body(struct request *rq)
{
	struct instance	*inst = rq->rq_inst;
	uint8_t		*p;
	ssize_t		 n;
	size_t		 pad, mark;
	int		 filled;

	if (inst == NULL || inst->i_rq != rq || inst->i_fd == -1 ||
	    inst->i_stdin_ended)
		return;
	/*
	 * Fill up to INST_OUT_HIGH, flush, and go on while the socket took
	 * it all: with the body already in the spool (a request that
	 * waited, or is sent again) nothing else would call us back, as
	 * EPOLLOUT is watched only while output waits and the web server
	 * has nothing more to send.
	 */
again:
	mark = inst->i_out.b_len;	/* appends only, until the flush */
	while (buf_avail(&inst->i_out) < INST_OUT_HIGH) {
		if (rq->rq_kill_reason == 0 &&
		    rq->rq_body_off < spool_size(&rq->rq_body)) {
			if (buf_reserve(&inst->i_out, FCGI_HEADER_LEN +
			    INST_CHUNK + 8) == -1)
				break;
			p = inst->i_out.b_data + inst->i_out.b_len;
			n = spool_read_at(&rq->rq_body, rq->rq_body_off,
			    p + FCGI_HEADER_LEN, INST_CHUNK);
			if (n <= 0) {
				log_error("fn=%s request_id=%s body spool: %s",
				    rq->rq_fn->fn_name, rq->rq_reqid,
				    strerror(errno));
				rq->rq_kill_reason = 502;
				request_fail(rq, 502, "bad_gateway",
				    "the body could not be read back");
				rq->rq_outcome = "error";
				continue;	/* ends the stream */
			}
			pad = (8 - (size_t)n % 8) % 8;
			fcgi_header_encode(p, FCGI_STDIN, INST_ID, (size_t)n,
			    pad);
			memset(p + FCGI_HEADER_LEN + n, 0, pad);
			inst->i_out.b_len += FCGI_HEADER_LEN + (size_t)n + pad;
			rq->rq_body_off += (uint64_t)n;
		} else if (rq->rq_stdin_done || rq->rq_clen == 0 ||
		    rq->rq_kill_reason != 0) {
			/* The end of the body, or of what it will get; with
			 * no body, at once, in the same write as the params:
			 * a program that never reads stdin must not find our
			 * empty STDIN where it expects the next request. */
			(void)instance_record(inst, FCGI_STDIN, NULL, 0);
			inst->i_stdin_ended = 1;
			break;
		} else
			break;
	}
	filled = inst->i_out.b_len != mark;
	if (instance_flush(inst) == -1)
		return;
	if (filled && buf_avail(&inst->i_out) == 0 && inst->i_fd != -1 &&
	    !inst->i_stdin_ended)
		goto again;
}

/* Its connection and request state, for rq. */
static void
instance_attach(struct instance *inst, struct request *rq)
{
	inst->i_rq = rq;
	inst->i_rq_seen = inst->i_stdin_ended = inst->i_paused = 0;
	inst->i_lost = 0;
	inst->i_writes = 0;
	inst->i_sent = 0;
	rq->rq_inst = inst;
	rq->rq_state = RQ_RUNNING;
	rq->rq_body_off = 0;
	buf_reset(&inst->i_in);
	buf_reset(&inst->i_out);
}

static void
instance_abort_record(struct instance *inst)
{
	uint8_t	rec[FCGI_HEADER_LEN];

	fcgi_header_encode(rec, FCGI_ABORT_REQUEST, INST_ID, 0, 0);
	(void)buf_append(&inst->i_out, rec, sizeof(rec));
}

int
instance_claim(struct instance *inst, struct request *rq)
{
	const char	*err;

	instance_attach(inst, rq);
	if (instance_connect(inst) == -1 ||
	    instance_begin(inst, rq, &err) == -1) {
		instance_close_fd(inst);
		goto undo;
	}
	/* Its CPU and peak memory count from here: the program may run it
	 * before we see that it accepted, and what it spent starting goes
	 * to its first request rather than nowhere. */
	pstat_mark(&inst->i_ps);
	/* The params, and the body as far as it came (its end too, when
	 * it is all in): the rest goes as it comes (request_body()). */
	instance_body(rq);
	if (inst->i_fd != -1)
		return 0;
	/* The socket refused it: no program listens there any more. */
undo:
	inst->i_rq = NULL;
	rq->rq_inst = NULL;
	rq->rq_state = RQ_WAITING;
	return -1;
}

void
instance_serve(struct instance *inst, struct request *rq)
{
	const struct fn	*fn = inst->i_fn;
	const char	*err;
	int		 claimed = inst->i_rq == rq;

	inst->i_state = INST_BUSY;
	if (!claimed)
		instance_attach(inst, rq);
	rq->rq_t_spawn = util_now_us();
	rq->rq_deadline.t_cb = instance_deadline;
	timer_set(&rq->rq_deadline, fn->fn_timeout_ms);
	if (claimed) {
		/* Sent while it started; its connection may have broken
		 * since (it hung up before answering: sent again, once). */
		if (inst->i_fd == -1) {
			instance_lost(inst);
			return;
		}
	} else if (inst->i_fd == -1 && instance_connect(inst) == -1) {
		instance_lost(inst);	/* nothing went: it may be retried */
		return;
	} else if (instance_begin(inst, rq, &err) == -1) {
		/* Nothing was sent: the instance stays as good as it was. */
		buf_reset(&inst->i_out);
		request_fail(rq, 502, "bad_gateway", err);
		rq->rq_outcome = "error";
		timer_cancel(&rq->rq_deadline);
		inst->i_rq = NULL;
		rq->rq_inst = NULL;
		rq->rq_t_end = util_now_us();
		pool_instance_done(inst);
		request_finish(rq);
		return;
	}
	if (!inst->i_ps.ps_marked)
		pstat_mark(&inst->i_ps);
	if (fn->fn_cpu_ms > 0) {
		rq->rq_qtimer.t_cb = instance_cpu_check;
		timer_set(&rq->rq_qtimer, fn->fn_cpu_ms);
	}
	/* Aborted while its instance started: as it would have been had
	 * it been running (instance_abort()). */
	if (claimed && rq->rq_kill_reason != 0)
		instance_abort_record(inst);
	instance_body(rq);
}

/* rq and inst part; rq's timers stop. */
static void
instance_detach(struct instance *inst)
{
	struct request	*rq = inst->i_rq;

	inst->i_rq = NULL;
	inst->i_paused = 0;
	if (rq == NULL)
		return;
	rq->rq_inst = NULL;
	timer_cancel(&rq->rq_deadline);
	timer_cancel(&rq->rq_qtimer);
	buf_lines(&rq->rq_err_buf, NULL, 0, 1, 1000, request_stderr_line, rq);
	if (rq->rq_t_end == 0)
		rq->rq_t_end = util_now_us();
}

/* The instance's reply is complete (END_REQUEST). */
static void
instance_end(struct instance *inst, const struct fcgi_record *r)
{
	struct request	*rq = inst->i_rq;
	uint32_t	 app;
	unsigned	 proto;
	int		 unread;

	if (fcgi_end_parse(r, &app, &proto) == -1) {
		app = 0;
		proto = FCGI_REQUEST_COMPLETE;
	}
	instance_measure(inst, rq);
	inst->i_served++;
	if (proto != FCGI_REQUEST_COMPLETE) {
		request_fail(rq, 502, "bad_gateway", "the instance refused the "
		    "request (FastCGI protocol status)");
		rq->rq_outcome = "error";
	} else
		(void)request_output(rq, NULL, 0, 1);
	rq->rq_app_status = (int)(app & 0x7fffffff);
	if (rq->rq_outcome == NULL)
		rq->rq_outcome = rq->rq_status >= 500 || app != 0 ? "error" :
		    "ok";
	instance_detach(inst);
	/*
	 * Keep the connection only if the program took all we sent: STDIN
	 * it left unread (it answered before the body was in, or never read
	 * it) would be read as the start of the next request, which libfcgi
	 * answers by closing the connection.  SIOCOUTQ: bytes the peer has
	 * not consumed yet.  After a body, only if the whole request went
	 * in one write small enough for libfcgi's first read: a program
	 * that reads CONTENT_LENGTH bytes and answers may leave the empty
	 * STDIN that ends the stream in the socket, and its next accept
	 * can read it after we looked (seen with 1 MiB POSTs: a hang-up,
	 * then a retry a second later).  Read whole, it went with the
	 * request.  Without a body, the params and that empty STDIN went
	 * in one write and were read as one.
	 */
	if (inst->i_fd != -1 && (!inst->i_stdin_ended || (rq->rq_clen > 0 &&
	    (inst->i_writes != 1 || inst->i_sent > INST_WHOLE_MAX)) ||
	    buf_avail(&inst->i_out) > 0 ||
	    ioctl(inst->i_fd, SIOCOUTQ, &unread) == -1 || unread > 0))
		instance_close_fd(inst);
	/* The instance first: a request waiting for one gets it.  One that
	 * is dying or being stopped is only reaped. */
	if (inst->i_state == INST_BUSY && !inst->i_dead)
		pool_instance_done(inst);
	request_finish(rq);
}

/* Something the instance sent breaks FastCGI: it cannot be trusted. */
static void
instance_broken(struct instance *inst, const char *why)
{
	struct request	*rq = inst->i_rq;
	char		 msg[160];

	(void)snprintf(msg, sizeof(msg), "malformed FastCGI from the "
	    "instance: %s", why);
	log_warn("fn=%s pid=%d %s", inst->i_fn->fn_name, (int)inst->i_pid,
	    msg);
	if (rq != NULL) {
		instance_measure(inst, rq);
		request_fail(rq, 502, "bad_gateway", msg);
		rq->rq_outcome = "error";
		instance_detach(inst);
	}
	instance_stop(inst, "it broke the FastCGI protocol");
	if (rq != NULL)
		request_finish(rq);
}

/* Records from i_in, while the connection to the web server keeps up. */
static void
instance_parse(struct instance *inst)
{
	struct request		*rq;
	struct fcgi_record	 r;
	int			 rc, out;

	while (!inst->i_paused && (rq = inst->i_rq) != NULL &&
	    (rc = fcgi_record_parse(inst->i_in.b_data + inst->i_in.b_off,
	    buf_avail(&inst->i_in), &r)) != 0) {
		if (rc == -1) {
			instance_broken(inst, "bad record header");
			return;
		}
		buf_consume(&inst->i_in, r.fr_total);
		if (r.fr_id == 0)
			continue;	/* management: nothing asked for */
		if (r.fr_id != INST_ID) {
			instance_broken(inst, "unknown request id");
			return;
		}
		switch (r.fr_type) {
		case FCGI_STDOUT:
			inst->i_rq_seen = 1;
			/* r's content stays put: nothing is appended to
			 * i_in until this loop returns. */
			out = request_output(rq, r.fr_content, r.fr_len, 0);
			if (out == -1)
				rq->rq_kill_reason = 502; /* drop the rest */
			else if (out == 1)
				inst->i_paused = 1;
			break;
		case FCGI_STDERR:
			inst->i_rq_seen = 1;
			buf_lines(&rq->rq_err_buf, r.fr_content, r.fr_len, 0,
			    1000, request_stderr_line, rq);
			break;
		case FCGI_END_REQUEST:
			instance_end(inst, &r);
			return;
		default:
			instance_broken(inst, "unexpected record type");
			return;
		}
	}
	/* A reply it got wrong ends its body too. */
	if ((rq = inst->i_rq) != NULL && rq->rq_kill_reason != 0 &&
	    !inst->i_stdin_ended) {
		instance_body(rq);
		return;
	}
	instance_watch(inst);
}

static void
instance_read(struct instance *inst)
{
	ssize_t	n;

	if (buf_reserve(&inst->i_in, INST_READ) == -1)
		return;
	n = read(inst->i_fd, inst->i_in.b_data + inst->i_in.b_len, INST_READ);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		instance_lost(inst);
		return;
	}
	inst->i_in.b_len += (size_t)n;
	if (inst->i_rq == NULL) {
		/* Nothing was asked: whatever it says is not FastCGI. */
		log_warn("fn=%s pid=%d sent %zd bytes unasked; stopping it",
		    inst->i_fn->fn_name, (int)inst->i_pid, n);
		instance_stop(inst, "it broke the FastCGI protocol");
		return;
	}
	front_hold();
	instance_parse(inst);
	front_release();
}

static void
instance_fd_cb(struct ev *ev, uint32_t events)
{
	struct instance	*inst = ev->ev_arg;
	uint8_t		 b;

	if (inst->i_state == INST_STARTING && (events & (EPOLLIN |
	    EPOLLHUP | EPOLLERR))) {
		/* A claimed request's connection.  An answer on it: the
		 * program is past the probe (accept() takes them in order),
		 * whether or not the probe's answer was read yet. */
		if (recv(inst->i_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
			instance_ready(inst);
		else {
			/* Reset (it died) or closed unanswered: the probe's
			 * answer or the reap tells which (instance_serve(),
			 * instance_failed_start()). */
			instance_close_fd(inst);
			return;
		}
	}
	if ((events & EPOLLOUT) && instance_flush(inst) == -1)
		return;
	if ((events & EPOLLOUT) && inst->i_rq != NULL)
		instance_body(inst->i_rq);
	if (inst->i_fd != -1 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    !inst->i_paused)
		instance_read(inst);
}

void
instance_resume(struct request *rq)
{
	struct instance	*inst = rq->rq_inst;

	if (inst == NULL || !inst->i_paused)
		return;
	inst->i_paused = 0;
	instance_parse(inst);
}

/*
 * Timeouts, limits, aborts.
 */
static void
instance_grace(struct timer *t)
{
	struct instance	*inst = t->t_arg;

	instance_signal(inst, SIGKILL);
}

static void
instance_deadline(struct timer *t)
{
	struct request	*rq = t->t_arg;
	struct instance	*inst = rq->rq_inst;

	if (inst == NULL)
		return;
	if (rq->rq_kill_reason == 0) {
		rq->rq_kill_reason = 504;
		request_fail(rq, 504, "timeout", "the function ran past its "
		    "timeout");
		rq->rq_outcome = "timeout";
	}
	/* It is finished when reaped: the whole group, TERM then KILL. */
	instance_measure(inst, rq);
	instance_stop(inst, "it ran past its timeout");
}

static void
instance_cpu_check(struct timer *t)
{
	struct request	*rq = t->t_arg;
	struct instance	*inst = rq->rq_inst;
	uint64_t	 user, sys, used, limit;

	if (inst == NULL || pstat_cpu(&inst->i_ps, &user, &sys) == -1)
		return;
	used = (user + sys) / 1000;
	limit = rq->rq_fn->fn_cpu_ms;
	if (used < limit) {
		/* CPU time runs no faster than the clock per thread. */
		timer_set(&rq->rq_qtimer, limit - used);
		return;
	}
	if (rq->rq_kill_reason == 0) {
		rq->rq_kill_reason = 502;
		request_fail(rq, 502, "bad_gateway", "the function used more "
		    "than its cpu limit");
		rq->rq_outcome = "limit";
	}
	instance_measure(inst, rq);
	instance_signal(inst, SIGKILL);
	instance_stop(inst, "it used more than its cpu limit");
}

void
instance_abort(struct request *rq, int reason)
{
	struct instance	*inst = rq->rq_inst;

	if (rq->rq_kill_reason != 0)
		return;
	rq->rq_kill_reason = reason;
	rq->rq_outcome = reason == 400 ? "rejected" : "aborted";
	if (inst == NULL || (inst->i_state != INST_BUSY &&
	    inst->i_state != INST_STARTING))
		return;
	if (pool_is_draining()) {
		/* fngw stops: what still runs is killed, not waited for. */
		instance_measure(inst, rq);
		instance_stop(inst, "fngw is stopping");
		instance_signal(inst, SIGKILL);
		return;
	}
	/* Claimed by a starting instance: what was sent may already be
	 * read, and run; the abort follows once it accepts. */
	if (inst->i_state == INST_STARTING || inst->i_fd == -1)
		return;
	/*
	 * FCGI_ABORT_REQUEST (FastCGI 1.0, 5.4), the end of its stdin, and
	 * then its reply is read to END_REQUEST and dropped: the instance
	 * stays warm, and the timeout still bounds it.
	 */
	instance_abort_record(inst);
	instance_body(rq);
	/*
	 * Paused, because the web server had stopped reading: it reads no
	 * more, so the rest goes nowhere and is read on.  Otherwise the
	 * instance stays blocked in its write until the timeout kills it,
	 * and the row bills that wait.  From the loop, not here: the reply
	 * may end the request, and the caller still holds it.
	 */
	if (inst->i_paused) {
		inst->i_paused = 0;
		instance_watch(inst);
		timer_set(&inst->i_drain, 0);
	}
}

static void
instance_drain(struct timer *t)
{
	struct instance	*inst = t->t_arg;

	if (inst->i_rq != NULL && !inst->i_paused && inst->i_fd != -1)
		instance_parse(inst);
}

/*
 * Losing and reaping.
 */
static void
instance_lost_cb(struct timer *t)
{
	struct instance	*inst = t->t_arg;
	struct request	*rq = inst->i_rq;

	if (rq == NULL)
		return;
	instance_detach(inst);
	if (!inst->i_rq_seen && !rq->rq_retried && rq->rq_kill_reason == 0) {
		/* It hung up before answering and lives on: the request
		 * goes again, once, on a new connection. */
		log_info("fn=%s pid=%d request_id=%s the instance hung up "
		    "before answering; sending the request again",
		    inst->i_fn->fn_name, (int)inst->i_pid, rq->rq_reqid);
		pool_instance_done(inst);
		pool_retry(rq);
		return;
	}
	/* Hung up mid-reply, alive: not FastCGI as we know it. */
	instance_measure(inst, rq);
	request_fail(rq, 502, "bad_gateway", "the instance closed the "
	    "connection without a complete reply");
	if (rq->rq_outcome == NULL)
		rq->rq_outcome = "error";
	instance_stop(inst, "it hung up on a request");
	request_finish(rq);
}

/* The connection broke.  Busy: its reap (or a grace) judges the request. */
static void
instance_lost(struct instance *inst)
{
	instance_close_fd(inst);
	if (inst->i_state != INST_BUSY || inst->i_rq == NULL)
		return;
	inst->i_lost = 1;
	inst->i_timer.t_cb = instance_lost_cb;
	inst->i_timer.t_arg = inst;
	timer_set(&inst->i_timer, INST_LOST_GRACE);
}

static void
instance_status_str(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		(void)snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
	else
		(void)snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(st));
}

static void
instance_reaped(struct instance *inst)
{
	struct request	*rq = inst->i_rq;
	int		 st = inst->i_wstatus, retry;
	char		 how[64], msg[200];

	instance_status_str(st, how, sizeof(how));
	timer_cancel(&inst->i_timer);
	if (inst->i_state == INST_STARTING) {
		if (inst->i_why != NULL)
			(void)snprintf(msg, sizeof(msg), "%s: %s",
			    inst->i_fn->fn_exec, inst->i_why);
		else
			(void)snprintf(msg, sizeof(msg), "%s %s before it "
			    "accepted a connection", inst->i_fn->fn_exec, how);
		instance_failed_start(inst, msg);
		return;
	}
	if (rq == NULL) {
		if (inst->i_state == INST_STOPPING)
			log_info("fn=%s pid=%d instance stopped (%s): %s",
			    inst->i_fn->fn_name, (int)inst->i_sp.sp_pid,
			    inst->i_why ? inst->i_why : "?", how);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			log_info("fn=%s pid=%d instance exited between "
			    "requests after %llu; retired", inst->i_fn->fn_name,
			    (int)inst->i_sp.sp_pid,
			    (unsigned long long)inst->i_served);
		else
			log_warn("fn=%s pid=%d instance %s while idle",
			    inst->i_fn->fn_name, (int)inst->i_sp.sp_pid, how);
		pool_instance_gone(inst, 0, how);
		return;
	}

	/* It went with a request. */
	instance_detach(inst);
	rq->rq_reaped = 1;
	rq->rq_wstatus = st;
	retry = !inst->i_rq_seen && !rq->rq_retried &&
	    rq->rq_kill_reason == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (retry) {
		/* It exited cleanly as the request went (php-cgi after
		 * PHP_FCGI_MAX_REQUESTS): retired, and the request goes to
		 * another instance, once. */
		log_info("fn=%s pid=%d request_id=%s instance exited as the "
		    "request was sent; sending it again", inst->i_fn->fn_name,
		    (int)inst->i_sp.sp_pid, rq->rq_reqid);
		rq->rq_reaped = 0;
		pool_instance_gone(inst, 0, how);
		pool_retry(rq);
		return;
	}
	if (rq->rq_kill_reason == 0) {
		/* Exit 0 mid-request is still an error here. */
		if ((rq->rq_outcome = request_exit_outcome(rq, st, msg,
		    sizeof(msg))) == NULL) {
			rq->rq_outcome = "error";
			(void)snprintf(msg, sizeof(msg), "the function %s",
			    how);
		}
		request_fail(rq, 502, "bad_gateway", msg);
	}
	log_warn("fn=%s pid=%d request_id=%s instance %s mid-request",
	    inst->i_fn->fn_name, (int)inst->i_sp.sp_pid, rq->rq_reqid, how);
	pool_instance_gone(inst, 0, how);
	request_finish(rq);
}

static void
instance_pid_cb(struct ev *ev, uint32_t events)
{
	struct instance	*inst = ev->ev_arg;
	struct rusage	 ru;
	pid_t		 r;

	(void)events;
	inst->i_dead = 1;
	/* Starting with a request claimed: if it went past the probe, the
	 * request may have run; it is judged as one that did. */
	if (inst->i_state == INST_STARTING && inst->i_rq != NULL &&
	    instance_accepted(inst))
		instance_ready(inst);
	/* What it wrote before it went is still in the socket: read it, so
	 * that a reply it finished counts before its exit does. */
	while (inst->i_fd != -1 && inst->i_rq != NULL && !inst->i_paused &&
	    inst->i_state == INST_BUSY) {
		size_t	before = inst->i_in.b_len;

		instance_read(inst);
		if (inst->i_fd == -1 || inst->i_in.b_len == before)
			break;
	}
	if (inst->i_rq != NULL)
		instance_measure(inst, inst->i_rq);	/* a zombie tells */
	(void)kill(-inst->i_pid, SIGKILL);	/* what is left of its group */
	while ((r = wait4(inst->i_pid, &inst->i_wstatus, WNOHANG, &ru)) ==
	    -1 && errno == EINTR)
		;
	if (r == 0)
		return;
	if (r == -1)
		log_error("wait4 pid=%d: %s", (int)inst->i_pid,
		    strerror(errno));
	spawn_disown(inst->i_pid);
	inst->i_pid = -1;
	inst->i_reaped = 1;
	loop_del(&inst->i_ev_pid);
	fd_close(&inst->i_pidfd);
	instance_close_fd(inst);
	instance_close_probe(inst);
	if (inst->i_err != -1)
		instance_err_cb(&inst->i_ev_err, EPOLLIN);
	if (inst->i_rq != NULL && inst->i_rq->rq_max_rss_kb == 0)
		inst->i_rq->rq_max_rss_kb = (uint64_t)ru.ru_maxrss;
	pstat_close(&inst->i_ps);
	(void)unlink(inst->i_path);
	spawn_strays_soon();
	instance_reaped(inst);
}

void
instance_stop(struct instance *inst, const char *why)
{
	if (inst->i_state == INST_STOPPING)
		return;
	inst->i_state = INST_STOPPING;
	inst->i_why = why;
	instance_close_probe(inst);
	log_info("fn=%s pid=%d stopping the instance: %s", inst->i_fn->fn_name,
	    (int)inst->i_pid, why);
	timer_cancel(&inst->i_timer);
	if (inst->i_rq == NULL)
		instance_close_fd(inst);
	if (inst->i_pid == -1)
		return;		/* still with the spawner */
	/* Closing the connection sends a FastCGI program back to accept();
	 * SIGTERM then ends it, SIGKILL after kill_grace. */
	instance_signal(inst, SIGTERM);
	inst->i_timer.t_cb = instance_grace;
	inst->i_timer.t_arg = inst;
	timer_set(&inst->i_timer, inst->i_grace_ms);
}

void
instance_kill_now(struct instance *inst)
{
	struct pollfd	pfd;

	instance_close_fd(inst);
	if (inst->i_pid > 0) {
		instance_signal(inst, SIGTERM);
		pfd.fd = inst->i_pidfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) != 1)
			instance_signal(inst, SIGKILL);
		(void)kill(-inst->i_pid, SIGKILL);
		while (waitpid(inst->i_pid, NULL, 0) == -1 && errno == EINTR)
			;
		spawn_disown(inst->i_pid);
		inst->i_pid = -1;
		inst->i_reaped = 1;
	}
}

void
instance_free(struct instance *inst)
{
	instance_unhold(inst);
	instance_close_fd(inst);
	instance_close_probe(inst);
	timer_cancel(&inst->i_timer);
	timer_cancel(&inst->i_drain);
	if (inst->i_pidfd != -1) {
		loop_del(&inst->i_ev_pid);
		fd_close(&inst->i_pidfd);
	}
	if (inst->i_err != -1) {
		loop_del(&inst->i_ev_err);
		fd_close(&inst->i_err);
	}
	fd_close(&inst->i_lfd);
	pstat_close(&inst->i_ps);
	if (inst->i_path[0] != '\0')
		(void)unlink(inst->i_path);
	buf_free(&inst->i_in);
	buf_free(&inst->i_out);
	buf_free(&inst->i_errline);
	cgi_env_free(inst->i_envp);
	free(inst);
}

void
instance_cleanup(struct request *rq)
{
	struct instance	*inst = rq->rq_inst;

	if (inst == NULL)
		return;
	instance_detach(inst);
	instance_stop(inst, "its request was dropped");
}
