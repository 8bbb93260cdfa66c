#!/bin/sh
# t0800-report.t -- `fngw usage --format html` and `--prune-before` on a
# ledger fngw created, with known rows added by the sqlite3 CLI: the
# page is self-contained, has one bar per (day, tenant) with a cost,
# escapes a tenant named <b>&"x, and renders in headless Chromium (that
# part is skipped when chromium is not installed); pruning prints what
# goes, takes exactly the rows before the date while fngw writes, keeps
# the rest and its cost, leaves a sound database, and says so when the
# ledger stays busy.
. "${0%/*}/../lib.sh"

command -v sqlite3 >/dev/null || skip_all "no sqlite3 CLI (make deps)"
use_handlers hello echo sleep
start_gateway basic.ini

# us DATE: epoch microseconds of a UTC date-time (GNU date).
us() { echo "$(date -u -d "$1" +%s)000000"; }

EVIL='<b>&"x'
D1=$(us 2024-03-01T00:00:00Z)
D2=$(us 2024-03-02T00:00:00Z)

# One price period from 2024-01-01 for the rows below (fngw's own, from
# its start, bills the live requests).  Costs at these prices:
#   03-01 acme   hello  128 MB x 1 s:   0.0000002 + 0.125 GB-s x
#                0.0000166667 = 0.0000022833375
#   03-01 EVIL   resize 1 GB x 60 s:    0.0000002 + 60 x ... = 0.001000202
#   03-02 acme   hello  1 GB x 6 s:     0.0001002002 (and a rejected row
#                at 03-02T00:00:00.000000, kept by the prune, cost 0)
#   03-02 EVIL   resize throttled:      0, so no bar
#   03-03 (none) hello  2 GB x 30 s:    0.001000202
#   03-03 acme   resize 512 MB x 2 s:   0.0000168667
# plus a rejected acme row at 03-01T23:59:59.999999 (pruned, cost 0)
# and 200000 rejected rows in February (cost 0), so that the prune
# takes several batches while fngw writes.
cat >fixture.sql <<EOF
INSERT INTO prices(since, per_request, per_gb_second, granularity_ms,
    currency) VALUES ($(us 2024-01-01), '0.0000002', '0.0000166667', 1,
    'USD');
CREATE TEMP TABLE fx(at, us, fn, tenant, outcome, mem, billed);
INSERT INTO fx VALUES
    ('2024-03-01 10:00:00', 0, 'hello', 'acme', 'ok', 128, 1000),
    ('2024-03-01 11:00:00', 0, 'resize', '$EVIL', 'ok', 1024, 60000),
    ('2024-03-01 23:59:59', 999999, 'hello', 'acme', 'rejected', 128, 0),
    ('2024-03-02 00:00:00', 0, 'hello', 'acme', 'rejected', 128, 0),
    ('2024-03-02 09:00:00', 0, 'hello', 'acme', 'ok', 1024, 6000),
    ('2024-03-02 12:00:00', 0, 'resize', '$EVIL', 'throttled', 1024, 0),
    ('2024-03-03 08:00:00', 0, 'hello', NULL, 'ok', 2048, 30000),
    ('2024-03-03 23:59:59', 999999, 'resize', 'acme', 'ok', 512, 2000);
INSERT INTO invocations(request_id, started_at, node, function, tenant,
    trigger, method, path, status, outcome, billed_ms, memory_mb,
    cpu_user_us, cpu_sys_us)
    SELECT 'fx-' || rowid, unixepoch(at) * 1000000 + us, 'test', fn,
    tenant, 'http', 'GET', '/' || fn, 200, outcome, billed, mem, 1000, 0
    FROM fx;
WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s
    WHERE n < 199999)
INSERT INTO invocations(request_id, started_at, node, function, tenant,
    trigger, status, outcome, billed_ms, memory_mb)
    SELECT 'old-' || n, $(us 2024-02-01) + n * 10000000, 'test', 'hello',
    'acme', 'http', 405, 'rejected', 0, 128 FROM s;
EOF

test_expect_success 'known rows in the ledger fngw created' '
	[ "$(db "select value from meta where key = '"'app'"'")" = fngw ] &&
	db <fixture.sql &&
	[ "$(db "select count(*) from invocations")" -eq 200008 ] &&
	[ "$(db "select count(*) from invocations where tenant = '"'"'$EVIL'"'"'")" -eq 2 ]
'

test_expect_success 'the csv report of March, by hand' '
	"$FNGW" usage --db usage.db --by tenant,day --format csv \
	    --from 2024-03-01 --to 2024-04-01 >march.csv &&
	sed "s/^/# /" march.csv &&
	grep -qx "acme,2024-03-01,2,0,0,0.125,0.002,0.000002,USD" march.csv &&
	grep -qx "acme,2024-03-02,2,0,0,6.000,0.002,0.000100,USD" march.csv &&
	grep -qx "acme,2024-03-03,1,0,0,1.000,0.001,0.000017,USD" march.csv &&
	grep -qx "\"<b>&\"\"x\",2024-03-01,1,0,0,60.000,0.001,0.001000,USD" \
	    march.csv &&
	grep -qx "\"<b>&\"\"x\",2024-03-02,1,0,1,0.000,0.001,0.000000,USD" \
	    march.csv &&
	grep -qx ",2024-03-03,1,0,0,60.000,0.001,0.001000,USD" march.csv &&
	grep -qx "TOTAL,,8,0,1,127.125,0.008,0.002120,USD" march.csv
