#!/bin/sh
# t1900-statuspage.t -- the status page: JSON and Prometheus numbers that
# match the processes and rows that really exist; 403 outside
# status_allow (here ::1 only, so nginx's 127.0.0.1 is refused).
. "${0%/*}/../lib.sh"

use_handlers hello sleep
start_gateway - <<'INI'
@GATEWAY@
status_path  = /fngw/status
status_allow = ::1

[fn.hello]
route = ^/hello$
exec  = @BIN@/hello

[fn.sleep]
route         = ^/sleep$
exec          = @BIN@/sleep
concurrency   = 1
queue         = 8
queue_timeout = 20s
INI
start_nginx

# status [QUERY]: the page through raw FastCGI from an allowed address.
status() {
	fcgi_request GET /fngw/status "${1-}" REMOTE_ADDR=::1 >st.out &&
	[ "$(cgi_status st.out)" = 200 ] && resp_body st.out >st.body
}
# fnstat FN KEY[.KEY]: a value of function FN in st.body.
fnstat() {
	perl -MJSON::PP -e '
		local $/; open my $f, "<", "st.body" or exit 1;
		my $j = decode_json(<$f>);
		for my $fn (@{$j->{functions}}) {
			next unless $fn->{name} eq $ARGV[0];
			my $v = $fn; $v = $v->{$_} for split /\./, $ARGV[1];
			print $v; exit 0 }
		exit 1' "$1" "$2"
}

test_expect_success 'an address outside status_allow gets 403 forbidden' '
	hcurl /fngw/status && [ "$code" = 403 ] && json_error body forbidden head
'

test_expect_success 'the page is JSON with every function' '
	status && grep -qi "^Content-Type: application/json" st.out &&
	[ "$(fnstat hello mode)" = cgi ] && [ "$(fnstat sleep concurrency)" = 1 ]
'

test_expect_success 'busy and queue match what runs and waits' '
	for i in 1 2 3; do
		curl -s -o /dev/null "$BASE/sleep?ms=1500" & track_pid $!
	done &&
	wait_for "[ \$(count_fn_procs sleep) -eq 1 ]" 5 &&
	wait_for "status && [ \"\$(fnstat sleep queue)\" = 2 ]" 5 &&
	[ "$(fnstat sleep instances.busy)" = 1 ] &&
	[ "$(count_fn_procs sleep)" = 1 ]
'

test_expect_success 'requests by outcome match the usage rows' '
	for i in 1 2 3 4 5; do hcurl /hello && [ "$code" = 200 ] || return 1; done &&
	wait_for "no_fn_procs sleep" 10 &&
	wait_for "[ \$(db \"select count(*) from invocations where function = '"'"'sleep'"'"'\") -eq 3 ]" 10 &&
	status &&
	[ "$(fnstat hello requests.ok)" = "$(db "select count(*) from invocations where function = '"'"'hello'"'"' and outcome = '"'"'ok'"'"'")" ] &&
	[ "$(fnstat hello requests.ok)" = 5 ] && [ "$(fnstat sleep requests.ok)" = 3 ] &&
	[ "$(fnstat sleep instances.busy)" = 0 ] && [ "$(fnstat sleep queue)" = 0 ] &&
	p50=$(fnstat sleep duration_ms.p50) && say "sleep p50 $p50 ms" &&
	perl -e "exit !(\$ARGV[0] >= 1000 && \$ARGV[0] < 5000)" "$p50"
'

# topstat KEY: a top-level value in st.body.
topstat() {
	perl -MJSON::PP -e '
		local $/; open my $f, "<", "st.body" or exit 1;
		my $v = decode_json(<$f>)->{$ARGV[0]};
		exit 1 unless defined $v; print $v' "$1"
}

test_expect_success 'the ledger counters match the rows in it' '
	rows=$(db "select count(*) from invocations") && status &&
	say "rows $rows; page: $(topstat usage_rows) rows in $(topstat usage_commits) commits" &&
	[ "$(topstat usage_rows)" = "$rows" ] && [ "$rows" -ge 8 ] &&
	[ "$(topstat usage_commits)" -ge 1 ] &&
	[ "$(topstat usage_commits)" -le "$rows" ] &&
	[ "$(topstat usage_spilled_rows)" = 0 ] &&
	[ "$(topstat usage_backlog)" = 0 ]
'

test_expect_success 'Prometheus text with ?format=prometheus' '
	status format=prometheus && grep -qi "^Content-Type: text/plain" st.out &&
	grep -qx "# TYPE fngw_requests_total counter" st.body &&
	grep -qx "fngw_requests_total{function=\"hello\",outcome=\"ok\"} 5" st.body &&
	grep -qx "fngw_instances{function=\"sleep\",state=\"busy\"} 0" st.body &&
	grep -q "^fngw_duration_seconds{function=\"sleep\",quantile=\"0.5\"} 1\." st.body &&
	grep -qx "fngw_usage_backlog 0" st.body &&
	grep -qx "fngw_usage_rows_total $(db "select count(*) from invocations")" st.body &&
	grep -qx "# TYPE fngw_usage_commits_total counter" st.body &&
	grep -qx "fngw_usage_spilled_rows_total 0" st.body
'

test_done
