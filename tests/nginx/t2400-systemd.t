#!/bin/sh
# t2400-systemd.t -- fngw under a service manager, behind a real nginx:
# socket activation with systemd-socket-activate; a restart with the
# socket held by the manager (tests/tools/sdhold.c, which does what
# systemd does with fngw.socket) loses no request under load, where a
# plain restart does; and fngw serves with no more than the capability
# bounding set of conf/fngw.service (and NoNewPrivileges).
. "${0%/*}/../lib.sh"

command -v systemd-socket-activate >/dev/null ||
    skip_all "systemd-socket-activate is not installed (make deps)"
SDHOLD=$(tool sdhold) || test_fatal "cannot build tests/tools/sdhold.c"

use_handlers hello env sleep counter_fcgi
# An env_file only its owner (the function's user) may read: fngw, root,
# reads it with CAP_DAC_OVERRIDE.
printf 'SECRET_KEY=s3cret\n' >fn.env && chmod 600 fn.env &&
    chown "$FN_USER" fn.env || test_fatal "cannot make fn.env"
write_config - <<'INI' || test_fatal "cannot write the config"
@GATEWAY@

[fn.hello]
route   = ^/hello(?:/(?<name>[^/]+))?$
exec    = @BIN@/hello

[fn.env]
route    = ^/env$
exec     = @BIN@/env
env_file = @T@/fn.env

[fn.sleep]
route   = ^/sleep$
exec    = @BIN@/sleep
timeout = 1s
concurrency = 16

[fn.warm]
route   = ^/warm$
exec    = @BIN@/counter_fcgi
mode    = fastcgi
INI

inode() { stat -c %i "$1" 2>/dev/null; }

# The requests of the load: N (400) of /sleep?ms=20, 8 at a time,
# through nginx; one HTTP status a line in FILE.
LOAD_N=400
load_start() {
	: >"$1"
	curl -s -Z --parallel-max 8 --max-time 30 -o /dev/null \
	    -w '%{http_code}\n' "$BASE/sleep?ms=20&i=[1-$LOAD_N]" \
	    >"$1" 2>"$1.err" &
	LOAD_PID=$!
	track_pid "$LOAD_PID"
}
# Requests of the load nginx has answered so far (its access log).
load_done() { grep -c 'GET /sleep?ms=20&i=' "$T/nginx/access.log"; }
# The load's failures: every status but 200, and transfers that never
# got one (curl prints 000).
load_failed() { grep -cvx 200 "$1"; }

# hold_start [WRAPPER...]: fngw under sdhold (stdout: hold.out), fngw's
# stderr to fngw.log; waits for READY=1.  Sets HOLD_PID and FNGW_PID.
hold_start() {
	: >hold.out
	"$SDHOLD" -l "$T/fngw.sock" -- "$@" "$FNGW" serve -c "$T/fngw.ini" \
	    >hold.out 2>>fngw.log &
	HOLD_PID=$!
	track_pid "$HOLD_PID"
	wait_for "grep -q 'READY=1' hold.out" 15 || return 1
	FNGW_PID=$(sed -n 's/^sdhold: started pid=//p' hold.out | tail -n 1)
	grep -q "notify pid=$FNGW_PID READY=1" hold.out
}
hold_stop() {
	kill -TERM "$HOLD_PID" &&
	wait_for "! pid_alive $HOLD_PID" 20 &&
	grep -q "exited pid=$FNGW_PID status=0" hold.out
}

test_expect_success 'systemd-socket-activate: requests through nginx are served' '
	rm -f fngw.sock &&
	systemd-socket-activate -l "$T/fngw.sock" --fdname=fngw \
	    "$FNGW" serve -c "$T/fngw.ini" >>fngw.log 2>&1 &
	GATEWAY_PID=$! && track_pid $GATEWAY_PID &&
	wait_for "[ -S fngw.sock ]" 10 &&
	chmod 0666 fngw.sock && ino=$(inode fngw.sock) &&
	start_nginx &&
	hcurl /hello/Activated && [ "$code" = 200 ] &&
	grep -qx "Hello, Activated!" body &&
	grep -q "manager passed: fd=3 unix:$T/fngw.sock" fngw.log &&
	hcurl /env && [ "$code" = 200 ] && grep -qx SECRET_KEY=s3cret body &&
	! grep -q "^LISTEN_" body && ! grep -q "^NOTIFY_SOCKET" body
'