'

test_expect_success 'html: one self-contained page' '
	"$FNGW" usage --db usage.db --by tenant,day --format html \
	    --from 2024-03-01 --to 2024-04-01 >report.html &&
	head -n 1 report.html | grep -qx "<!DOCTYPE html>" &&
	tail -n 1 report.html | grep -qx "</html>" &&
	! grep -Eiq "https?:|src=|href=|<script|<link|<img|<iframe" report.html &&
	! grep -Eiq "url\(|@import" report.html &&
	[ "$(grep -o "<svg" report.html | wc -l)" -eq 1 ]
'

# bar DAY SERIES COST: the page has that bar.
bar() {
	grep -F "data-day=\"$1\" data-series=\"$2\" data-cost=\"$3\"" "${4:-report.html}" |
	    grep -q "class=\"bar\""
}

test_expect_success 'html: one bar per (day, tenant) with a cost' '
	[ "$(grep -o "class=\"bar\"" report.html | wc -l)" -eq 5 ] &&
	bar 2024-03-01 acme 0.000002 &&
	bar 2024-03-01 "&lt;b&gt;&amp;&quot;x" 0.001000 &&
	bar 2024-03-02 acme 0.000100 &&
	bar 2024-03-03 "(no tenant)" 0.001000 &&
	bar 2024-03-03 acme 0.000017 &&
	! grep -F "data-day=\"2024-03-02\" data-series=\"&lt;b" report.html
'

test_expect_success 'html: axis labels, a legend, the table beneath' '
	grep -q ">cost (USD)</text>" report.html &&
	grep -q ">day (UTC)</text>" report.html &&
	grep -q ">2024-03-01</text>" report.html &&
	grep -q ">0.0010</text>" report.html &&
	grep -c "class=\"swatch\"" report.html | grep -qx 3 &&
	grep -q "&lt;b&gt;&amp;&quot;x — 0.001000 USD</text>" report.html &&
	grep -q "<tr><td>&lt;b&gt;&amp;&quot;x</td><td>2024-03-01</td>" \
	    report.html &&
	grep -q "<tr><td>TOTAL</td><td></td><td class=\"num\">8</td>.*$(
	    )0.002120 USD</td></tr>" report.html &&
	svg_end=$(grep -n "</svg>" report.html | cut -d: -f1) &&
	table=$(grep -n "<table>" report.html | cut -d: -f1) &&
	[ "$table" -gt "$svg_end" ]
'

test_expect_success 'html: the tenant <b>&"x is escaped everywhere' '
	! grep -qF "$EVIL" report.html &&
	! grep -q "<b>" report.html &&
	[ "$(grep -o "&lt;b&gt;&amp;&quot;x" report.html | wc -l)" -ge 5 ]
'

test_expect_success 'html --by function stacks by function' '
	"$FNGW" usage --db usage.db --by function --format html \
	    --from 2024-03-01 --to 2024-04-01 >fn.html &&
	grep -q "Cost per day by function</title>" fn.html &&
	[ "$(grep -o "class=\"bar\"" fn.html | wc -l)" -eq 5 ] &&
	bar 2024-03-03 hello 0.001000 fn.html &&
	bar 2024-03-03 resize 0.000017 fn.html
'

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
	test_set_prereq CHROMIUM
else
	say "chromium is not installed (make deps installs it):" \
	    "the rendering test is skipped"
fi

# chrome ARGS...: headless Chromium with a profile of its own in $T.
chrome() {
	HOME=$T timeout 90 "$CHROMIUM" --headless --disable-gpu --no-sandbox \
	    --user-data-dir="$T/chrome" --no-first-run \
	    --disable-dev-shm-usage "$@" 2>>chrome.log
}

# The page has no script; a copy for the test gets one that reports
# what Chromium laid out (the product page stays script-free).
cat >probe.js <<'EOF'
var out = [], svg = document.querySelector("svg.chart");
var b = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
document.querySelectorAll("rect.bar").forEach(function (r) {
	var q = r.getBoundingClientRect();
	out.push(r.dataset.day + "/" + r.dataset.series + "=" +
	    (q.width > 0 && q.height > 0 ? "drawn" : "empty"));
});
var p = document.createElement("pre");
p.id = "probe";
p.textContent = "svg " + Math.round(b.width) + "x" +
    Math.round(b.height) + "\n" + out.join("\n") + "\n";
document.body.appendChild(p);
EOF

