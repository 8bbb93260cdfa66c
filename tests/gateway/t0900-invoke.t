#!/bin/sh
# t0900-invoke.t -- fngw invoke: one request from the command line
# through the same router, executors and ledger as fngw serve, with no
# web server; the CGI response on stdout, the row with trigger 'cli'.
. "${0%/*}/../lib.sh"

use_handlers hello echo env crash sleep status counter_fcgi
write_config - <<'INI' || test_fatal "cannot write the config"
@GATEWAY@
[fn.hello]
route   = ^/hello(?:/(?<name>[^/]+))?$
methods = GET HEAD POST
exec    = @BIN@/hello
timeout = 5s

[fn.echo]
route    = ^/echo(?<path_info>/.*)?$
exec     = @BIN@/echo
timeout  = 10s
max_body = 10m

[fn.env]
route = ^/env$
exec  = @BIN@/env

[fn.crash]
route = ^/crash$
exec  = @BIN@/crash

[fn.sleep]
route   = ^/sleep$
exec    = @BIN@/sleep
timeout = 700ms

[fn.nap]
route   = ^/nap$
exec    = @BIN@/sleep
timeout = 60s

[fn.status]
route = ^/status$
exec  = @BIN@/status

[fn.counter]
route = ^/counter$
exec  = @BIN@/counter_fcgi
mode  = fastcgi
min_instances = 1
INI

# Private runtime folders go here, where the test can see them.
TMPDIR=$T/tmp
export TMPDIR
mkdir -p "$TMPDIR"

# invoke ARGS...: fngw invoke on this test's config.  The response goes
# to ./out (and ./out.head, ./out.body), stderr to ./err and to fngw.log
# (which test_done scans for sanitizer reports), the exit status to $rc.
invoke() {
	"$FNGW" invoke -c "$T/fngw.ini" "$@" >out 2>err
	rc=$?
	cat err >>"$T/fngw.log"
	cgi_split out
	return 0
}

# exits N CMD...: CMD exits with status N.
exits() {
	ex_want=$1
	shift
	"$@"
	ex_got=$?
	[ "$ex_got" = "$ex_want" ] ||
	    { say "exit $ex_got, want $ex_want: $*"; return 1; }
}

# row RID COLUMNS: columns of the usage row of request RID.
row() { db "select $2 from invocations where request_id = '$1'"; }

test_expect_success 'GET /hello prints the CGI response and exits 0' '
	invoke /hello && [ "$rc" = 0 ] &&
	[ "$(head -n 1 out)" = "$(printf "Status: 200 OK\r")" ] &&
	[ "$(cgi_status out)" = 200 ] &&
	hdr out Content-Type | grep -qx text/plain &&
	valid_request_id "$(hdr out X-Request-Id)" &&
	grep -qx "Hello, world!" out.body && [ "$(wc -l <out.body)" -eq 1 ] &&
	grep -q "fn=hello status=200 outcome=ok" err
'

test_expect_success 'its usage row: trigger cli, function, method, path, status' '
	rid=$(hdr out X-Request-Id) &&
	[ "$(row "$rid" "function, trigger, method, path, status, outcome, node")" = \
	    "hello|cli|GET|/hello|200|ok|test" ] &&
	[ "$(row "$rid" "duration_us > 0 and billed_ms >= 1")" = 1 ]
'

test_expect_success 'a route capture becomes FN_PARAM_NAME' '
	invoke /hello/Ada && [ "$rc" = 0 ] && grep -qx "Hello, Ada!" out.body
'

test_expect_success '-H headers reach the function as HTTP_*, as nginx sends them' '
	invoke -H "X-Foo: bar baz " -H "x-multi-part-name:v" -H "Proxy: evil" /env &&
	[ "$rc" = 0 ] && b=out.body &&
	grep -qx "HTTP_X_FOO=bar baz" $b &&
	grep -qx "HTTP_X_MULTI_PART_NAME=v" $b &&
	! grep -q "^HTTP_PROXY=" $b &&
	grep -qx HTTP_HOST=localhost $b &&
	grep -qx FN_TRIGGER=cli $b && grep -qx FN_NAME=env $b &&
	grep -qx "FN_REQUEST_ID=$(hdr out X-Request-Id)" $b &&
	grep -qx GATEWAY_INTERFACE=CGI/1.1 $b && grep -qx REQUEST_METHOD=GET $b &&
	grep -qx REQUEST_URI=/env $b && grep -qx SCRIPT_NAME=/env $b &&
	grep -qx QUERY_STRING= $b && grep -qx REMOTE_ADDR=127.0.0.1 $b &&
	grep -qx SERVER_NAME=localhost $b && grep -qx SERVER_PORT=80 $b &&
	grep -qx SERVER_PROTOCOL=HTTP/1.1 $b && grep -qx CONTENT_TYPE= $b
