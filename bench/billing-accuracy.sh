#!/bin/sh
# billing-accuracy.sh -- how tight the bills are: the figures fngw's
# ledger records for requests that do a known amount of work, behind
# nginx (on a free 127.0.0.1 port), in both modes:
#
#	what		cgi mode		fastcgi mode (warm)
#	sleep 200 ms	handlers/sleep?ms=200	handlers/counter_fcgi?sleep=200
#	300 ms of CPU	handlers/work?burn=300	handlers/counter_fcgi?burn=300
#	64 MiB touched	handlers/work?touch=64	handlers/counter_fcgi?hog=64
#
# SAMPLES requests of each, one at a time, the kinds interleaved (after
# one warm-up request of each, not kept), plus as many requests that do
# nothing (handlers/work, counter_fcgi) for the processes' baseline
# memory.  Each request's row is found in the gateway's usage.db by the
# X-Request-Id of its reply.  Reports min/p50/max (nearest rank) of
#
#	sleeps	billed_ms and duration_us, and how far above 200 ms
#		(goal: from +0 to +30 ms, every sample)
#	burns	cpu_user_us + cpu_sys_us, and the error against 300 ms
#		(goal: within 15%, every sample)
#	64 MiB	max_rss_kb, and the error against 64 MiB (goal: within
#		10%, every sample); the figure includes the process's
#		baseline, shown on its own line
#
# and writes the same report to bench/out/billing-accuracy.txt.  Every
# process it starts is stopped by pid on exit.
#
# Knobs (environment):
#	SAMPLES=20	requests of each kind
#	FNGW=gateway/fngw
#	BENCH_OUT=bench/out	the report's folder

set -eu

bench=billing-accuracy
top=$(cd "$(dirname "$0")/.." && pwd -P)
. "$top/bench/lib.sh"
FNGW=${FNGW:-$top/gateway/fngw}
SAMPLES=${SAMPLES:-20}
out=${BENCH_OUT:-$top/bench/out}	# BENCH_OUT= writes the report elsewhere
report=$out/$bench.txt

# The kinds: name and path (after the base URL).
kinds='sleep-cgi	/sleep?ms=200
sleep-warm	/warm?sleep=200
burn-cgi	/work?burn=300
burn-warm	/warm?burn=300
mem-cgi		/work?touch=64
mem-warm	/warm?hog=64
base-cgi	/work
base-warm	/warm'

# One request to path $2: appends its request id to $tmp/$1.ids, or
# warns and counts a failure.
sample() {
	got=$(curl -s -o /dev/null --max-time 20 \
	    -w '%{http_code} %header{x-request-id}' "$base$2" 2>/dev/null) ||
	    got="000 -"
	id=${got#* }
	case ${got%% *} in
	200)	case $id in
		'' | *[!0-9a-f]*) ;;
		*)	echo "$id" >>"$tmp/$1.ids"
			return 0 ;;
		esac ;;
	esac
	warn "$2: status ${got%% *}, request id '$id'"
	failed=$((failed + 1))
}

# The values of column expression $2 in the rows of kind $1, one a
# line, into $tmp/$1.vals.
column() {
	ids=$(sed "s/.*/'&'/" "$tmp/$1.ids" | paste -sd, -)
	sqlite3 "$tmp/usage.db" "select $2 from invocations
	    where request_id in (${ids:-''})" >"$tmp/$1.vals"
}

# min/p50/max of $tmp/$1.vals, each divided by $2, to $3 decimals.
stats() {
	sort -n "$tmp/$1.vals" | awk -v d="$2" -v f="%.$3f" '
	    { v[NR] = $1 / d }
	    END {
		if (NR == 0) { print "- - -"; exit }
		r = int(NR / 2); if (r < NR / 2) r++; if (r < 1) r = 1
		printf f " " f " " f "\n", v[1], v[r], v[NR]
	    }'
}

# The summary line of kind $1: column expression $2 (named $3) divided
# by $4 to the unit $5, against target $6 with goal $7: "+N" (from +0
# to +N units above), "N%" (within N percent either way) or "" (none).
summary() {
	column "$1" "$2"
	nrows=$(wc -l <"$tmp/$1.vals")
	nids=$(wc -l <"$tmp/$1.ids")
	stats "$1" "$4" 3 | awk -v name="$1 $3" -v unit="$5" -v t="$6" \
	    -v goal="$7" -v n="$nrows" -v ids="$nids" '
	    function dev(x) {
		if (pct) return sprintf("%+.1f%%", (x - t) / t * 100)
		return sprintf("%+.1f %s", x - t, unit)
	    }
	    function ok(x) {
		if (pct) return x >= t * (1 - tol / 100) &&
		    x <= t * (1 + tol / 100)
		return x >= t && x <= t + tol
	    }
	    {
		pct = goal ~ /%$/
		tol = goal; sub(/^\+/, "", tol); sub(/%$/, "", tol)
		if ($1 == "-") {
		    printf "%-20s no rows (%d requests)\n", name, ids
		    exit
		}
		printf "%-20s min/p50/max %s / %s / %s %s", name, \
		    $1 + 0, $2 + 0, $3 + 0, unit
		if (goal != "") {
		    printf "  (%s / %s / %s): %s", dev($1), dev($2), \
			dev($3), ok($1) && ok($3) && n == ids ? \
			"met" : "not met"
		}
		if (n != ids) printf "; %d rows for %d requests", n, ids
		printf "\n"
	    }'
}

