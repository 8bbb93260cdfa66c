#!/bin/sh
# t2200-php.t -- php-cgi as a fastcgi-mode function behind nginx, the
# way a shared host runs PHP: one process per instance
# (PHP_FCGI_CHILDREN=0 from fngw), warm between requests, retired by
# php-cgi itself after PHP_FCGI_MAX_REQUESTS without an error, and every
# request billed.
. "${0%/*}/../lib.sh"

php=$(command -v php-cgi) || skip_all "no php-cgi (make deps installs it)"
cp -L "$php" "$T/bin/php-cgi" && chmod 0755 "$T/bin/php-cgi" ||
    test_fatal "cannot copy php-cgi"
cp "$TOP/handlers/hello.php" "$T/bin/hello.php" && chmod 0644 "$T/bin/hello.php"

start_gateway - <<'INI'
@GATEWAY@
[fn.php]
route = ^/php(?:/(?<name>[^/]+))?$
methods = GET POST
exec = @BIN@/php-cgi
mode = fastcgi
env = SCRIPT_FILENAME=@BIN@/hello.php PHP_FCGI_MAX_REQUESTS=3
concurrency = 2
min_instances = 1
INI
start_nginx

body_val() { sed -n "s/^$1=//p" body; }

test_expect_success 'the instance kept warm is one php-cgi process' '
	wait_for "[ \$(count_fn_procs php-cgi) -eq 1 ]" 10
'

test_expect_success 'PHP answers, with the route capture and the request id' '
	hcurl /php/Ada && [ "$code" = 200 ] &&
	grep -q "^Hello from PHP .*, Ada!$" body &&
	[ "$(body_val request_id)" = "$(tr -d "\r" <head | sed -n "s/^X-Request-Id: //Ip")" ] &&
	pid1=$(body_val pid)
'

test_expect_success 'the next request is served warm by the same process' '
	hcurl /php/Bob && [ "$code" = 200 ] && [ "$(body_val pid)" = "$pid1" ]
'

test_expect_success 'php-cgi retiring itself after 3 requests costs no request' '
	: >pids && for i in 1 2 3 4 5 6 7 8 9 10; do
		hcurl "/php/n$i" && [ "$code" = 200 ] || return 1
		body_val pid >>pids
	done &&
	say "processes used: $(sort -u pids | wc -l)" &&
	[ "$(sort -u pids | wc -l)" -ge 3 ] &&
	[ "$(count_fn_procs php-cgi)" -le 2 ] &&
	! grep -q "fn=php status=5" "$T/fngw.log"
'

test_expect_success 'every request has its row: 12, all ok' '
	wait_for "[ \$(db \"select count(*) from invocations\") -eq 12 ]" 5 &&
	[ "$(db "select count(*) from invocations where outcome = '"'"'ok'"'"'")" -eq 12 ]
'

# php-cgi reads a record at a time: the empty STDIN that ends a body
# may still wait when it answers.  It must cost no request, nor a
# hang-up and a second's wait for the request to be sent again.
test_expect_success 'POSTs of 4 KiB, form and raw, one after another: all served at once' '
	head -c 3000 /dev/zero | tr "\0" x | sed "s/^/a=/" >form &&
	head -c 4096 /dev/urandom >raw &&
	start=$(now_ms) &&
	for i in 1 2 3 4 5 6; do
		hcurl /php/f$i --data-binary @form &&
		[ "$code" = 200 ] && [ "$(body_val body)" = 3002 ] || return 1
		hcurl /php/r$i --data-binary @raw \
		    -H "Content-Type: application/octet-stream" &&
		[ "$code" = 200 ] && [ "$(body_val body)" = 4096 ] || return 1
	done &&
	took=$(( $(now_ms) - start )) && say "12 POSTs took $took ms" &&
	! grep -q "hung up" "$T/fngw.log" && [ "$took" -lt 6000 ]
'

test_expect_success 'SIGTERM leaves no php-cgi behind' '
	stop_nginx && stop_gateway && [ "$GATEWAY_EXIT" = 0 ] &&
	wait_for no_fn_procs 5
'

test_done
