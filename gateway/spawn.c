/*
 * spawn.c -- the spawner thread and the table of owned pids.
 *
 * Starting a process costs milliseconds (exec), so it never happens on
 * the loop.  The child is created with clone(CLONE_VM | CLONE_VFORK):
 * it runs on its own small stack in our address space while this thread
 * is suspended, until execve() succeeds or the child _exit()s.  Between
 * clone and execve it makes only async-signal-safe calls, and changes
 * ids with raw syscalls: glibc's setresuid() would signal every thread
 * of the process (it keeps them in step), and this child shares the
 * parent's memory.  Because the memory is shared, the child reports a
 * failed step simply by storing errno in the struct spawn.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "spawn.h"
#include "util.h"

#define SPAWN_STACK	(64 * 1024)
/*
 * Threads that start children.  A spawner is suspended in clone() until
 * the child's execve() is done, a few hundred microseconds here; two
 * keep a 2-core machine busy while one of them waits.
 */
#define SPAWN_THREADS	2

struct spawn_child {
	struct spawn	*sc_sp;
	int		 sc_in, sc_out, sc_err;	/* the child's ends */
	volatile int	 sc_errno;
	const char	*volatile sc_what;
};

/* fngw's open-file limit as it started, for children with no nofile of
 * their own; rlim_cur 0: fngw did not raise its own. */
static struct rlimit	 spawn_nofile;
static pthread_t	 spawn_threads[SPAWN_THREADS];
static int		 spawn_nthreads;
static pthread_mutex_t	 spawn_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 spawn_cv = PTHREAD_COND_INITIALIZER;
static struct spawn	*spawn_todo, **spawn_todo_tail = &spawn_todo;
static struct spawn	*spawn_ready;
static int		 spawn_efd = -1;
static int		 spawn_quit;
/* Held (shared) from clone() until the new pid is in the owned table,
 * and exclusively by the stray reaper, which so never mistakes a child
 * being born for a stray. */
static pthread_rwlock_t	 spawn_birth = PTHREAD_RWLOCK_INITIALIZER;

/* The stray reaper's timer: a periodic sweep, pulled in after reaps. */
static struct timer	 stray_timer;
#define STRAY_PERIOD	1000	/* ms between sweeps when nothing happens */
#define STRAY_SOON	20	/* ms after a child of ours was reaped */

/* Owned pids: an open-addressing set guarded by spawn_mtx. */
static pid_t		*own_set;
static size_t		 own_cap, own_n;

static int
own_slot(pid_t pid)
{
	size_t	i, mask = own_cap - 1;

	for (i = (size_t)pid * 2654435761u & mask;; i = (i + 1) & mask)
		if (own_set[i] == pid || own_set[i] == 0)
			return (int)i;
}

static void
own_insert_locked(pid_t pid)
{
	pid_t	*old = own_set, *nw;
	size_t	 oldcap = own_cap, i;

	if ((own_n + 1) * 2 > own_cap) {
		if ((nw = calloc(own_cap ? own_cap * 2 : 256, sizeof(*nw))) ==
		    NULL) {
			/* XXX without room the pid looks unowned; its owner
			 * still reaps it, and the stray reaper's kill of an
			 * exiting child is harmless. */
			log_error("owned-pid table: out of memory");
			return;
		}
		own_set = nw;
		own_cap = oldcap ? oldcap * 2 : 256;
		own_n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i] > 0) {
				own_set[own_slot(old[i])] = old[i];
				own_n++;
			}
		free(old);
	}
	i = (size_t)own_slot(pid);
	if (own_set[i] != pid) {
		own_set[i] = pid;
		own_n++;
	}
}

void
spawn_own(pid_t pid)
{
	pthread_mutex_lock(&spawn_mtx);
	own_insert_locked(pid);
	pthread_mutex_unlock(&spawn_mtx);
}

void
spawn_disown(pid_t pid)
{
	size_t	i, j, mask;
	pid_t	p;

	pthread_mutex_lock(&spawn_mtx);
	if (own_cap == 0 || own_set[i = (size_t)own_slot(pid)] != pid)
		goto out;
	/* Backward-shift deletion keeps probe chains intact. */
	mask = own_cap - 1;
	own_set[i] = 0;
	own_n--;
	for (j = (i + 1) & mask; (p = own_set[j]) != 0; j = (j + 1) & mask) {
		own_set[j] = 0;
		own_set[own_slot(p)] = p;
	}
out:
	pthread_mutex_unlock(&spawn_mtx);
}

static int
spawn_is_owned(pid_t pid)
{
	int	r;

	pthread_mutex_lock(&spawn_mtx);
	r = own_cap > 0 && own_set[own_slot(pid)] == pid;
	pthread_mutex_unlock(&spawn_mtx);
	return r;
}

