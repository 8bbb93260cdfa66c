#!/bin/sh
# t1700-signals.t -- SIGTERM drains: the request in flight completes, its
# row is written, fngw exits 0 and leaves no function behind.  A second
# signal stops at once: what still runs is killed, its rows are written
# (aborted), the warm instances go, and fngw still exits 0.
. "${0%/*}/../lib.sh"

use_handlers sleep counter_fcgi
cat >"$T/signals.ini.in" <<'INI'
@GATEWAY@
status_path = /fngw/status

[fn.sleep]
route = ^/sleep$
exec  = @BIN@/sleep

[fn.counter]
route         = ^/counter$
exec          = @BIN@/counter_fcgi
mode          = fastcgi
min_instances = 2
INI
start_gateway "$T/signals.ini.in"
start_nginx

test_expect_success 'SIGTERM with a request in flight: it still gets its 200' '
	hcurl "/sleep?ms=1500" & req=$!
	wait_for "[ \$(count_fn_procs sleep) -ge 1 ]" 5 &&
	gw=$GATEWAY_PID && kill -TERM $gw &&
	wait $req && [ "$(http_status head)" = 200 ]
'

test_expect_success 'the in-flight request has its row' '
	rid=$(hdr head X-Request-Id) &&
	[ "$(db "select status || outcome from invocations where request_id = '"'"'$rid'"'"'")" = 200ok ]
'

test_expect_success 'fngw exits 0' '
	stop_gateway; [ "$GATEWAY_EXIT" = 0 ]
'

test_expect_success 'no function process is left' '
	no_fn_procs
'

# warm_busy: the counter's busy instances, from the status page.
warm_busy() {
	curl -s --max-time 5 "$BASE/fngw/status" | perl -MJSON::PP -e '
		local $/; my $j = JSON::PP->new->decode(<STDIN>);
		$_->{name} eq "counter" and print $_->{instances}{busy}
		    for @{$j->{functions}}'
}

test_expect_success 'again, with a slow cgi request and a warm one in flight' '
	start_gateway "$T/signals.ini.in" &&
	wait_for "[ \$(count_fn_procs counter_fcgi) = 2 ]" 10 &&
	{ HC_BODY=c.body HC_HEAD=c.head hcurl "/sleep?ms=30000" >/dev/null 2>&1 & c=$!; } &&
	{ HC_BODY=w.body HC_HEAD=w.head hcurl "/counter?sleep=30000" >/dev/null 2>&1 & w=$!; } &&
	wait_for "[ \$(count_fn_procs sleep) = 1 ]" 10 &&
	wait_for "[ \"\$(warm_busy)\" = 1 ]" 10 &&
	gw=$GATEWAY_PID && kill -TERM $gw &&
	wait_for "grep -q \"draining, then exiting\" \"$T/fngw.log\"" 5
'

test_expect_success 'a second SIGTERM stops at once, and exits 0' '
	start=$(now_ms) && kill -TERM $gw &&
	wait_for "! pid_alive $gw" 10 && took=$(( $(now_ms) - start )) &&
	say "stopped $took ms after the second signal" && [ "$took" -lt 8000 ] &&
	wait $gw; rc=$?; GATEWAY_PID= && say "exit $rc" && [ "$rc" = 0 ]
'

test_expect_success 'the two requests it cut short have their rows, aborted' '
	wait $c; wait $w;
	say "$(db "select function, outcome from invocations order by id" | tr "\n" " ")" &&
	[ "$(db "select count(*) from invocations where function = '"'"'sleep'"'"' and outcome = '"'"'aborted'"'"'")" = 1 ] &&
	[ "$(db "select count(*) from invocations where function = '"'"'counter'"'"' and outcome = '"'"'aborted'"'"'")" = 1 ]
'

test_expect_success 'and no function process, instance or socket is left' '
	no_fn_procs && [ -z "$(ls "$T"/counter.*.sock 2>/dev/null)" ]
'

test_done
