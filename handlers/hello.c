/*
 * hello -- the smallest function: greets FN_PARAM_NAME (the route's
 * "name" capture) or the world.
 *
 *	GET /hello/Ada	->  200 text/plain "Hello, Ada!"
 */
#include <signal.h>
#include <stdlib.h>

#define PROG	"hello"
#include "cgi.h"

int
main(void)
{
	const char	*name;

	(void)signal(SIGPIPE, SIG_IGN);
	if ((name = getenv("FN_PARAM_NAME")) == NULL || *name == '\0')
		name = "world";
	xputs("Content-Type: text/plain\n\nHello, ");
	xputs(name);
	xputs("!\n");
	return 0;
}
