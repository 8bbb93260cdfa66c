/*
 * cgi.c -- cgi mode: one process per request, run through the loop.
 *
 * The child is started by the spawner thread (spawn.c) in its own
 * process group.  The loop then owns its stdin, stdout and stderr pipes
 * and its pidfd: the body goes into stdin as the web server sends it,
 * stdout comes back through the reply parser (reply.c) and front.c,
 * each side stopping when the other backs up, so a 50 MiB body or reply
 * costs fngw two bounded buffers.  A deadline kills the whole group
 * (TERM, then KILL after kill_grace); the pidfd tells us when the child
 * exited, and wait4() then brings its status and rusage for the bill.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgi.h"
#include "config.h"
#include "front.h"
#include "log.h"
#include "request.h"

#define CGI_READ_CHUNK	65536
#define CGI_EXIT_GRACE	500	/* ms a grandchild may hold stdout after exit */
#define CGI_PATH	"/usr/local/bin:/usr/bin:/bin"

static void	cgi_maybe_finish(struct request *);
static void	cgi_kill(struct request *, int);

/*
 * The environment.
 */
struct envb {
	struct buf	  e_str;	/* "NAME=VALUE\0" strings, in a row */
	size_t		 *e_off;	/* where each one starts in e_str */
	size_t		  e_n, e_cap;
	int		  e_err;
};

/*
 * The strings go into one buffer and the vector is made at the end in
 * one allocation (env_finish()): a warm request's environment took
 * some 20 mallocs and as many frees, a tenth of the loop's instructions
 * per request (callgrind, issue 7).
 */
static void
env_add(struct envb *e, const char *name, size_t nlen, const char *val,
    size_t vlen)
{
	size_t	*no;
	char	*s;

	if (e->e_err)
		return;
	if (e->e_n == e->e_cap) {
		if ((no = reallocarray(e->e_off, e->e_cap ? e->e_cap * 2 : 64,
		    sizeof(*no))) == NULL) {
			e->e_err = 1;
			return;
		}
		e->e_off = no;
		e->e_cap = e->e_cap ? e->e_cap * 2 : 64;
	}
	if (buf_reserve(&e->e_str, nlen + vlen + 2) == -1) {
		e->e_err = 1;
		return;
	}
	e->e_off[e->e_n++] = e->e_str.b_len;
	s = (char *)e->e_str.b_data + e->e_str.b_len;
	memcpy(s, name, nlen);
	s[nlen] = '=';
	memcpy(s + nlen + 1, val, vlen);
	s[nlen + 1 + vlen] = '\0';
	e->e_str.b_len += nlen + vlen + 2;
}

static void
env_set(struct envb *e, const char *name, const char *val)
{
	env_add(e, name, strlen(name), val, strlen(val));
}

/* Replace (or add) name=..., as `env` in the config may override: the
 * new string is added and takes the old one's place in the order. */
static void
env_override(struct envb *e, const char *kv)
{
	size_t	 nlen = strcspn(kv, "="), i;

	for (i = 0; i < e->e_n; i++)
		if (strncmp((char *)e->e_str.b_data + e->e_off[i], kv,
		    nlen + 1) == 0)
			break;
	env_add(e, kv, nlen, kv + nlen + 1, strlen(kv + nlen + 1));
	if (i < e->e_n - 1 && !e->e_err)
		e->e_off[i] = e->e_off[--e->e_n];
}

/* The NULL-terminated vector and its strings in one allocation, which
 * cgi_env_free() frees; NULL when out of memory. */
static char **
env_finish(struct envb *e)
{
	char	**v = NULL, *s;
	size_t	  i, vlen;

	if (!e->e_err && e->e_n < SIZE_MAX / sizeof(*v) - 1) {
		vlen = (e->e_n + 1) * sizeof(*v);
		if ((v = malloc(vlen + e->e_str.b_len)) != NULL) {
			s = (char *)v + vlen;
			if (e->e_str.b_len > 0)
				memcpy(s, e->e_str.b_data, e->e_str.b_len);
			for (i = 0; i < e->e_n; i++)
				v[i] = s + e->e_off[i];
			v[e->e_n] = NULL;
		}
	}
	buf_free(&e->e_str);
	free(e->e_off);
	return v;
}

