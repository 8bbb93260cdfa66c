/*
 * stderr -- writes one line to stderr, which the gateway logs tagged
 * with the function and the request id, and answers 200.
 */
#include <signal.h>
#include <unistd.h>

#define PROG	"stderr"
#include "cgi.h"

#define LINE	"stderr-line from function\n"

int
main(void)
{
	(void)signal(SIGPIPE, SIG_IGN);
	xwrite_fd(STDERR_FILENO, LINE, sizeof(LINE) - 1);
	xputs("Content-Type: text/plain\n\nwrote one line to stderr\n");
	return 0;
}