/*
 * The child.  Runs on its spawner's stack, sharing our memory, while the
 * spawner thread waits in clone().  Nothing here may take a lock or
 * allocate.
 */
static int
spawn_child(void *arg)
{
	struct spawn_child	*sc = arg;
	struct spawn		*sp = sc->sc_sp;
	sigset_t		 none;

#define CHILD_FAIL(what) do {					\
		sc->sc_errno = errno;				\
		sc->sc_what = (what);				\
		_exit(127);					\
	} while (0)

	/* Blocked signals and ignored ones survive execve; caught ones are
	 * reset by it.  fngw catches none and ignores only SIGPIPE. */
	(void)signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	if (setsid() == -1)
		CHILD_FAIL("setsid");
	if (sp->sp_fd0 >= 0) {
		if (dup2(sp->sp_fd0, 0) == -1)
			CHILD_FAIL("dup2");
	} else if (dup2(sc->sc_in, 0) == -1 || dup2(sc->sc_out, 1) == -1)
		CHILD_FAIL("dup2");
	if (dup2(sc->sc_err, 2) == -1)
		CHILD_FAIL("dup2");
	if (sp->sp_fd0 >= 0 && dup2(sc->sc_err, 1) == -1)
		CHILD_FAIL("dup2");

	/*
	 * Hard limits too, so that the function cannot raise its own soft
	 * limit back.  Never above fngw's own hard limits: raising one takes
	 * CAP_SYS_RESOURCE (s6-softlimit); config.c clamps and warns.  CPU
	 * keeps a second between soft and hard: SIGXCPU at the soft limit
	 * tells a CPU kill apart, and SIGKILL follows if it is ignored.
	 */
#define CHILD_LIMIT(res, v, extra) do {					\
		struct rlimit rl;					\
		if ((v) != 0) {						\
			if (getrlimit((res), &rl) == -1)		\
				CHILD_FAIL("getrlimit");		\
			if (rl.rlim_max == RLIM_INFINITY ||		\
			    (v) + (extra) < rl.rlim_max)		\
				rl.rlim_max = (v) + (extra);		\
			rl.rlim_cur = (v) < rl.rlim_max ? (v) :		\
			    rl.rlim_max;				\
			if (setrlimit((res), &rl) == -1)		\
				CHILD_FAIL("setrlimit");		\
		}							\
	} while (0)

	CHILD_LIMIT(RLIMIT_AS, sp->sp_as, 0);
	CHILD_LIMIT(RLIMIT_CPU, sp->sp_cpu, 1);
	CHILD_LIMIT(RLIMIT_NOFILE, sp->sp_nofile, 0);
	CHILD_LIMIT(RLIMIT_NPROC, sp->sp_nproc, 0);
	CHILD_LIMIT(RLIMIT_FSIZE, sp->sp_fsize, 0);
	if (sp->sp_nofile == 0 && spawn_nofile.rlim_cur != 0 &&
	    setrlimit(RLIMIT_NOFILE, &spawn_nofile) == -1)
		CHILD_FAIL("setrlimit");
	{
		struct rlimit	nocore = { 0, 0 };
		(void)setrlimit(RLIMIT_CORE, &nocore);
	}
	if (sp->sp_dir != NULL && chdir(sp->sp_dir) == -1)
		CHILD_FAIL("chdir");
	if (sp->sp_setids) {
		gid_t	g = sp->sp_gid;

		if (syscall(SYS_setgroups, 1, &g) == -1)
			CHILD_FAIL("setgroups");
		if (syscall(SYS_setresgid, g, g, g) == -1)
			CHILD_FAIL("setresgid");
		if (syscall(SYS_setresuid, sp->sp_uid, sp->sp_uid,
		    sp->sp_uid) == -1)
			CHILD_FAIL("setresuid");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		CHILD_FAIL("no_new_privs");
	/* After the id change, which clears it.  The spawner thread lives
	 * as long as fngw, so the child dies with fngw. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		CHILD_FAIL("pdeathsig");
	(void)syscall(SYS_close_range, 3, ~0U, 0);
	execve(sp->sp_argv[0], sp->sp_argv, sp->sp_envp);
	CHILD_FAIL("execve");
#undef CHILD_FAIL
#undef CHILD_LIMIT
}

/* Our end of a pipe just made: no status flag is set on it (F_SETFL
 * ignores the access mode; close-on-exec is a descriptor flag), so one
 * F_SETFL does, where F_GETFL first would cost a syscall per pipe end
 * and cgi request. */
static int
spawn_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, O_NONBLOCK);
}

