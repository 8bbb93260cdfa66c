#!/bin/sh
# t0810-report-nodes.t -- fngw usage over the ledgers of two nodes:
# merged totals, and --by node to show each node's share.
. "${0%/*}/../lib.sh"

use_handlers hello
start_gateway - <<'INI'
@GATEWAY@
[fn.hello]
route = ^/hello$
exec  = @BIN@/hello
INI

test_expect_success 'two nodes: 3 requests on one, 2 on the other' '
	for i in 1 2 3; do fcgi_request GET /hello >/dev/null || return 1; done &&
	wait_for "[ \$(db \"select count(*) from invocations\") -eq 3 ]" 5 &&
	stop_gateway && cp "$T/usage.db" web1.db &&
	db "delete from invocations where id > 2; update invocations set node = '"'"'web2'"'"'" &&
	cp "$T/usage.db" web2.db && rm -f "$T/usage.db"*
'

test_expect_success '--by function merges the nodes' '
	"$FNGW" usage --db web1.db --db web2.db --by function --format csv >out &&
	grep -q "^hello,5," out
'

test_expect_success '--by node shows each node' '
	"$FNGW" usage --db web1.db --db web2.db --by node,function \
		--format csv >out && cat out | sed "s/^/# /" &&
	grep -q "^test,hello,3," out && grep -q "^web2,hello,2," out
'

test_expect_success '--by node in json and table too' '
	"$FNGW" usage --db web1.db --db web2.db --by node --format json >j &&
	grep -q "\"node\": *\"web2\"" j &&
	"$FNGW" usage --db web1.db --db web2.db --by node >t &&
	grep -q "^node" t && grep -q "^web2 " t
'

test_expect_success '-c FILE without --db reads the config'"'"'s billing_db' '
	cp web1.db "$T/usage.db" &&
	"$FNGW" usage -c "$T/fngw.ini" --by function --format csv >out &&
	grep -q "^hello,3," out &&
	! "$FNGW" usage -c "$T/missing.ini" >out 2>err && grep -q missing.ini err
'

test_done
