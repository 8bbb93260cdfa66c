#!/bin/sh
# hop.sh -- what one more hop costs by itself: the ceiling of any
# gateway between nginx and a FastCGI program.  The same two programs
# (handlers/counter_fcgi for GET, bench/echo_all.c for POSTs) run under
# spawn-fcgi -F 2, and nginx reaches them four ways:
#
#	direct	nginx -> spawn-fcgi's socket (as the standing benchmark)
#	relay	nginx -> bench/relay.c -> spawn-fcgi's socket: bytes copied
#		through one more process and nothing else (no parsing,
#		routing, process management or ledger)
#	off	nginx -> fngw without usage rows (make NO_LEDGER=1), its own
#		2 warm instances of the same programs
#	on	nginx -> fngw as shipped (a row committed per request)
#
# direct and relay get the standing benchmark's snippet for its peers
# (nginx/fngw.conf without kept connections), fngw the snippet as
# shipped.  Each round runs the four for GET hello, POST 4 KiB and POST
# 1 MiB, in an order rotated every round; the report has each mean and
# its ratio to direct.  relay/direct is the most any gateway could get
# against direct; fngw's rows off and on show how far it is from that.
# Writes bench/out/hop.txt.  Every process it starts is stopped by pid.
#
# Knobs (environment):
#	ROUNDS=3		rounds of all four, per request kind
#	DURATION=5s		wrk -d per run (after a 1s warm-up run of each)
#	THREADS=2 CONNS=16	wrk -t and -c
#	FNGW=gateway/fngw		rows on
#	FNGW_OFF=build/noledger/fngw	rows off (made when missing)
#	BENCH_OUT=bench/out		the report's folder

set -eu

bench=hop
top=$(cd "$(dirname "$0")/.." && pwd -P)
. "$top/bench/lib.sh"
FNGW=${FNGW:-$top/gateway/fngw}
FNGW_OFF=${FNGW_OFF:-$top/build/noledger/fngw}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
CC=${CC:-cc}
out=${BENCH_OUT:-$top/bench/out}
report=$out/$bench.txt
WAYS="direct relay off on"

for c in wrk nginx spawn-fcgi pgrep "$CC"; do
	command -v "$c" >/dev/null || die "no $c: make deps"
done
[ -x "$top/handlers/counter_fcgi" ] || die "no handlers/counter_fcgi: make"
[ -x "$FNGW" ] || die "no $FNGW: make"
[ -r /etc/nginx/fastcgi_params ] || die "no /etc/nginx/fastcgi_params"
case $ROUNDS in
'' | *[!0-9]*)	die "ROUNDS is a number" ;;
esac
[ "$ROUNDS" -ge 1 ] || die "ROUNDS is at least 1"

trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$out"
: >"$report.tmp"
scratch_setup bin nginx direct on/run off/run
pid_file=$tmp/pids
: >"$pid_file"
need_snippet

if [ ! -x "$FNGW_OFF" ]; then
	[ "$FNGW_OFF" = "$top/build/noledger/fngw" ] || die "no $FNGW_OFF"
	warn "building $FNGW_OFF (make NO_LEDGER=1)"
	make -C "$top" --no-print-directory NO_LEDGER=1 >"$tmp/make.log" 2>&1 ||
	    die "make NO_LEDGER=1 failed: $(tail -n 20 "$tmp/make.log")"
fi
copy_handlers counter_fcgi
"$CC" -D_GNU_SOURCE -std=c11 -O2 -o "$tmp/bin/echo_all" \
    "$top/bench/echo_all.c" -lfcgi 2>"$tmp/cc.log" ||
    die "cannot build bench/echo_all.c: $(cat "$tmp/cc.log")"
"$CC" -D_GNU_SOURCE -std=c11 -O2 -o "$tmp/bin/relay" \
    "$top/bench/relay.c" 2>"$tmp/cc.log" ||
    die "cannot build bench/relay.c: $(cat "$tmp/cc.log")"
chmod 0755 "$tmp/bin/echo_all" "$tmp/bin/relay"

# spawn-fcgi, 2 processes of each program, and a relay in front of each.
if [ "$(id -u)" = 0 ]; then
	set -- -u nobody -g nogroup
else
	set --
fi
for p in counter_fcgi echo_all; do
	spawn-fcgi -s "$tmp/direct/$p.sock" -M 0666 -F 2 \
	    -P "$tmp/direct/$p.pids" "$@" -- "$tmp/bin/$p" \
	    </dev/null >"$tmp/spawn-fcgi.log" 2>&1 ||
	    die "spawn-fcgi failed: $(cat "$tmp/spawn-fcgi.log")"
	awk 1 "$tmp/direct/$p.pids" >>"$pid_file"
	"$tmp/bin/relay" "$tmp/direct/relay-$p.sock" "$tmp/direct/$p.sock" \
	    2>"$tmp/relay-$p.log" &
	echo $! >>"$pid_file"
done

# fngw, on and off: the same INI but for the paths.
for g in on off; do
	cat >"$tmp/$g/fngw.ini" <<EOF
[gateway]
listen = unix:$tmp/$g/fngw.sock
listen_mode = 0666
runtime_dir = $tmp/$g/run
billing_db = $tmp/$g/usage.db
log_level = warn

