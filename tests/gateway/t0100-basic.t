#!/bin/sh
# t0100-basic.t -- requests through fngw with cgi-fcgi, no web server.
. "${0%/*}/../lib.sh"

use_handlers hello echo sleep
start_gateway basic.ini

test_expect_success 'GET /hello answers 200 Hello, world!' '
	fcgi_request GET /hello >out &&
	[ "$(cgi_status out)" = 200 ] &&
	resp_body out | grep -qx "Hello, world!"
'

test_expect_success 'every response carries a valid X-Request-Id' '
	rid=$(hdr out X-Request-Id) && valid_request_id "$rid"
'

test_expect_success 'the route capture becomes FN_PARAM_NAME' '
	fcgi_request GET /hello/Ada >out &&
	resp_body out | grep -qx "Hello, Ada!"
'

test_expect_success 'a POST body reaches the function' '
	printf "some body" | fcgi_request POST /echo >out &&
	[ "$(cgi_status out)" = 200 ] &&
	resp_body out >b && grep -qx "method=POST" b && grep -qx "body=some body" b &&
	grep -qx "content_length=9" b
'

test_expect_success 'a valid REQUEST_ID param becomes the request id' '
	fcgi_request GET /hello "" REQUEST_ID=nginx-1.2_3 >out &&
	[ "$(hdr out X-Request-Id)" = nginx-1.2_3 ]
'

test_expect_success 'an invalid REQUEST_ID param is ignored' '
	fcgi_request GET /hello "" "REQUEST_ID=bad id!" >out &&
	rid=$(hdr out X-Request-Id) && valid_request_id "$rid" &&
	[ "$rid" != "bad id!" ] &&
	long=$(printf "%065d" 7) &&
	fcgi_request GET /hello "" REQUEST_ID=$long >out &&
	rid=$(hdr out X-Request-Id) && valid_request_id "$rid" && [ "$rid" != "$long" ]
'

test_expect_success 'no route: 404 JSON not_found' '
	fcgi_request GET /nowhere >out && [ "$(cgi_status out)" = 404 ] &&
	cgi_split out && json_error out.body not_found out.head
'

test_expect_success 'without DOCUMENT_URI the path of REQUEST_URI is used, decoded' '
	fcgi_request GET /x "" -DOCUMENT_URI REQUEST_URI=/h%65llo/A%64a?x=1 >out &&
	resp_body out | grep -qx "Hello, Ada!"
'

test_expect_success '.. climbing above / is a 400 bad_request' '
	fcgi_request GET /x "" -DOCUMENT_URI REQUEST_URI=/../hello >out &&
	[ "$(cgi_status out)" = 400 ] && cgi_split out &&
	json_error out.body bad_request out.head &&
	fcgi_request GET /x "" -DOCUMENT_URI REQUEST_URI=/a/%2e%2e/%2E%2E/hello >out &&
	[ "$(cgi_status out)" = 400 ]
'

test_expect_success '. and .. inside the path are resolved' '
	fcgi_request GET /x "" -DOCUMENT_URI REQUEST_URI=/a/../hello/./Ada >out &&
	resp_body out | grep -qx "Hello, Ada!"
'

test_expect_success 'a NUL in the path (%00) is a 400' '
	fcgi_request GET /x "" -DOCUMENT_URI REQUEST_URI=/hello%00x >out &&
	[ "$(cgi_status out)" = 400 ]
'

test_expect_success 'a route is anchored: no match before a trailing newline' '
	fcgi_request GET /x "" -DOCUMENT_URI "REQUEST_URI=/hello%0a" >out &&
	[ "$(cgi_status out)" = 404 ]
'

test_expect_success 'HTTP_PROXY (httpoxy) never reaches the function' '
	use_handlers env &&
	stop_gateway && write_config basic.ini &&
	cat >>fngw.ini <<-INI &&
	[fn.env]
	route = ^/env$
	exec = $T/bin/env
	INI
	start_gateway &&
	fcgi_request GET /env "" HTTP_PROXY=evil HTTP_X_FOO=bar >out &&
	resp_body out >b && grep -qx HTTP_X_FOO=bar b && ! grep -q "^HTTP_PROXY=" b
'

test_done
