/*
 * sdhold -- a tiny service manager for the tests: what systemd does with
 * fngw.socket and fngw.service (Type=notify), on a machine that does not
 * boot systemd.
 *
 *	sdhold -l PATH [-m MODE] [-n FDNAMES] [-N NOTIFY] -- PROG [ARG...]
 *
 * Binds and listens on the unix socket PATH (mode MODE, default 0666)
 * and keeps it for its whole life.  Runs PROG with the socket as fd 3,
 * LISTEN_FDS=1, LISTEN_PID=its pid, LISTEN_FDNAMES=FDNAMES (when -n) and
 * NOTIFY_SOCKET=NOTIFY (a datagram socket it binds; "@name" is in the
 * abstract namespace; default PATH.notify).
 *
 *	SIGHUP		restart: SIGTERM to PROG, wait for it, start it again
 *			(the socket stays open: clients wait in its backlog)
 *	SIGUSR1		send SIGHUP to PROG (systemctl reload)
 *	SIGTERM, INT	SIGTERM to PROG, wait for it, unlink PATH, exit 0
 *
 * What happens is printed on stdout, one line each, for the tests to
 * wait on: "started pid=P", "notify pid=P READY=1" (the sender's pid
 * from SCM_CREDENTIALS, newlines in the message as spaces), "exited
 * pid=P status=N" or "exited pid=P signal=N".  PROG exiting on its own
 * is not restarted.
 */
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int	 lfd = -1, nfd = -1;
static char	*fdnames, *notify;
static char	**prog;
static pid_t	 child = -1;

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "sdhold: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void
say(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	printf("sdhold: ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

static int
unix_addr(struct sockaddr_un *sun, const char *path, socklen_t *len)
{
	size_t	n = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (path[0] == '@' ? 0 : 1));
	return 0;
}

static void
start(void)
{
	char		 buf[32];
	sigset_t	 none;

	if ((child = fork()) == -1)
		die("fork");
	if (child > 0) {
		say("started pid=%d", (int)child);
		return;
	}
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (lfd == 3) {
		if (fcntl(3, F_SETFD, 0) == -1)
			die("fcntl");
	} else if (dup2(lfd, 3) == -1)
		die("dup2");
	(void)snprintf(buf, sizeof(buf), "%d", (int)getpid());
	if (setenv("LISTEN_PID", buf, 1) == -1 ||
	    setenv("LISTEN_FDS", "1", 1) == -1 ||
	    (fdnames != NULL && setenv("LISTEN_FDNAMES", fdnames, 1) == -1) ||
	    setenv("NOTIFY_SOCKET", notify, 1) == -1)
		die("setenv");
	execvp(prog[0], prog);
	die(prog[0]);
}

static void
read_notify(void)
{
	char		 msg[4096], cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec	 iov = { msg, sizeof(msg) - 1 };
	struct msghdr	 mh;
	struct cmsghdr	*cm;
	struct ucred	 uc = { 0, 0, 0 };
	ssize_t		 n, i;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if ((n = recvmsg(nfd, &mh, MSG_DONTWAIT)) == -1)
			return;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_CREDENTIALS)
				memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
		for (i = 0; i < n; i++)
			if (msg[i] == '\n')
				msg[i] = ' ';
		msg[n] = '\0';
		say("notify pid=%d %s", (int)uc.pid, msg);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	struct signalfd_siginfo	 si;
	struct pollfd		 pfd[2];
	socklen_t		 len;
	sigset_t		 set;
	const char		*path = NULL;
	char			 nbuf[sizeof(sun.sun_path) + 8];
	mode_t			 mode = 0666;
	int			 ch, sfd, one = 1, status, restart = 0;
	int			 stopping = 0;
	pid_t			 pid;

	while ((ch = getopt(argc, argv, "l:m:n:N:")) != -1) {
		switch (ch) {
		case 'l':
			path = optarg;
			break;
		case 'm':
			mode = (mode_t)strtol(optarg, NULL, 8);
			break;
		case 'n':
			fdnames = optarg;
			break;
		case 'N':
			notify = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (path == NULL || optind >= argc)
		goto usage;
	prog = argv + optind;
	if (notify == NULL) {
		(void)snprintf(nbuf, sizeof(nbuf), "%s.notify", path);
		notify = nbuf;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		die("signalfd");

	if (unix_addr(&sun, path, &len) == -1)
		die(path);
	(void)unlink(path);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, len) == -1 ||
	    chmod(path, mode) == -1 || listen(lfd, SOMAXCONN) == -1)
		die(path);
	say("listening %s fd=%d", path, lfd);

	if (unix_addr(&sun, notify, &len) == -1)
		die(notify);
	if (notify[0] != '@')
		(void)unlink(notify);
	if ((nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(nfd, (struct sockaddr *)&sun, len) == -1 ||
	    setsockopt(nfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1)
		die(notify);
	if (notify[0] != '@' && chmod(notify, 0666) == -1)
		die(notify);

	start();
	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = nfd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		read_notify();
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGHUP:
				say("restarting");
				if (child == -1)
					start();
				else {
					restart = 1;
					(void)kill(child, SIGTERM);
				}
				break;
			case SIGUSR1:
				if (child != -1)
					(void)kill(child, SIGHUP);
				break;
			case SIGTERM:
			case SIGINT:
				stopping = 1;
				if (child != -1)
					(void)kill(child, SIGTERM);
				break;
			default:
				break;
			}
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			read_notify();
			if (WIFSIGNALED(status))
				say("exited pid=%d signal=%d", (int)pid,
				    WTERMSIG(status));
			else
				say("exited pid=%d status=%d", (int)pid,
				    WEXITSTATUS(status));
			if (pid != child)
				continue;
			child = -1;
			if (restart && !stopping) {
				restart = 0;
				start();
			}
		}
		if (stopping && child == -1)
			break;
	}
	(void)unlink(path);
	if (notify[0] != '@')
		(void)unlink(notify);
	return 0;
usage:
	fprintf(stderr, "usage: sdhold -l PATH [-m MODE] [-n FDNAMES] "
	    "[-N NOTIFY] -- PROG [ARG...]\n");
	return 1;
}
