#!/bin/sh
# ledger-cost.sh -- what writing the usage rows costs: the normal fngw
# (one SQLite row per request, committed before the reply goes out)
# against the build that writes none (make NO_LEDGER=1), both behind one
# nginx on a free 127.0.0.1 port, driven by wrk.
#
#	/a/...  on   nginx -> unix socket -> FNGW      (rows in on/usage.db)
#	/b/...  off  nginx -> unix socket -> FNGW_OFF  (no rows)
#
# Both gateways read the same generated INI but for listen, billing_db
# and runtime_dir (each needs its own, as the warm instances' sockets
# are runtime_dir/fnINDEX.SEQ.sock), serving two functions:
#
#	warm  handlers/counter_fcgi, mode = fastcgi, concurrency =
#	      min_instances = 2, max_requests = 1000000000
#	cgi   handlers/hello, mode = cgi (concurrency 4)
#
# nginx passes both with the repository's snippet nginx/fngw.conf
# (fastcgi_keep_conn on) and only fastcgi_pass changed, to upstreams
# with keepalive 16: the recommended setup.  Each round runs on then off
# for each function, and the next round off then on, so that a drift
# over the run weighs on both alike.
#
# Prints the request rates, the ratio with rows / without rows against
# the goal, and the rows in the normal gateway's ledger against the
# requests wrk completed for it (every served request must have its
# row); writes the same report to bench/out/ledger-cost.txt.  Every
# process it starts is stopped by pid on exit.  Builds FNGW_OFF
# (make NO_LEDGER=1) when it is missing.
#
# Knobs (environment):
#	ROUNDS=3	rounds of on and off, for each function
#	DURATION=10s	wrk -d per run (after a 1s warm-up run of each)
#	THREADS=2 CONNS=16	wrk -t and -c
#	FNGW=gateway/fngw		writes the rows
#	FNGW_OFF=build/noledger/fngw	writes none
#	BENCH_OUT=bench/out		the report's folder

set -eu

bench=ledger-cost
top=$(cd "$(dirname "$0")/.." && pwd -P)
. "$top/bench/lib.sh"
FNGW=${FNGW:-$top/gateway/fngw}
FNGW_OFF=${FNGW_OFF:-$top/build/noledger/fngw}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
out=${BENCH_OUT:-$top/bench/out}	# BENCH_OUT= writes the report elsewhere
report=$out/$bench.txt
off_pid=

# The INI of gateway $1 (on, off): only the three paths differ.
write_ini() {
	cat >"$tmp/$1/fngw.ini" <<EOF
[gateway]
listen = unix:$tmp/$1/fngw.sock
listen_mode = 0666
runtime_dir = $tmp/$1/run
billing_db = $tmp/$1/usage.db
log_level = warn

[fn.warm]
route = ^/[ab]/warm\$
exec = $tmp/bin/counter_fcgi
mode = fastcgi
concurrency = 2
min_instances = 2
max_requests = 1000000000
queue = 1024

[fn.cgi]
route = ^/[ab]/cgi\$
exec = $tmp/bin/hello
mode = cgi
concurrency = 4
queue = 1024
EOF
}

# Start gateway binary $1 as $2 (on, off); its pid in $started.
start_gw() {
	write_ini "$2"
	"$1" serve -c "$tmp/$2/fngw.ini" 2>"$tmp/$2/fngw.log" &
	started=$!
	echo "$started" >>"$pid_file"
}

# Whether gateway $1 (on, off) has its two warm instances.
has_instances() {
	if [ "$1" = on ]; then
		set -- "$fngw_pid"
	else
		set -- "$off_pid"
	fi
	[ "$(pgrep -P "$1" -f counter_fcgi | wc -l)" -eq 2 ]
}

# Requests wrk completed in its last run (its output in $tmp/wrk.out).
completed() {
	awk '/ requests in / { print $1; found = 1 }
	    END { if (!found) print 0 }' "$tmp/wrk.out"
}

