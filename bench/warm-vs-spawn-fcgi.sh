#!/bin/sh
# warm-vs-spawn-fcgi.sh -- fngw's fastcgi mode (warm instances) against
# the same FastCGI program started by spawn-fcgi with no gateway, both
# behind one nginx on a free 127.0.0.1 port, running the same binary
# (handlers/counter_fcgi), driven by wrk.
#
#	A  fngw	   nginx -> unix socket -> fngw -> N warm counter_fcgi
#		   (mode = fastcgi, concurrency = min_instances = N)
#	B  direct  nginx -> unix socket -> N counter_fcgi (spawn-fcgi -F N)
#
# Both locations use the same nginx directives: B's is the repository's
# snippet nginx/fngw.conf with only fastcgi_pass changed.  The upstream
# keepalive settings are the same too, and off by default: a libfcgi
# process serves one connection at a time, so with keepalive each of
# B's N processes is pinned to one kept connection, and the requests on
# nginx's other connections wait in the backlog until nginx retires a
# connection (keepalive_requests, 1000): KEEPALIVE=on shows it in p99.
#
# Prints the request rates (with wrk's p99 latency), the ratio
# fngw/direct against the goal, and fngw's RSS (at start, after the
# rounds, and its peak); writes the same report to
# bench/out/warm-vs-spawn-fcgi.txt.  Every process it starts
# is stopped by pid on exit.  If gateway/fngw is missing or does not
# answer, only the direct half runs.
#
# Knobs (environment):
#	ROUNDS=3	A then B, ROUNDS times (A B A B ... for ROUNDS=2)
#	DURATION=10s	wrk -d per run (after a 1s warm-up run of each)
#	THREADS=2 CONNS=16	wrk -t and -c
#	N=2		processes: spawn-fcgi -F, fngw's concurrency and
#			min_instances
#	MAX_REQUESTS=1000000000	fngw's max_requests (spawn-fcgi's
#			processes are never recycled)
#	KEEPALIVE=off	on: keepalive $CONNS and fastcgi_keep_conn on, for
#			both
#	FNGW=gateway/fngw

set -eu

bench=warm-vs-spawn-fcgi
top=$(cd "$(dirname "$0")/.." && pwd -P)
. "$top/bench/lib.sh"
FNGW=${FNGW:-$top/gateway/fngw}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
N=${N:-2}
MAX_REQUESTS=${MAX_REQUESTS:-1000000000}
KEEPALIVE=${KEEPALIVE:-off}
out=${BENCH_OUT:-$top/bench/out}	# BENCH_OUT= writes the report elsewhere
report=$out/$bench.txt

# The 99th percentile latency of the last rate --latency run.
p99() {
	awk '$1 == "99%" { print $2; found = 1 }
	    END { if (!found) print "-" }' "$tmp/wrk.out"
}

# fngw's warm instances: its children, by pid, on one line.
instances() {
	pgrep -P "$fngw_pid" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

has_n_instances() {
	[ "$(pgrep -P "$fngw_pid" | wc -l)" -eq "$N" ]
}

command -v wrk >/dev/null || die "no wrk: make deps"
command -v nginx >/dev/null || die "no nginx: make deps"
command -v spawn-fcgi >/dev/null || die "no spawn-fcgi: make deps"
command -v pgrep >/dev/null || die "no pgrep: make deps"
[ -x "$top/handlers/counter_fcgi" ] ||
    die "no handlers/counter_fcgi: make handlers"
[ -r /etc/nginx/fastcgi_params ] || die "no /etc/nginx/fastcgi_params"
case $ROUNDS$N$MAX_REQUESTS in
*[!0-9]*)	die "ROUNDS, N and MAX_REQUESTS are numbers" ;;
esac
[ "$N" -ge 1 ] || die "N is at least 1"
case $KEEPALIVE in
on)	keepalive="keepalive $CONNS;"
	keep_conn=on ;;
off)	keepalive="# no keepalive (KEEPALIVE=off)"
	keep_conn=off ;;
*)	die "KEEPALIVE is on or off" ;;
esac

trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$out"
: >"$report.tmp"
scratch_setup bin nginx run
copy_handlers counter_fcgi
port=$(free_port) || die "no free port"

# The location's directives, shared by A and B: the repository's
# snippet, with fastcgi_keep_conn set to KEEPALIVE and, for B, another
# fastcgi_pass.
for line in 'fastcgi_pass fngw;' 'fastcgi_keep_conn on;'; do
	grep -qx "$line" "$top/nginx/fngw.conf" ||
	    die "nginx/fngw.conf has no line '$line'"
done
sed "s/^fastcgi_keep_conn on;\$/fastcgi_keep_conn $keep_conn;/" \
    "$top/nginx/fngw.conf" >"$tmp/fngw.conf"
sed 's/^fastcgi_pass fngw;$/fastcgi_pass direct;/' "$tmp/fngw.conf" \
    >"$tmp/direct.conf"

# A: fngw, if it is built.
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
concurrency = $N
min_instances = $N
max_requests = $MAX_REQUESTS
queue = 1024
EOF
	"$FNGW" serve -c "$tmp/fngw.ini" 2>"$tmp/fngw.log" &
	fngw_pid=$!
	if ! wait_for 100 test -S "$tmp/fngw.sock"; then
		warn "fngw did not start:"
		cat "$tmp/fngw.log" >&2
		stop_fngw
	fi
fi

