#!/bin/sh
# t0200-protocol.t -- the FastCGI record layer against a hostile client
# (tests/tools/fcgiraw.c): management records, roles, multiplexing,
# framing, malformed params, limits, CONTENT_LENGTH, FCGI_KEEP_CONN.
. "${0%/*}/../lib.sh"

use_handlers hello echo sleep
start_gateway basic.ini

# still_serves: fngw still answers a plain request.
still_serves() {
	fcgi_request GET /hello >ss.out && resp_body ss.out | grep -qx "Hello, world!"
}

test_expect_success 'FCGI_GET_VALUES: FCGI_MPXS_CONNS is 0' '
	fcgiraw "getvalues FCGI_MPXS_CONNS FCGI_MAX_CONNS FCGI_MAX_REQS" "readn 1" >out &&
	grep -qx "GET_VALUES_RESULT FCGI_MPXS_CONNS=0" out
'

test_expect_success 'an unknown management type gets FCGI_UNKNOWN_TYPE' '
	fcgiraw "record 42 0" "readn 1" >out && grep -qx "UNKNOWN_TYPE 42" out
'

test_expect_success 'role AUTHORIZER gets FCGI_UNKNOWN_ROLE' '
	fcgiraw "begin 1 2 0" "read" >out &&
	grep -q "^END_REQUEST 1 app=[0-9]* proto=3$" out && still_serves
'

test_expect_success 'a second BEGIN on a busy connection gets FCGI_CANT_MPX_CONN' '
	fcgiraw "begin 1" "cgi 1 GET /sleep?ms=300" "stdin 1" "begin 2" readall >out &&
	grep -q "^END_REQUEST 2 app=[0-9]* proto=1$" out &&
	grep -q "^END_REQUEST 1 app=0 proto=0$" out && grep -q "^slept 300 ms" out
'

test_expect_success 'a record of version 2 closes the connection' '
	fcgiraw "raw 02 01 00 01 00 08 00 00 00 01 00 00 00 00 00 00" readall >out &&
	grep -qx EOF out && ! grep -q "^END_REQUEST" out && still_serves
'

test_expect_success 'BEGIN_REQUEST with request id 0 closes the connection' '
	fcgiraw "begin 0" readall >out &&
	grep -qx EOF out && ! grep -q "^STDOUT" out && still_serves
'

test_expect_success 'one byte per write, and padding on every record' '
	fcgiraw "bytewise 100" "pad 7" "begin 1" "cgi 1 GET /hello/Bo" "stdin 1" read >out &&
	grep -qx "Hello, Bo!" out && grep -qx "END_REQUEST 1 app=0 proto=0" out
'

test_expect_success 'params in one-byte records' '
	fcgiraw "begin 1" \
		"params-chunk 1 1 LONG_NAME_OF_A_PARAM@300 REQUEST_METHOD=GET DOCUMENT_URI=/hello/Cy REQUEST_URI=/hello/Cy QUERY_STRING= SERVER_PROTOCOL=HTTP/1.1" \
		"params 1" "stdin 1" read >out &&
	grep -qx "Hello, Cy!" out
'

# The first pair has 4-byte lengths (value of 300 bytes): cut the params
# into two records at every byte of its header and name, and at some
# bytes of the pairs after it.
test_expect_success 'params cut across two records at every byte of a pair' '
	fails=0 &&
	for pos in 1 2 3 4 5 6 7 8 9 10 11 12 13 300 311 312 313 314 320 330; do
		fcgiraw "begin 1" \
		    "params-at 1 $pos XNAME@300 REQUEST_METHOD=GET DOCUMENT_URI=/hello/Di REQUEST_URI=/hello/Di QUERY_STRING=" \
		    "params 1" "stdin 1" read >out.$pos &&
		grep -qx "Hello, Di!" out.$pos || { say "cut at $pos failed"; fails=1; }
	done &&
	[ $fails = 0 ]
'

test_expect_success 'a pair whose length runs past the end of params: error or close, then serving goes on' '
	fcgiraw "begin 1" "params-raw 1 05 0a 41 42 43" "params 1" "stdin 1" readall >out;
	! grep -qx TIMEOUT out && ! grep -q "^Status: 200" out &&
	{ grep -q "^Status: 4" out || grep -qx EOF out; } && still_serves
'

test_expect_success 'a 0x7fffffff name length: error or close, then serving goes on' '
	fcgiraw "begin 1" "params-raw 1 ff ff ff ff 01 41 42" "params 1" "stdin 1" readall >out;
	! grep -qx TIMEOUT out && ! grep -q "^Status: 200" out && still_serves &&
	fcgiraw "begin 1" "params-raw 1 01 ff ff ff ff 41 42" "params 1" "stdin 1" readall >out;
	! grep -qx TIMEOUT out && ! grep -q "^Status: 200" out && still_serves
'

test_expect_success 'params over max_params (4k) get 431 params_too_large' '
	fcgiraw -o resp "begin 1" "cgi 1 GET /hello BIG@5000" "stdin 1" readall >out &&
	grep -q "^Status: 431" out && cgi_split resp &&
	json_error resp.body params_too_large resp.head && still_serves
'

# A function that reads its body before it answers (sleep; echo writes
# its headers first): once a reply has begun, a short body can only cut
# it off, and which comes first would be a race (seen in CI).
test_expect_success 'CONTENT_LENGTH=10 with 5 bytes of stdin: 400' '
	fcgiraw -o resp "begin 1" "cgi 1 POST /sleep?ms=1 CONTENT_LENGTH=10" "stdin 1 12345" "stdin 1" readall >out &&
	grep -q "^Status: 400" out && cgi_split resp && json_error resp.body bad_request resp.head
'

test_expect_success 'more stdin than CONTENT_LENGTH: 400' '
	fcgiraw "begin 1" "cgi 1 POST /sleep?ms=1 CONTENT_LENGTH=3" "stdin 1 123456" "stdin 1" readall >out &&
	grep -q "^Status: 400" out && still_serves
'

test_expect_success 'FCGI_KEEP_CONN: two requests in sequence on one connection' '
	fcgiraw "begin 1 1 1" "cgi 1 GET /hello/One" "stdin 1" read \
		"begin 2 1 1" "cgi 2 GET /hello/Two" "stdin 2" read >out &&
	grep -qx "Hello, One!" out && grep -qx "Hello, Two!" out &&
	grep -qx "END_REQUEST 1 app=0 proto=0" out &&
	grep -qx "END_REQUEST 2 app=0 proto=0" out
'

test_expect_success 'without FCGI_KEEP_CONN fngw closes after the request' '
	fcgiraw "begin 1" "cgi 1 GET /hello" "stdin 1" readall >out &&
	grep -qx "END_REQUEST 1 app=0 proto=0" out && tail -n 1 out | grep -qx EOF
'

test_expect_success 'garbage bytes do not stop fngw' '
	head -c 4096 /dev/urandom | od -An -tx1 | tr -d "\n" >junk &&
	fcgiraw "raw $(cat junk)" readall >out; still_serves
'

test_done
