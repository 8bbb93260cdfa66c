#!/bin/sh
# standing.sh -- the standing benchmark: fngw against its peers, all in
# one run, interleaved, written up as bench/RESULTS.md (make bench).
#
# It starts everything itself on 127.0.0.1 (one nginx on a free port,
# the backends on unix sockets in a scratch folder) and stops every
# process it started, by pid, on exit:
#
#	fngw		gateway/fngw: the cgi and warm (fastcgi) functions
#	fngw off	build/noledger/fngw (make NO_LEDGER=1): the same cgi
#			and warm functions and PHP, writing no usage rows
#	fngw cold	fastcgi functions with min_instances = 0
#	fngw many	RSS_FUNCTIONS functions, for its memory
#	fcgiwrap -c CONC	the same cgi binaries (handlers/hello,
#			bench/echo_all.c)
#	spawn-fcgi -F N	the same libfcgi binaries with no gateway
#			(handlers/counter_fcgi, bench/echo_all.c)
#	php-fpm		pools static (N), ondemand (N) and cold (1,
#			process_idle_timeout 1s), on handlers/hello.php,
#			which fngw serves through php-cgi (N warm)
#
# nginx passes fngw's locations with the repository's snippet,
# nginx/fngw.conf (fastcgi_keep_conn on, upstream keepalive 16): how
# fngw is deployed.  The peers that serve one connection per process
# (spawn-fcgi's libfcgi programs, php-fpm's children) get the same
# snippet with fastcgi_keep_conn off and no upstream keepalive: a kept
# connection would pin a process (FNGW_KEEPALIVE=off gives fngw the
# same).  fcgiwrap gets its stock setup: fastcgi_params, SCRIPT_FILENAME
# and fastcgi_pass, nginx buffering the request body (in memory:
# client_body_buffer_size 2m).
#
# The throughput rows (wrk --latency, -t THREADS -c CONNS -d DURATION)
# come in groups, each a row of fngw's and its peers' measured one after
# the other.  Each round runs every group once, the groups in an order
# rotated from round to round and the rows within a group reversed
# every other round (A B, B A, ...), so that the machine's drift weighs
# on all alike; one group is the cold starts, SAMPLES / ROUNDS of them
# per round.  A row's figures are the medians of its rounds; its spread
# is (max - min) / median of its rounds' req/s.  A run with errors
# (non-2xx, socket errors, wrk's timeouts) is kept, and its errors
# counted in the table (a goal with errors is not met).  After the
# rounds, fngw many's RSS: idle, then after RSS_REQUESTS requests spread
# over its functions.
#
# The warm and PHP groups have a row more: fngw off again, with
# bench/sqlfloor.c inserting the same rows into a scratch ledger beside
# it, in another process, at the rate and batch size fngw's rows-on row
# reached (its last run; its status page): what SQLite's own work for
# these rows costs the serving here when it is on no request's path at
# all, the in-situ ceiling of the rows-on/off goal.
#
# Cold start: for each sample, wait (polling, with a deadline) until
# the function has no process, then time one request through nginx
# (curl's time_total): fngw's counter_fcgi and php-cgi functions
# (idle_timeout 200ms) and php-fpm's ondemand pool.  Beside them,
# bench/spawntime.c -x: posix_spawn of the same binary (stdin
# /dev/null) until waitpid returns, SPAWN_SAMPLES times, serially: the
# floor any start of it pays here; and spawntime's socket mode (until
# it answers FCGI_GET_VALUES on a listening socket as fd 0).
#
# Writes RESULTS (bench/RESULTS.md): the tables, each fngw row's ratio
# to its peer from this run with the goal and whether it is met, the
# machine (cores, load before and after) and every peer's version; the
# raw per-round figures go to BENCH_OUT/standing.txt, the logs of
# fngw, nginx, php-fpm and fcgiwrap to BENCH_OUT/standing-logs/.  Exits
# 1 when wrk could not measure a row at all; a goal not met, or a row
# with errors, is not a failure of the benchmark.
#
# Knobs (environment):
#	ROUNDS=3 DURATION=7s	rounds; wrk -d per row and round
#	WARMUP=1s		a wrk run of each row before the rounds
#				(0: none)
#	THREADS=2 CONNS=16	wrk -t and -c
#	WRK_TIMEOUT=10s		wrk --timeout: a slower reply counts as an
#				error (and is not in the latencies)
#	CONC=4			fcgiwrap -c and fngw's cgi concurrency
#	N=2			warm processes: spawn-fcgi -F, fngw's
#				min_instances = concurrency, php-fpm's
#				max_children
#	SAMPLES=20		cold starts of each
#	SPAWN_SAMPLES=200	spawntime samples of each binary
#	PAUSE_MS=200		the pause before each of SAMPLES more
#				spawntime samples (fngw cold's idle_timeout)
#	RSS_FUNCTIONS=100 RSS_REQUESTS=100000
#	ONLY="hello-cgi php"	run only these groups (ceiling hello-cgi
#				hello-fcgi post4k-cgi post1m-cgi
#				post4k-fcgi post1m-fcgi php cold rss)
#	FNGW_KEEPALIVE=on	off: fngw's locations without keepalive
#	NOTE="..."		a line for the machine section (other work
#				running, ...)
#	SMOKE=1			ROUNDS=1 DURATION=1s WARMUP=0 SAMPLES=2
#				SPAWN_SAMPLES=10 RSS_REQUESTS=2000, the
#				report to BENCH_OUT/RESULTS.md (make
#				bench-smoke)
#	FNGW=gateway/fngw FNGW_OFF=build/noledger/fngw
#	BENCH_OUT=bench/out RESULTS=bench/RESULTS.md

set -eu

bench=standing
top=$(cd "$(dirname "$0")/.." && pwd -P)
. "$top/bench/lib.sh"

SMOKE=${SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
	ROUNDS=${ROUNDS:-1}
	DURATION=${DURATION:-1s}
	WARMUP=${WARMUP:-0}
	SAMPLES=${SAMPLES:-2}
	SPAWN_SAMPLES=${SPAWN_SAMPLES:-10}
	RSS_REQUESTS=${RSS_REQUESTS:-2000}
fi
FNGW=${FNGW:-$top/gateway/fngw}
FNGW_OFF=${FNGW_OFF:-$top/build/noledger/fngw}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-7s}
WARMUP=${WARMUP:-1s}
THREADS=${THREADS:-2}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
CONNS=${CONNS:-16}
CONC=${CONC:-4}
N=${N:-2}
SAMPLES=${SAMPLES:-20}
SPAWN_SAMPLES=${SPAWN_SAMPLES:-200}
PAUSE_MS=${PAUSE_MS:-200}
RSS_FUNCTIONS=${RSS_FUNCTIONS:-100}
RSS_REQUESTS=${RSS_REQUESTS:-100000}
FNGW_KEEPALIVE=${FNGW_KEEPALIVE:-on}
ALL_GROUPS="ceiling hello-cgi hello-fcgi post4k-cgi post1m-cgi post4k-fcgi
    post1m-fcgi php cold"
ONLY=${ONLY:-$ALL_GROUPS rss}
NOTE=${NOTE:-}
CC=${CC:-cc}
out=${BENCH_OUT:-$top/bench/out}
if [ "$SMOKE" = 1 ]; then
	RESULTS=${RESULTS:-$out/RESULTS.md}
else
	RESULTS=${RESULTS:-$top/bench/RESULTS.md}
fi
report=$out/$bench.txt

case $ROUNDS$CONC$N$SAMPLES$SPAWN_SAMPLES$RSS_FUNCTIONS$RSS_REQUESTS$PAUSE_MS in
'' | *[!0-9]*)	die "ROUNDS, CONC, N, SAMPLES, SPAWN_SAMPLES," \
		    "RSS_FUNCTIONS and RSS_REQUESTS are numbers" ;;
esac
[ "$ROUNDS" -ge 1 ] && [ "$N" -ge 1 ] && [ "$CONC" -ge 1 ] &&
    [ "$SAMPLES" -ge 1 ] && [ "$SPAWN_SAMPLES" -ge 1 ] &&
    [ "$RSS_FUNCTIONS" -ge 1 ] || die "ROUNDS, N, CONC and the samples are >= 1"
case $FNGW_KEEPALIVE in
on | off)	;;
*)		die "FNGW_KEEPALIVE is on or off" ;;
esac
for g in $ONLY; do
	case " $(echo $ALL_GROUPS) rss " in
	*" $g "*)	;;
	*)		die "ONLY: no group $g (groups: $(echo $ALL_GROUPS) rss)" ;;
	esac
done

# Whether group $1 is to run.
wanted() {
	case " $(echo $ONLY) " in
	*" $1 "*)	return 0 ;;
	esac
	return 1
}

for c in wrk nginx curl fcgiwrap spawn-fcgi php-cgi pgrep sqlite3 setpriv \
    "$CC"; do
	command -v "$c" >/dev/null || die "no $c: make deps"
done
php_fpm=$(ls /usr/sbin/php-fpm[0-9]* 2>/dev/null | head -n 1) || :
[ -n "$php_fpm" ] || die "no php-fpm: make deps"
php_cgi=$(command -v php-cgi)
for h in hello echo counter_fcgi hello.php; do
	[ -e "$top/handlers/$h" ] || die "no handlers/$h: make handlers"
