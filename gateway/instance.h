/*
 * instance.h -- one warm instance of a fastcgi-mode function: a process
 * with a listening unix socket on fd 0 (FCGI_LISTENSOCK_FILENO, as under
 * spawn-fcgi and mod_fcgid), and fngw's FastCGI client connection to it,
 * kept open between requests (FCGI_KEEP_CONN).
 *
 * pool.c decides when instances start, serve, idle and stop; instance.c
 * runs them: the socket, the spawn, the readiness probe, the FastCGI
 * client over fcgi.c's records, the per-request CPU and memory figures,
 * the kill and the reap.  It tells pool.c what became of an instance
 * through pool_instance_*().  Loop thread only; nothing blocks.
 */
#ifndef INSTANCE_H
#define INSTANCE_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "loop.h"
#include "pstat.h"
#include "spawn.h"
#include "util.h"

struct fn;
struct pool;
struct request;

enum inst_state {
	INST_STARTING,		/* spawning, or not yet accepting */
	INST_IDLE,		/* accepting; no request */
	INST_BUSY,		/* serving i_rq */
	INST_STOPPING		/* told to go; until it is reaped */
};

#define INST_PATH_MAX	108		/* sun_path */

struct instance {
	struct pool	*i_pool;		/* pool.c's; borrowed */
	const struct fn	*i_fn;			/* borrowed from the pool */
	enum inst_state	 i_state;
	TAILQ_ENTRY(instance) i_link;		/* in its pool's list */
	unsigned	 i_seq;			/* for the socket's name */
	char		 i_path[INST_PATH_MAX];	/* the socket */
	struct spawn	 i_sp;
	char		**i_envp;
	int		 i_lfd;			/* listening, until spawned */
	pid_t		 i_pid;			/* -1 once reaped */
	int		 i_pidfd, i_err, i_fd;
	int		 i_pfd;			/* the probe, until ready */
	struct ev	 i_ev_pid, i_ev_err, i_ev_fd, i_ev_pfd;
	struct timer	 i_timer;	/* start deadline; idle; cpu; grace */
	struct timer	 i_drain;	/* an aborted reply, read and dropped */
	struct buf	 i_in, i_out;		/* FastCGI records */
	struct buf	 i_errline;		/* a partial stderr line */
	struct request	*i_rq;	/* when busy; starting: claimed */
	int		 i_rq_seen;		/* i_rq got a record back */
	int		 i_stdin_ended;		/* empty FCGI_STDIN sent */
	int		 i_held;		/* in instance_hold()'s list */
	unsigned	 i_writes;		/* write()s of this request */
	size_t		 i_sent;		/* its bytes written */
	int		 i_lost;		/* connection lost while busy */
	int		 i_paused;		/* the web server backs up */
	int		 i_dead;		/* exited; being reaped */
	uint64_t	 i_grace_ms;		/* kill_grace */
	uint64_t	 i_served;
	uint64_t	 i_t_start, i_t_ready;	/* monotonic µs */
	uint64_t	 i_t_spawned;		/* the spawner gave it back */
	int		 i_wstatus;
	int		 i_reaped;
	int		 i_killed;		/* TERM sent: 1; KILL: 2 */
	const char	*i_why;			/* why it stops (for the log) */
	struct pstat	 i_ps;			/* its CPU and memory */
};

struct config;

/*
 * Start inst (filled by pool.c: i_pool, i_fn, i_seq, and i_lfd with
 * i_path: a socket made ahead by instance_socket(), or -1) under
 * snapshot cf (its runtime_dir and kill_grace).  The outcome comes
 * through pool_instance_ready() or pool_instance_gone().
 */
void	instance_start(struct instance *, const struct config *);
/*
 * The listening socket of fn's instance number seq in rundir, at path
 * (INST_PATH_MAX bytes): mode 0600, owned by fn's user.  -1 with errno,
 * and *why when the name cannot be made (else NULL).
 */
int	instance_socket(const struct fn *, const char *, unsigned, char *,
	    const char **);
/* Hand rq to the idle inst, or to the one that claimed it, now ready. */
void	instance_serve(struct instance *, struct request *);
/*
 * While inst starts (spawned, probed, not yet answered): send rq, which
 * waits for it, ahead on a connection of its own that waits in the
 * socket's backlog behind the probe, so that the program finds it as
 * soon as it answered.  rq stays with inst (RQ_RUNNING, inst->i_rq)
 * until inst is ready (pool_instance_ready()) or its start failed,
 * which hands rq back to the pool.  0, or -1: nothing went, rq waits on.
 */
int	instance_claim(struct instance *, struct request *);
/* Ask inst to go (close, SIGTERM its group, SIGKILL after grace). */
void	instance_stop(struct instance *, const char *);
/* At exit: SIGTERM inst's group, SIGKILL after up to 1 s, reap it. */
void	instance_kill_now(struct instance *);
void	instance_free(struct instance *);	/* once gone */

/*
 * Between instance_hold() and instance_release() (they nest; front.c
 * around the records of one read), what goes to instances waits in
 * their buffers: a small request's BEGIN, params, body and end of body
 * leave in one write.
 */
void	instance_hold(void);
void	instance_release(void);

/* The request side, for request.c. */
void	instance_body(struct request *);	/* more body, or its end */
void	instance_resume(struct request *);	/* the connection drained */
void	instance_abort(struct request *, int);	/* 499, 400 */
void	instance_cleanup(struct request *);	/* rq is freed: detach */

#endif /* INSTANCE_H */
