#!/bin/sh
# t1100-env.t -- the environment a function sees, exactly (SPEC "The
# request, as a function sees it").
. "${0%/*}/../lib.sh"

use_handlers env
printf 'SECRET_KEY=s3cret\nOTHER=x y\n' >fn.env && chmod 600 fn.env
FNGW_ENV="SECRET_TOKEN=leak PATH=/opt/leak/bin:/usr/bin:/bin"
start_gateway - <<'INI'
@GATEWAY@
[tenant.acme]
concurrency = 10

[fn.env]
route   = ^/env(?:/(?<who>[^/]+))?$
exec    = @BIN@/env
tenant  = Acme
timeout = 7s
env     = GREETING=hi "QUOTED=a b"
env_file = @T@/fn.env

[fn.envpath]
route   = ^/envpath$
exec    = @BIN@/env
env     = PATH=/custom/bin
INI
start_nginx

test_expect_success 'the env function answers' '
	before=$(now_ms) &&
	hcurl /env/Zed?q=1 -H "X-Foo: bar" -H "Proxy: evil" && [ "$code" = 200 ] &&
	after=$(now_ms) && cp body env.out
'

test_expect_success 'RFC 3875 variables' '
	grep -qx GATEWAY_INTERFACE=CGI/1.1 env.out &&
	grep -qx REQUEST_METHOD=GET env.out &&
	grep -qx QUERY_STRING=q=1 env.out &&
	grep -qx SCRIPT_NAME=/env/Zed env.out &&
	grep -qx REMOTE_ADDR=127.0.0.1 env.out &&
	grep -qx SERVER_PORT=$NGINX_PORT env.out &&
	grep -qx SERVER_PROTOCOL=HTTP/1.1 env.out &&
	grep -q "^SERVER_NAME=." env.out &&
	grep -q "^SERVER_SOFTWARE=." env.out &&
	grep -qx "REQUEST_URI=/env/Zed?q=1" env.out
'

test_expect_success 'request headers become HTTP_*, but never HTTP_PROXY' '
	grep -qx HTTP_X_FOO=bar env.out &&
	grep -q "^HTTP_HOST=127.0.0.1" env.out &&
	! grep -q "^HTTP_PROXY=" env.out
'

test_expect_success 'through nginx: a header sent twice is joined, odd names never arrive' '
	HC_BODY=dup.body HC_HEAD=dup.head hcurl /env/Zed -H "X-Dup: one" -H "X-Dup: two" -H "X-Bad.Name: 1" \
		-H "X_Under: 2" -H "Proxy: http://evil.example:3128" \
		-H "X-Shock: () { :; }; echo pwned" && [ "$code" = 200 ] &&
	grep -qx "HTTP_X_DUP=one, two" dup.body &&
	! grep -q "BAD\|UNDER\|^HTTP_PROXY=" dup.body &&
	grep -qx "HTTP_X_SHOCK=() { :; }; echo pwned" dup.body
'

test_expect_success 'FN_* variables' '
	grep -qx FN_NAME=env env.out &&
	grep -qx FN_TENANT=acme env.out &&
	grep -qx FN_TRIGGER=http env.out &&
	grep -qx FN_PARAM_WHO=Zed env.out &&
	rid=$(hdr head X-Request-Id) && grep -qx "FN_REQUEST_ID=$rid" env.out
'

test_expect_success 'FN_DEADLINE_MS is now + timeout (7s), in epoch ms' '
	dl=$(sed -n "s/^FN_DEADLINE_MS=//p" env.out) && say "deadline $dl, now $before..$after" &&
	[ "$dl" -ge $((before + 6000)) ] && [ "$dl" -le $((after + 8000)) ]
'

test_expect_success 'env and env_file values' '
	grep -qx GREETING=hi env.out && grep -qx "QUOTED=a b" env.out &&
	grep -qx SECRET_KEY=s3cret env.out && grep -qx "OTHER=x y" env.out
'

test_expect_success 'nothing of the gateway'"'"'s own environment' '
	! grep -q "^SECRET_TOKEN=" env.out && ! grep -q leak env.out &&
	! grep -q "^HOME=" env.out && ! grep -q "^FNGW_ENV" env.out
'

test_expect_success 'PATH is a fixed default unless env sets it' '
	grep -q "^PATH=/" env.out && ! grep -q "^PATH=.*/opt/leak" env.out &&
	hcurl /envpath && grep -qx PATH=/custom/bin body
'

# The SPEC lists what a function sees; nginx sends more params
# (DOCUMENT_ROOT, REMOTE_PORT, REDIRECT_STATUS, REQUEST_ID, ...): they
# must not leak through.
test_expect_success 'no variable outside the SPEC'"'"'s list' '
	cut -d= -f1 env.out | grep -Ev "^(GATEWAY_INTERFACE|REQUEST_METHOD|QUERY_STRING|CONTENT_LENGTH|CONTENT_TYPE|PATH_INFO|SCRIPT_NAME|REMOTE_ADDR|SERVER_NAME|SERVER_PORT|SERVER_PROTOCOL|SERVER_SOFTWARE|HTTPS|AUTH_TYPE|PATH_TRANSLATED|REMOTE_HOST|REMOTE_IDENT|REMOTE_USER|REQUEST_URI|HTTP_[A-Z0-9_]+|FN_[A-Z0-9_]+|PATH|GREETING|QUOTED|SECRET_KEY|OTHER)$" >extra;
	[ ! -s extra ] || { say "unexpected: $(echo $(cat extra))"; false; }
'

test_done