done
[ -x "$FNGW" ] || die "no $FNGW: make"
[ -x "$FNGW_OFF" ] || die "no $FNGW_OFF: make NO_LEDGER=1"
[ -r /etc/nginx/fastcgi_params ] || die "no /etc/nginx/fastcgi_params"
need_snippet

trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$out" "$(dirname "$RESULTS")"
: >"$report.tmp"
scratch_setup bin nginx res fpm main/run off/run cold/run many/run \
    direct spawn fcgiwrap
pid_file=$tmp/pids	# what cleanup stops besides nginx and fngw
: >"$pid_file"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
date_start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t_start=$(date +%s)

copy_handlers hello counter_fcgi
install -m 0644 "$top/handlers/hello.php" "$tmp/bin/hello.php"
# The same program under another name for the cold group's warm
# instance, so that counting counter_fcgi processes counts the cold
# function's alone.
cp "$tmp/bin/counter_fcgi" "$tmp/bin/counter_warm"
"$CC" -D_GNU_SOURCE -std=c11 -O2 -Wall -Wextra -o "$tmp/bin/echo_all" \
    "$top/bench/echo_all.c" -lfcgi 2>"$tmp/cc.log" &&
    "$CC" -O2 -Wall -Wextra -pthread -o "$tmp/spawntime" \
    "$top/bench/spawntime.c" 2>>"$tmp/cc.log" &&
    "$CC" -O2 -Wall -Wextra -o "$tmp/sqlfloor" "$top/bench/sqlfloor.c" \
    -lsqlite3 2>>"$tmp/cc.log" || die "cannot build the helpers: $(cat "$tmp/cc.log")"
chmod 0755 "$tmp/bin/echo_all"

# --- the backends -----------------------------------------------------

# fngw binary $1 as $2 (main, off, cold, many), on $tmp/$2/fngw.ini;
# its pid in $started.
start_gw() {
	"$1" serve -c "$tmp/$2/fngw.ini" 2>"$tmp/$2/fngw.log" &
	started=$!
	echo "$started" >>"$pid_file"
	wait_for 100 test -S "$tmp/$2/fngw.sock" ||
	    die "fngw ($2) did not start: $(tail -n 20 "$tmp/$2/fngw.log")"
}

# The [gateway] section of gateway $1.
gw_section() {
	cat <<EOF
[gateway]
listen = unix:$tmp/$1/fngw.sock
listen_mode = 0666
runtime_dir = $tmp/$1/run
billing_db = $tmp/$1/usage.db
log_level = warn
EOF
	# The main gateway's rows and commits, around its runs.
	[ "$1" != main ] || printf 'status_path = /fngw/status\n%s\n' \
	    'status_allow = 127.0.0.1 ::1'
}

# The functions the main and off gateways share, under prefix $1.
gw_functions() {
	cat <<EOF

[fn.hello]
route = ^/$1/hello\$
exec = $tmp/bin/hello
mode = cgi
concurrency = $CONC
queue = 1024

[fn.counter]
route = ^/$1/counter\$
exec = $tmp/bin/counter_fcgi
mode = fastcgi
concurrency = $N
min_instances = $N
max_requests = 1000000000
queue = 1024

[fn.php]
route = ^/$1/php\$
exec = $php_cgi
mode = fastcgi
env = SCRIPT_FILENAME=$tmp/bin/hello.php PHP_FCGI_MAX_REQUESTS=0
concurrency = $N
min_instances = $N
max_requests = 1000000000
queue = 1024
EOF
}

{
	gw_section main
	gw_functions fngw
	cat <<EOF

[fn.echo]
route = ^/fngw/echo\$
exec = $tmp/bin/echo_all
mode = cgi
concurrency = $CONC
queue = 1024
max_body = 2m
max_output = 2m

[fn.echofcgi]
route = ^/fngw/echofcgi\$
exec = $tmp/bin/echo_all
mode = fastcgi
concurrency = $N
min_instances = $N
max_requests = 1000000000
queue = 1024
max_body = 2m
max_output = 2m
EOF
} >"$tmp/main/fngw.ini"
{
	gw_section off
	gw_functions off
} >"$tmp/off/fngw.ini"
{
	gw_section cold
	cat <<EOF

[fn.ccold]
route = ^/cold/counter\$
exec = $tmp/bin/counter_fcgi
mode = fastcgi
concurrency = 1
min_instances = 0
idle_timeout = 200ms

[fn.cwarm]
route = ^/cold/warm\$
exec = $tmp/bin/counter_warm
mode = fastcgi
concurrency = 1
min_instances = 1

[fn.phpcold]
route = ^/cold/php\$
exec = $php_cgi
mode = fastcgi
env = SCRIPT_FILENAME=$tmp/bin/hello.php
concurrency = 1
min_instances = 0
idle_timeout = 200ms
EOF
} >"$tmp/cold/fngw.ini"
# fngw many: half cgi, half fastcgi scaled to zero.
{
	gw_section many
	i=1
	while [ $i -le "$RSS_FUNCTIONS" ]; do
		if [ $((i % 2)) = 1 ]; then
			printf '\n[fn.f%d]\nroute = ^/many/f%d$\nexec = %s\n%s\n' \
			    $i $i "$tmp/bin/hello" "mode = cgi"
		else
			printf '\n[fn.f%d]\nroute = ^/many/f%d$\nexec = %s\n%s\n' \
			    $i $i "$tmp/bin/counter_fcgi" "mode = fastcgi"
			printf 'concurrency = 1\nmin_instances = 0\n'
		fi
		i=$((i + 1))
	done
} >"$tmp/many/fngw.ini"

start_gw "$FNGW" main
fngw_pid=$started
start_gw "$FNGW_OFF" off
off_pid=$started
start_gw "$FNGW" cold
cold_pid=$started
if wanted rss; then
	start_gw "$FNGW" many
	many_pid=$started
fi

# fcgiwrap, as nobody when we are root, in its own process group.
fcgiwrap_cmd="fcgiwrap -c $CONC -s unix:$tmp/fcgiwrap/fcgiwrap.sock"
if [ "$(id -u)" = 0 ]; then
	chown nobody:nogroup "$tmp/fcgiwrap"
	setsid setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    $fcgiwrap_cmd </dev/null 2>"$tmp/fcgiwrap.log" &
else
	setsid $fcgiwrap_cmd </dev/null 2>"$tmp/fcgiwrap.log" &
fi
group_pids=$!
wait_for 100 test -S "$tmp/fcgiwrap/fcgiwrap.sock" ||
    die "fcgiwrap did not start: $(cat "$tmp/fcgiwrap.log")"
chmod 0666 "$tmp/fcgiwrap/fcgiwrap.sock"

# spawn-fcgi: N processes of program $2 on socket $tmp/direct/$1.sock;
# their pids go to the pid file.
if [ "$(id -u)" = 0 ]; then
	set -- -u nobody -g nogroup
else
	set --
fi
for p in counter_fcgi echo_all; do
	spawn-fcgi -s "$tmp/direct/$p.sock" -M 0666 -F "$N" \
	    -P "$tmp/direct/$p.pids" "$@" -- "$tmp/bin/$p" \
	    </dev/null >"$tmp/spawn-fcgi.log" 2>&1 ||
	    die "spawn-fcgi failed: $(cat "$tmp/spawn-fcgi.log")"
	awk 1 "$tmp/direct/$p.pids" >>"$pid_file"
	[ "$(wc -w <"$tmp/direct/$p.pids")" -eq "$N" ] ||
	    die "spawn-fcgi started $(wc -w <"$tmp/direct/$p.pids") of $N $p"
done

# php-fpm in the foreground, its own config and prefix, three pools.
fpm_user=
[ "$(id -u)" != 0 ] || fpm_user="user = nobody
group = nogroup"
fpm_pool() {
	cat <<EOF

[$1]
$fpm_user
listen = $tmp/fpm/$1.sock
listen.mode = 0666
pm = $2
pm.max_children = $3
EOF
}
{
	cat <<EOF
[global]
pid = $tmp/fpm/php-fpm.pid
error_log = $tmp/fpm/error.log
daemonize = no
EOF
	fpm_pool static static "$N"
	fpm_pool ondemand ondemand "$N"
	echo "pm.process_idle_timeout = 10s"
	fpm_pool cold ondemand 1
	echo "pm.process_idle_timeout = 1s"
} >"$tmp/fpm/php-fpm.conf"
"$php_fpm" -F -y "$tmp/fpm/php-fpm.conf" -p "$tmp/fpm" </dev/null \
    >"$tmp/fpm/stdout.log" 2>&1 &
fpm_pid=$!
echo "$fpm_pid" >>"$pid_file"
for p in static ondemand cold; do
	wait_for 100 test -S "$tmp/fpm/$p.sock" ||
	    die "php-fpm did not start: $(tail -n 20 "$tmp/fpm/error.log" \
	    "$tmp/fpm/stdout.log")"
done

# --- nginx ------------------------------------------------------------

if [ "$FNGW_KEEPALIVE" = on ]; then
	fngw_keepalive="keepalive 16;"
else
	fngw_keepalive=
fi
snippet fngw "$FNGW_KEEPALIVE" >"$tmp/fngw.conf"
for u in off cold many; do
	snippet "fngw_$u" "$FNGW_KEEPALIVE" >"$tmp/$u.conf"
done
# The peers': the snippet, no kept connection, another fastcgi_pass.
for u in direct_counter_fcgi direct_echo_all fpm_static fpm_ondemand \
    fpm_cold; do
	snippet "$u" off >"$tmp/$u.conf"
done

