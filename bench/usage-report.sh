#!/bin/sh
# usage-report.sh -- how long `fngw usage` takes over a big ledger.
#
# fngw creates the ledger (its schema, indexes included, and the price
# period of a small config's [billing]); then the sqlite3 CLI fills it
# with ROWS rows in one transaction from a recursive CTE (the indexes
# dropped meanwhile and made again after, as SQLite builds an index
# faster from sorted data than row by row): ~10 functions of skewed
# popularity, 4 tenants and a few rows without one, 60 days ending
# today, outcomes mostly ok with errors, timeouts, throttled and
# rejected ones, memory per function, billed_ms spread over 1-3000 ms.
# Then it times `fngw usage -c CONFIG --by tenant,day` and `--by
# function` (RUNS runs each, wall clock), reports each run, the best
# and the goal; the report goes to bench/out/usage-report.txt.
#
# Knobs (environment):
#	ROWS=10000000		rows in the ledger
#	RUNS=3			timed runs of each report
#	FNGW=gateway/fngw
#	BENCH_OUT=bench/out	where the report goes

set -eu

bench=usage-report
top=$(cd "$(dirname "$0")/.." && pwd -P)
. "$top/bench/lib.sh"
FNGW=${FNGW:-$top/gateway/fngw}
ROWS=${ROWS:-10000000}
RUNS=${RUNS:-3}
out=${BENCH_OUT:-$top/bench/out}
report=$out/$bench.txt
GOAL_S=3

case $ROWS$RUNS in
'' | *[!0-9]*)	die "ROWS and RUNS are numbers" ;;
esac
[ "$ROWS" -ge 1 ] && [ "$RUNS" -ge 1 ] || die "ROWS and RUNS are >= 1"
[ -x "$FNGW" ] || die "no $FNGW: make"
[ -x "$top/handlers/hello" ] || die "no handlers/hello: make handlers"
command -v sqlite3 >/dev/null || die "no sqlite3: make deps"

trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$out"
: >"$report.tmp"
scratch_setup run bin
copy_handlers hello
db=$tmp/usage.db

# Epoch milliseconds.
now_ms() {
	date +%s%3N
}

# Seconds since $1 (epoch ms), with 3 decimals.
since() {
	awk -v a="$1" -v b="$(now_ms)" \
	    'BEGIN { printf "%.3f\n", (b - a) / 1000 }'
}

# The small config: its prices are the ledger's one price period.
cat >"$tmp/fngw.ini" <<EOF
[gateway]
listen = unix:$tmp/fngw.sock
listen_mode = 0666
runtime_dir = $tmp/run
billing_db = $db
node = bench
log_level = warn

[billing]
price_per_request = 0.0000002
price_per_gb_second = 0.0000166667
granularity = 1ms
currency = USD

[fn.hello]
route = ^/hello\$
exec = $tmp/bin/hello
EOF

# fngw makes the ledger; it is stopped before the rows go in.
"$FNGW" serve -c "$tmp/fngw.ini" 2>"$tmp/fngw.log" &
fngw_pid=$!
wait_for 100 test -S "$tmp/fngw.sock" ||
    die "fngw did not start: $(cat "$tmp/fngw.log")"
stop_fngw
[ "$(sqlite3 "$db" "select value from meta where key = 'app'")" = fngw ] ||
    die "fngw did not make its ledger"
