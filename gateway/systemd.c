/*
 * systemd.c -- socket activation and readiness notification, by hand.
 *
 * Both protocols are a few environment variables and one datagram; see
 * sd_listen_fds(3) and sd_notify(3).  libsystemd is not linked: fngw
 * also runs where there is no systemd, and these are forty lines.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "systemd.h"
#include "util.h"

#define SD_LISTEN_FDS_START	3	/* sd_listen_fds(3) */
#define SD_LISTEN_FDS_MAX	256	/* more is a broken manager */
#define SD_FDNAME		"fngw"	/* FileDescriptorName= to pick */

static int			 sd_lfd = -1;
static char			 sd_lname[128];	/* "unix:" and a sun_path */
static struct sockaddr_un	 sd_naddr;	/* NOTIFY_SOCKET */
static socklen_t		 sd_nlen;	/* 0: none */
static int			 sd_nfd = -1;

/* How [gateway] listen would name the socket fd is bound to. */
static void
sd_describe(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;
	socklen_t		 sl = sizeof(ss);
	char			 host[INET6_ADDRSTRLEN + 16], serv[8];
	size_t			 n;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		(void)snprintf(buf, len, "fd %d", fd);
		return;
	}
	if (ss.ss_family == AF_UNIX) {
		n = sl > offsetof(struct sockaddr_un, sun_path) ?
		    sl - offsetof(struct sockaddr_un, sun_path) : 0;
		if (n == 0)
			(void)snprintf(buf, len, "unix:(unnamed)");
		else if (sun->sun_path[0] == '\0')	/* abstract */
			(void)snprintf(buf, len, "unix:@%.*s", (int)n - 1,
			    sun->sun_path + 1);
		else
			(void)snprintf(buf, len, "unix:%.*s",
			    (int)strnlen(sun->sun_path, n), sun->sun_path);
		return;
	}
	if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		(void)snprintf(buf, len, "fd %d", fd);
	else if (ss.ss_family == AF_INET6)
		(void)snprintf(buf, len, "[%s]:%s", host, serv);
	else
		(void)snprintf(buf, len, "%s:%s", host, serv);
}

/* Is fd a listening stream socket we can serve?  NULL, or why not. */
static const char *
sd_check(int fd)
{
	struct stat	 st;
	socklen_t	 sl;
	int		 v;

	if (fstat(fd, &st) == -1)
		return "not open";
	if (!S_ISSOCK(st.st_mode))
		return "not a socket";
	sl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &sl) == -1 ||
	    (v != AF_UNIX && v != AF_INET && v != AF_INET6))
		return "not a unix or TCP socket";
	sl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &sl) == -1 ||
	    v != SOCK_STREAM)
		return "not a stream socket (ListenStream=)";
	sl = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &sl) == -1 ||
	    v == 0)
		return "not listening (Accept=yes passes a connection)";
	return NULL;
}

/* Which of n passed descriptors is ours: the only one, or "fngw". */
static int
sd_pick(long long n, const char *names)
{
	const char	*p, *e;
	long long	 i;

	if (n == 1)
		return SD_LISTEN_FDS_START;
	for (p = names, i = 0; p != NULL && i < n; i++, p = e + 1) {
		e = strchr(p, ':');
		if ((e == NULL ? strlen(p) : (size_t)(e - p)) ==
		    strlen(SD_FDNAME) && strncmp(p, SD_FDNAME,
		    strlen(SD_FDNAME)) == 0)
			return SD_LISTEN_FDS_START + (int)i;
		if (e == NULL)
			break;
	}
	return -1;
}

static void
sd_notify_take(void)
{
	const char	*ns;
	size_t		 len;

	if ((ns = getenv("NOTIFY_SOCKET")) == NULL)
		return;
	len = strlen(ns);
	if ((ns[0] != '/' && ns[0] != '@') || len < 2 ||
	    len >= sizeof(sd_naddr.sun_path)) {
		log_warn("NOTIFY_SOCKET=%s: not a unix socket; not notifying",
		    ns);
		goto out;
	}
	memset(&sd_naddr, 0, sizeof(sd_naddr));
	sd_naddr.sun_family = AF_UNIX;
	memcpy(sd_naddr.sun_path, ns, len);
	if (ns[0] == '@')		/* the abstract namespace */
		sd_naddr.sun_path[0] = '\0';
	sd_nlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
out:
	(void)unsetenv("NOTIFY_SOCKET");
}