port=$(free_port) || die "no free port"
nginx_conf <<EOF
	client_max_body_size 2m;
	client_body_buffer_size 2m;
	upstream fngw { server unix:$tmp/main/fngw.sock; $fngw_keepalive }
	upstream fngw_off { server unix:$tmp/off/fngw.sock; $fngw_keepalive }
	upstream fngw_cold { server unix:$tmp/cold/fngw.sock; $fngw_keepalive }
	upstream fngw_many { server unix:$tmp/many/fngw.sock; $fngw_keepalive }
	upstream fcgiwrap { server unix:$tmp/fcgiwrap/fcgiwrap.sock; }
	upstream direct_counter_fcgi { server unix:$tmp/direct/counter_fcgi.sock; }
	upstream direct_echo_all { server unix:$tmp/direct/echo_all.sock; }
	upstream fpm_static { server unix:$tmp/fpm/static.sock; }
	upstream fpm_ondemand { server unix:$tmp/fpm/ondemand.sock; }
	upstream fpm_cold { server unix:$tmp/fpm/cold.sock; }
	server {
		listen 127.0.0.1:$port;
		location = /ceiling {
			default_type text/plain;
			return 200 "ok\n";
		}
		location ^~ /fngw/ { include $tmp/fngw.conf; }
		location ^~ /off/ { include $tmp/off.conf; }
		location ^~ /cold/ { include $tmp/cold.conf; }
		location ^~ /many/ { include $tmp/many.conf; }
		# fcgiwrap's stock setup.
		location = /fcgiwrap/hello {
			include fastcgi_params;
			fastcgi_param SCRIPT_FILENAME $tmp/bin/hello;
			fastcgi_pass fcgiwrap;
		}
		location = /fcgiwrap/echo {
			include fastcgi_params;
			fastcgi_param SCRIPT_FILENAME $tmp/bin/echo_all;
			fastcgi_pass fcgiwrap;
		}
		location = /direct/counter {
			include $tmp/direct_counter_fcgi.conf;
		}
		location = /direct/echo { include $tmp/direct_echo_all.conf; }
		location = /fpm/static {
			include $tmp/fpm_static.conf;
			fastcgi_param SCRIPT_FILENAME $tmp/bin/hello.php;
		}
		location = /fpm/ondemand {
			include $tmp/fpm_ondemand.conf;
			fastcgi_param SCRIPT_FILENAME $tmp/bin/hello.php;
		}
		location = /fpm/cold {
			include $tmp/fpm_cold.conf;
			fastcgi_param SCRIPT_FILENAME $tmp/bin/hello.php;
		}
	}
EOF
start_nginx
base=http://127.0.0.1:$port

# --- the rows ---------------------------------------------------------

head -c 4096 /dev/urandom >"$tmp/body4k"
head -c 1048576 /dev/urandom >"$tmp/body1m"
post_lua 4096
post_lua 1048576

# The rows of group $1.
group_rows() {
	case $1 in
	ceiling)	echo nginx ;;
	hello-cgi)	echo cgi_fngw cgi_fcgiwrap cgi_off cgi_ceiling ;;
	hello-fcgi)	echo fcgi_fngw fcgi_direct fcgi_off fcgi_paced ;;
	post4k-cgi)	echo p4k_cgi_fngw p4k_cgi_fcgiwrap ;;
	post1m-cgi)	echo p1m_cgi_fngw p1m_cgi_fcgiwrap ;;
	post4k-fcgi)	echo p4k_fcgi_fngw p4k_fcgi_direct ;;
	post1m-fcgi)	echo p1m_fcgi_fngw p1m_fcgi_direct ;;
	php)		echo php_fngw php_fpm_static php_fpm_ondemand php_off \
			    php_paced ;;
	esac
}

# Row $1: sets path (on nginx), post (body size or empty), what (its
# description in the report) and expect (a regex its GET reply matches).
row_info() {
	post=
	expect=
	case $1 in
	nginx)		path=/ceiling; expect='^ok$'
			what="nginx \`return 200\` (the ceiling, no backend)" ;;
	cgi_fngw)	path=/fngw/hello; expect='^Hello, '
			what="GET hello: fngw cgi (handlers/hello)" ;;
	cgi_fcgiwrap)	path=/fcgiwrap/hello; expect='^Hello, '
			what="GET hello: fcgiwrap -c $CONC (same binary)" ;;
	cgi_off)	path=/off/hello; expect='^Hello, '
			what="GET hello: fngw cgi, usage rows off" ;;
	cgi_ceiling)	path=-
			what="GET hello's ceiling: spawn+exit of handlers/hello, $CONC at once, no gateway (spawntime -r)" ;;
	fcgi_fngw)	path=/fngw/counter; expect='^count='
			what="GET hello: fngw fastcgi, $N warm (counter_fcgi)" ;;
	fcgi_direct)	path=/direct/counter; expect='^count='
			what="GET hello: spawn-fcgi -F $N, same binary, direct" ;;
	fcgi_off)	path=/off/counter; expect='^count='
			what="GET hello: fngw fastcgi, usage rows off" ;;
	fcgi_paced)	path=/off/counter; expect='^count='
			what="GET hello: fngw fastcgi, usage rows off, SQLite inserting the same rows beside it (sqlfloor, paced)" ;;
	p4k_cgi_fngw)	path='/fngw/echo'; post=4096
			what="POST 4 KiB echo: fngw cgi (bench/echo_all.c)" ;;
	p4k_cgi_fcgiwrap) path='/fcgiwrap/echo'; post=4096
			what="POST 4 KiB echo: fcgiwrap -c $CONC" ;;
	p1m_cgi_fngw)	path='/fngw/echo'; post=1048576
			what="POST 1 MiB echo: fngw cgi" ;;
	p1m_cgi_fcgiwrap) path='/fcgiwrap/echo'; post=1048576
			what="POST 1 MiB echo: fcgiwrap -c $CONC" ;;
	p4k_fcgi_fngw)	path=/fngw/echofcgi; post=4096
			what="POST 4 KiB echo: fngw fastcgi, $N warm (echo_all)" ;;
	p4k_fcgi_direct) path=/direct/echo; post=4096
			what="POST 4 KiB echo: spawn-fcgi -F $N, direct" ;;
	p1m_fcgi_fngw)	path=/fngw/echofcgi; post=1048576
			what="POST 1 MiB echo: fngw fastcgi, $N warm" ;;
	p1m_fcgi_direct) path=/direct/echo; post=1048576
			what="POST 1 MiB echo: spawn-fcgi -F $N, direct" ;;
	php_fngw)	path=/fngw/php; expect='^Hello from PHP'
			what="PHP hello.php: fngw fastcgi, $N warm php-cgi" ;;
	php_fpm_static)	path=/fpm/static; expect='^Hello from PHP'
			what="PHP hello.php: php-fpm pm = static, $N children" ;;
	php_fpm_ondemand) path=/fpm/ondemand; expect='^Hello from PHP'
			what="PHP hello.php: php-fpm pm = ondemand, max $N" ;;
	php_off)	path=/off/php; expect='^Hello from PHP'
			what="PHP hello.php: fngw fastcgi, usage rows off" ;;
	php_paced)	path=/off/php; expect='^Hello from PHP'
			what="PHP hello.php: fngw fastcgi, usage rows off, SQLite inserting the same rows beside it (sqlfloor, paced)" ;;
	*)		die "no row $1" ;;
	esac
}

# Whether row $1 answers right: its GET reply matches, or its POST
# comes back byte for byte.
row_answers() {
	row_info "$1"
	if [ "$path" = - ]; then
		return 0
	elif [ -z "$post" ]; then
		answers "$base$path" "$expect"
	else
		f=$tmp/body4k
		[ "$post" = 4096 ] || f=$tmp/body1m
		curl -s --max-time 10 -o "$tmp/echoed" -H \
		    'Content-Type: application/octet-stream' \
		    --data-binary "@$f" "$base$path" 2>/dev/null &&
		    cmp -s "$f" "$tmp/echoed"
	fi
}

# Milliseconds from wrk's latency figure $1 (us, ms, s or m).
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) f = 0.001; else if (v ~ /ms$/) f = 1
		else if (v ~ /m$/) f = 60000; else f = 1000
		sub(/[a-z]+$/, "", v); printf "%.3f", v * f }'
}

# The machine's busy and total CPU time so far, in ticks (/proc/stat:
# user, nice, system, irq, softirq and steal are busy; idle and iowait
# are not).
cpu_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9,
	    $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat
}

# One run of row $1 for $2 (d: -d); prints "RATE P50 P99 ERRORS BUSY",
# rate "-" when wrk failed; BUSY is the share of all the machine's CPU
# time that was busy during the run (0 to 1).
wrk_row() {
	case $1 in
	*_paced)	paced_start "${1%_paced}" "$2" || {
				echo "- - - 1 -"
				return 0
			} ;;
	esac
	t0=$(cpu_ticks)
	wrk_run "$@" | {
		read -r rt a b e
		t1=$(cpu_ticks)
		echo "$rt $a $b $e $(echo "$t0 $t1" | awk '{
		    if ($4 > $2) printf "%.3f", ($3 - $1) / ($4 - $2)
		    else print "-" }')"
	} >"$tmp/wrk_row.out"
	[ -z "$paced_pid" ] || paced_stop "$1"
	# Its last rate, warm-up runs too: a paced row's pace.
	awk '$1 != "-" { print $1 }' "$tmp/wrk_row.out" >"$tmp/last_$1"
	cat "$tmp/wrk_row.out"
}