version=$(sqlite3 "$db" 'PRAGMA user_version')
# fngw's indexes of invocations, to drop while the rows go in and make
# again after.
ix_make=$(sqlite3 "$db" "select sql || ';' from sqlite_master where type =
    'index' and tbl_name = 'invocations' and sql is not null")
ix_drop=$(sqlite3 "$db" "select 'DROP INDEX ' || name || ';' from
    sqlite_master where type = 'index' and tbl_name = 'invocations' and
    sql is not null")
ix_names=$(sqlite3 "$db" "select group_concat(name, ', ') from
    sqlite_master where type = 'index' and tbl_name = 'invocations' and
    sql is not null")

# The rows.  n is the row number, h = n * 2654435761 mod 2^32 a
# well-mixed hash of it for the spreads.  started_at rises with n (as
# the writer appends), over the 60 days before midnight UTC today.
gen_start=$(now_ms)
sqlite3 "$db" >"$tmp/gen.log" 2>&1 <<EOF ||
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
$ix_drop
BEGIN;
WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s
    WHERE n < $ROWS - 1),
r AS (SELECT n, n * 2654435761 % 4294967296 AS h FROM s),
f AS (SELECT n, h,
    CASE WHEN h % 100 < 30 THEN 0 WHEN h % 100 < 50 THEN 1
    WHEN h % 100 < 62 THEN 2 WHEN h % 100 < 72 THEN 3
    WHEN h % 100 < 80 THEN 4 WHEN h % 100 < 86 THEN 5
    WHEN h % 100 < 91 THEN 6 WHEN h % 100 < 95 THEN 7
    WHEN h % 100 < 98 THEN 8 ELSE 9 END AS fn FROM r)
INSERT INTO invocations(request_id, started_at, node, function, tenant,
    trigger, method, path, status, outcome, queue_us, duration_us,
    billed_ms, memory_mb, cpu_user_us, cpu_sys_us, max_rss_kb, bytes_in,
    bytes_out, cold_start, init_us, exit_code, signal)
SELECT printf('%08x%08x', h, n),
    (unixepoch('now', 'start of day') - 60 * 86400) * 1000000 +
	n * (5184000000000 / $ROWS) + h % (5184000000000 / $ROWS),
    'web' || (h % 2 + 1),
    'fn' || fn,
    CASE WHEN fn = 9 THEN NULL ELSE CASE fn % 4 WHEN 0 THEN 'acme'
	WHEN 1 THEN 'globex' WHEN 2 THEN 'initech' ELSE 'umbrella' END END,
    CASE WHEN h % 1000 = 0 THEN 'cron' ELSE 'http' END,
    CASE WHEN h % 7 = 0 THEN 'POST' ELSE 'GET' END,
    '/fn' || fn || '/' || (h % 1000),
    CASE WHEN h % 997 = 0 THEN 504 WHEN h % 101 = 0 THEN 503
	WHEN h % 89 = 0 THEN 405 WHEN h % 53 = 0 THEN 502 ELSE 200 END,
    CASE WHEN h % 997 = 0 THEN 'timeout' WHEN h % 101 = 0 THEN 'throttled'
	WHEN h % 89 = 0 THEN 'rejected' WHEN h % 53 = 0 THEN 'error'
	ELSE 'ok' END,
    h % 5000,
    1000 + h % 3000000,
    CASE WHEN h % 101 = 0 OR h % 89 = 0 THEN 0 ELSE 1 + h % 3000 END,
    128 << (fn % 5),
    h % 2000000, h % 300000, 20000 + h % 100000,
    h % 4096, h % 65536,
    h % 50 = 0, CASE WHEN h % 50 = 0 THEN 20000 + h % 200000 ELSE 0 END,
    CASE WHEN h % 53 = 0 THEN 1 ELSE 0 END, NULL
FROM f;
COMMIT;
$ix_make
PRAGMA wal_checkpoint(TRUNCATE);
EOF
    die "generation failed: $(cat "$tmp/gen.log")"
gen_s=$(since "$gen_start")
[ "$(sqlite3 "$db" 'select count(*) from invocations')" -eq "$ROWS" ] ||
    die "the ledger does not hold $ROWS rows"
bytes=$(wc -c <"$db")

# time_usage BY: RUNS runs of the report, each one's seconds on a line
# of $tmp/BY.s; the report of the last run in $tmp/BY.out.
time_usage() {
	: >"$tmp/$1.s"
	n=0
	while [ "$n" -lt "$RUNS" ]; do
		t0=$(now_ms)
		"$FNGW" usage -c "$tmp/fngw.ini" --db "$db" --by "$1" \
		    >"$tmp/$1.out" 2>"$tmp/$1.err" ||
		    die "fngw usage --by $1 failed: $(cat "$tmp/$1.err")"
		since "$t0" >>"$tmp/$1.s"
		n=$((n + 1))
	done
}

# best FILE: the smallest number in it.
best() {
	sort -n "$1" | head -n 1
}

time_usage tenant,day
time_usage function

say "# usage-report $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)," \
    "$(nproc) cpus, SQLite $(sqlite3 --version | cut -d' ' -f1)"
say "# ledger: $ROWS rows over 60 days, 10 functions, 4 tenants;" \
    "$((bytes / 1048576)) MiB; schema version $version; indexes" \
    "$ix_names; generated in $gen_s s"
say "# runs: wall clock of fngw usage -c CONFIG --db LEDGER --by ..." \
    "(page cache warm)"
say "--by tenant,day  $(tr '\n' ' ' <"$tmp/tenant,day.s")s;" \
    "best $(best "$tmp/tenant,day.s") s" \
    "($(($(wc -l <"$tmp/tenant,day.out") - 2)) rows)"
say "--by function    $(tr '\n' ' ' <"$tmp/function.s")s;" \
    "best $(best "$tmp/function.s") s" \
    "($(($(wc -l <"$tmp/function.out") - 2)) rows)"
say "TOTAL: $(tail -n 1 "$tmp/tenant,day.out" | tr -s ' ')"
say "goal: < $GOAL_S s"
say "--by tenant,day $(awk -v b="$(best "$tmp/tenant,day.s")" \
    -v g="$GOAL_S" 'BEGIN { print (b < g ? "met" : "not met") }')"

mv "$report.tmp" "$report"
echo "written: ${report#"$top"/}"
