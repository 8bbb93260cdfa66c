/*
 * counter_fcgi -- a FastCGI function (libfcgi) for fastcgi mode: it
 * serves requests in an accept loop on the listening socket it is given
 * as fd 0 (the spawn-fcgi, mod_fcgid and fngw convention) and counts
 * them, so that a test or a benchmark can see one process serve many
 * requests.  Each reply is text/plain:
 *
 *	pid=<pid>		the process that served it
 *	count=<n>		requests served by this process, from 1
 *	body=<bytes>		the request body read (CONTENT_LENGTH)
 *	request_id=<id>		FN_REQUEST_ID, or -
 *	children=<n>		PHP_FCGI_CHILDREN of its environment, or -
 *	conns=<n>		connections it has taken requests on, from 1
 *				(a kept connection serves many requests)
 *
 * Query options, for the pool's tests: sleep=MS (sleep, then reply),
 * spin=1 (burn CPU, never reply), crash=1 (abort(), before any output),
 * exit=1 (reply, then exit 0), hog=MB (hold MB MiB, touched, until the
 * reply is out; when it cannot have that much, it takes and touches 1 MiB
 * blocks until an allocation fails, then abort()s, as runtimes do when
 * memory runs out), stderr=1 (a line on FCGI_STDERR), bad=1 (a reply with
 * no header block), burn=MS (use MS ms of CPU time, then reply), fork=1
 * (leave a child that sleeps, in the same process group), exitnext=1
 * (reply, then exit 0 as soon as the next request is accepted, before
 * reading it: an instance that goes as a request is sent to it), pad=KB
 * (KB KiB of 'x' lines after the reply: a reply bigger than the web
 * server reads at once), drip=MS (the header block and a line "first",
 * flushed, then MS ms before the rest: a reply that streams).
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#define PROG	"counter_fcgi"

struct opts {
	long long	 o_sleep_ms;
	long long	 o_hog_mb;
	int		 o_spin;
	int		 o_crash;
	int		 o_exit;
	int		 o_stderr;
	int		 o_bad;
	long long	 o_burn_ms;
	int		 o_fork;
	int		 o_exitnext;
	long long	 o_pad_kb;
	long long	 o_drip_ms;
};

static void	put(FCGX_Stream *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * printf to a FastCGI stream.  vsnprintf rather than FCGX_FPrintF:
 * libfcgi's own printf knows no "ll".  A line past 1 KiB is cut.
 */
static void
put(FCGX_Stream *s, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	(void)FCGX_PutStr(buf, n < (int)sizeof(buf) ? n :
	    (int)sizeof(buf) - 1, s);
}