# Seconds in wrk's duration $1 (ms, s or m), rounded up.
seconds_of() {
	awk -v d="$1" 'BEGIN { f = 1
	    if (d ~ /ms$/) f = 0.001; else if (d ~ /m$/) f = 60
	    sub(/[a-z]+$/, "", d); v = d * f
	    printf "%d", (v == int(v)) ? v : int(v) + 1 }'
}

# sqlfloor beside fngw off for a row of mode $1 (fcgi, php) lasting $2:
# the rows at the rate of fngw's rows-on row in its last run, in
# batches of the size its writer reached so far (4 before any), into
# a scratch ledger of the main one's schema.  Started once it is past
# its warm-up (it says "paced"), at most 10 s; paced_pid is its pid.
paced_pid=
warming=
paced_start() {
	[ -s "$tmp/last_$1_fngw" ] || return 1
	set -- "$1" "$2" "$(cat "$tmp/last_$1_fngw")" "$(awk '
	    { r += $1; c += $2 }
	    END { if (c > 0) printf "%.2f", r / c; else print 4 }' \
	    "$tmp/res/batch_$1_fngw" 2>/dev/null || echo 4)"
	set -- "$@" "$(awk -v r="$3" -v s="$(seconds_of "$2")" \
	    'BEGIN { printf "%.0f", r * (s + 10) + 1 }')"
	: >"$tmp/paced.err"
	"$tmp/sqlfloor" "$tmp/main/usage.db" "$tmp/paced.db" "$4" "$5" \
	    "$3" >"$tmp/paced.out" 2>"$tmp/paced.err" &
	paced_pid=$!
	echo "$paced_pid" >>"$pid_file"
	i=0
	until grep -q '^paced$' "$tmp/paced.err"; do
		if [ $i -ge 500 ] || ! kill -0 "$paced_pid" 2>/dev/null; then
			warn "sqlfloor paced did not start: $(cat "$tmp/paced.err")"
			paced_stop -
			return 1
		fi
		sleep 0.02
		i=$((i + 1))
	done
	echo "$3 $4" >"$tmp/paced.pace"
}

# Stop the paced sqlfloor (SIGTERM: it prints its CPU a row and exits);
# for row $1 (or - for none), "RATE BATCH US_A_ROW" to
# $tmp/res/sql_ROW.
paced_stop() {
	kill -TERM "$paced_pid" 2>/dev/null || :
	wait "$paced_pid" 2>/dev/null || :
	paced_pid=
	[ "$1" != - ] && [ -z "$warming" ] && [ -s "$tmp/paced.out" ] ||
	    return 0
	echo "$(cat "$tmp/paced.pace") $(cat "$tmp/paced.out")" \
	    >>"$tmp/res/sql_$1"
}

wrk_run() {
	row_info "$1"
	if [ "$1" = cgi_ceiling ]; then
		# No request at all: the binary started and reaped CONC at
		# once for as long as a wrk run, its rate in req/s's place.
		ms=$(awk -v d="$2" 'BEGIN { f = 1000
		    if (d ~ /ms$/) f = 1; else if (d ~ /m$/) f = 60000
		    sub(/[a-z]+$/, "", d); printf "%d", d * f }')
		if v=$("$tmp/spawntime" -r "$ms" "$CONC" "$tmp/bin/hello"); then
			echo "$v - - 0"
		else
			echo "- - - 1"
		fi
		return 0
	fi
	set -- "$base$path" "$2"
	if [ -n "$post" ]; then
		set -- "$1" "$2" -s "$tmp/post$post.lua"
	fi
	url=$1
	d=$2
	shift 2
	if ! wrk -t"$THREADS" -c"$CONNS" -d"$d" --latency \
	    --timeout "$WRK_TIMEOUT" "$@" "$url" >"$tmp/wrk.out" 2>&1; then
		echo "- - - 1"
		return 0
	fi
	awk '
	    /^Requests\/sec:/ { rate = $2 }
	    $1 == "50%" { p50 = $2 }
	    $1 == "99%" { p99 = $2 }
	    /Non-2xx/ { errs += $NF }
	    /Socket errors/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) errs += $i + 0
	    }
	    END {
		printf "%s %s %s %d\n", rate == "" ? "-" : rate,
		    p50 == "" ? "-" : p50, p99 == "" ? "-" : p99, errs
	    }' "$tmp/wrk.out" | {
		read -r rt a b e
		if [ "$a" != - ]; then
			a=$(to_ms "$a")
		fi
		if [ "$b" != - ]; then
			b=$(to_ms "$b")
		fi
		echo "$rt $a $b $e"
	}
}

# The main gateway's usage rows and commits so far (its status page).
usage_counts() {
	curl -s --max-time 5 "$base/fngw/status" | tr ',{}' '\n\n\n' | awk -F: '
	    $1 == "\"usage_rows\"" { r = $2 }
	    $1 == "\"usage_commits\"" { c = $2 }
	    END { print (r == "" ? "-" : r), (c == "" ? "-" : c) }'
}

# Run row $1 once in round $2: its figures to $tmp/res/ROW (a run that
# wrk could not make to $tmp/res/ROW.failed), and a line in the log.
# For fngw's rows with rows off beside them, the rows and commits it
# made to $tmp/res/batch_ROW.
measure() {
	case $1 in
	cgi_fngw|fcgi_fngw|php_fngw)	u0=$(usage_counts) ;;
	*)				u0= ;;
	esac
	set -- "$1" "$2" "$(wrk_row "$1" "$DURATION")"
	if [ -n "$u0" ]; then
		echo "$u0 $(usage_counts)" | awk '$1 != "-" && $3 != "-" &&
		    $4 > $2 { print $3 - $1, $4 - $2 }' >>"$tmp/res/batch_$1"
	fi
	say "round $2  $(printf '%-18s' "$1") $3"
	case $3 in
	'- '*)	echo "$3" >>"$tmp/res/$1.failed"
		warn "$1: wrk failed: $(tail -n 5 "$tmp/wrk.out")" ;;
	*)	echo "$3" >>"$tmp/res/$1" ;;
	esac
	if echo "$3" | awk '$1 != "-" && $4 != 0 { exit 0 } { exit 1 }'; then
		warn "$1: errors: $(grep -E 'Non-2xx|Socket errors' \
		    "$tmp/wrk.out" | tr '\n' ' ')"
	fi
}

# --- cold starts ------------------------------------------------------

# fngw cold's processes running program $1 (counter_fcgi, php-cgi).
cold_procs() {
	pgrep -P "$cold_pid" -f "$1" 2>/dev/null | wc -l
}

# php-fpm's pool cold's children.
fpm_cold_procs() {
	pgrep -P "$fpm_pid" -f 'pool cold' 2>/dev/null | wc -l
}

# Whether cold target $1 has no process left.
is_zero() {
	case $1 in
	fngw_c)		[ "$(cold_procs counter_fcgi)" -eq 0 ] ;;
	fngw_php)	[ "$(cold_procs php-cgi)" -eq 0 ] ;;
	fpm)		[ "$(fpm_cold_procs)" -eq 0 ] ;;
	esac
}

# Poll every 20 ms until target $1 has no process, at most 10 seconds.
wait_zero() {
	i=0
	until is_zero "$1"; do
		[ $i -lt 500 ] || return 1
		sleep 0.02
		i=$((i + 1))
	done
}

# As long as a cold sample's wait at least (its idle_timeout), polling
# the same way: the pause before a warm sample.
wait_pause() {
	i=0
	while [ $i -lt $((PAUSE_MS / 20 + 1)) ]; do
		is_zero fngw_c || :
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

cold_url() {
	case $1 in
	fngw_c)		echo "$base/cold/counter" ;;
	fngw_w)		echo "$base/cold/warm" ;;
	fngw_php)	echo "$base/cold/php" ;;
	fpm)		echo "$base/fpm/cold" ;;
	esac
}

# $1 cold samples of each target, the targets' order rotated from one
# sample to the next (fngw_w: the warm request after the same pause).
cold_round() {
	k=0
	while [ $k -lt "$1" ]; do
		case $(( (k + cold_done) % 4 )) in
		0)	set -- "$1" fngw_c fngw_php fpm fngw_w ;;
		1)	set -- "$1" fngw_php fpm fngw_w fngw_c ;;
		2)	set -- "$1" fpm fngw_w fngw_c fngw_php ;;
		3)	set -- "$1" fngw_w fngw_c fngw_php fpm ;;
		esac
		for t in "$2" "$3" "$4" "$5"; do
			if [ "$t" = fngw_w ]; then
				wait_pause
			else
				wait_zero "$t" || die "cold start: $t keeps" \
				    "its process past its idle timeout" \
				    "(10 s deadline)"
			fi
			v=$(timed_get "$(cold_url "$t")")
			[ "$v" != - ] || die "cold start: $(cold_url "$t")" \
			    "failed: $(curl -si --max-time 5 "$(cold_url "$t")")"
			echo "$v" >>"$tmp/res/cold_$t"
		done
		set -- "$1"
		k=$((k + 1))
	done
	cold_done=$((cold_done + $1))
	say "round $r  cold starts: $1 of each"
}

