#!/bin/sh
# t0400-abort.t -- FCGI_ABORT_REQUEST, or the web server closing the
# connection, ends the request promptly: the function's process group is
# killed and the usage row says aborted.
. "${0%/*}/../lib.sh"

use_handlers hello echo sleep
start_gateway basic.ini

test_expect_success 'ABORT_REQUEST kills the running function' '
	fcgiraw "begin 1 1 1" "cgi 1 GET /sleep?ms=60000 REQUEST_ID=abort-1" "stdin 1" \
		"wait-file $T/go1" "abort 1" read >out &
	raw=$! && track_pid $raw &&
	wait_for "[ \$(count_fn_procs sleep) -ge 1 ]" 5 &&
	: >go1 &&
	wait_for "no_fn_procs sleep" 5
'

test_expect_success 'ABORT_REQUEST is answered with END_REQUEST' '
	wait_for "! pid_alive $raw" 5 && grep -q "^END_REQUEST 1 " out
'

test_expect_success 'the aborted request has a usage row with outcome aborted' '
	wait_for "[ \"\$(db \"select outcome from invocations where request_id = '"'"'abort-1'"'"'\")\" = aborted ]" 5
'

test_expect_success 'closing the connection mid-request kills the function' '
	fcgiraw "begin 1" "cgi 1 GET /sleep?ms=60000 REQUEST_ID=abort-2" "stdin 1" \
		"wait-file $T/go2" close >/dev/null &
	raw=$! && track_pid $raw &&
	wait_for "[ \$(count_fn_procs sleep) -ge 1 ]" 5 &&
	: >go2 &&
	wait_for "no_fn_procs sleep" 5 &&
	wait_for "[ \"\$(db \"select outcome from invocations where request_id = '"'"'abort-2'"'"'\")\" = aborted ]" 5
'

test_expect_success 'closing while the request waits for its body kills nothing and leaves no process' '
	fcgiraw "begin 1" "cgi 1 POST /sleep?ms=60000 CONTENT_LENGTH=100 REQUEST_ID=abort-3" \
		"stdin 1 12345" "sleep 300" close >/dev/null &&
	wait_for "no_fn_procs sleep" 5
'

test_expect_success 'fngw serves on after the aborts' '
	fcgi_request GET /hello >out && resp_body out | grep -qx "Hello, world!"
'

test_done
