#!/bin/sh
# t2500-reload.t -- SIGHUP and `fngw reload` (issue 6): a reload in the
# middle of a bounded load through nginx fails no request; the new route
# answers after it; a request in flight finishes under the old config;
# the old warm pool drains and the new one starts; an invalid config
# keeps the old one, with the message `fngw check` gives; counters and a
# tenant's cap hold across; the pid file goes with fngw.
. "${0%/*}/../lib.sh"

use_handlers hello counter_fcgi sleep

# conf VARIANT: the config, atomically (a reload never reads half).
conf() {
	write_config - "$T/next.ini" || return 1
	mv "$T/next.ini" "$T/fngw.ini"
}

conf <<'INI'
@GATEWAY@
status_path = /fngw/status

[tenant.acme]
concurrency = 1

[fn.hello]
route = ^/hello$
exec  = @BIN@/hello

[fn.counter]
route         = ^/counter$
exec          = @BIN@/counter_fcgi
mode          = fastcgi
min_instances = 1

[fn.sleep]
route  = ^/sleep$
exec   = @BIN@/sleep
tenant = acme
INI
start_gateway
start_nginx

# The same, plus /new, without /sleep; the counter's section changed.
NEXT='@GATEWAY@
status_path = /fngw/status

[tenant.acme]
concurrency = 1

[fn.hello]
route = ^/hello$
exec  = @BIN@/hello

[fn.new]
route = ^/new$
exec  = @BIN@/hello

[fn.counter]
route         = ^/counter$
exec          = @BIN@/counter_fcgi
mode          = fastcgi
min_instances = 1
max_requests  = 500

[fn.slow]
route  = ^/slow$
exec   = @BIN@/sleep
tenant = acme'

N=3000

test_expect_success 'the pid file names fngw, with no reload yet' '
	[ "$(cat "$T/fngw.pid")" = "$GATEWAY_PID 0" ]
'

test_expect_success 'before: /new is a 404, /counter has one instance' '
	hcurl /new && [ "$code" = 404 ] &&
	hcurl /counter && [ "$code" = 200 ] &&
	pid0=$(sed -n "s/^pid=//p" body) && say "counter pid $pid0" &&
	[ "$(count_fn_procs counter_fcgi)" = 1 ]
'

test_expect_success 'a request in flight when the config changes ends under the old one' '
	{ HC_BODY=slow.body HC_HEAD=slow.head hcurl "/sleep?ms=1500" >slow.out 2>&1 &
	  slow=$!; } &&
	wait_for "[ \$(count_fn_procs sleep) = 1 ]" 10 &&
	printf "%s\n" "$NEXT" | conf && "$FNGW" reload -c "$T/fngw.ini" >reload.out &&
	cat reload.out && grep -q "took .* (reload 1)" reload.out &&
	hcurl /sleep && [ "$code" = 404 ] &&
	wait $slow && [ "$(http_status slow.head)" = 200 ] &&
	grep -q "^slept" slow.body
'

test_expect_success 'after it: /new answers, the old warm instance is gone, a new one is up' '
	hcurl /new && [ "$code" = 200 ] &&
	wait_for "! pid_alive $pid0" 10 &&
	hcurl /counter && [ "$code" = 200 ] &&
	pid1=$(sed -n "s/^pid=//p" body) && say "counter pid $pid1" &&
	[ "$pid1" != "$pid0" ] && wait_for "[ \$(count_fn_procs counter_fcgi) = 1 ]" 10
'

# list N: a curl config of N GETs alternating /hello and /counter.
list() {
	awk -v n="$1" -v base="$BASE" 'BEGIN {
		for (i = 0; i < n; i++) {
			if (i > 0) print "next"
			printf "url = \"%s%s\"\n", base, i % 2 ? "/counter" : "/hello"
			print "output = \"/dev/null\""
			print "max-time = 30"
			print "write-out = \"%{http_code}\\n\""
		}
	}' >list
}

test_expect_success "$N requests with five reloads among them: not one fails" '
	list $N &&
	{ curl -s --no-progress-meter -Z --parallel-immediate --parallel-max 8 \
		-K list >codes 2>curl.err & load=$!; } &&
	for i in 1 2 3 4 5; do
		wait_for "[ \$(wc -l <codes) -ge $((i * N / 6)) ]" 60 &&
		printf "%s\n" "$NEXT" | sed "s/^max_requests  = .*/max_requests  = $((400 + i))/" |
			conf && kill -HUP $GATEWAY_PID || break
	done &&
	wait $load && say "$(sort codes | uniq -c | tr "\n" " ")" &&
	[ "$(wc -l <codes)" = $N ] && [ "$(grep -cvx 200 codes)" = 0 ] &&
	wait_for "[ \"\$(cut -d\" \" -f2 $T/fngw.pid)\" = 6 ]" 10
