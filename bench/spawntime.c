/*
 * spawntime -- how long a FastCGI program takes from posix_spawn() until
 * it answers on the listening socket it gets as fd 0: the floor under
 * any cold start, with no gateway in the way.  bench/standing.sh
 * compiles it (cc -O2) and runs it beside fngw's cold starts.
 *
 *	spawntime SAMPLES SOCKET PROGRAM [ARG ...]
 *	spawntime -x SAMPLES PROGRAM [ARG ...]
 *
 * Each sample makes a fresh listening unix socket at SOCKET, connects
 * to it and writes a FastCGI FCGI_GET_VALUES record asking for
 * FCGI_MPXS_CONNS, all before the clock starts; the connection waits
 * in the backlog.  Then it starts PROGRAM with posix_spawn(), the
 * socket dup2()ed onto fd 0, and stops the clock at the first byte of
 * the reply (FCGI_GET_VALUES_RESULT).  The time covers fork and exec,
 * the dynamic loader, the program's start-up, its first accept() and
 * one record each way.  The child is then killed and reaped.  One
 * sample more runs first, unreported, to warm the page cache.
 *
 * The record asks for one name rather than none: libfcgi 2.4.2, handed
 * an empty management record that ends its read buffer, blocks reading
 * more before it notices the record is over, and never answers.
 *
 * With -x, each sample starts PROGRAM with posix_spawn(), its stdin,
 * stdout and stderr /dev/null, and stops the clock when waitpid()
 * returns: a program that finds no listening socket on fd 0 (a libfcgi
 * one, php-cgi with no script) starts up, gives up and exits, so this
 * is the floor any start of that binary pays, with no socket at all.
 * Its exit status is not looked at.
 *
 * With -i MS (before the other options), each sample comes after a
 * pause of MS with a little activity in it, as a cold start does (see
 * idle() below).
 *
 *	spawntime -i MS -x SAMPLES PROGRAM [ARG ...]
 *
 * With -r, CONC threads each run -x's spawn-and-reap in a loop for MS
 * milliseconds, and it prints one line: the children reaped per second.
 * That is the most requests per second any CGI gateway could serve with
 * this binary on this machine, running CONC at once with nothing else
 * to do: the ceiling of the cgi rows (fcgiwrap and fngw pay it too, and
 * nginx, wrk and the gateway's own work on top).
 *
 *	spawntime -r MS CONC PROGRAM [ARG ...]
 *
 * Prints one line per sample: the time in microseconds.  Exits 1 when
 * a child exits or does not answer within 5 seconds.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_us(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One sample: returns the time from posix_spawn() to the first reply
 * byte, in microseconds. */
static double
sample(const struct sockaddr_un *sun, char **argv)
{
	/* FCGI_Header: version 1, type FCGI_GET_VALUES (9), request id 0,
	 * content length 17, padding 7; then the name-value pair
	 * FCGI_MPXS_CONNS (15 bytes) with an empty value, and padding. */
	static const char	 get_values[32] = "\1\11\0\0\0\21\7\0"
				    "\17\0FCGI_MPXS_CONNS";
	static char		*envp[] = { "PATH=/usr/bin:/bin", NULL };
	posix_spawn_file_actions_t	 fa;
	struct pollfd			 pfd;
	double				 t0, t1;
	ssize_t				 n;
	pid_t				 pid;
	char				 c;
	int				 lfd, cfd, rc;

	(void)unlink(sun->sun_path);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	/* Not fd 0: dup2() onto itself would leave close-on-exec set. */
	if (lfd == 0)
		errx(1, "fd 0 is closed");
	if (bind(lfd, (const struct sockaddr *)sun, sizeof(*sun)) == -1)
		err(1, "bind %s", sun->sun_path);
	if (listen(lfd, 16) == -1)
		err(1, "listen");
	if ((cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(cfd, (const struct sockaddr *)sun, sizeof(*sun)) == -1)
		err(1, "connect %s", sun->sun_path);
	if (write(cfd, get_values, sizeof(get_values)) !=
	    (ssize_t)sizeof(get_values))
		err(1, "write");

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, lfd, 0)) != 0) {
		errno = rc;
		err(1, "posix_spawn_file_actions");
	}
	t0 = now_us();
	if ((rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp)) != 0) {
		errno = rc;
		err(1, "posix_spawn %s", argv[0]);
	}
	/* Only the child holds the listening socket now: if it exits
	 * without accepting, the connection is reset at once. */
	(void)close(lfd);
	pfd.fd = cfd;
	pfd.events = POLLIN;
	while ((rc = poll(&pfd, 1, 5000)) == -1 && errno == EINTR)
		;
	if (rc == -1)
		err(1, "poll");
	t1 = now_us();
	if (rc == 0) {
		(void)kill(pid, SIGKILL);
		errx(1, "%s did not answer within 5 s", argv[0]);
	}
	if ((n = read(cfd, &c, 1)) != 1) {
		(void)kill(pid, SIGKILL);
		errx(1, "%s closed the connection without answering",
		    argv[0]);
	}

	(void)kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1)
		if (errno != EINTR)
			err(1, "waitpid");
	posix_spawn_file_actions_destroy(&fa);
	(void)close(cfd);
	(void)unlink(sun->sun_path);
	return t1 - t0;
}

