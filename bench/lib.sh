# lib.sh -- the shell functions the benchmarks in bench/ share: messages
# (warn, die, say), the scratch folder (scratch_setup, copy_handlers),
# nginx (nginx_conf, start_nginx), stopping what they started (cleanup,
# stop_fngw), polling (wait_for, not_running, answers), a free port, the
# nginx snippet (need_snippet, snippet), wrk scripts (post_lua), and the
# measures (rate, rss_kb, mean).  POSIX sh,
# for dash.
#
# A script sets -eu, its name and top, then sources this file:
#
#	bench=standing		# in messages
#	top=$(cd "$(dirname "$0")/.." && pwd -P)
#	. "$top/bench/lib.sh"
#
# and later sets what the functions read: report (say writes to
# $report.tmp, cleanup removes it), fngw_pid as it starts fngw, and
# THREADS, CONNS and DURATION for rate.  scratch_setup makes tmp, the
# scratch folder the others work in; start_nginx sets nginx_pid.
# cleanup also stops the process groups led by the pids in group_pids,
# and the pids listed in the file pid_file (read when cleanup runs).
# Install it first, then make the scratch folder and start nginx:
#
#	trap cleanup EXIT
#	trap 'exit 1' INT TERM
#	scratch_setup bin nginx run	# $tmp and these folders in it
#	copy_handlers hello		# handlers/hello to $tmp/bin
#	port=$(free_port) || die "no free port"
#	nginx_conf <<EOF
#		upstream fngw { server unix:$tmp/fngw.sock; }
#		server { listen 127.0.0.1:$port; ... }
#	EOF
#	start_nginx
#
# (start_nginx wants the folder nginx.)  The functions use the
# globals i, n, p, h, hex, pid and more_pids: a script keeps its own
# loops' counters out of those.

tmp=
nginx_pid=
fngw_pid=
group_pids=
pid_file=

warn() {
	echo "$bench: $*" >&2
}

die() {
	warn "$@"
	exit 1
}

# A line on stdout and in the report.
say() {
	printf '%s\n' "$*" | tee -a "$report.tmp"
}

# Stop everything we started, by pid (a process group by its leader, to
# include its preforked children), with a deadline; remove the scratch
# folder and the unfinished report.  fngw stops its own instances.
cleanup() {
	trap - EXIT INT TERM
	more_pids=
	if [ -n "$pid_file" ] && [ -s "$pid_file" ]; then
		more_pids=$(cat "$pid_file")
	fi
	signal_all TERM
	wait_for 100 all_stopped || :
	signal_all KILL
	# Any background job whose pid we never recorded (the script was
	# stopped between starting it and saving its pid) must not keep the
	# final wait from returning.
	for p in $(jobs -p); do
		kill -KILL "$p" 2>/dev/null || :
	done
	wait 2>/dev/null || :
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
	rm -f "$report.tmp"
}

# Send signal $1 to what cleanup stops.
signal_all() {
	for pid in $nginx_pid $fngw_pid $more_pids; do
		kill -s "$1" "$pid" 2>/dev/null || :
	done
	for pid in $group_pids; do
		kill -s "$1" -- "-$pid" 2>/dev/null || :
	done
}

# Whether all that cleanup stops (a group by its leader) has exited.
all_stopped() {
	for pid in $nginx_pid $fngw_pid $more_pids $group_pids; do
		not_running "$pid" || return 1
	done
}