static void
spawn_one(struct spawn *sp, char *stack)
{
	struct spawn_child	 sc;
	int			 in[2] = { -1, -1 }, out[2] = { -1, -1 };
	int			 er[2] = { -1, -1 }, pidfd = -1;
	pid_t			 pid;

	sp->sp_pid = -1;
	sp->sp_pidfd = sp->sp_in = sp->sp_out = sp->sp_err = -1;
	sp->sp_errno = 0;
	sp->sp_errwhat = NULL;
	memset(&sc, 0, sizeof(sc));
	sc.sc_sp = sp;
	sc.sc_in = sc.sc_out = -1;
	if (sp->sp_fd0 < 0 &&
	    (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)) {
		sp->sp_errwhat = "pipe";
		goto fail;
	}
	if (pipe2(er, O_CLOEXEC) == -1) {
		sp->sp_errwhat = "pipe";
		goto fail;
	}
	sc.sc_in = in[0];
	sc.sc_out = out[1];
	sc.sc_err = er[1];
	pthread_rwlock_rdlock(&spawn_birth);
	pid = clone(spawn_child, stack + SPAWN_STACK,
	    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &sc, &pidfd);
	if (pid == -1) {
		pthread_rwlock_unlock(&spawn_birth);
		sp->sp_errwhat = "clone";
		goto fail;
	}
	/* Record ownership before anyone can look for strays. */
	spawn_own(pid);
	pthread_rwlock_unlock(&spawn_birth);
	if (sc.sc_what != NULL) {
		/* The child stored errno and exited before execve. */
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		spawn_disown(pid);
		fd_close(&pidfd);
		errno = sc.sc_errno;
		sp->sp_errwhat = sc.sc_what;
		goto fail;
	}
	sp->sp_started_us = util_now_us();
	fd_close(&in[0]);
	fd_close(&out[1]);
	fd_close(&er[1]);
	sp->sp_pid = pid;
	sp->sp_pidfd = pidfd;
	sp->sp_in = in[1];
	sp->sp_out = out[0];
	sp->sp_err = er[0];
	if ((sp->sp_in != -1 && spawn_nonblock(sp->sp_in) == -1) ||
	    (sp->sp_out != -1 && spawn_nonblock(sp->sp_out) == -1) ||
	    spawn_nonblock(sp->sp_err) == -1)
		log_warn("O_NONBLOCK: %s", strerror(errno));
	return;
fail:
	sp->sp_errno = errno;
	fd_close_pair(in);
	fd_close_pair(out);
	fd_close_pair(er);
}

