/*
 * systemd.h -- the two systemd protocols fngw speaks, without libsystemd.
 *
 * Socket activation (sd_listen_fds(3)): the service manager holds the
 * listening socket and passes it as fd 3 with LISTEN_PID, LISTEN_FDS and
 * LISTEN_FDNAMES, so connections wait in its backlog while fngw
 * restarts.  Readiness (sd_notify(3)): READY=1 and STOPPING=1 as
 * datagrams to $NOTIFY_SOCKET, for Type=notify.  Both are optional: run
 * by hand, fngw binds [gateway] listen and notifies nobody.
 */
#ifndef SYSTEMD_H
#define SYSTEMD_H

#include <stddef.h>

/*
 * Take what the service manager passed in the environment, once, at
 * start-up, before any thread exists (it calls unsetenv()).  Removes
 * LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES and NOTIFY_SOCKET from the
 * environment whatever they hold.  A passed socket must be one listening
 * stream socket (unix or TCP); with several, the one named "fngw" in
 * LISTEN_FDNAMES (FileDescriptorName=fngw), and the others are closed.
 * Returns 0, or -1 and *errstr (static) when sockets were passed to us
 * but none can be served.
 */
int	 systemd_init(const char **);

/*
 * The inherited listening socket, non-blocking and close-on-exec, or -1
 * when none was passed.  The caller takes ownership of the descriptor
 * (a second call returns -1); *name (static) describes it as [gateway]
 * listen would: "unix:/run/fngw/fngw.sock", "127.0.0.1:9000".
 */
int	 systemd_listen_fd(const char **);

/*
 * Send state ("READY=1", "STOPPING=1", ...) to the service manager.
 * Does nothing without NOTIFY_SOCKET; never blocks; a failure is logged
 * once and otherwise ignored.  Loop thread only.
 */
void	 systemd_notify(const char *);

#endif /* SYSTEMD_H */
