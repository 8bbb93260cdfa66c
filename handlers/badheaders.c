/*
 * badheaders -- a function that breaks the CGI reply format, one way
 * per case= value, then exits 0; the gateway must answer 502 (or
 * refuse the header), never pass the damage on:
 *
 *	nocolon		a header line without a colon
 *	badstatus	Status: 2000
 *	noend		headers, then EOF without the blank line
 *	injection	X-A: a<CR>Injected: b (a bare CR inside a header)
 *	huge		70 KiB of header lines (the limit is 64 KiB)
 *	empty		writes nothing at all
 *	folded		a continuation line starting with a space (obsolete
 *			line folding, RFC 7230 3.2.4)
 *	status99	Status: 099 (below 100)
 *	status600	Status: 600 (above 599)
 *	statusword	Status: OK (no code)
 *	status2		Status: 20 (two digits)
 *	nul		a NUL byte inside a header value
 *	lfcr		X-A: a<LF><CR>Injected: b (a bare CR opening a line)
 *	early		half a header block, then stdout closed while the
 *			function lives on for a second
 *
 * Any other case (or none) is a well-formed 400 listing the cases.
 */
#include <signal.h>
#include <string.h>

#define PROG	"badheaders"
#include "cgi.h"

#define BODY	"this body follows a malformed header block\n"

/* At least 70 KiB of well-formed header lines, about 100 bytes each. */
static void
huge_headers(void)
{
	char	 fill[85];
	size_t	 total;
	int	 i;

	(void)memset(fill, 'x', sizeof(fill) - 1);
	fill[sizeof(fill) - 1] = '\0';
	for (i = 0, total = 0; total < 70 * 1024; i++) {
		say("X-Filler-%04d: %s\n", i, fill);	/* 100 bytes */
		total += 100;
	}
}

int
main(void)
{
	char	 c[32];

	(void)signal(SIGPIPE, SIG_IGN);
	if (qs_get("case", c, sizeof(c)) == -1)
		c[0] = '\0';
	if (strcmp(c, "nocolon") == 0)
		xputs("Content-Type: text/plain\nThis line has no colon\n\n"
		    BODY);
	else if (strcmp(c, "badstatus") == 0)
		xputs("Status: 2000\nContent-Type: text/plain\n\n" BODY);
	else if (strcmp(c, "noend") == 0)
		xputs("Content-Type: text/plain\nX-Incomplete: yes\n");
	else if (strcmp(c, "injection") == 0)
		xputs("Content-Type: text/plain\nX-A: a\rInjected: b\n\n"
		    BODY);
	else if (strcmp(c, "huge") == 0) {
		xputs("Content-Type: text/plain\n");
		huge_headers();
		xputs("\n" BODY);
	} else if (strcmp(c, "empty") == 0)
		;
	else if (strcmp(c, "folded") == 0)
		xputs("Content-Type: text/plain\nX-Folded: first\n second\n\n"
		    BODY);
	else if (strcmp(c, "status99") == 0)
		xputs("Status: 099 Low\nContent-Type: text/plain\n\n" BODY);
	else if (strcmp(c, "status600") == 0)
		xputs("Status: 600 High\nContent-Type: text/plain\n\n" BODY);
	else if (strcmp(c, "statusword") == 0)
		xputs("Status: OK\nContent-Type: text/plain\n\n" BODY);
	else if (strcmp(c, "status2") == 0)
		xputs("Status: 20\nContent-Type: text/plain\n\n" BODY);
	else if (strcmp(c, "nul") == 0)
		xwrite("Content-Type: text/plain\nX-A: a\0b\n\n" BODY,
		    sizeof("Content-Type: text/plain\nX-A: a\0b\n\n" BODY) -
		    1);
	else if (strcmp(c, "lfcr") == 0)
		xputs("Content-Type: text/plain\nX-A: a\n\rInjected: b\n\n"
		    BODY);
	else if (strcmp(c, "early") == 0) {
		xputs("Content-Type: text/plain\nX-Half: ");
		(void)close(STDOUT_FILENO);
		(void)sleep(1);
	} else
		bad_request("case: nocolon badstatus noend injection huge "
		    "empty folded status99 status600 statusword status2 nul "
		    "lfcr early");
	return 0;
}