# One measured run of URL $2 for label $1 (e.g. "warm on"): its rate
# goes to $tmp/rates.LABEL (unless the run had errors) and, for on, the
# requests it completed to done_on.
run() {
	v=$(rate "$2")
	case $1 in
	*on)	done_on=$((done_on + $(completed))) ;;
	esac
	say "round $r  $(printf '%-8s' "$1")  $v req/s"
	[ "$v" = - ] || echo "$v" >>"$tmp/rates.$(echo "$1" | tr ' ' _)"
}

# The mean rate of label $1 to one decimal, and the runs it is of.
mean_of() {
	if [ -s "$tmp/rates.$1" ]; then
		awk '{ s += $1 } END { printf "%.1f %d\n", s / NR, NR }' \
		    "$tmp/rates.$1"
	else
		echo "- 0"
	fi
}

command -v wrk >/dev/null || die "no wrk: make deps"
command -v nginx >/dev/null || die "no nginx: make deps"
command -v sqlite3 >/dev/null || die "no sqlite3: make deps"
command -v pgrep >/dev/null || die "no pgrep: make deps"
command -v curl >/dev/null || die "no curl: make deps"
[ -x "$top/handlers/counter_fcgi" ] && [ -x "$top/handlers/hello" ] ||
    die "no handlers/counter_fcgi or handlers/hello: make handlers"
[ -r /etc/nginx/fastcgi_params ] || die "no /etc/nginx/fastcgi_params"
[ -x "$FNGW" ] || die "no $FNGW: make"
case $ROUNDS in
'' | *[!0-9]*)	die "ROUNDS is a number" ;;
esac
[ "$ROUNDS" -ge 1 ] || die "ROUNDS is at least 1"
need_snippet

trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$out"
: >"$report.tmp"
scratch_setup bin nginx on/run off/run
pid_file=$tmp/gateways.pids	# both gateways' pids, for cleanup
: >"$pid_file"

# The build without rows: made here when missing (the default path only:
# another FNGW_OFF is the caller's to build).
if [ ! -x "$FNGW_OFF" ]; then
	[ "$FNGW_OFF" = "$top/build/noledger/fngw" ] ||
	    die "no $FNGW_OFF"
	warn "building $FNGW_OFF (make NO_LEDGER=1)"
	make -C "$top" --no-print-directory NO_LEDGER=1 \
	    >"$tmp/make.log" 2>&1 ||
	    die "make NO_LEDGER=1 failed: $(tail -n 20 "$tmp/make.log")"
	[ -x "$FNGW_OFF" ] || die "make NO_LEDGER=1 made no $FNGW_OFF"
fi

copy_handlers counter_fcgi hello
port=$(free_port) || die "no free port"

# The two locations: the repository's snippet, another fastcgi_pass.
snippet fngw_on on >"$tmp/on.conf"
snippet fngw_off on >"$tmp/off.conf"

start_gw "$FNGW" on
fngw_pid=$started
start_gw "$FNGW_OFF" off
off_pid=$started
for g in on off; do
	wait_for 100 test -S "$tmp/$g/fngw.sock" ||
	    die "fngw ($g) did not start: $(tail -n 20 "$tmp/$g/fngw.log")"
done

nginx_conf <<EOF
	# The same settings for both, but the socket.
	upstream fngw_on {
		server unix:$tmp/on/fngw.sock;
		keepalive 16;
	}
	upstream fngw_off {
		server unix:$tmp/off/fngw.sock;
		keepalive 16;
	}
	server {
		listen 127.0.0.1:$port;
		location ^~ /a/ {
			include $tmp/on.conf;
		}
		location ^~ /b/ {
			include $tmp/off.conf;
		}
	}
EOF
start_nginx

