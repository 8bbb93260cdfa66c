/*
 * env -- 200 text/plain with every environment variable the function
 * got, NAME=value, one per line, sorted by name.  The fixture for the
 * allow-listed environment (a C program, not a shell, which would add
 * PWD, SHLVL and the like).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG	"env"

/* Write all of buf to stdout; exit if the reader went away (EPIPE). */
static void
xwrite(const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(STDOUT_FILENO, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EPIPE)
				perror(PROG ": write");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
xputs(const char *s)
{
	xwrite(s, strlen(s));
}


extern char	**environ;

/* Order "NAME=value" strings by NAME, then by value. */
static int
env_cmp(const void *a, const void *b)
{
	const char	*x = *(const char * const *)a;
	const char	*y = *(const char * const *)b;
	size_t		 xn, yn;
	int		 c;

	xn = strcspn(x, "=");
	yn = strcspn(y, "=");
	if ((c = strncmp(x, y, xn < yn ? xn : yn)) != 0)
		return c;
	if (xn != yn)
		return xn < yn ? -1 : 1;
	return strcmp(x + xn, y + yn);
}

int
main(void)
{
	const char	**v;
	size_t		  i, n;

	(void)signal(SIGPIPE, SIG_IGN);
	for (n = 0; environ[n] != NULL; n++)
		;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		perror(PROG ": calloc");
		return 1;
	}
	for (i = 0; i < n; i++)
		v[i] = environ[i];
	qsort(v, n, sizeof(*v), env_cmp);
	xputs("Content-Type: text/plain\n\n");
	for (i = 0; i < n; i++) {
		xputs(v[i]);
		xputs("\n");
	}
	free(v);
	return 0;
}
