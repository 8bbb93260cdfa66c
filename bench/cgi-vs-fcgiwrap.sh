#!/bin/sh
# cgi-vs-fcgiwrap.sh -- fngw's cgi mode against Debian's fcgiwrap, both
# behind one nginx on a free 127.0.0.1 port, running the same binary
# (handlers/hello), driven by wrk.
#
#	A  fngw	     nginx -> unix socket -> fngw (cgi mode, keepalive pool)
#	B  fcgiwrap  nginx -> unix socket -> fcgiwrap -c $CONC (stock setup)
#
# Prints the request rates, the ratio fngw/fcgiwrap, and fngw's RSS at
# start, before and after N more requests; writes the same report to
# bench/out/cgi-vs-fcgiwrap.txt.  Every process it starts is stopped by
# pid on exit.  If gateway/fngw is missing or does not answer, only the
# fcgiwrap half runs.
#
# Knobs (environment):
#	ROUNDS=1	A then B, ROUNDS times (A B A B ... for ROUNDS=2)
#	DURATION=10s	wrk -d per run
#	THREADS=2 CONNS=16	wrk -t and -c
#	CONC=4		fcgiwrap -c, and fngw's concurrency for the function
#	N=100000	requests between the two RSS readings
#	FNGW=gateway/fngw

set -eu

bench=cgi-vs-fcgiwrap
top=$(cd "$(dirname "$0")/.." && pwd -P)
. "$top/bench/lib.sh"
FNGW=${FNGW:-$top/gateway/fngw}
ROUNDS=${ROUNDS:-1}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
CONC=${CONC:-4}
N=${N:-100000}
out=${BENCH_OUT:-$top/bench/out}	# BENCH_OUT= writes the report elsewhere
report=$out/$bench.txt

command -v wrk >/dev/null || die "no wrk: make deps"
command -v nginx >/dev/null || die "no nginx: make deps"
command -v fcgiwrap >/dev/null || [ -x /usr/sbin/fcgiwrap ] ||
    die "no fcgiwrap: make deps"
[ -x "$top/handlers/hello" ] || die "no handlers/hello: make handlers"
[ -r /etc/nginx/fastcgi_params ] || die "no /etc/nginx/fastcgi_params"
case $ROUNDS$CONC$N in
*[!0-9]*)	die "ROUNDS, CONC and N are numbers" ;;
esac

trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$out"
: >"$report.tmp"
scratch_setup bin nginx
copy_handlers hello
port=$(free_port) || die "no free port"

# A: fngw, if it is built.
if [ -x "$FNGW" ]; then
	cat >"$tmp/fngw.ini" <<EOF
[gateway]
listen = unix:$tmp/fngw.sock
listen_mode = 0666
runtime_dir = $tmp
billing_db = $tmp/usage.db
log_level = warn

[fn.hello]
route = ^/hello\$
exec = $tmp/bin/hello
mode = cgi
concurrency = $CONC
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

# B: fcgiwrap, as nobody when we are root, in its own process group.
mkdir "$tmp/fcgiwrap"
fcgiwrap_cmd="fcgiwrap -c $CONC -s unix:$tmp/fcgiwrap/fcgiwrap.sock"
if [ "$(id -u)" = 0 ]; then
	chown nobody:nogroup "$tmp/fcgiwrap"
	setsid setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    $fcgiwrap_cmd </dev/null 2>"$tmp/fcgiwrap.log" &
else
	setsid $fcgiwrap_cmd </dev/null 2>"$tmp/fcgiwrap.log" &
fi
group_pids=$!	# cleanup stops fcgiwrap's process group
wait_for 100 test -S "$tmp/fcgiwrap/fcgiwrap.sock" ||
    die "fcgiwrap did not start: $(cat "$tmp/fcgiwrap.log")"
chmod 0666 "$tmp/fcgiwrap/fcgiwrap.sock"

