/*
 * main.c -- the command line: serve, check, usage, invoke, version.
 *
 * Guards descriptors 0 to 2, parses arguments, and for `serve` sets up
 * the process (child subreaper, signals as a signalfd, the spawner and
 * usage writer threads) and runs the loop.  The only code that exits:
 * 0 ok, 1 usage or configuration error, 2 fatal error at run time.
 */
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "front.h"
#include "invoke.h"
#include "log.h"
#include "loop.h"
#include "pool.h"
#include "reload.h"
#include "request.h"
#include "schedule.h"
#include "spawn.h"
#include "systemd.h"
#include "usage.h"

#ifndef FNGW_VERSION
#define FNGW_VERSION	"0.1.0"
#endif

static struct config	*cur_cf;	/* the snapshot in force */
static const char	*cf_path;	/* re-read on SIGHUP */
static char		*first_listen;	/* what serve bound: kept */
static char		*first_ledger;	/* what serve opened: kept */
static unsigned long	 reloads;
static int		 sig_fd = -1;
static struct ev	 sig_ev, spawn_ev, usage_ev;
static struct timer	 shutdown_timer;
static struct usage	*ledger;
static int		 stopping;

static void __attribute__((noreturn))
usage_exit(void)
{
	fprintf(stderr,
	    "usage: fngw [serve] -c FILE\n"
	    "       fngw check -c FILE\n"
	    "       fngw reload -c FILE\n"
	    "       fngw usage [-c FILE] --db FILE [--db FILE ...]"
	    " [--from DATE] [--to DATE]\n"
	    "                  [--by function|tenant|node|day|hour[,...]]"
	    " [--format table|csv|json|html]\n"
	    "       fngw invoke -c FILE [-X METHOD] [-H 'Name: value']..."
	    " [-d BODY|@FILE|@-] PATH\n"
	    "       fngw version\n");
	exit(1);
}