base=http://127.0.0.1:$port
for g in on off; do
	if [ $g = on ]; then x=a; else x=b; fi
	wait_for 50 answers "$base/$x/warm" '^count=' ||
	    die "fngw ($g) does not answer $base/$x/warm:" \
	    "$(tail -n 20 "$tmp/$g/fngw.log")"
	wait_for 50 answers "$base/$x/cgi" '^Hello, ' ||
	    die "fngw ($g) does not answer $base/$x/cgi:" \
	    "$(tail -n 20 "$tmp/$g/fngw.log")"
	wait_for 100 has_instances $g ||
	    die "fngw ($g) does not keep 2 warm instances"
done

say "# ledger-cost $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)," \
    "$(nproc) cpus"
say "# on: ${FNGW#"$top"/} (a usage row per request); off:" \
    "${FNGW_OFF#"$top"/} (NO_LEDGER=1, no rows); behind nginx" \
    "$(nginx -v 2>&1 | sed 's|.*/||'), nginx/fngw.conf, keepalive 16;" \
    "wrk -t$THREADS -c$CONNS -d$DURATION"
say "# warm: handlers/counter_fcgi, fastcgi mode, concurrency =" \
    "min_instances = 2, max_requests = 1000000000; cgi: handlers/hello," \
    "cgi mode, concurrency 4"
if [ -n "$(find "$FNGW" -newer "$FNGW_OFF" 2>/dev/null)" ]; then
	say "# note: FNGW_OFF is older than FNGW: make NO_LEDGER=1"
fi

# Warm-up, not reported; what wrk completes against on counts.
done_on=0
for u in a/warm b/warm a/cgi b/cgi; do
	wrk -t"$THREADS" -c"$CONNS" -d1s "$base/$u" >"$tmp/wrk.out" 2>&1 ||
	    :
	[ "${u%/*}" = b ] || done_on=$((done_on + $(completed)))
done

r=1
while [ $r -le "$ROUNDS" ]; do
	for f in warm cgi; do
		if [ $((r % 2)) = 1 ]; then
			run "$f on" "$base/a/$f"
			run "$f off" "$base/b/$f"
		else
			run "$f off" "$base/b/$f"
			run "$f on" "$base/a/$f"
		fi
	done
	r=$((r + 1))
done

# Rows: read while both still run (a reply goes out only once its row
# is committed, so the count is final for what wrk saw).
rows_on=$(sqlite3 "$tmp/on/usage.db" 'select count(*) from invocations') ||
    rows_on=-
rows_off=$(sqlite3 "$tmp/off/usage.db" 'select count(*) from invocations' \
    2>/dev/null) || rows_off=-

say "goal: with rows >= 0.9 x without"
for f in warm cgi; do
	read -r m_on n_on <<EOF
$(mean_of "${f}_on")
EOF
	read -r m_off n_off <<EOF
$(mean_of "${f}_off")
EOF
	line=$(awk -v a="$m_on" -v b="$m_off" 'BEGIN {
	    if (a == "-" || b == "-" || b == 0) { print "-"; exit }
	    r = a / b
	    printf "%.2f (%s)", r, (r >= 0.9 ? "met" : "not met") }')
	say "$(printf '%-4s' "$f")  with rows $m_on req/s (mean of $n_on)," \
	    "without $m_off req/s (mean of $n_off): ratio $line"
done
say "rows in on's usage.db: $rows_on for $done_on requests wrk completed" \
    "against it, warm-ups included ($(awk -v r="$rows_on" \
    -v d="$done_on" 'BEGIN {
	if (r == "-") print "no count"
	else if (r + 0 >= d + 0) printf "rows >= completed: ok, +%d", r - d
	else printf "rows < completed: MISSING %d", d - r }'))"
say "rows in off's usage.db: $rows_off (the build writes none)"

for g in on off; do
	grep -E 'ERROR|Sanitizer|fatal' "$tmp/$g/fngw.log" >&2 || :
done
mv "$report.tmp" "$report"
echo "written: ${report#"$top"/}"
