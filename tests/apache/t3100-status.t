#!/bin/sh
# t3100-status.t -- status codes and request bodies through a real
# Apache: the function's own status, fngw's JSON errors (404, 413, 502,
# 504) passed on as they are, small, large, chunked and empty bodies,
# a reply cut off after its headers, connection reuse.
. "${0%/*}/../lib.sh"

use_handlers echo sleep crash status bigout hello
start_gateway - <<'INI'
@GATEWAY@
read_timeout = 3s

[fn.status]
route = ^/status$
exec  = @BIN@/status

[fn.echo]
route    = ^/echo$
exec     = @BIN@/echo
max_body = 1m

[fn.slow]
route   = ^/slow$
exec    = @BIN@/sleep
timeout = 1s

[fn.crash]
route = ^/crash$
exec  = @BIN@/crash

[fn.bigout]
route      = ^/bigout$
exec       = @BIN@/bigout
max_output = 1m

[fn.hello]
route = ^/hello(?:/(?<name>[^/]+))?$
exec  = @BIN@/hello
INI
start_apache

# outcome RID: the usage row's outcome (once it is in).
outcome() {
	db "select outcome from invocations where request_id = '$1'"
}

test_expect_success 'the function'"'"'s Status: is passed on' '
	hcurl "/status?code=201" && [ "$code" = 201 ] &&
	hcurl "/status?code=418" && [ "$code" = 418 ] &&
	hcurl "/status?code=503" && [ "$code" = 503 ] &&
	hdr head Content-Type | grep -q "^text/plain"
'

test_expect_success 'Location: alone gives 302, not an internal redirect' '
	hcurl "/status?location=/hello/Redir" && [ "$code" = 302 ] &&
	[ "$(hdr head Location)" = /hello/Redir ] &&
	! grep -q "Hello, Redir" body
'

test_expect_success 'no route: 404 JSON not_found' '
	hcurl /nope && [ "$code" = 404 ] && json_error body not_found head
'

test_expect_success 'a crash: 502 JSON bad_gateway, outcome crash' '
	hcurl /crash && [ "$code" = 502 ] && json_error body bad_gateway head &&
	rid=$(hdr head X-Request-Id) && [ "$(outcome "$rid")" = crash ]
'

test_expect_success 'past timeout: fngw'"'"'s 504 JSON timeout, the process killed' '
	start=$(now_ms) && hcurl "/slow?ms=5000" && took=$(( $(now_ms) - start )) &&
	say "took $took ms" && [ "$code" = 504 ] && json_error body timeout head &&
	[ $took -lt 4000 ] &&
	rid=$(hdr head X-Request-Id) && [ "$(outcome "$rid")" = timeout ] &&
	wait_for "no_fn_procs sleep" 5
'

# Apache sends neither for a request without a body; nginx sends both
# empty: the function sees 0 and empty behind both.
test_expect_success 'GET: no body, CONTENT_LENGTH=0 and CONTENT_TYPE empty' '
	hcurl /echo && [ "$code" = 200 ] && grep -qx "method=GET" body &&
	grep -qx "content_length=0" body && grep -qx "content_type=" body &&
	grep -qx "body=" body
'

test_expect_success 'a small POST body reaches the function' '
	printf "a=1&b=two words" >small &&
	hcurl /echo --data-binary @small && [ "$code" = 200 ] &&
	grep -qx "method=POST" body && grep -qx "content_length=15" body &&
	grep -qx "content_type=application/x-www-form-urlencoded" body &&
	grep -qx "body=a=1&b=two words" body
'

test_expect_success 'an empty POST' '
	hcurl /echo -X POST -H "Content-Length: 0" && [ "$code" = 200 ] &&
	grep -qx "method=POST" body && grep -qx "content_length=0" body &&
	grep -qx "body=" body
'

