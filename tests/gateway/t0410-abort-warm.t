#!/bin/sh
# t0410-abort-warm.t -- the web server goes away while a warm instance's
# reply waits for it to read (fngw paused the instance: the web server's
# socket was full).  The abort must drain the rest of the reply and
# drop it: before, the instance stayed paused, blocked in its write,
# until the function's timeout killed it ("instance killed by signal 9
# mid-request", in the standing benchmark's logs), so the row came 20 s
# late, billed those 20 s, and the warm instance was lost.
. "${0%/*}/../lib.sh"

use_handlers counter_fcgi
start_gateway - <<'INI'
@GATEWAY@
[fn.counter]
route       = ^/counter$
exec        = @BIN@/counter_fcgi
mode        = fastcgi
concurrency = 1
timeout     = 20s
INI

pid_of() { sed -n 's/^pid=//p' "$1" | tr -d '\r'; }

test_expect_success 'a warm instance answers' '
	fcgi_request GET /counter >out && [ "$(cgi_status out)" = 200 ] &&
	pid1=$(pid_of out) && [ -n "$pid1" ]
'

test_expect_success 'a client that reads nothing of 8 MiB and hangs up: aborted at once' '
	t0=$(now_ms) &&
	fcgiraw "begin 1" "cgi 1 GET /counter?pad=8192 REQUEST_ID=paused-1" \
	    "stdin 1" "sleep 500" close >/dev/null &&
	wait_for "[ \"\$(db \"select outcome from invocations where request_id = '"'"'paused-1'"'"'\")\" = aborted ]" 15 &&
	say "row after $(( $(now_ms) - t0 )) ms" &&
	dur=$(db "select duration_us from invocations where request_id = '"'"'paused-1'"'"'") &&
	say "duration_us $dur" && [ "$dur" -lt 10000000 ]
'

test_expect_success 'the same warm instance serves the next request' '
	fcgi_request GET /counter >out && [ "$(cgi_status out)" = 200 ] &&
	[ "$(pid_of out)" = "$pid1" ] &&
	! grep -q "level=warn.*request_id=paused-1" "$T/fngw.log"
'

test_done
