/*
 * badproto_fcgi -- a FastCGI "application" that gets the protocol wrong
 * on purpose, for the tests of fngw's FastCGI client: it accepts on fd 0
 * (the listening socket fastcgi mode gives it), reads one request up to
 * its empty FCGI_STDIN, then answers as argv[1] says:
 *
 *	version		a record header with version 2
 *	id		a reply under request id 7
 *	type		a BEGIN_REQUEST record back
 *	bighead		a header line of 70 000 bytes, then END_REQUEST
 *	noend		a valid start of a reply, then it hangs up (and lives)
 *	overload	END_REQUEST with FCGI_OVERLOADED
 *	hangup		nothing: it hangs up at once (and lives)
 *	ok		a valid reply "ok", on a kept connection
 *	ahead		a valid reply "ahead=N", on a kept connection: N is 1
 *			when, as it read fngw's first probe and before it
 *			answered it, another connection already waited to be
 *			accepted (fngw sent a cold start's request ahead)
 *
 * It answers GET_VALUES (fngw's readiness probe) like any application.
 * No libfcgi: the records are written by hand.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
full_read(int fd, unsigned char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = read(fd, p, len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
full_write(int fd, const void *p, size_t len)
{
	const unsigned char	*d = p;
	ssize_t			 n;

	while (len > 0) {
		if ((n = write(fd, d, len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return;
		}
		d += n;
		len -= (size_t)n;
	}
}

static void
record(int fd, int version, int type, int id, const void *p, size_t len)
{
	unsigned char	h[8];

	h[0] = (unsigned char)version;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = h[7] = 0;
	full_write(fd, h, 8);
	if (len > 0)
		full_write(fd, p, len);
}

static void
end_request(int fd, int id, int proto)
{
	unsigned char	b[8] = { 0 };

	b[4] = (unsigned char)proto;
	record(fd, 1, 3, id, b, 8);
}

static int	ahead = -1;	/* "ahead": seen at the first probe */

/* Read records until an empty STDIN; answer GET_VALUES.  -1 at EOF. */
static int
read_request(int fd)
{
	static unsigned char	body[65536 + 256];
	unsigned char		h[8];
	size_t			len;

	for (;;) {
		if (full_read(fd, h, 8) == -1)
			return -1;
		len = ((size_t)h[4] << 8 | h[5]) + h[6];
		if (full_read(fd, body, len) == -1)
			return -1;
		if (h[1] == 9) {		/* GET_VALUES */
			if (ahead == -1) {
				struct pollfd	pfd = { 0, POLLIN, 0 };

				ahead = poll(&pfd, 1, 0) == 1;
			}
			record(fd, 1, 10, 0, NULL, 0);
			continue;
		}
		if (h[1] == 5 && len - h[6] == 0)	/* empty STDIN */
			return 0;
	}
}

int
main(int argc, char **argv)
{
	static char	big[70100];
	const char	*how = argc > 1 ? argv[1] : "ok";
	const char	*ok = "Content-Type: text/plain\r\n\r\nok\n";
	int		 fd, keep;

	(void)signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if ((fd = accept(0, NULL, NULL)) == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		keep = 1;
		while (keep && read_request(fd) == 0) {
			keep = 0;
			if (strcmp(how, "version") == 0)
				record(fd, 2, 6, 1, "x", 1);
			else if (strcmp(how, "id") == 0) {
				record(fd, 1, 6, 7, ok, strlen(ok));
				end_request(fd, 7, 0);
			} else if (strcmp(how, "type") == 0)
				record(fd, 1, 1, 1, "\0\1\0\0\0\0\0\0", 8);
			else if (strcmp(how, "bighead") == 0) {
				memset(big, 'a', sizeof(big));
				memcpy(big, "X-A: ", 5);
				for (size_t off = 0; off < sizeof(big);
				    off += 60000)
					record(fd, 1, 6, 1, big + off,
					    sizeof(big) - off > 60000 ? 60000 :
					    sizeof(big) - off);
				end_request(fd, 1, 0);
			} else if (strcmp(how, "noend") == 0) {
				record(fd, 1, 6, 1, ok, strlen(ok));
			} else if (strcmp(how, "overload") == 0)
				end_request(fd, 1, 2);
			else if (strcmp(how, "hangup") == 0)
				;
			else if (strcmp(how, "ahead") == 0) {
				char	r[64];
				int	n;

				n = snprintf(r, sizeof(r), "Content-Type: "
				    "text/plain\r\n\r\nahead=%d\n", ahead);

				record(fd, 1, 6, 1, r, (size_t)n);
				record(fd, 1, 6, 1, NULL, 0);
				end_request(fd, 1, 0);
				keep = 1;
			} else {
				record(fd, 1, 6, 1, ok, strlen(ok));
				record(fd, 1, 6, 1, NULL, 0);
				end_request(fd, 1, 0);
				keep = 1;
			}
		}
		(void)close(fd);
	}
}
