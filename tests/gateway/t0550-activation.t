#!/bin/sh
# t0550-activation.t -- socket activation (LISTEN_FDS) and readiness
# (NOTIFY_SOCKET) without systemd: systemd-socket-activate, the test's
# own service manager (tests/tools/sdhold.c), and descriptors handed
# over by hand for what a manager should never pass.
. "${0%/*}/../lib.sh"

command -v systemd-socket-activate >/dev/null ||
    skip_all "systemd-socket-activate is not installed (make deps)"
SDHOLD=$(tool sdhold) || test_fatal "cannot build tests/tools/sdhold.c"

use_handlers hello env
write_config - <<'INI' || test_fatal "cannot write the config"
@GATEWAY@

[fn.hello]
route   = ^/hello(?:/(?<name>[^/]+))?$
exec    = @BIN@/hello

[fn.env]
route   = ^/env$
exec    = @BIN@/env
INI
# The config names another socket than the one the manager passes.
sed "s|^listen .*|listen = unix:$T/other.sock|" fngw.ini >other.ini

inode() { stat -c %i "$1" 2>/dev/null; }

# activate LOG ARGS...: systemd-socket-activate ARGS... fngw serve, in
# the background (GATEWAY_PID: it execs fngw, so the pid stays).
activate() {
	ac_log=$1
	shift
	systemd-socket-activate "$@" "$FNGW" serve -c "$T/other.ini" \
	    >>"$ac_log" 2>&1 &
	GATEWAY_PID=$!
	track_pid "$GATEWAY_PID"
}

# with_fd3 KIND CMD...: run CMD with LISTEN_PID (its own pid),
# LISTEN_FDS=1 and fd 3 a KIND: "file", "dgram" (a bound datagram
# socket), "unlistened" (a bound stream socket that does not listen).
# perl execs CMD, so in the background $! is CMD's pid.
cat >fd3.pl <<'PERL'
use Socket;
use POSIX ();
my $kind = shift;
$^F = 10;	# no close-on-exec for what we open
my $s;
if ($kind eq "file") {
	open($s, "<", "/dev/null") or die "open: $!";
} else {
	socket($s, PF_UNIX, $kind eq "dgram" ? SOCK_DGRAM : SOCK_STREAM, 0)
	    or die "socket: $!";
	unlink "fd3.sock";
	bind($s, pack_sockaddr_un("fd3.sock")) or die "bind: $!";
}
if (fileno($s) != 3) {
	POSIX::dup2(fileno($s), 3) or die "dup2: $!";
}
$ENV{LISTEN_PID} = $$;
$ENV{LISTEN_FDS} = 1;
exec @ARGV or die "exec: $!";
PERL
with_fd3() { perl "$T/fd3.pl" "$@"; }

test_expect_success 'systemd-socket-activate: fngw serves the passed unix socket' '
	rm -f fngw.sock &&
	activate fngw.log -l "$T/fngw.sock" --fdname=fngw &&
	wait_for "[ -S fngw.sock ]" 10 && ino=$(inode fngw.sock) &&
	wait_for "socket_accepts $T/fngw.sock" 10 &&
	wait_for "grep -q \"listen=unix:$T/fngw.sock \" fngw.log" 10 &&
	fcgi_request GET /hello/Act >out && grep -q "Hello, Act!" out
'

test_expect_success 'it logs that the inherited socket wins over listen' '
	grep -q "listening on the socket the service manager passed: fd=3 unix:$T/fngw.sock" fngw.log &&
	grep -q "listen = unix:$T/other.sock is not used: the inherited socket unix:$T/fngw.sock wins" fngw.log &&
	[ ! -e other.sock ]
'

test_expect_success 'functions see no LISTEN_* and no NOTIFY_SOCKET' '
	fcgi_request GET /env >out && grep -q "^FN_NAME=env" out &&
	! grep -q "^LISTEN_" out && ! grep -q "^NOTIFY_SOCKET" out
'

test_expect_success 'at exit fngw leaves the inherited socket where it is' '
	stop_gateway && [ "$GATEWAY_EXIT" = 0 ] &&
	[ -S fngw.sock ] && [ "$(inode fngw.sock)" = "$ino" ] &&
	grep -q "at=cmd_serve msg=\"stopped\"" fngw.log
'

test_expect_success 'a socket fngw binds itself is still removed at exit' '
	: >own.log && rm -f other.sock &&
	"$FNGW" serve -c "$T/other.ini" >>own.log 2>&1 &
	GATEWAY_PID=$! && track_pid $GATEWAY_PID &&
	wait_for "socket_accepts $T/other.sock" 10 &&
	! grep -q "manager passed" own.log &&
	stop_gateway && [ "$GATEWAY_EXIT" = 0 ] && [ ! -e other.sock ]
'

test_expect_success 'a passed TCP socket is served, and named as listen would' '
	port=$(free_port) && : >tcp.log &&
	activate tcp.log -l "127.0.0.1:$port" &&
	wait_for "\"$FCGIRAW\" -t 1 -s 127.0.0.1:$port close >/dev/null 2>&1" 10 &&
	env -i REQUEST_METHOD=GET REQUEST_URI=/hello/Tcp SERVER_NAME=localhost \
	    SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 \
	    cgi-fcgi -bind -connect "127.0.0.1:$port" >out &&
	resp_body out | grep -qx "Hello, Tcp!" &&
	grep -q "manager passed: fd=3 127.0.0.1:$port\"\$" tcp.log &&
	stop_gateway && [ "$GATEWAY_EXIT" = 0 ]
'

