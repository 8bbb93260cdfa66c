#!/bin/sh
# t1400-concurrency.t -- 200 concurrent requests against concurrency=4,
# queue=64: each gets 200 or 503, none is lost, each has its usage row.
. "${0%/*}/../lib.sh"

use_handlers sleep
start_gateway - <<'INI'
@GATEWAY@
[fn.sleep]
route         = ^/sleep$
exec          = @BIN@/sleep
concurrency   = 4
queue         = 64
queue_timeout = 2s
INI
start_nginx

test_expect_success '200 concurrent requests: every one 200 or 503' '
	mkdir -p c &&
	curl -s --no-progress-meter -Z --parallel-max 200 --max-time 60 -o "c/#1" \
		-w "%{http_code}\n" "$BASE/sleep?ms=100&i=[1-200]" >codes 2>curl.err;
	ok=$(grep -cx 200 codes); busy=$(grep -cx 503 codes);
	say "200: $ok, 503: $busy, lines: $(wc -l <codes)" &&
	[ $(wc -l <codes) -eq 200 ] && [ $((ok + busy)) -eq 200 ] && [ $ok -ge 4 ]
'

test_expect_success 'the usage table has exactly 200 rows, as many ok as 200s' '
	[ "$(db "select count(*) from invocations where function = '"'"'sleep'"'"'")" -eq 200 ] &&
	[ "$(db "select count(*) from invocations where status = 200 and outcome = '"'"'ok'"'"'")" -eq $ok ] &&
	[ "$(db "select count(*) from invocations where status = 503 and outcome = '"'"'throttled'"'"'")" -eq $busy ]
'

test_expect_success 'no function process is left' '
	wait_for "no_fn_procs" 5
'

test_done