'

test_expect_success '-H Host replaces localhost; Content-Type is CONTENT_TYPE too' '
	invoke -H "Host: example.com" -H "Content-Type: application/json" \
	    -d "{}" /env && [ "$rc" = 0 ] &&
	grep -qx HTTP_HOST=example.com out.body &&
	[ "$(grep -c ^HTTP_HOST= out.body)" = 1 ] &&
	grep -qx CONTENT_TYPE=application/json out.body &&
	grep -qx HTTP_CONTENT_TYPE=application/json out.body &&
	grep -qx CONTENT_LENGTH=2 out.body && grep -qx REQUEST_METHOD=POST out.body
'

test_expect_success '-d BODY reaches the function; the method becomes POST' '
	invoke -d "some body" /echo && [ "$rc" = 0 ] &&
	grep -qx method=POST out.body && grep -qx "body=some body" out.body &&
	grep -qx content_length=9 out.body && grep -qx content_type= out.body &&
	[ "$(row "$(hdr out X-Request-Id)" "method, bytes_in, trigger")" = "POST|9|cli" ]
'

test_expect_success '-X sets the method, also with a body' '
	invoke -X PUT -d x /echo && [ "$rc" = 0 ] &&
	grep -qx method=PUT out.body && grep -qx body=x out.body &&
	invoke -X DELETE /hello && [ "$(cgi_status out)" = 405 ] && [ "$rc" = 3 ] &&
	hdr out Allow | grep -q GET
'

test_expect_success '-d @FILE sends the file, -d @- stdin, byte for byte' '
	printf "from a file\n" >small &&
	invoke -d @small /echo && [ "$rc" = 0 ] &&
	grep -qx "body=from a file" out.body && grep -qx content_length=12 out.body &&
	head -c 3000000 /dev/urandom >big &&
	invoke -d @big "/echo?raw=1" && [ "$rc" = 0 ] && cmp out.body big &&
	"$FNGW" invoke -c "$T/fngw.ini" -d @- "/echo?raw=1" <big >out 2>>"$T/fngw.log" &&
	cgi_split out && cmp out.body big
'

test_expect_success 'the query string, PATH_INFO and a percent-encoded path' '
	invoke "/echo/a/b?x=1&y=two#frag" && [ "$rc" = 0 ] &&
	grep -qx "query=x=1&y=two" out.body && grep -qx script_name=/echo out.body &&
	grep -qx path_info=/a/b out.body &&
	grep -qx "request_uri=/echo/a/b?x=1&y=two" out.body &&
	invoke "/h%65llo/A%64a" && grep -qx "Hello, Ada!" out.body &&
	[ "$(row "$(hdr out X-Request-Id)" path)" = /hello/Ada ]
'

test_expect_success 'an unknown path: 404 JSON not_found, exit 3, no row' '
	invoke /nowhere && [ "$rc" = 3 ] && [ "$(cgi_status out)" = 404 ] &&
	json_error out.body not_found out.head &&
	[ "$(row "$(hdr out X-Request-Id)" "count(*)")" = 0 ]
'

test_expect_success 'a crashing function: 502, exit 3, and its row' '
	invoke /crash && [ "$rc" = 3 ] && [ "$(cgi_status out)" = 502 ] &&
	json_error out.body bad_gateway out.head &&
	[ "$(row "$(hdr out X-Request-Id)" "function, trigger, status, outcome, signal")" = \
	    "crash|cli|502|crash|11" ]
'

test_expect_success 'the exit status follows the outcome, not the status code' '
	invoke "/status?code=404" && [ "$rc" = 0 ] && [ "$(cgi_status out)" = 404 ] &&
	invoke "/status?code=503" && [ "$rc" = 3 ] && [ "$(cgi_status out)" = 503 ] &&
	[ "$(row "$(hdr out X-Request-Id)" outcome)" = error ]
'

test_expect_success 'past its timeout: 504, exit 3, nothing left running' '
	invoke "/sleep?ms=20000" && [ "$rc" = 3 ] && [ "$(cgi_status out)" = 504 ] &&
	[ "$(row "$(hdr out X-Request-Id)" "outcome, trigger")" = "timeout|cli" ] &&
	no_fn_procs sleep
'