void
cgi_env_free(char **v)
{
	free(v);
}

/* name=n in decimal (snprintf cost as much as the rest of a variable). */
static void
env_num(struct envb *e, const char *name, uint64_t n)
{
	char	d[24];
	size_t	i = sizeof(d);

	do
		d[--i] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	env_add(e, name, strlen(name), d + i, sizeof(d) - i);
}

/* An HTTP_ name the shell and execve() can carry: [A-Z0-9_]. */
static int
env_name_ok(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return len > 0;
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *const *pa = a, *const *pb = b;
	int	r = strcmp((*pa)->p_name, (*pb)->p_name);

	if (r != 0)
		return r;
	/* Keep the order they came in: qsort is not stable. */
	return *pa < *pb ? -1 : *pa > *pb;
}

/*
 * The params cgi_env_build() passes on or looks at.  The first seven
 * are passed as they came, in this order.
 */
enum {
	CP_REQUEST_METHOD, CP_QUERY_STRING, CP_CONTENT_TYPE, CP_REMOTE_ADDR,
	CP_SERVER_NAME, CP_SERVER_PORT, CP_SERVER_PROTOCOL,
	CP_PASSED,
	CP_REQUEST_URI = CP_PASSED, CP_HTTPS,
	CP_N
};

static const struct {
	const char	*cp_name;
	size_t		 cp_len;
} cgi_params[CP_N] = {
	{ "REQUEST_METHOD", 14 }, { "QUERY_STRING", 12 },
	{ "CONTENT_TYPE", 12 }, { "REMOTE_ADDR", 11 }, { "SERVER_NAME", 11 },
	{ "SERVER_PORT", 11 }, { "SERVER_PROTOCOL", 15 },
	{ "REQUEST_URI", 11 }, { "HTTPS", 5 },
};

/*
 * The values of cgi_params[] in one pass over the params (a lookup
 * each went over all of them: about 400 string compares a request).
 * A value is the first pair of its name, or NULL when that is absent
 * or holds a NUL (which an environment string cannot carry: dropped,
 * never cut short).
 */
static void
cgi_params_find(const struct request *rq, const char *val[CP_N])
{
	const struct pair	*p;
	int			 seen[CP_N] = { 0 };
	size_t			 i, j;

	for (j = 0; j < CP_N; j++)
		val[j] = NULL;
	for (i = 0; i < rq->rq_npairs; i++) {
		p = &rq->rq_pairs[i];
		for (j = 0; j < CP_N; j++) {
			if (seen[j] || p->p_nlen != cgi_params[j].cp_len ||
			    memcmp(p->p_name, cgi_params[j].cp_name,
			    p->p_nlen) != 0)
				continue;
			seen[j] = 1;
			if (strlen(p->p_value) == p->p_vlen)
				val[j] = p->p_value;
			break;
		}
	}
}

/*
 * SPEC.md's environment, and nothing else: the RFC 3875 variables from
 * the web server's params, HTTP_* except HTTP_PROXY (httpoxy), our FN_*
 * variables, a fixed PATH, then the function's env_file and env.
 */