/* One sample of -x: the time from posix_spawn() until the child is
 * reaped, in microseconds. */
static double
sample_exit(char **argv)
{
	static char		*envp[] = { "PATH=/usr/bin:/bin", NULL };
	posix_spawn_file_actions_t	 fa;
	double				 t0, t1;
	pid_t				 pid;
	int				 rc, fd;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = rc;
		err(1, "posix_spawn_file_actions_init");
	}
	for (fd = 0; fd <= 2; fd++)
		if ((rc = posix_spawn_file_actions_addopen(&fa, fd,
		    "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)) != 0) {
			errno = rc;
			err(1, "posix_spawn_file_actions_addopen");
		}
	t0 = now_us();
	if ((rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp)) != 0) {
		errno = rc;
		err(1, "posix_spawn %s", argv[0]);
	}
	while (waitpid(pid, NULL, 0) == -1)
		if (errno != EINTR)
			err(1, "waitpid");
	t1 = now_us();
	posix_spawn_file_actions_destroy(&fa);
	return t1 - t0;
}

struct rate {
	char	**r_argv;
	double	  r_end;
	long	  r_n;
};

static void *
rate_loop(void *arg)
{
	struct rate	*r = arg;

	while (now_us() < r->r_end) {
		(void)sample_exit(r->r_argv);
		r->r_n++;
	}
	return NULL;
}

/* -r: children reaped per second by conc loops of sample_exit(). */
static int
rate(long ms, long conc, char **argv)
{
	struct rate	 r[64];
	pthread_t	 t[64];
	double		 t0, t1;
	long		 i, total = 0;
	int		 rc;

	(void)sample_exit(argv);		/* warm-up */
	t0 = now_us();
	for (i = 0; i < conc; i++) {
		r[i].r_argv = argv;
		r[i].r_end = t0 + (double)ms * 1000;
		r[i].r_n = 0;
		if ((rc = pthread_create(&t[i], NULL, rate_loop, &r[i])) != 0) {
			errno = rc;
			err(1, "pthread_create");
		}
	}
	for (i = 0; i < conc; i++) {
		(void)pthread_join(t[i], NULL);
		total += r[i].r_n;
	}
	t1 = now_us();
	printf("%.1f\n", (double)total * 1e6 / (t1 - t0));
	return fflush(stdout) == 0 ? 0 : 1;
}

static long
samples(const char *s)
{
	char	*ep;
	long	 n;

	errno = 0;
	n = strtol(s, &ep, 10);
	if (errno != 0 || *ep != '\0' || n < 1 || n > 100000)
		errx(1, "SAMPLES: a number from 1 to 100000");
	return n;
}

/*
 * -i MS: a pause of MS before each sample, as a cold start has one (its
 * function scales to zero first), and the same activity meanwhile as
 * the benchmark's wait for that: every 20 ms a small process (pgrep
 * there, /bin/true here) started and reaped.  On a VM, work after a
 * pause costs more than the same work back to back (caches, TLBs, the
 * host's own scheduling): the samples of a serial loop are a floor that
 * no cold start gets.
 */
static long	 idle_ms;

static void
idle(void)
{
	static char	*tv[] = { "/bin/true", NULL };
	static char	*envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct timespec	 ts = { 0, 20000000L };
	pid_t		 pid;
	long		 t;

	for (t = 0; t < idle_ms; t += 20) {
		while (nanosleep(&ts, NULL) == -1 && errno == EINTR)
			;
		if (posix_spawn(&pid, tv[0], NULL, NULL, tv, envp) == 0)
			while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
				;
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	long			 n, i;

	if (argc >= 3 && strcmp(argv[1], "-i") == 0) {
		idle_ms = samples(argv[2]);
		argc -= 2;
		argv += 2;
	}

	if (argc >= 5 && strcmp(argv[1], "-r") == 0) {
		n = samples(argv[2]);
		i = samples(argv[3]);
		if (i > 64)
			errx(1, "CONC: at most 64");
		return rate(n, i, argv + 4);
	}
	if (argc >= 4 && strcmp(argv[1], "-x") == 0) {
		n = samples(argv[2]);
		(void)sample_exit(argv + 3);		/* warm-up */
		for (i = 0; i < n; i++) {
			idle();
			printf("%.1f\n", sample_exit(argv + 3));
		}
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (argc < 4)
		errx(1, "usage: spawntime [-i MS] SAMPLES SOCKET PROGRAM "
		    "[ARG ...]\n"
		    "       spawntime [-i MS] -x SAMPLES PROGRAM [ARG ...]\n"
		    "       spawntime -r MS CONC PROGRAM [ARG ...]");
	n = samples(argv[1]);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[2]) >= sizeof(sun.sun_path))
		errx(1, "%s: socket path too long", argv[2]);
	strcpy(sun.sun_path, argv[2]);

	(void)sample(&sun, argv + 3);		/* warm-up */
	for (i = 0; i < n; i++) {
		idle();
		printf("%.1f\n", sample(&sun, argv + 3));
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
