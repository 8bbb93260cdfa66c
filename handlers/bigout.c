/*
 * bigout -- answers 200 application/octet-stream with bytes=N bytes
 * (default 52428800, 50 MiB) in 64 KiB writes.  Byte i of the body is
 * PATTERN[i % 64], so a test can check what arrived.  The fixture for
 * streaming, backpressure and max_output.
 */
#include <signal.h>

#define PROG	"bigout"
#include "cgi.h"

#define PATTERN	\
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-\n"

int
main(void)
{
	static char	 buf[65536];
	long long	 left;
	size_t		 i, n;

	(void)signal(SIGPIPE, SIG_IGN);
	body_discard();
	if ((left = qs_num("bytes", 52428800LL, 1LL << 40)) == -1)
		bad_request("bytes: a number of bytes, at most 1 TiB");
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = PATTERN[i % (sizeof(PATTERN) - 1)];
	xputs("Content-Type: application/octet-stream\n\n");
	while (left > 0) {
		n = left > (long long)sizeof(buf) ? sizeof(buf) : (size_t)left;
		xwrite(buf, n);
		left -= (long long)n;
	}
	return 0;
}
