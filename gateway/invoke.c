/*
 * invoke.c -- `fngw invoke`: one request from the command line.
 *
 * The command line becomes the FastCGI params that nginx's stock
 * fastcgi_params would send for the same request from curl, and the
 * request goes through request_dispatch() like any other: the same
 * routing, limits, pool, executor (cgi or a warm instance), error
 * replies and usage row, with trigger "cli".  No web server and no
 * listening socket: the reply goes to stdout through a request sink,
 * the CGI response a web server would have received, unframed.  Warm
 * instances and spooled bodies live in a private folder under $TMPDIR,
 * never in runtime_dir, whose sockets a serving fngw may own.
 */
#include <sys/prctl.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fcgi.h"
#include "front.h"
#include "invoke.h"
#include "log.h"
#include "loop.h"
#include "pool.h"
#include "request.h"
#include "spawn.h"
#include "usage.h"

#define INVOKE_MAX_METHOD	32

/* The one request, and what became of it. */
struct invoke {
	struct request	*iv_rq;		/* until it ends */
	int		 iv_ended;
	int		 iv_ok;		/* its outcome was ok, reply whole */
	int		 iv_out_failed;	/* stdout could not be written */
	int		 iv_signals;
	struct timer	 iv_abort;	/* stdout failed: abort, next turn */
	struct usage	*iv_ledger;
	struct ev	 iv_sig_ev, iv_spawn_ev, iv_usage_ev;
};

static struct invoke	iv;

static void
invoke_usage(void)
{
	fprintf(stderr, "usage: fngw invoke -c FILE [-X METHOD] "
	    "[-H 'Name: value']... [-d BODY|@FILE|@-] PATH\n");
}

/*
 * The sink: the reply goes to stdout as it comes.  The write blocks:
 * there is one request, and whoever reads our stdout is its client.
 */
