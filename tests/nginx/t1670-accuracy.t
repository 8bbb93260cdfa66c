#!/bin/sh
# t1670-accuracy.t -- the usage figures against known work, in both
# modes: CPU of a 300 ms busy loop, the peak memory of 64 MiB touched,
# a 200 ms sleep's bill, exact byte counts; then SIGTERM under load:
# every request served has its row and nothing is left in the spill.
# Bounds that are facts (at least the work done) are exact; the others
# are generous under the sanitizer build (the tight ones: bench notes).
. "${0%/*}/../lib.sh"

use_handlers work echo counter_fcgi sleep
start_gateway - <<'INI'
@GATEWAY@
[billing]
granularity = 1ms

[fn.work]
route = ^/work$
exec  = @BIN@/work
timeout = 20s

[fn.echo]
route = ^/echo$
exec  = @BIN@/echo

[fn.sleep]
route = ^/sleep$
exec  = @BIN@/sleep

[fn.warm]
route = ^/warm$
methods = GET POST
exec  = @BIN@/counter_fcgi
mode  = fastcgi
timeout = 20s
concurrency = 4
INI
start_nginx

if fngw_is_sanitized; then tight=0; else tight=1; fi
row() { db "select $1 from invocations where request_id = '$(hdr_rid)'"; }
hdr_rid() { tr -d '\r' <head | sed -n 's/^X-Request-Id: //Ip'; }
got_row() { wait_for "[ -n \"\$(row status)\" ]" 5; }
# within V LO HI: LO <= V <= HI
within() { say "$1 in [$2, $3]?"; [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

test_expect_success 'cgi: a 300 ms busy loop reports 300 ms of CPU (+-15%)' '
	hcurl "/work?burn=300" && [ "$code" = 200 ] && got_row &&
	cpu=$(row "cpu_user_us + cpu_sys_us") &&
	if [ $tight = 1 ]; then within "$cpu" 300000 345000
	else within "$cpu" 300000 3000000; fi
'

test_expect_success 'warm: a 300 ms busy loop reports 300 ms of CPU (+-15%)' '
	hcurl "/warm?burn=300" && [ "$code" = 200 ] && got_row &&
	cpu=$(row "cpu_user_us + cpu_sys_us") &&
	if [ $tight = 1 ]; then within "$cpu" 300000 345000
	else within "$cpu" 300000 3000000; fi
'

test_expect_success 'cgi: 64 MiB touched reports max_rss_kb of 64 MiB (+-10%)' '
	hcurl "/work?touch=64" && [ "$code" = 200 ] && got_row &&
	within "$(row max_rss_kb)" 65536 72089
'

test_expect_success 'warm: 64 MiB touched reports max_rss_kb of 64 MiB (+-10%)' '
	hcurl "/warm?hog=64" && [ "$code" = 200 ] && got_row &&
	within "$(row max_rss_kb)" 65536 72089
'

test_expect_success 'a 200 ms sleep bills at least 200 ms' '
	hcurl "/sleep?ms=200" && [ "$code" = 200 ] && got_row &&
	within "$(row billed_ms)" 200 5000 &&
	within "$(row duration_us)" 200000 5000000
'

test_expect_success 'bytes exact, both modes' '
	head -c 100000 /dev/urandom >in &&
	hcurl /echo?raw=1 --data-binary @in && [ "$code" = 200 ] && got_row &&
	[ "$(row bytes_in)" = 100000 ] &&
	[ "$(row bytes_out)" = "$(wc -c <body | tr -d " ")" ] &&
	hcurl /warm --data-binary @in && [ "$code" = 200 ] && got_row &&
	grep -qx "body=100000" body && [ "$(row bytes_in)" = 100000 ] &&
	[ "$(row bytes_out)" = "$(wc -c <body | tr -d " ")" ]
'

test_expect_success 'memory_mb is the documented default (128) when unset' '
	[ "$(row memory_mb)" = 128 ]
'

test_expect_success 'SIGTERM under load: every request served has its row' '
	curl -s -Z --parallel-max 8 --max-time 30 \
		-w "%{http_code} %header{x-request-id} %{exitcode}\n" \
		-o /dev/null "$BASE/warm?sleep=20&i=[1-200]" \
		-o /dev/null "$BASE/echo?i=[1-200]" >codes 2>/dev/null &
	cpid=$! &&
	wait_for "[ \$(grep -c \"^200 \" codes) -ge 50 ]" 20 &&
	kill -TERM "$GATEWAY_PID" && { wait $cpid; :; } &&
	served=$(grep -c "^200 .* 0\$" codes) && say "served: $served" &&
	grep "^200 .* 0\$" codes | while read -r st id rc; do
		[ "$(db "select count(*) from invocations where request_id = '"'"'$id'"'"'")" = 1 ] ||
		    { say "no row for $id"; exit 1; }
	done &&
	stop_gateway && [ "$GATEWAY_EXIT" = 0 ] &&
	[ ! -e "$T/usage.db.spill" ]
'

test_done
