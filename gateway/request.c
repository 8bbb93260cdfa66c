/*
 * request.c -- what becomes of a request once its params are in: the
 * request id, the path, the route, a slot or a place in the queue, the
 * executor; the error replies of SPEC.md's status table; and its usage
 * row, whose commit lets front.c end the request on the connection.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cgi.h"
#include "config.h"
#include "fcgi.h"
#include "front.h"
#include "instance.h"
#include "log.h"
#include "pool.h"
#include "request.h"
#include "status.h"
#include "usage.h"

#define REQUEST_MAX_PAIRS	10000	/* params in one request */
#define REQUEST_MAX_PAIRS_S	"10000"
#define REQUEST_PAIRS0		32	/* room for params, to begin with */
#define REQUEST_PSTORE0		2048	/* bytes for them, to begin with */
/* Rows waiting for the ledger past which new requests are refused, in
 * any on_failure mode: the queue in memory is bounded. */
#define REQUEST_MAX_BACKLOG	10000

static int	 request_pair(const char *, size_t, const char *, size_t,
		    void *);
static void	 request_pairs_fix(struct request *);
static const char *request_param(const struct request *, const char *,
		    size_t *);

static struct usage	*request_ledger;	/* borrowed */
static uint64_t		 request_rid[2];	/* request id generator */
static unsigned long	 request_alive;
static unsigned long	 request_dropped;	/* refusals' rows not kept */

void
request_setup(struct usage *u)
{
	if (getrandom(request_rid, sizeof(request_rid), 0) !=
	    (ssize_t)sizeof(request_rid))
		request_rid[0] = util_wall_us() ^ ((uint64_t)getpid() << 32);
	request_ledger = u;
}

unsigned long
request_count(void)
{
	return request_alive;
}

/*
 * Request ids: 32 hex digits like nginx's $request_id, from a seeded
 * counter through splitmix64, unless the web server sent a valid one.
 */
