/*
 * echo_all -- the POST rows' function: it answers each request with its
 * request body, 200 application/octet-stream, as a CGI program (stdin
 * and the environment, under fngw's cgi mode or fcgiwrap) or, when fd 0
 * is a listening socket (under spawn-fcgi or fngw's fastcgi mode), as a
 * libfcgi program in an accept loop.  bench/standing.sh builds it (cc
 * -O2 ... -lfcgi) into its scratch folder.
 *
 * It reads the whole body (CONTENT_LENGTH bytes, at most 64 MiB) before
 * it writes a byte, in both modes.  A program that answered while it
 * still read would hang behind two of the peers: nginx stops sending
 * a body once the upstream's reply has begun (spawn-fcgi, direct), and
 * fcgiwrap writes all of the body to the child before it reads any of
 * the reply (so a reply past the pipe's 64 KiB blocks both).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_BODY	(64L << 20)

static char	*buf;
static long	 cap;

/* The body length from a CONTENT_LENGTH value, or -1 if out of range. */
static long
body_len(const char *cl)
{
	char	*ep;
	long	 len;

	if (cl == NULL || *cl == '\0')
		return 0;
	len = strtol(cl, &ep, 10);
	if (*ep != '\0' || len < 0 || len > MAX_BODY)
		return -1;
	return len;
}

/* Room for len bytes in buf; exits when there is none. */
static void
reserve(long len)
{
	if (len <= cap)
		return;
	free(buf);
	if ((buf = malloc((size_t)len)) == NULL) {
		fprintf(stderr, "echo_all: out of memory\n");
		exit(1);
	}
	cap = len;
}

/* The reply's header block for a body of len bytes; its length. */
static int
head(char *h, size_t size, long len)
{
	return snprintf(h, size, "Status: 200 OK\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %ld\r\n\r\n", len);
}

static void
xwrite(const char *p, size_t n)
{
	ssize_t	 w;

	for (; n > 0; p += w, n -= (size_t)w)
		if ((w = write(STDOUT_FILENO, p, n)) <= 0)
			exit(1);
}

static int
serve_cgi(void)
{
	char	 h[128];
	long	 len, got;
	ssize_t	 n;

	if ((len = body_len(getenv("CONTENT_LENGTH"))) == -1) {
		fputs("Status: 413 Payload Too Large\r\n"
		    "Content-Type: text/plain\r\n\r\ntoo large\n", stdout);
		return 0;
	}
	reserve(len);
	for (got = 0; got < len; got += n)
		if ((n = read(STDIN_FILENO, buf + got,
		    (size_t)(len - got))) <= 0)
			break;
	xwrite(h, (size_t)head(h, sizeof(h), got));
	xwrite(buf, (size_t)got);
	return 0;
}

int
main(void)
{
	FCGX_Request	 req;
	char		 h[128];
	long		 len, got;
	int		 n;

	(void)signal(SIGPIPE, SIG_IGN);
	if (FCGX_IsCGI())
		return serve_cgi();
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fprintf(stderr, "echo_all: cannot initialise libfcgi\n");
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		len = body_len(FCGX_GetParam("CONTENT_LENGTH", req.envp));
		if (len == -1) {
			FCGX_PutS("Status: 413 Payload Too Large\r\n"
			    "Content-Type: text/plain\r\n\r\ntoo large\n",
			    req.out);
			continue;
		}
		reserve(len);
		for (got = 0; got < len; got += n)
			if ((n = FCGX_GetStr(buf + got, (int)(len - got),
			    req.in)) <= 0)
				break;
		(void)FCGX_PutStr(h, head(h, sizeof(h), got), req.out);
		if (got > 0)
			(void)FCGX_PutStr(buf, (int)got, req.out);
	}
	return 0;
}
