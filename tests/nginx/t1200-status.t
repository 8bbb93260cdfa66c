#!/bin/sh
# t1200-status.t -- every row of the SPEC's status table for cgi mode.
. "${0%/*}/../lib.sh"

use_handlers hello echo sleep crash exit3 badheaders bigout status
start_gateway - <<'INI'
@GATEWAY@
[fn.status]
route = ^/status$
exec  = @BIN@/status

[fn.echo]
route    = ^/echo$
exec     = @BIN@/echo
max_body = 1k

[fn.slow]
route   = ^/slow$
exec    = @BIN@/sleep
timeout = 1s

[fn.crash]
route = ^/crash$
exec  = @BIN@/crash

[fn.exit3]
route = ^/exit3$
exec  = @BIN@/exit3

[fn.badheaders]
route = ^/badheaders$
exec  = @BIN@/badheaders

[fn.bigout]
route      = ^/bigout$
exec       = @BIN@/bigout
max_output = 1m

[fn.full]
route         = ^/full$
exec          = @BIN@/sleep
concurrency   = 1
queue         = 1
queue_timeout = 10s

[fn.qtime]
route         = ^/qtime$
exec          = @BIN@/sleep
concurrency   = 1
queue         = 4
queue_timeout = 300ms

[tenant.acme]
concurrency = 1

[tenant.other]
concurrency = 1

[fn.acme-a]
route  = ^/acme-a$
exec   = @BIN@/sleep
tenant = acme

[fn.acme-b]
route  = ^/acme-b$
exec   = @BIN@/sleep
tenant = Acme

[fn.other]
route  = ^/other$
exec   = @BIN@/sleep
tenant = other
INI
start_nginx

test_expect_success 'the function'"'"'s Status: is passed on' '
	hcurl "/status?code=201" && [ "$code" = 201 ]
'

test_expect_success 'Location: alone gives 302' '
	hcurl "/status?location=/elsewhere" && [ "$code" = 302 ] &&
	hdr head Location | grep -q /elsewhere
'

test_expect_success 'a body over max_body: 413 body_too_large' '
	head -c 2048 /dev/zero >b2k &&
	hcurl /echo --data-binary @b2k && [ "$code" = 413 ] &&
	json_error body body_too_large head
'

test_expect_success 'past timeout: 504 timeout' '
	hcurl "/slow?ms=5000" && [ "$code" = 504 ] && json_error body timeout head &&
	wait_for "no_fn_procs sleep" 5
'

test_expect_success 'a crash: 502 bad_gateway' '
	hcurl /crash && [ "$code" = 502 ] && json_error body bad_gateway head
'

test_expect_success 'exit 3 without output: 502' '
	hcurl /exit3 && [ "$code" = 502 ] && json_error body bad_gateway head
'

for c in nocolon badstatus noend injection huge empty folded status99 status600 \
    statusword status2 nul lfcr early; do
	test_expect_success "badheaders case=$c: 502" "
		hcurl '/badheaders?case=$c' && [ \"\$code\" = 502 ] &&
		json_error body bad_gateway head && ! grep -qi '^injected' head &&
		! grep -q 'malformed header block' body
	"
done

test_expect_success 'output over max_output (1m): 502, or cut off once headers went out' '
	hcurl "/bigout?bytes=10485760"; rc=$curl_rc;
	size=$(wc -c <body) && say "curl rc=$rc code=$code size=$size" &&
	if [ "$code" = 502 ]; then
		json_error body bad_gateway head
	else
		[ "$rc" -ne 0 ] && [ "$size" -lt 10485760 ]
	fi
'

test_expect_success 'output under max_output arrives whole' '
	hcurl "/bigout?bytes=500000" && [ "$code" = 200 ] && [ $(wc -c <body) -eq 500000 ]
'

test_expect_success 'queue full: 503 queue_full with Retry-After' '
	HC_BODY=a.body HC_HEAD=a.head hcurl "/full?ms=1500" & a=$!
	wait_for "[ \$(count_fn_procs sleep) -ge 1 ]" 5 &&
	{ HC_BODY=b.body HC_HEAD=b.head hcurl "/full?ms=10" & b=$!; } &&
	{ HC_BODY=c.body HC_HEAD=c.head hcurl "/full?ms=10" & c=$!; } &&
	wait $a; wait $b; wait $c;
	codes="$(http_status a.head) $(http_status b.head) $(http_status c.head)" &&
	say "codes: $codes" && [ "$codes" = "200 200 503" ] || [ "$codes" = "200 503 200" ] &&
	if [ "$(http_status b.head)" = 503 ]; then x=b; else x=c; fi &&
	json_error $x.body queue_full $x.head && [ -n "$(hdr $x.head Retry-After)" ] &&
	wait_for "no_fn_procs sleep" 5
'

test_expect_success 'waiting past queue_timeout: 503 queue_timeout with Retry-After' '
	HC_BODY=a.body HC_HEAD=a.head hcurl "/qtime?ms=1500" & a=$!
	wait_for "[ \$(count_fn_procs sleep) -ge 1 ]" 5 &&
	start=$(now_ms) && hcurl "/qtime?ms=10" && took=$(( $(now_ms) - start )) &&
	wait $a; [ "$code" = 503 ] && json_error body queue_timeout head &&
	[ -n "$(hdr head Retry-After)" ] && say "waited $took ms" &&
	[ $took -ge 250 ] && [ $took -lt 1400 ]
'

test_expect_success 'a tenant at its cap: 503 tenant_limit, while another tenant is served' '
	HC_BODY=a.body HC_HEAD=a.head hcurl "/acme-a?ms=1500" & a=$!
	wait_for "[ \$(count_fn_procs sleep) -ge 1 ]" 5 &&
	hcurl "/acme-b?ms=10" && [ "$code" = 503 ] &&
	json_error body tenant_limit head && [ -n "$(hdr head Retry-After)" ] &&
	hcurl "/other?ms=10" && [ "$code" = 200 ] &&
	wait $a && [ "$(http_status a.head)" = 200 ] &&
	wait_for "[ \"\$(db \"select outcome from invocations where function = '"'"'acme-b'"'"'\")\" = throttled ]" 5 &&
	hcurl "/acme-b?ms=10" && [ "$code" = 200 ]
'

test_done