char **
cgi_env_build(struct request *rq, const char **errstr)
{
	const struct fn		*fn = rq->rq_fn;
	const struct route_result *rr = &rq->rq_rr;
	struct envb		 e = { 0 };
	const struct pair	**http = NULL;
	const char		*v, *val[CP_N];
	char			 name[80], **envp;
	size_t			 i, j, nh = 0, k;
	struct buf		 joined = { 0 };

	/* About the params' size, once, rather than doubling up to it. */
	if (buf_reserve(&e.e_str, rq->rq_pstore.b_len + 512) == -1)
		e.e_err = 1;
	cgi_params_find(rq, val);
	env_set(&e, "GATEWAY_INTERFACE", "CGI/1.1");
	for (i = 0; i < CP_PASSED; i++)
		if (val[i] != NULL)
			env_add(&e, cgi_params[i].cp_name, cgi_params[i].cp_len,
			    val[i], strlen(val[i]));
	/* In origin form even when Apache sent the absolute form. */
	if (rq->rq_uri != NULL)
		env_set(&e, "REQUEST_URI", rq->rq_uri);
	else if (val[CP_REQUEST_URI] != NULL)
		env_set(&e, "REQUEST_URI", val[CP_REQUEST_URI]);
	if (val[CP_QUERY_STRING] == NULL)
		env_set(&e, "QUERY_STRING", "");
	if (val[CP_SERVER_PROTOCOL] == NULL)
		env_set(&e, "SERVER_PROTOCOL", "HTTP/1.1");
	env_set(&e, "SERVER_SOFTWARE", "fngw");
	if ((v = val[CP_HTTPS]) != NULL && v[0] != '\0' &&
	    strcasecmp(v, "off") != 0)
		env_set(&e, "HTTPS", "on");
	/*
	 * Both always, as nginx's stock fastcgi_params sends them (empty
	 * for a request without a body); Apache leaves them out then, and
	 * a function sees the same either way.
	 */
	env_num(&e, "CONTENT_LENGTH", rq->rq_clen);
	if (val[CP_CONTENT_TYPE] == NULL)
		env_set(&e, "CONTENT_TYPE", "");
	env_add(&e, "SCRIPT_NAME", 11, rq->rq_path, rr->rr_script_len);
	env_add(&e, "PATH_INFO", 9, rq->rq_path + rr->rr_path_info_off,
	    rr->rr_path_info_len);

	/* HTTP_*: the same header twice becomes one variable, joined with
	 * ", " as RFC 9110 5.3 allows for list-valued fields. */
	if ((http = calloc(rq->rq_npairs + 1, sizeof(*http))) == NULL)
		e.e_err = 1;
	for (i = 0; http != NULL && i < rq->rq_npairs; i++) {
		const struct pair *p = &rq->rq_pairs[i];

		if (p->p_nlen > 5 && strncmp(p->p_name, "HTTP_", 5) == 0 &&
		    strcmp(p->p_name, "HTTP_PROXY") != 0 &&
		    env_name_ok(p->p_name, p->p_nlen) &&
		    strlen(p->p_value) == p->p_vlen)
			http[nh++] = p;
	}
	if (nh > 1)
		qsort(http, nh, sizeof(*http), pair_cmp);
	for (i = 0; i < nh; i = j) {
		buf_reset(&joined);
		(void)buf_append(&joined, http[i]->p_value, http[i]->p_vlen);
		for (j = i + 1; j < nh &&
		    strcmp(http[j]->p_name, http[i]->p_name) == 0; j++) {
			(void)buf_append(&joined, ", ", 2);
			(void)buf_append(&joined, http[j]->p_value,
			    http[j]->p_vlen);
		}
		env_add(&e, http[i]->p_name, http[i]->p_nlen,
		    joined.b_data ? (char *)joined.b_data : "", joined.b_len);
	}
	buf_free(&joined);
	free(http);

	env_set(&e, "PATH", CGI_PATH);
	env_set(&e, "FN_NAME", fn->fn_name);
	env_set(&e, "FN_TENANT", fn->fn_tenant ? fn->fn_tenant->t_name : "");
	env_set(&e, "FN_REQUEST_ID", rq->rq_reqid);
	env_set(&e, "FN_TRIGGER", rq->rq_trigger);
	env_num(&e, "FN_DEADLINE_MS", util_wall_us() / 1000 +
	    fn->fn_timeout_ms);
	for (i = 0; i < rr->rr_nparams; i++) {
		const struct route_param *rp = &rr->rr_params[i];

		if (!rp->rp_set || rp->rp_name_len + 10 > sizeof(name))
			continue;
		memcpy(name, "FN_PARAM_", 9);
		for (k = 0; k < rp->rp_name_len; k++)
			name[9 + k] = (rp->rp_name[k] >= 'a' &&
			    rp->rp_name[k] <= 'z') ? rp->rp_name[k] - 32 :
			    rp->rp_name[k];
		env_add(&e, name, 9 + rp->rp_name_len,
		    rq->rq_path + rp->rp_off, rp->rp_len);
	}
	for (i = 0; fn->fn_env != NULL && fn->fn_env[i] != NULL; i++)
		env_override(&e, fn->fn_env[i]);
	if ((envp = env_finish(&e)) == NULL)
		*errstr = "out of memory";
	return envp;
}

/*
 * Starting.
 */
