#!/bin/sh
# t0600-install.t -- make install honours PREFIX, DESTDIR and MANDIR.
. "${0%/*}/../lib.sh"

MANROOT=$T/root/opt/fngw/share/man

test_expect_success 'make install puts fngw and the handlers under DESTDIR/PREFIX' '
	make -C "$TOP" -s install PREFIX=/opt/fngw DESTDIR="$T/root" >make.out 2>&1 &&
	[ -x "$T/root/opt/fngw/bin/fngw" ] &&
	[ -x "$T/root/opt/fngw/lib/fngw/handlers/hello" ] &&
	[ -x "$T/root/opt/fngw/lib/fngw/handlers/hello.sh" ] &&
	"$T/root/opt/fngw/bin/fngw" version | grep -q "^fngw " &&
	[ ! -e /opt/fngw/bin/fngw ]
'

test_expect_success 'the man pages go to PREFIX/share/man, mode 0644, as written' '
	cmp "$TOP/man/fngw.8" "$MANROOT/man8/fngw.8" &&
	cmp "$TOP/man/fngw.ini.5" "$MANROOT/man5/fngw.ini.5" &&
	[ "$(stat -c %a "$MANROOT/man8/fngw.8")" = 644 ] &&
	[ "$(stat -c %a "$MANROOT/man5/fngw.ini.5")" = 644 ]
'

test_expect_success 'man finds them there by name and section' '
	MANWIDTH=80 man -M "$MANROOT" 8 fngw >fngw.8.txt 2>man.err &&
	grep -q "FastCGI function gateway" fngw.8.txt &&
	MANWIDTH=80 man -M "$MANROOT" 5 fngw.ini >fngw.ini.5.txt 2>>man.err &&
	grep -q "fngw function gateway configuration file" fngw.ini.5.txt
'

test_expect_success 'MANDIR moves only the man pages' '
	make -C "$TOP" -s install PREFIX=/opt/fngw DESTDIR="$T/root2" \
	    MANDIR=/usr/share/man >make2.out 2>&1 &&
	[ -f "$T/root2/usr/share/man/man8/fngw.8" ] &&
	[ -f "$T/root2/usr/share/man/man5/fngw.ini.5" ] &&
	[ ! -e "$T/root2/opt/fngw/share/man" ] &&
	[ -x "$T/root2/opt/fngw/bin/fngw" ]
'

test_done