test_expect_success 'of several sockets, the one named fngw; the others are closed' '
	: >two.log && rm -f a.sock b.sock &&
	activate two.log -l "$T/a.sock" -l "$T/b.sock" --fdname=other:fngw &&
	wait_for "[ -S b.sock ]" 10 &&
	wait_for "socket_accepts $T/b.sock" 10 &&
	wait_for "grep -q \"fd=4 unix:$T/b.sock\" two.log" 10 &&
	"$FCGIRAW" -s "$T/b.sock" "begin 1" "cgi 1 GET /hello/B" "stdin 1" \
	    readall >out && grep -q "Hello, B!" out &&
	! socket_accepts "$T/a.sock" &&
	stop_gateway && [ "$GATEWAY_EXIT" = 0 ]
'

test_expect_success 'several sockets and none named fngw: exit 2, and why' '
	: >noname.log && rm -f a.sock b.sock &&
	activate noname.log -l "$T/a.sock" -l "$T/b.sock" --fdname=x:y &&
	wait_for "[ -S a.sock ]" 10 &&
	"$FCGIRAW" -t 1 -s "$T/a.sock" close >/dev/null 2>&1;
	wait_for "! pid_alive $GATEWAY_PID" 10 &&
	{ wait $GATEWAY_PID; rc=$?; GATEWAY_PID=; [ $rc = 2 ]; } &&
	grep -q "LISTEN_FDS=2: several sockets and none named .*fngw.* in LISTEN_FDNAMES=x:y" noname.log
'

test_expect_success 'fd 3 that is not a listening stream socket: exit 2, and why' '
	for kind in file dgram unlistened; do
		: >bad.log &&
		with_fd3 $kind "$FNGW" serve -c "$T/other.ini" >bad.log 2>&1
		rc=$?
		say "$kind: exit $rc: $(cat bad.log)"
		[ $rc = 2 ] || return 1
	done &&
	with_fd3 file "$FNGW" serve -c "$T/other.ini" 2>&1 |
	    grep -q "socket passed as fd 3 (LISTEN_FDS): not a socket" &&
	with_fd3 dgram "$FNGW" serve -c "$T/other.ini" 2>&1 |
	    grep -q "not a stream socket" &&
	with_fd3 unlistened "$FNGW" serve -c "$T/other.ini" 2>&1 |
	    grep -q "not listening" &&
	[ ! -e other.sock ]
'

test_expect_success 'LISTEN_FDS that is not a number: exit 2, and why' '
	sh -c "LISTEN_PID=\$\$ LISTEN_FDS=two exec \"$FNGW\" serve -c \"$T/other.ini\"" \
	    >bad.log 2>&1;
	rc=$? && say "exit $rc: $(cat bad.log)" && [ $rc = 2 ] &&
	grep -q "LISTEN_FDS=two: not a number" bad.log
'

test_expect_success 'fngw check is unaffected by LISTEN_*' '
	sh -c "LISTEN_PID=\$\$ LISTEN_FDS=two exec \"$FNGW\" check -c \"$T/other.ini\"" \
	    >check.out 2>&1 && grep -q "configuration OK" check.out
'

# LISTEN_PID names the process the manager started; a child that
# inherited the variables (a shell script that runs fngw without exec)
# must not take descriptors that were never its own.
test_expect_success 'LISTEN_PID of another process: ignored, listen is bound' '
	: >other.log && rm -f other.sock &&
	perl "$T/fd3.pl" file env LISTEN_PID=1 "$FNGW" serve -c "$T/other.ini" \
	    >>other.log 2>&1 &
	GATEWAY_PID=$! && track_pid $GATEWAY_PID &&
	wait_for "socket_accepts $T/other.sock" 10 &&
	! grep -q "manager passed" other.log &&
	"$FCGIRAW" -s "$T/other.sock" "begin 1" "cgi 1 GET /env" "stdin 1" \
	    readall >out && grep -q "^FN_NAME=env" out && ! grep -q LISTEN_ out &&
	stop_gateway && [ "$GATEWAY_EXIT" = 0 ]
'

test_expect_success 'LISTEN_FDS=0: nothing passed, listen is bound' '
	: >zero.log && rm -f other.sock &&
	sh -c "LISTEN_PID=\$\$ LISTEN_FDS=0 exec \"$FNGW\" serve -c \"$T/other.ini\"" \
	    >>zero.log 2>&1 &
	GATEWAY_PID=$! && track_pid $GATEWAY_PID &&
	wait_for "socket_accepts $T/other.sock" 10 &&
	stop_gateway && [ "$GATEWAY_EXIT" = 0 ]
'

test_expect_success 'READY=1 and STOPPING=1 reach an abstract NOTIFY_SOCKET' '
	: >hold.out && : >held.log &&
	"$SDHOLD" -l "$T/held.sock" -N "@fngw-t0550-$$" -- \
	    "$FNGW" serve -c "$T/other.ini" >hold.out 2>held.log &
	hold=$! && track_pid $hold &&
	wait_for "grep -q \"notify pid=[0-9]* READY=1\" hold.out" 10 &&
	pid=$(sed -n "s/^sdhold: started pid=//p" hold.out) &&
	grep -q "notify pid=$pid READY=1" hold.out &&
	"$FCGIRAW" -s "$T/held.sock" "begin 1" "cgi 1 GET /hello/N" "stdin 1" \
	    readall >out && grep -q "Hello, N!" out &&
	kill -TERM $hold &&
	wait_for "! pid_alive $hold" 20 &&
	grep -q "notify pid=$pid STOPPING=1" hold.out &&
	grep -q "exited pid=$pid status=0" hold.out &&
	cat held.log >>fngw.log
'

test_done
