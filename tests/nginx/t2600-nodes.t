#!/bin/sh
# t2600-nodes.t -- two fngw nodes behind one nginx upstream (issue 7),
# each with its own ledger and node name, as README's "Several nodes
# behind one nginx" sets them up.  nginx passes a request on to the
# other node when the first fails before answering: a node drained
# (SIGTERM) or killed (SIGKILL) in the middle of a load fails no GET,
# except those whose answer had begun (SIGKILL), which nginx cannot
# retry.  A request that ran on a and then on b (a read timeout) has a
# row in each ledger under one request id: `fngw usage --retried` lists
# it, and the merged totals count every row once.  A POST is not
# retried once sent; it is when the node refused the connection.
. "${0%/*}/../lib.sh"

use_handlers hello sleep

# stream: 4 KiB of body at once, then the sleep handler's answer after
# ms=N: a reply that is under way (nginx has sent its headers on).
cat >"$T/bin/stream" <<EOF
#!/bin/sh
printf 'Content-Type: text/plain\n\n'
i=0
while [ \$i -lt 64 ]; do printf '%063d\n' 0; i=\$((i + 1)); done
exec "$T/bin/sleep"
EOF
chmod 0755 "$T/bin/stream"

# node NAME SLOW_EXEC [EXTRA]: the config of node NAME; /slow runs
# SLOW_EXEC there (node a is the slow one: it sleeps).
node_ini() {
	cat <<INI
@GATEWAY@
$3
[billing]
price_per_request   = 0.001
price_per_gb_second = 0.01

[fn.hello]
route = ^/hello$
exec  = @BIN@/hello
methods = GET POST

[fn.sleep]
route = ^/sleep$
exec  = @BIN@/sleep
concurrency = 16

[fn.stream]
route = ^/stream$
exec  = @BIN@/stream

[fn.slow]
route = ^/slow$
exec  = @BIN@/$2
methods = GET POST PUT
INI
}
node_ini a sleep >"$T/a.ini.in"
node_ini b hello "cron = off" >"$T/b.ini.in"
start_node a "$T/a.ini.in"
start_node b "$T/b.ini.in"

# The upstream of README's "Several nodes behind one nginx"; and one
# that always tries a first (b is its backup), for requests whose
# node must be known.
loc='include /etc/nginx/fastcgi_params;
	fastcgi_param REQUEST_ID $request_id;
	fastcgi_keep_conn on;
	rewrite ^/[a-z]+(/.*)$ $1 break;
	fastcgi_pass fngw_first;'
NGINX_UPSTREAM="server unix:$T/a.sock max_fails=1 fail_timeout=2s;
	server unix:$T/b.sock max_fails=1 fail_timeout=2s;
	keepalive 16;"
NGINX_HTTP_EXTRA="log_format nodes '\$request_id \$status \$upstream_status \"\$upstream_addr\"';
	upstream fngw_first {
		server unix:$T/a.sock max_fails=0;
		server unix:$T/b.sock backup;
		keepalive 4;
	}"
NGINX_SERVER_EXTRA="access_log $T/nginx/nodes.log nodes;
	location /first/ { $loc }
	location /impatient/ { $loc fastcgi_read_timeout 1s;
		fastcgi_request_buffering off; }
	location /buffered/ { $loc fastcgi_read_timeout 1s; }"
# As nginx/fngw.conf has it, with nginx's default next_upstream.
NGINX_LOCATION_EXTRA='fastcgi_request_buffering off;
	fastcgi_next_upstream error timeout;'
start_nginx

test_expect_success 'both nodes serve, each with its own ledger' '
	for i in 1 2 3 4 5 6; do hcurl /hello && [ "$code" = 200 ] || return 1; done &&
	wait_for "[ \$(node_db a \"select count(*) from invocations\") -ge 1 ]" 5 &&
	wait_for "[ \$(node_db b \"select count(*) from invocations\") -ge 1 ]" 5 &&
	[ "$(node_db a "select distinct node from invocations")" = a ] &&
	[ "$(node_db b "select distinct node from invocations")" = b ]
