#!/bin/sh
# t1000-routes.t -- routing through a real nginx: captures, 404/405/400,
# host= routes, decoding, SCRIPT_NAME/PATH_INFO, X-Request-Id.
. "${0%/*}/../lib.sh"

use_handlers hello echo
start_gateway - <<'INI'
@GATEWAY@
[fn.hello]
route   = ^/hello(?:/(?<name>[^/]+))?$
methods = GET HEAD POST
exec    = @BIN@/hello

[fn.hosty]
route   = ^/site$
host    = ^(www\.)?example\.com$
exec    = @BIN@/hello

[fn.echo]
route   = ^/pi(?<path_info>/.*)?$
exec    = @BIN@/echo
INI
start_nginx

test_expect_success 'a named capture reaches the function' '
	hcurl /hello/Ada && [ "$code" = 200 ] && grep -qx "Hello, Ada!" body &&
	hcurl /hello && grep -qx "Hello, world!" body
'

test_expect_success 'no route: 404 JSON not_found with X-Request-Id' '
	hcurl /nope && [ "$code" = 404 ] && json_error body not_found head
'

test_expect_success 'a method not in methods: 405 with Allow' '
	hcurl /hello -X DELETE && [ "$code" = 405 ] &&
	json_error body method_not_allowed head &&
	allow=$(hdr head Allow) && say "Allow: $allow" &&
	echo "$allow" | grep -q GET && echo "$allow" | grep -q POST &&
	! echo "$allow" | grep -q DELETE
'

test_expect_success 'host= routes match the Host header only' '
	hcurl /site -H "Host: www.example.com" && [ "$code" = 200 ] &&
	hcurl /site -H "Host: example.com" && [ "$code" = 200 ] &&
	hcurl /site -H "Host: evil.org" && [ "$code" = 404 ] &&
	hcurl /site -H "Host: notexample.com" && [ "$code" = 404 ]
'

test_expect_success '.. climbing above / is a 400' '
	hcurl /../hello && [ "$code" = 400 ] &&
	hcurl /hello/../../hello && [ "$code" = 400 ]
'

test_expect_success '.. inside the path is resolved before matching' '
	hcurl /x/../hello/Bea && [ "$code" = 200 ] && grep -qx "Hello, Bea!" body
'

test_expect_success '%00 in the path is a 400' '
	hcurl /hello/a%00b && [ "$code" = 400 ]
'

test_expect_success 'the path is matched percent-decoded' '
	hcurl /h%65llo/A%64a && [ "$code" = 200 ] && grep -qx "Hello, Ada!" body
'

test_expect_success 'SCRIPT_NAME and PATH_INFO come from the path_info capture' '
	hcurl "/pi/a/b?x=1" && [ "$code" = 200 ] &&
	grep -qx "script_name=/pi" body && grep -qx "path_info=/a/b" body &&
	grep -qx "query=x=1" body &&
	hcurl /pi && grep -qx "script_name=/pi" body && grep -qx "path_info=" body
'

test_expect_success 'X-Request-Id is nginx'"'"'s $request_id' '
	hcurl /hello/Rid && rid=$(hdr head X-Request-Id) && valid_request_id "$rid" &&
	wait_for "grep -q \"^$rid 200 \" nginx/access.log" 5 &&
	[ "$(db "select request_id from invocations where request_id = '"'"'$rid'"'"'")" = "$rid" ]
'

test_expect_success 'a 404 is logged with the same id nginx logged' '
	hcurl /nope && rid=$(hdr head X-Request-Id) &&
	wait_for "grep -q \"^$rid 404 \" nginx/access.log" 5
'

test_expect_success 'a REQUEST_ID that is not [A-Za-z0-9._-]{1,64} is ignored' '
	stop_nginx &&
	NGINX_SERVER_EXTRA="location /hello/bad { fastcgi_pass fngw; include /etc/nginx/fastcgi_params; fastcgi_param REQUEST_ID \"bad id;\"; }" &&
	start_nginx && NGINX_SERVER_EXTRA= &&
	hcurl /hello/bad && [ "$code" = 200 ] && rid=$(hdr head X-Request-Id) &&
	valid_request_id "$rid" && [ "$rid" != "bad id;" ]
'

test_done
