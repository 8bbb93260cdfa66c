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

test_expect_success 'no instance hung up on a request' '
	! grep -q "hung up" "$T/fngw.log"
'

test_done
