#!/bin/sh
# t0250-hostile-request.t -- fngw trusts nothing the client side of the
# FastCGI socket says (issue 5, request side): param counts and sizes up
# to 64 MiB, pair lengths that overflow 32 bits or sum past them (the
# CVE-2025-23016 shape), CONTENT_LENGTH that is not a number, paths that
# climb above / when decoded, httpoxy and Shellshock values, and 512
# idle plus 64 slow connections while a normal request is still served
# in time.  Each case ends cleanly and fngw serves on.
. "${0%/*}/../lib.sh"

use_handlers hello env
printf '#!/bin/bash\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nprintf "%%s\\n" "$HTTP_X_EVIL"\n' \
    >"$T/bin/bashenv" && chmod 0755 "$T/bin/bashenv"
start_gateway - <<'INI'
@GATEWAY@
read_timeout = 30s
max_params   = 512k

[fn.hello]
route   = ^/hello$
exec    = @BIN@/hello
timeout = 5s

[fn.env]
route   = ^/env$
exec    = @BIN@/env

[fn.bashenv]
route   = ^/bashenv$
exec    = @BIN@/bashenv
INI
fngw_is_sanitized || test_set_prereq PLAIN_BUILD

still_serves() {
	fcgi_request GET /hello >ss.out && resp_body ss.out | grep -qx "Hello, world!"
}

# basics: the usual CGI params for GET /hello, as one params command.
BASICS="params 1 REQUEST_METHOD=GET REQUEST_URI=/hello DOCUMENT_URI=/hello SERVER_NAME=localhost"

test_expect_success '10 000 params are served' '
	fcgiraw -o resp "begin 1" "$BASICS" "params-many 1 9996" "stdin 1" readall >out &&
	grep -q "^Status: 200" resp 2>/dev/null || grep -q "Hello, world!" out
'

test_expect_success 'one more than 10 000: 431 params_too_large' '
	fcgiraw -o resp "begin 1" "$BASICS" "params-many 1 9997" "stdin 1" readall >out &&
	cgi_split resp && grep -q "^Status: 431" resp.head &&
	json_error resp.body params_too_large resp.head && still_serves
'

test_expect_success 'a param of 1 MiB (max_params 512k): 431, then serving goes on' '
	fcgiraw -o resp "begin 1" "$BASICS HTTP_X_BIG@1048576" "params 1" "stdin 1" readall >out;
	! grep -qx TIMEOUT out && cgi_split resp && grep -q "^Status: 431" resp.head &&
	still_serves
'

test_expect_success 'params of 64 MiB in all: refused early, fngw does not hold them' '
	rss0=$(vmrss_kb "$GATEWAY_PID") &&
	fcgiraw -o resp "begin 1" "$BASICS" "params 1 HTTP_X_HUGE@67108864" "params 1" \
		"stdin 1" readall >out;
	! grep -qx TIMEOUT out && rss1=$(vmrss_kb "$GATEWAY_PID") &&
	say "431: $(grep -c "^Status: 431" resp 2>/dev/null); fngw VmRSS $rss0 -> $rss1 kB" &&
	[ $((rss1 - rss0)) -lt 16384 ] && still_serves
'

test_expect_success 'pair lengths of 0x7fffffff each (their sum overflows 32 bits): 400 or close' '
	fcgiraw "begin 1" "params-raw 1 ff ff ff ff ff ff ff ff 41 42 43" "params 1" \
		"stdin 1" readall >out;
	! grep -qx TIMEOUT out && ! grep -q "^Status: 200" out && still_serves
'

test_expect_success 'lengths that sum past 2^32 over several pairs: 400 or close' '
	fcgiraw "begin 1" "params-raw 1 80 00 00 08 80 00 00 01 41 42 43 44 45 46 47 48 58 ff ff ff f0 01 41" \
		"params 1" "stdin 1" readall >out;
	! grep -qx TIMEOUT out && ! grep -q "^Status: 200" out && still_serves
'

test_expect_success 'a 4-byte length that claims 2 GiB in a short record: 400 or close' '
	fcgiraw "begin 1" "params-raw 1 01 ff ff ff fe 41" "params 1" "stdin 1" readall >out;
	! grep -qx TIMEOUT out && ! grep -q "^Status: 200" out && still_serves
'

for cl in abc -1 +5 99999999999999999999 1e3 '\x205' '5\x00' 0x10; do
	test_expect_success "CONTENT_LENGTH=\"$cl\": 400" "
		fcgiraw -o resp 'begin 1' '$BASICS' 'params 1 CONTENT_LENGTH=$cl' 'params 1' \
			'stdin 1' readall >out &&
		cgi_split resp && grep -q '^Status: 400' resp.head && still_serves
	"
done

for p in '/%2e%2e/hello' '/a/%2E%2E/%2e%2e/hello' '/hello/..%2f..%2f..' '/%2e%2e%2fetc/passwd' \
    '/hello%00' '/hel%00lo'; do
	test_expect_success "REQUEST_URI $p: 400, never the function" "
		fcgiraw -o resp 'begin 1' 'params 1 REQUEST_METHOD=GET REQUEST_URI=$p' 'params 1' \
			'stdin 1' readall >out &&
		cgi_split resp && grep -q '^Status: 400' resp.head &&
		! grep -q 'Hello, world' resp.body
	"
done

test_expect_success 'httpoxy: a Proxy header never becomes HTTP_PROXY' '
	fcgi_request GET /env "" HTTP_PROXY=http://evil.example:3128 HTTP_X_OK=1 >out &&
	resp_body out >env.out && grep -qx "HTTP_X_OK=1" env.out &&
	! grep -q "PROXY" env.out
'

test_expect_success 'Shellshock: a function value in a header is inert data' '
	evil="() { :; }; echo SHELLSHOCKED; touch $T/pwned" &&
	fcgi_request GET /bashenv "" "HTTP_X_EVIL=$evil" >out &&
	resp_body out >body && cat body &&
	[ "$(cat body)" = "$evil" ] && ! grep -q "^SHELLSHOCKED" body && [ ! -e "$T/pwned" ]
'

test_expect_success '512 idle and 64 slow connections: a normal request is still served in time' '
	hard=$(awk "/^Max open files/ { print \$5 }" /proc/$GATEWAY_PID/limits) &&
	say "fngw open-file limit: $hard" &&
	{ [ "$hard" = unlimited ] || [ "$hard" -ge 700 ]; } &&
	fds0=$(ls /proc/$GATEWAY_PID/fd | wc -l) &&
	{ "$TOOLS/fcgihold" -s "$T/fngw.sock" -i 512 -w 64 -p 200 -d 60 -r held >hold.out & } &&
	hold=$! && track_pid $hold &&
	wait_for "[ -s held ]" 20 &&
	wait_for "[ \$(ls /proc/$GATEWAY_PID/fd | wc -l) -ge $((fds0 + 576)) ]" 20 &&
	say "fngw holds $(ls /proc/$GATEWAY_PID/fd | wc -l) descriptors" &&
	start=$(now_ms) && still_serves && fcgi_request GET /env >/dev/null &&
	took=$(( $(now_ms) - start )) && say "two requests took $took ms" &&
	[ "$took" -lt 5000 ] &&
	kill_wait $hold TERM 10 && cat hold.out &&
	grep -q "^held=576 " hold.out &&
	wait_for "[ \$(ls /proc/$GATEWAY_PID/fd | wc -l) -le $((fds0 + 2)) ]" 20
'

test_expect_success 'fngw has no zombie child' '
	wait_for "[ -z \"\$(zombies_of $GATEWAY_PID)\" ]" 5
'

test_done