command -v nginx >/dev/null || die "no nginx: make deps"
command -v curl >/dev/null || die "no curl: make deps"
command -v sqlite3 >/dev/null || die "no sqlite3: make deps"
for h in sleep work counter_fcgi; do
	[ -x "$top/handlers/$h" ] || die "no handlers/$h: make handlers"
done
[ -r /etc/nginx/fastcgi_params ] || die "no /etc/nginx/fastcgi_params"
[ -x "$FNGW" ] || die "no $FNGW: make"
case $SAMPLES in
'' | *[!0-9]*)	die "SAMPLES is a number" ;;
esac
[ "$SAMPLES" -ge 1 ] && [ "$SAMPLES" -le 10000 ] ||
    die "SAMPLES is from 1 to 10000"

trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$out"
: >"$report.tmp"
scratch_setup bin nginx run
copy_handlers sleep work counter_fcgi
port=$(free_port) || die "no free port"

# One warm instance serves every warm request: its figures are deltas
# from a mark fngw sets as each request starts.
cat >"$tmp/fngw.ini" <<EOF
[gateway]
listen = unix:$tmp/fngw.sock
listen_mode = 0666
runtime_dir = $tmp/run
billing_db = $tmp/usage.db
log_level = warn

[billing]
granularity = 1ms

[fn.sleep]
route = ^/sleep\$
exec = $tmp/bin/sleep
timeout = 20s

[fn.work]
route = ^/work\$
exec = $tmp/bin/work
timeout = 20s

[fn.warm]
route = ^/warm\$
exec = $tmp/bin/counter_fcgi
mode = fastcgi
concurrency = 1
min_instances = 1
timeout = 20s
EOF
"$FNGW" serve -c "$tmp/fngw.ini" 2>"$tmp/fngw.log" &
fngw_pid=$!
wait_for 100 test -S "$tmp/fngw.sock" ||
    die "fngw did not start: $(tail -n 20 "$tmp/fngw.log")"

nginx_conf <<EOF
	upstream fngw {
		server unix:$tmp/fngw.sock;
		keepalive 16;
	}
	server {
		listen 127.0.0.1:$port;
		# The repository's snippet, as a host would use it.
		location / {
			include $top/nginx/fngw.conf;
		}
	}
EOF
start_nginx

base=http://127.0.0.1:$port
wait_for 50 answers "$base/warm" '^count=' ||
    die "fngw does not answer $base/warm: $(tail -n 20 "$tmp/fngw.log")"
wait_for 50 answers "$base/work" '^burned ' ||
    die "fngw does not answer $base/work: $(tail -n 20 "$tmp/fngw.log")"

# A warm-up request of each kind (ids to a file not read), then SAMPLES
# rounds of one request of each.  Bounded: each curl by --max-time.
failed=0
echo "$kinds" | while read -r k path; do
	sample warmup "$path"
done
echo "$kinds" | while read -r k path; do
	: >"$tmp/$k.ids"
done
s=1
while [ $s -le "$SAMPLES" ]; do
	# A here-document, not a pipe: sample counts failures in this shell.
	while read -r k path; do
		sample "$k" "$path"
	done <<EOF
$kinds
EOF
	s=$((s + 1))
done

say "# billing-accuracy $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)," \
    "$(nproc) cpus"
say "# ${FNGW#"$top"/} behind nginx $(nginx -v 2>&1 | sed 's|.*/||');" \
    "$SAMPLES requests of each, one at a time, kinds interleaved;" \
    "rows by X-Request-Id; nearest-rank p50; granularity = 1ms"
say "# cgi: handlers/sleep?ms=200, handlers/work?burn=300 and ?touch=64;" \
    "warm: handlers/counter_fcgi (fastcgi mode, one instance)" \
    "?sleep=200, ?burn=300, ?hog=64"
[ "$failed" = 0 ] || say "# $failed requests failed (not 200 or no id)"

say "goal: a 200 ms sleep billed from +0 to +30 ms above 200 ms"
for k in sleep-cgi sleep-warm; do
	say "$(summary $k billed_ms billed_ms 1 ms 200 +30)"
	say "$(summary $k duration_us duration 1000 ms 200 +30)"
done
say "goal: 300 ms of CPU within 15%"
for k in burn-cgi burn-warm; do
	say "$(summary $k 'cpu_user_us + cpu_sys_us' cpu 1000 ms 300 15%)"
done
say "goal: 64 MiB touched: max_rss_kb within 10% of 65536 kB" \
    "(baseline included)"
for k in mem-cgi mem-warm; do
	say "$(summary $k max_rss_kb max_rss 1 kB 65536 10%)"
done
for k in base-cgi base-warm; do
	say "$(summary $k max_rss_kb max_rss 1 kB '' '')  (no work)"
done

# Linux counts in a child's ru_maxrss the resident set of the memory
# it had before its execve: a cgi child's starts from fngw's own.
say "fngw's own peak (VmHWM): $(rss_kb "$fngw_pid" VmHWM) kB (a cgi" \
    "row's max_rss_kb is at least fngw's resident set at the spawn)"

grep -E 'ERROR|Sanitizer|fatal' "$tmp/fngw.log" >&2 || :
mv "$report.tmp" "$report"
echo "written: ${report#"$top"/}"
