#!/bin/sh
# t2150-warm-post.t -- POST bodies to a warm pool busier than its
# instances (found by bench/standing.sh: 4 KiB and 1 MiB POSTs stalled
# for seconds or ran into queue_timeout).  Two bugs, both fixed:
#  - a request whose body was already whole when it got an instance (it
#    had waited in the queue, or was sent again) sent the first 256 KiB
#    and then nothing: only the web server's next bytes or EPOLLOUT
#    called instance_body() again, and neither came;
#  - a kept connection after a body: a program that reads CONTENT_LENGTH
#    bytes and answers (libfcgi's way) can find the empty STDIN that
#    ends the body where it expects the next request, and hang up on it.
. "${0%/*}/../lib.sh"

use_handlers counter_fcgi
start_gateway - <<'INI'
@GATEWAY@
[fn.counter]
route         = ^/counter$
exec          = @BIN@/counter_fcgi
mode          = fastcgi
concurrency   = 2
max_body      = 4m
queue         = 64
queue_timeout = 20s
INI
start_nginx

head -c 1048576 /dev/urandom >big || test_fatal "cannot write big"
head -c 4096 /dev/urandom >small || test_fatal "cannot write small"

# posts FILE N: N POSTs of FILE at once; "CODE BODY=..." lines in posts.out.
posts() {
	: >posts.out
	ps_pids=
	for ps_i in $(seq 1 "$2"); do
		{ curl -sS --max-time 15 --data-binary "@$1" \
		    -w '%{http_code} ' -o "post.$ps_i" "$BASE/counter" \
		    >"code.$ps_i" 2>/dev/null; } &
		ps_pids="$ps_pids $!"
	done
	wait $ps_pids
	for ps_i in $(seq 1 "$2"); do
		echo "$(cat "code.$ps_i")$(grep '^body=' "post.$ps_i")" >>posts.out
	done
}

for size in big small; do
	want=$(wc -c <$size)
	for round in 1 2 3; do
		test_expect_success "8 POSTs of $want bytes to 2 instances at once (round $round): all in time" "
			start=\$(now_ms) && posts $size 8 && took=\$(( \$(now_ms) - start )) &&
			say \"took \$took ms: \$(sort posts.out | uniq -c | tr '\n' ' ')\" &&
			[ \$(grep -cx '200 body=$want' posts.out) = 8 ] && [ \$took -lt 5000 ]
		"
	done
done

# seq_posts FILE N: N POSTs of FILE one after another; "pid conns" lines
# in seq.out, and the count of 200s with the whole body in seq.ok.
seq_posts() {
	: >seq.out
	sp_ok=0
	for sp_i in $(seq 1 "$2"); do
		hcurl /counter --data-binary "@$1" || return 1
		[ "$code" = 200 ] && grep -qx "body=$(wc -c <"$1")" body &&
		    sp_ok=$((sp_ok + 1))
		echo "$(sed -n "s/^pid=//p" body) $(sed -n "s/^conns=//p" body)" \
		    >>seq.out
	done
	echo "$sp_ok" >seq.ok
}

# A small request goes to its instance in one write, read whole by
# libfcgi, end of body included: the connection is kept after it.
test_expect_success '20 POSTs of 4 KiB one after another keep their connections' '
	seq_posts small 20 && [ "$(cat seq.ok)" = 20 ] &&
	pids=$(cut -d" " -f1 seq.out | sort -u | wc -l) &&
	pairs=$(sort -u seq.out | wc -l) &&
	say "$pids instances, $pairs (instance, connection) pairs" &&
	[ "$pairs" = "$pids" ]
'

# Past libfcgi's first read it may leave the end of the body unread:
# a new connection for each.
test_expect_success '4 POSTs of 1 MiB one after another each get a new connection' '
	seq_posts big 4 && [ "$(cat seq.ok)" = 4 ] &&
	[ "$(sort -u seq.out | wc -l)" = 4 ]
'

test_expect_success 'no instance hung up on a request' '
	! grep -q "hung up" "$T/fngw.log"
'

test_done