'

# rows ID: "node outcome" of each row of request ID, both ledgers.
rows() {
	for r_n in a b; do
		node_db $r_n "select node, outcome from invocations
		    where request_id = '$1' order by started_at"
	done | tr '|' ' '
}

# tries ID: nginx's upstream_status of request ID ("504, 200": a
# first try answered 504, a second 200).
tries() { sed -n "s/^$1 [0-9]* \(.*\) \".*/\1/p" "$T/nginx/nodes.log"; }

test_expect_success 'a read timeout on a: retried on b, two rows with one request_id' '
	hcurl "/impatient/slow?ms=3000" && [ "$code" = 200 ] &&
	grep -q "Hello, world" body && rid_twice=$(hdr head X-Request-Id) &&
	[ "$(tries $rid_twice)" = "504, 200" ] &&
	wait_for "[ \$(rows $rid_twice | wc -l) = 2 ]" 10 &&
	[ "$(rows $rid_twice)" = "$(printf "a aborted\nb ok")" ]
'

test_expect_success 'a POST is not retried once sent (non_idempotent): 504, one row' '
	hcurl "/impatient/slow?ms=3000" -d x=1 && [ "$code" = 504 ] &&
	id=$(grep "\"unix:$T/a.sock\"\$" "$T/nginx/nodes.log" | tail -n 1 | cut -d" " -f1) &&
	[ "$(tries $id)" = 504 ] &&
	wait_for "[ \"\$(rows $id)\" = \"a aborted\" ]" 10
'

# A body that did not come with the headers (nginx keeps one that did).
test_expect_success 'a PUT with a body is not retried once sent when nginx does not keep the body' '
	head -c 65536 /dev/zero | tr "\0" x >put.body &&
	hcurl "/impatient/slow?ms=3000" -X PUT --data-binary @put.body &&
	[ "$code" = 504 ] &&
	id=$(grep "\"unix:$T/a.sock\"\$" "$T/nginx/nodes.log" | tail -n 1 | cut -d" " -f1) &&
	[ "$(tries $id)" = 504 ] &&
	wait_for "[ \"\$(rows $id)\" = \"a aborted\" ]" 10
'

test_expect_success 'it is with fastcgi_request_buffering on: two rows' '
	hcurl "/buffered/slow?ms=3000" -X PUT --data-binary @put.body &&
	[ "$code" = 200 ] &&
	rid_put=$(hdr head X-Request-Id) && [ "$(tries $rid_put)" = "504, 200" ] &&
	wait_for "[ \$(rows $rid_put | wc -l) = 2 ]" 10 &&
	[ "$(rows $rid_put)" = "$(printf "a aborted\nb ok")" ]
'

# fetch NAME PATH: curl PATH into NAME.body and NAME.head in the
# background; "HTTP_CODE CURL_EXIT" into NAME.code.
fetch() {
	curl -sS -N --max-time 30 -o "$1.body" -D "$1.head" \
	    -w "%{http_code} %{exitcode}\n" "$BASE$2" >"$1.code" 2>"$1.err" &
	fetching="$fetching $!"
}

test_expect_success 'SIGKILL of a with requests in flight' '
	fetching= && fetch slow1 "/first/sleep?ms=2000" &&
	fetch slow2 "/first/sleep?ms=2000" && fetch slow3 "/first/sleep?ms=2000" &&
	fetch cut "/first/stream?ms=5000" &&
	wait_for "[ \$(descendants $(node_pid a) | wc -l) = 4 ] && [ -s cut.body ]" 10 &&
	{ stop_node a KILL; [ "$NODE_EXIT" = 137 ]; } &&
	{ wait $fetching; :; }
'

