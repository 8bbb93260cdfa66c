#!/bin/sh
# t1300-stream.t -- 50 MiB each way, streamed, with fngw's memory flat.
. "${0%/*}/../lib.sh"

use_handlers echo bigout
start_gateway - <<'INI'
@GATEWAY@
[fn.echo]
route      = ^/echo$
exec       = @BIN@/echo
timeout    = 60s
max_body   = 60m
max_output = 60m

[fn.bigout]
route      = ^/bigout$
exec       = @BIN@/bigout
timeout    = 60s
max_output = 60m
INI
start_nginx
fngw_is_sanitized || test_set_prereq PLAIN_BUILD

# sample_rss: record fngw's VmRSS (kB) every 20 ms into rss.log.
sample_rss() {
	while :; do vmrss_kb "$GATEWAY_PID" >>rss.log; sleep 0.02; done
}

test_expect_success 'a 50 MiB file of random bytes' '
	head -c 52428800 /dev/urandom >big && : >rss.log
'

test_expect_success '50 MiB POST to echo?raw=1 comes back byte-identical' '
	sample_rss & sampler=$!
	track_pid $sampler;
	CURL_TIMEOUT=120 hcurl "/echo?raw=1" --data-binary @big \
		-H "Content-Type: application/octet-stream"; rc=$?;
	kill $sampler; wait $sampler 2>/dev/null;
	[ $rc = 0 ] && [ "$code" = 200 ] &&
	[ "$(sha256sum <big)" = "$(sha256sum <body)" ]
'

test_expect_success PLAIN_BUILD 'fngw'"'"'s VmRSS stayed under 40 MiB meanwhile' '
	max=$(sort -n rss.log | tail -n 1) && say "max VmRSS ${max} kB over $(wc -l <rss.log) samples" &&
	[ "$(wc -l <rss.log)" -ge 5 ] && [ "$max" -lt 40960 ]
'

test_expect_success 'bigout 50 MiB arrives complete' '
	CURL_TIMEOUT=120 hcurl "/bigout?bytes=52428800" && [ "$code" = 200 ] &&
	[ "$(wc -c <body)" -eq 52428800 ]
'

test_done
