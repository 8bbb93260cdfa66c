#!/bin/sh
# t1160-limits.t -- a function's rlimits hold, soft and hard, and each
# one it runs into ends as 502 with outcome `limit`, the signal in its
# row and the reason in the log: a memory hog (memory), a CPU spinner
# (cpu: SIGXCPU), a file writer (fsize: SIGXFSZ), an fd leak (nofile),
# a fork bomb (nproc, as a user of its own so that it counts nobody
# else's processes) and a 1 GiB output flood (max_output).  fngw serves
# normally right after each.  A limit above fngw's own hard limit is
# clamped, and `fngw check` warns naming file, section and key.
. "${0%/*}/../lib.sh"

use_handlers hello limits spin bigout counter_fcgi

# The fork bomb's own user: RLIMIT_NPROC counts every process of a user.
BOMB_USER=fngw-test-bomb
if [ "$(id -u)" = 0 ]; then
	id "$BOMB_USER" >/dev/null 2>&1 ||
	    useradd --system --no-create-home --shell /usr/sbin/nologin \
	    "$BOMB_USER" >/dev/null 2>&1 || id "$BOMB_USER" >/dev/null 2>&1 ||
	    test_fatal "cannot create user $BOMB_USER"
	test_set_prereq ROOT
	bomb_user="user = $BOMB_USER"
else
	bomb_user=
fi

# A soft open-file limit under the hard one, for fngw to raise.
if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -gt 1024 ]; then
	ulimit -Sn 1024
fi

start_gateway - <<INI
@GATEWAY@
min_uid = 1

[fn.hello]
route = ^/hello\$
exec  = @BIN@/hello

[fn.show]
route  = ^/show\$
exec   = @BIN@/limits
memory = 96m
cpu    = 2s
nofile = 64
nproc  = 4000
fsize  = 1m

[fn.plain]
route = ^/plain\$
exec  = @BIN@/limits

[fn.hog]
route  = ^/hog\$
exec   = @BIN@/limits
memory = 128m

[fn.spin]
route   = ^/spin\$
exec    = @BIN@/spin
cpu     = 1s
timeout = 30s

[fn.fsize]
route = ^/fsize\$
exec  = @BIN@/limits
fsize = 1m

[fn.files]
route  = ^/files\$
exec   = @BIN@/limits
nofile = 40

[fn.bomb]
route = ^/bomb\$
exec  = @BIN@/limits
nproc = 20
$bomb_user

[fn.flood]
route   = ^/flood\$
exec    = @BIN@/bigout
timeout = 60s

[fn.warmhog]
route  = ^/warmhog\$
exec   = @BIN@/counter_fcgi
mode   = fastcgi
memory = 128m
INI
start_nginx

# row ID: "outcome status signal" of the row with request id ID.
row() {
	db "select outcome, status, coalesce(signal, '-') from invocations
	    where request_id = '$1'"
}

# serves: hello answers at once.
serves() { hcurl /hello && [ "$code" = 200 ]; }

# rid: the request id of the last hcurl.
rid() { hdr head X-Request-Id; }

test_expect_success 'soft and hard limits are both set; core dumps off' '
	hcurl "/show?do=limits" && [ "$code" = 200 ] && cat body &&
	grep -qx "as 100663296 100663296" body &&
	grep -qx "cpu 2 3" body &&
	grep -qx "nofile 64 64" body &&
	grep -qx "nproc 4000 4000" body &&
	grep -qx "fsize 1048576 1048576" body &&
	grep -qx "core 0 0" body
'

# fngw raises its own soft open-file limit to the hard one (for its
# connections); a function with no nofile still gets the one fngw was
# started with.
test_expect_success 'no nofile: the open-file limit fngw started with, not its raised one' '
	soft=$(ulimit -Sn) && hard=$(ulimit -Hn) && say "started with $soft/$hard" &&
	hcurl "/plain?do=limits" && [ "$code" = 200 ] &&
	grep -qx "nofile $soft $hard" body &&
	fsoft=$(awk "/^Max open files/ { print \$4 }" /proc/$GATEWAY_PID/limits) &&
	say "fngw runs with $fsoft" && [ "$fsoft" = "$hard" ] &&
	{ [ "$soft" != "$hard" ] || say "(soft = hard here: nothing raised)"; }
'

test_expect_success 'memory: a hog ends as 502, outcome limit, with its signal' '
	hcurl "/hog?do=mem" && [ "$code" = 502 ] && json_error body bad_gateway head &&
	id=$(rid) && wait_for "[ -n \"\$(row $id)\" ]" 10 &&
	say "row: $(row $id)" && [ "$(row $id)" = "limit|502|6" ] &&
	rss=$(db "select max_rss_kb from invocations where request_id = '\''$id'\''") &&
	say "max_rss_kb $rss" && [ "$rss" -ge 100000 ] && [ "$rss" -le 140000 ] &&
	grep -q "request_id=$id msg=\"the function was killed by signal 6: it ran into its memory limit\"" \
		"$T/fngw.log" &&
	serves
