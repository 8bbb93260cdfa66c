#!/bin/sh
# cold-start.sh -- how long the first request to a C function takes when
# its pool has scaled to zero, against how long the same binary takes
# to start and answer with no gateway at all.
#
#	cold   nginx -> unix socket -> fngw -> counter_fcgi, mode = fastcgi,
#	       min_instances = 0, idle_timeout = IDLE_TIMEOUT: for each
#	       sample, poll until fngw has no instance left (with a
#	       deadline), then time one request with curl's time_total.
#	       The request right after it, served warm, is timed too.
#	spawn  bench/spawntime.c, built here with cc -O2: posix_spawn of
#	       counter_fcgi with a fresh listening socket as fd 0, until
#	       it answers an FCGI_GET_VALUES record on it.
#
# Prints p50 and p99 (nearest rank: for 20 samples the 10th and the
# 20th) of each, fngw's own init_us for its cold starts when sqlite3 is
# there, and the goal; writes the same report to bench/out/cold-start.txt.
# Every process it starts is stopped by pid on exit.  If gateway/fngw is
# missing or does not serve the function, only the spawn half runs.
#
# Knobs (environment):
#	SAMPLES=20		samples of each
#	IDLE_TIMEOUT=200ms	fngw's idle_timeout for the function
#	FNGW=gateway/fngw

set -eu

bench=cold-start
top=$(cd "$(dirname "$0")/.." && pwd -P)
. "$top/bench/lib.sh"
FNGW=${FNGW:-$top/gateway/fngw}
SAMPLES=${SAMPLES:-20}
IDLE_TIMEOUT=${IDLE_TIMEOUT:-200ms}
CC=${CC:-cc}
out=${BENCH_OUT:-$top/bench/out}	# BENCH_OUT= writes the report elsewhere
report=$out/$bench.txt

# fngw's instances are its children (fngw runs nothing else here).
no_instances() {
	! pgrep -P "$fngw_pid" >/dev/null
}

# Poll every 20 ms until fngw has no instance, at most 10 seconds.
wait_zero() {
	i=0
	until no_instances; do
		[ $i -lt 500 ] || return 1
		sleep 0.02
		i=$((i + 1))
	done
}

# One request: its time in microseconds, or "-" unless it was a 200.
timed_get() {
	curl -s -o /dev/null --max-time 10 -w '%{http_code} %{time_total}\n' \
	    "$1" 2>/dev/null | awk '
		$1 == 200 { printf "%.0f\n", $2 * 1e6; ok = 1 }
		END { if (!ok) print "-" }'
}

# Nearest-rank percentile $1 (0-100) of the numbers in file $2, in ms.
pct() {
	sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 }
	    END {
		if (NR == 0) { print "-"; exit }
		r = int(p / 100 * NR); if (r < p / 100 * NR) r++
		if (r < 1) r = 1
		printf "%.3f", v[r] / 1000
	    }'
}

command -v nginx >/dev/null || die "no nginx: make deps"
command -v curl >/dev/null || die "no curl: make deps"
command -v pgrep >/dev/null || die "no pgrep: make deps"
[ -x "$top/handlers/counter_fcgi" ] ||
    die "no handlers/counter_fcgi: make handlers"
[ -r /etc/nginx/fastcgi_params ] || die "no /etc/nginx/fastcgi_params"
case $SAMPLES in
'' | *[!0-9]*)	die "SAMPLES is a number" ;;
esac
[ "$SAMPLES" -ge 1 ] || die "SAMPLES is at least 1"

trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$out"
: >"$report.tmp"
scratch_setup bin nginx run spawn
copy_handlers counter_fcgi
"$CC" -O2 -Wall -Wextra -o "$tmp/spawntime" "$top/bench/spawntime.c" \
    2>"$tmp/cc.log" || die "cannot build spawntime: $(cat "$tmp/cc.log")"
port=$(free_port) || die "no free port"

# The spawn half first, while nothing else runs (spawntime reaps its
# children itself).
"$tmp/spawntime" "$SAMPLES" "$tmp/spawn/s.sock" "$tmp/bin/counter_fcgi" \
    >"$tmp/spawn.us" || die "spawntime failed"

# The cold half: fngw, if it is built, behind nginx.
if [ -x "$FNGW" ]; then
	cat >"$tmp/fngw.ini" <<EOF
[gateway]
listen = unix:$tmp/fngw.sock
listen_mode = 0666
runtime_dir = $tmp/run
billing_db = $tmp/usage.db
log_level = warn

[fn.counter]
route = ^/counter\$
exec = $tmp/bin/counter_fcgi
mode = fastcgi
concurrency = 1
min_instances = 0
idle_timeout = $IDLE_TIMEOUT
EOF
	"$FNGW" serve -c "$tmp/fngw.ini" 2>"$tmp/fngw.log" &
	fngw_pid=$!
	if ! wait_for 100 test -S "$tmp/fngw.sock"; then
		warn "fngw did not start:"
		cat "$tmp/fngw.log" >&2
		stop_fngw
	fi
