#!/bin/sh
# t2000-demo.t -- the demo of `make run` (tests/run-demo.sh, here with
# RUN= pointing into the test's directory): nginx in front of fngw
# serves the example functions, writes usage rows, and a Ctrl-C (SIGINT
# to the whole process group, as a terminal sends it) stops everything
# and exits 0.
. "${0%/*}/../lib.sh"

PORT=$(free_port)
DEMO=$T/demo
# A process group of its own, like a terminal's foreground job, and
# SIGINT back at its default: a non-interactive shell starts background
# jobs with SIGINT ignored, and a shell cannot trap what it was started
# ignoring, where a terminal's Ctrl-C reaches the demo like any signal.
RUN=$DEMO setsid perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die' \
    sh "$TOP/tests/run-demo.sh" "$PORT" >"$T/demo.out" 2>&1 &
DEMO_PID=$!
track_pid "$DEMO_PID"
wait_for "curl -s -o /dev/null http://127.0.0.1:$PORT/hello" 20 ||
    { show_tail "$T/demo.out" 20; test_fatal "the demo does not answer"; }

demo_procs() { pgrep -f "$DEMO/" 2>/dev/null | grep -vx "$$" || :; }

test_expect_success 'the demo prints the URLs to try' '
	wait_for "grep -q \"curl http://127.0.0.1:$PORT/hello/Ada\" $T/demo.out" 10
'

test_expect_success 'its functions answer through nginx' '
	[ "$(curl -s http://127.0.0.1:$PORT/hello/Ada)" = "Hello, Ada!" ] &&
	curl -s http://127.0.0.1:$PORT/sh | grep -q "hello-sh" &&
	curl -s -d hi "http://127.0.0.1:$PORT/echo/x?y=1" | grep -qx "path_info=/x"
'

test_expect_success 'the fastcgi function stays warm: one pid, counting' '
	curl -s http://127.0.0.1:$PORT/counter >c1 &&
	curl -s http://127.0.0.1:$PORT/counter >c2 &&
	[ "$(sed -n "s/^pid=//p" c1)" = "$(sed -n "s/^pid=//p" c2)" ] &&
	grep -qx "count=1" c1 && grep -qx "count=2" c2
'

test_expect_success 'php-cgi serves the PHP script as a warm pool' '
	curl -s http://127.0.0.1:$PORT/php/Ada >p1 &&
	curl -s http://127.0.0.1:$PORT/php/Bob >p2 &&
	grep -q "^Hello from PHP .*, Ada!$" p1 && grep -q ", Bob!$" p2 &&
	[ "$(sed -n "s/^pid=//p" p1)" = "$(sed -n "s/^pid=//p" p2)" ]
'

test_expect_success 'each request has its usage row' '
	wait_for "[ \$(sqlite3 $DEMO/usage.db \"select count(*) from invocations\") -ge 3 ]" 5 &&
	sqlite3 "$DEMO/usage.db" "select function from invocations" | sort -u |
	    tr "\n" " " | grep -q "counter echo hello hello-sh php" &&
	[ "$(sqlite3 "$DEMO/usage.db" "select cold_start from invocations where function = '"'"'counter'"'"' order by id")" = "$(printf "1\n0")" ]
'

test_expect_success 'Ctrl-C stops nginx and fngw, exits 0, leaves no process' '
	[ -n "$(demo_procs)" ] &&
	kill -s INT -- "-$DEMO_PID" &&
	{ wait_for "! pid_alive $DEMO_PID" 20 ||
	    { ps -o pid,pgid,stat,cmd -g "$DEMO_PID" | sed "s/^/# /"; false; }; } &&
	{ wait "$DEMO_PID"; rc=$?; } ; say "demo exit $rc" && [ "$rc" = 0 ] &&
	wait_for "[ -z \"\$(demo_procs)\" ]" 10
'

test_done
