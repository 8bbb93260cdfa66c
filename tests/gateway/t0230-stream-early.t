#!/bin/sh
# t0230-stream-early.t -- what a function has written reaches the web
# server while it still runs.  fngw hands on the records of one read of
# a reply in one write (front_hold()), and a reply whose row is being
# committed goes out with its END_REQUEST; neither may hold output that
# a function wrote before it paused (a progress line, a server-sent
# event), in cgi mode or from a warm instance.
. "${0%/*}/../lib.sh"

use_handlers counter_fcgi
cat >"$T/bin/drip" <<'SH'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nfirst\n'
sleep 3
printf 'second\n'
SH
chmod 0755 "$T/bin/drip" || test_fatal "cannot write drip"

start_gateway - <<'INI'
@GATEWAY@
[fn.drip]
route = ^/drip$
exec  = @BIN@/drip

[fn.counter]
route         = ^/counter$
exec          = @BIN@/counter_fcgi
mode          = fastcgi
min_instances = 1
INI

# early PATH QUERY: one request, read for 1.5 s while the function
# waits 3 s between its two lines.
early() {
	RAW_TIMEOUT=1.5 fcgiraw "begin 1" "cgi 1 GET $1${2:+?$2}" "stdin 1" \
	    read >out
	rc=$?
	say "fcgiraw exit $rc: $(tr '\n' ' ' <out)"
}

test_expect_success 'cgi: the first line arrives before the function ends' '
	early /drip; grep -qx first out && ! grep -q second out &&
	grep -qx TIMEOUT out
'

test_expect_success 'warm instance: the first line arrives before the reply ends' '
	wait_for "[ \$(count_fn_procs counter_fcgi) -eq 1 ]" 10 &&
	early /counter drip=3000; grep -qx first out && ! grep -q second out &&
	grep -qx TIMEOUT out
'

test_expect_success 'both end whole, with their rows' '
	fcgi_request GET /counter drip=200 >whole.out &&
	resp_body whole.out | tr "\n" " " | grep -qx "first second " &&
	wait_for "[ \$(db \"select count(*) from invocations\") -ge 3 ]" 10
'

test_done