/* Descriptors 0 to 2 must be open, or a pipe could land on them. */
static void
guard_stdfds(void)
{
	int	fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		(void)close(fd);
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char	 buf[4096], *p;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (p = buf + 1; *p != '\0'; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, mode) == -1 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static void
shutdown_cb(struct timer *t)
{
	(void)t;
	log_warn("shutdown_timeout passed; aborting what still runs");
	front_shutdown_now();
	sched_shutdown_now();
}

/* [gateway] keys that only a restart can change: warn, keep the old. */
static void
reload_fixed(const struct config *old, const struct config *cf)
{
	if (strcmp(first_listen, cf->cf_listen) != 0 ||
	    old->cf_listen_mode != cf->cf_listen_mode ||
	    old->cf_listen_uid != cf->cf_listen_uid ||
	    old->cf_listen_gid != cf->cf_listen_gid)
		log_warn("reload: listen and its owner and mode take effect "
		    "at a restart; still listening on %s",
		    front_listen_name());
	if (strcmp(first_ledger, cf->cf_billing_db) != 0)
		log_warn("reload: billing_db takes effect at a restart; rows "
		    "still go to %s", first_ledger);
	if (strcmp(old->cf_node, cf->cf_node) != 0)
		log_warn("reload: node takes effect at a restart; rows still "
		    "say node=%s", old->cf_node);
}

/*
 * SIGHUP: read the file again.  Valid, it takes over: new requests route
 * by it, requests in flight end under the snapshot they hold, old pools
 * drain (pool_reload()).  Invalid, the running one stays and the log
 * says what `fngw check` would.  The listening socket is never touched.
 */
static void
reload(void)
{
	struct config		*cf;
	struct usage_prices	 up;
	const char		*errstr;
	char			**w;

	if (stopping) {
		log_warn("SIGHUP while stopping: ignored");
		return;
	}
	log_info("SIGHUP: reading %s", cf_path);
	if ((cf = config_load(cf_path, &errstr)) == NULL) {
		log_error("reload: %s; keeping the running configuration",
		    errstr);
		return;
	}
	for (w = cf->cf_warnings; w != NULL && *w != NULL; w++)
		log_warn("config: %s", *w);
	reload_fixed(cur_cf, cf);
	if (mkdir_p(cf->cf_runtime_dir, 0755) == -1) {
		log_error("reload: runtime_dir %s: %s; keeping the running "
		    "configuration", cf->cf_runtime_dir, strerror(errno));
		config_unref(cf);
		return;
	}
	/* New prices start a period in the ledger before any row is
	 * billed under them. */
	up.up_per_request = cf->cf_price_per_request;
	up.up_per_gb_second = cf->cf_price_per_gb_second;
	up.up_granularity_ms = cf->cf_granularity_ms;
	up.up_currency = cf->cf_currency;
	if (usage_record_prices(first_ledger, &up, &errstr) == -1) {
		log_error("reload: the prices cannot be recorded: %s; keeping "
		    "the running configuration", errstr);
		config_unref(cf);
		return;
	}
	if (pool_reload(cf) == -1) {
		log_error("reload: out of memory; keeping the running "
		    "configuration");
		config_unref(cf);
		return;
	}
	front_reload(cf);
	if (sched_start(cf) == -1)
		log_error("reload: out of memory for the schedules; the old "
		    "ones run on");
	log_set_level((enum log_level)cf->cf_log_level);
	config_unref(cur_cf);
	cur_cf = cf;
	reloads++;
	if (pidfile_write(cur_cf->cf_runtime_dir, reloads) == -1)
		log_warn("pid file: %s", strerror(errno));
	log_info("reloaded %s: %zu functions", cf_path, cf->cf_nfns);
}

static void
sig_cb(struct ev *ev, uint32_t events)
{
	struct signalfd_siginfo	si;

	(void)events;
	while (read(ev->ev_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (stopping++) {
				log_info("second signal: stopping now");
				front_shutdown_now();
				sched_shutdown_now();
				break;
			}
			log_info("signal=%d: draining, then exiting",
			    (int)si.ssi_signo);
			systemd_notify("STOPPING=1");
			timer_set(&shutdown_timer,
			    cur_cf->cf_shutdown_timeout_ms);
			sched_drain();
			pool_drain();
			front_shutdown();
			break;
		case SIGHUP:
			reload();
			break;
		case SIGCHLD:
			spawn_strays_soon();
			break;
		default:
			break;
		}
	}
}

static int
cmd_serve(const char *path)
{
	struct usage_prices	 up;
	const char		*errstr;
	char			**w;
	rlim_t			 nofile;
	sigset_t		 set;

	if ((cur_cf = config_load(path, &errstr)) == NULL) {
		fprintf(stderr, "fngw: %s\n", errstr);
		return 1;
	}
	cf_path = path;
	if ((first_listen = strdup(cur_cf->cf_listen)) == NULL ||
	    (first_ledger = strdup(cur_cf->cf_billing_db)) == NULL)
		fatal("out of memory");
	log_set_level((enum log_level)cur_cf->cf_log_level);
	for (w = cur_cf->cf_warnings; w != NULL && *w != NULL; w++)
		log_warn("config: %s", *w);
	/* Before any thread: it edits the environment. */
	if (systemd_init(&errstr) == -1)
		fatal("%s", errstr);
	if (mkdir_p(cur_cf->cf_runtime_dir, 0755) == -1)
		fatal("runtime_dir %s: %s", cur_cf->cf_runtime_dir,
		    strerror(errno));
	nofile = spawn_raise_nofile();
	if (nofile != RLIM_INFINITY &&
	    nofile < (rlim_t)cur_cf->cf_max_connections + 64)
		log_warn("the open-file limit (%llu) leaves little room beyond "
		    "max_connections (%d): raise it (ulimit -n, LimitNOFILE=)",
		    (unsigned long long)nofile, cur_cf->cf_max_connections);
	if (geteuid() != 0)
		log_info("running as uid=%d, not root: every function runs "
		    "as this user", (int)geteuid());

	/* Orphans of our functions come back to us, to be killed. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		fatal("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	/* Signals are events (signalfd), blocked in every thread; SIGPIPE
	 * is ignored so a closed pipe is an EPIPE, never our death. */
	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd: %s", strerror(errno));

	if (loop_init() == -1)
		fatal("epoll: %s", strerror(errno));
	if (front_listen(cur_cf, &errstr) == -1)
		fatal("%s", errstr);
	up.up_per_request = cur_cf->cf_price_per_request;
	up.up_per_gb_second = cur_cf->cf_price_per_gb_second;
	up.up_granularity_ms = cur_cf->cf_granularity_ms;
	up.up_currency = cur_cf->cf_currency;
	if ((ledger = usage_open(cur_cf->cf_billing_db, &up, &errstr)) == NULL)
		fatal("billing_db %s: %s", cur_cf->cf_billing_db, errstr);
	if (usage_set_node(ledger, cur_cf->cf_node) == -1)
		fatal("out of memory");
	if (spawn_init() == -1)
		fatal("spawner thread: %s", strerror(errno));
	if (pool_setup(cur_cf) == -1)
		fatal("out of memory");
	if (pidfile_write(cur_cf->cf_runtime_dir, reloads) == -1)
		log_warn("pid file in %s: %s (fngw reload cannot find this "
		    "process)", cur_cf->cf_runtime_dir, strerror(errno));
	(void)front_start(cur_cf, ledger);
	pool_warm_start();
	if (sched_start(cur_cf) == -1)
		fatal("out of memory");

	ev_init(&sig_ev, sig_fd, sig_cb, NULL);
	ev_init(&spawn_ev, spawn_fd(), spawn_ev_cb, NULL);
	ev_init(&usage_ev, usage_fd(ledger), request_ledger_cb, NULL);
	if (loop_set(&sig_ev, EPOLLIN) == -1 ||
	    loop_set(&spawn_ev, EPOLLIN) == -1 ||
	    loop_set(&usage_ev, EPOLLIN) == -1)
		fatal("epoll_ctl: %s", strerror(errno));
	timer_init(&shutdown_timer, shutdown_cb, NULL);
	spawn_strays_start();

#ifdef FNGW_BENCH_NO_LEDGER
	log_warn("built with NO_LEDGER=1: no usage rows are written; for "
	    "bench/ledger-cost.sh only");
#endif
	log_info("listen=%s functions=%zu node=%s ledger=%s: serving",
	    front_listen_name(), cur_cf->cf_nfns, cur_cf->cf_node,
	    cur_cf->cf_billing_db);
	systemd_notify("READY=1");
	loop_run();
	sched_teardown();

	/* Every request has ended and its row is in: say goodbye. */
	front_close_listener();
	front_flush_all(1000);
	front_remove_socket();
	pidfile_remove();
	pool_stop_all();
	spawn_shutdown();
	(void)spawn_reap_strays();
	usage_close(ledger);
	pool_teardown();
	config_unref(cur_cf);
	free(first_listen);
	free(first_ledger);
	log_info("stopped");
	return 0;
}

static int
cmd_check(const char *path)
{
	struct config	*cf;
	const char	*errstr;
	char		**w;

	if ((cf = config_load(path, &errstr)) == NULL) {
		fprintf(stderr, "fngw: %s\n", errstr);
		return 1;
	}
	for (w = cf->cf_warnings; w != NULL && *w != NULL; w++)
		fprintf(stderr, "fngw: warning: %s\n", *w);
	config_print_routes(cf, STDOUT_FILENO);
	sched_print(cf, STDOUT_FILENO, time(NULL));
	printf("%s: configuration OK\n", path);
	config_free(cf);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*cmd = "serve", *path = NULL;
	int		 ch;

	guard_stdfds();
	usage_library_init();
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argc--;
		argv++;
	}
	if (strcmp(cmd, "usage") == 0) {
		argv[0] = "usage";
		return usage_report_main(argc, argv);
	}
	if (strcmp(cmd, "invoke") == 0) {
		argv[0] = "invoke";
		return invoke_main(argc, argv);
	}
	if (strcmp(cmd, "version") == 0) {
		printf("fngw %s\n", FNGW_VERSION);
		return 0;
	}
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		default:
			usage_exit();
		}
	}
	if (path == NULL || optind != argc)
		usage_exit();
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(path);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(path);
	if (strcmp(cmd, "reload") == 0)
		return reload_main(path);
	usage_exit();
}
