/*
 * systemd_test.c -- systemd.h: which passed descriptor is taken, what is
 * refused, that the variables leave the environment, and that READY=1
 * reaches NOTIFY_SOCKET.
 */
#include "systemd.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static char	dir[] = "/tmp/fngw-systemd-test.XXXXXX";

/* A unix socket bound in dir as name, on descriptor fd. */
static int
sock_at(int fd, const char *name, int type, int listening)
{
	struct sockaddr_un	sun;
	int			s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir,
	    name);
	(void)unlink(sun.sun_path);
	if ((s = socket(AF_UNIX, type, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    (listening && listen(s, 8) == -1))
		return -1;
	if (s != fd) {
		if (dup2(s, fd) == -1)
			return -1;
		(void)close(s);
	}
	return fd;
}

static void
pass(int n, const char *names)
{
	char	buf[32];

	(void)snprintf(buf, sizeof(buf), "%d", (int)getpid());
	(void)setenv("LISTEN_PID", buf, 1);
	(void)snprintf(buf, sizeof(buf), "%d", n);
	(void)setenv("LISTEN_FDS", buf, 1);
	if (names != NULL)
		(void)setenv("LISTEN_FDNAMES", names, 1);
	else
		(void)unsetenv("LISTEN_FDNAMES");
}

static int
env_clean(void)
{
	return getenv("LISTEN_PID") == NULL && getenv("LISTEN_FDS") == NULL &&
	    getenv("LISTEN_FDNAMES") == NULL &&
	    getenv("NOTIFY_SOCKET") == NULL;
}

int
main(void)
{
	const char	*errstr, *name;
	char		 want[200], msg[64];
	int		 fd, nfd, rc;
	ssize_t		 n;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}

	errstr = NULL;
	(void)unsetenv("LISTEN_PID");
	ok(systemd_init(&errstr) == 0 && systemd_listen_fd(&name) == -1,
	    "nothing passed: nothing taken");

	ok(sock_at(3, "one.sock", SOCK_STREAM, 1) == 3, "fd 3 listens");
	pass(1, "whatever");
	(void)snprintf(want, sizeof(want), "unix:%s/one.sock", dir);
	ok(systemd_init(&errstr) == 0 && env_clean(),
	    "one socket: taken, LISTEN_* unset");
	fd = systemd_listen_fd(&name);
	ok(fd == 3 && strcmp(name, want) == 0, "fd 3, named %s", name);
	ok((fcntl(3, F_GETFL) & O_NONBLOCK) &&
	    (fcntl(3, F_GETFD) & FD_CLOEXEC), "non-blocking, close-on-exec");
	ok(systemd_listen_fd(&name) == -1, "handed over once");

	ok(sock_at(3, "a.sock", SOCK_STREAM, 1) == 3 &&
	    sock_at(4, "b.sock", SOCK_STREAM, 1) == 4, "fds 3 and 4 listen");
	pass(2, "fngwx:fngw");
	(void)snprintf(want, sizeof(want), "unix:%s/b.sock", dir);
	ok(systemd_init(&errstr) == 0 && systemd_listen_fd(&name) == 4 &&
	    strcmp(name, want) == 0, "of two, the one named fngw exactly");
	ok(fcntl(3, F_GETFD) == -1, "the other one is closed");

	ok(sock_at(3, "a.sock", SOCK_STREAM, 1) == 3 &&
	    sock_at(4, "b.sock", SOCK_STREAM, 1) == 4, "fds 3 and 4 listen");
	pass(2, "fngw.socket:other");
	errstr = NULL;
	rc = systemd_init(&errstr);
	ok(rc == -1 && errstr != NULL && strstr(errstr, "none named") != NULL &&
	    env_clean(), "of two, none named fngw: refused (%s)",
	    errstr != NULL ? errstr : "-");
	pass(2, NULL);
	ok(systemd_init(&errstr) == -1, "of two, no names: refused");

	pass(1, NULL);
	(void)setenv("LISTEN_PID", "1", 1);
	ok(systemd_init(&errstr) == 0 && systemd_listen_fd(&name) == -1 &&
	    env_clean(), "LISTEN_PID of another process: ignored, unset");

	ok(sock_at(3, "u.sock", SOCK_STREAM, 0) == 3, "fd 3 does not listen");
	pass(1, NULL);
	ok(systemd_init(&errstr) == -1 && strstr(errstr, "not listening"),
	    "a stream socket that does not listen: refused (%s)", errstr);
	ok(sock_at(3, "d.sock", SOCK_DGRAM, 0) == 3, "fd 3 is a datagram");
	pass(1, NULL);
	ok(systemd_init(&errstr) == -1 && strstr(errstr, "not a stream"),
	    "a datagram socket: refused (%s)", errstr);
	pass(1, NULL);
	(void)setenv("LISTEN_FDS", "1x", 1);
	ok(systemd_init(&errstr) == -1 && strstr(errstr, "LISTEN_FDS=1x"),
	    "LISTEN_FDS=1x: refused (%s)", errstr);
	pass(1, NULL);
	(void)setenv("LISTEN_FDS", "0", 1);
	ok(systemd_init(&errstr) == 0 && systemd_listen_fd(&name) == -1,
	    "LISTEN_FDS=0: nothing taken");

	nfd = sock_at(5, "notify", SOCK_DGRAM, 0);
	(void)snprintf(want, sizeof(want), "%s/notify", dir);
	(void)setenv("NOTIFY_SOCKET", want, 1);
	ok(nfd == 5 && systemd_init(&errstr) == 0 && env_clean(),
	    "NOTIFY_SOCKET taken and unset");
	systemd_notify("READY=1");
	n = recv(5, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	ok(n == 7 && memcmp(msg, "READY=1", 7) == 0, "READY=1 arrives");

	(void)snprintf(want, sizeof(want), "%s/notify", dir);
	(void)unlink(want);
	(void)snprintf(want, sizeof(want), "rm -rf %s", dir);
	(void)system(want);
	return done_testing();
}