# The spawntime samples: SPAWN_SAMPLES of each binary, each mode, in
# ROUNDS shares.
spawn_round() {
	"$tmp/spawntime" -x "$1" "$tmp/bin/counter_fcgi" \
	    >>"$tmp/res/spawnx_c" || die "spawntime failed"
	"$tmp/spawntime" -x "$1" "$php_cgi" >>"$tmp/res/spawnx_php" ||
	    die "spawntime failed"
	"$tmp/spawntime" "$1" "$tmp/spawn/s.sock" "$tmp/bin/counter_fcgi" \
	    >>"$tmp/res/spawns_c" || die "spawntime failed"
	"$tmp/spawntime" "$1" "$tmp/spawn/s.sock" "$php_cgi" \
	    >>"$tmp/res/spawns_php" || die "spawntime failed"
	say "round $r  spawntime: $1 of each"
}

# The same spawntime samples after a pause of PAUSE_MS each (spawntime
# -i: every 20 ms a small process meanwhile, as wait_zero's polling
# before a cold start): $1 of each binary, each mode.
pause_round() {
	"$tmp/spawntime" -i "$PAUSE_MS" -x "$1" "$tmp/bin/counter_fcgi" \
	    >>"$tmp/res/spawnx_c_idle" || die "spawntime failed"
	"$tmp/spawntime" -i "$PAUSE_MS" -x "$1" "$php_cgi" \
	    >>"$tmp/res/spawnx_php_idle" || die "spawntime failed"
	"$tmp/spawntime" -i "$PAUSE_MS" "$1" "$tmp/spawn/s.sock" \
	    "$tmp/bin/counter_fcgi" >>"$tmp/res/spawns_c_idle" ||
	    die "spawntime failed"
	"$tmp/spawntime" -i "$PAUSE_MS" "$1" "$tmp/spawn/s.sock" "$php_cgi" \
	    >>"$tmp/res/spawns_php_idle" || die "spawntime failed"
	say "round $r  spawntime after a ${PAUSE_MS} ms pause: $1 of each"
}

# --- checks before the rounds -----------------------------------------

# fngw gateway $1's (a pid) processes running $2, by pid on one line.
kids() {
	pgrep -P "$1" -f "$2" 2>/dev/null | sort -n | tr '\n' ' ' |
	    sed 's/ $//'
}

has_kids() {
	[ "$(pgrep -P "$1" -f "$2" 2>/dev/null | wc -l)" -eq "$3" ]
}

groups=
for g in $ALL_GROUPS; do
	wanted "$g" || continue
	groups="$groups $g"
	for row in $(group_rows "$g"); do
		wait_for 50 row_answers "$row" || {
			row_info "$row"
			die "$row does not answer $base$path:" \
			    "$(curl -si --max-time 5 "$base$path" | head -n 20)"
		}
	done
done
wait_for 100 has_kids "$fngw_pid" counter_fcgi "$N" &&
    wait_for 100 has_kids "$fngw_pid" echo_all "$N" &&
    wait_for 100 has_kids "$fngw_pid" php-cgi "$N" &&
    wait_for 100 has_kids "$off_pid" counter_fcgi "$N" &&
    wait_for 100 has_kids "$off_pid" php-cgi "$N" ||
    die "fngw does not keep $N warm instances of each function"
warm_start="$(kids "$fngw_pid" counter_fcgi) $(kids "$fngw_pid" echo_all)"
warm_start="$warm_start $(kids "$fngw_pid" php-cgi)"
# The cold targets answer (which also opens nginx's connections to
# them); not kept.
if wanted cold; then
	for t in fngw_c fngw_php fpm fngw_w; do
		[ "$(timed_get "$(cold_url "$t")")" != - ] ||
		    die "$(cold_url "$t") does not answer:" \
		    "$(curl -si --max-time 5 "$(cold_url "$t")" | head -n 20)"
	done
fi

say "# standing benchmark $date_start on $(uname -n), $(nproc) cpus," \
    "load $load_start"
say "# rounds $ROUNDS, wrk -t$THREADS -c$CONNS -d$DURATION --latency," \
    "warm-up $WARMUP; groups:$groups"

# Warm-up, not kept.
if [ "$WARMUP" != 0 ]; then
	warming=1
	for g in $groups; do
		for row in $(group_rows "$g"); do
			wrk_row "$row" "$WARMUP" >/dev/null
		done
	done
	warming=
fi

# --- the rounds -------------------------------------------------------

set -- $groups
ngroups=$#
cold_done=0
r=1
while [ $r -le "$ROUNDS" ]; do
	# This round's order: the groups rotated by (r - 1) * step.
	step=$(( (ngroups + ROUNDS - 1) / ROUNDS ))
	[ "$step" -ge 1 ] || step=1
	rot=$(( (r - 1) * step % ngroups ))
	order=$(echo $groups | tr ' ' '\n' | awk -v k="$rot" -v n="$ngroups" '
	    { g[NR - 1] = $0 }
	    END { for (i = 0; i < n; i++) print g[(i + k) % n] }')
	for g in $order; do
		if [ "$g" = cold ]; then
			# This round's share of the samples.
			c=$(( SAMPLES * r / ROUNDS - SAMPLES * (r - 1) / ROUNDS ))
			s=$(( SPAWN_SAMPLES * r / ROUNDS -
			    SPAWN_SAMPLES * (r - 1) / ROUNDS ))
			[ "$c" -eq 0 ] || cold_round "$c"
			[ "$s" -eq 0 ] || spawn_round "$s"
			[ "$c" -eq 0 ] || pause_round "$c"
			continue
		fi
		rows=$(group_rows "$g")
		if [ $((r % 2)) = 0 ]; then
			rows=$(echo $rows | tr ' ' '\n' | tac)
		fi
		for row in $rows; do
			measure "$row" "$r"
		done
	done
	r=$((r + 1))
done

warm_end="$(kids "$fngw_pid" counter_fcgi) $(kids "$fngw_pid" echo_all)"
warm_end="$warm_end $(kids "$fngw_pid" php-cgi)"

# --- fngw many's memory -----------------------------------------------

rss_done=0
if wanted rss; then
	# Idle: it has served nothing since it started, before the rounds.
	rss_start=$(rss_kb "$many_pid")
	cat >"$tmp/many.lua" <<EOF
local i = 0
request = function()
	i = i + 1
	return wrk.format(nil, "/many/f" .. (i % $RSS_FUNCTIONS + 1))
end
EOF
	wait_for 50 answers "$base/many/f1" '^Hello, ' &&
	    wait_for 50 answers "$base/many/f2" '^count=' ||
	    die "fngw many does not answer: $(tail -n 20 "$tmp/many/fngw.log")"
	runs=0
	while [ "$rss_done" -lt "$RSS_REQUESTS" ] && [ $runs -lt 200 ]; do
		left=$((RSS_REQUESTS - rss_done))
		d=5
		[ "$left" -ge 20000 ] || d=1
		wrk -t"$THREADS" -c"$CONNS" -d${d}s -s "$tmp/many.lua" \
		    "$base/many/f1" >"$tmp/wrk.out" 2>&1 ||
		    die "wrk failed on fngw many: $(cat "$tmp/wrk.out")"
		if grep -Eq 'Non-2xx|Socket errors' "$tmp/wrk.out"; then
			die "fngw many: errors: $(grep -E \
			    'Non-2xx|Socket errors' "$tmp/wrk.out")"
		fi
		n=$(awk '/ requests in / { print $1 }' "$tmp/wrk.out")
		rss_done=$((rss_done + ${n:-0}))
		runs=$((runs + 1))
	done
	rss_after=$(rss_kb "$many_pid")
	rss_hwm=$(rss_kb "$many_pid" VmHWM)
	many_rows=$(sqlite3 "$tmp/many/usage.db" \
	    'select count(*) from invocations' 2>/dev/null) || many_rows=-
	say "fngw many: VmRSS $rss_start kB idle, $rss_after kB after" \
	    "$rss_done requests (VmHWM $rss_hwm kB); $many_rows usage rows"
fi

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
t_end=$(date +%s)
for g in main off cold many; do
	if [ -s "$tmp/$g/fngw.log" ] && grep -E 'ERROR|level=error|Sanitizer|fatal' \
	    "$tmp/$g/fngw.log" >"$tmp/$g/errors" 2>/dev/null; then
		warn "fngw $g logged errors:"
		head -n 10 "$tmp/$g/errors" >&2
	fi
done

# --- the report -------------------------------------------------------

# Median (the lower of the middle two for an even count), min and max
# of column $2 of file $1: "MED MIN MAX COUNT", or "- - - 0".
stats() {
	if [ ! -s "$1" ]; then
		echo "- - - 0"
		return 0
	fi
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '
	    { v[NR] = $1 }
	    END { printf "%s %s %s %d\n", v[int((NR + 1) / 2)], v[1], v[NR], NR }'
}

# Nearest-rank percentile $1 of the microseconds in file $2, in ms.
pct() {
	if [ ! -s "$2" ]; then
		echo -
		return 0
	fi
	sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 }
	    END {
		r = int(p / 100 * NR); if (r < p / 100 * NR) r++
		if (r < 1) r = 1
		printf "%.2f", v[r] / 1000
	    }'
}

# Row $1's median req/s, to a whole number (or -).
rate_of() {
	set -- $(stats "$tmp/res/$1" 1)
	echo "$1"
}

