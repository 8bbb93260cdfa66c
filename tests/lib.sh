# lib.sh -- the shell test harness of tests/gateway, tests/nginx and
# tests/apache.
#
# Sourced by every tests/*/t*.t (POSIX sh; dash runs it):
#
#	. "${0%/*}/../lib.sh"
#	start_gateway basic.ini
#	test_expect_success 'hello answers' '
#		fcgi_request GET /hello >out && grep -q "Hello, world!" out
#	'
#	test_done
#
# Prints TAP.  Test bodies are eval'ed in the script's own shell, so
# variables set in one test are seen by the next.  Each script gets a
# temporary directory $T (mode 0755, it is also the current directory);
# every process the harness starts is recorded by pid and stopped at
# exit (trap), never by name.  KEEP=1 keeps $T; VERBOSE=1 shows logs of
# passing tests too.  FNGW selects the gateway binary.

TOP=$(cd "${0%/*}/../.." && pwd)
TESTS=$TOP/tests
FIXTURES=$TESTS/fixtures/gw
TOOLS=$TOP/build/tools
: "${FNGW:=$TOP/gateway/fngw}"
case $FNGW in /*) ;; *) FNGW=$PWD/$FNGW ;; esac
export LC_ALL=C
unset CDPATH

test_count=0
test_failed=0
test_fixed=0
test_broken=0
GATEWAY_PID=
NGINX_PID=
NGINX_PORT=
APACHE_PID=
APACHE_PORT=
HARNESS_PIDS=
GATEWAY_EXIT=
FN_USER=nobody

# Never let a test read the terminal or an inherited pipe by accident.
exec </dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/fngw-${0##*/}.XXXXXX") || {
	echo "Bail out! cannot make a temporary directory"
	exit 1
}
chmod 0755 "$T"
mkdir -p "$T/bin"
chmod 0755 "$T/bin"
cd "$T" || exit 1

say() { printf '# %s\n' "$*"; }

# Show the last lines of a file as TAP comments.
show_tail() {
	[ -s "$1" ] || return 0
	printf '# --- last lines of %s\n' "${1##*/}"
	tail -n "${2:-15}" "$1" | sed 's/^/#   /'
}

show_logs() {
	show_tail "$T/fngw.log" 20
	for sl_n in $NODES; do
		show_tail "$T/$sl_n.log" 20
	done
	show_tail "$T/nginx/error.log" 10
	show_tail "$T/apache/error.log" 10
}

# ---------------------------------------------------------------- TAP

test_ok_() {
	test_count=$((test_count + 1))
	printf 'ok %d - %s\n' "$test_count" "$1"
}

test_failure_() {
	test_count=$((test_count + 1))
	test_failed=$((test_failed + 1))
	printf 'not ok %d - %s\n' "$test_count" "$1"
	shift
	printf '%s\n' "$*" | sed 's/^/#\t/'
	show_logs
}

test_run_() {
	test_body_=$1
	eval "$test_body_"
}

# test_expect_success [PREREQ] 'description' 'body'
test_expect_success() {
	if [ $# -eq 3 ]; then
		if ! test_have_prereq "$1"; then
			test_count=$((test_count + 1))
			printf 'ok %d # skip %s (missing %s)\n' "$test_count" \
			    "$2" "$1"
			return 0
		fi
		shift
	fi
	[ $# -eq 2 ] || { echo "Bail out! test_expect_success: bad args"; exit 1; }
	if test_run_ "$2"; then
		test_ok_ "$1"
		[ -z "${VERBOSE-}" ] || show_logs
	else
		test_failure_ "$1" "$2"
	fi
}

# A known breakage: reported as TODO, so prove does not count it.
test_expect_failure() {
	[ $# -eq 2 ] || { echo "Bail out! test_expect_failure: bad args"; exit 1; }
	if test_run_ "$2"; then
		test_fixed=$((test_fixed + 1))
		test_count=$((test_count + 1))
		printf 'ok %d - %s # TODO known breakage vanished\n' \
		    "$test_count" "$1"
	else
		test_broken=$((test_broken + 1))
		test_count=$((test_count + 1))
		printf 'not ok %d - %s # TODO known breakage\n' "$test_count" "$1"
	fi
}

# test_must_fail CMD...: CMD exits non-zero, but not by a signal.
test_must_fail() {
	"$@"
	tmf_rc=$?
	if [ $tmf_rc -eq 0 ]; then
		say "test_must_fail: command succeeded: $*"
		return 1
	elif [ $tmf_rc -gt 128 ] && [ $tmf_rc -le 192 ]; then
		say "test_must_fail: died of signal $((tmf_rc - 128)): $*"
		return 1
	fi
	return 0
}

PREREQS=
test_set_prereq() { PREREQS="$PREREQS $1 "; }
test_have_prereq() {
	case $PREREQS in *" $1 "*) return 0 ;; esac
	return 1
}

skip_all() {
	printf '1..0 # SKIP %s\n' "$*"
	harness_cleanup_
	trap - EXIT
	exit 0
}

# A set-up step failed: report it as a failing test and stop.
test_fatal() {
	test_failure_ "setup: $*" ""
	test_done
}

# ---------------------------------------------------------------- helpers

# now_ms: epoch milliseconds.
now_ms() { date +%s%3N; }

# wait_for 'shell condition' [seconds]: poll every 50 ms until the
# condition holds; 1 (and a comment) when the deadline passes.
wait_for() {
	wf_end=$(( $(now_ms) + ${2:-10} * 1000 ))
	while :; do
		if eval "$1"; then
			return 0
		fi
		if [ "$(now_ms)" -ge "$wf_end" ]; then
			say "wait_for: timed out after ${2:-10}s: $1"
			return 1
		fi
		sleep 0.05
	done
}

# Is pid alive and not a zombie?
pid_alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	pa_state=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) ||
	    return 1
	[ -n "$pa_state" ] && [ "$pa_state" != Z ] && [ "$pa_state" != X ]
}

