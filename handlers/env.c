/*
 * env -- 200 text/plain with every environment variable the function
 * got, NAME=value, one per line, sorted by name.  The fixture for the
 * allow-listed environment (a C program, not a shell, which would add
 * PWD, SHLVL and the like).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG	"env"
#include "cgi.h"

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