test_expect_success CHROMIUM 'html: Chromium renders the chart with its bars' '
	perl -pe "BEGIN { local \$/; open my \$f, q(<), q(probe.js) or die;
	    \$js = <\$f> } s|</body>|<script>\n\$js</script></body>|" \
	    report.html >probe.html &&
	chrome --dump-dom "file://$T/report.html" >dom.html &&
	grep -q "<svg" dom.html &&
	[ "$(grep -o "class=\"bar\"" dom.html | wc -l)" -eq 5 ] &&
	! grep -q "<b>" dom.html &&
	grep -qF "&lt;b&gt;&amp;\"x" dom.html &&
	chrome --dump-dom "file://$T/probe.html" >probe.dom &&
	sed -n "/<pre id=\"probe\">/,/<\/pre>/p" probe.dom | sed "s/^/# /" &&
	grep -Eq "svg [1-9][0-9]+x[1-9][0-9]+" probe.dom &&
	[ "$(grep -c "=drawn" probe.dom)" -eq 5 ] &&
	! grep -q "=empty" probe.dom &&
	chrome --screenshot="$T/chart.png" --window-size=1000,1200 \
	    "file://$T/report.html" >/dev/null &&
	[ "$(wc -c <chart.png)" -gt 10000 ] &&
	head -c 8 chart.png | od -An -c | grep -q "P   N   G"
'

# Requests fngw serves while the prune runs: each must keep its row.
live=0
live_requests() {
	i=0
	while [ ! -f stop-live ]; do
		fcgi_request GET /hello >/dev/null 2>&1 && i=$((i + 1))
	done
	echo "$i" >live.count
}

test_expect_success 'prune: prints what goes, then takes exactly it' '
	"$FNGW" usage --db usage.db --from 2024-03-02 --to 2024-04-01 \
	    --format csv >kept.before &&
	t0=$(($(date +%s) * 1000000)) &&
	{ live_requests & lp=$!; } &&
	sleep 0.3 &&
	"$FNGW" usage --db usage.db --prune-before 2024-03-02 >prune.out 2>prune.err;
	prc=$?; touch stop-live; wait $lp;
	sed "s/^/# /" prune.out | tail -n 8 && cat prune.err &&
	[ $prc -eq 0 ] &&
	grep -q "pruning the rows started before 2024-03-02T00:00:00Z" prune.out &&
	grep -q "^hello     2024-02-01 " prune.out &&
	grep -Eq "^resize +2024-03-01 +1 .* 0.001000 USD$" prune.out &&
	grep -qx "pruned 200003 rows (200003 requests, 0.001002 USD)" prune.out &&
	grep -q "^vacuumed: [0-9]* -> [0-9]* bytes$" prune.out &&
	[ "$(db "select count(*) from invocations where started_at < $D2")" -eq 0 ] &&
	[ "$(db "select count(*) from invocations where started_at = $D2")" -eq 1 ] &&
	[ "$(db "select count(*) from invocations where request_id like '"'fx-%'"'")" -eq 5 ] &&
	live=$(cat live.count) && say "$live requests served during the prune" &&
	[ "$live" -gt 0 ] &&
	wait_for "[ \$(db \"select count(*) from invocations where started_at >= $t0\") -eq $live ]" 5
'

test_expect_success 'prune: the database is sound, the rest costs the same' '
	[ "$(db "PRAGMA integrity_check")" = ok ] &&
	"$FNGW" usage --db usage.db --from 2024-03-02 --to 2024-04-01 \
	    --format csv >kept.after &&
	cmp kept.before kept.after &&
	"$FNGW" usage --db usage.db --prune-before 2024-03-02 >again.out &&
	grep -q "nothing to prune" again.out
'

test_expect_success 'prune: a ledger held by another writer is busy, exit 1' '
	{ { echo "BEGIN IMMEDIATE;"; echo "DELETE FROM prices WHERE 0;";
	    sleep 8; echo "ROLLBACK;"; } | sqlite3 usage.db & hp=$!; } &&
	sleep 0.5 &&
	s0=$(now_ms) &&
	test_must_fail "$FNGW" usage --db usage.db --prune-before 2024-03-03 \
	    >busy.out 2>busy.err &&
	s1=$(now_ms) && wait $hp &&
	cat busy.err | sed "s/^/# /" &&
	grep -q "busy" busy.err && grep -q "nothing was pruned" busy.err &&
	[ $((s1 - s0)) -ge 4500 ] &&
	[ "$(db "select count(*) from invocations where started_at >= $D2 and started_at < $(us 2024-03-03)")" -eq 3 ] &&
	[ "$(db "PRAGMA integrity_check")" = ok ]
'

test_expect_success 'fngw still serves and writes its rows' '
	n0=$(db "select count(*) from invocations") &&
	fcgi_request GET /hello >out && grep -q "Hello" out &&
	wait_for "[ \$(db \"select count(*) from invocations\") -eq $((n0 + 1)) ]" 5
'

test_done
