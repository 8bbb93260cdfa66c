#!/bin/sh
# t1690-wal.t -- a reader holding a snapshot (a long report) keeps the
# ledger's checkpoints from reaching the end of the WAL, which grows
# while fngw serves on; once the reader lets go, the WAL goes back to a
# bounded size (journal_size_limit, 16 MiB) and no row is lost.
. "${0%/*}/../lib.sh"

use_handlers counter_fcgi
start_gateway - <<'INI'
@GATEWAY@
[fn.counter]
route = ^/counter$
exec  = @BIN@/counter_fcgi
mode  = fastcgi
concurrency = 2
min_instances = 2
INI
start_nginx

wal=$T/usage.db-wal
wal_mb() { echo $(( $(stat -c %s "$wal" 2>/dev/null || echo 0) / 1048576 )); }

test_expect_success 'a reader holds a snapshot; the WAL grows past 20 MiB under load' '
	db "select 1" >/dev/null &&
	{ printf "BEGIN;\nSELECT count(*) FROM invocations;\n.shell sleep 15\nCOMMIT;\n" |
	    sqlite3 "$T/usage.db" >/dev/null & } && rpid=$! &&
	end=$(( $(now_ms) + 12000 )) &&
	while [ "$(wal_mb)" -lt 20 ] && [ $(now_ms) -lt $end ]; do
		wrk -t2 -c8 -d1s "$BASE/counter" >>wrk.out 2>&1
	done &&
	say "WAL at $(wal_mb) MiB with the reader in" && [ "$(wal_mb)" -ge 20 ] &&
	hcurl /counter && [ "$code" = 200 ]
'

test_expect_success 'the reader lets go: the WAL is back under 17 MiB' '
	wait $rpid &&
	for i in 1 2 3 4 5 6 7 8 9 10; do hcurl /counter || return 1; done &&
	wrk -t1 -c2 -d1s "$BASE/counter" >>wrk.out 2>&1 &&
	wait_for "[ \$(wal_mb) -lt 17 ]" 10 && say "WAL at $(wal_mb) MiB"
'

# wrk's completed requests, plus the 11 of hcurl (1 + 10).  Requests
# wrk leaves in flight when it stops may complete (a row wrk does not
# count) or be aborted (no 200 row): the bound is exact only for these.
test_expect_success 'no row lost, the database sound' '
	[ "$(db "pragma integrity_check")" = ok ] &&
	done=$(awk "/requests in/ { n += \$1 } END { print n + 11 }" wrk.out) &&
	rows=$(db "select count(*) from invocations where status = 200") &&
	say "$done requests completed, $rows rows of 200s" &&
	[ "$rows" -ge "$done" ] && [ "$(grep -c "Non-2xx" wrk.out)" = 0 ]
'

test_done
