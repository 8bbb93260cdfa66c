/*
 * fcgihold.c -- hold many FastCGI connections open against a gateway,
 * idle or slow, the way a slowloris client does.
 *
 *   fcgihold -s SOCKET [-i IDLE] [-w SLOW] [-p MS] [-d SECONDS] [-r FILE]
 *
 * Opens IDLE connections that send nothing, and SLOW connections that
 * send a BEGIN_REQUEST and then the bytes of a PARAMS record one at a
 * time, each connection one byte every MS milliseconds (default 500),
 * never finishing.  Once every connection is open it writes
 * "idle=N slow=M" to FILE (when given), then holds them for SECONDS
 * (default 30; at most 600) or until SIGTERM, closes them all and
 * prints "held=N closed_by_peer=K" on stdout.  Bounded in count
 * (IDLE + SLOW <= 4096) and in time.  Exit status 0, or 1 when the
 * connections could not be opened.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN	4096

static volatile sig_atomic_t	stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static long long
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
open_one(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	/* BEGIN_REQUEST id 1, responder, keep-conn; then a PARAMS header
	 * for 200 bytes of content that never all arrive. */
	static const unsigned char slow[] = {
		1, 1, 0, 1, 0, 8, 0, 0,  0, 1, 1, 0, 0, 0, 0, 0,
		1, 4, 0, 1, 0, 200, 0, 0,
		14, 3, 'R', 'E', 'Q', 'U', 'E', 'S', 'T', '_', 'M', 'E',
		'T', 'H', 'O', 'D', 'G', 'E', 'T'
	};
	struct pollfd	*pfd;
	struct rlimit	 rl;
	size_t		*sent;
	const char	*sock = NULL, *ready = NULL;
	long		 idle = 0, nslow = 0, pace = 500, secs = 30;
	long		 i, n, closed = 0;
	long long	 end, next;
	FILE		*f;
	char		 c;
	int		 ch;

	while ((ch = getopt(argc, argv, "s:i:w:p:d:r:")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'i': idle = atol(optarg); break;
		case 'w': nslow = atol(optarg); break;
		case 'p': pace = atol(optarg); break;
		case 'd': secs = atol(optarg); break;
		case 'r': ready = optarg; break;
		default: sock = NULL; optind = argc + 1; break;
		}
	}
	if (sock == NULL || idle < 0 || nslow < 0 || idle + nslow > MAXCONN ||
	    pace < 1 || secs < 1 || secs > 600) {
		fprintf(stderr, "usage: fcgihold -s SOCKET [-i IDLE] [-w SLOW] "
		    "[-p MS] [-d SECONDS] [-r FILE]\n");
		return 1;
	}
	n = idle + nslow;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGTERM, on_term);
	(void)signal(SIGINT, on_term);
	if ((pfd = calloc((size_t)n + 1, sizeof(*pfd))) == NULL ||
	    (sent = calloc((size_t)n + 1, sizeof(*sent))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		if ((pfd[i].fd = open_one(sock)) == -1) {
			fprintf(stderr, "fcgihold: connection %ld: %s\n", i,
			    strerror(errno));
			return 1;
		}
		pfd[i].events = POLLIN;
	}
	if (ready != NULL) {
		if ((f = fopen(ready, "w")) == NULL)
			return 1;
		fprintf(f, "idle=%ld slow=%ld\n", idle, nslow);
		(void)fclose(f);
	}
	end = now_ms() + secs * 1000;
	next = now_ms();
	while (!stop && now_ms() < end) {
		if (now_ms() >= next) {
			/* One more byte on every slow connection. */
			for (i = idle; i < n; i++) {
				if (pfd[i].fd < 0 || sent[i] >= sizeof(slow))
					continue;
				if (write(pfd[i].fd, slow + sent[i], 1) == 1)
					sent[i]++;
			}
			next += pace;
		}
		if (poll(pfd, (nfds_t)n, 50) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (read(pfd[i].fd, &c, 1) <= 0) {
				(void)close(pfd[i].fd);
				pfd[i].fd = -1;
				closed++;
			}
		}
	}
	for (i = 0; i < n; i++)
		if (pfd[i].fd >= 0)
			(void)close(pfd[i].fd);
	printf("held=%ld closed_by_peer=%ld\n", n, closed);
	return 0;
}
