#!/bin/sh
# t0850-schema.t -- a ledger of the first schema version (the fixture
# tests/fixtures/usage-v1.sql, as fngw wrote it then) is upgraded in
# place when fngw starts on it: every old row kept as it was, the new
# version recorded, new rows written beside the old; one of a newer
# version than this fngw knows is refused and left untouched.
. "${0%/*}/../lib.sh"

use_handlers hello
sqlite3 "$T/usage.db" <"$TOP/tests/fixtures/usage-v1.sql" ||
    test_fatal "cannot load the v1 fixture"
want=$(sed -n 's/^#define USAGE_SCHEMA_VERSION[^0-9]*\([0-9]*\).*/\1/p' \
    "$TOP/gateway/usage.h")
old_rows() { db "select * from invocations where id <= 3 order by id"; }
old_rows >before.rows

cat >"$T/ini.in" <<'INI'
@GATEWAY@
[tenant.acme]
[fn.hello]
route = ^/hello$
exec  = @BIN@/hello
tenant = acme
INI

test_expect_success 'the fixture is version 1 with its 3 rows' '
	[ "$(db "pragma user_version")" = 1 ] && [ "$(wc -l <before.rows)" = 3 ]
'

# fngw listens before it opens the ledger (connections wait in the
# backlog meanwhile), so the upgrade may still run when the socket is up:
# the fixture is not in WAL mode, and readers get "locked" until it ends.
version() { db "pragma user_version" 2>/dev/null; }

test_expect_success 'fngw starts on it and upgrades it in place' '
	start_gateway "$T/ini.in" &&
	wait_for "[ \"\$(version)\" = $want ]" 10 &&
	say "schema version $(version), this fngw: $want" &&
	[ "$(db "pragma integrity_check")" = ok ]
'

test_expect_success 'the old rows are kept as they were' '
	old_rows >after.rows && cmp before.rows after.rows
'

test_expect_success 'new rows go in beside them, and reports read both' '
	fcgi_request GET /hello >out && [ "$(cgi_status out)" = 200 ] &&
	wait_for "[ \$(db \"select count(*) from invocations\") -eq 4 ]" 5 &&
	"$FNGW" usage --db "$T/usage.db" --by tenant --format csv >rep &&
	grep -q "^acme,4," rep
'

test_expect_success 'a ledger newer than this fngw: refused, left untouched' '
	stop_gateway && db "pragma user_version = 99" &&
	cp "$T/usage.db" newer.copy &&
	! "$FNGW" serve -c "$T/fngw.ini" >serve.out 2>&1 &&
	grep -qi "newer" serve.out && cmp "$T/usage.db" newer.copy
'

test_done
