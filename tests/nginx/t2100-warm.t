#!/bin/sh
# t2100-warm.t -- fastcgi mode behind nginx: warm instances that start
# from zero, grow to concurrency and no further, shrink back after
# idle_timeout, keep min_instances, recycle after max_requests, and are
# replaced when they crash, hang or fail to start.  Each function runs
# its own copy of handlers/counter_fcgi, so the processes of each can be
# counted (fn_procs matches $T/bin/NAME as a prefix: no name here is a
# prefix of another).
. "${0%/*}/../lib.sh"

use_handlers counter_fcgi exit3 sleep
for n in zero kept grow recyc crashy hangy fullq acmea other cpuh rssh \
    retry; do
	cp "$T/bin/counter_fcgi" "$T/bin/${n}_fcgi" || test_fatal "cp"
done
cp "$(command -v sleep)" "$T/bin/mute_sleep" || test_fatal "cp sleep"
cp "$T/bin/counter_fcgi" "$T/bin/slowc_fcgi" || test_fatal "cp"
# A program that takes a second to start (and then accepts).
printf '#!/bin/sh\nsleep 1\nexec "%s/bin/slowc_fcgi"\n' "$T" >"$T/bin/slowup" ||
    test_fatal "slowup"
chmod 0755 "$T"/bin/*

start_gateway - <<'INI'
@GATEWAY@
status_path  = /fngw/status
status_allow = 127.0.0.1

[tenant.acme]
concurrency = 1
[tenant.other]
concurrency = 4

[fn.zero]
route = ^/zero$
exec = @BIN@/zero_fcgi
mode = fastcgi
concurrency = 2
idle_timeout = 1s

[fn.kept]
route = ^/kept$
exec = @BIN@/kept_fcgi
mode = fastcgi
concurrency = 4
min_instances = 2
idle_timeout = 1s

[fn.grow]
route = ^/grow$
exec = @BIN@/grow_fcgi
mode = fastcgi
concurrency = 4
min_instances = 1
idle_timeout = 1s
queue = 64
queue_timeout = 30s

[fn.recyc]
route = ^/recyc$
exec = @BIN@/recyc_fcgi
mode = fastcgi
concurrency = 1
max_requests = 3

[fn.crashy]
route = ^/crashy$
exec = @BIN@/crashy_fcgi
mode = fastcgi

[fn.hangy]
route = ^/hangy$
exec = @BIN@/hangy_fcgi
mode = fastcgi
timeout = 1s

[fn.fullq]
route = ^/fullq$
exec = @BIN@/fullq_fcgi
mode = fastcgi
concurrency = 1
queue = 1
queue_timeout = 20s

[fn.acmea]
route = ^/acmea$
exec = @BIN@/acmea_fcgi
mode = fastcgi
tenant = acme

[fn.acmeb]
route = ^/acmeb$
exec = @BIN@/sleep
tenant = acme

[fn.other]
route = ^/other$
exec = @BIN@/other_fcgi
mode = fastcgi
tenant = other

[fn.cpuh]
route = ^/cpuh$
exec = @BIN@/cpuh_fcgi
mode = fastcgi
cpu = 300ms
timeout = 20s

[fn.rssh]
route = ^/rssh$
exec = @BIN@/rssh_fcgi
mode = fastcgi
concurrency = 1

[fn.retry]
route = ^/retry$
exec = @BIN@/retry_fcgi
mode = fastcgi
concurrency = 1

[fn.bad]
route = ^/bad$
exec = @BIN@/exit3
mode = fastcgi

[fn.slowup]
route = ^/slowup$
exec = @BIN@/slowup
mode = fastcgi
concurrency = 1

[fn.mute]
route = ^/mute$
exec = @BIN@/mute_sleep
args = 60
mode = fastcgi
timeout = 1s
INI
start_nginx

# body_val KEY: a "key=value" line of ./body.
body_val() { sed -n "s/^$1=//p" body; }
# row SQL-COLUMNS: that row of the request whose id is in ./head.
row() {
	db "select $1 from invocations where request_id = '$(hdr_rid)'"
}
hdr_rid() { tr -d '\r' <head | sed -n 's/^X-Request-Id: //Ip'; }
procs() { count_fn_procs "$1"; }
# status_fn FN KEY: instances.KEY (or a top-level KEY) of FN on the
# status page.
status_fn() {
	curl -s --max-time 5 "$BASE/fngw/status" | perl -MJSON::PP -e '
		my ($fn, $k) = @ARGV; local $/; my $j = decode_json(<STDIN>);
		for my $f (@{$j->{functions}}) {
			next unless $f->{name} eq $fn;
			my $v = exists $f->{instances}{$k} ?
			    $f->{instances}{$k} : $f->{$k};
			print "$v\n";
		}' "$1" "$2"
}

test_expect_success 'min_instances instances exist before any request' '
	wait_for "[ \$(procs kept_fcgi) -eq 2 ]" 10 &&
	[ "$(db "select count(*) from invocations")" -eq 0 ] &&
	[ "$(procs grow_fcgi)" -eq 1 ]
'

test_expect_success 'they stay past idle_timeout: min_instances is kept' '
	end=$(( $(now_ms) + 2500 )) && ok=1 &&
	while [ $(now_ms) -lt $end ]; do
		[ "$(procs kept_fcgi)" -eq 2 ] || ok=0
	done && [ $ok = 1 ]
'

test_expect_success 'a kept instance that dies is started again' '
	victim=$(fn_procs kept_fcgi | head -1) && kill -KILL "$victim" &&
	wait_for "! pid_alive $victim" 5 &&
	wait_for "[ \$(procs kept_fcgi) -eq 2 ]" 10 &&
	! fn_procs kept_fcgi | grep -qx "$victim"
'

test_expect_success 'a pool at zero: no process until the first request' '
	[ "$(procs zero_fcgi)" -eq 0 ]
'

test_expect_success 'the first request is a cold start, billed its init' '
	hcurl /zero && [ "$code" = 200 ] && pid1=$(body_val pid) &&
	[ "$(body_val count)" = 1 ] &&
	wait_for "[ -n \"\$(row cold_start)\" ]" 5 &&
	[ "$(row cold_start)" = 1 ] && [ "$(row "init_us > 0")" = 1 ] &&
	[ "$(row "billed_ms * 1000 >= init_us + duration_us")" = 1 ]
'

test_expect_success 'the next is warm and served by the same pid' '
	hcurl /zero && [ "$code" = 200 ] && [ "$(body_val pid)" = "$pid1" ] &&
	[ "$(body_val count)" = 2 ] &&
	wait_for "[ -n \"\$(row cold_start)\" ]" 5 &&
	[ "$(row cold_start)" = 0 ] && [ "$(row init_us)" = 0 ] &&
	[ "$(row outcome)" = ok ] && [ "$(procs zero_fcgi)" -eq 1 ]
'

test_expect_success 'the function gets the environment as params, one process' '
	[ "$(body_val request_id)" = "$(hdr_rid)" ] &&
	[ "$(body_val children)" = 0 ]
'

test_expect_success 'after idle_timeout the pool is back at zero' '
	wait_for "[ \$(procs zero_fcgi) -eq 0 ]" 10 &&
	hcurl /zero && [ "$code" = 200 ] && [ "$(body_val pid)" != "$pid1" ] &&
	wait_for "[ -n \"\$(row cold_start)\" ]" 5 && [ "$(row cold_start)" = 1 ]
'

# unix_ino PATH: the inode of the unix socket listening at PATH (flags
# __SO_ACCEPTCON; the connections it accepted show the path too).
unix_ino() {
	awk -v p="$1" '$8 == p && $4 == "00010000" { print $7 }' /proc/net/unix
}

test_expect_success 'at zero, the only socket left is the next start'"'"'s, bound ahead' '
	wait_for "[ \$(procs zero_fcgi) -eq 0 ]" 10 &&
	wait_for "[ \$(ls \"\$T\"/zero.*.sock 2>/dev/null | wc -l) -eq 1 ]" 5 &&
	next=$(ls "$T"/zero.*.sock) && [ -S "$next" ] &&
	[ "$(stat -c %a "$next")" = 600 ] &&
	{ [ "$(id -u)" != 0 ] || [ "$(stat -c %U "$next")" = "$FN_USER" ]; } &&
	ino=$(unix_ino "$next") && [ -n "$ino" ]
'

test_expect_success 'the cold start listens on that very socket' '
	hcurl /zero && [ "$code" = 200 ] && zpid=$(body_val pid) &&
	wait_for "[ -n \"\$(row cold_start)\" ]" 5 && [ "$(row cold_start)" = 1 ] &&
	[ "$(readlink /proc/$zpid/fd/0)" = "socket:[$ino]" ] &&
	[ -S "$next" ] && [ "$(unix_ino "$next")" = "$ino" ]
'

test_expect_success 'a client that goes away: aborted, and the instance stays warm' '
	hcurl /zero && zpid=$(body_val pid) &&
	CURL_TIMEOUT=0.5 hcurl "/zero?sleep=1500"; [ "$curl_rc" = 28 ] &&
	wait_for "[ \$(db \"select count(*) from invocations where outcome = '"'"'aborted'"'"' and function = '"'"'zero'"'"'\") -eq 1 ]" 10 &&
	hcurl /zero && [ "$code" = 200 ] && [ "$(body_val pid)" = "$zpid" ]
'

test_expect_success 'instance sockets: in runtime_dir, mode 0600, the function user' '
	for sock in "$T"/zero.*.sock; do
		[ -S "$sock" ] && [ "$(stat -c %a "$sock")" = 600 ] &&
		{ [ "$(id -u)" != 0 ] ||
		  [ "$(stat -c %U "$sock")" = "$FN_USER" ]; } || return 1
	done &&
	[ "$(ls "$T"/zero.*.sock | wc -l)" -eq 2 ]
'

test_expect_success 'a client gone during a cold start: its request went ahead, ran, is billed' '
	CURL_TIMEOUT=0.3 hcurl /slowup; [ "$curl_rc" = 28 ] &&
	wait_for "[ \$(db \"select count(*) from invocations where function = '"'"'slowup'"'"'\") -eq 1 ]" 10 &&
	[ "$(db "select outcome, cold_start, init_us > 500000 from invocations where function = '"'"'slowup'"'"'")" = "aborted|1|1" ] &&
	hcurl /slowup && [ "$code" = 200 ] && [ "$(body_val count)" = 2 ] &&
	[ "$(procs slowc_fcgi)" -eq 1 ]
'

test_expect_success '32 concurrent requests grow the pool to exactly concurrency' '
	mkdir -p g &&
	curl -s --no-progress-meter -Z --parallel-max 32 --max-time 60 \
		-o "g/#1" -w "%{http_code}\n" \
		"$BASE/grow?sleep=400&i=[1-32]" >codes 2>curl.err &
	cpid=$! && max=0 && end=$(( $(now_ms) + 60000 )) &&
	while pid_alive $cpid && [ $(now_ms) -lt $end ]; do
		n=$(procs grow_fcgi); [ "$n" -gt "$max" ] && max=$n
	done; wait $cpid;
	say "most instances seen: $max" &&
	[ "$(grep -cx 200 codes)" -eq 32 ] && [ "$max" -eq 4 ] &&
	[ "$(cat g/* | sed -n "s/^pid=//p" | sort -u | wc -l)" -eq 4 ]
'

test_expect_success 'and shrinks back to min_instances after idle_timeout' '
	wait_for "[ \$(procs grow_fcgi) -eq 1 ]" 10
'

test_expect_success 'max_requests: an instance is replaced after 3 requests' '
	: >seen && for i in 1 2 3 4 5 6 7; do
		hcurl /recyc && [ "$code" = 200 ] || return 1
		echo "$(body_val count) $(body_val pid)" >>seen
	done &&
	[ "$(cut -d" " -f1 seen | tr "\n" " ")" = "1 2 3 1 2 3 1 " ] &&
	[ "$(cut -d" " -f2 seen | uniq | wc -l)" -eq 3 ] &&
	wait_for "[ \$(procs recyc_fcgi) -eq 1 ]" 5
'

test_expect_success 'a crashing instance gives 502; the next request is served' '
	hcurl /crashy && [ "$code" = 200 ] && cpid1=$(body_val pid) &&
	hcurl "/crashy?crash=1" && [ "$code" = 502 ] &&
	json_error body bad_gateway head &&
	wait_for "[ -n \"\$(row outcome)\" ]" 5 &&
	[ "$(row outcome)" = crash ] && [ "$(row signal)" = 6 ] &&
	hcurl /crashy && [ "$code" = 200 ] && [ "$(body_val pid)" != "$cpid1" ] &&
	! pid_alive "$cpid1"
'

test_expect_success 'a hanging instance gives 504 and its whole group is gone' '
	hcurl /hangy && [ "$code" = 200 ] && hpid=$(body_val pid) &&
	hcurl "/hangy?fork=1&spin=1" && [ "$code" = 504 ] &&
	json_error body timeout head &&
	wait_for "! pid_alive $hpid" 5 &&
	wait_for "[ -z \"\$(pgrp_procs $hpid)\" ]" 5 &&
	wait_for "[ -n \"\$(row outcome)\" ]" 5 && [ "$(row outcome)" = timeout ] &&
	hcurl /hangy && [ "$code" = 200 ] && [ "$(body_val pid)" != "$hpid" ]
'

test_expect_success 'a full queue gives 503 with Retry-After' '
	mkdir -p q &&
	curl -s --no-progress-meter -Z --parallel-max 4 --max-time 30 \
		-D "q/h#1" -o "q/b#1" -w "%{http_code}\n" \
		"$BASE/fullq?sleep=1500&i=[1-4]" >qcodes 2>curl.err;
	say "codes: $(sort qcodes | uniq -c | tr "\n" " ")" &&
	[ "$(grep -cx 503 qcodes)" -ge 1 ] && [ "$(grep -cx 200 qcodes)" -ge 1 ] &&
	grep -l "^HTTP/1.1 503" q/h* >h503 &&
	grep -qi "^Retry-After: 1" "$(head -1 h503)" &&
	grep -q queue_full q/b*
'

test_expect_success 'a tenant at its cap gets 503; another tenant is served (fastcgi busy)' '
	curl -s -o /dev/null --max-time 20 "$BASE/acmea?sleep=2000" &
	bpid=$! &&
	wait_for "[ \"\$(status_fn acmea busy)\" = 1 ]" 10 &&
	hcurl "/acmeb?ms=10" && [ "$code" = 503 ] &&
	json_error body tenant_limit head && grep -qi "^Retry-After:" head &&
	hcurl /other && [ "$code" = 200 ] && wait $bpid
'

test_expect_success 'the same cap holds with the cgi function busy' '
	curl -s -o /dev/null --max-time 20 "$BASE/acmeb?ms=2000" &
	bpid=$! &&
	wait_for "[ \$(count_fn_procs sleep) -ge 1 ]" 10 &&
	hcurl /acmea && [ "$code" = 503 ] && json_error body tenant_limit head &&
	hcurl /other && [ "$code" = 200 ] && wait $bpid
'

test_expect_success 'CPU is billed per request: 200 ms of burn bills at least that' '
	hcurl "/cpuh?burn=200"; say "burn=200: HTTP $code" &&
	[ "$code" = 200 ] &&
	wait_for "[ -n \"\$(row outcome)\" ]" 5 &&
	cpu=$(row "cpu_user_us + cpu_sys_us") &&
	say "cpu_us=$cpu $(row "outcome || \" cold=\" || cold_start ||
	    \" init_us=\" || init_us || \" duration_us=\" || duration_us")" &&
	[ "$cpu" -ge 200000 ] && [ "$cpu" -lt 5000000 ] &&
	[ "$(row "duration_us >= 200000")" = 1 ] &&
	hcurl /cpuh; say "then: HTTP $code" &&
	wait_for "[ -n \"\$(row outcome)\" ]" 5 &&
	say "then: cpu_us=$(row "cpu_user_us + cpu_sys_us")" &&
	[ "$(row "cpu_user_us + cpu_sys_us < 100000")" = 1 ]
'

test_expect_success 'cpu is enforced per request: 502, outcome limit, then served' '
	hcurl "/cpuh?burn=5000" && [ "$code" = 502 ] &&
	json_error body bad_gateway head &&
	wait_for "[ -n \"\$(row outcome)\" ]" 5 && [ "$(row outcome)" = limit ] &&
	[ "$(row "cpu_user_us + cpu_sys_us >= 300000")" = 1 ] &&
	hcurl /cpuh && [ "$code" = 200 ]
'

test_expect_success 'max_rss_kb is the peak of the request, reset before each' '
	hcurl "/rssh?hog=64" && [ "$code" = 200 ] &&
	wait_for "[ -n \"\$(row outcome)\" ]" 5 && big=$(row max_rss_kb) &&
	hcurl /rssh && [ "$code" = 200 ] &&
	wait_for "[ -n \"\$(row outcome)\" ]" 5 && small=$(row max_rss_kb) &&
	say "hog=64: $big kB, then $small kB" &&
	[ "$big" -ge 65536 ] && [ "$small" -gt 0 ] && [ "$small" -lt 32768 ]
'

test_expect_success 'an instance that exits as a request goes: sent again, once' '
	hcurl "/retry?exitnext=1" && [ "$code" = 200 ] && rpid=$(body_val pid) &&
	hcurl /retry && [ "$code" = 200 ] && [ "$(body_val pid)" != "$rpid" ] &&
	wait_for "[ -n \"\$(row outcome)\" ]" 5 && [ "$(row outcome)" = ok ] &&
	[ "$(db "select count(*) from invocations where request_id = '"'"'$(hdr_rid)'"'"'")" = 1 ] &&
	grep -q "sending it again" "$T/fngw.log"
'

test_expect_success 'an instance that exits before accepting: 502 and why' '
	hcurl /bad && [ "$code" = 502 ] && json_error body bad_gateway head &&
	grep -q "exited with status 3 before it accepted a connection" \
		"$T/fngw.log"
'

test_expect_success 'repeated start failures back off instead of spinning' '
	for i in 1 2 3 4 5 6 7 8 9 10; do
		hcurl /bad && [ "$code" = 502 ] || return 1
	done &&
	n=$(grep -c "fn=bad msg=\"instance failed to start" "$T/fngw.log") &&
	say "start attempts: $n" && [ "$n" -le 5 ]
'

test_expect_success 'an instance that never accepts: 502 after its timeout' '
	t0=$(now_ms) && hcurl /mute && [ "$code" = 502 ] &&
	json_error body bad_gateway head &&
	grep -q "did not accept a connection within its timeout" "$T/fngw.log" &&
	wait_for "[ \$(procs mute_sleep) -eq 0 ]" 5
'

test_expect_success 'the status page counts the processes that exist' '
	wait_for "[ \$(procs grow_fcgi) -eq 1 ]" 10 &&
	for f in kept grow zero recyc; do
		n=$(procs ${f}_fcgi) &&
		s=$(( $(status_fn $f busy) + $(status_fn $f idle) + $(status_fn $f starting) )) &&
		say "$f: $n processes, status says $s" && [ "$n" -eq "$s" ] || return 1
	done &&
	[ "$(status_fn kept idle)" -eq 2 ] && [ "$(status_fn zero cold_starts)" -ge 2 ] &&
	curl -s "$BASE/fngw/status?format=prometheus" >prom &&
	grep -qx "fngw_instances{function=\"kept\",state=\"idle\"} 2" prom &&
	grep -q "^fngw_cold_starts_total{function=\"zero\"} [1-9]" prom
'

test_expect_success 'SIGTERM lets a warm request in flight finish' '
	curl -s -o inflight -w "%{http_code}" --max-time 20 \
		"$BASE/grow?sleep=1500" >inflight.code &
	cpid=$! &&
	wait_for "[ \"\$(status_fn grow busy)\" = 1 ]" 10 &&
	kill -TERM $GATEWAY_PID && wait $cpid &&
	[ "$(cat inflight.code)" = 200 ] && grep -q "^pid=" inflight
'

test_expect_success 'after SIGTERM no instance, no zombie, no socket is left' '
	gw=$GATEWAY_PID && stop_nginx && stop_gateway && [ "$GATEWAY_EXIT" = 0 ] &&
	wait_for "no_fn_procs" 5 && [ -z "$(zombies_of $gw)" ] &&
	[ -z "$(ls "$T"/*.sock 2>/dev/null)" ]
'

test_done