# Remember a pid so that the exit trap stops it.
track_pid() { HARNESS_PIDS="$HARNESS_PIDS $1"; }

# kill_wait PID [SIGNAL] [SECONDS]: signal, wait with a deadline, then
# SIGKILL.  Returns the exit status when PID is our child.
kill_wait() {
	kw_pid=$1
	pid_alive "$kw_pid" || { wait "$kw_pid" 2>/dev/null; return $?; }
	kill "-${2:-TERM}" "$kw_pid" 2>/dev/null
	if ! wait_for "! pid_alive $kw_pid" "${3:-10}" >/dev/null; then
		say "pid $kw_pid did not stop on SIG${2:-TERM}: SIGKILL"
		kill -KILL "$kw_pid" 2>/dev/null
	fi
	wait "$kw_pid" 2>/dev/null
}

# Build a tests/tools/NAME.c helper into build/tools/NAME unless it is
# there and newer than its source (the Makefile builds them too).
tool() {
	tl_src=$TESTS/tools/$1.c
	tl_bin=$TOOLS/$1
	if [ ! -x "$tl_bin" ] || [ "$tl_src" -nt "$tl_bin" ]; then
		mkdir -p "$TOOLS"
		${CC:-cc} -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 \
		    -o "$tl_bin.$$" "$tl_src" &&
		    mv -f "$tl_bin.$$" "$tl_bin" ||
		    { rm -f "$tl_bin.$$"; return 1; }
	fi
	printf '%s\n' "$tl_bin"
}

FCGIRAW=$(tool fcgiraw) || { echo "Bail out! cannot build fcgiraw"; exit 1; }
FREEPORT=$(tool freeport) || { echo "Bail out! cannot build freeport"; exit 1; }

# fcgiraw [ARGS...]: the raw client against this test's gateway socket.
fcgiraw() { "$FCGIRAW" -t "${RAW_TIMEOUT:-10}" -s "$T/fngw.sock" "$@"; }

# free_port: a free TCP port on 127.0.0.1.
free_port() { "$FREEPORT"; }

# use_handlers NAME...: copy handlers/NAME into $T/bin (mode 0755), so
# that user nobody can run them whatever the checkout's permissions.
use_handlers() {
	for uh in "$@"; do
		if [ ! -f "$TOP/handlers/$uh" ]; then
			test_fatal "handler handlers/$uh is not built (make handlers)"
		fi
		cp "$TOP/handlers/$uh" "$T/bin/$uh" && chmod 0755 "$T/bin/$uh" ||
		    test_fatal "cannot copy handler $uh"
	done
}

# fn_procs [NAME]: pids of processes running a program from $T/bin
# (NAME: only $T/bin/NAME), whatever their user or group, plus zombie
# children of fngw.  Scoped to this test's $T, so test files running in
# parallel do not see each other's functions.
fn_procs() {
	perl -e '
		my ($want, $gw) = @ARGV;
		for my $d (glob "/proc/[0-9]*") {
			my ($pid) = $d =~ m{(\d+)$};
			next if $pid == $$;
			my $exe = readlink("$d/exe") // "";
			if (index($exe, $want) == 0) { print "$pid\n"; next }
			my $cmd = "";
			if (open my $f, "<", "$d/cmdline") { local $/; $cmd = <$f> // "" }
			# a script: the interpreter is the exe, the path an argument
			if (grep { index($_, $want) == 0 } split /\0/, $cmd) {
				print "$pid\n"; next;
			}
			next unless $gw;
			open my $s, "<", "$d/stat" or next;
			my $st = <$s> // next;
			my ($state, $ppid) = $st =~ /\) (\S) (\d+)/ or next;
			print "$pid\n" if $state eq "Z" && $ppid == $gw;
		}' "$T/bin/${1-}" "${GATEWAY_PID:-0}"
}

