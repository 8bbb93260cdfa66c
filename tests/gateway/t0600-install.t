#!/bin/sh
# t0600-install.t -- make install honours PREFIX and DESTDIR.
. "${0%/*}/../lib.sh"

test_expect_success 'make install puts fngw and the handlers under DESTDIR/PREFIX' '
	make -C "$TOP" -s install PREFIX=/opt/fngw DESTDIR="$T/root" >make.out 2>&1 &&
	[ -x "$T/root/opt/fngw/bin/fngw" ] &&
	[ -x "$T/root/opt/fngw/lib/fngw/handlers/hello" ] &&
	[ -x "$T/root/opt/fngw/lib/fngw/handlers/hello.sh" ] &&
	"$T/root/opt/fngw/bin/fngw" version | grep -q "^fngw " &&
	[ ! -e /opt/fngw/bin/fngw ]
'

test_done
