#!/bin/sh
# t0300-hold.t -- slow and silent clients hold nothing but a small struct:
# others are served meanwhile, and read_timeout (1s here) closes them.
. "${0%/*}/../lib.sh"

use_handlers hello echo sleep
start_gateway basic.ini

test_expect_success 'half a BEGIN_REQUEST does not block other requests' '
	for i in 1 2 3 4 5 6 7 8; do
		fcgiraw "raw 01 01 00" readall >held.$i 2>&1 &
		track_pid $!
	done &&
	fcgi_request GET /hello >out && resp_body out | grep -qx "Hello, world!" &&
	fcgi_request GET /hello/Eve >out && resp_body out | grep -qx "Hello, Eve!"
'

test_expect_success 'the half-BEGIN clients are closed after read_timeout' '
	wait_for "[ \$(cat held.* | grep -cx EOF) -eq 8 ]" 6
'

test_expect_success 'a client that sends nothing is closed after read_timeout (1s)' '
	start=$(now_ms) &&
	RAW_TIMEOUT=8 fcgiraw readall >out && grep -qx EOF out &&
	took=$(( $(now_ms) - start )) && say "closed after $took ms" &&
	[ $took -ge 800 ] && [ $took -lt 5000 ]
'

test_expect_success 'a client that stops between params and stdin is closed too' '
	start=$(now_ms) &&
	RAW_TIMEOUT=8 fcgiraw "begin 1" "cgi 1 POST /echo CONTENT_LENGTH=5" "stdin 1 ab" readall >out &&
	grep -qx EOF out && [ $(( $(now_ms) - start )) -lt 5000 ] &&
	wait_for "no_fn_procs echo" 5
'

test_expect_success 'a client that never reads its response does not block others' '
	fcgiraw "begin 1" "cgi 1 GET /hello" "stdin 1" "sleep 3000" >/dev/null &
	track_pid $! &&
	fcgi_request GET /hello >out && resp_body out | grep -qx "Hello, world!"
'

test_done
