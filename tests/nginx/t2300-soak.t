#!/bin/sh
# t2300-soak.t -- a soak: SOAK_REQUESTS requests (default 5 000; `make
# soak` runs 100 000) through nginx to fngw, at most SOAK_PARALLEL at a
# time, mixing good cgi calls, good warm calls (a fastcgi pool kept at 4
# instances), crashes (cgi and warm), timeouts and oversized calls (a
# body over max_body, an output over max_output).  fngw's descriptors
# and RSS are sampled after a warm-up and again once the load is over
# and fngw is idle: the descriptors must be back to their start exactly
# and (on the non-sanitizer build) RSS within 2 MiB; every request must
# have had the answer its kind calls for, and its one usage row; no
# zombie, and no function process once fngw has stopped.
#
# What the samples must not count:
# - nginx's kept connections to fngw (upstream keepalive): their number
#   depends on how the last requests overlapped.  Both samples are
#   taken with nginx stopped and every accepted connection closed.
# - a warm instance's connection: fngw opens it at the instance's first
#   request, so before each sample 4 requests at once use all 4.
# - the ledger's page cache: SQLite's (cache_size, 2000 KiB by default)
#   fills as the ledger grows, about 2 MiB over the first 15 000 rows
#   or so, and then stays.  Before the warm-up, SOAK_FILL rows (default
#   20 000; none on a sanitizer build, whose RSS is not checked) are
#   written by requests that fngw refuses at once (405), so the cache is
#   full before the first sample.
#
#	SOAK_REQUESTS	requests of the load (default 5000)
#	SOAK_PARALLEL	requests in flight at most (default 16, at most 64:
#			no queue may fill)
#	SOAK_WARMUP	requests of the mix in the warm-up (default 1000)
#	SOAK_FILL	405s to fill the ledger's cache (default 20000)
#	SOAK_TRACE	set: fngw's descriptors and RSS after each 1 000
. "${0%/*}/../lib.sh"

before_fds='' after_fds='' before_rss='' after_rss='' load_ms=''
N=${SOAK_REQUESTS:-5000}
P=${SOAK_PARALLEL:-16}
WARMUP=${SOAK_WARMUP:-1000}
if fngw_is_sanitized; then
	FILL=${SOAK_FILL:-0}
else
	FILL=${SOAK_FILL:-20000}
fi
# Requests per curl run: each run is one bounded list of transfers.
CHUNK=1000
# The whole load must be over by then (a bound, not a goal): 120 s plus
# 10 ms a request (1 100 s for 100 000).
DEADLINE_S=$((120 + N / 100))

case $N$P$WARMUP$FILL in *[!0-9]*)
	echo "Bail out! SOAK_REQUESTS, _PARALLEL, _WARMUP, _FILL: numbers"
	exit 1 ;;
esac
if [ "$P" -lt 1 ] || [ "$P" -gt 64 ]; then
	echo "Bail out! SOAK_PARALLEL: 1 to 64"
	exit 1
fi

use_handlers hello counter_fcgi crash sleep echo bigout
# The status page shows the pool; queues cannot fill (queue 64 is more
# than the P requests in flight) and no request waits in one for long,
# so a 503 is always a failure here.
start_gateway - <<'INI'
@GATEWAY@
status_path  = /fngw/status
status_allow = 127.0.0.1

[fn.hello]
route         = ^/hello$
exec          = @BIN@/hello
queue_timeout = 30s

[fn.counter]
route         = ^/counter$
exec          = @BIN@/counter_fcgi
mode          = fastcgi
concurrency   = 4
min_instances = 4
idle_timeout  = 1h
max_requests  = 100000000
queue_timeout = 30s

[fn.crash]
route         = ^/crash$
exec          = @BIN@/crash
queue_timeout = 30s

[fn.slow]
route         = ^/slow$
exec          = @BIN@/sleep
timeout       = 200ms
queue_timeout = 30s

[fn.echo]
route         = ^/echo$
methods       = POST
exec          = @BIN@/echo
max_body      = 1k
queue_timeout = 30s

; GET /fill: a 405 and its row, without a process.
[fn.fill]
route         = ^/fill$
methods       = POST
exec          = @BIN@/hello

[fn.bigout]
route         = ^/bigout$
exec          = @BIN@/bigout
max_output    = 64k
queue_timeout = 30s
INI
start_nginx

head -c 4096 /dev/zero >big.body || test_fatal "cannot write big.body"