# Poll until a command succeeds, at most $1 tenths of a second.
wait_for() {
	n=$1
	shift
	i=0
	until "$@"; do
		[ $i -lt "$n" ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

not_running() {
	! kill -0 "$1" 2>/dev/null
}

# Whether URL $1 answers with a line that matches the regex $2.
answers() {
	curl -s --max-time 5 "$1" 2>/dev/null | grep -q "$2"
}

# Stop fngw alone (it does not work), with a deadline.
stop_fngw() {
	kill -TERM "$fngw_pid" 2>/dev/null || :
	wait_for 100 not_running "$fngw_pid" ||
	    kill -KILL "$fngw_pid" 2>/dev/null || :
	wait "$fngw_pid" 2>/dev/null || :
	fngw_pid=
}

# Make the scratch folder, tmp, and the folders $1... in it.  It is
# world-traversable: nginx's workers and the functions run as nobody.
scratch_setup() {
	tmp=$(mktemp -d /tmp/fngw-bench.XXXXXX)
	chmod 0755 "$tmp"
	for h in "$@"; do
		mkdir -p "$tmp/$h"
	done
}

# The benchmarks rewrite nginx/fngw.conf's fastcgi_pass line and rely on
# its kept connections: die unless both lines are there as they expect.
need_snippet() {
	for ns_line in 'fastcgi_pass fngw;' 'fastcgi_keep_conn on;'; do
		grep -qx "$ns_line" "$top/nginx/fngw.conf" ||
		    die "nginx/fngw.conf has no line '$ns_line'"
	done
}

# nginx/fngw.conf on stdout with fastcgi_pass UPSTREAM ($1) and
# fastcgi_keep_conn on or off ($2): the location every benchmark
# includes, for fngw's upstreams and its peers' alike.
snippet() {
	sed -e "s/^fastcgi_pass fngw;\$/fastcgi_pass $1;/" \
	    -e "s/^fastcgi_keep_conn on;\$/fastcgi_keep_conn $2;/" \
	    "$top/nginx/fngw.conf"
}

# Copy handlers/NAME... to $tmp/bin, runnable by anyone.
copy_handlers() {
	for h in "$@"; do
		install -m 0755 "$top/handlers/$h" "$tmp/bin/$h"
	done
}

# Write $tmp/nginx.conf: the part all the benchmarks share (one worker,
# in the foreground; its pid file, log and temporary files in the
# scratch folder), then the rest of the http {} block from stdin (the
# upstreams and the server), then the block's end.  The config's folder
# gets a copy of fastcgi_params, which nginx/fngw.conf includes.
nginx_conf() {
	cp /etc/nginx/fastcgi_params "$tmp/fastcgi_params"
	{
		cat <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	proxy_temp_path $tmp/nginx/proxy;
	scgi_temp_path $tmp/nginx/scgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;

EOF
		cat
		echo '}'
	} >"$tmp/nginx.conf"
}

# Start nginx on $tmp/nginx.conf, its prefix $tmp/nginx, and wait for
# its pid file, at most 10 seconds; its pid in nginx_pid.
start_nginx() {
	nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" -e "$tmp/nginx/error.log" &
	nginx_pid=$!
	wait_for 100 test -s "$tmp/nginx.pid" ||
	    die "nginx did not start: $(cat "$tmp/nginx/error.log")"
}

# A 127.0.0.1 port in 20000-31999 (below the ephemeral range, which
# clients take their ports from) that nothing listens on (by
# /proc/net/tcp; nginx failing to bind is the backstop).
free_port() {
	i=0
	while [ $i -lt 50 ]; do
		p=$(awk -v s="$$$i" \
		    'BEGIN { srand(s); print 20000 + int(rand() * 12000) }')
		hex=$(printf '%04X' "$p")
		if ! awk 'NR > 1 && $4 == "0A" { print $2 }' /proc/net/tcp \
		    /proc/net/tcp6 2>/dev/null | grep -q ":$hex\$"; then
			echo "$p"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

# wrk's Requests/sec, or "-" when the run had errors: rate [OPTION...]
# URL, the options wrk's beyond -t -c -d (--latency).  wrk's whole
# output stays in $tmp/wrk.out.
rate() {
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$@" >"$tmp/wrk.out" 2>&1 ||
	    { cat "$tmp/wrk.out" >&2; echo -; return 0; }
	if grep -Eq 'Non-2xx|Socket errors' "$tmp/wrk.out"; then
		grep -E 'Non-2xx|Socket errors' "$tmp/wrk.out" >&2
		echo -
		return 0
	fi
	awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.out"
}

# $tmp/postSIZE.lua: a wrk script that POSTs SIZE bytes of 'x' as
# application/octet-stream.
post_lua() {
	cat >"$tmp/post$1.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.body = string.rep("x", $1)
EOF
}

# VmRSS (or another field of /proc/PID/status) in kB.
rss_kb() {
	awk -v f="${2:-VmRSS}:" '$1 == f { print $2 }' "/proc/$1/status"
}

# The sum $1 over $2 runs, to one decimal, or "-" for no runs.
mean() {
	awk -v s="$1" -v n="$2" \
	    'BEGIN { if (n > 0) printf "%.1f", s / n; else print "-" }'
}
