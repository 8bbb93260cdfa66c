#!/bin/sh
# run-demo.sh PORT -- the demo behind `make run`: nginx on 127.0.0.1:PORT
# in front of fngw, both started from configs generated into run/.
#
# run/ gets fngw.ini (from conf/fngw.ini), nginx.conf (from
# nginx/demo.conf), a copy of Debian's fastcgi_params, the handlers in
# bin/ (functions run as nobody, who may not be able to read the work
# tree), the usage database, nginx's logs and temporary files.  fngw logs
# to this terminal.  Ctrl-C stops both servers and exits 0.

set -eu

port=${1:-8080}
case $port in
''|*[!0-9]*)	echo "usage: $0 PORT" >&2; exit 1 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd -P)
run=${RUN:-$top/run}		# RUN= puts the demo elsewhere (the tests do)
fngw=${FNGW:-$top/gateway/fngw}	# FNGW=build/san/fngw for the sanitizer build
fngw_pid=
nginx_pid=
nap_pid=

die() {
	echo "run-demo: $*" >&2
	exit 1
}

# Stop what we started, by pid: TERM, then KILL past a deadline.  After
# a Ctrl-C, the terminal has sent SIGINT to fngw and nginx too: give them
# a second to stop on their own, as a second signal cuts fngw's drain
# short.
stop() {
	trap - EXIT INT TERM
	if [ "${1-}" = int ]; then
		i=0
		while [ $i -lt 10 ] && { kill -0 "$fngw_pid" 2>/dev/null ||
		    kill -0 "$nginx_pid" 2>/dev/null; }; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	for pid in $nap_pid $nginx_pid $fngw_pid; do
		kill -TERM "$pid" 2>/dev/null || :
	done
	# fngw drains for up to its shutdown_timeout (30s by default).
	i=0
	while [ $i -lt 350 ]; do
		alive=
		for pid in $nginx_pid $fngw_pid; do
			if kill -0 "$pid" 2>/dev/null; then
				alive=1
			fi
		done
		if [ -z "$alive" ]; then
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	for pid in $nginx_pid $fngw_pid; do
		if kill -0 "$pid" 2>/dev/null; then
			echo "run-demo: pid $pid did not stop; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || :
		fi
	done
	wait 2>/dev/null || :
	rm -f "$run/fngw.pid"
}

# The generated files may hold no sed metacharacters from the paths.
case $top in
*[\|\&\\]*)	die "cannot use a checkout whose path holds | & or \\" ;;
esac
[ -x "$fngw" ] || die "no $fngw: run make first"
command -v nginx >/dev/null || die "no nginx: run make deps"
[ -r /etc/nginx/fastcgi_params ] || die "no /etc/nginx/fastcgi_params"

if [ -f "$run/fngw.pid" ] && pid=$(cat "$run/fngw.pid") &&
    kill -0 "$pid" 2>/dev/null; then
	die "a demo is already running (fngw pid $pid)"
fi

# run/ and run/bin must be reachable by nobody: the functions and nginx's
# workers run as that user.
umask 022
mkdir -p "$run/bin" "$run/nginx-tmp"
chmod 0755 "$run" "$run/bin"
for f in "$top"/handlers/*; do
	case $f in
	*.c|*.h) continue ;;
	*.php)	cp "$f" "$run/bin/" && chmod 0644 "$run/bin/${f##*/}"
		continue ;;
	esac
	[ -f "$f" ] && [ -x "$f" ] || continue
	cp "$f" "$run/bin/" && chmod 0755 "$run/bin/${f##*/}"
done
[ -x "$run/bin/hello" ] || die "no handlers/hello: run make first"

sed -e "s|@TOP@|$top|g" -e "s|@RUN@|$run|g" \
    -e "s|^\\(exec[ 	]*=[ 	]*\\)\\.\\./handlers/|\\1$run/bin/|" \
    "$top/conf/fngw.ini" >"$run/fngw.ini"
sed -e "s|@TOP@|$top|g" -e "s|@RUN@|$run|g" -e "s|@PORT@|$port|g" \
    "$top/nginx/demo.conf" >"$run/nginx.conf"
cp /etc/nginx/fastcgi_params "$run/fastcgi_params"

"$fngw" check -c "$run/fngw.ini" >"$run/check.out" 2>&1 || {
	cat "$run/check.out" >&2
	die "run/fngw.ini does not check out"
}

if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
	die "port $port is taken; try make run PORT=another"
fi

trap stop EXIT
trap 'stop int; exit 0' INT
trap 'stop; exit 0' TERM

rm -f "$run/fngw.sock"
"$fngw" serve -c "$run/fngw.ini" &
fngw_pid=$!
echo "$fngw_pid" >"$run/fngw.pid"

# Wait for fngw's socket, with a deadline.
i=0
until [ -S "$run/fngw.sock" ]; do
	kill -0 "$fngw_pid" 2>/dev/null || die "fngw exited at start-up"
	[ $i -lt 100 ] || die "no socket $run/fngw.sock after 10s"
	sleep 0.1
	i=$((i + 1))
done

rm -f "$run/nginx.pid"
nginx -p "$run" -c "$run/nginx.conf" -e "$run/nginx-error.log" &
nginx_pid=$!

# nginx writes its pid file once it has bound the port.  Wait for that,
# with a deadline, then for an answer through nginx and fngw.
i=0
until [ -s "$run/nginx.pid" ] &&
    curl -s -o /dev/null "http://127.0.0.1:$port/fngw/status"; do
	kill -0 "$nginx_pid" 2>/dev/null ||
	    die "nginx exited at start-up; see $run/nginx-error.log"
	[ $i -lt 100 ] || die "nginx does not answer on port $port after 10s"
	sleep 0.1
	i=$((i + 1))
done

u=http://127.0.0.1:$port
cat <<EOF

fngw is serving behind nginx at $u.  Try:

	curl $u/hello
	curl $u/hello/Ada
	curl -d hi '$u/echo/x?y=1'
	curl $u/sh
	curl $u/env
	curl $u/counter			(fastcgi: run it twice, same pid)
	curl $u/php/Ada			(php-cgi as a warm pool)
	curl $u/sleep?ms=3000		(past its 2s timeout: 504)
	curl $u/fngw/status		(?format=prometheus for Prometheus)

What the requests cost:

	gateway/fngw usage --db run/usage.db --by function

Configs: run/fngw.ini, run/nginx.conf; nginx logs in run/.  Ctrl-C stops.

EOF

# Wait until Ctrl-C, or until one of the servers dies.  A background
# sleep, because `wait` returns at once when a trapped signal arrives.
while kill -0 "$fngw_pid" 2>/dev/null && kill -0 "$nginx_pid" 2>/dev/null
do
	sleep 1 &
	nap_pid=$!
	wait "$nap_pid" || :
	nap_pid=
done
kill -0 "$fngw_pid" 2>/dev/null || echo "run-demo: fngw exited" >&2
kill -0 "$nginx_pid" 2>/dev/null ||
    echo "run-demo: nginx exited; see $run/nginx-error.log" >&2
exit 1