test_expect_success 'fngw exits and leaves the socket, which keeps queueing' '
	stop_gateway && [ "$GATEWAY_EXIT" = 0 ] &&
	[ -S fngw.sock ] && [ "$(inode fngw.sock)" = "$ino" ]
'

test_expect_success 'under sdhold: READY=1 once serving, functions see no LISTEN_*' '
	hold_start && ino=$(inode fngw.sock) &&
	hcurl /env && [ "$code" = 200 ] && grep -q "^FN_NAME=env" body &&
	! grep -q "^LISTEN_" body && ! grep -q "^NOTIFY_SOCKET" body
'

test_expect_success 'a restart under load: not one request fails' '
	old=$FNGW_PID &&
	load_start load.codes &&
	wait_for "[ \$(load_done) -ge 60 ]" 20 &&
	kill -HUP "$HOLD_PID" &&
	wait_for "grep -q \"exited pid=$old \" hold.out" 20 &&
	at_exit=$(load_done) &&
	wait_for "[ \$(grep -c READY=1 hold.out) -ge 2 ]" 15 &&
	at_ready=$(load_done) &&
	{ wait "$LOAD_PID"; true; } &&
	FNGW_PID=$(sed -n "s/^sdhold: started pid=//p" hold.out | tail -n 1) &&
	say "old fngw $old exited after $at_exit requests, new $FNGW_PID ready after $at_ready; $(wc -l <load.codes) answered, $(load_failed load.codes) failed" &&
	[ "$FNGW_PID" != "$old" ] &&
	grep -q "exited pid=$old status=0" hold.out &&
	grep -q "notify pid=$old STOPPING=1" hold.out &&
	grep -q "notify pid=$FNGW_PID READY=1" hold.out &&
	[ "$(wc -l <load.codes)" -eq $LOAD_N ] &&
	[ "$(load_failed load.codes)" -eq 0 ] &&
	[ "$at_exit" -lt $LOAD_N ] &&
	! grep -q "connect() .*failed" nginx/error.log
'

test_expect_success 'the socket stayed the same across the restart' '
	[ "$(inode fngw.sock)" = "$ino" ] &&
	hcurl /hello && [ "$code" = 200 ] &&
	hold_stop && [ ! -e fngw.sock ]
'

# The control: the same load and restart, fngw binding its socket itself.
# It shows that the load above would have seen a refused connection.
test_expect_success 'without socket activation the same restart fails requests' '
	start_gateway &&
	load_start plain.codes &&
	wait_for "[ \$(load_done) -ge $((LOAD_N + 60)) ]" 20 &&
	stop_gateway && start_gateway &&
	{ wait "$LOAD_PID"; true; } &&
	say "$(wc -l <plain.codes) answered, $(load_failed plain.codes) failed: $(sort plain.codes | uniq -c | tr "\n" " ")" &&
	[ "$(load_failed plain.codes)" -gt 0 ] &&
	stop_gateway
'

# The capability bounding set of conf/fngw.service, applied with setpriv
# as systemd would, with NoNewPrivileges: fngw must still start functions
# as their user, read a tenant's env_file, hand a warm instance its
# socket, kill a function at its deadline and stop its instances.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$TOP/conf/fngw.service" |
    tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
test_expect_success "with the unit's bounding set ($caps) fngw does its work" '
	[ -n "$caps" ] &&
	hold_start setpriv --no-new-privs --bounding-set "-all,$caps" &&
	want=$(setpriv --bounding-set "-all,$caps" cat /proc/self/status |
	    sed -n "s/^CapBnd:[[:space:]]*//p") &&
	got=$(sed -n "s/^CapBnd:[[:space:]]*//p" /proc/$FNGW_PID/status) &&
	say "CapBnd of fngw: $got (want $want)" &&
	[ -n "$got" ] && [ "$got" = "$want" ] &&
	grep -q "^NoNewPrivs:[[:space:]]*1" /proc/$FNGW_PID/status &&
	hcurl /hello/Caps && [ "$code" = 200 ] &&
	hcurl /env && [ "$code" = 200 ] && grep -qx SECRET_KEY=s3cret body &&
	hcurl /warm && [ "$code" = 200 ] && grep -q "^count=1" body &&
	hcurl /warm && [ "$code" = 200 ] && grep -q "^count=2" body &&
	start=$(now_ms) && hcurl "/sleep?ms=20000" && [ "$code" = 504 ] &&
	took=$(( $(now_ms) - start )) && say "504 after $took ms" &&
	[ "$took" -lt 5000 ] &&
	wait_for "no_fn_procs sleep" 5 &&
	hold_stop && no_fn_procs
'

test_done