static void
cgi_deadline(struct timer *t)
{
	struct request	*rq = t->t_arg;

	if (rq->rq_killed == 0) {
		cgi_abort(rq, 504);
		return;
	}
	/* kill_grace passed after SIGTERM. */
	cgi_kill(rq, SIGKILL);
}

/* The spawn of fn's program: argv, directory, user, limits. */
void
cgi_spawn_prepare(struct spawn *sp, const struct fn *fn)
{
	memset(sp, 0, sizeof(*sp));
	sp->sp_argv = fn->fn_argv;
	sp->sp_dir = fn->fn_dir;
	/* fngw as root never runs a function as root unless the config
	 * allowed it (config.c refuses uid 0 without allow_root). */
	sp->sp_setids = geteuid() == 0;
	sp->sp_uid = fn->fn_uid;
	sp->sp_gid = fn->fn_gid;
	sp->sp_as = fn->fn_memory;
	sp->sp_cpu = fn->fn_cpu;
	sp->sp_nofile = fn->fn_nofile;
	sp->sp_nproc = fn->fn_nproc;
	sp->sp_fsize = fn->fn_fsize;
	sp->sp_fd0 = -1;
}

/*
 * A warm instance's own environment: a fixed PATH, FN_NAME, FN_TENANT,
 * the function's env_file and env, and PHP_FCGI_CHILDREN=0 last, so
 * that php-cgi never forks workers of its own: an instance is one
 * process, which fngw counts, bills and kills.
 */
char **
cgi_env_instance(const struct fn *fn)
{
	struct envb	 e = { 0 };
	size_t		 i;

	env_set(&e, "PATH", CGI_PATH);
	env_set(&e, "FN_NAME", fn->fn_name);
	env_set(&e, "FN_TENANT", fn->fn_tenant ? fn->fn_tenant->t_name : "");
	for (i = 0; fn->fn_env != NULL && fn->fn_env[i] != NULL; i++)
		env_override(&e, fn->fn_env[i]);
	env_override(&e, "PHP_FCGI_CHILDREN=0");
	return env_finish(&e);
}

void
cgi_start(struct request *rq)
{
	const struct fn	*fn = rq->rq_fn;
	struct spawn	*sp = &rq->rq_sp;
	const char	*errstr;
	char		 why[512];

	rq->rq_state = RQ_SPAWNING;
	timer_cancel(&rq->rq_qtimer);
	/* suEXEC checks its target at every exec, not only at start-up:
	 * a file made writable since is not run. */
	if (config_fn_trusted(fn, why, sizeof(why)) == -1) {
		log_error("fn=%s request_id=%s not run: %s", fn->fn_name,
		    rq->rq_reqid, why);
		request_fail(rq, 502, "bad_gateway", "the function's "
		    "executable cannot be trusted (see the log)");
		rq->rq_outcome = "error";
		request_finish(rq);
		return;
	}
	if ((rq->rq_envp = cgi_env_build(rq, &errstr)) == NULL) {
		request_fail(rq, 502, "bad_gateway", errstr);
		rq->rq_outcome = "error";
		request_finish(rq);
		return;
	}
	cgi_spawn_prepare(sp, fn);
	sp->sp_envp = rq->rq_envp;
	sp->sp_token = rq;
	sp->sp_done = cgi_spawned;
	rq->rq_t_spawn = util_now_us();
	rq->rq_deadline.t_cb = cgi_deadline;
	timer_set(&rq->rq_deadline, fn->fn_timeout_ms);
	spawn_submit(sp);
}

static void	cgi_in_cb(struct ev *, uint32_t);
static void	cgi_out_cb(struct ev *, uint32_t);
static void	cgi_err_cb(struct ev *, uint32_t);
static void	cgi_pid_cb(struct ev *, uint32_t);