test_expect_success 'what had not answered yet is retried on b and succeeds, once billed' '
	for i in 1 2 3; do
		[ "$(cat slow$i.code)" = "200 0" ] && grep -q "^slept 2000 ms" slow$i.body &&
		id=$(hdr slow$i.head X-Request-Id) && [ "$(tries $id)" = "502, 200" ] &&
		wait_for "[ \"\$(rows $id)\" = \"b ok\" ]" 5 || return 1
	done
'

test_expect_success 'what had begun its answer cannot be retried: cut off, billed by none' '
	cat cut.code cut.err | sed "s/^/# /" &&
	[ "$(cat cut.code)" = "200 18" ] && ! grep -q slept cut.body &&
	id=$(hdr cut.head X-Request-Id) && [ "$(tries $id)" = 200 ] &&
	[ -z "$(rows $id)" ]
'

test_expect_success 'a POST to the dead node is retried: it was never sent' '
	hcurl /first/hello -d x=1 && [ "$code" = 200 ] &&
	id=$(hdr head X-Request-Id) && [ "$(tries $id)" = "502, 200" ] &&
	wait_for "[ \"\$(rows $id)\" = \"b ok\" ]" 5
'

test_expect_success 'node a starts again on its ledger' '
	start_node a && hcurl /first/hello && [ "$code" = 200 ] &&
	id=$(hdr head X-Request-Id) && [ "$(tries $id)" = 200 ] &&
	wait_for "[ \"\$(rows $id)\" = \"a ok\" ]" 5
'

# a_serves: a GET through the balanced upstream, answered by a (nginx
# takes a back once fail_timeout has passed since a failed).
a_serves() {
	hcurl /hello && [ "$code" = 200 ] &&
	grep -q "^$(hdr head X-Request-Id) 200 200 \"unix:$T/a.sock\"\$" \
	    "$T/nginx/nodes.log"
}

# load SIGNAL: N GETs through the balanced upstream, 8 at a time,
# /hello and /sleep?ms=20 in turn; node a is stopped with SIGNAL once a
# third of them are done, and started again after.  codes.SIGNAL has
# "HTTP_CODE CURL_EXIT REQUEST_ID" lines.
N=${NODES_REQUESTS:-2000}
load() {
	wait_for a_serves 10 &&
	awk -v n="$N" -v base="$BASE" 'BEGIN {
		for (i = 0; i < n; i++) {
			if (i > 0) print "next"
			printf "url = \"%s%s\"\n", base,
			    i % 2 ? "/sleep?ms=20" : "/hello"
			print "output = \"/dev/null\""
			print "max-time = 30"
			print "write-out = \"%{http_code} %{exitcode} %header{x-request-id}\\n\""
		}
	}' >list &&
	{ curl -s -Z --parallel-immediate --parallel-max 8 -K list \
		>"codes.$1" 2>curl.err & load=$!; track_pid $load; } &&
	wait_for "[ \$(wc -l <codes.$1) -ge $((N / 3)) ]" 60 || return 1
	stop_node a "$1"
	say "node a exit status $NODE_EXIT"
	{ wait "$load"; :; } &&
	say "$(cut -d" " -f1,2 codes.$1 | sort | uniq -c | tr "\n" " ")" &&
	[ "$(wc -l <codes.$1)" = $N ] && start_node a
}

# per_id FILE: "ROWS CODE EXIT ID NODES TRIES" for each request of a
# codes FILE: its rows in both ledgers, on which nodes (ab-: one on
# each), and nginx's upstream_status (502,200: a second try).
per_id() {
	for p_n in a b; do
		node_db $p_n "select request_id, node from invocations"
	done | tr "|" " " >ids &&
	sed "s/, /,/g" "$T/nginx/nodes.log" >tries.log &&
	awk 'FILENAME == "ids" { n[$1]++; at[$1] = at[$1] $2; next }
		FILENAME == "tries.log" { try[$1] = $3; next }
		{ printf "%d %s %s %s %s %s\n", n[$3], $1, $2, $3,
		    at[$3] "-", try[$3] }' ids tries.log "$1"
}