# count_fn_procs [NAME]
count_fn_procs() { fn_procs "${1-}" | wc -l | tr -d ' '; }

# no_fn_procs [NAME]: true when no function process of this test is left.
no_fn_procs() { [ "$(count_fn_procs "${1-}")" -eq 0 ]; }

# procs_of_user USER: pids of USER's processes (all tests share nobody:
# prefer fn_procs).
procs_of_user() { pgrep -u "$1" 2>/dev/null; return 0; }

# descendants PID: every live descendant of PID.
descendants() {
	dd_list=$1
	dd_out=
	while [ -n "$dd_list" ]; do
		dd_next=
		for dd_p in $dd_list; do
			for dd_c in $(cat /proc/"$dd_p"/task/*/children 2>/dev/null); do
				dd_out="$dd_out $dd_c"
				dd_next="$dd_next $dd_c"
			done
		done
		dd_list=$dd_next
	done
	for dd_p in $dd_out; do echo "$dd_p"; done
}

# pgrp_procs PGID: pids in process group PGID.
pgrp_procs() {
	perl -e 'for (glob "/proc/[0-9]*/stat") { open my $f, "<", $_ or next;
		my $s = <$f> // next; my ($pid) = m{/proc/(\d+)/};
		my @f = split / /, ($s =~ /\) (.*)/)[0];
		print "$pid\n" if $f[2] == $ARGV[0] }' "$1"
}

# zombies_of PID: zombie children of PID.
zombies_of() {
	perl -e 'for (glob "/proc/[0-9]*/stat") { open my $f, "<", $_ or next;
		my $s = <$f> // next; my ($pid) = m{/proc/(\d+)/};
		my @f = split / /, ($s =~ /\) (.*)/)[0];
		print "$pid\n" if $f[0] eq "Z" && $f[1] == $ARGV[0] }' "$1"
}

# vmrss_kb PID
vmrss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# db "SQL": query the usage ledger.
# With a busy timeout: a reader can find the ledger locked for a moment
# (the gateway's last connection, closing, checkpoints and removes the
# WAL under an exclusive lock; seen as "database is locked" in CI).
db() { sqlite3 -batch -bail -cmd ".timeout 5000" "$T/usage.db" "$@"; }

