#!/bin/sh
# t0700-warm-proto.t -- fngw as a FastCGI client of warm instances that
# get the protocol wrong (handlers/badproto_fcgi): each is a 502 with a
# JSON error (or a reply cut off once its headers went out), never a
# crash or a hang, and the gateway goes on serving.
. "${0%/*}/../lib.sh"

use_handlers badproto_fcgi counter_fcgi
ini=$T/proto.ini
{
	echo "@GATEWAY@"
	for how in version id type bighead noend overload hangup ok; do
		printf '[fn.%s]\nroute = ^/%s$\nexec = @BIN@/badproto_fcgi\n' \
		    "$how" "$how"
		printf 'args = %s\nmode = fastcgi\ntimeout = 5s\n' "$how"
	done
	printf '[fn.counter]\nroute = ^/counter$\n'
	printf 'exec = @BIN@/counter_fcgi\nmode = fastcgi\n'
	# The one instance started with the gateway: kept.1.sock.
	printf '[fn.kept]\nroute = ^/kept$\nexec = @BIN@/counter_fcgi\n'
	printf 'mode = fastcgi\nmin_instances = 1\n'
	# Does a request wait in the socket when the probe is read?
	printf '[fn.ahead]\nroute = ^/ahead$\nexec = @BIN@/badproto_fcgi\n'
	printf 'args = ahead\nmode = fastcgi\n'
	printf '[fn.aheadkept]\nroute = ^/aheadkept$\n'
	printf 'exec = @BIN@/badproto_fcgi\nargs = ahead\nmode = fastcgi\n'
	printf 'min_instances = 1\n'
} >"$ini"
# What a killed fngw leaves: a file at the path of that socket.
: >"$T/kept.1.sock"
start_gateway "$ini"

# bad_reply HOW: a 502 bad_gateway JSON error from /HOW.
bad_reply() {
	t0=$(now_ms)
	fcgi_request GET "/$1" >out && [ "$(cgi_status out)" = 502 ] &&
	cgi_split out && json_error out.body bad_gateway out.head &&
	say "$1: $(json_get out.body message) in $(( $(now_ms) - t0 )) ms"
}

test_expect_success 'a record of FastCGI version 2: 502' 'bad_reply version'
test_expect_success 'a reply under another request id: 502' 'bad_reply id'
test_expect_success 'a record type a server never sends: 502' 'bad_reply type'
test_expect_success 'a header block over 64 KiB: 502' 'bad_reply bighead'
test_expect_success 'END_REQUEST with FCGI_OVERLOADED: 502' 'bad_reply overload'
test_expect_success 'an instance that hangs up unanswered, twice: 502' '
	bad_reply hangup &&
	grep -q "fn=hangup.*sending the request again" "$T/fngw.log"
'

test_expect_success 'a reply cut off after its headers: cut, not ended as whole' '
	fcgi_request GET /noend >out 2>err; rc=$?;
	say "cgi-fcgi exit $rc" &&
	grep -q "fn=noend.*response cut off" "$T/fngw.log" &&
	wait_for "grep -q \"fn=noend status=200 outcome=error\" \"$T/fngw.log\"" 5
'

test_expect_success 'an instance that breaks the protocol is stopped, not reused' '
	wait_for "grep -q \"fn=version.*stopping the instance: it broke the FastCGI protocol\" \"$T/fngw.log\"" 5 &&
	grep -q "fn=id.*broke the FastCGI protocol" "$T/fngw.log"
'

test_expect_success 'a well-behaved raw instance keeps its connection' '
	for i in 1 2 3; do
		fcgi_request GET /ok >out && [ "$(cgi_status out)" = 200 ] &&
		resp_body out | grep -qx ok || return 1
	done &&
	[ "$(count_fn_procs badproto_fcgi)" -ge 1 ]
'

test_expect_success 'and the gateway goes on serving' '
	fcgi_request GET /counter >out && [ "$(cgi_status out)" = 200 ]
'

test_expect_success 'an instance socket: made over a file left at its path, 0600, the user'"'"'s' '
	fcgi_request GET /kept >out && [ "$(cgi_status out)" = 200 ] &&
	[ -S "$T/kept.1.sock" ] &&
	say "$(ls -l "$T/kept.1.sock")" &&
	[ "$(stat -c %a "$T/kept.1.sock")" = 600 ] &&
	if [ "$(id -u)" = 0 ]; then
		[ "$(stat -c %U "$T/kept.1.sock")" = "$FN_USER" ]
	fi
'

test_expect_success 'a cold start'"'"'s request waits in the socket, behind the probe' '
	fcgi_request GET /ahead >out && [ "$(cgi_status out)" = 200 ] &&
	resp_body out | grep -qx "ahead=1"
'

test_expect_success 'one started with nothing waiting found none (the check holds)' '
	fcgi_request GET /aheadkept >out && [ "$(cgi_status out)" = 200 ] &&
	resp_body out | grep -qx "ahead=0"
'

test_expect_success 'every request has its usage row, none lost' '
	wait_for "[ \$(db \"select count(*) from invocations\") -eq 14 ]" 5 &&
	[ "$(db "select count(*) from invocations where status = 502")" -eq 6 ]
'

test_expect_success 'SIGTERM leaves no instance and no socket behind' '
	stop_gateway && [ "$GATEWAY_EXIT" = 0 ] && wait_for no_fn_procs 5 &&
	[ -z "$(ls "$T"/*.*.sock 2>/dev/null)" ]
'

test_done