nginx_conf <<EOF
	upstream fngw {
		server unix:$tmp/fngw.sock;
		keepalive 16;
	}
	upstream fcgiwrap {
		server unix:$tmp/fcgiwrap/fcgiwrap.sock;
	}
	server {
		listen 127.0.0.1:$port;
		# A: the repository's snippet, as a host would use it.
		location = /hello {
			include $top/nginx/fngw.conf;
		}
		# B: fcgiwrap's stock setup.  No keep_conn: each preforked
		# fcgiwrap serves one connection at a time, so an idle kept
		# connection would pin a process.
		location = /fcgiwrap/hello {
			include fastcgi_params;
			fastcgi_param SCRIPT_FILENAME $tmp/bin/hello;
			fastcgi_pass fcgiwrap;
		}
	}
EOF
start_nginx

url_a=http://127.0.0.1:$port/hello
url_b=http://127.0.0.1:$port/fcgiwrap/hello
if [ -n "$fngw_pid" ] && ! wait_for 50 answers "$url_a" '^Hello, '; then
	warn "fngw does not answer $url_a:"
	curl -si --max-time 5 "$url_a" >&2 || :
	tail -n 20 "$tmp/fngw.log" >&2
	stop_fngw
fi
wait_for 50 answers "$url_b" '^Hello, ' ||
    die "fcgiwrap does not answer $url_b: $(tail -n 5 "$tmp/nginx/error.log")"

say "# cgi-vs-fcgiwrap $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)," \
    "$(nproc) cpus"
say "# handlers/hello behind nginx $(nginx -v 2>&1 | sed 's|.*/||');" \
    "wrk -t$THREADS -c$CONNS -d$DURATION; fcgiwrap -c $CONC;" \
    "fngw cgi mode, concurrency $CONC"
[ -n "$fngw_pid" ] || say "# fngw: not run ($FNGW missing or not answering)"
[ -z "$fngw_pid" ] || rss_start=$(rss_kb "$fngw_pid")

sum_a=0
sum_b=0
ok_a=0
ok_b=0
r=1
while [ $r -le "$ROUNDS" ]; do
	if [ -n "$fngw_pid" ]; then
		a=$(rate "$url_a")
		say "round $r  A fngw      $a req/s"
		if [ "$a" != - ]; then
			sum_a=$(awk -v s="$sum_a" -v x="$a" \
			    'BEGIN { print s + x }')
			ok_a=$((ok_a + 1))
		fi
	fi
	b=$(rate "$url_b")
	say "round $r  B fcgiwrap  $b req/s"
	if [ "$b" != - ]; then
		sum_b=$(awk -v s="$sum_b" -v x="$b" 'BEGIN { print s + x }')
		ok_b=$((ok_b + 1))
	fi
	r=$((r + 1))
done

mean_a=$(mean "$sum_a" "$ok_a")
mean_b=$(mean "$sum_b" "$ok_b")
[ -z "$fngw_pid" ] || say "fngw      $mean_a req/s (mean of $ok_a)"
say "fcgiwrap  $mean_b req/s (mean of $ok_b)"
if [ -n "$fngw_pid" ] && [ "$mean_a" != - ] && [ "$mean_b" != - ]; then
	say "ratio fngw/fcgiwrap $(awk -v a="$mean_a" -v b="$mean_b" \
	    'BEGIN { printf "%.2f", a / b }')"
fi

# fngw's memory over N more requests: wrk runs of 5s until N are done,
# at most 120 runs.
if [ -n "$fngw_pid" ]; then
	rss_before=$(rss_kb "$fngw_pid")
	done_n=0
	runs=0
	while [ "$done_n" -lt "$N" ] && [ $runs -lt 120 ]; do
		wrk -t"$THREADS" -c"$CONNS" -d5s "$url_a" \
		    >"$tmp/wrk.out" 2>&1 || break
		n=$(awk '/requests in/ { print $1 }' "$tmp/wrk.out")
		[ -n "$n" ] || break
		done_n=$((done_n + n))
		runs=$((runs + 1))
	done
	rss_after=$(rss_kb "$fngw_pid")
	say "fngw VmRSS: ${rss_start} kB at start, ${rss_before} kB before" \
	    "and ${rss_after} kB after $done_n more requests" \
	    "($((rss_after - rss_before)) kB)"
	grep -E 'ERROR|Sanitizer|fatal' "$tmp/fngw.log" >&2 || :
fi

mv "$report.tmp" "$report"
echo "written: ${report#"$top"/}"
