#!/bin/sh
# t0260-hostile-reply.t -- the reply side against a slow or vanishing
# reader (issue 5): a reply over max_output while the client reads
# slowly is cut off inside the body, never followed by a second header
# block; every way a pipe or socket can close under fngw's writes (a
# function that exits without reading its body, a client that hangs up
# mid-reply, a SIGPIPE sent from outside) leaves fngw serving.  The
# malformed header blocks are in t1200-status.t, grandchildren that hold
# stdout or escape with setsid() in t1500-timeout.t.
. "${0%/*}/../lib.sh"

use_handlers hello bigout
start_gateway - <<'INI'
@GATEWAY@
read_timeout = 30s
max_params   = 512k

[fn.hello]
route    = ^/hello$
methods  = GET POST
exec     = @BIN@/hello
max_body = 64m

[fn.bigout]
route      = ^/bigout$
exec       = @BIN@/bigout
max_output = 1m
timeout    = 30s

[fn.flood]
route   = ^/flood$
exec    = @BIN@/bigout
timeout = 30s
INI

still_serves() {
	fcgi_request GET /hello >ss.out && resp_body ss.out | grep -qx "Hello, world!"
}

test_expect_success 'max_output with a slow reader: cut inside the body, no second header block' '
	fcgiraw -o resp "begin 1" "cgi 1 GET /bigout?bytes=10485760" "stdin 1" "sleep 1500" \
		readall >out;
	! grep -qx TIMEOUT out && ! grep -q "^END_REQUEST" out &&
	size=$(wc -c <resp) && say "got $size bytes, then the connection closed" &&
	[ "$size" -gt 0 ] && [ "$size" -le $((1048576 + 4096)) ] &&
	[ "$(grep -ac "^Status:" resp)" = 1 ] && grep -aq "^Status: 200" resp &&
	cgi_split resp && ! grep -aq "bad_gateway\|max_output" resp.body &&
	[ "$(tr -d "0-9A-Za-z\n-" <resp.body | wc -c)" = 0 ] &&
	wait_for "[ \"\$(db \"select outcome from invocations where function = '"'"'bigout'"'"'\")\" = limit ]" 10 &&
	still_serves
'

test_expect_success 'a function that exits without reading 32 MiB of body: fngw lives on' '
	head -c 33554432 /dev/zero >big &&
	fcgiraw -o resp "begin 1" "cgi 1 POST /hello CONTENT_LENGTH=33554432" \
		"stdin-file 1 big" "stdin 1" readall >out;
	pid_alive $GATEWAY_PID && ! grep -qx TIMEOUT out && still_serves
'

test_expect_success 'a client that hangs up mid-reply: fngw lives on, the row says aborted' '
	fcgiraw "begin 1" "cgi 1 GET /flood?bytes=104857600" "stdin 1" "readn 4" close >out;
	pid_alive $GATEWAY_PID &&
	wait_for "[ \"\$(db \"select outcome from invocations where function = '"'"'flood'"'"'\")\" = aborted ]" 10 &&
	wait_for "no_fn_procs bigout" 10 && still_serves
'

# Clients that send a whole request and hang up at once: fngw reads it
# and refuses it (404, 405, 431) to a peer that is gone.  (A failed write
# closes the connection only on the loop's next turn, never under the
# code still refusing the request: front.c's conn_break().)
test_expect_success 'a client gone before its refusal is written: fngw lives on' '
	for i in 1 2 3 4 5 6 7 8 9 10; do
		fcgiraw "begin 1" "cgi 1 GET /nothing-here" "stdin 1" close >/dev/null
		fcgiraw "begin 1" "cgi 1 PATCH /hello" "stdin 1" close >/dev/null
		fcgiraw "begin 1" "cgi 1 GET /hello BIG@600000" "stdin 1" close >/dev/null
	done
	pid_alive $GATEWAY_PID && still_serves
'

test_expect_success 'SIGPIPE from outside does not kill fngw' '
	kill -PIPE $GATEWAY_PID && still_serves && pid_alive $GATEWAY_PID
'

test_expect_success 'fngw has no zombie child' '
	wait_for "[ -z \"\$(zombies_of $GATEWAY_PID)\" ]" 5
'

test_done