# The mix, in blocks of 50 requests: 22 hello, 21 counter, 2 crash, 1
# counter?crash=1, 1 slow (sleeps 2 s against a 200 ms timeout), 2 POSTs
# of 4 KiB to echo (max_body 1k), 1 bigout of 1 MiB (max_output 64k).
# Each kind has its answer, "CODE CURL_EXIT" (egrep): an output over
# max_output is a 502 while fngw still holds the header block, and cut
# off (a 200 that curl sees end early: exit 18) once it went out (with
# bigout's first write of 64 KiB, that is what happens).
expect() {
	case $1 in
	hello|counter) echo '200 0' ;;
	crash|ccrash) echo '502 0' ;;
	bigout) echo '(502 0|200 18)' ;;
	slow) echo '504 0' ;;
	big) echo '413 0' ;;
	esac
}

# gen_list FIRST COUNT SENT: a curl config (-K) for requests FIRST to
# FIRST+COUNT-1 of the mix on ./list, and their kinds appended to SENT.
gen_list() {
	awk -v first="$1" -v n="$2" -v sent="$3" -v base="$BASE" \
	    -v big="$T/big.body" '
	function kind(i,  s) {
		s = i % 50
		if (s == 0) return "slow"
		if (s == 10 || s == 35) return "crash"
		if (s == 20) return "ccrash"
		if (s == 5 || s == 30) return "big"
		if (s == 45) return "bigout"
		return s % 2 ? "hello" : "counter"
	}
	BEGIN {
		path["hello"] = "/hello"
		path["counter"] = "/counter"
		path["crash"] = "/crash"
		path["ccrash"] = "/counter?crash=1"
		path["slow"] = "/slow?ms=2000"
		path["big"] = "/echo"
		path["bigout"] = "/bigout?bytes=1048576"
		for (i = first; i < first + n; i++) {
			k = kind(i)
			if (i > first)
				print "next" >"list"
			printf "url = \"%s%s\"\n", base, path[k] >"list"
			print "output = \"/dev/null\"" >"list"
			print "max-time = 30" >"list"
			printf "write-out = \"%%{http_code} %%{exitcode} %s\\n\"\n", k >"list"
			if (k == "big")
				printf "data-binary = \"@%s\"\n", big >"list"
			print k >>sent
		}
	}'
}

# run_load COUNT PHASE: COUNT requests of the mix, P at a time, in runs
# of CHUNK; their kinds on PHASE.sent, one line "CODE CURL_EXIT KIND" per
# request on PHASE.codes.
sent_total=0
run_load() {
	: >>"$2.codes" && : >>"$2.sent" || return 1
	rl_left=$1
	rl_end=$(( $(now_ms) + DEADLINE_S * 1000 ))
	while [ "$rl_left" -gt 0 ]; do
		rl_n=$rl_left
		[ "$rl_n" -le "$CHUNK" ] || rl_n=$CHUNK
		gen_list "$sent_total" "$rl_n" "$2.sent" || return 1
		curl -s --no-progress-meter -Z --parallel-immediate \
		    --parallel-max "$P" -K list >>"$2.codes" 2>>"$2.curl.err"
		sent_total=$((sent_total + rl_n))
		rl_left=$((rl_left - rl_n))
		[ -z "${SOAK_TRACE-}" ] || say "$2: $(($1 - rl_left)) sent," \
		    "fngw fds $(ls /proc/$GATEWAY_PID/fd | wc -l)," \
		    "VmRSS $(vmrss_kb $GATEWAY_PID) kB"
		if [ "$(now_ms)" -ge "$rl_end" ]; then
			say "the load ran past its deadline of ${DEADLINE_S}s"
			return 1
		fi
	done
}

# check_codes PHASE: each kind got its answer, every time.
check_codes() {
	cc_bad=0
	for cc_k in hello counter crash ccrash slow big bigout; do
		cc_sent=$(grep -cx "$cc_k" "$1.sent")
		cc_want=$(expect $cc_k)
		cc_got=$(grep -Ecx "$cc_want $cc_k" "$1.codes")
		if [ "$cc_got" -ne "$cc_sent" ]; then
			say "$cc_k: $cc_got of $cc_sent answered $cc_want"
			cc_bad=1
		fi
	done
	cc_lines=$(wc -l <"$1.codes")
	say "answers (code, curl exit, kind): $(sort "$1.codes" | uniq -c |
	    awk '{ printf "%s%s %s %s: %s", (NR > 1 ? ", " : ""), $2, $3, $4, $1 }')"
	[ "$cc_lines" -eq "$(wc -l <"$1.sent")" ] && [ "$cc_bad" -eq 0 ]
}

