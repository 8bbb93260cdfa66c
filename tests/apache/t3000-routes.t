#!/bin/sh
# t3000-routes.t -- routing through a real Apache (mod_proxy_fcgi, the
# shipped nginx/apache-fngw.conf): captures, 404/405, host= routes,
# decoding, dot segments, query strings, SCRIPT_NAME/PATH_INFO, the
# absolute form, X-Request-Id from Apache's UNIQUE_ID.
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
start_apache

test_expect_success 'a named capture reaches the function' '
	hcurl /hello/Ada && [ "$code" = 200 ] && grep -qx "Hello, Ada!" body &&
	hcurl /hello && [ "$code" = 200 ] && grep -qx "Hello, world!" body
'

test_expect_success 'no route: fngw'"'"'s 404 JSON not_found with X-Request-Id' '
	hcurl /nope && [ "$code" = 404 ] && json_error body not_found head
'

test_expect_success 'a method not in methods: 405 with Allow' '
	hcurl /hello -X DELETE && [ "$code" = 405 ] &&
	json_error body method_not_allowed head &&
	allow=$(hdr head Allow) && say "Allow: $allow" &&
	echo "$allow" | grep -q GET && echo "$allow" | grep -q POST &&
	! echo "$allow" | grep -q DELETE
'

test_expect_success 'HEAD: the status and headers, no body' '
	hcurl /hello/Hd -I && [ "$code" = 200 ] && ! grep -q Hello body &&
	valid_request_id "$(hdr head X-Request-Id)"
'

test_expect_success 'host= routes match the Host header only' '
	hcurl /site -H "Host: www.example.com" && [ "$code" = 200 ] &&
	hcurl /site -H "Host: example.com" && [ "$code" = 200 ] &&
	hcurl /site -H "Host: evil.org" && [ "$code" = 404 ] &&
	json_error body not_found head
'

test_expect_success 'the path is matched percent-decoded' '
	hcurl /h%65llo/A%64a && [ "$code" = 200 ] &&
	grep -qx "Hello, Ada!" body &&
	hcurl /hello/Ada%20Lovelace && grep -qx "Hello, Ada Lovelace!" body &&
	hcurl /hello/%C3%89mile && grep -qx "Hello, $(printf "\303\211")mile!" body
'

test_expect_success '%2F reaches fngw and is decoded to a separator' '
	hcurl /hello/a%2Fb && [ "$code" = 404 ] && json_error body not_found head &&
	hcurl "/pi/a%2Fb" && [ "$code" = 200 ] &&
	grep -qx "path_info=/a/b" body && grep -qx "request_uri=/pi/a%2Fb" body
'

test_expect_success '., .. and // inside the path are resolved before matching' '
	hcurl /x/../hello/Bea && [ "$code" = 200 ] && grep -qx "Hello, Bea!" body &&
	hcurl /./hello/./Cy && [ "$code" = 200 ] && grep -qx "Hello, Cy!" body &&
	hcurl //hello//Di && [ "$code" = 200 ] && grep -qx "Hello, Di!" body &&
	hcurl /x/%2e%2e/hello/Ed && [ "$code" = 200 ] && grep -qx "Hello, Ed!" body
'

# Apache answers these itself, before fngw: nothing climbs above "/".
test_expect_success '.. climbing above / is refused' '
	hcurl /../hello && [ "$code" = 400 ] &&
	hcurl /hello/../../hello && [ "$code" = 400 ]
'

test_expect_success 'SCRIPT_NAME and PATH_INFO come from the route, REQUEST_URI as sent' '
	hcurl "/pi/a/b?x=1" && [ "$code" = 200 ] &&
	grep -qx "script_name=/pi" body && grep -qx "path_info=/a/b" body &&
	grep -qx "query=x=1" body && grep -qx "request_uri=/pi/a/b?x=1" body &&
	hcurl /pi && grep -qx "script_name=/pi" body && grep -qx "path_info=" body
'

test_expect_success 'the query string arrives untouched' '
	hcurl "/pi/q?a=1&b=%20c&d=%2F&e=x+y&&f" && [ "$code" = 200 ] &&
	grep -qx "query=a=1&b=%20c&d=%2F&e=x+y&&f" body &&
	grep -qx "path_info=/q" body &&
	hcurl "/pi/q?" && grep -qx "query=" body
'

# Apache passes REQUEST_URI as the client sent the target: fngw routes
# on its path and gives the function the origin form, as from nginx.
test_expect_success 'an absolute-form request target routes like its path' '
	hcurl /unused --request-target \
	    "http://127.0.0.1:$APACHE_PORT/pi/abs/x?q=1" && [ "$code" = 200 ] &&
	grep -qx "path_info=/abs/x" body && grep -qx "query=q=1" body &&
	grep -qx "request_uri=/pi/abs/x?q=1" body &&
	hcurl /unused --request-target \
	    "http://127.0.0.1:$APACHE_PORT/h%65llo/Abs" && [ "$code" = 200 ] &&
	grep -qx "Hello, Abs!" body
'

test_expect_success 'X-Request-Id is Apache'"'"'s UNIQUE_ID as 32 hex digits, in the usage row' '
	hcurl /hello/Rid && rid=$(hdr head X-Request-Id) && say "id $rid" &&
	echo "$rid" | grep -Eqx "[0-9a-f]{32}" &&
	wait_for "grep -q \" $rid 200 \\\"GET /hello/Rid \" apache/access.log" 5 &&
	uid=$(grep " $rid 200 " apache/access.log | cut -d" " -f1) &&
	say "UNIQUE_ID $uid" &&
	[ "$(printf %s "$uid" | md5sum | cut -d" " -f1)" = "$rid" ] &&
	[ "$(db "select path || \" \" || status from invocations
	    where request_id = '"'"'$rid'"'"'")" = "/hello/Rid 200" ]
'

test_expect_success 'a 404 is logged by Apache with the same id, and has no usage row' '
	hcurl /nope && rid=$(hdr head X-Request-Id) &&
	echo "$rid" | grep -Eqx "[0-9a-f]{32}" &&
	wait_for "grep -q \" $rid 404 \" apache/access.log" 5 &&
	[ "$(db "select count(*) from invocations
	    where request_id = '"'"'$rid'"'"'")" = 0 ]
'

test_expect_success 'every request gets its own id' '
	for i in 1 2 3 4 5; do
		hcurl /hello/n$i && hdr head X-Request-Id || return 1
	done >ids && [ "$(sort -u ids | wc -l)" -eq 5 ]
'

# The shipped condition: with no UNIQUE_ID, no REQUEST_ID at all (not
# the md5 of an empty string for every request).
test_expect_success 'without mod_unique_id fngw makes the ids' '
	stop_apache && APACHE_NO_UNIQUE_ID=1 start_apache &&
	! grep -q unique_id apache.conf &&
	hcurl /hello/A && a=$(hdr head X-Request-Id) &&
	hcurl /hello/B && b=$(hdr head X-Request-Id) && say "ids $a $b" &&
	valid_request_id "$a" && valid_request_id "$b" && [ "$a" != "$b" ] &&
	[ "$a" != d41d8cd98f00b204e9800998ecf8427e ] &&
	[ "$(db "select count(*) from invocations
	    where request_id in ('"'"'$a'"'"', '"'"'$b'"'"')")" = 2 ]
'

test_done