fi

if [ -n "$fngw_pid" ]; then
	nginx_conf <<EOF
	upstream fngw {
		server unix:$tmp/fngw.sock;
		keepalive 16;
	}
	server {
		listen 127.0.0.1:$port;
		# The repository's snippet, as a host would use it.
		location = /counter {
			include $top/nginx/fngw.conf;
		}
	}
EOF
	start_nginx
	url=http://127.0.0.1:$port/counter
	if ! wait_for 50 answers "$url" '^count='; then
		warn "fngw does not answer $url:"
		curl -si --max-time 5 "$url" >&2 || :
		tail -n 20 "$tmp/fngw.log" >&2
		stop_fngw
	fi
fi

# Each sample: scale to zero, then a cold request and a warm one.  The
# first pair (n = 0) warms nginx's connection to fngw and is not kept.
# (n, not i: the helpers use i.)
: >"$tmp/cold.us"
: >"$tmp/warm.us"
n=0
while [ -n "$fngw_pid" ] && [ "$n" -le "$SAMPLES" ]; do
	if ! wait_zero; then
		warn "fngw keeps its instance past" \
		    "idle_timeout = $IDLE_TIMEOUT (10 s deadline):" \
		    "$(pgrep -P "$fngw_pid" | tr '\n' ' ')"
		tail -n 20 "$tmp/fngw.log" >&2
		stop_fngw
		break
	fi
	cold=$(timed_get "$url")
	warm=$(timed_get "$url")
	if [ "$cold" = - ] || [ "$warm" = - ]; then
		warn "a request failed:"
		curl -si --max-time 5 "$url" >&2 || :
		tail -n 20 "$tmp/fngw.log" >&2
		stop_fngw
		break
	fi
	if [ "$n" -gt 0 ]; then
		echo "$cold" >>"$tmp/cold.us"
		echo "$warm" >>"$tmp/warm.us"
	fi
	n=$((n + 1))
done

say "# cold-start $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)," \
    "$(nproc) cpus"
say "# handlers/counter_fcgi, $SAMPLES samples, nearest-rank percentiles;" \
    "fngw fastcgi mode, min_instances = 0, idle_timeout = $IDLE_TIMEOUT," \
    "behind nginx $(nginx -v 2>&1 | sed 's|.*/||')"
if [ -n "$fngw_pid" ]; then
	say "cold start p50/p99       $(pct 50 "$tmp/cold.us") /" \
	    "$(pct 99 "$tmp/cold.us") ms  (curl time_total, the first" \
	    "request after scale to zero)"
	say "warm p50/p99             $(pct 50 "$tmp/warm.us") /" \
	    "$(pct 99 "$tmp/warm.us") ms  (the request right after it)"
else
	say "# fngw: not run ($FNGW missing or not serving the function)"
fi
say "spawn-to-accept p50/p99  $(pct 50 "$tmp/spawn.us") /" \
    "$(pct 99 "$tmp/spawn.us") ms  (posix_spawn until FCGI_GET_VALUES" \
    "is answered)"

# fngw's own measure of each cold start (init_us), from its ledger.
if [ -n "$fngw_pid" ] && command -v sqlite3 >/dev/null &&
    sqlite3 "$tmp/usage.db" 'select init_us from invocations
    where cold_start = 1 order by id' >"$tmp/init.us" 2>/dev/null &&
    [ -s "$tmp/init.us" ]; then
	say "fngw init_us p50/p99     $(pct 50 "$tmp/init.us") /" \
	    "$(pct 99 "$tmp/init.us") ms  ($(wc -l <"$tmp/init.us") cold" \
	    "starts in the ledger)"
fi

say "goal: cold start <= spawn time + 1 ms"
if [ -n "$fngw_pid" ]; then
	c50=$(pct 50 "$tmp/cold.us")
	w50=$(pct 50 "$tmp/warm.us")
	s50=$(pct 50 "$tmp/spawn.us")
	say "cold - spawn (p50) $(awk -v c="$c50" -v s="$s50" 'BEGIN {
	    printf "%.3f ms (%s)", c - s, (c - s <= 1 ? "met" : "not met") }')"
	# What the start itself adds, without nginx's and curl's share.
	say "cold - warm (p50)  $(awk -v c="$c50" -v w="$w50" 'BEGIN {
	    printf "%.3f ms", c - w }')"
	grep -E 'ERROR|Sanitizer|fatal' "$tmp/fngw.log" >&2 || :
fi

mv "$report.tmp" "$report"
echo "written: ${report#"$top"/}"