# gw_idle: nothing runs, waits or starts; the pool is at min_instances;
# no usage row is waiting; no cgi function process is left.
gw_idle() {
	curl -s --max-time 5 "$BASE/fngw/status" >status.json || return 1
	perl -MJSON::PP -e '
		local $/; my $j = eval { decode_json(<STDIN>) } or exit 1;
		exit 1 if $j->{usage_backlog};
		for my $f (@{$j->{functions}}) {
			my $i = $f->{instances};
			exit 1 if $i->{busy} || $i->{starting} || $i->{stopping} ||
			    $f->{queue} || $f->{waiting};
			exit 1 if $i->{idle} != $f->{min_instances};
		}' <status.json || return 1
	for gi_h in hello crash sleep echo bigout; do
		no_fn_procs $gi_h || return 1
	done
	[ "$(count_fn_procs counter_fcgi)" -eq 4 ]
}

# accepted_conns: connections fngw has accepted on its socket and not
# yet closed (an accepted unix socket shows the listener's path).
accepted_conns() {
	awk -v p="$T/fngw.sock" '$8 == p && $6 == "03"' /proc/net/unix | wc -l
}

# proc_kb PID KEY: a "KEY: N kB" line of /proc/PID/status.
proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# sample NAME: with nginx stopped and its connections closed, fngw's
# descriptors (sm_fds; their kinds on NAME.fds, the list on NAME.fdlist)
# and VmRSS (sm_rss, kB).
sample() {
	stop_nginx
	wait_for '[ "$(accepted_conns)" -eq 0 ]' 10 || return 1
	sm_pid=$GATEWAY_PID
	ls -l "/proc/$sm_pid/fd" >"$1.fdlist"
	for sm_f in /proc/$sm_pid/fd/*; do
		readlink "$sm_f"
	done | sed 's/:\[[0-9]*\]$//; s|^/proc/[0-9]*/|/proc/PID/|' |
	    sort | uniq -c >"$1.fds"
	sm_fds=$(ls "/proc/$sm_pid/fd" | wc -l)
	sm_rss=$(vmrss_kb $sm_pid)
	[ -n "$sm_fds" ] && [ -n "$sm_rss" ] || return 1
	say "$1: fds $sm_fds, VmRSS $sm_rss kB" \
	    "(anon $(proc_kb $sm_pid RssAnon), file $(proc_kb $sm_pid RssFile)," \
	    "shmem $(proc_kb $sm_pid RssShmem)), threads" \
	    "$(awk '$1 == "Threads:" { print $2 }' /proc/$sm_pid/status)"
}

