/*
 * spawn.h -- the spawner thread: starts children off the loop.
 *
 * The loop fills a struct spawn and hands it over with spawn_submit();
 * the spawner thread creates the pipes, starts the child with
 * clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) (no copy of our address
 * space; only async-signal-safe calls and raw syscalls in the child
 * before execve), and hands the struct back through spawn_done(),
 * signalled on spawn_fd().  The submitter owns the struct and all the
 * strings it points to throughout; the spawner only borrows them until
 * it hands the struct back.
 *
 * The spawner also keeps the table of pids that have an owner, so the
 * stray reaper (spawn_reap_strays) kills and reaps only the children
 * nobody owns: those that escaped their group and were re-parented to
 * us, the child subreaper.
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct spawn {
	/* In: borrowed by the spawner until the struct comes back. */
	char *const	*sp_argv;	/* sp_argv[0] is the path */
	char *const	*sp_envp;
	const char	*sp_dir;	/* chdir here; NULL: stay */
	int		 sp_setids;	/* change to sp_uid/sp_gid */
	uid_t		 sp_uid;
	gid_t		 sp_gid;
	/* Limits; 0: keep. */
	rlim_t		 sp_as, sp_cpu, sp_nofile, sp_nproc, sp_fsize;
	int		 sp_fd0;	/* >= 0: becomes the child's fd 0 and no
					 * pipes are made (fastcgi instances) */

	/* Out: owned by the submitter once handed back. */
	pid_t		 sp_pid;	/* -1 on failure */
	int		 sp_pidfd;
	int		 sp_in;		/* our end of its stdin; O_NONBLOCK */
	int		 sp_out;	/* our end of its stdout; O_NONBLOCK */
	int		 sp_err;	/* our end of its stderr; O_NONBLOCK */
	int		 sp_errno;	/* why it failed: exec, setuid, ... */
	const char	*sp_errwhat;	/* which step failed (static) */
	uint64_t	 sp_started_us;	/* monotonic, once execve succeeded */

	void		*sp_token;	/* the submitter's */
	/* Called on the loop once the spawn is done (main.c's spawn_cb). */
	void		(*sp_done)(struct spawn *);
	struct spawn	*sp_next;
};

/*
 * Raise fngw's own soft RLIMIT_NOFILE to its hard limit (it holds
 * max_connections sockets and pipes for every function), while children
 * with no nofile of their own still get the soft limit fngw started
 * with.  Start-up only, before any spawn; returns the new soft limit.
 */
rlim_t		 spawn_raise_nofile(void);
/* Start the spawner thread.  Start-up only; -1 on failure. */
int		 spawn_init(void);
/* The loop callback for spawn_fd(): runs each finished spawn's sp_done. */
struct ev;
void		 spawn_ev_cb(struct ev *, uint32_t);
/* Readable when spawn_done() has work. */
int		 spawn_fd(void);
void		 spawn_submit(struct spawn *);	/* never blocks long */
/* The same, done in the calling thread (blocked until the child's
 * execve); the caller hands the result to sp_done itself. */
void		 spawn_now(struct spawn *);
struct spawn	*spawn_done(void);		/* a list, sp_next-linked */
void		 spawn_shutdown(void);		/* stop and join the thread */

/* Forget pid once its owner reaped it. */
void		 spawn_disown(pid_t);
/* Adopt a pid started elsewhere (not used by cgi mode). */
void		 spawn_own(pid_t);
/*
 * Kill (SIGKILL, its group too) and reap every child of ours that no
 * owner claims.  Non-blocking; returns how many it reaped, or -1 when a
 * spawn was under way and the caller should try again shortly.
 */
int		 spawn_reap_strays(void);
/* Loop thread: sweep for strays every second; spawn_strays_soon() pulls
 * the next sweep in to a few ms from now (after a child was reaped, its
 * orphans are ours). */
void		 spawn_strays_start(void);
void		 spawn_strays_soon(void);

#endif /* SPAWN_H */
