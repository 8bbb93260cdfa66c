#!/bin/sh
# t1600-usage.t -- one usage row per request, with the right function,
# status, outcome, trigger, method, path, timings and byte counts; the
# usage report; function stderr in fngw's log.
. "${0%/*}/../lib.sh"

use_handlers hello echo sleep crash exit3 stderr
start_gateway - <<'INI'
@GATEWAY@
[billing]
granularity = 1ms

[fn.hello]
route   = ^/hello(?:/(?<name>[^/]+))?$
methods = GET POST
exec    = @BIN@/hello

[fn.echo]
route    = ^/echo$
exec     = @BIN@/echo
max_body = 1k

[fn.sleep]
route   = ^/sleep$
exec    = @BIN@/sleep
timeout = 1s

[fn.crash]
route = ^/crash$
exec  = @BIN@/crash

[fn.exit3]
route = ^/exit3$
exec  = @BIN@/exit3

[fn.stderr]
route = ^/stderr$
exec  = @BIN@/stderr

[fn.busy]
route         = ^/busy$
exec          = @BIN@/sleep
concurrency   = 1
queue         = 1
queue_timeout = 10s
INI
start_nginx

# row RID COLUMNS: the row of request RID, columns joined by |.
row() { db "select $2 from invocations where request_id = '$1'"; }
# req PATH [CURL ARGS]: a request; its X-Request-Id in $rid.
req() { hcurl "$@"; rid=$(hdr head X-Request-Id); [ -n "$rid" ]; }

test_expect_success 'ok: a 200 has its row' '
	req /hello/Ada && n=1 &&
	[ "$(row $rid "function, status, outcome, trigger, method, path")" = "hello|200|ok|http|GET|/hello/Ada" ] &&
	[ "$(row $rid node)" = test ]
'

test_expect_success 'error: exit 3 without output' '
	req /exit3 && n=$((n + 1)) &&
	[ "$(row $rid "function, status, outcome, exit_code")" = "exit3|502|error|3" ]
'

test_expect_success 'timeout' '
	req "/sleep?ms=5000" && n=$((n + 1)) &&
	[ "$(row $rid "status, outcome")" = "504|timeout" ]
'

test_expect_success 'crash: killed by a signal' '
	req /crash && n=$((n + 1)) &&
	[ "$(row $rid "status, outcome, signal")" = "502|crash|11" ]
'

test_expect_success 'rejected: 405 and 413' '
	req /hello -X DELETE && n=$((n + 1)) &&
	[ "$(row $rid "function, status, outcome, method")" = "hello|405|rejected|DELETE" ] &&
	head -c 2000 /dev/zero >b2k && req /echo --data-binary @b2k && n=$((n + 1)) &&
	[ "$(row $rid "function, status, outcome, billed_ms")" = "echo|413|rejected|0" ]
'

test_expect_success 'throttled: 503 from a full queue' '
	HC_BODY=a.body HC_HEAD=a.head hcurl "/busy?ms=1000" & a=$!
	wait_for "[ \$(count_fn_procs sleep) -ge 1 ]" 5 &&
	{ HC_BODY=b.body HC_HEAD=b.head hcurl "/busy?ms=1" & b=$!; } &&
	{ HC_BODY=c.body HC_HEAD=c.head hcurl "/busy?ms=1" & c=$!; } &&
	wait $a; wait $b; wait $c; n=$((n + 3));
	if [ "$(http_status b.head)" = 503 ]; then x=b; else x=c; fi &&
	rid=$(hdr $x.head X-Request-Id) &&
	[ "$(row $rid "function, status, outcome, billed_ms")" = "busy|503|throttled|0" ]
'

test_expect_success 'a 200 ms sleep: billed_ms in [200, 400), duration_us >= 200000' '
	req "/sleep?ms=200" && n=$((n + 1)) &&
	billed=$(row $rid billed_ms) && dur=$(row $rid duration_us) &&
	say "billed_ms=$billed duration_us=$dur" &&
	[ "$billed" -ge 200 ] && [ "$billed" -lt 400 ] && [ "$dur" -ge 200000 ]
'

# bytes_out counts the body bytes the function wrote, not its header
# block (an assumption: the SPEC does not say; raw echo answers with
# exactly the body it read).
test_expect_success 'bytes_in and bytes_out of an echo of 777 bytes' '
	head -c 777 /dev/urandom >b777 &&
	req "/echo?raw=1" --data-binary @b777 && n=$((n + 1)) && cmp b777 body &&
	[ "$(row $rid "bytes_in, bytes_out")" = "777|777" ]
'

test_expect_success 'there are as many rows as requests' '
	say "$n requests" && [ "$(db "select count(*) from invocations")" -eq $n ]
'

test_expect_success 'fngw usage --by function: names and counts' '
	"$FNGW" usage --db usage.db --by function >report 2>&1 && cat report | sed "s/^/# /" &&
	grep -E "(^|[^a-z])hello([^a-z]|$)" report | grep -Eq "(^|[^0-9.])2([^0-9.]|$)" &&
	grep -E "(^|[^a-z])busy([^a-z]|$)" report | grep -Eq "(^|[^0-9.])3([^0-9.]|$)" &&
	grep -q exit3 report && grep -q crash report
'

test_expect_success 'function stderr is in fngw'"'"'s log with function and request id' '
	req /stderr && [ "$code" = 200 ] &&
	wait_for "grep \"$rid\" fngw.log | grep -v front_finish | grep -q stderr" 5
'

test_done