void
cgi_spawned(struct spawn *sp)
{
	struct request	*rq = sp->sp_token;

	if (sp->sp_pid == -1) {
		char	msg[256];

		timer_cancel(&rq->rq_deadline);
		(void)snprintf(msg, sizeof(msg), "cannot start %s: %s: %s",
		    rq->rq_fn->fn_exec, sp->sp_errwhat ? sp->sp_errwhat : "?",
		    strerror(sp->sp_errno));
		log_error("fn=%s request_id=%s %s", rq->rq_fn->fn_name,
		    rq->rq_reqid, msg);
		rq->rq_state = RQ_RUNNING;
		request_fail(rq, 502, "bad_gateway", "the function could not "
		    "be started");
		if (rq->rq_outcome == NULL)
			rq->rq_outcome = "error";
		rq->rq_t_end = util_now_us();
		request_finish(rq);
		return;
	}
	rq->rq_pid = sp->sp_pid;
	rq->rq_pidfd = sp->sp_pidfd;
	rq->rq_in = sp->sp_in;
	rq->rq_out = sp->sp_out;
	rq->rq_err = sp->sp_err;
	ev_init(&rq->rq_ev_in, rq->rq_in, cgi_in_cb, rq);
	ev_init(&rq->rq_ev_out, rq->rq_out, cgi_out_cb, rq);
	ev_init(&rq->rq_ev_err, rq->rq_err, cgi_err_cb, rq);
	ev_init(&rq->rq_ev_pid, rq->rq_pidfd, cgi_pid_cb, rq);
	(void)loop_set(&rq->rq_ev_out, EPOLLIN);
	(void)loop_set(&rq->rq_ev_err, EPOLLIN);
	(void)loop_set(&rq->rq_ev_pid, EPOLLIN);
	rq->rq_state = RQ_RUNNING;
	if (rq->rq_kill_reason != 0) {
		/* Aborted while the spawner had it. */
		cgi_kill(rq, SIGKILL);
		return;
	}
	cgi_body(rq);
}

/*
 * The body into the child's stdin.
 */
static void
cgi_close_in(struct request *rq)
{
	if (rq->rq_in == -1)
		return;
	loop_del(&rq->rq_ev_in);
	fd_close(&rq->rq_in);
}