'

# The CPU in the row is the rusage's, which a loaded machine showed 14%
# under the kernel's own count that fired SIGXCPU: SIGXCPU is the fact,
# the figure only has to be of the right size.
test_expect_success 'cpu: a spinner is stopped by SIGXCPU at its cpu limit, not the timeout' '
	start=$(now_ms) && hcurl "/spin?ms=60000" && took=$(( $(now_ms) - start )) &&
	say "took $took ms" && [ "$code" = 502 ] && [ "$took" -lt 25000 ] &&
	id=$(rid) && wait_for "[ -n \"\$(row $id)\" ]" 10 &&
	say "row: $(row $id)" && [ "$(row $id)" = "limit|502|24" ] &&
	cpu=$(db "select cpu_user_us + cpu_sys_us from invocations where request_id = '\''$id'\''") &&
	say "cpu $cpu us" && [ "$cpu" -ge 500000 ] &&
	grep -q "request_id=$id msg=\".*signal 24: it ran into its cpu limit\"" "$T/fngw.log" &&
	serves
'

test_expect_success 'fsize: a writer past its fsize is stopped by SIGXFSZ' '
	hcurl "/fsize?do=fsize" && [ "$code" = 502 ] &&
	id=$(rid) && wait_for "[ -n \"\$(row $id)\" ]" 10 &&
	say "row: $(row $id)" && [ "$(row $id)" = "limit|502|25" ] &&
	grep -q "request_id=$id msg=\".*signal 25: it ran into its fsize limit\"" "$T/fngw.log" &&
	serves
'

test_expect_success 'nofile: an fd leak stops at its nofile' '
	hcurl "/files?do=files" && [ "$code" = 200 ] && cat body &&
	n=$(sed -n "s/^opened=\([0-9]*\) error=EMFILE$/\1/p" body) &&
	[ -n "$n" ] && [ "$n" -le 37 ] && id=$(rid) &&
	wait_for "[ \"\$(row $id)\" = \"ok|200|-\" ]" 10 && serves
'

test_expect_success ROOT 'nproc: a fork bomb stops at its nproc, and nothing of it is left' '
	hcurl "/bomb?do=fork" && [ "$code" = 200 ] && cat body &&
	n=$(sed -n "s/^forked=\([0-9]*\) error=EAGAIN$/\1/p" body) &&
	[ -n "$n" ] && [ "$n" -ge 1 ] && [ "$n" -le 19 ] && id=$(rid) &&
	wait_for "[ \"\$(row $id)\" = \"ok|200|-\" ]" 10 &&
	wait_for "[ -z \"\$(procs_of_user $BOMB_USER)\" ]" 10 &&
	wait_for "no_fn_procs limits" 10 && serves
'

test_expect_success 'max_output: a 1 GiB flood is cut off, billed as limit, fngw unharmed' '
	rss0=$(vmrss_kb "$GATEWAY_PID") &&
	hcurl "/flood?bytes=1073741824"; rc=$curl_rc;
	size=$(wc -c <body) && say "curl rc=$rc code=$code size=$size" &&
	[ "$size" -lt 70000000 ] && if [ "$code" = 502 ]; then
		json_error body bad_gateway head
	else
		[ "$rc" -ne 0 ]
	fi &&
	wait_for "[ \"\$(db \"select outcome from invocations where function = '"'"'flood'"'"'\")\" = limit ]" 10 &&
	wait_for "no_fn_procs bigout" 10 &&
	rss1=$(vmrss_kb "$GATEWAY_PID") && say "fngw VmRSS $rss0 -> $rss1 kB" &&
	[ $((rss1 - rss0)) -lt 65536 ] && serves
'

test_expect_success 'fastcgi: an instance that runs out of memory is a limit too' '
	hcurl "/warmhog?hog=16" && [ "$code" = 200 ] &&
	hcurl "/warmhog?hog=200" && say "code $code" && id=$(rid) &&
	wait_for "[ -n \"\$(row $id)\" ]" 10 && say "row: $(row $id)" &&
	case $(row $id) in limit\|5??\|*) ;; *) false ;; esac &&
	serves && hcurl "/warmhog" && [ "$code" = 200 ]
'

test_expect_success 'a limit above fngw'"'"'s own hard limit: clamped, and check warns' '
	prlimit --nofile=50:50 --cpu=1:1 "$FNGW" check -c "$T/fngw.ini" >out 2>err &&
	cat err && grep -q "configuration OK" out &&
	grep -q "^fngw: warning: $T/fngw.ini: \[fn.show\] nofile: 64 is above fngw.s own hard limit (50)" err &&
	grep -q "^fngw: warning: $T/fngw.ini: \[fn.show\] cpu: 2 s is above fngw.s own hard limit (1 s)" err &&
	! grep -q "\[fn.files\] nofile" err
'

test_expect_success 'fngw has no zombie child' '
	wait_for "[ -z \"\$(zombies_of $GATEWAY_PID)\" ]" 5
'

test_done