test_expect_success "$N GETs, node a drained by SIGTERM in the middle: all 200" '
	load TERM && [ "$NODE_EXIT" = 0 ] &&
	[ "$(grep -cvx "200 0 [0-9a-f]*" codes.TERM)" = 0 ]
'

test_expect_success 'each of them ran once: one row, on a or b (on b when retried)' '
	wait_for "[ \$(per_id codes.TERM | grep -c \"^1 \") = $N ]" 10 &&
	per_id codes.TERM >per &&
	! grep -v -e "^1 200 0 [0-9a-f]* [ab]- 200\$" \
		-e "^1 200 0 [0-9a-f]* b- 502,200\$" per &&
	say "on a: $(grep -c " a- " per), on b: $(grep -c " b- " per)," \
	    "retried: $(grep -c " 502,200\$" per)" &&
	grep -q " a- 200\$" per
'

test_expect_success "$N GETs, node a killed (SIGKILL) in the middle" '
	load KILL && [ "$NODE_EXIT" = 137 ]
'

# A reply cut off by the kill: its headers may have reached the client
# (curl 18: transfer closed early) or not (52: empty reply, no id).
test_expect_success 'no 5xx; complete ones have one row (on b when retried); cut ones have at most one, on a' '
	! grep -Ev "^(200 0 [0-9a-f]+|(200|000) (18|52|56)( [0-9a-f]*)?)\$" codes.KILL &&
	grep -E " [0-9a-f]+\$" codes.KILL >identified && per_id identified >per &&
	! grep -v -e "^1 200 0 [0-9a-f]* [ab]- 200\$" \
		-e "^1 200 0 [0-9a-f]* b- 502,200\$" \
		-e "^[01] 200 [0-9]* [0-9a-f]* a*- 200\$" per &&
	say "on a: $(grep -c " a- " per), on b: $(grep -c " b- " per)," \
	    "retried: $(grep -c " 502,200\$" per)," \
	    "cut off: $(grep -vc "^200 0 " codes.KILL)" \
	    "($(grep -c "^1 200 [1-9]" per) with a row)" &&
	grep -q " 502,200\$" per
'

test_expect_success 'the merged report counts each node'"'"'s rows once' '
	na=$(node_db a "select count(*) from invocations") &&
	nb=$(node_db b "select count(*) from invocations") &&
	"$FNGW" usage --db "$T/a.db" --db "$T/b.db" --by node --format csv >by-node &&
	sed "s/^/# /" by-node &&
	grep -q "^a,$na," by-node && grep -q "^b,$nb," by-node &&
	grep -q "^TOTAL,$((na + nb))," by-node
'

test_expect_success '--retried lists the requests that ran on both nodes, and only them' '
	"$FNGW" usage --db "$T/a.db" --db "$T/b.db" --retried >retried.txt &&
	sed "s/^/# /" retried.txt &&
	"$FNGW" usage --db "$T/b.db" --db "$T/a.db" --retried --format csv >retried &&
	for n in a b; do node_db $n "select request_id from invocations"; done |
		sort >all-ids &&
	[ "$(uniq -d all-ids)" = "$(printf "%s\n" $rid_twice $rid_put | sort)" ] &&
	[ "$(sed -n "s/^\([0-9a-f]\{32\}\),.*/\1/p" retried | sort)" = "$(uniq -d all-ids)" ] &&
	for id in $rid_twice $rid_put; do
		grep -q "^$id,[0-9T:Z-]*,slow,,\"a,b\",\"aborted,ok\",1,2,2,[0-9.]*,0\.[0-9]*[1-9][0-9]*,USD\$" retried ||
		return 1
	done &&
	grep -q "^TOTAL,,,,,,2,4,4," retried &&
	grep -q "^ALL,,,,,,$(uniq all-ids | wc -l),$(wc -l <all-ids)," retried
'

test_done