'

# rows: the usage rows of /hello and /counter.
rows() { db "select count(*) from invocations where function in ('hello', 'counter')"; }

test_expect_success 'every one of them has its row' '
	wait_for "[ \$(rows) -ge $N ]" 20
'

test_expect_success 'an invalid config keeps the running one, with the message check gives' '
	cp "$T/fngw.ini" good.ini &&
	printf "%s\n" "$NEXT" | sed "s|\^/new|^/new(|" | conf &&
	"$FNGW" check -c "$T/fngw.ini" 2>check.err; cat check.err &&
	msg=$(sed "s/^fngw: //" check.err) && [ -n "$msg" ] &&
	test_must_fail "$FNGW" reload -c "$T/fngw.ini" 2>reload.err &&
	grep -qF "$msg" reload.err &&
	kill -HUP $GATEWAY_PID &&
	wait_for "grep -qF \"reload: \$msg; keeping the running configuration\" \"$T/fngw.log\"" 10 &&
	hcurl /new && [ "$code" = 200 ] && hcurl /hello && [ "$code" = 200 ] &&
	[ "$(cut -d" " -f2 "$T/fngw.pid")" = 6 ] && cp good.ini "$T/fngw.ini"
'

# status_ok FILE NAME: requests.ok of function NAME on the status page.
status_ok() {
	perl -MJSON::PP -e '
		local $/; my $j = JSON::PP->new->decode(<STDIN>);
		for (@{$j->{functions}}) {
			print $_->{requests}{ok}, "\n" if $_->{name} eq $ARGV[0];
		}' "$2" <"$1"
}

test_expect_success 'the status page: the new functions, counters carried over' '
	hcurl /fngw/status && [ "$code" = 200 ] &&
	ok=$(status_ok body hello) && say "hello ok: $ok" &&
	[ "$ok" -ge $((N / 2)) ] &&
	[ -n "$(status_ok body new)" ] && [ -z "$(status_ok body sleep)" ]
'

test_expect_success 'a tenant cap counts the slots taken under the old config too' '
	{ HC_BODY=s1.body HC_HEAD=s1.head hcurl "/slow?ms=2000" >/dev/null 2>&1 & s1=$!; } &&
	wait_for "[ \$(count_fn_procs sleep) = 1 ]" 10 &&
	kill -HUP $GATEWAY_PID &&
	wait_for "[ \"\$(cut -d\" \" -f2 $T/fngw.pid)\" = 7 ]" 10 &&
	hcurl "/slow?ms=10" && say "while the old one runs: $code" && [ "$code" = 503 ] &&
	json_error body tenant_limit head &&
	wait $s1 && [ "$(http_status s1.head)" = 200 ] &&
	hcurl "/slow?ms=10" && [ "$code" = 200 ]
'

# row_id RID: the ledger's id of request RID's row, once it is in.
row_id() { db "select id from invocations where request_id = '$1'"; }

test_expect_success 'new prices start a period in the ledger, which its writer keeps using' '
	periods=$(db "select count(*) from prices") &&
	{ printf "%s\n" "$NEXT"; printf "\n[billing]\nprice_per_request = 0.000001\n"; } | conf &&
	"$FNGW" reload -c "$T/fngw.ini" >reload.out && cat reload.out &&
	[ "$(db "select count(*) from prices")" = $((periods + 1)) ] &&
	[ "$(db "select per_request from prices order by id desc limit 1")" = 0.000001 ] &&
	hcurl /hello && [ "$code" = 200 ] && rid=$(hdr head X-Request-Id) &&
	wait_for "[ -n \"\$(row_id $rid)\" ]" 10 &&
	! grep -q "cannot be recorded\|disk I/O error" "$T/fngw.log"
'

test_expect_success 'fngw stops cleanly, and takes its pid file with it' '
	stop_gateway && [ "$GATEWAY_EXIT" = 0 ] && [ ! -e "$T/fngw.pid" ] &&
	no_fn_procs
'

test_done
