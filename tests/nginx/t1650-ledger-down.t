#!/bin/sh
# t1650-ledger-down.t -- the usage ledger cannot be written (its WAL made
# immutable with chattr +i: root ignores file modes): with the default
# on_failure = reject, new requests get 503 usage_unavailable and serving
# resumes by itself once it is writable; with on_failure = serve, they
# are served and their rows wait in billing_db.spill, replayed once it is
# writable.  No row is lost either way.
. "${0%/*}/../lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (chattr +i)"
command -v chattr >/dev/null || skip_all "no chattr"
probe=$T/.chattr-probe
: >"$probe" && chattr +i "$probe" 2>/dev/null ||
    skip_all "this filesystem has no immutable flag"
chattr -i "$probe"

use_handlers hello
write_ini() {
	write_config - <<INI
@GATEWAY@
status_path  = /fngw/status
status_allow = 127.0.0.1
[billing]
on_failure = $1

[fn.hello]
route = ^/hello$
exec  = @BIN@/hello
INI
}
write_ini reject
start_gateway
start_nginx

wal=$T/usage.db-wal
unfreeze() { chattr -i "$wal" 2>/dev/null; :; }
ids=$T/ids
# get: one request; its status and X-Request-Id go to $ids.
get() {
	hcurl /hello
	echo "$code $(tr -d '\r' <head | sed -n 's/^X-Request-Id: //Ip')" >>"$ids"
}
rows() { db "select count(*) from invocations"; }

test_expect_success 'served and billed while the ledger is fine' '
	get && get && [ "$code" = 200 ] &&
	wait_for "[ \$(rows) -eq 2 ]" 5 && [ -f "$wal" ]
'

test_expect_success 'reject: once a commit fails, new requests get 503' '
	chattr +i "$wal" &&
	get && say "the request that found out: $code" &&
	wait_for "get && [ \"\$code\" = 503 ]" 10 &&
	json_error body usage_unavailable head &&
	grep -q "usage ledger cannot be written" "$T/fngw.log" &&
	[ -s "$T/usage.db.spill" ] &&
	curl -s "$BASE/fngw/status" | grep -q "\"usage_writable\":false" &&
	curl -s "$BASE/fngw/status" | grep -q "\"usage_spilled_rows\":[1-9]" &&
	curl -s "$BASE/fngw/status?format=prometheus" |
	    grep -qx "fngw_usage_writable 0"
'

test_expect_success 'reject: writable again, it serves by itself, spill replayed' '
	unfreeze &&
	wait_for "get && [ \"\$code\" = 200 ]" 10 &&
	wait_for "[ ! -e \"$T/usage.db.spill\" ]" 10 &&
	grep -q "usage ledger writable again" "$T/fngw.log" &&
	curl -s "$BASE/fngw/status" | grep -q "\"usage_writable\":true"
'

test_expect_success 'reject: every request the client saw has its one row' '
	n=$(wc -l <"$ids") && wait_for "[ \$(rows) -eq $n ]" 5 &&
	while read -r st id; do
		[ "$(db "select count(*) from invocations where request_id = '"'"'$id'"'"'")" = 1 ] ||
		    { say "no single row for $st $id"; return 1; }
	done <"$ids" &&
	[ "$(db "select count(*) from invocations where status = 503")" = \
	    "$(grep -c "^503 " "$ids")" ] &&
	[ "$(db "pragma integrity_check")" = ok ]
'

test_expect_success 'another writer holds the ledger 3 s: serving goes on, rows kept' '
	: >"$ids" && base=$(rows) &&
	{ printf "BEGIN IMMEDIATE;\n.shell sleep 3\nCOMMIT;\n" |
	    sqlite3 "$T/usage.db" & } && lpid=$! &&
	t0=$(now_ms) &&
	for i in 1 2 3 4 5 6 7 8 9 10; do get && [ "$code" = 200 ] || return 1; done &&
	took=$(( $(now_ms) - t0 )) && say "10 requests in $took ms under the lock" &&
	wait $lpid && [ "$took" -lt 3000 ] &&
	wait_for "[ ! -e \"$T/usage.db.spill\" ]" 10 &&
	wait_for "[ \$(rows) -eq $((base + 10)) ]" 5 &&
	! grep -q "usage ledger cannot be written (database is locked)" "$T/fngw.log"
'

test_expect_success 'serve: restart with on_failure = serve' '
	stop_gateway && write_ini serve && start_gateway && : >"$ids" &&
	base=$(rows) && get && [ "$code" = 200 ]
'

test_expect_success 'serve: the ledger down, requests are still served, rows spill' '
	chattr +i "$wal" &&
	for i in 1 2 3 4 5 6; do get && [ "$code" = 200 ] || return 1; done &&
	wait_for "[ -s \"$T/usage.db.spill\" ]" 5 &&
	say "spilled: $(wc -l <"$T/usage.db.spill") rows"
'

test_expect_success 'serve: writable again, the spill goes into the ledger' '
	unfreeze &&
	wait_for "[ ! -e \"$T/usage.db.spill\" ]" 10 &&
	n=$(wc -l <"$ids") &&
	wait_for "[ \$(rows) -eq $((base + n)) ]" 5 &&
	while read -r st id; do
		[ "$(db "select count(*) from invocations where request_id = '"'"'$id'"'"'")" = 1 ] ||
		    { say "no single row for $st $id"; return 1; }
	done <"$ids"
'

test_expect_success 'a spill left by a stopped fngw is replayed at start-up' '
	chattr +i "$wal" && get && [ "$code" = 200 ] &&
	wait_for "[ -s \"$T/usage.db.spill\" ]" 5 &&
	stop_gateway && unfreeze && start_gateway &&
	wait_for "[ ! -e \"$T/usage.db.spill\" ]" 10 &&
	id=$(tail -1 "$ids" | cut -d" " -f2) &&
	[ "$(db "select count(*) from invocations where request_id = '"'"'$id'"'"'")" = 1 ]
'

unfreeze
test_done