# A table line for row $1, with the ratio to row $2 (or none) against
# goal $3 (a minimum ratio, or -).
table_row() {
	row_info "$1"
	set -- "$1" "$2" "$3" $(stats "$tmp/res/$1" 1)
	rate=$4
	spread=$(awk -v m="$4" -v lo="$5" -v hi="$6" 'BEGIN {
	    if (m == "-" || m == 0) print "-"
	    else printf "%.0f%%", (hi - lo) / m * 100 }')
	# Runs with errors (non-2xx replies, wrk's socket errors and
	# timeouts) are kept, and show here.
	runs="$7/$ROUNDS"
	errs=0
	if [ -s "$tmp/res/$1" ]; then
		errs=$(awk '{ e += $4 } END { print e + 0 }' "$tmp/res/$1")
		nerr=$(awk '$4 != 0 { n++ } END { print n + 0 }' "$tmp/res/$1")
		[ "$errs" -eq 0 ] ||
		    runs="$runs, **$errs errors** in $nerr"
	fi
	set -- "$1" "$2" "$3" $(stats "$tmp/res/$1" 2)
	p50=$4
	set -- "$1" "$2" "$3" $(stats "$tmp/res/$1" 3)
	p99=$4
	ratio=
	goal=
	met=
	case $2 in
	^*)	peer=$(rate_of "${2#^}")
		ratio=$(awk -v a="$peer" -v b="$rate" 'BEGIN {
		    if (a == "-" || b == "-" || b == 0) print "-"
		    else printf "fngw %.2f x this", a / b }')
		;;
	esac
	set -- "$1" "$2" "$3" $(stats "$tmp/res/$1" 5)
	busy=$(awk -v v="$4" 'BEGIN {
	    if (v == "-") print v; else printf "%.0f%%", v * 100 }')
	if [ "$2" != - ] && [ "${2#^}" = "$2" ]; then
		peer=$(rate_of "$2")
		ratio=$(awk -v a="$rate" -v b="$peer" 'BEGIN {
		    if (a == "-" || b == "-" || b == 0) print "-"
		    else printf "%.2f", a / b }')
		ratio="$ratio x $(row_label "$2")"
		if [ "$3" != - ]; then
			goal=">= $3"
			met=$(awk -v a="$rate" -v b="$peer" -v g="$3" 'BEGIN {
			    if (a == "-" || b == "-" || b == 0) print "-"
			    else print (a / b >= g ? "yes" : "**no**") }')
			[ "$errs" -eq 0 ] || met="**no** (errors)"
		fi
	fi
	rate=$(awk -v v="$rate" 'BEGIN {
	    if (v == "-") print v; else printf "%.0f", v }')
	echo "| $what | $rate | $spread | $p50 | $p99 | $busy | $runs |" \
	    "$ratio | $goal | $met |"
	[ "$rate" != - ] || failed="$failed $1"
}

# The ledger's floor for mode $1 (cgi, fcgi, php), the rows-off row's
# busy share $2 and rate $3: "ROWS_A_COMMIT | US_A_ROW | CEILING" in
# $floor.  ROWS_A_COMMIT is what fngw's writer reached in the rows-on
# runs (its status page), US_A_ROW what SQLite alone spends inserting a
# row at that batch size (bench/sqlfloor.c, on the main ledger's
# schema), CEILING the ratio rows on / off that a gateway would reach
# if a row cost the machine only that: the rows-off row's CPU per
# request over itself plus the row's.
floor_of() {
	floor="- | - | -"
	[ -s "$tmp/res/batch_$1_fngw" ] || return 0
	set -- "$1" "$2" "$3" "$(awk '{ r += $1; c += $2 }
	    END { if (c > 0) printf "%.2f", r / c; else print "-" }' \
	    "$tmp/res/batch_$1_fngw")"
	[ "$4" != - ] || return 0
	set -- "$@" "$("$tmp/sqlfloor" "$tmp/main/usage.db" \
	    "$tmp/floor.db" "$4" 20000 2>/dev/null || echo -)"
	floor=$(awk -v bz="$2" -v r="$3" -v b="$4" -v f="$5" -v n="$(nproc)" \
	    'BEGIN {
		if (f == "-" || bz == "-" || r == "-" || r == 0) {
			printf "%s | %s | -", b, f
			exit
		}
		c = bz * n / r * 1e6
		printf "%.1f | %.1f | %.2f", b, f, c / (c + f)
	    }')
}

# The in-situ ceiling for mode $1 (fcgi, php): "US_A_ROW | CEILING" in
# $insitu: SQLite's CPU a row as the paced sqlfloor beside the paced
# row's runs spent it (median), and the median over the rounds of the
# paced row's rate over the rows-off row's in the same round (the two
# run one after the other; the warm rows-off row is bimodal, 22k to 40k
# from run to run, and a ratio of medians would mix its modes).  "- |
# -" where there is no such row (cgi).
insitu_of() {
	insitu="- | -"
	[ -s "$tmp/res/$1_paced" ] && [ -s "$tmp/res/$1_off" ] || return 0
	paste -d' ' "$tmp/res/$1_paced" "$tmp/res/$1_off" | awk '
	    $1 != "-" && $6 != "-" && $6 > 0 { print $1 / $6 }' \
	    >"$tmp/res/insitu_$1"
	set -- "$1" "$(stats "$tmp/res/insitu_$1" 1 | cut -d' ' -f1)" \
	    "$(stats "$tmp/res/sql_$1_paced" 3 | cut -d' ' -f1)"
	insitu=$(awk -v c="$2" -v u="$3" 'BEGIN {
	    x = "-"; y = "-"
	    if (u != "-") x = sprintf("%.1f", u)
	    if (c != "-") y = sprintf("%.2f", c)
	    printf "%s | %s", x, y }')
}

# Median share of the machine busy during row $1's runs, or -.
busy_of() {
	set -- $(stats "$tmp/res/$1" 5)
	echo "$1"
}

# The cgi ceiling behind nginx, derived: the spawn ceiling's CPU per
# spawn+exit (cgi_ceiling) and nginx's FastCGI hop's CPU per request,
# with wrk's and a trivial program's (fcgi_direct), each from the
# machine's busy time in its own runs: a CGI gateway behind nginx costs
# the machine at least both, so it serves at most NCPU / (both) requests
# a second here, even if it cost nothing itself.
hop_ceiling_row() {
	set -- "$(rate_of cgi_ceiling)" "$(busy_of cgi_ceiling)" \
	    "$(rate_of fcgi_direct)" "$(busy_of fcgi_direct)" \
	    "$(rate_of cgi_fcgiwrap)" "$(rate_of cgi_fngw)"
	awk -v a="$1" -v ba="$2" -v b="$3" -v bb="$4" -v p="$5" -v f="$6" \
	    -v n="$(nproc)" 'BEGIN {
		w = "GET hello'"'"'s ceiling behind nginx, derived: the" \
		    " CPU of one spawn+exit (row above) and of nginx'"'"'s" \
		    " FastCGI hop (the spawn-fcgi row) per request"
		if (a == "-" || b == "-" || ba == "-" || bb == "-" ||
		    a == 0 || b == 0) {
			printf "| %s | - | | | | | | | | |\n", w
			exit
		}
		ca = ba * n / a * 1e6
		cb = bb * n / b * 1e6
		r = n / (ca + cb) * 1e6
		x = (p == "-" || p == 0) ? "-" : sprintf("%.2f x fcgiwrap", r / p)
		if (f != "-" && f != 0)
			x = x sprintf("; fngw cgi at %.2f of it", f / r)
		printf "| %s: %.0f + %.0f us | %.0f | | - | - | | derived" \
		    " | %s | | |\n", w, ca, cb, r, x
	}'
}

# A short name for row $1 in the ratio column.
row_label() {
	case $1 in
	*fcgiwrap)	echo fcgiwrap ;;
	*direct)	echo spawn-fcgi ;;
	*_off)		echo "rows off" ;;
	php_fpm_static)	echo "fpm static" ;;
	php_fpm_ondemand) echo "fpm ondemand" ;;
	*)		echo "$1" ;;
	esac
}

# The version of Debian package $1.
deb_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"
}

v_nginx=$(nginx -v 2>&1 | sed 's|^nginx version: ||')
v_spawn=$(spawn-fcgi -v 2>&1 | head -n 1 | sed 's/ - .*//')
v_php_cgi=$("$php_cgi" -v | head -n 1 | sed 's/ (built.*//')
v_php_fpm=$("$php_fpm" -v | head -n 1 | sed 's/ (built.*//')
v_curl=$(curl -V | head -n 1 | cut -d' ' -f2)
ka_note=
[ "$FNGW_KEEPALIVE" = on ] ||
    ka_note=", but FNGW_KEEPALIVE=off: no kept connections"

# A cold-start table line: label $1, the microseconds in file $2; with
# $3, the goal against spawn+exit (the microseconds in file $3).
cold_line() {
	set -- "$1" "$2" "${3:-}" "$(pct 50 "$2")" "$(pct 99 "$2")" "${4:-}"
	if [ -n "$3" ]; then
		set -- "$1" "$2" "$3" "$4" "$5" "$6" "$(pct 50 "$3")"
		set -- "$@" "$(awk -v c="$4" -v s="$7" 'BEGIN {
		    if (c == "-" || s == "-") { print "-"; exit }
		    printf "%s (%+.2f ms)", c - s <= 1 ? "yes" : "**no**", c - s
		}')"
		echo "| $1 | $4 | $5 | <= spawn+exit$6 + 1 ms (p50) | $8 |"
	else
		echo "| $1 | $4 | $5 | | |"
	fi
}