[fn.counter]
route = ^/$g/counter\$
exec = $tmp/bin/counter_fcgi
mode = fastcgi
concurrency = 2
min_instances = 2
max_requests = 1000000000
queue = 1024

[fn.echo]
route = ^/$g/echo\$
exec = $tmp/bin/echo_all
mode = fastcgi
concurrency = 2
min_instances = 2
max_requests = 1000000000
queue = 1024
max_body = 2m
max_output = 2m
EOF
	if [ $g = on ]; then bin=$FNGW; else bin=$FNGW_OFF; fi
	"$bin" serve -c "$tmp/$g/fngw.ini" 2>"$tmp/$g/fngw.log" &
	echo $! >>"$pid_file"
done

for s in direct/counter_fcgi direct/echo_all direct/relay-counter_fcgi \
    direct/relay-echo_all on/fngw off/fngw; do
	wait_for 100 test -S "$tmp/$s.sock" || die "no socket $s.sock"
done

# The snippets: fngw's as shipped; the others' without kept connections.
for u in on off; do
	snippet "fngw_$u" on >"$tmp/$u.conf"
done
for u in counter_fcgi echo_all relay-counter_fcgi relay-echo_all; do
	snippet "$u" off >"$tmp/$u.conf"
done
port=$(free_port) || die "no free port"
nginx_conf <<EOF
	client_max_body_size 2m;
	client_body_buffer_size 2m;
	upstream fngw_on { server unix:$tmp/on/fngw.sock; keepalive 16; }
	upstream fngw_off { server unix:$tmp/off/fngw.sock; keepalive 16; }
	upstream counter_fcgi { server unix:$tmp/direct/counter_fcgi.sock; }
	upstream echo_all { server unix:$tmp/direct/echo_all.sock; }
	upstream relay-counter_fcgi {
		server unix:$tmp/direct/relay-counter_fcgi.sock;
	}
	upstream relay-echo_all { server unix:$tmp/direct/relay-echo_all.sock; }
	server {
		listen 127.0.0.1:$port;
		location = /direct/counter { include $tmp/counter_fcgi.conf; }
		location = /direct/echo { include $tmp/echo_all.conf; }
		location = /relay/counter {
			include $tmp/relay-counter_fcgi.conf;
		}
		location = /relay/echo { include $tmp/relay-echo_all.conf; }
		location ^~ /on/ { include $tmp/on.conf; }
		location ^~ /off/ { include $tmp/off.conf; }
	}
EOF
start_nginx
base=http://127.0.0.1:$port
for w in $WAYS; do
	wait_for 50 answers "$base/$w/counter" '^count=' ||
	    die "$w does not answer $base/$w/counter"
done

post_lua 4096
post_lua 1048576

# kind_args KIND: the path and wrk's options of a request kind.
kind_args() {
	case $1 in
	get)	echo "counter" ;;
	post4k)	echo "echo -s $tmp/post4096.lua" ;;
	post1m)	echo "echo -s $tmp/post1048576.lua" ;;
	esac
}

# One run of way $1, kind $2: its rate to $tmp/rates.KIND.WAY.
run() {
	hop_way=$1
	hop_kind=$2
	set -- $(kind_args "$2")
	hop_path=$1
	shift
	v=$(rate "$@" "$base/$hop_way/$hop_path")
	echo "$v" >>"$tmp/rates.$hop_kind.$hop_way"
}

say "# hop.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cpus, load" \
    "$(cut -d' ' -f1-3 /proc/loadavg); wrk -t$THREADS -c$CONNS" \
    "-d$DURATION, $ROUNDS rounds"
measured=$DURATION
DURATION=1s
for kind in get post4k post1m; do
	for w in $WAYS; do	# warm-up
		run "$w" "$kind"
		: >"$tmp/rates.$kind.$w"
	done
done
DURATION=$measured
r=1
while [ $r -le "$ROUNDS" ]; do
	# Rotate the order of the four every round.
	set -- $WAYS
	k=1
	while [ $k -lt $r ]; do
		w=$1
		shift
		set -- "$@" "$w"
		k=$((k + 1))
	done
	order="$*"
	for kind in get post4k post1m; do
		for w in $order; do
			run "$w" "$kind"
		done
	done
	say "round $r ($order) done"
	r=$((r + 1))
done

say "kind    way     req/s (mean)  x direct  runs"
for kind in get post4k post1m; do
	d=$(awk '$1 != "-" { s += $1; n++ } END { if (n) printf "%.0f", s / n; else print "-" }' \
	    "$tmp/rates.$kind.direct")
	for w in $WAYS; do
		awk -v k="$kind" -v w="$w" -v d="$d" '
		    $1 != "-" { s += $1; n++ }
		    END {
			m = n ? s / n : 0
			printf "%-7s %-7s %12.0f  %8s  %d\n", k, w, m,
			    (n && d != "-" && d > 0) ? sprintf("%.2f", m / d) : "-", n
		    }' "$tmp/rates.$kind.$w" | tee -a "$report.tmp"
	done
done
for g in on off; do
	grep -E 'ERROR|level=error|Sanitizer|fatal' "$tmp/$g/fngw.log" >&2 || :
done
mv "$report.tmp" "$report"
echo "written: ${report#"$top"/}"
