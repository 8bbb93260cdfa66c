#!/bin/sh
# t3200-same.t -- one fngw behind nginx and Apache at once: the same
# requests give the same status, route and CGI variables behind both,
# and behind Apache configured the other way (SetHandler in a
# <Location>, ProxyFCGIBackendType GENERIC, proxy-fcgi-pathinfo), which
# changes what Apache sends as SCRIPT_NAME, PATH_INFO and
# SCRIPT_FILENAME.
. "${0%/*}/../lib.sh"

use_handlers env echo
start_gateway - <<'INI'
@GATEWAY@
[fn.env]
route   = ^/env(?<path_info>/.*)?$
exec    = @BIN@/env

[fn.cap]
route   = ^/cap/(?<who>[^/]+)(?<path_info>/.*)?$
methods = GET POST
exec    = @BIN@/env

[fn.echo]
route   = ^/echo(?<path_info>/.*)?$
exec    = @BIN@/echo
INI
start_nginx
NGINX_BASE=$BASE
start_apache

# The requests, one a line: a target (sent as it is), then curl
# arguments as shell words.  @PORT@ becomes the port of the server
# asked, for absolute-form targets.
cat >requests <<'EOF'
/env
/env/
/env/a/b?x=1&y=%20z
/env/%41%42/c%20d
//env//double//slash
/env/x/../y/./z
/env/%2e%2e/q
/env/%C3%A9t%C3%A9?%C3%A9=1
/env/a%2Fb
/env/a+b%2Bc?q=a+b%2Bc&r
/env/semi;colon/x%3By
/env/q?a=1 -H 'X-Custom: v' -H 'Accept-Language: fr'
/unused --request-target 'http://127.0.0.1:@PORT@/env/abs?q=1'
/cap/Ada/more/path?x
/cap/%41da
/cap/Ada -X POST --data-binary 'a=1&b=2'
/echo/p?x=1 --data-binary 'hello body' -H 'Content-Type: text/x-test'
/echo -X PUT --data-binary put-body
/nope
/cap/Ada -X DELETE
/cap
EOF

# ask PORT N: request N of the list to $BASE; its status, then the
# error code of a JSON error or the lines the function saw, less those
# that depend on the server (its name and port, Host) or the moment
# (the id, the deadline), and the Content-Length and Content-Type
# headers, which nginx passes as HTTP_* too and Apache only as
# CONTENT_LENGTH and CONTENT_TYPE (as RFC 3875 4.1.18 advises).
ask() {
	line=$(sed -n "$2p" requests | sed "s/@PORT@/$1/g")
	target=${line%% *}
	[ "$target" != "$line" ] || line=
	eval "set -- ${line#* }"
	code=$(curl -sS --path-as-is --max-time 10 -o ask.body \
	    -w '%{http_code}' "$@" "$BASE$target") || return 1
	echo "status $code"
	if [ "$(head -c 1 ask.body)" = "{" ]; then
		json_get ask.body error
	else
		grep -Ev "^(FN_DEADLINE_MS|FN_REQUEST_ID|HTTP_HOST|SERVER_NAME\
|SERVER_PORT|HTTP_CONTENT_LENGTH|HTTP_CONTENT_TYPE)=" ask.body
	fi
}

# run_all BASE PORT DIR: every request of the list into DIR/N.
run_all() {
	mkdir -p "$3" && n=$(wc -l <requests) && i=1 &&
	while [ "$i" -le "$n" ]; do
		BASE=$1 ask "$2" "$i" >"$3/$i" || return 1
		i=$((i + 1))
	done
}

# same DIR_A DIR_B: every answer is the same; the differences shown.
same() {
	rc=0
	for f in "$1"/*; do
		i=${f##*/}
		if ! cmp -s "$f" "$2/$i"; then
			say "request $i: $(sed -n "${i}p" requests)"
			diff "$f" "$2/$i" | sed 's/^/#   /'
			rc=1
		fi
	done
	return $rc
}

test_expect_success 'the requests through nginx' '
	run_all "$NGINX_BASE" "$NGINX_PORT" nginx.out
'

