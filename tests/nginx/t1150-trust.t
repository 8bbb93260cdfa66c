#!/bin/sh
# t1150-trust.t -- a function runs as its user, and what fngw check
# trusts is checked again at each spawn (as suEXEC does at each exec):
# an executable made writable by its group after start-up is not run
# (502 and why in the log), in both modes, until it is fixed.
. "${0%/*}/../lib.sh"

use_handlers hello counter_fcgi
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nid -u\n' \
    >"$T/bin/whoami.sh" && chmod 0755 "$T/bin/whoami.sh"
start_gateway - <<'INI'
@GATEWAY@
[fn.hello]
route = ^/hello$
exec  = @BIN@/hello

[fn.whoami]
route = ^/whoami$
exec  = @BIN@/whoami.sh

[fn.counter]
route = ^/counter$
exec  = @BIN@/counter_fcgi
mode  = fastcgi
INI
start_nginx

test_expect_success 'a function reports the uid of its user' '
	hcurl /whoami && [ "$code" = 200 ] &&
	if [ "$(id -u)" = 0 ]; then want=$(id -u "$FN_USER"); else want=$(id -u); fi &&
	say "runs as uid $(cat body), want $want" && [ "$(cat body)" = "$want" ]
'

test_expect_success 'cgi: an executable made group-writable is not run' '
	hcurl /hello && [ "$code" = 200 ] &&
	chmod g+w "$T/bin/hello" &&
	hcurl /hello && [ "$code" = 502 ] && json_error body bad_gateway head &&
	grep -q "fn=hello .*not run: .*writable by its group" "$T/fngw.log" &&
	chmod g-w "$T/bin/hello" && hcurl /hello && [ "$code" = 200 ]
'

test_expect_success 'fastcgi: no instance starts from a group-writable executable' '
	chmod g+w "$T/bin/counter_fcgi" &&
	hcurl /counter && [ "$code" = 502 ] && json_error body bad_gateway head &&
	grep -q "fn=counter msg=\"instance failed to start: .*writable by its group" \
		"$T/fngw.log" &&
	[ "$(count_fn_procs counter_fcgi)" = 0 ] &&
	chmod g-w "$T/bin/counter_fcgi" &&
	wait_for "hcurl /counter && [ \"\$code\" = 200 ]" 15
'

test_expect_success 'a folder made world-writable: not run either' '
	chmod o+w "$T/bin" && hcurl /hello && [ "$code" = 502 ] &&
	grep -q "(its folder): writable by others" "$T/fngw.log" &&
	chmod o-w "$T/bin" && hcurl /hello && [ "$code" = 200 ]
'

test_done
