#!/bin/sh
# t1655-ledger-full.t -- the ledger's filesystem is full (a 64 MiB tmpfs,
# filled): the spill next to it cannot be written either, so rows wait
# in memory; with on_failure = reject new requests get their 503
# usage_unavailable at once (not after the ledger is back); a request in
# flight is held, not lost, and completes once there is room again.
. "${0%/*}/../lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (mount tmpfs)"
mkdir -p "$T/full"
mount -t tmpfs -o size=64m fngw-test "$T/full" 2>/dev/null ||
    skip_all "cannot mount a tmpfs here"
unmount() { umount "$T/full" 2>/dev/null || umount -l "$T/full" 2>/dev/null; :; }

use_handlers hello
start_gateway - <<'INI'
@GATEWAY@
status_path  = /fngw/status
status_allow = 127.0.0.1
[fn.hello]
route = ^/hello$
exec  = @BIN@/hello
INI
# The ledger on the small filesystem: restart with billing_db there.
stop_gateway
sed -i "s|^billing_db .*|billing_db = $T/full/usage.db|" "$T/fngw.ini"
start_gateway
start_nginx

fdb() { sqlite3 -batch "$T/full/usage.db" "$@"; }

test_expect_success 'served and billed while there is room' '
	hcurl /hello && [ "$code" = 200 ] &&
	wait_for "[ \$(fdb \"select count(*) from invocations\") -eq 1 ]" 5
'

test_expect_success 'the filesystem full: a request is held, a new one refused at once' '
	dd if=/dev/zero of="$T/full/filler" bs=64k 2>/dev/null;
	curl -s -o held.body -w "%{http_code}" --max-time 60 "$BASE/hello" \
		>held.code &
	hpid=$! &&
	wait_for "grep -q \"usage ledger cannot be written\" \"$T/fngw.log\"" 10 &&
	t0=$(now_ms) && hcurl /hello && took=$(( $(now_ms) - t0 )) &&
	say "refused in $took ms" &&
	[ "$code" = 503 ] && json_error body usage_unavailable head &&
	[ "$took" -lt 3000 ] && pid_alive $hpid
'

test_expect_success 'a flood of refusals meanwhile: rows kept in memory are bounded' '
	end=$(( $(now_ms) + 30000 )) &&
	while ! grep -q "refusals not recorded" "$T/fngw.log" &&
	    [ $(now_ms) -lt $end ]; do
		wrk -t2 -c16 -d2s "$BASE/hello" >>wrk.out 2>&1
	done &&
	grep "refusals not recorded" "$T/fngw.log" | tail -1 | sed "s/^/# /" &&
	backlog=$(curl -s "$BASE/fngw/status" | json_get /dev/stdin usage_backlog) &&
	rss=$(vmrss_kb "$GATEWAY_PID") &&
	say "rows waiting: $backlog; fngw VmRSS $rss kB" &&
	[ "$backlog" -le 20001 ] && pid_alive $hpid &&
	{ fngw_is_sanitized || [ "$rss" -lt 100000 ]; }
'

test_expect_success 'room again: the held request completes, every row is in' '
	rm -f "$T/full/filler" && wait $hpid && [ "$(cat held.code)" = 200 ] &&
	wait_for "grep -q \"usage ledger writable again\" \"$T/fngw.log\"" 10 &&
	wait_for "[ \$(fdb \"select count(*) from invocations where status = 200\") -eq 2 ]" 10 &&
	rows=$(fdb "select count(*) from invocations") && say "$rows rows" &&
	[ "$rows" -ge 20000 ] && [ "$rows" -le 20100 ] &&
	hcurl /hello && [ "$code" = 200 ] &&
	[ "$(fdb "pragma integrity_check")" = ok ]
'

stop_nginx
stop_gateway
unmount
test_done