test_expect_success 'the same requests through Apache (ProxyPass)' '
	run_all "$APACHE_BASE" "$APACHE_PORT" apache.out
'

test_expect_success 'nginx and Apache: same status, route and variables' '
	same nginx.out apache.out
'

# Both could be wrong the same way: what they agree on, checked.
test_expect_success 'and it is what the routes say' '
	grep -qx "status 200" apache.out/3 &&
	grep -qx "SCRIPT_NAME=/env" apache.out/3 &&
	grep -qx "PATH_INFO=/a/b" apache.out/3 &&
	grep -qx "QUERY_STRING=x=1&y=%20z" apache.out/3 &&
	grep -qx "REQUEST_URI=/env/a/b?x=1&y=%20z" apache.out/3 &&
	grep -qx "PATH_INFO=/AB/c d" apache.out/4 &&
	grep -qx "PATH_INFO=/double/slash" apache.out/5 &&
	grep -qx "REQUEST_URI=//env//double//slash" apache.out/5 &&
	grep -qx "PATH_INFO=/y/z" apache.out/6 &&
	grep -qx "status 404" apache.out/7 && grep -qx not_found apache.out/7 &&
	grep -qx "PATH_INFO=/$(printf "\303\251t\303\251")" apache.out/8 &&
	grep -qx "PATH_INFO=/a/b" apache.out/9 &&
	grep -qx "PATH_INFO=/a+b+c" apache.out/10 &&
	grep -qx "QUERY_STRING=q=a+b%2Bc&r" apache.out/10 &&
	grep -qx "PATH_INFO=/semi;colon/x;y" apache.out/11 &&
	grep -qx "HTTP_X_CUSTOM=v" apache.out/12 &&
	grep -qx "HTTP_ACCEPT_LANGUAGE=fr" apache.out/12 &&
	grep -qx "REQUEST_URI=/env/abs?q=1" apache.out/13 &&
	grep -qx "PATH_INFO=/abs" apache.out/13 &&
	grep -qx "FN_PARAM_WHO=Ada" apache.out/14 &&
	grep -qx "SCRIPT_NAME=/cap/Ada" apache.out/14 &&
	grep -qx "PATH_INFO=/more/path" apache.out/14 &&
	grep -qx "FN_PARAM_WHO=Ada" apache.out/15 &&
	grep -qx "REQUEST_METHOD=POST" apache.out/16 &&
	grep -qx "CONTENT_LENGTH=7" apache.out/16 &&
	grep -qx "CONTENT_TYPE=application/x-www-form-urlencoded" apache.out/16 &&
	grep -qx "body=hello body" apache.out/17 &&
	grep -qx "content_type=text/x-test" apache.out/17 &&
	grep -qx "path_info=/p" apache.out/17 &&
	grep -qx "method=PUT" apache.out/18 && grep -qx "body=put-body" apache.out/18 &&
	grep -qx "status 404" apache.out/19 &&
	grep -qx "status 405" apache.out/20 &&
	grep -qx method_not_allowed apache.out/20 &&
	grep -qx "status 404" apache.out/21
'

# The other way to write it: a handler, and the settings that change
# Apache's own SCRIPT_NAME/PATH_INFO; fngw routes on the request's path
# whatever they are.
cat >sethandler.conf <<'EOF'
AllowEncodedSlashes NoDecode
ProxyFCGISetEnvIf "-n reqenv('UNIQUE_ID')" REQUEST_ID \
    "%{md5:%{reqenv:UNIQUE_ID}}"
SetEnv proxy-sendcl 1
<Location "/">
	SetHandler "proxy:unix:/run/fngw/fngw.sock|fcgi://localhost/"
	ProxyFCGIBackendType GENERIC
	SetEnv proxy-fcgi-pathinfo first-dot
</Location>
EOF

test_expect_success 'the same requests through Apache with SetHandler' '
	stop_apache && APACHE_FNGW_CONF=$T/sethandler.conf start_apache &&
	run_all "$APACHE_BASE" "$APACHE_PORT" handler.out
'

test_expect_success 'nginx and Apache with SetHandler: the same again' '
	same nginx.out handler.out
'

test_done