/* The decimal number in s[0..len) if it is in [0, max]; else -1. */
static long long
num(const char *s, size_t len, long long max)
{
	char		 buf[32], *ep;
	long long	 v;

	if (len == 0 || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoll(buf, &ep, 10);
	if (errno != 0 || *ep != '\0' || v > max)
		return -1;
	return v;
}

/*
 * Read the options from qs, "&"-separated key=value pairs; other keys
 * are ignored.  Returns 0, or -1 when a value is not a number in range
 * (sleep: at most a day; hog: at most 64 GiB).
 */
static int
opts_parse(const char *qs, struct opts *o)
{
	const char	*p, *end, *eq, *v;
	long long	 n, *num_to;
	int		*flag_to;
	size_t		 klen;

	memset(o, 0, sizeof(*o));
	for (p = qs; p != NULL && *p != '\0';
	    p = *end == '\0' ? end : end + 1) {
		end = p + strcspn(p, "&");
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			continue;
		klen = (size_t)(eq - p);
		num_to = NULL;
		flag_to = NULL;
#define KEY(k)	(klen == sizeof(k) - 1 && strncmp(p, k, klen) == 0)
		if (KEY("sleep"))
			num_to = &o->o_sleep_ms;
		else if (KEY("hog"))
			num_to = &o->o_hog_mb;
		else if (KEY("spin"))
			flag_to = &o->o_spin;
		else if (KEY("crash"))
			flag_to = &o->o_crash;
		else if (KEY("exit"))
			flag_to = &o->o_exit;
		else if (KEY("stderr"))
			flag_to = &o->o_stderr;
		else if (KEY("bad"))
			flag_to = &o->o_bad;
		else if (KEY("burn"))
			num_to = &o->o_burn_ms;
		else if (KEY("fork"))
			flag_to = &o->o_fork;
		else if (KEY("exitnext"))
			flag_to = &o->o_exitnext;
		else if (KEY("pad"))
			num_to = &o->o_pad_kb;
		else if (KEY("drip"))
			num_to = &o->o_drip_ms;
		else
			continue;
#undef KEY
		v = eq + 1;
		if ((n = num(v, (size_t)(end - v), 86400000LL)) == -1 ||
		    (num_to == &o->o_hog_mb && n > 65536))
			return -1;
		if (num_to != NULL)
			*num_to = n;
		else
			*flag_to = n != 0;
	}
	return 0;
}

/* Read the request body, up to CONTENT_LENGTH bytes; returns the count. */
static long long
body_count(FCGX_Request *req)
{
	char		 buf[65536];
	const char	*cl;
	long long	 left, got = 0;
	int		 n;

	if ((cl = FCGX_GetParam("CONTENT_LENGTH", req->envp)) == NULL ||
	    (left = num(cl, strlen(cl), 1LL << 50)) == -1)
		return 0;
	while (left > 0) {
		n = FCGX_GetStr(buf, left < (long long)sizeof(buf) ?
		    (int)left : (int)sizeof(buf), req->in);
		if (n <= 0)
			break;
		got += n;
		left -= n;
	}
	return got;
}

/* Connections served on so far: a new socket (by inode) is one more. */
static unsigned long
conns_seen(int fd)
{
	static unsigned long	n;
	static ino_t		last;
	struct stat		st;

	if (fstat(fd, &st) == 0 && (n == 0 || st.st_ino != last)) {
		last = st.st_ino;
		n++;
	}
	return n;
}

static void
sleep_ms(long long ms)
{
	struct timespec	 ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Use ms milliseconds of this process's CPU time. */
static void
burn_ms(long long ms)
{
	struct timespec		 ts;
	long long		 start, now;
	volatile unsigned long	 sink = 0;

	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	start = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	do {
		for (int i = 0; i < 100000; i++)
			sink++;
		(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	} while (now - start < ms * 1000000LL);
}

/* Out of memory, the way a runtime meets it: use what there is, die. */
static void
out_of_memory(void)
{
	long	 mib = 0;
	char	*p;

	while ((p = malloc(1 << 20)) != NULL) {
		memset(p, 0xa5, 1 << 20);
		mib++;
	}
	fprintf(stderr, PROG ": out of memory after %ld more MiB\n", mib);
	abort();
}

int
main(void)
{
	FCGX_Request		 req;
	struct opts		 o;
	volatile unsigned long	 sink = 0;
	unsigned long long	 count = 0;
	int			 exitnext = 0;
	long long		 body;
	const char		*rid, *children;
	size_t			 size;
	char			*hog;

	(void)signal(SIGPIPE, SIG_IGN);
	if (FCGX_IsCGI()) {
		fprintf(stderr, PROG ": fd 0 is not a listening socket; "
		    "run me under spawn-fcgi or fngw's fastcgi mode\n");
		return 1;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fprintf(stderr, PROG ": cannot initialise libfcgi\n");
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		if (exitnext)
			_exit(0);
		count++;
		body = body_count(&req);
		if (opts_parse(FCGX_GetParam("QUERY_STRING", req.envp),
		    &o) == -1) {
			put(req.out, "Status: 400 Bad Request\r\n"
			    "Content-Type: text/plain\r\n\r\n"
			    "options: numbers; sleep at most a day, "
			    "hog at most 65536\n");
			continue;
		}
		if (o.o_crash)
			abort();
		if (o.o_fork && fork() == 0) {
			for (;;)
				pause();
		}
		if (o.o_burn_ms > 0)
			burn_ms(o.o_burn_ms);
		exitnext = o.o_exitnext;
		while (o.o_spin)
			sink++;
		hog = NULL;
		if (o.o_hog_mb > 0) {
			size = (size_t)o.o_hog_mb << 20;
			if ((hog = malloc(size)) == NULL)
				out_of_memory();
			memset(hog, 0xa5, size);	/* every page */
		}
		if (o.o_sleep_ms > 0)
			sleep_ms(o.o_sleep_ms);
		if (o.o_stderr)
			put(req.err, "counter: hello from pid %ld\n",
			    (long)getpid());
		if (o.o_bad) {
			put(req.out, "this is not a header block\n");
			free(hog);
			continue;
		}
		if (o.o_drip_ms > 0) {
			put(req.out, "Status: 200 OK\r\nContent-Type: "
			    "text/plain\r\n\r\nfirst\n");
			(void)FCGX_FFlush(req.out);
			sleep_ms(o.o_drip_ms);
			put(req.out, "second\n");
			free(hog);
			continue;
		}
		rid = FCGX_GetParam("FN_REQUEST_ID", req.envp);
		if (rid == NULL || *rid == '\0')
			rid = "-";
		if ((children = getenv("PHP_FCGI_CHILDREN")) == NULL)
			children = "-";
		put(req.out, "Status: 200 OK\r\nContent-Type: text/plain\r\n"
		    "\r\npid=%ld\ncount=%llu\nbody=%lld\nrequest_id=%s\n"
		    "children=%s\nconns=%lu\n", (long)getpid(), count, body,
		    rid, children, conns_seen(req.ipcFd));
		for (long long k = 0; k < o.o_pad_kb; k++) {
			static char	line[1024];

			if (line[0] == '\0') {
				memset(line, 'x', sizeof(line) - 1);
				line[sizeof(line) - 1] = '\n';
			}
			if (FCGX_PutStr(line, sizeof(line), req.out) < 0)
				break;
		}
		free(hog);
		if (o.o_exit) {
			FCGX_Finish_r(&req);
			exit(0);
		}
	}
	return 0;
}
