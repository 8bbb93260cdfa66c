#!/bin/sh
# t1120-invoke-env.t -- fngw invoke gives a function the environment that
# the same request from curl through nginx gives it: the same variables,
# the same values, but for the request id, the deadline, the trigger and
# the port.
. "${0%/*}/../lib.sh"

use_handlers env
start_gateway - <<'INI'
@GATEWAY@
[fn.env]
route = ^/env(?<path_info>/.*)?$
exec  = @BIN@/env
INI
start_nginx

# same_env PATH [CURL AND INVOKE ARGS...]: both ways, then compare.
same_env() {
	se_path=$1
	shift
	hcurl "$se_path" -A "" -H "Accept:" -H "Host: localhost" "$@" &&
	    [ "$code" = 200 ] || { say "curl: $code"; return 1; }
	"$FNGW" invoke -c "$T/fngw.ini" "$@" "$se_path" >out 2>>"$T/fngw.log" ||
	    { say "invoke failed"; return 1; }
	cgi_split out
	grep -qx FN_TRIGGER=http body && grep -qx FN_TRIGGER=cli out.body || {
		say "FN_TRIGGER not http and cli"; return 1; }
	for se_f in body out.body; do
		grep -Ev '^(FN_REQUEST_ID|FN_DEADLINE_MS|FN_TRIGGER|SERVER_PORT)=' \
		    "$se_f" >"$se_f.cmp"
	done
	diff body.cmp out.body.cmp >diff || { sed 's/^/# /' diff; return 1; }
}

test_expect_success 'a GET: the same environment' '
	same_env /env
'

test_expect_success 'a POST with headers, a query and an encoded path' '
	same_env "/env/a%20b/./c?x=1&y" -H "X-Foo: bar" \
	    -H "Content-Type: text/plain" -H "X-Foo: again" -d hello
'

test_done
