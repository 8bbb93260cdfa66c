#!/bin/sh
# t1500-timeout.t -- a timeout kills the whole process group; escaped
# (setsid) grandchildren are reaped through the subreaper; a grandchild
# holding stdout does not hold the request.
. "${0%/*}/../lib.sh"

use_handlers forker
start_gateway - <<'INI'
@GATEWAY@
[fn.forker]
route   = ^/forker$
exec    = @BIN@/forker
timeout = 1s
INI
start_nginx

test_expect_success 'mode=timeout: 504, then neither parent nor grandchild is left' '
	hcurl "/forker?mode=timeout" && [ "$code" = 504 ] &&
	json_error body timeout head &&
	wait_for "no_fn_procs forker" 5
'

test_expect_success 'mode=setsid: the escaped grandchild is killed too' '
	hcurl "/forker?mode=setsid" && [ "$code" = 200 ] &&
	pid=$(sed -n "s/^pid=\([0-9]*\).*/\1/p" body) && say "grandchild $pid" &&
	[ -n "$pid" ] && wait_for "! pid_alive $pid" 5 && wait_for "no_fn_procs forker" 5
'

test_expect_success 'mode=holdout: the request ends promptly, the grandchild is gone' '
	start=$(now_ms) && CURL_TIMEOUT=15 hcurl "/forker?mode=holdout" &&
	took=$(( $(now_ms) - start )) && say "took $took ms" &&
	[ "$code" = 200 ] && [ $took -lt 3000 ] &&
	pid=$(sed -n "s/^pid=\([0-9]*\).*/\1/p" body) && [ -n "$pid" ] &&
	wait_for "! pid_alive $pid" 5 && wait_for "no_fn_procs forker" 5
'

test_expect_success 'fngw has no zombie child' '
	wait_for "[ -z \"\$(zombies_of $GATEWAY_PID)\" ]" 5
'

test_done