static void
reqid_make(char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t	z[2];
	int		i, k;

	for (i = 0; i < 2; i++) {
		z[i] = (request_rid[i] += 0x9e3779b97f4a7c15ULL);
		z[i] = (z[i] ^ (z[i] >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z[i] = (z[i] ^ (z[i] >> 27)) * 0x94d049bb133111ebULL;
		z[i] ^= z[i] >> 31;
		/* "%016llx" without snprintf's cost (1.5k instructions). */
		for (k = 15; k >= 0; k--, z[i] >>= 4)
			out[i * 16 + k] = hex[z[i] & 0xf];
	}
	out[32] = '\0';
}

static int
reqid_valid(const char *s, size_t len)
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
 * A detached run (a schedule's) has no client: its reply is read as
 * usual, so that the function never blocks on a full pipe, and dropped.
 * The same contracts as front_stdout(), front_end() and front_cut().
 */
static int
discard_stdout(struct request *rq, const void *p, size_t len)
{
	(void)rq;
	(void)p;
	(void)len;
	return 0;
}

static void
discard_end(struct request *rq)
{
	rq->rq_state = RQ_ENDED;
	request_free(rq);
}

static void
discard_cut(struct request *rq)
{
	(void)rq;
}

static const struct request_sink request_discard = {
	discard_stdout, discard_end, discard_cut
};

/*
 * Error replies (SPEC.md's status table).
 */
static void
request_json(struct request *rq, int status, const char *code,
    const char *msg)
{
	struct buf	 b = { 0 };

	(void)buf_printf(&b, "Status: %d %s\r\nContent-Type: application/json"
	    "\r\nX-Request-Id: %s\r\n", status, reply_reason(status),
	    rq->rq_reqid);
	if (status == 405 && rq->rq_fn != NULL)
		(void)buf_printf(&b, "Allow: %s\r\n", rq->rq_fn->fn_allow);
	if (status == 503)
		(void)buf_printf(&b, "Retry-After: 1\r\n");
	(void)buf_printf(&b, "Cache-Control: no-store\r\n\r\n"
	    "{\"error\":\"%s\",\"message\":", code);
	/* Messages are ours, but escape them anyway. */
	buf_json_str(&b, msg);
	(void)buf_printf(&b, ",\"request_id\":\"%s\"}\n", rq->rq_reqid);
	if (b.b_data != NULL)
		(void)front_stdout(rq, b.b_data, b.b_len);
	buf_free(&b);
}

/*
 * A resource limit that would explain how the function ended, or NULL.
 * SIGXCPU and SIGXFSZ are the kernel's soft-limit signals; SIGKILL with
 * the CPU used past the limit is the hard one.  RLIMIT_AS sends nothing:
 * an allocation fails and the program ends as it chooses, so a failure
 * after the peak RSS came within an eighth of `memory` is laid to it.
 * The kernel's peak for a process that fngw started begins at fngw's own
 * peak (exec keeps the high-water mark of the memory it leaves), so only
 * a peak above fngw's counts as the function's.
 */
static const char *
request_limit_hit(const struct request *rq, int st)
{
	const struct fn	*fn = rq->rq_fn;
	int		 sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	uint64_t	 cpu_us = rq->rq_cpu_user_us + rq->rq_cpu_sys_us;
	struct rusage	 ru;

	/* The kernel's check runs on ticks: allow it a tenth. */
	if (sig == SIGXCPU || (sig == SIGKILL && fn->fn_cpu > 0 &&
	    cpu_us >= fn->fn_cpu * 900000))
		return "its cpu limit";
	if (sig == SIGXFSZ)
		return "its fsize limit";
	if (fn->fn_memory > 0 && rq->rq_max_rss_kb * 1024 >=
	    fn->fn_memory - fn->fn_memory / 8 &&
	    getrusage(RUSAGE_SELF, &ru) == 0 &&
	    rq->rq_max_rss_kb > (uint64_t)ru.ru_maxrss)
		return "its memory limit";
	return NULL;
}

const char *
request_exit_outcome(struct request *rq, int st, char *msg, size_t len)
{
	const char	*lim;

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return NULL;
	lim = request_limit_hit(rq, st);
	if (WIFSIGNALED(st))
		(void)snprintf(msg, len, "the function was killed by signal "
		    "%d%s%s", WTERMSIG(st), lim ? ": it ran into " : "",
		    lim ? lim : "");
	else
		(void)snprintf(msg, len, "the function exited with status "
		    "%d%s%s", WEXITSTATUS(st), lim ? ": it ran into " : "",
		    lim ? lim : "");
	if (lim != NULL)
		return "limit";
	return WIFSIGNALED(st) ? "crash" : "error";
}

void
request_fail(struct request *rq, int status, const char *code, const char *msg)
{
	if (rq->rq_hdr_sent) {
		/* Too late for a status: cut the response off so the web
		 * server does not end it as complete. */
		log_warn("fn=%s request_id=%s response cut off: %s",
		    rq->rq_fn ? rq->rq_fn->fn_name : "-", rq->rq_reqid, msg);
		rq->rq_cut = 1;
		front_cut(rq);
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
	request_json(rq, status, code, msg);
}

/*
 * Reject a request before any function ran for it.  With a route (405,
 * 413, 503, 400 on the body) it gets its row, billed as zero; without
 * one (404, 400 on the path, 431) it ends at once.
 */
void
request_reject(struct request *rq, int status, const char *code,
    const char *msg)
{
	request_fail(rq, status, code, msg);
	rq->rq_outcome = status == 503 ? "throttled" :
	    (status == 499 ? "aborted" : "rejected");
	if (rq->rq_fn != NULL)
		request_finish(rq);
	else
		front_end(rq);
}

/*
 * The function's reply, whatever runs it.
 */
static int
request_pass(struct request *rq, const void *p, size_t len)
{
	if (len == 0 || rq->rq_cut)
		return 0;
	if (rq->rq_bytes_out + len > rq->rq_fn->fn_max_output) {
		request_fail(rq, 502, "bad_gateway", "output over max_output");
		rq->rq_outcome = "limit";
		return -1;
	}
	rq->rq_bytes_out += len;
	return front_stdout(rq, p, len) == 1;
}

static int
request_headers(struct request *rq, int judge)
{
	struct buf	 hdr = { 0 };
	const char	*why = NULL;
	char		 msg[160];
	long		 n;
	int		 r;

	/* Parse only once the block can be complete (or cannot grow), so a
	 * function that dribbles its headers a byte at a time costs a scan
	 * of the new bytes, not a parse of the whole block, per read. */
	if (!judge && rq->rq_out_buf.b_len < REPLY_MAX_HEADERS &&
	    !reply_ended((const char *)rq->rq_out_buf.b_data,
	    rq->rq_out_buf.b_len, &rq->rq_hdr_scan))
		return 0;
	n = reply_parse((const char *)rq->rq_out_buf.b_data,
	    rq->rq_out_buf.b_len, &rq->rq_reply, &hdr, &why);
	if (n == 0 && !judge) {
		buf_free(&hdr);
		return 0;
	}
	if (n <= 0) {
		buf_free(&hdr);
		if (n == 0)
			why = rq->rq_out_buf.b_len == 0 ? "empty reply" :
			    "no end of the header block";
		(void)snprintf(msg, sizeof(msg), "malformed reply: %s", why);
		request_fail(rq, 502, "bad_gateway", msg);
		rq->rq_outcome = "error";
		buf_free(&rq->rq_out_buf);
		return -1;
	}
	(void)buf_append(&hdr, "X-Request-Id: ", 14);
	(void)buf_append(&hdr, rq->rq_reqid, strlen(rq->rq_reqid));
	(void)buf_append(&hdr, "\r\n\r\n", 4);
	rq->rq_status = rq->rq_reply.rp_status;
	rq->rq_hdr_sent = 1;
	r = hdr.b_data == NULL ? -1 : front_stdout(rq, hdr.b_data, hdr.b_len);
	buf_free(&hdr);
	if (r != -1)
		r = request_pass(rq, rq->rq_out_buf.b_data + n,
		    rq->rq_out_buf.b_len - (size_t)n);
	buf_free(&rq->rq_out_buf);
	return r;
}

int
request_output(struct request *rq, const void *p, size_t len, int judge)
{
	if (rq->rq_kill_reason != 0 || rq->rq_cut)
		return 0;		/* killed: the output goes nowhere */
	if (rq->rq_hdr_sent)
		return request_pass(rq, p, len);
	if (len > 0 && buf_append(&rq->rq_out_buf, p, len) == -1) {
		request_fail(rq, 502, "bad_gateway", "out of memory");
		rq->rq_outcome = "error";
		return -1;
	}
	return request_headers(rq, judge);
}

void
request_stderr_line(void *arg, const char *s, size_t len)
{
	struct request	*rq = arg;

	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	log_info("fn=%s request_id=%s stream=stderr: %.*s", rq->rq_fn->fn_name,
	    rq->rq_reqid, (int)(len > 1000 ? 1000 : len), s);
}

/*
 * Executors: cgi.c for cgi mode, pool.c and instance.c for fastcgi.
 */
void
request_run(struct request *rq)
{
	timer_cancel(&rq->rq_qtimer);
	if (rq->rq_fn->fn_mode == FN_FASTCGI)
		pool_run(rq);
	else
		cgi_start(rq);
}

void
request_resume(struct request *rq)
{
	if (rq->rq_inst != NULL)
		instance_resume(rq);
	else
		cgi_resume(rq);
}

static void
request_stop(struct request *rq, int reason)
{
	if (rq->rq_fn->fn_mode == FN_FASTCGI)
		instance_abort(rq, reason);
	else
		cgi_abort(rq, reason);
}

/*
 * Requests.
 */
struct request *
request_new(struct conn *c, unsigned id, struct config *cf)
{
	struct request	*rq;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	rq->rq_conn = c;
	rq->rq_id = id;
	rq->rq_cf = config_ref(cf);
	rq->rq_trigger = "http";
	rq->rq_pid = -1;
	rq->rq_app_status = -1;
	rq->rq_pidfd = rq->rq_in = rq->rq_out = rq->rq_err = -1;
	rq->rq_started_wall = (int64_t)util_wall_us();
	timer_init(&rq->rq_deadline, NULL, rq);
	timer_init(&rq->rq_qtimer, NULL, rq);
	spool_init(&rq->rq_body, rq->rq_cf->cf_runtime_dir);
	reqid_make(rq->rq_reqid);
	request_alive++;
	return rq;
}

struct request *
request_new_detached(struct config *cf, const struct fn *fn,
    const char *trigger)
{
	struct request	*rq;

	if ((rq = request_new(NULL, 0, cf)) == NULL)
		return NULL;
	rq->rq_sink = &request_discard;
	rq->rq_trigger = trigger;
	rq->rq_fn = fn;
	rq->rq_stdin_done = 1;		/* no body: EOF at once */
	/* The environment comes from the params, as for the web server's
	 * requests: REQUEST_METHOD and REQUEST_URI, nothing else. */
	if (request_pair("REQUEST_METHOD", 14, "GET", 3, rq) == -1 ||
	    request_pair("REQUEST_URI", 11, "/", 1, rq) == -1 ||
	    (rq->rq_path = strdup("/")) == NULL) {
		request_free(rq);
		return NULL;
	}
	request_pairs_fix(rq);
	rq->rq_method = request_param(rq, "REQUEST_METHOD", NULL);
	rq->rq_path_len = 1;
	rq->rq_rr.rr_fn = fn;
	rq->rq_rr.rr_method_ok = 1;
	rq->rq_rr.rr_script_len = rq->rq_path_len;
	rq->rq_rr.rr_path_info_off = rq->rq_path_len;
	rq->rq_t_routed = util_now_us();
	return rq;
}

void
request_free(struct request *rq)
{
	if (rq->rq_gone != NULL)
		rq->rq_gone(rq);
	cgi_cleanup(rq);
	instance_cleanup(rq);
	pool_dequeue(rq);
	pool_release(rq);
	timer_cancel(&rq->rq_qtimer);
	buf_free(&rq->rq_params);
	buf_free(&rq->rq_pstore);
	spool_free(&rq->rq_body);
	free(rq->rq_pairs);
	free(rq->rq_path);
	free(rq->rq_uri);
	config_unref(rq->rq_cf);
	free(rq);
	request_alive--;
	front_request_gone();
}

void
request_finish(struct request *rq)
{
	struct usage_row	*ur;
	const struct fn		*fn = rq->rq_fn;
	const struct config	*cf = rq->rq_cf;
	uint64_t		 dur;
	int			 detached, more;

	pool_release(rq);
	if (rq->rq_status == 0)
		rq->rq_status = 502;
	if (rq->rq_outcome == NULL)
		rq->rq_outcome = "ok";
	if (rq->rq_t_end == 0)
		rq->rq_t_end = util_now_us();
	pool_account(rq);
	dur = rq->rq_t_spawn ? rq->rq_t_end - rq->rq_t_spawn : 0;
	detached = rq->rq_sink == &request_discard;
	/* Nobody sees a detached run's reply: a 5xx is worth a warning. */
	log_emit(detached && rq->rq_status >= 500 ? LOG_WARN :
	    LOG_INFO, __func__, "fn=%s status=%d outcome=%s dur_ms=%llu.%03llu"
	    " bytes_out=%llu%s%s request_id=%s", fn->fn_name, rq->rq_status,
	    rq->rq_outcome, (unsigned long long)dur / 1000,
	    (unsigned long long)dur % 1000,
	    (unsigned long long)rq->rq_bytes_out,
	    detached ? " trigger=" : "", detached ? rq->rq_trigger : "",
	    rq->rq_reqid);
	if ((ur = usage_row_new()) == NULL) {
		log_error("out of memory: row lost request_id=%s",
		    rq->rq_reqid);
		front_end(rq);
		return;
	}
	/* The same 65 bytes, NUL-terminated: no snprintf("%s") needed. */
	_Static_assert(sizeof(ur->ur_request_id) == sizeof(rq->rq_reqid),
	    "request id sizes");
	memcpy(ur->ur_request_id, rq->rq_reqid, sizeof(ur->ur_request_id));
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
		ur->ur_cpu_user_us = rq->rq_cpu_user_us;
		ur->ur_cpu_sys_us = rq->rq_cpu_sys_us;
		ur->ur_max_rss_kb = rq->rq_max_rss_kb;
		ur->ur_cold_start = rq->rq_cold;
		ur->ur_init_us = rq->rq_init_us;
		ur->ur_queue_us -= rq->rq_init_us;
		ur->ur_billed_ms = usage_billed_ms(rq->rq_init_us, dur,
		    cf->cf_granularity_ms);
	} else if (rq->rq_t_routed != 0)
		ur->ur_queue_us = util_now_us() - rq->rq_t_routed;
	ur->ur_memory_mb = (fn->fn_memory ? fn->fn_memory : 128ULL << 20) >>
	    20;
	ur->ur_bytes_in = rq->rq_bytes_in;
	ur->ur_bytes_out = rq->rq_bytes_out;
	if (rq->rq_app_status >= 0)
		ur->ur_exit_code = rq->rq_app_status;
	if (rq->rq_reaped) {
		if (WIFEXITED(rq->rq_wstatus))
			ur->ur_exit_code = WEXITSTATUS(rq->rq_wstatus);
		else if (WIFSIGNALED(rq->rq_wstatus))
			ur->ur_signal = WTERMSIG(rq->rq_wstatus);
	}
	ur->ur_token = rq;
#ifdef FNGW_BENCH_NO_LEDGER
	/* The benchmark build that measures what the rows cost. */
	usage_row_free(ur);
	front_end(rq);
	return;
#endif
	if (rq->rq_errcode != NULL &&
	    strcmp(rq->rq_errcode, "usage_unavailable") == 0) {
		/* Its row (billed as zero) waits with the others, but the
		 * 503 must not: when even the spill cannot be written, the
		 * refusal would hang until the ledger comes back. */
		ur->ur_token = NULL;
		if (usage_backlog(request_ledger) < 2 * REQUEST_MAX_BACKLOG)
			usage_submit(request_ledger, ur, 0);
		else {
			/* Bounded: a flood of refusals while nothing can be
			 * written keeps no more rows (each billed zero). */
			if (request_dropped++ % 1000 == 0)
				log_error("usage ledger down and %d rows "
				    "waiting: %lu refusals not recorded",
				    2 * REQUEST_MAX_BACKLOG, request_dropped);
			usage_row_free(ur);
		}
		front_end(rq);
		return;
	}
	/* Other requests still on their way (alive, their rows not yet
	 * submitted): the writer may wait a moment to commit theirs with
	 * this one. */
	more = request_alive > 1 + usage_backlog(request_ledger);
	rq->rq_state = RQ_LOGGING;
	usage_submit(request_ledger, ur, more);
}

void
request_ledger_cb(struct ev *ev, uint32_t events)
{
	(void)ev;
	(void)events;
	request_logged(usage_done(request_ledger));
}

void
request_logged(struct usage_row *list)
{
	struct usage_row	*ur, *next;

	for (ur = list; ur != NULL; ur = next) {
		next = ur->ur_next;
		if (!ur->ur_committed)
			log_error("usage row not written request_id=%s",
			    ur->ur_request_id);
		if (ur->ur_token != NULL)
			front_end(ur->ur_token);
		usage_row_free(ur);
	}
}

/*
 * Params: collect, decode, route.
 */
static int
request_pair(const char *n, size_t nl, const char *v, size_t vl, void *arg)
{
	struct request	*rq = arg;
	struct pair	*p;
	size_t		 off;
	char		*d;

	if (rq->rq_npairs >= REQUEST_MAX_PAIRS)
		return -1;
	/* Room for 32 pairs first, then doubled each time it is full (a
	 * request from nginx brings some twenty). */
	if (rq->rq_npairs == 0 || (rq->rq_npairs >= REQUEST_PAIRS0 &&
	    (rq->rq_npairs & (rq->rq_npairs - 1)) == 0)) {
		if ((p = reallocarray(rq->rq_pairs, rq->rq_npairs ?
		    rq->rq_npairs * 2 : REQUEST_PAIRS0, sizeof(*p))) == NULL)
			return -1;
		rq->rq_pairs = p;
	}
	/* Offsets first: rq_pstore may move as it grows.  Name and value,
	 * each NUL-terminated, in one reservation; the first one makes
	 * room for a usual request's params at once. */
	off = rq->rq_pstore.b_len;
	if (buf_reserve(&rq->rq_pstore, rq->rq_pstore.b_cap == 0 ?
	    REQUEST_PSTORE0 + nl + vl : nl + vl + 2) == -1)
		return -1;
	d = (char *)rq->rq_pstore.b_data + off;
	memcpy(d, n, nl);
	d[nl] = '\0';
	memcpy(d + nl + 1, v, vl);
	d[nl + 1 + vl] = '\0';
	rq->rq_pstore.b_len += nl + vl + 2;
	p = &rq->rq_pairs[rq->rq_npairs++];
	p->p_name = (const char *)(uintptr_t)off;
	p->p_nlen = nl;
	p->p_value = (const char *)(uintptr_t)(off + nl + 1);
	p->p_vlen = vl;
	return 0;
}

/* The pairs point into rq_pstore now that it no longer moves. */
static void
request_pairs_fix(struct request *rq)
{
	size_t	i;

	for (i = 0; i < rq->rq_npairs; i++) {
		rq->rq_pairs[i].p_name = (const char *)rq->rq_pstore.b_data +
		    (uintptr_t)rq->rq_pairs[i].p_name;
		rq->rq_pairs[i].p_value = (const char *)rq->rq_pstore.b_data +
		    (uintptr_t)rq->rq_pairs[i].p_value;
	}
}

/* The first param of that name (lengths first: a dispatch looks up ten
 * names among some twenty params). */
static const char *
request_param(const struct request *rq, const char *name, size_t *len)
{
	size_t	i, nl = strlen(name);

	for (i = 0; i < rq->rq_npairs; i++)
		if (rq->rq_pairs[i].p_nlen == nl &&
		    memcmp(rq->rq_pairs[i].p_name, name, nl) == 0) {
			if (len != NULL)
				*len = rq->rq_pairs[i].p_vlen;
			return rq->rq_pairs[i].p_value;
		}
	return NULL;
}

static void
request_queue_timeout(struct timer *t)
{
	struct request	*rq = t->t_arg;

	pool_dequeue(rq);
	rq->rq_state = RQ_PARAMS;
	request_reject(rq, 503, "queue_timeout",
	    "no free slot within queue_timeout");
}

/* The params are complete: decide what becomes of rq. */
void
request_dispatch(struct request *rq)
{
	const struct config	*cf = rq->rq_cf;
	struct usage_stats	 us;
	const char		*uri, *doc, *clen, *rid, *errstr;
	char			*esc = NULL, *path;
	size_t			 i, len, n;
	long			 plen, off;
	long long		 v;

	if (fcgi_pairs_decode(rq->rq_params.b_data, rq->rq_params.b_len,
	    request_pair, rq) == -1) {
		if (rq->rq_npairs >= REQUEST_MAX_PAIRS)
			request_reject(rq, 431, "params_too_large",
			    "more params than " REQUEST_MAX_PAIRS_S);
		else
			request_reject(rq, 400, "bad_request",
			    "malformed params");
		return;
	}
	request_pairs_fix(rq);
	buf_free(&rq->rq_params);
	if ((rid = request_param(rq, "REQUEST_ID", &len)) != NULL &&
	    reqid_valid(rid, len))
		memcpy(rq->rq_reqid, rid, len + 1);
	rq->rq_method = request_param(rq, "REQUEST_METHOD", NULL);
	rq->rq_query = request_param(rq, "QUERY_STRING", NULL);
	rq->rq_ctype = request_param(rq, "CONTENT_TYPE", NULL);
	rq->rq_host = request_param(rq, "HTTP_HOST", NULL);
	if (rq->rq_host == NULL)
		rq->rq_host = request_param(rq, "SERVER_NAME", NULL);
	if (rq->rq_method == NULL || rq->rq_method[0] == '\0') {
		request_reject(rq, 400, "bad_request", "no REQUEST_METHOD");
		return;
	}
	if ((clen = request_param(rq, "CONTENT_LENGTH", &len)) != NULL &&
	    len > 0) {
		/* RFC 3875 4.1.2: 1*digit, nothing else. */
		if (strspn(clen, "0123456789") != len ||
		    util_parse_int(clen, 0, INT64_MAX, &v, &errstr) == -1) {
			request_reject(rq, 400, "bad_request",
			    "bad CONTENT_LENGTH");
			return;
		}
		rq->rq_clen = (uint64_t)v;
	}

	/*
	 * Apache passes REQUEST_URI as the client sent it, which may be
	 * in absolute form; the function gets the origin form, as from
	 * nginx.
	 */
	if ((uri = request_param(rq, "REQUEST_URI", &len)) != NULL &&
	    strlen(uri) == len && (off = route_origin(uri, len)) > 0) {
		if ((rq->rq_uri = malloc(len - off + 2)) == NULL) {
			request_reject(rq, 400, "bad_request", "out of memory");
			return;
		}
		n = uri[off] == '/' ? 0 : 1;
		rq->rq_uri[0] = '/';
		memcpy(rq->rq_uri + n, uri + off, len - off + 1);
	}

	/*
	 * The path: nginx's DOCUMENT_URI is already decoded and
	 * normalised, so it must not be decoded a second time (escape its
	 * '%' so that route_normalize() only resolves dot segments); else
	 * the path of REQUEST_URI (its origin form), decoded once.
	 */
	if ((doc = request_param(rq, "DOCUMENT_URI", &len)) != NULL &&
	    len > 0) {
		if (strlen(doc) != len) {
			request_reject(rq, 400, "bad_request", "NUL in path");
			return;
		}
		for (n = 0, i = 0; i < len; i++)
			n += doc[i] == '%';
		if ((esc = malloc(len + 2 * n + 1)) == NULL) {
			request_reject(rq, 400, "bad_request", "out of memory");
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
	} else if ((uri = request_param(rq, "REQUEST_URI", &len)) != NULL) {
		if (strlen(uri) != len) {
			request_reject(rq, 400, "bad_request", "NUL in path");
			return;
		}
		if (rq->rq_uri != NULL)
			uri = rq->rq_uri;
		len = strcspn(uri, "?#");
	} else {
		request_reject(rq, 400, "bad_request", "no REQUEST_URI");
		return;
	}
	if ((path = malloc(len + 2)) == NULL) {
		free(esc);
		request_reject(rq, 400, "bad_request", "out of memory");
		return;
	}
	plen = route_normalize(uri, len, path);
	free(esc);
	if (plen < 0) {
		free(path);
		request_reject(rq, 400, "bad_request", "invalid path");
		return;
	}
	rq->rq_path = path;
	rq->rq_path_len = (size_t)plen;

	if (status_match(cf, path, rq->rq_path_len)) {
		usage_stats(request_ledger, &us);
		status_serve(rq, request_param(rq, "REMOTE_ADDR", NULL), &us);
		return;
	}
	if (route_find(cf, path, rq->rq_path_len, rq->rq_host, rq->rq_method,
	    &rq->rq_rr) == -1) {
		request_reject(rq, 404, "not_found", "no route matches");
		return;
	}
	rq->rq_fn = rq->rq_rr.rr_fn;
	rq->rq_t_routed = util_now_us();
#ifndef FNGW_BENCH_NO_LEDGER
	/* After a quiet spell the writer warms up while the function runs
	 * (a cold start gives it a millisecond). */
	usage_warm(request_ledger);
#endif
	if (!rq->rq_rr.rr_method_ok) {
		request_reject(rq, 405, "method_not_allowed",
		    "method not allowed");
		return;
	}
	if (rq->rq_clen > rq->rq_fn->fn_max_body) {
		request_reject(rq, 413, "body_too_large",
		    "body larger than max_body");
		return;
	}
	request_admit(rq);
}

void
request_admit(struct request *rq)
{
	const struct config	*cf = rq->rq_cf;

	/* Not unmetered: while the ledger cannot be written, new work is
	 * refused, unless the admin chose on_failure = serve; and in any
	 * mode once REQUEST_MAX_BACKLOG rows wait in memory (the ledger and
	 * its spill both down). */
	if ((!cf->cf_on_failure_serve && usage_unavailable(request_ledger)) ||
	    usage_backlog(request_ledger) >= REQUEST_MAX_BACKLOG) {
		request_reject(rq, 503, "usage_unavailable", "the usage ledger "
		    "cannot be written; try again later");
		return;
	}
	switch (pool_acquire(rq)) {
	case 0:
		request_run(rq);
		break;
	case 1:
		rq->rq_qtimer.t_cb = request_queue_timeout;
		timer_set(&rq->rq_qtimer, rq->rq_fn->fn_queue_timeout_ms);
		break;
	default:
		request_reject(rq, 503, rq->rq_errcode,
		    strcmp(rq->rq_errcode, "tenant_limit") == 0 ?
		    "the tenant is at its concurrency cap" :
		    "the function's queue is full");
		break;
	}
}

/* The request is gone from the web server's side (ABORT or close). */
void
request_abort(struct request *rq, const char *why)
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
		request_finish(rq);
		break;
	case RQ_WAITING:
		pool_dequeue(rq);
		rq->rq_hdr_sent = 1;
		request_finish(rq);
		break;
	case RQ_SPAWNING:
	case RQ_RUNNING:
		request_stop(rq, 499);
		break;
	default:
		break;
	}
}

void
request_body(struct request *rq, const void *data, size_t len)
{
	if (rq->rq_stdin_done)
		return;
	if (len == 0) {
		rq->rq_stdin_done = 1;
		if (rq->rq_bytes_in != rq->rq_clen)
			goto mismatch;
	} else {
		rq->rq_bytes_in += len;
		if (rq->rq_bytes_in > rq->rq_clen)
			goto mismatch;
		if (rq->rq_state != RQ_LOGGING && rq->rq_state != RQ_ENDED &&
		    spool_write(&rq->rq_body, data, len) == -1) {
			log_error("request_id=%s cannot keep the body: %s",
			    rq->rq_reqid, strerror(errno));
			request_abort(rq, "the body could not be spooled");
			return;
		}
	}
	if (rq->rq_state == RQ_RUNNING) {
		if (rq->rq_inst != NULL)
			instance_body(rq);
		else
			cgi_body(rq);
	}
	return;
mismatch:
	/* CONTENT_LENGTH is what the function was promised: a body that
	 * does not match it is the web server's error, never passed on. */
	rq->rq_stdin_done = 1;
	spool_reset(&rq->rq_body);
	if (rq->rq_state == RQ_RUNNING || rq->rq_state == RQ_SPAWNING) {
		request_fail(rq, 400, "bad_request",
		    "body does not match CONTENT_LENGTH");
		request_stop(rq, 400);
	} else if (rq->rq_state == RQ_QUEUED || rq->rq_state == RQ_WAITING) {
		timer_cancel(&rq->rq_qtimer);
		pool_dequeue(rq);
		request_reject(rq, 400, "bad_request",
		    "body does not match CONTENT_LENGTH");
	}
}