static void *
spawn_main(void *arg)
{
	struct spawn	*sp;
	char		*stack = arg;	/* the children's stack, ours alone */
	uint64_t	 one = 1;

	pthread_mutex_lock(&spawn_mtx);
	for (;;) {
		while (spawn_todo == NULL && !spawn_quit)
			pthread_cond_wait(&spawn_cv, &spawn_mtx);
		if (spawn_todo == NULL)
			break;
		sp = spawn_todo;
		if ((spawn_todo = sp->sp_next) == NULL)
			spawn_todo_tail = &spawn_todo;
		pthread_mutex_unlock(&spawn_mtx);

		spawn_one(sp, stack);

		pthread_mutex_lock(&spawn_mtx);
		sp->sp_next = spawn_ready;
		spawn_ready = sp;
		(void)!write(spawn_efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&spawn_mtx);
	free(stack);
	return NULL;
}

void
spawn_ev_cb(struct ev *ev, uint32_t events)
{
	struct spawn	*sp, *next;

	(void)ev;
	(void)events;
	for (sp = spawn_done(); sp != NULL; sp = next) {
		next = sp->sp_next;
		sp->sp_done(sp);
	}
}

rlim_t
spawn_raise_nofile(void)
{
	struct rlimit	rl;
	rlim_t		soft;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	soft = rl.rlim_cur;
	if (rl.rlim_cur == rl.rlim_max)
		return soft;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return soft;
	spawn_nofile.rlim_cur = soft;
	spawn_nofile.rlim_max = rl.rlim_max;
	return rl.rlim_cur;
}

int
spawn_init(void)
{
	sigset_t	 all, old;
	char		*stack;
	int		 i, rc = 0;

	if ((spawn_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return -1;
	/* The threads start with every signal blocked; the loop reads
	 * them from its signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < SPAWN_THREADS && rc == 0; i++) {
		if ((stack = malloc(SPAWN_STACK)) == NULL) {
			rc = errno;
			break;
		}
		if ((rc = pthread_create(&spawn_threads[i], NULL, spawn_main,
		    stack)) != 0)
			free(stack);
		else
			spawn_nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		spawn_shutdown();
		errno = rc;
		return -1;
	}
	return 0;
}

/*
 * A spawn in the calling thread: it is blocked from clone() to the
 * child's execve(), a tenth of a millisecond or so, instead of paying a
 * wakeup of a spawner thread and another back (about as much again).
 * For warm instances, whose start is what a cold request waits for.
 */
static char	*spawn_now_stack;

void
spawn_now(struct spawn *sp)
{
	if (spawn_now_stack == NULL &&
	    (spawn_now_stack = malloc(SPAWN_STACK)) == NULL) {
		sp->sp_pid = -1;
		sp->sp_pidfd = sp->sp_in = sp->sp_out = sp->sp_err = -1;
		sp->sp_errno = errno;
		sp->sp_errwhat = "malloc";
		return;
	}
	spawn_one(sp, spawn_now_stack);
}

int
spawn_fd(void)
{
	return spawn_efd;
}

void
spawn_submit(struct spawn *sp)
{
	sp->sp_next = NULL;
	pthread_mutex_lock(&spawn_mtx);
	*spawn_todo_tail = sp;
	spawn_todo_tail = &sp->sp_next;
	pthread_cond_signal(&spawn_cv);
	pthread_mutex_unlock(&spawn_mtx);
}

struct spawn *
spawn_done(void)
{
	struct spawn	*list, *rev = NULL, *next;
	uint64_t	 v;

	(void)!read(spawn_efd, &v, sizeof(v));
	pthread_mutex_lock(&spawn_mtx);
	list = spawn_ready;
	spawn_ready = NULL;
	pthread_mutex_unlock(&spawn_mtx);
	/* Hand them back in the order they were started. */
	for (; list != NULL; list = next) {
		next = list->sp_next;
		list->sp_next = rev;
		rev = list;
	}
	return rev;
}

void
spawn_shutdown(void)
{
	int	i;

	if (spawn_efd == -1)
		return;
	pthread_mutex_lock(&spawn_mtx);
	spawn_quit = 1;
	pthread_cond_broadcast(&spawn_cv);
	pthread_mutex_unlock(&spawn_mtx);
	for (i = 0; i < spawn_nthreads; i++)
		(void)pthread_join(spawn_threads[i], NULL);
	spawn_nthreads = 0;
	free(spawn_now_stack);
	spawn_now_stack = NULL;
	fd_close(&spawn_efd);
}

/*
 * Visit every child of every thread of ours (/proc/self/task/T/children).
 * Returns -1 without looking when a child is being born right now (the
 * caller tries again shortly), else how many strays it reaped.
 */
int
spawn_reap_strays(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[300], buf[4096], *p, *end;
	FILE		*f;
	long		 pid;
	siginfo_t	 si;
	int		 n = 0;

	if (pthread_rwlock_trywrlock(&spawn_birth) != 0)
		return -1;
	if ((d = opendir("/proc/self/task")) == NULL) {
		pthread_rwlock_unlock(&spawn_birth);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path),
		    "/proc/self/task/%s/children", de->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		while (fgets(buf, sizeof(buf), f) != NULL) {
			for (p = buf;; p = end) {
				pid = strtol(p, &end, 10);
				if (end == p || pid <= 0)
					break;
				if (spawn_is_owned((pid_t)pid))
					continue;
				/* Its group too: a stray that called setsid()
				 * may have children of its own. */
				(void)kill(-(pid_t)pid, SIGKILL);
				(void)kill((pid_t)pid, SIGKILL);
				memset(&si, 0, sizeof(si));
				if (waitid(P_PID, (id_t)pid, &si,
				    WEXITED | WNOHANG) == 0 && si.si_pid != 0) {
					log_info("stray pid=%ld killed"
					    " and reaped", pid);
					n++;
				}
			}
		}
		fclose(f);
	}
	closedir(d);
	pthread_rwlock_unlock(&spawn_birth);
	return n;
}

static void
spawn_stray_cb(struct timer *t)
{
	/* -1: a child was being born; look again very soon. */
	timer_set(t, spawn_reap_strays() == -1 ? 5 : STRAY_PERIOD);
}

void
spawn_strays_start(void)
{
	timer_init(&stray_timer, spawn_stray_cb, NULL);
	timer_set(&stray_timer, STRAY_PERIOD);
}

void
spawn_strays_soon(void)
{
	/* One sweep for many reaps: a sweep reads /proc, which costs more
	 * than the rest of a request's bookkeeping. */
	if (stray_timer.t_when > loop_now() + STRAY_SOON ||
	    !timer_armed(&stray_timer))
		timer_set(&stray_timer, STRAY_SOON);
}