# A line of label $1: p50 of the samples in file $2 less p50 of those
# in file $3 (no goal: see the notes on the round trip).
cold_diff_line() {
	awk -v c="$(pct 50 "$2")" -v w="$(pct 50 "$3")" -v l="$1" 'BEGIN {
		if (c == "-" || w == "-")
			printf "| %s | - | | | |\n", l
		else
			printf "| %s | %.2f | | | |\n", l, c - w
	}'
}

# kB $1 in MiB, one decimal.
mib() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

failed=
fngw_rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null) || fngw_rev="?"
if [ "$fngw_rev" != "?" ] && ! git -C "$top" diff --quiet HEAD -- gateway \
    2>/dev/null; then
	fngw_rev="$fngw_rev with local changes in gateway/"
fi
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' \
    /proc/meminfo)
if [ "$SMOKE" = 1 ]; then
	how="SMOKE=1: a smoke run, whose figures mean nothing"
else
	how="make bench"
fi
knobs="ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP THREADS=$THREADS"
knobs="$knobs CONNS=$CONNS WRK_TIMEOUT=$WRK_TIMEOUT CONC=$CONC N=$N"
knobs="$knobs SAMPLES=$SAMPLES PAUSE_MS=$PAUSE_MS"
knobs="$knobs SPAWN_SAMPLES=$SPAWN_SAMPLES RSS_FUNCTIONS=$RSS_FUNCTIONS"
knobs="$knobs RSS_REQUESTS=$RSS_REQUESTS FNGW_KEEPALIVE=$FNGW_KEEPALIVE"
[ "$ONLY" = "$ALL_GROUPS rss" ] || knobs="$knobs ONLY=\"$(echo $ONLY)\""

