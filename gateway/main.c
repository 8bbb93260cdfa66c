/*
 * main.c -- the command line: serve, check, usage, version.
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
#include <unistd.h>

#include "config.h"
#include "front.h"
#include "log.h"
#include "loop.h"
#include "pool.h"
#include "request.h"
#include "spawn.h"
#include "systemd.h"
#include "usage.h"

#ifndef FNGW_VERSION
#define FNGW_VERSION	"0.1.0"
#endif

static struct config	*cur_cf;	/* the snapshot in force */
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
	    "       fngw usage [-c FILE] --db FILE [--db FILE ...]"
	    " [--from DATE] [--to DATE]\n"
	    "                  [--by function|tenant|node|day|hour[,...]]"
	    " [--format table|csv|json|html]\n"
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
				break;
			}
			log_info("signal=%d: draining, then exiting",
			    (int)si.ssi_signo);
			systemd_notify("STOPPING=1");
			timer_set(&shutdown_timer,
			    cur_cf->cf_shutdown_timeout_ms);
			pool_drain();
			front_shutdown();
			break;
		case SIGHUP:
			/* XXX reload comes with the operations work
			 * (issue 6); until then the old config stays. */
			log_warn("SIGHUP: reload is not supported yet; "
			    "keeping the running configuration");
			break;
		case SIGCHLD:
			spawn_strays_soon();
			break;
		default:
			break;
		}
	}
}

static void
spawn_cb(struct ev *ev, uint32_t events)
{
	struct spawn	*sp, *next;

	(void)ev;
	(void)events;
	for (sp = spawn_done(); sp != NULL; sp = next) {
		next = sp->sp_next;
		sp->sp_done(sp);
	}
}

static void
usage_cb(struct ev *ev, uint32_t events)
{
	(void)ev;
	(void)events;
	request_logged(usage_done(ledger));
}

static int
cmd_serve(const char *path)
{
	struct usage_prices	 up;
	const char		*errstr;
	sigset_t		 set;

	if ((cur_cf = config_load(path, &errstr)) == NULL) {
		fprintf(stderr, "fngw: %s\n", errstr);
		return 1;
	}
	log_set_level((enum log_level)cur_cf->cf_log_level);
	/* Before any thread: it edits the environment. */
	if (systemd_init(&errstr) == -1)
		fatal("%s", errstr);
	if (mkdir_p(cur_cf->cf_runtime_dir, 0755) == -1)
		fatal("runtime_dir %s: %s", cur_cf->cf_runtime_dir,
		    strerror(errno));
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
	(void)front_start(cur_cf, ledger);
	pool_warm_start();

	ev_init(&sig_ev, sig_fd, sig_cb, NULL);
	ev_init(&spawn_ev, spawn_fd(), spawn_cb, NULL);
	ev_init(&usage_ev, usage_fd(ledger), usage_cb, NULL);
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
	log_info("listening on %s with %zu functions, node=%s, ledger=%s",
	    front_listen_name(), cur_cf->cf_nfns, cur_cf->cf_node,
	    cur_cf->cf_billing_db);
	systemd_notify("READY=1");
	loop_run();

	/* Every request has ended and its row is in: say goodbye. */
	front_close_listener();
	front_flush_all(1000);
	front_remove_socket();
	pool_stop_all();
	spawn_shutdown();
	(void)spawn_reap_strays();
	usage_close(ledger);
	pool_teardown();
	config_unref(cur_cf);
	log_info("stopped");
	return 0;
}

static int
cmd_check(const char *path)
{
	struct config	*cf;
	const char	*errstr;

	if ((cf = config_load(path, &errstr)) == NULL) {
		fprintf(stderr, "fngw: %s\n", errstr);
		return 1;
	}
	config_print_routes(cf, STDOUT_FILENO);
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
	if (argc > 1 && argv[1][0] != '-') {
		cmd = argv[1];
		argc--;
		argv++;
	}
	if (strcmp(cmd, "usage") == 0) {
		argv[0] = "usage";
		return usage_report_main(argc, argv);
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
	usage_exit();
}