# B: spawn-fcgi forks N processes on one listening socket and exits;
# as nobody when we are root, like fngw's instances.  Its children, each
# in a session of its own, are known by the pids it writes to its pid
# file, which cleanup reads.
mkdir "$tmp/direct"
pid_file=$tmp/direct.pids
if [ "$(id -u)" = 0 ]; then
	set -- -u nobody -g nogroup
else
	set --
fi
spawn-fcgi -s "$tmp/direct/direct.sock" -M 0666 -F "$N" \
    -P "$pid_file" "$@" -- "$tmp/bin/counter_fcgi" \
    </dev/null >"$tmp/spawn-fcgi.log" 2>&1 ||
    die "spawn-fcgi failed: $(cat "$tmp/spawn-fcgi.log")"
direct_pids=$(cat "$pid_file")
[ "$(echo "$direct_pids" | wc -w)" -eq "$N" ] ||
    die "spawn-fcgi started $(echo "$direct_pids" | wc -w) of $N processes"

nginx_conf <<EOF
	# The same settings for both, but the socket.
	upstream fngw {
		server unix:$tmp/fngw.sock;
		$keepalive
	}
	upstream direct {
		server unix:$tmp/direct/direct.sock;
		$keepalive
	}
	server {
		listen 127.0.0.1:$port;
		location = /counter {
			include $tmp/fngw.conf;
		}
		location = /direct/counter {
			include $tmp/direct.conf;
		}
	}
EOF
start_nginx

url_a=http://127.0.0.1:$port/counter
url_b=http://127.0.0.1:$port/direct/counter
if [ -n "$fngw_pid" ] && ! wait_for 50 answers "$url_a" '^count='; then
	warn "fngw does not answer $url_a:"
	curl -si --max-time 5 "$url_a" >&2 || :
	tail -n 20 "$tmp/fngw.log" >&2
	stop_fngw
fi
if [ -n "$fngw_pid" ] && ! wait_for 100 has_n_instances; then
	warn "fngw does not keep $N instances (has: $(instances))"
	tail -n 20 "$tmp/fngw.log" >&2
	stop_fngw
fi
wait_for 50 answers "$url_b" '^count=' ||
    die "spawn-fcgi does not answer $url_b: $(tail -n 5 "$tmp/nginx/error.log")"

say "# warm-vs-spawn-fcgi $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)," \
    "$(nproc) cpus"
say "# handlers/counter_fcgi behind nginx $(nginx -v 2>&1 | sed 's|.*/||');" \
    "wrk -t$THREADS -c$CONNS -d$DURATION; upstream keepalive $KEEPALIVE;" \
    "spawn-fcgi -F $N; fngw fastcgi mode, concurrency = min_instances = $N," \
    "max_requests = $MAX_REQUESTS"
[ -n "$fngw_pid" ] || say "# fngw: not run ($FNGW missing or not answering)"

# Warm-up, not reported: nginx's connections, the processes' pages.
if [ -n "$fngw_pid" ]; then
	wrk -t"$THREADS" -c"$CONNS" -d1s "$url_a" >/dev/null 2>&1 || :
	rss_start=$(rss_kb "$fngw_pid")
	inst_start=$(instances)
fi
wrk -t"$THREADS" -c"$CONNS" -d1s "$url_b" >/dev/null 2>&1 || :

sum_a=0
sum_b=0
ok_a=0
ok_b=0
r=1
while [ $r -le "$ROUNDS" ]; do
	if [ -n "$fngw_pid" ]; then
		a=$(rate --latency "$url_a")
		say "round $r  A fngw    $a req/s  p99 $(p99)"
		if [ "$a" != - ]; then
			sum_a=$(awk -v s="$sum_a" -v x="$a" \
			    'BEGIN { print s + x }')
			ok_a=$((ok_a + 1))
		fi
	fi
	b=$(rate --latency "$url_b")
	say "round $r  B direct  $b req/s  p99 $(p99)"
	if [ "$b" != - ]; then
		sum_b=$(awk -v s="$sum_b" -v x="$b" \
		    'BEGIN { print s + x }')
		ok_b=$((ok_b + 1))
	fi
	r=$((r + 1))
done

mean_a=$(mean "$sum_a" "$ok_a")
mean_b=$(mean "$sum_b" "$ok_b")
[ -z "$fngw_pid" ] || say "fngw    $mean_a req/s (mean of $ok_a)"
say "direct  $mean_b req/s (mean of $ok_b)"
say "goal: fngw >= 0.8 x direct"
if [ -n "$fngw_pid" ] && [ "$mean_a" != - ] && [ "$mean_b" != - ]; then
	say "ratio fngw/direct $(awk -v a="$mean_a" -v b="$mean_b" 'BEGIN {
	    r = a / b
	    printf "%.2f (%s)", r, (r >= 0.8 ? "met" : "not met") }')"
fi

# fngw's memory, and whether its instances were kept (a crash or a
# recycle would have replaced one).
if [ -n "$fngw_pid" ]; then
	say "fngw VmRSS: ${rss_start} kB at start, $(rss_kb "$fngw_pid") kB" \
	    "after the rounds; peak (VmHWM) $(rss_kb "$fngw_pid" VmHWM) kB"
	inst_end=$(instances)
	if [ "$inst_end" = "$inst_start" ]; then
		say "fngw instances: the same $N throughout ($inst_end)"
	else
		say "fngw instances: $inst_start at start, $inst_end at the end"
	fi
	grep -E 'ERROR|Sanitizer|fatal' "$tmp/fngw.log" >&2 || :
fi

mv "$report.tmp" "$report"
echo "written: ${report#"$top"/}"
