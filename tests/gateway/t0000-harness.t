#!/bin/sh
# t0000-harness.t -- the harness itself (lib.sh, fcgiraw, freeport, the
# nginx set-up), checked against a stand-in gateway: Debian's fcgiwrap
# on the socket where fngw would listen.  Needs no fngw, so a broken
# harness shows up as such and not as gateway failures.
. "${0%/*}/../lib.sh"

command -v fcgiwrap >/dev/null || skip_all 'fcgiwrap is not installed (make deps)'

# The stand-in: `fngw serve -c FILE` becomes fcgiwrap on FILE's listen=.
cat >"$T/bin/fake-fngw" <<'SH'
#!/bin/sh
sock=$(sed -n 's/^listen *= *unix://p' "$3")
umask 000
set -m			# fcgiwrap and its children get a process group
fcgiwrap -c 3 -s "unix:$sock" &
pg=$!
trap 'kill -KILL -$pg; wait; exit 0' TERM INT
wait
SH
cat >"$T/bin/hi.sh" <<'SH'
#!/bin/sh
printf 'Status: 201 Created\r\nContent-Type: text/plain\r\nX-Request-Id: %s\r\n\r\n' "${REQUEST_ID:-none}"
printf 'hi %s\n' "$QUERY_STRING"
SH
cat >"$T/bin/cat.sh" <<'SH'
#!/bin/sh
printf 'Content-Type: application/octet-stream\r\n\r\n'
exec cat
SH
# (fcgiwrap cannot stream both ways: it feeds all of stdin first.)
cat >"$T/bin/sha.sh" <<'SH'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
sha256sum | cut -d" " -f1
SH
cat >"$T/bin/json.sh" <<'SH'
#!/bin/sh
printf 'Status: 404\r\nContent-Type: application/json\r\nX-Request-Id: r-1\r\n\r\n'
printf '{"error":"not_found","message":"no route","request_id":"r-1"}'
SH
cat >"$T/bin/slow.sh" <<'SH'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
sleep 30
SH
chmod 0755 "$T"/bin/*
FNGW=$T/bin/fake-fngw

test_expect_success 'free_port prints a usable port' '
	p=$(free_port) && [ "$p" -gt 1023 ] && [ "$p" -le 65535 ] &&
	p2=$(free_port) && [ "$p2" -gt 1023 ]
'

test_expect_success 'start_gateway writes the config and waits for the socket' '
	start_gateway - <<-INI &&
	@GATEWAY@
	[fn.hello]
	route = ^/hello$
	exec = @BIN@/hello
	INI
	grep -qx "listen       = unix:$T/fngw.sock" fngw.ini &&
	grep -qx "exec = $T/bin/hello" fngw.ini &&
	pid_alive "$(gateway_pid)" && socket_accepts "$T/fngw.sock"
'

test_expect_success 'fcgi_request: status, headers and body of a GET' '
	fcgi_request GET /hi.sh "a=b" SCRIPT_FILENAME="$T/bin/hi.sh" REQUEST_ID=abc >out &&
	[ "$(cgi_status out)" = 201 ] &&
	[ "$(hdr out x-request-id)" = abc ] &&
	[ "$(resp_body out)" = "hi a=b" ]
'

test_expect_success 'fcgi_request: a POST body goes to stdin' '
	printf "one\ntwo\n" | fcgi_request POST /cat.sh "" SCRIPT_FILENAME="$T/bin/cat.sh" >out &&
	resp_body out >got && printf "one\ntwo\n" >want && cmp got want &&
	[ "$(cgi_status out)" = 200 ]
'

test_expect_success 'fcgi_request: -NAME drops a default param' '
	cat >"$T/bin/env.sh" <<-\SH &&
	#!/bin/sh
	printf "Content-Type: text/plain\r\n\r\n"
	env
	SH
	chmod 0755 "$T/bin/env.sh" &&
	fcgi_request GET /env.sh "" SCRIPT_FILENAME="$T/bin/env.sh" -DOCUMENT_URI >out &&
	grep -q "^REQUEST_URI=/env.sh" out && ! grep -q "^DOCUMENT_URI=" out
'

test_expect_success 'fcgiraw: GET_VALUES, UNKNOWN_TYPE, a request in odd framing' '
	fcgiraw "getvalues FCGI_MPXS_CONNS" "record 77 0" "readn 2" >out &&
	grep -qx "GET_VALUES_RESULT FCGI_MPXS_CONNS=0" out &&
	grep -qx "UNKNOWN_TYPE 77" out &&
	fcgiraw "bytewise 0" "begin 1 1 0" "pad 3" \
		"params-chunk 1 1 SCRIPT_FILENAME=$T/bin/hi.sh REQUEST_METHOD=GET QUERY_STRING=q LONG@300" \
		"params 1" "stdin 1" readall >out &&
	grep -q "^hi q" out && grep -qx "END_REQUEST 1 app=0 proto=0" out &&
	tail -n 1 out | grep -qx EOF
'

test_expect_success 'fcgiraw: wait-file and a read deadline' '
	( sleep 0.2; : >go ) &
	start=$(now_ms) &&
	test_must_fail fcgiraw "wait-file $T/go" "begin 1" "read" >out 2>&1 -t 1 ||
	true; grep -q TIMEOUT out && [ $(( $(now_ms) - start )) -ge 1000 ]
'

test_expect_success 'fn_procs sees a running function, and only ours' '
	fcgiraw "begin 1" "cgi 1 GET /slow.sh SCRIPT_FILENAME=$T/bin/slow.sh" \
		"stdin 1" "sleep 10000" >/dev/null &
	raw=$! && track_pid $raw &&
	wait_for "[ \$(count_fn_procs slow.sh) -ge 1 ]" 5 &&
	[ "$(count_fn_procs hi.sh)" -eq 0 ] &&
	kill $(fn_procs slow.sh) && wait_for "no_fn_procs slow.sh" 5 &&
	kill $raw; wait $raw; true
'

test_expect_success 'start_nginx: curl through nginx to the socket' '
	NGINX_LOCATION_EXTRA="fastcgi_param SCRIPT_FILENAME $T/bin\$fastcgi_script_name;" &&
	start_nginx &&
	hcurl "/hi.sh?x=1" && [ "$code" = 201 ] && grep -qx "hi x=1" body &&
	[ "$(http_status head)" = 201 ]
'

test_expect_success 'X-Request-Id can be compared with the access log' '
	hcurl /hi.sh && rid=$(hdr head X-Request-Id) &&
	valid_request_id "$rid" && [ ${#rid} -eq 32 ] &&
	wait_for "grep -q \"^$rid 201 \" nginx/access.log" 5
'

test_expect_success 'json_error checks code, message, request_id, headers' '
	hcurl /json.sh && [ "$code" = 404 ] &&
	json_error body not_found head &&
	! json_error body bad_request head
'

test_expect_success 'a 5 MiB POST goes through whole' '
	head -c 5242880 /dev/urandom >big &&
	hcurl /sha.sh --data-binary @big -H "Content-Type: application/octet-stream" &&
	[ "$code" = 200 ] && [ "$(cat body)" = "$(sha256sum <big | cut -d" " -f1)" ]
'

test_expect_success 'stop_gateway stops the stand-in and reports its status' '
	pid=$(gateway_pid) && stop_gateway; ! pid_alive $pid
'

test_done