test_expect_success 'a 300 KiB body goes through and back unchanged' '
	head -c 307200 /dev/urandom >big &&
	hcurl "/echo?raw=1" --data-binary @big \
	    -H "Content-Type: application/octet-stream" && [ "$code" = 200 ] &&
	cmp big body &&
	rid=$(hdr head X-Request-Id) &&
	[ "$(db "select bytes_in || \" \" || bytes_out from invocations
	    where request_id = '"'"'$rid'"'"'")" = "307200 307200" ]
'

test_expect_success 'a chunked upload (no Content-Length) arrives whole' '
	hcurl "/echo?raw=1" --data-binary @big -H "Transfer-Encoding: chunked" \
	    -H "Content-Type: application/octet-stream" && [ "$code" = 200 ] &&
	cmp big body
'

test_expect_success 'a body over max_body: 413 body_too_large' '
	head -c 1100000 /dev/zero >b1m &&
	hcurl /echo --data-binary @b1m -H "Expect:" && [ "$code" = 413 ] &&
	json_error body body_too_large head &&
	hcurl /echo --data-binary @b1m -H "Expect:" \
	    -H "Transfer-Encoding: chunked" && [ "$code" = 413 ] &&
	json_error body body_too_large head
'

# Without proxy-sendcl Apache streams a chunked body it could not read
# ahead whole without CONTENT_LENGTH: fngw refuses it rather than
# pass a function a body it was not promised.
test_expect_success 'without proxy-sendcl a large chunked body is a 400, not cut short' '
	stop_apache &&
	grep -v proxy-sendcl "$TOP/nginx/apache-fngw.conf" >nocl.conf &&
	APACHE_FNGW_CONF=$T/nocl.conf start_apache &&
	hcurl "/echo?raw=1" --data-binary @big -H "Transfer-Encoding: chunked" &&
	[ "$code" = 400 ] && json_error body bad_request head &&
	hcurl "/echo?raw=1" --data-binary @big && [ "$code" = 200 ] &&
	cmp big body &&
	stop_apache && start_apache
'

test_expect_success 'a large reply streams through whole' '
	hcurl "/bigout?bytes=900000" && [ "$code" = 200 ] &&
	[ "$(wc -c <body)" -eq 900000 ]
'

# fngw closes the FastCGI connection without FCGI_END_REQUEST; Apache
# must not end the client's response as if it were complete.
test_expect_success 'output over max_output: 502, or cut off once headers went out' '
	hcurl "/bigout?bytes=10485760"; rc=$curl_rc;
	size=$(wc -c <body) && say "curl rc=$rc code=$code size=$size" &&
	if [ "$code" = 502 ]; then
		json_error body bad_gateway head
	else
		[ "$rc" -ne 0 ] && [ "$size" -lt 10485760 ]
	fi
'

# fngw_sockets: the inodes of fngw's open sockets, one a line (its
# listening socket and the FastCGI connections from Apache).
fngw_sockets() {
	for fd in /proc/$GATEWAY_PID/fd/*; do
		readlink "$fd" 2>/dev/null
	done | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | sort
}

# With reuse, a connection open after the first request is still open
# five requests later; without it, each request has a new one.
test_expect_success 'enablereuse=on: connections to fngw are kept and reused' '
	hcurl /hello/R0 && [ "$code" = 200 ] && fngw_sockets >s1 &&
	for i in 1 2 3 4 5; do
		hcurl /hello/R$i && [ "$code" = 200 ] || return 1
	done &&
	fngw_sockets >s2 && kept=$(comm -12 s1 s2 | wc -l) &&
	say "sockets after 1 request: $(wc -l <s1), after 6: $(wc -l <s2)," \
	    "kept: $kept" &&
	[ "$kept" -ge 2 ] && [ "$(wc -l <s2)" -le 5 ]
'

# fngw closes a connection idle past read_timeout (3s here); the next
# request must still be served, on a new one.
test_expect_success 'a connection fngw closed while idle is not a failed request' '
	hcurl /hello/I1 && [ "$code" = 200 ] &&
	wait_for "[ \$(fngw_sockets | wc -l) -eq 1 ]" 10 &&
	for i in 2 3 4; do
		hcurl /hello/I$i && [ "$code" = 200 ] || return 1
	done
'

test_done