int
systemd_init(const char **errstr)
{
	static char	 err[256];
	const char	*pid, *fds, *why;
	char		*names = NULL;
	long long	 p, n = 0, i;
	int		 fd, flags, rc = 0;

	sd_notify_take();
	pid = getenv("LISTEN_PID");
	fds = getenv("LISTEN_FDS");
	if (getenv("LISTEN_FDNAMES") != NULL &&
	    (names = strdup(getenv("LISTEN_FDNAMES"))) == NULL) {
		(void)snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (pid == NULL || fds == NULL)
		goto done;
	/* Passed to a parent of ours, which exec'ed us in a child: the
	 * descriptors, if any, are not ours to take (sd_listen_fds(3)). */
	if (util_parse_int(pid, 1, INT_MAX, &p, &why) == -1 ||
	    p != (long long)getpid()) {
		log_debug("LISTEN_PID=%s is not us (pid %d): not inheriting",
		    pid, (int)getpid());
		goto done;
	}
	if (util_parse_int(fds, 0, SD_LISTEN_FDS_MAX, &n, &why) == -1) {
		(void)snprintf(err, sizeof(err), "LISTEN_FDS=%s: %s", fds,
		    why);
		goto fail;
	}
	/* The manager's descriptors must not reach the functions. */
	for (i = 0; i < n; i++)
		(void)fcntl(SD_LISTEN_FDS_START + (int)i, F_SETFD,
		    FD_CLOEXEC);
	if (n == 0)
		goto done;
	if ((fd = sd_pick(n, names)) == -1) {
		(void)snprintf(err, sizeof(err), "LISTEN_FDS=%lld: several "
		    "sockets and none named \"%s\" in LISTEN_FDNAMES=%s "
		    "(FileDescriptorName=%s)", n, SD_FDNAME,
		    names != NULL ? names : "", SD_FDNAME);
		goto fail;
	}
	if ((why = sd_check(fd)) != NULL) {
		(void)snprintf(err, sizeof(err), "the socket passed as fd %d "
		    "(LISTEN_FDS): %s", fd, why);
		goto fail;
	}
	/* Created by the manager, so the flags come now, not at birth. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		(void)snprintf(err, sizeof(err), "the socket passed as fd %d: "
		    "%s", fd, strerror(errno));
		goto fail;
	}
	/* The others are the manager's business, not ours to hold. */
	for (i = 0; i < n; i++)
		if (SD_LISTEN_FDS_START + (int)i != fd)
			(void)close(SD_LISTEN_FDS_START + (int)i);
	sd_describe(fd, sd_lname, sizeof(sd_lname));
	sd_lfd = fd;
	goto done;
fail:
	*errstr = err;
	rc = -1;
done:
	free(names);
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	return rc;
}

int
systemd_listen_fd(const char **name)
{
	int	fd = sd_lfd;

	sd_lfd = -1;
	*name = sd_lname;
	return fd;
}

void
systemd_notify(const char *state)
{
	static int	 warned;
	struct timeval	 tv = { 1, 0 };

	if (sd_nlen == 0)
		return;
	/* A datagram to a manager that reads at once: the time-out only
	 * bounds the wait should its queue ever be full. */
	if (sd_nfd == -1) {
		if ((sd_nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC,
		    0)) == -1)
			goto fail;
		(void)setsockopt(sd_nfd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv));
	}
	if (sendto(sd_nfd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sd_naddr, sd_nlen) == -1)
		goto fail;
	return;
fail:
	if (!warned++)
		log_warn("NOTIFY_SOCKET: cannot notify the service manager: "
		    "%s", strerror(errno));
}