# prime_pool PHASE: 4 requests at once to the pool, each held 1 s,
# so that each of its 4 instances serves one: fngw keeps a connection
# to an instance from its first request on, so the descriptors are
# only comparable once every instance has served.  Answers on
# PHASE.codes, the instances' pids must be 4.
prime_pool() {
	mkdir -p "$1.bodies" &&
	curl -s --no-progress-meter -Z --parallel-immediate --parallel-max 4 \
	    --max-time 30 -o "$1.bodies/#1" -w "%{http_code} %{exitcode} counter\n" \
	    "$BASE/counter?sleep=1000&i=[1-4]" >"$1.codes" 2>"$1.curl.err"
	[ "$(grep -cx "200 0 counter" "$1.codes")" -eq 4 ] &&
	[ "$(cat "$1.bodies"/* | sed -n "s/^pid=//p" | sort -u | wc -l)" -eq 4 ]
}

test_expect_success "ledger fill: $FILL requests refused at once (405)" '
	t0=$(now_ms) && : >fill.codes &&
	if [ "$FILL" -gt 0 ]; then
		curl -s --no-progress-meter -Z --parallel-immediate \
		    --parallel-max $P --max-time 30 -o /dev/null \
		    -w "%{http_code} %{exitcode} fill\n" \
		    "$BASE/fill?i=[1-$FILL]" >fill.codes 2>fill.curl.err
	fi
	say "fill: $FILL requests in $(( $(now_ms) - t0 )) ms" &&
	[ "$(grep -cx "405 0 fill" fill.codes)" -eq "$FILL" ]
'

test_expect_success "warm-up: $WARMUP requests of the mix, each answered as expected" '
	t0=$(now_ms) && run_load $WARMUP warm &&
	say "warm-up: $WARMUP requests in $(( $(now_ms) - t0 )) ms" &&
	check_codes warm
'

test_expect_success 'fngw settles: idle, the pool at 4, each instance used; first sample' '
	wait_for gw_idle 30 && prime_pool prime1 && wait_for gw_idle 30 &&
	sample before && before_fds=$sm_fds && before_rss=$sm_rss &&
	cp nginx/error.log nginx/error.log.warmup && start_nginx
'

test_expect_success "the load: $N requests, $P at a time, each answered as expected" '
	t0=$(now_ms) && run_load $N load; rc=$?;
	load_ms=$(( $(now_ms) - t0 ));
	say "load: $N requests in $load_ms ms ($(( N * 1000 / (load_ms + 1) )) req/s)" &&
	[ $rc -eq 0 ] && check_codes load
'

test_expect_success 'fngw is idle again, no zombie; second sample' '
	t0=$(now_ms) && wait_for gw_idle 30 &&
	say "idle $(( $(now_ms) - t0 )) ms after the load" &&
	[ -z "$(zombies_of $GATEWAY_PID)" ] &&
	prime_pool prime2 && wait_for gw_idle 30 &&
	sample after && after_fds=$sm_fds && after_rss=$sm_rss
'

test_expect_success 'descriptors are back to their start exactly, of each kind' '
	say "fds: before $before_fds, after $after_fds" &&
	[ -n "$before_fds" ] && [ -n "$after_fds" ] &&
	if [ "$before_fds" -ne "$after_fds" ] || ! cmp -s before.fds after.fds
	then
		say "descriptor kinds, before and after:" &&
		diff before.fds after.fds | sed "s/^/#   /"
		false
	fi
'

if fngw_is_sanitized; then
	say "a sanitizer build: its RSS is not bounded here"
else
	test_set_prereq PLAIN_BUILD
fi
test_expect_success PLAIN_BUILD 'RSS within 2 MiB of the start' '
	[ -n "$before_rss" ] && [ -n "$after_rss" ] &&
	d=$((after_rss - before_rss)) &&
	say "VmRSS: before $before_rss kB, after $after_rss kB ($d kB)" &&
	[ $d -le 2048 ] && [ $d -ge -2048 ]
'

# rows_expected: "FUNCTION STATUS COUNT" of the usage rows that the
# answers of every request sent call for, sorted.
rows_expected() {
	cat fill.codes warm.codes prime1.codes load.codes prime2.codes | awk '
		BEGIN {
			fn["hello"] = "hello"; fn["counter"] = "counter"
			fn["ccrash"] = "counter"; fn["crash"] = "crash"
			fn["slow"] = "slow"; fn["big"] = "echo"
			fn["bigout"] = "bigout"; fn["fill"] = "fill"
		}
		{ m[fn[$3] " " $1]++ }
		END { for (r in m) print r, m[r] }' | sort
}

test_expect_success 'the usage table has one row per request sent, as answered' '
	total=$((FILL + WARMUP + N + 8)) &&
	rows=$(db "select count(*) from invocations") &&
	say "rows: $rows, requests: $total" &&
	db "select function || '"' '"' || status || '"' '"' || count(*)
	    from invocations group by function, status" | sort >rows.got &&
	rows_expected >rows.want &&
	if ! cmp -s rows.want rows.got; then
		say "rows by function and status, wanted and got:" &&
		diff rows.want rows.got | sed "s/^/#   /"
		false
	fi &&
	[ "$rows" -eq "$total" ]
'

# Found by this test: a cgi crash reaped before its stdout's EOF was
# read was judged a malformed "empty reply" before its signal was seen
# (outcome error, not crash: about 1 cgi crash in 6).
test_expect_success 'every crash has outcome crash' '
	db "select function, outcome, signal, count(*) from invocations
	    where status = 502 and function in ('"'crash', 'counter'"')
	    group by 1, 2, 3" | sed "s/^/# crash rows: /" &&
	[ "$(db "select count(*) from invocations where status = 502 and
	    function in ('"'crash', 'counter'"') and outcome != '"'crash'"'")" -eq 0 ]
'

test_expect_success 'after SIGTERM fngw exits 0 and no function process is left' '
	gw=$GATEWAY_PID && stop_nginx && stop_gateway && [ "$GATEWAY_EXIT" = 0 ] &&
	wait_for no_fn_procs 5 && [ -z "$(zombies_of $gw)" ]
'

test_expect_success 'the warm-up nginx logged no [alert] or [emerg]' '
	[ -f nginx/error.log.warmup ] &&
	! grep -E "\[(alert|emerg)\]" nginx/error.log.warmup
'

say "soak: $N requests in ${load_ms:-?} ms (after $FILL + $WARMUP):" \
    "fds $before_fds -> $after_fds, VmRSS $before_rss -> $after_rss kB"
test_done