static int
invoke_write(const void *p, size_t len)
{
	const char	*s = p;
	struct pollfd	 pfd;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(STDOUT_FILENO, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			/* An inherited non-blocking stdout. */
			pfd.fd = STDOUT_FILENO;
			pfd.events = POLLOUT;
			(void)poll(&pfd, 1, -1);
			continue;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
invoke_stdout(struct request *rq, const void *p, size_t len)
{
	if (iv.iv_out_failed)
		return -1;
	if (len == 0)
		return 0;
	if (invoke_write(p, len) == -1) {
		log_warn("stdout: %s; aborting request_id=%s",
		    strerror(errno), rq->rq_reqid);
		iv.iv_out_failed = 1;
		/* As when a web server goes away, but not from inside the
		 * caller, which still uses rq. */
		timer_set(&iv.iv_abort, 0);
		return -1;
	}
	return 0;
}

static void
invoke_abort_cb(struct timer *t)
{
	struct request	*rq = iv.iv_rq;

	(void)t;
	if (rq != NULL && rq->rq_state != RQ_LOGGING &&
	    rq->rq_state != RQ_ENDED)
		request_abort(rq, "stdout could not be written");
}

/* rq is over: its row is in (or it had none, as a 404). */
static void
invoke_end(struct request *rq)
{
	iv.iv_ok = !rq->rq_cut && !iv.iv_out_failed &&
	    (rq->rq_outcome != NULL ? strcmp(rq->rq_outcome, "ok") == 0 :
	    rq->rq_status < 400);
	iv.iv_ended = 1;
	iv.iv_rq = NULL;
	timer_cancel(&iv.iv_abort);
	rq->rq_state = RQ_ENDED;
	request_free(rq);
	loop_stop();
}

static void
invoke_cut(struct request *rq)
{
	/* rq_cut is set: the rest of the reply is dropped, and the exit
	 * status says the response is not whole. */
	(void)rq;
}

static const struct request_sink invoke_sink = {
	invoke_stdout, invoke_end, invoke_cut
};

/*
 * The request as params.
 */
static int
param_add(struct buf *b, const char *name, size_t nlen, const char *val,
    size_t vlen)
{
	size_t	n = fcgi_pair_size(nlen, vlen);

	if (buf_reserve(b, n) == -1)
		return -1;
	b->b_len += fcgi_pair_encode(b->b_data + b->b_len, name, nlen, val,
	    vlen);
	return 0;
}

static int
param_set(struct buf *b, const char *name, const char *val)
{
	return param_add(b, name, strlen(name), val, strlen(val));
}

/* A header name nginx passes on (it drops others): [A-Za-z0-9-]. */
static int
header_name_ok(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return len > 0 && len <= 200;
}

/*
 * -H 'Name: value' as HTTP_NAME (upper case, '-' as '_'), and as
 * CONTENT_TYPE too for Content-Type, as nginx sends them.  Sets *host
 * and *ctype when it is that header.  -1 and *why on a bad header.
 */
static int
header_param(struct buf *b, const char *h, int *host, const char **ctype,
    const char **why)
{
	char		 name[5 + 200];
	const char	*v, *end;
	size_t		 nlen, i;

	nlen = strcspn(h, ":");
	if (h[nlen] != ':' || !header_name_ok(h, nlen)) {
		*why = "want 'Name: value', a name of letters, digits and '-'";
		return -1;
	}
	for (v = h + nlen + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (end = v + strlen(v); end > v && (end[-1] == ' ' ||
	    end[-1] == '\t'); end--)
		;
	for (i = 0; v + i < end; i++)
		if ((unsigned char)v[i] < 0x20 && v[i] != '\t') {
			*why = "a header value holds no control characters";
			return -1;
		}
	if (nlen == 14 && strncasecmp(h, "Content-Length", 14) == 0) {
		*why = "the length is the body's (-d)";
		return -1;
	}
	memcpy(name, "HTTP_", 5);
	for (i = 0; i < nlen; i++)
		name[5 + i] = h[i] == '-' ? '_' : (h[i] >= 'a' && h[i] <= 'z') ?
		    h[i] - 'a' + 'A' : h[i];
	if (nlen == 4 && strncasecmp(h, "Host", 4) == 0)
		*host = 1;
	if (nlen == 12 && strncasecmp(h, "Content-Type", 12) == 0)
		*ctype = v;
	if (param_add(b, name, 5 + nlen, v, (size_t)(end - v)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	return 0;
}

/*
 * What nginx's fastcgi_params would send for this request from curl,
 * as far as fngw reads it: no DOCUMENT_URI, so that fngw decodes and
 * normalises the path of REQUEST_URI itself, once.  Content-Type only
 * when -H gives one.  -1 and a message in err on a usage error.
 */
static int
invoke_params(struct buf *b, const char *method, const char *path,
    char **hdrs, size_t nhdrs, const struct buf *body, int has_body,
    char *err, size_t errlen)
{
	const char	*why = NULL, *ctype = "", *q;
	char		 num[32];
	size_t		 i, len;
	int		 host = 0;

	len = strlen(method);
	for (i = 0; i < len; i++)
		if (!((method[i] >= 'A' && method[i] <= 'Z') ||
		    (i > 0 && (method[i] == '_' || method[i] == '-'))))
			break;
	if (len == 0 || len > INVOKE_MAX_METHOD || i < len) {
		(void)snprintf(err, errlen, "-X %s: a method is 1 to %d "
		    "upper-case letters, '_' and '-'", method,
		    INVOKE_MAX_METHOD);
		return -1;
	}
	if (path[0] != '/') {
		(void)snprintf(err, errlen, "%s: the PATH starts with /",
		    path);
		return -1;
	}
	/* A client never sends the fragment. */
	len = strcspn(path, "#");
	for (i = 0; i < len; i++)
		if ((unsigned char)path[i] <= 0x20 ||
		    (unsigned char)path[i] == 0x7f) {
			(void)snprintf(err, errlen, "%s: write spaces and "
			    "control characters in the PATH as %%XX", path);
			return -1;
		}
	q = memchr(path, '?', len);
	for (i = 0; i < nhdrs; i++)
		if (header_param(b, hdrs[i], &host, &ctype, &why) == -1) {
			(void)snprintf(err, errlen, "-H '%s': %s", hdrs[i],
			    why);
			return -1;
		}
	if (has_body) {
		(void)snprintf(num, sizeof(num), "%zu", body->b_len);
		/* curl sends it, and nginx passes every header on. */
		if (param_set(b, "HTTP_CONTENT_LENGTH", num) == -1)
			goto nomem;
	} else
		num[0] = '\0';
	if ((!host && param_set(b, "HTTP_HOST", "localhost") == -1) ||
	    param_set(b, "GATEWAY_INTERFACE", "CGI/1.1") == -1 ||
	    param_set(b, "REQUEST_METHOD", method) == -1 ||
	    param_add(b, "REQUEST_URI", 11, path, len) == -1 ||
	    param_add(b, "QUERY_STRING", 12, q ? q + 1 : "",
	    q ? len - (size_t)(q + 1 - path) : 0) == -1 ||
	    param_set(b, "CONTENT_TYPE", ctype) == -1 ||
	    param_set(b, "CONTENT_LENGTH", num) == -1 ||
	    param_set(b, "SERVER_PROTOCOL", "HTTP/1.1") == -1 ||
	    param_set(b, "SERVER_NAME", "localhost") == -1 ||
	    param_set(b, "SERVER_PORT", "80") == -1 ||
	    param_set(b, "REMOTE_ADDR", "127.0.0.1") == -1)
		goto nomem;
	return 0;
nomem:
	(void)snprintf(err, errlen, "%s", strerror(errno));
	return -1;
}

/* -d BODY, -d @FILE, -d @- (stdin), read whole; -1 with errno. */
static int
invoke_body(const char *arg, struct buf *b)
{
	ssize_t	n;
	int	fd, saved;

	if (arg[0] != '@')
		return buf_append(b, arg, strlen(arg));
	if (strcmp(arg, "@-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(arg + 1, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	for (;;) {
		if (buf_reserve(b, 65536) == -1)
			break;
		if ((n = read(fd, b->b_data + b->b_len, b->b_cap -
		    b->b_len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0) {
				if (fd != STDIN_FILENO)
					(void)close(fd);
				return 0;
			}
			break;
		}
		b->b_len += (size_t)n;
	}
	saved = errno;
	if (fd != STDIN_FILENO)
		(void)close(fd);
	errno = saved;
	return -1;
}

/*
 * The loop's other events, as under `fngw serve`.
 */
static void
invoke_sig_cb(struct ev *ev, uint32_t events)
{
	struct signalfd_siginfo	si;
	struct request		*rq;

	(void)events;
	while (read(ev->ev_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if ((rq = iv.iv_rq) == NULL)
				break;
			if (iv.iv_signals++ > 0) {
				log_warn("second signal: not waiting for "
				    "the usage row");
				loop_stop();
			} else if (rq->rq_state != RQ_LOGGING) {
				log_info("signal=%d: aborting the request",
				    (int)si.ssi_signo);
				request_abort(rq, "interrupted");
			}
			break;
		case SIGCHLD:
			spawn_strays_soon();
			break;
		default:
			break;
		}
	}
}

/*
 * Everything `fngw serve` sets up but the listening socket, then the
 * request, then the loop until its row is in.  Returns the exit code.
 */
static int
invoke_run(struct config *cf, const struct buf *params,
    const struct buf *body)
{
	struct usage_prices	 up;
	const char		*errstr;
	sigset_t		 set;
	int			 sfd;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1) {
		log_error("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
		return 2;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    loop_init() == -1) {
		log_error("signalfd, epoll: %s", strerror(errno));
		return 2;
	}
	up.up_per_request = cf->cf_price_per_request;
	up.up_per_gb_second = cf->cf_price_per_gb_second;
	up.up_granularity_ms = cf->cf_granularity_ms;
	up.up_currency = cf->cf_currency;
	if ((iv.iv_ledger = usage_open(cf->cf_billing_db, &up,
	    &errstr)) == NULL) {
		log_error("billing_db %s: %s", cf->cf_billing_db, errstr);
		return 2;
	}
	if (usage_set_node(iv.iv_ledger, cf->cf_node) == -1 ||
	    pool_setup(cf) == -1) {
		log_error("out of memory");
		return 2;
	}
	if (spawn_init() == -1) {
		log_error("spawner thread: %s", strerror(errno));
		return 2;
	}
	/* Only what this request needs starts: no min_instances kept. */
	pool_drain();
	request_setup(iv.iv_ledger);
	ev_init(&iv.iv_sig_ev, sfd, invoke_sig_cb, NULL);
	ev_init(&iv.iv_spawn_ev, spawn_fd(), spawn_ev_cb, NULL);
	ev_init(&iv.iv_usage_ev, usage_fd(iv.iv_ledger), request_ledger_cb,
	    NULL);
	if (loop_set(&iv.iv_sig_ev, EPOLLIN) == -1 ||
	    loop_set(&iv.iv_spawn_ev, EPOLLIN) == -1 ||
	    loop_set(&iv.iv_usage_ev, EPOLLIN) == -1) {
		log_error("epoll_ctl: %s", strerror(errno));
		return 2;
	}
	timer_init(&iv.iv_abort, invoke_abort_cb, NULL);
	spawn_strays_start();

	if ((iv.iv_rq = request_new(NULL, 1, cf)) == NULL) {
		log_error("out of memory");
		return 2;
	}
	iv.iv_rq->rq_sink = &invoke_sink;
	iv.iv_rq->rq_trigger = "cli";
	if (params->b_len > cf->cf_max_params)
		request_reject(iv.iv_rq, 431, "params_too_large",
		    "params larger than max_params");
	else if (buf_append(&iv.iv_rq->rq_params, params->b_data,
	    params->b_len) == -1)
		request_reject(iv.iv_rq, 400, "bad_request", "out of memory");
	else
		request_dispatch(iv.iv_rq);
	/* The body follows the params, whole, as FCGI_STDIN would. */
	if (iv.iv_rq != NULL && body->b_len > 0)
		request_body(iv.iv_rq, body->b_data, body->b_len);
	if (iv.iv_rq != NULL)
		request_body(iv.iv_rq, NULL, 0);
	if (iv.iv_rq != NULL)
		loop_run();

	pool_stop_all();
	spawn_shutdown();
	(void)spawn_reap_strays();
	usage_close(iv.iv_ledger);
	pool_teardown();
	fd_close(&sfd);
	if (!iv.iv_ended)
		return 2;	/* interrupted twice: rq is left as it is */
	return iv.iv_ok ? 0 : 3;
}

int
invoke_main(int argc, char **argv)
{
	struct config	*cf;
	struct buf	 params = { 0 }, body = { 0 };
	const char	*path = NULL, *method = NULL, *data = NULL, *errstr;
	const char	*tmp;
	char		**hdrs, rundir[4096], err[512];
	size_t		 nhdrs = 0;
	int		 ch, rc;

	if ((hdrs = calloc((size_t)argc + 1, sizeof(*hdrs))) == NULL) {
		fprintf(stderr, "fngw: out of memory\n");
		return 2;
	}
	while ((ch = getopt(argc, argv, "c:X:H:d:")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'X':
			method = optarg;
			break;
		case 'H':
			hdrs[nhdrs++] = optarg;
			break;
		case 'd':
			if (data != NULL) {
				fprintf(stderr, "fngw: invoke: one -d at "
				    "most\n");
				free(hdrs);
				return 1;
			}
			data = optarg;
			break;
		default:
			invoke_usage();
			free(hdrs);
			return 1;
		}
	}
	if (path == NULL || optind != argc - 1) {
		invoke_usage();
		free(hdrs);
		return 1;
	}
	if (method == NULL)
		method = data != NULL ? "POST" : "GET";
	rc = 1;
	if (data != NULL && invoke_body(data, &body) == -1) {
		fprintf(stderr, "fngw: invoke: -d %s: %s\n", data,
		    strerror(errno));
		goto out;
	}
	if (invoke_params(&params, method, argv[optind], hdrs, nhdrs, &body,
	    data != NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "fngw: invoke: %s\n", err);
		goto out;
	}
	if ((cf = config_load(path, &errstr)) == NULL) {
		fprintf(stderr, "fngw: %s\n", errstr);
		goto out;
	}
	log_set_level((enum log_level)cf->cf_log_level);

	/* Before anything uses the snapshot: warm instances' sockets and
	 * spooled bodies go to a folder of our own, not to runtime_dir,
	 * where a serving fngw's sockets have the same names. */
	if ((tmp = getenv("TMPDIR")) == NULL || tmp[0] != '/')
		tmp = "/tmp";
	rc = 2;
	if ((size_t)snprintf(rundir, sizeof(rundir), "%s/fngw-invoke.XXXXXX",
	    tmp) >= sizeof(rundir) || mkdtemp(rundir) == NULL) {
		log_error("a private runtime folder in %s: %s", tmp,
		    strerror(errno));
		config_unref(cf);
		goto out;
	}
	free(cf->cf_runtime_dir);
	if ((cf->cf_runtime_dir = strdup(rundir)) == NULL)
		log_error("out of memory");
	else
		rc = invoke_run(cf, &params, &body);
	if (rmdir(rundir) == -1)
		log_warn("rmdir %s: %s", rundir, strerror(errno));
	config_unref(cf);
out:
	buf_free(&params);
	buf_free(&body);
	free(hdrs);
	return rc;
}
