#!/bin/sh
# t0560-units.t -- make install installs conf/fngw.service and
# conf/fngw.socket into SYSTEMDUNITDIR, filled in, enabling nothing; and
# systemd itself (systemd-analyze verify, which needs no running systemd)
# finds nothing wrong with them.
. "${0%/*}/../lib.sh"

command -v systemd-analyze >/dev/null ||
    skip_all "systemd-analyze is not installed (make deps)"

test_expect_success 'make install puts the units under DESTDIR/PREFIX/lib/systemd/system' '
	make -C "$TOP" -s install PREFIX=/opt/fngw DESTDIR="$T/root" \
	    >make.out 2>&1 &&
	u=$T/root/opt/fngw/lib/systemd/system &&
	[ -f "$u/fngw.service" ] && [ -f "$u/fngw.socket" ] &&
	[ "$(stat -c %a "$u/fngw.service")" = 644 ] &&
	[ "$(stat -c %a "$u/fngw.socket")" = 644 ]
'

test_expect_success 'the service names the installed fngw and /etc/fngw/fngw.ini' '
	! grep -q @ "$u/fngw.service" &&
	grep -qx "ExecStart=/opt/fngw/bin/fngw serve -c /etc/fngw/fngw.ini" \
	    "$u/fngw.service" &&
	grep -qx "ExecStartPre=/opt/fngw/bin/fngw check -c /etc/fngw/fngw.ini" \
	    "$u/fngw.service" &&
	cmp "$TOP/conf/fngw.socket" "$u/fngw.socket"
'

test_expect_success 'SYSTEMDUNITDIR and SYSCONFDIR are honoured; nothing is enabled' '
	make -C "$TOP" -s install PREFIX=/usr DESTDIR="$T/pkg" \
	    SYSTEMDUNITDIR=/lib/systemd/system SYSCONFDIR=/etc/x \
	    >make.out 2>&1 &&
	grep -qx "ExecStart=/usr/bin/fngw serve -c /etc/x/fngw/fngw.ini" \
	    "$T/pkg/lib/systemd/system/fngw.service" &&
	[ -z "$(find "$T/root" "$T/pkg" -type l)" ] &&
	[ ! -e "$T/root/etc" ] && [ ! -e "$T/pkg/etc" ]
'

# verify checks that ExecStart= exists, so install for real, into $T.
test_expect_success 'systemd-analyze verify accepts both units' '
	make -C "$TOP" -s install PREFIX="$T/real/usr" SYSCONFDIR="$T/real/etc" \
	    >make.out 2>&1 &&
	u=$T/real/usr/lib/systemd/system &&
	systemd-analyze verify "$u/fngw.service" "$u/fngw.socket" \
	    >verify.out 2>&1;
	rc=$?; say "verify: exit $rc: $(cat verify.out)" &&
	[ $rc = 0 ] && [ ! -s verify.out ]
'

test_expect_success 'and it would notice a mistake' '
	sed "s/^KillMode=mixed/KillMode=mixd/" "$u/fngw.service" >"$T/bad.service" &&
	systemd-analyze verify "$T/bad.service" "$u/fngw.socket" >verify.out 2>&1;
	say "$(cat verify.out)"; grep -q "kill mode" verify.out
'

test_done