test_expect_success 'a fastcgi-mode function works and leaves no process behind' '
	invoke /counter && [ "$rc" = 0 ] && [ "$(cgi_status out)" = 200 ] &&
	grep -qx count=1 out.body &&
	pid=$(sed -n "s/^pid=//p" out.body) && [ -n "$pid" ] &&
	! pid_alive "$pid" && no_fn_procs counter_fcgi &&
	[ "$(row "$(hdr out X-Request-Id)" "function, trigger, cold_start, outcome")" = \
	    "counter|cli|1|ok" ] &&
	! ls "$T"/*.sock >/dev/null 2>&1 && [ -z "$(ls "$TMPDIR")" ]
'

# (SIGTERM: sh starts background jobs with SIGINT ignored.)
test_expect_success 'SIGTERM aborts the function; its row says aborted' '
	"$FNGW" invoke -c "$T/fngw.ini" "/nap?ms=30000" >out 2>err &
	ipid=$! && track_pid $ipid &&
	wait_for "[ \"\$(count_fn_procs sleep)\" -gt 0 ]" &&
	ls -d "$TMPDIR"/fngw-invoke.* | grep -q . &&
	kill -TERM $ipid && exits 3 wait $ipid && cat err >>"$T/fngw.log" &&
	no_fn_procs sleep && [ -z "$(ls "$TMPDIR")" ] &&
	rid=$(sed -n "s/.*aborted.*request_id=\([0-9a-f]*\).*/\1/p" err | head -n 1) &&
	[ -n "$rid" ] && [ "$(row "$rid" "outcome, trigger")" = "aborted|cli" ]
'

test_expect_success 'a closed stdout aborts the request instead of hanging' '
	{ "$FNGW" invoke -c "$T/fngw.ini" -d @big "/echo?raw=1" 2>err; echo $? >rc; } |
	    head -c 10 >/dev/null &&
	cat err >>"$T/fngw.log" && [ "$(cat rc)" = 3 ] && no_fn_procs echo &&
	grep -q "stdout: Broken pipe" err
'

test_expect_success 'a bad config: exit 1 and the message of fngw check' '
	cp fngw.ini bad.ini && printf "[fn.bad]\nroute = ^/bad(\nexec = %s\n" \
	    "$T/bin/hello" >>bad.ini &&
	exits 1 "$FNGW" check -c bad.ini >/dev/null 2>check.err &&
	exits 1 "$FNGW" invoke -c bad.ini /hello >out 2>err &&
	[ -s err ] && cmp err check.err && [ ! -s out ]
'

test_expect_success 'usage errors: exit 1 with a clear message, nothing run' '
	for a in "" "/a /b" "-H nocolon /hello" "-H Bad_Name:x /hello" \
	    "-H Content-Length:3 /hello" "-X get /hello" "hello" "-d @nonexistent /echo" \
	    "-d a -d b /echo"; do
		# shellcheck disable=SC2086
		"$FNGW" invoke -c "$T/fngw.ini" $a >out 2>err; r=$?
		[ "$r" = 1 ] && [ -s err ] && [ ! -s out ] ||
		    { say "invoke $a: exit $r: $(cat err)"; return 1; }
	done &&
	exits 1 "$FNGW" invoke -c "$T/fngw.ini" "/he llo" >out 2>err &&
	grep -q "%XX" err
'

test_expect_success 'invoke beside a serving fngw on the same config' '
	start_gateway &&
	fcgi_request GET /counter >s1 && grep -qx count=1 s1 &&
	spid=$(sed -n "s/^pid=//p" s1) &&
	[ -S "$T/counter.1.sock" ] && ino=$(stat -c %i "$T/counter.1.sock") &&
	invoke /counter && [ "$rc" = 0 ] && grep -qx count=1 out.body &&
	ipid=$(sed -n "s/^pid=//p" out.body) && [ "$ipid" != "$spid" ] &&
	invoke /hello && [ "$rc" = 0 ] &&
	socket_accepts "$T/fngw.sock" &&
	[ "$(stat -c %i "$T/counter.1.sock")" = "$ino" ] &&
	fcgi_request GET /counter >s2 && grep -qx count=2 s2 &&
	grep -qx "pid=$spid" s2 &&
	fcgi_request GET /hello >s3 && [ "$(cgi_status s3)" = 200 ] &&
	pid_alive "$(gateway_pid)"
'

test_expect_success 'both wrote to the one ledger: http rows and cli rows' '
	q="'\''" &&
	db "select trigger, count(*) from invocations
	    where function in (${q}counter$q, ${q}hello$q)
	    group by trigger order by trigger" >by_trigger &&
	printf "cli|7\nhttp|3\n" | diff - by_trigger
'

test_done
