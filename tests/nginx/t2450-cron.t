#!/bin/sh
# t2450-cron.t -- schedules: a function with `schedule` runs on its own
# with FN_TRIGGER=cron, no body, through the same pool, limits and ledger
# as HTTP (rows with trigger 'cron'); a run still going when the next is
# due makes that one skip, logged, never a second run at once; a node
# with cron = off runs none; HTTP requests go on meanwhile; fngw check
# prints each schedule's next run and refuses a bad one by file, section
# and key.
#
# FNGW_TEST_CRON_SCALE=60 (a test-only switch of fngw) runs the
# scheduler's clock 60 times as fast as the wall clock: "* * * * *" is
# due every second, through the real parser, timers and request path.
. "${0%/*}/../lib.sh"

use_handlers hello counter_fcgi
cp "$T/bin/counter_fcgi" "$T/bin/warmcron_fcgi" || test_fatal "cp"
# One line per run in $OUT/runs: function, trigger, request id, start and
# end (epoch ms); the environment of the last run of each trigger.  HOLD
# holds an HTTP request, SLEEP a run by the schedule.
cat >"$T/bin/cronjob" <<'EOF'
#!/bin/sh
s=$(date +%s%3N)
if [ "$FN_TRIGGER" = http ] && [ -n "${HOLD-}" ]; then sleep "$HOLD"; fi
if [ "$FN_TRIGGER" = cron ] && [ -n "${SLEEP-}" ]; then sleep "$SLEEP"; fi
body=$(wc -c | tr -d ' ')
env | sort >"$OUT/env.$FN_NAME.$FN_TRIGGER"
echo "body=$body" >>"$OUT/env.$FN_NAME.$FN_TRIGGER"
echo "$FN_NAME $FN_TRIGGER $FN_REQUEST_ID $s $(date +%s%3N)" >>"$OUT/runs"
printf 'Status: 201 Created\r\nContent-Type: text/plain\r\n\r\nran\n'
EOF
chmod 0755 "$T"/bin/*
mkdir -p out outb b && chmod 0777 out outb && chmod 0755 b

FNGW_ENV="FNGW_TEST_CRON_SCALE=60"
start_gateway - <<'INI'
@GATEWAY@
cron = on

[fn.tick]
route       = ^/tick$
exec        = @BIN@/cronjob
schedule    = * * * * *
env         = OUT=@T@/out HOLD=3
concurrency = 1
queue       = 0

[fn.slow]
route    = ^/slow$
exec     = @BIN@/cronjob
schedule = * * * * *
env      = OUT=@T@/out SLEEP=1.5

[fn.warm]
route    = ^/warm$
exec     = @BIN@/warmcron_fcgi
mode     = fastcgi
schedule = */2 * * * *

[fn.yearly]
route    = ^/yearly$
exec     = @BIN@/hello
schedule = @yearly

[fn.plain]
route = ^/plain$
exec  = @BIN@/hello
INI
start_nginx

# A second node on the same schedules, with cron = off.
sed -e "s|$T/fngw.sock|$T/b/fngw.sock|; s|^runtime_dir .*|runtime_dir = $T/b|" \
    -e "s|$T/usage.db|$T/b/usage.db|; s|^cron = on|cron = off|" \
    -e "s|OUT=$T/out |OUT=$T/outb |" fngw.ini >b/fngw.ini
env FNGW_TEST_CRON_SCALE=60 "$FNGW" serve -c "$T/b/fngw.ini" \
    >>"$T/b/fngw.log" 2>&1 &
B_PID=$!
track_pid "$B_PID"
wait_for "socket_accepts '$T/b/fngw.sock' || ! pid_alive $B_PID" 10 &&
    pid_alive "$B_PID" || test_fatal "the cron = off node did not start"

cron_runs() {	# cron_runs FN: runs of FN by the schedule so far
	grep -c "^$1 cron " out/runs 2>/dev/null || echo 0
}

