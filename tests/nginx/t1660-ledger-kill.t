#!/bin/sh
# t1660-ledger-kill.t -- SIGKILL fngw under load through nginx: every
# request whose complete response a client received (curl exit 0: a
# reply cut off by the kill is not complete) has its row (rows are
# committed before END_REQUEST), the database passes
# integrity_check, nothing fngw started outlives it, and fngw starts
# again on the same database.
. "${0%/*}/../lib.sh"

use_handlers hello counter_fcgi
cat >"$T/kill.ini.in" <<'INI'
@GATEWAY@
[fn.hello]
route = ^/hello$
exec  = @BIN@/hello

[fn.counter]
route = ^/counter$
exec  = @BIN@/counter_fcgi
mode  = fastcgi
concurrency = 4
INI
start_gateway "$T/kill.ini.in"
start_nginx

test_expect_success 'load, and SIGKILL fngw in the middle of it' '
	curl -s -Z --parallel-max 8 --max-time 20 \
		-w "%{http_code} %header{x-request-id} %{exitcode}\n" \
		-o /dev/null "$BASE/hello?i=[1-400]" \
		-o /dev/null "$BASE/counter?i=[1-400]" >codes 2>/dev/null &
	cpid=$! &&
	wait_for "[ \$(grep -c \"^200 \" codes) -ge 100 ]" 20 &&
	kill -KILL "$GATEWAY_PID" && gw=$GATEWAY_PID && GATEWAY_PID= &&
	wait $cpid;
	ok=$(grep -c "^200 .* 0\$" codes) &&
	say "complete before the kill: $ok of $(wc -l <codes)" &&
	[ "$ok" -ge 100 ] && [ "$ok" -lt 800 ]
'

test_expect_success 'every response a client saw whole has its row' '
	grep "^200 .* 0\$" codes | while read -r st id rc; do
		[ "$(db "select count(*) from invocations where request_id = '"'"'$id'"'"'")" = 1 ] ||
		    { say "no row for $id"; exit 1; }
	done
'

test_expect_success 'the database is sound' '
	[ "$(db "pragma integrity_check")" = ok ]
'

test_expect_success 'nothing fngw started outlives it' '
	wait_for no_fn_procs 10
'

test_expect_success 'fngw starts again on the same database and bills on' '
	n=$(db "select count(*) from invocations") &&
	start_gateway && hcurl /counter && [ "$code" = 200 ] &&
	wait_for "[ \$(db \"select count(*) from invocations\") -eq $((n + 1)) ]" 5
'

test_done