{
	cat <<EOF
# Standing benchmark: fngw against its peers

Written by \`bench/standing.sh\` ($how) on $date_start, in
$((t_end - t_start)) s, with
\`$knobs\`.
Reproduce: \`make bench\` (it installs the peers through \`make deps\`), or
\`$knobs sh bench/standing.sh\`
after \`make deps all && make NO_LEDGER=1\`.

Each round runs every row once, the groups in a rotated order and the
rows of a group (fngw's and its peers') one after the other, reversed
every other round; a row's figures are the **medians of its $ROUNDS
rounds** (wrk -t$THREADS -c$CONNS -d$DURATION --latency through one nginx
worker on 127.0.0.1); *spread* is (max - min) / median of its rounds'
req/s. Ratios are fngw's median over its peer's, from this run.

## Machine

- $(nproc) cores: $cpu_model; $mem_total; Linux $(uname -r)
- load average (1, 5, 15 min) at the start: $load_start; at the end: $load_end
EOF
	[ -z "$NOTE" ] || echo "- note: $NOTE"
	cat <<EOF

## Versions

- fngw $fngw_rev (\`${FNGW#"$top"/}\`; usage rows off:
  \`${FNGW_OFF#"$top"/}\`)
- $v_nginx (Debian $(deb_version nginx))
- fcgiwrap $(deb_version fcgiwrap)
- $v_spawn; libfcgi $(deb_version libfcgi0ldbl)
- $v_php_cgi; $v_php_fpm
- wrk $(deb_version wrk); curl $v_curl

## Throughput and latency

fngw's locations: nginx/fngw.conf as shipped (keep_conn, upstream
keepalive 16)$ka_note. spawn-fcgi and php-fpm: the same snippet
without kept connections. fcgiwrap: its stock setup. fngw cgi and
fcgiwrap run $CONC at once; the warm rows $N processes on each side.

| row | req/s | spread | p50 ms | p99 ms | CPU busy | runs | ratio | goal | met? |
| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |
EOF
	for g in $groups; do
		case $g in
		ceiling)	table_row nginx - - ;;
		hello-cgi)	table_row cgi_fngw cgi_fcgiwrap 1.5
				table_row cgi_fcgiwrap - -
				table_row cgi_off - -
				table_row cgi_ceiling cgi_fcgiwrap -
				! wanted hello-fcgi || hop_ceiling_row ;;
		hello-fcgi)	table_row fcgi_fngw fcgi_direct 0.8
				table_row fcgi_direct - -
				table_row fcgi_off fcgi_direct -
				table_row fcgi_paced fcgi_off - ;;
		post4k-cgi)	table_row p4k_cgi_fngw p4k_cgi_fcgiwrap 1.5
				table_row p4k_cgi_fcgiwrap - - ;;
		post1m-cgi)	table_row p1m_cgi_fngw p1m_cgi_fcgiwrap 1.5
				table_row p1m_cgi_fcgiwrap - - ;;
		post4k-fcgi)	table_row p4k_fcgi_fngw p4k_fcgi_direct 0.8
				table_row p4k_fcgi_direct - - ;;
		post1m-fcgi)	table_row p1m_fcgi_fngw p1m_fcgi_direct 0.8
				table_row p1m_fcgi_direct - - ;;
		php)		table_row php_fngw php_fpm_static 0.85
				table_row php_fpm_static - -
				table_row php_fpm_ondemand ^php_fngw -
				table_row php_off php_fpm_static -
				table_row php_paced php_off - ;;
		esac
	done
	if wanted hello-cgi || wanted hello-fcgi || wanted php; then
		cat <<EOF

Usage rows on against off (the same functions and nginx settings,
\`make NO_LEDGER=1\`'s build writing no rows):

| row | rows on, req/s | rows off, req/s | ratio | goal | met? | rows a commit | SQLite alone, us a row | ceiling | SQLite paced beside, us a row | in-situ ceiling |
| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |
EOF
		for m in cgi fcgi php; do
			case $m in
			cgi)	wanted hello-cgi || continue
				label="GET hello, cgi" ;;
			fcgi)	wanted hello-fcgi || continue
				label="GET hello, fastcgi warm" ;;
			php)	wanted php || continue
				label="PHP hello.php, fastcgi warm" ;;
			esac
			a=$(rate_of ${m}_fngw)
			b=$(rate_of ${m}_off)
			floor_of "$m" "$(busy_of ${m}_off)" "$b"
			insitu_of "$m"
			awk -v l="$label" -v a="$a" -v b="$b" -v f="$floor" \
			    -v s="$insitu" 'BEGIN {
			    if (a == "-" || b == "-" || b == 0) {
				printf "| %s | %s | %s | - | >= 0.90 | - | %s | %s |\n",
				    l, a, b, f, s
				exit
			    }
			    printf "| %s | %.0f | %.0f | %.2f | >= 0.90 | %s | %s | %s |\n",
				l, a, b, a / b, (a / b >= 0.9 ? "yes" : "**no**"), f, s
			}'
		done
	fi
	if wanted cold; then
		p50=$(pct 50 "$tmp/res/cold_fngw_php")
		f50=$(pct 50 "$tmp/res/cold_fpm")
		vs_fpm=$(awk -v a="$p50" -v b="$f50" 'BEGIN {
		    if (a == "-" || b == "-" || b == 0) print "-"
		    else printf "%.1f", a / b }')
		n_cold=$(wc -l <"$tmp/res/cold_fngw_c")
		n_spawn=$(wc -l <"$tmp/res/spawnx_c")
		n_pause=$(wc -l <"$tmp/res/spawnx_c_idle")
		cat <<EOF

## Cold start from zero

Each sample waits until the function has no process left (fngw:
idle_timeout 200ms, min_instances 0; php-fpm: pm = ondemand,
process_idle_timeout 1s), then times one GET through nginx (curl's
time_total, so nginx's and curl's share is in it); $n_cold samples of
each, interleaved. *spawn+exit* is bench/spawntime.c -x: posix_spawn
of the binary (stdin /dev/null; it finds no socket and exits) until
waitpid returns, $n_spawn times serially: the floor any start of it
pays here. *spawn to answer* is spawntime's socket mode: posix_spawn
with a listening socket as fd 0 until the program answers an
FCGI_GET_VALUES record. Nearest-rank percentiles. fngw's php-cgi
p50 is $vs_fpm x php-fpm ondemand's.

*After a pause*: the same spawntime samples, $n_pause of each, each
after ${PAUSE_MS} ms in which a small process is started every 20 ms
(spawntime -i), as a cold sample comes after fngw's ${PAUSE_MS} ms
idle_timeout and the polling for its instance to go. This machine
makes work after a pause dearer than the same work back to back (a
serial loop keeps caches and the host's scheduling warm): the serial
floor is one no cold start gets, and the line "against the start after
the same pause" compares like with like.

*Warm, after the same pause*: a function of the same program with
min_instances = 1, asked after the same wait as a cold sample
(${PAUSE_MS} ms of the same polling), interleaved with them: what a
request costs end to end when nothing has to start (curl, nginx, fngw,
the program, the row), after the same pause; spawn+exit has no such
round trip in it. The difference is no more than a hint at what the
start itself added: on a machine that makes work after a pause dearer,
each process woken on an idle core pays for it, and a cold start, whose
spawn keeps a core busy, pays less of that than the warm request does
(in some runs the difference is below the spawn+exit floor).

| what | p50 ms | p99 ms | goal | met? |
| --- | ---: | ---: | --- | --- |
EOF
		r=$tmp/res
		cold_line "fngw fastcgi, counter_fcgi, cold" "$r/cold_fngw_c" \
		    "$r/spawnx_c"
		cold_line "the same, against the start after the same pause" \
		    "$r/cold_fngw_c" "$r/spawnx_c_idle" " after a pause"
		l="fngw fastcgi, counter_fcgi, warm, after the same pause"
		cold_line "$l (the round trip: curl, nginx, fngw, the program)" \
		    "$r/cold_fngw_w"
		l="the cold start less that round trip"
		cold_diff_line "$l (p50 cold - p50 warm after the pause)" \
		    "$r/cold_fngw_c" "$r/cold_fngw_w"
		cold_line "counter_fcgi spawn+exit" "$r/spawnx_c"
		cold_line "counter_fcgi spawn+exit after a ${PAUSE_MS} ms pause" \
		    "$r/spawnx_c_idle"
		cold_line "counter_fcgi spawn to answer" "$r/spawns_c"
		cold_line "counter_fcgi spawn to answer after a ${PAUSE_MS} ms pause" \
		    "$r/spawns_c_idle"
		cold_line "fngw fastcgi, php-cgi hello.php, cold" \
		    "$r/cold_fngw_php" "$r/spawnx_php"
		cold_line "the same, against the start after the same pause" \
		    "$r/cold_fngw_php" "$r/spawnx_php_idle" " after a pause"
		cold_line "php-cgi spawn+exit" "$r/spawnx_php"
		cold_line "php-cgi spawn+exit after a ${PAUSE_MS} ms pause" \
		    "$r/spawnx_php_idle"
		cold_line "php-cgi spawn to answer" "$r/spawns_php"
		cold_line "php-cgi spawn to answer after a ${PAUSE_MS} ms pause" \
		    "$r/spawns_php_idle"
		cold_line "php-fpm ondemand, hello.php, cold" "$r/cold_fpm"
		if sqlite3 "$tmp/cold/usage.db" "select init_us from invocations
		    where cold_start = 1 and function = 'ccold'" \
		    >"$tmp/init_c" 2>/dev/null && [ -s "$tmp/init_c" ]; then
			echo "| fngw's own init_us of the counter_fcgi cold starts" \
			    "(its ledger) | $(pct 50 "$tmp/init_c") |" \
			    "$(pct 99 "$tmp/init_c") | | |"
		fi
	fi
	if wanted rss; then
		rss_met="**no**"
		[ "$rss_start" -gt 16384 ] || rss_met=yes
		cat <<EOF

## fngw's memory

fngw many: $RSS_FUNCTIONS functions (half cgi handlers/hello, half fastcgi
counter_fcgi with min_instances 0), VmRSS of the fngw process (not its
children).

| what | kB | MiB | goal | met? |
| --- | ---: | ---: | --- | --- |
| idle, after start | $rss_start | $(mib "$rss_start") | <= 16 MiB | $rss_met |
| after $rss_done requests over all | $rss_after | $(mib "$rss_after") | | |
| peak (VmHWM) | $rss_hwm | $(mib "$rss_hwm") | | |
EOF
	fi
	cat <<EOF

## Notes

- One machine, loopback only, and wrk, nginx and the backends share its
  $(nproc) cores: the figures say how fngw compares with its peers here, not
  what any of them does on a real network or a bigger machine. Rows are
  interleaved so that drift weighs on all alike, but a busy neighbour
  still moves single rounds (see *spread*).
EOF
	if [ "$warm_start" = "$warm_end" ]; then
		echo "- fngw's warm instances were the same processes" \
		    "throughout ($N of each function, never recycled)."
	else
		echo "- fngw's warm instances changed during the run" \
		    "(pids $warm_start at the start, $warm_end at the end)."
	fi
	for g in main off cold many; do
		[ -s "$tmp/$g/fngw.log" ] || continue
		# Its warnings and errors, counted by kind (at=, fn=,
		# status=, error=).
		# (The NO_LEDGER build's warning at its start is expected.)
		awk '/level=(warn|error)/ && !/built with NO_LEDGER/ {
			k = ""
			for (i = 1; i <= NF; i++)
				if ($i ~ /^(level|at|fn|status|error)=/)
					k = k " " $i
			n[k]++
		    }
		    END { for (k in n) printf "%d x%s\n", n[k], k }' \
		    "$tmp/$g/fngw.log" | sort -rn >"$tmp/$g/summary"
		[ -s "$tmp/$g/summary" ] || continue
		echo "- fngw $g logged (the logs are in" \
		    "\`${out#"$top"/}/standing-logs/\`):"
		sed 's/^/  - /; s/$/;/' "$tmp/$g/summary"
	done
	cat <<EOF
- Cold start, fngw's php-cgi against php-fpm ondemand: php-fpm forks a
  child of its master, which has PHP loaded and initialised already;
  fngw starts php-cgi with exec, so PHP's whole start-up is in every
  cold start. The ratio is the cost of that design, not of the gateway;
  the goal compares each cold start with spawn+exit of the same binary.
  php-fpm reaps idle children once a second at best, so each of its
  samples waits a second or two for the pool to empty (outside the
  timed request).
- fcgiwrap, like fngw's cgi mode, forks and execs the binary for every
  request; it runs with its stock nginx setup (no kept connections, the
  request body buffered by nginx), as it is deployed.
- *GET hello's ceiling* is no gateway at all: bench/spawntime.c -r
  starts handlers/hello and reaps it, $CONC loops at once for as long as
  a wrk run, with nothing else on the machine. No CGI gateway can serve
  more requests per second than that here; its ratio to fcgiwrap is the
  best ratio any gateway could reach against fcgiwrap on this machine,
  before nginx and wrk take their share of the same 2 cores.
- *GET hello's ceiling behind nginx* adds that share: per request, a
  CGI gateway behind nginx costs the machine at least the CPU of one
  spawn+exit (the row above: its busy time over its spawns) and that of
  nginx's FastCGI hop with wrk (the spawn-fcgi row's busy time over its
  requests; its trivial program's share of that is a few microseconds,
  about what reading a CGI's output costs), so it serves at most the
  machine's cores over the two together, even if it cost nothing
  itself. Where that is below 1.5 x fcgiwrap, the cgi goal is out of
  reach for any gateway on this machine; what stands between fngw and
  this line is fngw's own work per request. *CPU busy* is the share of
  all cores busy during a row's runs (/proc/stat): a row well below
  100% was held back by latency or one busy process (nginx runs one
  worker), not by the machine.
- spawn-fcgi's libfcgi processes and php-fpm's children serve one
  connection at a time, so they get no kept connections from nginx
  (one would pin a process); fngw gets its snippet as shipped.
- *Rows a commit*, *SQLite alone* and *ceiling* (rows on against off):
  the rows fngw's writer committed per transaction during the rows-on
  runs (its status page), what SQLite by itself spends in CPU to insert
  a row at that batch size (bench/sqlfloor.c: the same schema, page
  size, WAL and synchronous = NORMAL, checkpoints every 1000 pages, one
  prepared statement in one thread, after a warm-up), and the ratio a
  gateway would reach if each row cost the machine that and nothing
  more: the rows-off row's CPU per request (its busy share of the cores
  over its rate) over itself plus the row's. It is an estimate that
  takes CPU as the bound; the warm rows keep 80 to 85% of the cores
  busy, so waits count too, and a request that waits for its commit
  waits longer than the row's CPU. What lies between the ratio and the
  ceiling is the rest of fngw's ledger: the hand-off to the writer
  thread and back, its wake-ups and linger, and that wait.
- *SQLite paced beside* and *in-situ ceiling*: the paced rows run
  fngw's rows-off build while bench/sqlfloor.c, in another process,
  inserts the same rows into a scratch ledger of the same schema at the
  rate fngw's rows-on row reached in its last run, in batches of the
  size fngw's writer reached, sleeping until each batch is due, as a
  writer beside a serving gateway does: the SQLite work the rows need,
  on no request's path at all. The first is what that costs SQLite in
  CPU a row (getrusage over its paced inserts; *SQLite alone* is the
  same work back to back), the second the paced row's rate over the
  rows-off row's (the median over the rounds of the two adjacent runs'
  ratio): the share of the serving the same SQLite work takes here,
  whoever does it and however it is fed. It is paced at fngw's rows-on
  rate, below what rows off would need, so it errs high.
- Usage rows off is a build (\`make NO_LEDGER=1\`), not a setting: fngw
  always writes a row per request. Its warm and PHP rows carry their
  ratio to the same peer as fngw's: the hop through fngw without the
  ledger. What is left between that and fngw's own row is the row
  each request commits before it ends (SPEC: committed before
  FCGI_END_REQUEST, so that a SIGKILL loses none a client saw).
- The POST rows send a body of 'x's (wrk's script); the correctness
  check before the rounds sends random bytes and compares the echo.
EOF
} >"$tmp/RESULTS.md"

cp "$tmp/RESULTS.md" "$RESULTS"
# The gateways' and the peers' logs, for a look at what went wrong.
rm -rf "$out/standing-logs"
mkdir -p "$out/standing-logs"
for g in main off cold many; do
	[ ! -f "$tmp/$g/fngw.log" ] ||
	    cp "$tmp/$g/fngw.log" "$out/standing-logs/fngw-$g.log"
done
cp "$tmp/nginx/error.log" "$out/standing-logs/nginx-error.log" 2>/dev/null || :
cp "$tmp/fpm/error.log" "$out/standing-logs/php-fpm.log" 2>/dev/null || :
cp "$tmp/fcgiwrap.log" "$out/standing-logs/fcgiwrap.log" 2>/dev/null || :
mv "$report.tmp" "$report"
echo "written: ${RESULTS#"$top"/}, ${report#"$top"/} and" \
    "${out#"$top"/}/standing-logs/"
if [ -n "$failed" ]; then
	warn "no clean run of:$failed"
	exit 1
fi