void
cgi_body(struct request *rq)
{
	const void	*p;
	size_t		 len;
	ssize_t		 n;

	if (rq->rq_state != RQ_RUNNING)
		return;
	while (rq->rq_in != -1) {
		if (spool_peek(&rq->rq_body, &p, &len) == -1) {
			log_error("fn=%s request_id=%s body spool: %s",
			    rq->rq_fn->fn_name, rq->rq_reqid, strerror(errno));
			cgi_close_in(rq);
			break;
		}
		if (len == 0)
			break;
		if ((n = write(rq->rq_in, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			/* EPIPE: the function does not want the rest of
			 * the body; that is its right. */
			cgi_close_in(rq);
			break;
		}
		spool_consume(&rq->rq_body, (size_t)n);
	}
	if (rq->rq_in == -1)
		spool_reset(&rq->rq_body);
	else if (spool_pending(&rq->rq_body) > 0)
		(void)loop_set(&rq->rq_ev_in, EPOLLOUT);
	else if (rq->rq_stdin_done)
		cgi_close_in(rq);	/* EOF for the function */
	else
		(void)loop_set(&rq->rq_ev_in, 0);
}

static void
cgi_in_cb(struct ev *ev, uint32_t events)
{
	struct request	*rq = ev->ev_arg;

	if (events & EPOLLERR) {
		cgi_close_in(rq);
		spool_reset(&rq->rq_body);
		return;
	}
	cgi_body(rq);
}

/*
 * The reply from the child's stdout.
 */
void
cgi_resume(struct request *rq)
{
	if (rq->rq_out != -1)
		(void)loop_set(&rq->rq_ev_out, EPOLLIN);
}

static void
cgi_close_out(struct request *rq)
{
	if (rq->rq_out == -1)
		return;
	loop_del(&rq->rq_ev_out);
	fd_close(&rq->rq_out);
	rq->rq_out_eof = 1;
	timer_cancel(&rq->rq_qtimer);
}

static void
cgi_out_cb(struct ev *ev, uint32_t events)
{
	struct request	*rq = ev->ev_arg;
	unsigned char	 chunk[CGI_READ_CHUNK];
	ssize_t		 n;
	int		 stop = 0;

	(void)events;
	if ((n = read(rq->rq_out, chunk, sizeof(chunk))) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		n = 0;
	}
	if (n == 0)
		cgi_close_out(rq);
	/* A reply cut short is judged by cgi_maybe_finish(), once the
	 * child is reaped and after its exit status: a crash is a crash,
	 * not a malformed reply (judging here, when the reap came first,
	 * billed one crash in seven as an error). */
	front_hold();
	stop = request_output(rq, chunk, (size_t)n, 0);
	if (stop == -1)
		cgi_abort(rq, 502);
	else if (stop == 1 && rq->rq_out != -1)
		(void)loop_set(&rq->rq_ev_out, 0);
	cgi_maybe_finish(rq);
	front_release();
}

/* stderr: to the log, a line at a time, tagged (request_stderr_line). */
static void
cgi_close_err(struct request *rq)
{
	if (rq->rq_err == -1)
		return;
	buf_lines(&rq->rq_err_buf, NULL, 0, 1, 1000, request_stderr_line, rq);
	buf_free(&rq->rq_err_buf);
	loop_del(&rq->rq_ev_err);
	fd_close(&rq->rq_err);
}

static void
cgi_err_cb(struct ev *ev, uint32_t events)
{
	struct request	*rq = ev->ev_arg;
	char		 chunk[4096];
	ssize_t		 n;

	(void)events;
	if ((n = read(rq->rq_err, chunk, sizeof(chunk))) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		n = 0;
	}
	if (n == 0) {
		cgi_close_err(rq);
		return;
	}
	buf_lines(&rq->rq_err_buf, chunk, (size_t)n, 0, 1000,
	    request_stderr_line, rq);
}

/*
 * Ending: kill, reap, finish.
 */
static void
cgi_kill(struct request *rq, int sig)
{
	if (rq->rq_pid == -1 && rq->rq_reaped == 0)
		return;
	/* The child called setsid(): its pid is its group's id.  Even once
	 * it is reaped, the group lives on while a member does. */
	if (rq->rq_sp.sp_pid > 0)
		(void)kill(-rq->rq_sp.sp_pid, sig);
	if (sig == SIGKILL)
		rq->rq_killed = 2;
	else if (rq->rq_killed == 0)
		rq->rq_killed = 1;
}

void
cgi_abort(struct request *rq, int reason)
{
	if (rq->rq_kill_reason != 0)
		return;
	rq->rq_kill_reason = reason;
	cgi_close_in(rq);
	spool_reset(&rq->rq_body);
	if (reason == 504) {
		request_fail(rq, 504, "timeout", "the function ran past its "
		    "timeout");
		rq->rq_outcome = "timeout";
	} else if (reason == 499)
		rq->rq_outcome = "aborted";
	else if (reason == 400)
		rq->rq_outcome = "rejected";
	if (rq->rq_state != RQ_RUNNING || rq->rq_sp.sp_pid <= 0)
		return;		/* cgi_spawned() kills it */
	if (reason == 504 && rq->rq_reaped == 0) {
		/* TERM to the group, KILL after kill_grace. */
		cgi_kill(rq, SIGTERM);
		rq->rq_deadline.t_cb = cgi_deadline;
		timer_set(&rq->rq_deadline, rq->rq_cf->cf_kill_grace_ms);
	} else
		cgi_kill(rq, SIGKILL);
	/* Output of a killed request goes nowhere, but is read to EOF. */
	if (rq->rq_out != -1)
		(void)loop_set(&rq->rq_ev_out, EPOLLIN);
}

static void
cgi_exit_grace(struct timer *t)
{
	struct request	*rq = t->t_arg;

	/* Something of the function's still holds stdout open after it
	 * exited (it escaped the group, or is dying slowly): stop
	 * waiting for it. */
	log_info("fn=%s request_id=%s stdout still open after exit; closing",
	    rq->rq_fn->fn_name, rq->rq_reqid);
	cgi_kill(rq, SIGKILL);
	(void)spawn_reap_strays();
	if (request_output(rq, NULL, 0, 0) == -1)
		cgi_abort(rq, 502);
	cgi_close_out(rq);
	cgi_maybe_finish(rq);
}

static void
cgi_pid_cb(struct ev *ev, uint32_t events)
{
	struct request	*rq = ev->ev_arg;
	pid_t		 r;

	(void)events;
	/* The child is a zombie now: its group id is still taken, so the
	 * group kill cannot hit a stranger.  Grandchildren go with it. */
	(void)kill(-rq->rq_pid, SIGKILL);
	while ((r = wait4(rq->rq_pid, &rq->rq_wstatus, WNOHANG,
	    &rq->rq_ru)) == -1 && errno == EINTR)
		;
	if (r == 0)
		return;		/* not yet: level-triggered, called again */
	if (r == -1)
		log_error("wait4 pid=%d: %s", (int)rq->rq_pid,
		    strerror(errno));
	spawn_disown(rq->rq_pid);
	rq->rq_pid = -1;
	rq->rq_reaped = 1;
	rq->rq_cpu_user_us = (uint64_t)rq->rq_ru.ru_utime.tv_sec * 1000000 +
	    (uint64_t)rq->rq_ru.ru_utime.tv_usec;
	rq->rq_cpu_sys_us = (uint64_t)rq->rq_ru.ru_stime.tv_sec * 1000000 +
	    (uint64_t)rq->rq_ru.ru_stime.tv_usec;
	rq->rq_max_rss_kb = (uint64_t)rq->rq_ru.ru_maxrss;
	loop_del(&rq->rq_ev_pid);
	fd_close(&rq->rq_pidfd);
	if (rq->rq_t_end == 0)
		rq->rq_t_end = util_now_us();
	/* Anything it left behind outside its group is ours now. */
	spawn_strays_soon();
	if (rq->rq_out != -1) {
		rq->rq_qtimer.t_cb = cgi_exit_grace;
		timer_set(&rq->rq_qtimer, CGI_EXIT_GRACE);
	}
	cgi_maybe_finish(rq);
}

static void
cgi_maybe_finish(struct request *rq)
{
	const char	*outcome;
	int		 st = rq->rq_wstatus;
	char		 msg[160];

	if (!rq->rq_reaped || !rq->rq_out_eof || rq->rq_state != RQ_RUNNING)
		return;
	if (rq->rq_t_end == 0 || rq->rq_t_end < rq->rq_t_spawn)
		rq->rq_t_end = util_now_us();
	timer_cancel(&rq->rq_deadline);
	timer_cancel(&rq->rq_qtimer);
	/* Take what stderr has left, without waiting for it. */
	if (rq->rq_err != -1)
		cgi_err_cb(&rq->rq_ev_err, EPOLLIN);
	cgi_close_err(rq);
	cgi_close_in(rq);
	if (rq->rq_kill_reason == 0 && (outcome = request_exit_outcome(rq,
	    st, msg, sizeof(msg))) != NULL) {
		rq->rq_outcome = outcome;
		/* An exit status after a complete reply leaves the reply. */
		if (WIFSIGNALED(st) || !rq->rq_hdr_sent)
			request_fail(rq, 502, "bad_gateway", msg);
	} else if (request_output(rq, NULL, 0, 1) == -1)
		cgi_abort(rq, 502);	/* exited 0: a reply, or a 502 */
	if (rq->rq_outcome == NULL)
		rq->rq_outcome = rq->rq_status >= 500 ? "error" : "ok";
	request_finish(rq);
}

void
cgi_cleanup(struct request *rq)
{
	timer_cancel(&rq->rq_deadline);
	timer_cancel(&rq->rq_qtimer);
	cgi_close_in(rq);
	if (rq->rq_out != -1) {
		loop_del(&rq->rq_ev_out);
		fd_close(&rq->rq_out);
	}
	if (rq->rq_err != -1) {
		loop_del(&rq->rq_ev_err);
		fd_close(&rq->rq_err);
	}
	if (rq->rq_pid != -1) {
		/* Only at teardown: the request outlived its child's owner. */
		(void)kill(-rq->rq_pid, SIGKILL);
		while (waitpid(rq->rq_pid, NULL, 0) == -1 && errno == EINTR)
			;
		spawn_disown(rq->rq_pid);
		rq->rq_pid = -1;
	}
	if (rq->rq_pidfd != -1) {
		loop_del(&rq->rq_ev_pid);
		fd_close(&rq->rq_pidfd);
	}
	buf_free(&rq->rq_out_buf);
	buf_free(&rq->rq_err_buf);
	cgi_env_free(rq->rq_envp);
	rq->rq_envp = NULL;
}