# Is the gateway binary a sanitizer build?
fngw_is_sanitized() {
	case $FNGW in */build/san/*) return 0 ;; esac
	grep -q -a '__asan_init' "$FNGW" 2>/dev/null
}

# ---------------------------------------------------------------- fngw

# gateway_section [EXTRA LINES]: the [gateway] section every test uses
# (a node's, see start_node, when GWS_NAME is set).
gateway_section() {
	if [ -n "${GWS_NAME-}" ]; then
		gs_sock=$T/$GWS_NAME.sock gs_run=$T/$GWS_NAME
		gs_db=$T/$GWS_NAME.db gs_node=$GWS_NAME
	else
		gs_sock=$T/fngw.sock gs_run=$T gs_db=$T/usage.db gs_node=test
	fi
	cat <<EOF
[gateway]
listen       = unix:$gs_sock
listen_mode  = 0666
runtime_dir  = $gs_run
billing_db   = $gs_db
user         = $FN_USER
node         = $gs_node
log_level    = ${GW_LOG_LEVEL:-info}
shutdown_timeout = 5s
kill_grace   = 500ms
${1-}
EOF
}

# write_config TEMPLATE|- [OUT]: a template from tests/fixtures/gw/ (or a
# path, or - for stdin) with @T@ -> $T, @BIN@ -> $T/bin, @GATEWAY@ ->
# the standard [gateway] section.
write_config() {
	wc_out=${2:-$T/fngw.ini}
	case $1 in
	-)	wc_src=$T/.config.in; cat >"$wc_src" ;;
	/*)	wc_src=$1 ;;
	*)	wc_src=$FIXTURES/$1 ;;
	esac
	[ -f "$wc_src" ] || { say "no config template $1"; return 1; }
	gateway_section >"$T/.gateway_section"
	awk -v t="$T" -v sec="$T/.gateway_section" '
		/^@GATEWAY@[ \t]*$/ {
			while ((getline l < sec) > 0) print l
			next
		}
		{ gsub(/@BIN@/, t "/bin"); gsub(/@T@/, t); print }
	' "$wc_src" >"$wc_out"
}

# socket_accepts PATH: something accepts connections on the unix socket.
socket_accepts() {
	[ -S "$1" ] || return 1
	"$FCGIRAW" -t 1 -s "$1" close >/dev/null 2>&1
}

# start_gateway [TEMPLATE|-]: write $T/fngw.ini, run `fngw serve` with
# stderr to $T/fngw.log (FNGW_ENV: extra environment, as for env(1)),
# wait until its socket accepts (10 s).
start_gateway() {
	if [ $# -gt 0 ]; then
		write_config "$1" || test_fatal "cannot write the config"
	fi
	[ -x "$FNGW" ] || test_fatal "gateway binary $FNGW is not built"
	serve_on "$T/fngw.ini" "$T/fngw.sock" "$T/fngw.log"
	GATEWAY_PID=$SERVED_PID
	[ "$SERVED_OK" = 1 ] ||
	    test_fatal "fngw did not start listening on $T/fngw.sock"
}

# serve_on INI SOCKET LOG: fngw serve -c INI in the background, stderr
# to LOG (FNGW_ENV: extra environment), tracked; waits until SOCKET
# accepts (10 s).  Its pid in SERVED_PID; SERVED_OK 1 when it listens,
# else 0 (with LOG's tail shown).
serve_on() {
	rm -f "$2"
	# shellcheck disable=SC2086
	env ${FNGW_ENV-} "$FNGW" serve -c "$1" >>"$3" 2>&1 &
	SERVED_PID=$!
	track_pid "$SERVED_PID"
	SERVED_OK=1
	if ! wait_for "socket_accepts '$2' || ! pid_alive $SERVED_PID" 10 ||
	    ! pid_alive "$SERVED_PID"; then
		show_tail "$3" 30
		SERVED_OK=0
	fi
}

gateway_pid() { echo "$GATEWAY_PID"; }

# stop_gateway [SIGNAL]: stop fngw, wait for it; its exit status is in
# GATEWAY_EXIT (and returned).
# Descendants still alive after fngw exits are reported and killed (by
# pid): fngw must leave none.
stop_gateway() {
	[ -n "$GATEWAY_PID" ] || return 0
	sg_desc=$(descendants "$GATEWAY_PID")
	kill_wait "$GATEWAY_PID" "${1:-TERM}" 15
	GATEWAY_EXIT=$?
	GATEWAY_PID=
	for sg_p in $sg_desc; do
		if pid_alive "$sg_p"; then
			say "fngw left process $sg_p behind: $(tr '\0' ' ' </proc/$sg_p/cmdline 2>/dev/null)"
			kill -KILL "$sg_p" 2>/dev/null
		fi
	done
	return $GATEWAY_EXIT
}

# ---------------------------------------------------------------- nodes
#
# Several fngw behind one web server (tests/nginx/t2600-nodes.t).  Node
# NAME (letters, digits, _) is an fngw of its own beside the one of
# start_gateway: config $T/NAME.ini, socket $T/NAME.sock, ledger
# $T/NAME.db, log $T/NAME.log, runtime_dir $T/NAME, [gateway] node =
# NAME; its pid is in NODE_PID_NAME.  Put `server unix:$T/NAME.sock;`
# into NGINX_UPSTREAM to balance over them.

NODES=

# start_node NAME [TEMPLATE|-]: like start_gateway, for node NAME
# (@GATEWAY@ in the template is NAME's [gateway] section).  Without a
# template, NAME.ini is used as it is (a restart).  Call it in the
# test's own shell, not in a pipeline or $(...): what it records (the
# pid that the exit trap stops) would be lost with the subshell.
start_node() {
	nd_name=$1
	case $nd_name in
	''|*[!A-Za-z0-9_]*) test_fatal "start_node: bad node name '$nd_name'" ;;
	esac
	mkdir -p "$T/$nd_name" && chmod 0755 "$T/$nd_name" ||
	    test_fatal "cannot make $T/$nd_name"
	if [ $# -gt 1 ]; then
		GWS_NAME=$nd_name
		write_config "$2" "$T/$nd_name.ini" ||
		    { GWS_NAME=; test_fatal "cannot write $nd_name.ini"; }
		GWS_NAME=
	fi
	[ -x "$FNGW" ] || test_fatal "gateway binary $FNGW is not built"
	case " $NODES " in *" $nd_name "*) ;; *) NODES="$NODES $nd_name" ;; esac
	serve_on "$T/$nd_name.ini" "$T/$nd_name.sock" "$T/$nd_name.log"
	eval "NODE_PID_$nd_name=\$SERVED_PID"
	[ "$SERVED_OK" = 1 ] ||
	    test_fatal "node $nd_name did not start listening"
}

# node_pid NAME: the pid of node NAME (empty when stopped).
node_pid() { eval "printf '%s\n' \"\${NODE_PID_$1-}\""; }

# stop_node NAME [SIGNAL]: stop node NAME as stop_gateway stops fngw;
# returns its exit status (also in NODE_EXIT).  SIGKILL leaves its
# functions to die with it (they have PR_SET_PDEATHSIG).
stop_node() {
	sto_pid=$(node_pid "$1")
	[ -n "$sto_pid" ] || return 0
	sto_desc=$(descendants "$sto_pid")
	kill_wait "$sto_pid" "${2:-TERM}" 15
	NODE_EXIT=$?
	eval "NODE_PID_$1="
	for sto_p in $sto_desc; do
		[ "${2:-TERM}" != KILL ] ||
		    wait_for "! pid_alive $sto_p" 5 >/dev/null
		if pid_alive "$sto_p"; then
			say "node $1 left process $sto_p behind: $(tr '\0' ' ' </proc/$sto_p/cmdline 2>/dev/null)"
			kill -KILL "$sto_p" 2>/dev/null
		fi
	done
	return $NODE_EXIT
}

# node_db NAME "SQL": query node NAME's ledger.
node_db() { sqlite3 -batch -bail -cmd ".timeout 5000" "$T/$1.db" "$2"; }

# fcgi_request METHOD PATH [QUERY] [K=V ...]: one request with cgi-fcgi,
# the CGI response on stdout.  For POST, PUT and PATCH the body is stdin
# (CONTENT_LENGTH is its size).  K=V adds or overrides a param
# (HTTP_X_FOO=bar, REQUEST_ID=...); -K drops the default param K.
fcgi_request() {
	fr_method=$1 fr_path=$2 fr_query=${3-}
	shift 2
	[ $# -gt 0 ] && shift
	fr_body=$T/.fcgi_body.$$
	case $fr_method in
	POST|PUT|PATCH) cat >"$fr_body"; fr_len=$(wc -c <"$fr_body" | tr -d ' ') ;;
	*) : >"$fr_body"; fr_len= ;;
	esac
	fr_uri=$fr_path${fr_query:+?$fr_query}
	fr_drop=
	for fr_a; do
		case $fr_a in -*) fr_drop="$fr_drop ${fr_a#-}" ;; esac
	done
	set -- GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD="$fr_method" \
	    SCRIPT_NAME="$fr_path" REQUEST_URI="$fr_uri" \
	    DOCUMENT_URI="$fr_path" QUERY_STRING="$fr_query" \
	    CONTENT_LENGTH="$fr_len" \
	    ${fr_len:+CONTENT_TYPE=application/octet-stream} \
	    SERVER_NAME=localhost SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 \
	    SERVER_SOFTWARE=fngw-tests REMOTE_ADDR=127.0.0.1 REMOTE_PORT=40000 \
	    "$@"
	for fr_a; do
		shift
		case $fr_a in -*) continue ;; esac
		fr_skip=
		for fr_d in $fr_drop; do
			case $fr_a in "$fr_d="*) fr_skip=1 ;; esac
		done
		[ -n "$fr_skip" ] || set -- "$@" "$fr_a"
	done
	timeout 30 env -i "$@" cgi-fcgi -bind -connect "$T/fngw.sock" <"$fr_body"
}

# Parsing a CGI response (cgi-fcgi's output) or a curl -D header dump.
# resp_head FILE: the header block, CRs removed.
resp_head() {
	perl -0777 -ne 's/\r//g; print /\A(.*?\n)\n/s ? $1 : $_' "$1"
}
# resp_body FILE: the bytes after the first blank line.
resp_body() {
	perl -0777 -ne 'print $1 if /\A.*?\r?\n\r?\n(.*)\z/s' "$1"
}
# hdr FILE NAME: the value of header NAME (case-insensitive), first one.
hdr() {
	resp_head "$1" | awk -v n="$2" '
		BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit } }'
}
# cgi_status FILE: the CGI Status code of a response (200 when absent).
cgi_status() {
	cs_s=$(hdr "$1" Status)
	echo "${cs_s:-200}" | cut -d' ' -f1
}

# json_get FILE KEY: a top-level string or number of a JSON object.
json_get() {
	perl -MJSON::PP -e '
		my $k = shift; local $/; my $s = <STDIN>;
		my $j = eval { JSON::PP->new->decode($s) } or exit 1;
		ref $j eq "HASH" && exists $j->{$k} or exit 1;
		print $j->{$k}, "\n"' "$2" <"$1"
}

# json_error BODY CODE [HEADERS]: BODY is the SPEC's JSON error with this
# code, a message and a request_id (equal to X-Request-Id of HEADERS).
json_error() {
	je_code=$(json_get "$1" error) || { say "not a JSON error: $(head -c 300 "$1")"; return 1; }
	[ "$je_code" = "$2" ] || { say "error is '$je_code', want '$2'"; return 1; }
	json_get "$1" message >/dev/null || { say "no message"; return 1; }
	je_rid=$(json_get "$1" request_id) || { say "no request_id"; return 1; }
	valid_request_id "$je_rid" || { say "bad request_id '$je_rid'"; return 1; }
	if [ -n "${3-}" ]; then
		je_h=$(hdr "$3" X-Request-Id)
		[ "$je_h" = "$je_rid" ] || {
			say "X-Request-Id '$je_h' != request_id '$je_rid'"; return 1; }
		hdr "$3" Content-Type | grep -qi '^application/json' || {
			say "Content-Type is not application/json"; return 1; }
	fi
}

# valid_request_id ID: 1 to 64 of [A-Za-z0-9._-].
valid_request_id() {
	printf '%s' "$1" | grep -Eqx '[A-Za-z0-9._-]{1,64}'
}

# cgi_split FILE: FILE.head (CRs removed) and FILE.body from a CGI response.
cgi_split() { resp_head "$1" >"$1.head"; resp_body "$1" >"$1.body"; }

# ---------------------------------------------------------------- nginx

NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}

# start_nginx: nginx on a free 127.0.0.1 port in front of $T/fngw.sock;
# NGINX_SERVER_EXTRA is put inside server {}, NGINX_HTTP_EXTRA inside
# http {}, NGINX_LOCATION_EXTRA inside location / {}; NGINX_UPSTREAM,
# when set, is the inside of upstream fngw {} instead of our socket.  Sets NGINX_PORT and BASE (http://127.0.0.1:PORT).
start_nginx() {
	[ -x "$NGINX_BIN" ] || test_fatal "nginx is not installed (make deps)"
	mkdir -p "$T/nginx/tmp"
	sn_user=
	if [ "$(id -u)" = 0 ]; then
		sn_user="user nobody nogroup;"
		chown nobody "$T/nginx/tmp" 2>/dev/null
	fi
	sn_upstream=${NGINX_UPSTREAM:-"server unix:$T/fngw.sock; keepalive 16;"}
	for sn_try in 1 2 3 4 5; do
		NGINX_PORT=$(free_port) || test_fatal "no free port"
		cat >"$T/nginx.conf" <<EOF
$sn_user
daemon off;
master_process on;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log notice;
events { worker_connections 1024; }
http {
	access_log $T/nginx/access.log;
	log_format fngw '\$request_id \$status "\$request" \$upstream_status';
	client_body_temp_path $T/nginx/tmp/body;
	proxy_temp_path $T/nginx/tmp/proxy;
	fastcgi_temp_path $T/nginx/tmp/fastcgi;
	uwsgi_temp_path $T/nginx/tmp/uwsgi;
	scgi_temp_path $T/nginx/tmp/scgi;
	client_max_body_size 100m;
	upstream fngw {
		$sn_upstream
	}
	${NGINX_HTTP_EXTRA-}
	server {
		listen 127.0.0.1:$NGINX_PORT;
		server_name localhost;
		access_log $T/nginx/access.log fngw;
		location = /.harness-alive { return 204; }
		${NGINX_SERVER_EXTRA-}
		location / {
			fastcgi_pass fngw;
			fastcgi_keep_conn on;
			include /etc/nginx/fastcgi_params;
			fastcgi_param REQUEST_ID \$request_id;
			${NGINX_LOCATION_EXTRA-}
			# The stock snippet: request and response buffering stay
			# on.  With fastcgi_buffering off, nginx 1.22 ends a
			# response as complete when the upstream closes early,
			# so a cut-off reply would reach the client as whole.
		}
	}
}
EOF
		: >"$T/nginx/error.log"
		"$NGINX_BIN" -p "$T/nginx/" -c "$T/nginx.conf" \
		    -e "$T/nginx/error.log" >>"$T/nginx/stderr.log" 2>&1 &
		NGINX_PID=$!
		track_pid "$NGINX_PID"
		if wait_for "nginx_answers || ! pid_alive $NGINX_PID" 10 &&
		    pid_alive "$NGINX_PID"; then
			BASE=http://127.0.0.1:$NGINX_PORT
			return 0
		fi
		kill_wait "$NGINX_PID" TERM 5
		NGINX_PID=
		grep -q 'Address already in use' "$T/nginx/error.log" \
		    "$T/nginx/stderr.log" 2>/dev/null || break
		say "port $NGINX_PORT was taken; another try"
	done
	show_tail "$T/nginx/error.log" 20
	show_tail "$T/nginx/stderr.log" 20
	test_fatal "nginx did not start"
}

nginx_answers() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
	    "http://127.0.0.1:$NGINX_PORT/.harness-alive" 2>/dev/null)" = 204 ]
}

stop_nginx() {
	[ -n "$NGINX_PID" ] || return 0
	kill_wait "$NGINX_PID" TERM 10
	NGINX_PID=
}

# ---------------------------------------------------------------- Apache

APACHE_BIN=${APACHE_BIN:-$(command -v apache2 || echo /usr/sbin/apache2)}
APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}

# start_apache: Apache 2.4 in the foreground on a free 127.0.0.1 port in
# front of $T/fngw.sock, with only the modules it needs and all it
# writes in $T/apache.  What speaks to fngw is the shipped
# nginx/apache-fngw.conf with its socket path set to ours (or the file
# APACHE_FNGW_CONF, whose /run/fngw/fngw.sock is replaced the same way);
# APACHE_EXTRA goes into the server config before it;
# APACHE_NO_UNIQUE_ID=1 leaves mod_unique_id out.  The access log
# has lines "UNIQUE_ID X-Request-Id status "request"".  Sets
# APACHE_PORT, APACHE_BASE and BASE (http://127.0.0.1:PORT).
start_apache() {
	[ -x "$APACHE_BIN" ] ||
	    test_fatal "apache2 is not installed (make deps: apache2-bin)"
	mkdir -p "$T/apache/htdocs" "$T/apache/run"
	printf 'fngw-harness %s\n' "$T" >"$T/apache/htdocs/.harness-alive"
	sed "s|/run/fngw/fngw.sock|$T/fngw.sock|g" \
	    "${APACHE_FNGW_CONF:-$TOP/nginx/apache-fngw.conf}" \
	    >"$T/apache/fngw.conf" || test_fatal "cannot write fngw.conf"
	sa_uid="LoadModule unique_id_module $APACHE_MODULES/mod_unique_id.so"
	[ -z "${APACHE_NO_UNIQUE_ID-}" ] || sa_uid=
	sa_user=
	if [ "$(id -u)" = 0 ]; then
		sa_user="User nobody
Group nogroup"
	fi
	for sa_try in 1 2 3 4 5; do
		APACHE_PORT=$(free_port) || test_fatal "no free port"
		cat >"$T/apache.conf" <<EOF
ServerRoot $T/apache
DefaultRuntimeDir $T/apache/run
PidFile $T/apache/run/httpd.pid
ErrorLog $T/apache/error.log
LogLevel notice
$sa_user
Listen 127.0.0.1:$APACHE_PORT
ServerName localhost
LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule env_module $APACHE_MODULES/mod_env.so
LoadModule proxy_module $APACHE_MODULES/mod_proxy.so
LoadModule proxy_fcgi_module $APACHE_MODULES/mod_proxy_fcgi.so
$sa_uid
StartServers 1
ServerLimit 2
ThreadsPerChild 32
MaxRequestWorkers 64
MinSpareThreads 16
MaxSpareThreads 64
DocumentRoot $T/apache/htdocs
LogFormat "%{UNIQUE_ID}e %{X-Request-Id}o %>s \\"%r\\"" fngw
CustomLog $T/apache/access.log fngw
ProxyPass /.harness-alive !
${APACHE_EXTRA-}
Include $T/apache/fngw.conf
<Location /.harness-alive>
	SetHandler none
</Location>
EOF
		: >"$T/apache/error.log"
		"$APACHE_BIN" -d "$T/apache" -f "$T/apache.conf" -DFOREGROUND \
		    >>"$T/apache/stderr.log" 2>&1 &
		APACHE_PID=$!
		track_pid "$APACHE_PID"
		if wait_for "apache_answers || ! pid_alive $APACHE_PID" 10 &&
		    pid_alive "$APACHE_PID"; then
			APACHE_BASE=http://127.0.0.1:$APACHE_PORT
			BASE=$APACHE_BASE
			return 0
		fi
		kill_wait "$APACHE_PID" TERM 5
		APACHE_PID=
		grep -q 'Address already in use' "$T/apache/error.log" \
		    "$T/apache/stderr.log" 2>/dev/null || break
		say "port $APACHE_PORT was taken; another try"
	done
	show_tail "$T/apache/error.log" 20
	show_tail "$T/apache/stderr.log" 20
	test_fatal "apache did not start"
}

# Is it our Apache that answers (its token, not another server's)?
apache_answers() {
	[ "$(curl -s --max-time 2 \
	    "http://127.0.0.1:$APACHE_PORT/.harness-alive" 2>/dev/null)" = \
	    "fngw-harness $T" ]
}

stop_apache() {
	[ -n "$APACHE_PID" ] || return 0
	kill_wait "$APACHE_PID" TERM 10
	APACHE_PID=
}

# hcurl PATH [CURL ARGS...]: a request to $BASE (nginx or Apache); the
# body goes to ./body, the headers to ./head, the HTTP status to $code,
# curl's exit status to $curl_rc (and is returned).  PATH is sent as it
# is.
hcurl() {
	hc_path=$1
	shift
	code=$(curl -sS --path-as-is --max-time "${CURL_TIMEOUT:-30}" \
	    -o "${HC_BODY:-body}" -D "${HC_HEAD:-head}" -w '%{http_code}' "$@" \
	    "$BASE$hc_path")
	curl_rc=$?
	return $curl_rc
}

# http_status HEADFILE: the status code of a curl -D dump (last response).
http_status() { awk '/^HTTP\// { c = $2 } END { print c }' "$1"; }

# ---------------------------------------------------------------- the end

harness_cleanup_() {
	stop_nginx
	stop_apache
	stop_gateway >/dev/null 2>&1
	for hc_n in $NODES; do
		stop_node "$hc_n" >/dev/null 2>&1
	done
	for hc_pid in $HARNESS_PIDS; do
		if pid_alive "$hc_pid"; then
			kill -TERM "$hc_pid" 2>/dev/null
		fi
	done
	for hc_pid in $HARNESS_PIDS; do
		if pid_alive "$hc_pid"; then
			wait_for "! pid_alive $hc_pid" 3 >/dev/null ||
			    kill -KILL "$hc_pid" 2>/dev/null
		fi
	done
	# Functions fngw failed to reap: kill them, by pid, and say so.
	hc_left=$(fn_procs)
	if [ -n "$hc_left" ]; then
		say "left-over function processes: $(echo $hc_left)"
		kill -KILL $hc_left 2>/dev/null
	fi
	if [ -z "${KEEP-}" ] && [ "$test_failed" -eq 0 ]; then
		cd / && rm -rf "$T"
	elif [ -d "$T" ]; then
		say "test directory kept: $T"
	fi
}

# The logs have no sanitizer report, no nginx [alert]/[emerg], no
# Apache emerg/alert/crit and no Apache child killed by a signal
# (AH00052, logged at notice).
logs_clean_() {
	lc_bad=
	for lc_log in "$T/fngw.log" $(for lc_n in $NODES; do
	    echo "$T/$lc_n.log"; done); do
		if [ -f "$lc_log" ] && grep -E -n \
		    'ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer|ERROR: .*Sanitizer' \
		    "$lc_log" >"$T/.san" 2>/dev/null; then
			lc_bad="$lc_bad sanitizer report in ${lc_log##*/}"
			head -n 40 "$T/.san" | sed 's/^/#   /'
		fi
	done
	if [ -f "$T/nginx/error.log" ] && grep -E -n '\[(alert|emerg)\]' \
	    "$T/nginx/error.log" >"$T/.alert" 2>/dev/null; then
		lc_bad="$lc_bad [alert]/[emerg] in nginx's error.log"
		head -n 20 "$T/.alert" | sed 's/^/#   /'
	fi
	if [ -f "$T/apache/error.log" ] && grep -E -n \
	    '\[[a-z0-9_]*:(emerg|alert|crit)\]|AH00052|exit signal' \
	    "$T/apache/error.log" >"$T/.alert" 2>/dev/null; then
		lc_bad="$lc_bad emerg/alert/crit or a crash in Apache's error.log"
		head -n 20 "$T/.alert" | sed 's/^/#   /'
	fi
	[ -z "$lc_bad" ] || { say "$lc_bad"; return 1; }
}

test_done() {
	trap - EXIT
	td_logs=
	[ -f "$T/fngw.log" ] || [ -f "$T/nginx/error.log" ] && td_logs=1
	td_what="logs have no sanitizer report or nginx alert"
	if [ -f "$T/apache/error.log" ]; then
		td_logs=1
		td_what="logs have no sanitizer report or nginx/Apache alert"
	fi
	stop_nginx
	stop_apache
	stop_gateway >/dev/null 2>&1
	for td_n in $NODES; do
		stop_node "$td_n" >/dev/null 2>&1
		td_logs=1
	done
	if [ -n "$td_logs" ]; then
		if logs_clean_; then
			test_ok_ "$td_what"
		else
			test_failure_ "$td_what" ""
		fi
	fi
	printf '1..%d\n' "$test_count"
	if [ "$test_broken" -gt 0 ]; then
		say "$test_broken known breakage(s)"
	fi
	harness_cleanup_
	[ "$test_failed" -eq 0 ] && exit 0
	say "failed $test_failed of $test_count"
	exit 1
}

trap 'harness_cleanup_' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