test_expect_success 'a scheduled function runs by itself, with FN_TRIGGER=cron' '
	wait_for "[ \$(cron_runs tick) -ge 3 ]" 20 &&
	grep -qx FN_TRIGGER=cron out/env.tick.cron &&
	grep -qx FN_NAME=tick out/env.tick.cron &&
	grep -qx REQUEST_METHOD=GET out/env.tick.cron &&
	grep -qx REQUEST_URI=/ out/env.tick.cron &&
	grep -qx QUERY_STRING= out/env.tick.cron &&
	grep -qx body=0 out/env.tick.cron &&
	grep -q "^FN_REQUEST_ID=[0-9a-f]\{32\}$" out/env.tick.cron &&
	grep -q "^FN_DEADLINE_MS=[0-9]" out/env.tick.cron &&
	grep -qx "CONTENT_LENGTH=0" out/env.tick.cron &&
	! grep -q "^HTTP_" out/env.tick.cron &&
	! grep -q FNGW_TEST out/env.tick.cron
'

test_expect_success 'its usage rows say trigger cron, GET /, with the reply status' '
	wait_for "[ \$(db \"select count(*) from invocations
	    where function = '"'tick'"' and trigger = '"'cron'"'\") -ge 3 ]" 10 &&
	db "select method, path, status, outcome from invocations
	    where function = '"'tick'"' and trigger = '"'cron'"'" >rows &&
	sed "s/^/# /" rows | head -3 && ! grep -v "^GET|/|201|ok$" rows &&
	db "select count(*) from invocations where function = '"'tick'"' and
	    (bytes_in != 0 or bytes_out != 4 or duration_us <= 0 or
	    billed_ms < 1)" >n && [ "$(cat n)" = 0 ]
'

test_expect_success 'each run is logged with its due time, and the rows match' '
	grep -q "fn=tick trigger=cron due=[0-9T:-]*Z request_id=" fngw.log &&
	grep "at=request_finish fn=tick status=201 outcome=ok .* trigger=cron" \
	    fngw.log >/dev/null
'

test_expect_success 'a fastcgi function runs on its schedule too, kept warm' '
	wait_for "[ \$(db \"select count(*) from invocations where
	    function = '"'warm'"' and trigger = '"'cron'"' and
	    status = 200\") -ge 2 ]" 20 &&
	db "select cold_start from invocations where function = '"'warm'"'
	    order by id limit 2" | tr "\n" " " | grep -qx "1 0 "
'

test_expect_success 'a run still going when the next is due: that one is skipped, not doubled' '
	wait_for "[ \$(cron_runs slow) -ge 3 ]" 20 &&
	wait_for "grep -q \"fn=slow due=.*skipped: the previous run is still going\" fngw.log" 10 &&
	grep "^slow cron " out/runs | sort -k4n >slow.runs &&
	sed "s/^/# /" slow.runs &&
	awk "NR > 1 && \$4 < end { bad = 1; print \"# overlap: \" \$0 }
	    { end = \$5 } END { exit bad }" slow.runs &&
	sed -n "s/.*fn=slow trigger=cron due=\([^ ]*\) .*/\1/p; s/.*fn=slow due=\([^ ]*\) skipped.*/\1/p" \
	    fngw.log >slow.dues &&
	[ "$(sort slow.dues | uniq -d | wc -l)" -eq 0 ] &&
	[ "$(sort slow.dues | uniq | wc -l)" -eq "$(wc -l <slow.dues)" ] &&
	sort -c slow.dues
'

test_expect_success 'HTTP requests are served while schedules run' '
	for i in 1 2 3 4 5; do
		hcurl /plain && [ "$code" = 200 ] || return 1
		hcurl /slow && [ "$code" = 201 ] || return 1
	done &&
	grep -qx FN_TRIGGER=http out/env.slow.http &&
	[ "$(db "select count(*) from invocations where function = '"'slow'"'
	    and trigger = '"'http'"' and status = 201")" -eq 5 ] &&
	[ "$(db "select count(*) from invocations where function = '"'plain'"'
	    and trigger = '"'http'"'")" -eq 5 ]
'

