#!/bin/sh
# t1700-signals.t -- SIGTERM drains: the request in flight completes, its
# row is written, fngw exits 0 and leaves no function behind.
. "${0%/*}/../lib.sh"

use_handlers sleep
start_gateway - <<'INI'
@GATEWAY@
[fn.sleep]
route = ^/sleep$
exec  = @BIN@/sleep
INI
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

test_done