test_expect_success 'a run refused at the function'"'"'s limit gets its row, like HTTP refusals' '
	( for i in 1 2 3 4 5 6; do
		HC_BODY=hold.body HC_HEAD=hold.head hcurl /tick
		[ "$code" = 201 ] && break
	done; echo "$code" >hold.code ) &
	hold=$! &&
	wait_for "[ \$(db \"select count(*) from invocations where
	    function = '"'tick'"' and trigger = '"'cron'"' and status = 503
	    and outcome = '"'throttled'"'\") -ge 1 ]" 20 &&
	wait "$hold" && [ "$(cat hold.code)" = 201 ] &&
	grep -q "fn=tick status=503 error=queue_full" fngw.log
'

test_expect_success 'the node with cron = off ran nothing' '
	[ "$(cron_runs tick)" -ge 3 ] && [ ! -e outb/runs ] &&
	grep -q "cron = off: the 4 schedules of the config do not run" b/fngw.log &&
	! grep -q "trigger=cron" b/fngw.log &&
	[ "$(sqlite3 -batch b/usage.db "select count(*) from invocations")" -eq 0 ]
'

test_expect_success 'SIGTERM: the scheduler stops, the node exits 0 with no run left' '
	kill_wait "$B_PID" TERM 15 && stop_gateway && [ "$GATEWAY_EXIT" -eq 0 ] &&
	n=$(cron_runs tick) && [ "$(db "select count(*) from invocations
	    where function = '"'tick'"' and trigger = '"'cron'"' and status = 201")" -eq "$n" ] &&
	no_fn_procs
'

# fngw check: the next run of each schedule, and the refusals.
next_15() {	# the next quarter hour after epoch $1, ISO 8601
	date -u -d "@$(( ($1 / 900 + 1) * 900 ))" +%Y-%m-%dT%H:%M:%SZ
}

test_expect_success 'fngw check prints each scheduled function with its next run (UTC)' '
	sed "s|^schedule = \*/2 \* \* \* \*|schedule = */15 * * * *|" fngw.ini >good.ini &&
	t0=$(date +%s) && "$FNGW" check -c good.ini >out.check 2>&1 &&
	t1=$(date +%s) && sed "s/^/# /" out.check &&
	grep -Eq "^FUNCTION +SCHEDULE +NEXT RUN \(UTC\)$" out.check &&
	grep -Eq "^yearly +@yearly +$(( $(date -u +%Y) + 1 ))-01-01T00:00:00Z$" out.check &&
	{ grep -Eq "^warm +\*/15 \* \* \* \* +$(next_15 "$t0")$" out.check ||
	  grep -Eq "^warm +\*/15 \* \* \* \* +$(next_15 "$t1")$" out.check; } &&
	grep -Eq "^tick +\* \* \* \* \* +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:00Z$" out.check &&
	[ "$(grep -c "T[0-9:]*Z$" out.check)" -eq 4 ] &&
	tail -n 1 out.check | grep -q "configuration OK"
'

test_expect_success 'fngw check says when cron = off keeps them from running here' '
	"$FNGW" check -c b/fngw.ini >out.b 2>&1 &&
	grep -q "cron = off: schedules do not run on this node" out.b
'

check_refuses() {	# check_refuses SCHEDULE WHAT
	sed "/^\[fn.slow\]/,/^\[/s|^schedule = .*|schedule = $1|" fngw.ini >bad.ini &&
	test_must_fail "$FNGW" check -c bad.ini >out.bad 2>&1 &&
	sed "s/^/# /" out.bad &&
	grep -q "bad.ini" out.bad && grep -q "\[fn.slow\]" out.bad &&
	grep -q "schedule: " out.bad && grep -q "$2" out.bad
}

test_expect_success 'fngw check refuses a bad schedule by file, section and key' '
	check_refuses "61 * * * *" "minute: 61 is not in 0-59" &&
	check_refuses "* * * *" "4 fields, not 5" &&
	check_refuses "0 0 30 2 *" "never" &&
	check_refuses "0 9 * * mon-fry" "unknown name" &&
	check_refuses "@reboot" "not supported" &&
	check_refuses "*/0 * * * *" "step"
'

test_done
