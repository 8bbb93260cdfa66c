#!/bin/sh
# t0610-man.t -- the man pages are clean mdoc, render with man(1), and
# fngw(8) covers what fngw itself says it takes: every command of its
# usage message and every option of `fngw usage --help`.  (The keys of
# fngw.ini(5) against the loader and SPEC.md: tests/unit/mankeys_test.c.)
. "${0%/*}/../lib.sh"

MAN8=$TOP/man/fngw.8
MAN5=$TOP/man/fngw.ini.5

command -v mandoc >/dev/null 2>&1 || test_fatal "no mandoc (make deps)"
command -v man >/dev/null 2>&1 || test_fatal "no man (make deps)"

for page in "$MAN8" "$MAN5"; do
	PAGE=$page
	test_expect_success "mandoc -Tlint: no warning nor error in ${page##*/}" '
		mandoc -Tlint -Wwarning "$PAGE" >lint.out 2>&1 ||
		{ sed "s/^/# /" lint.out; false; }
	'
	test_expect_success "man -l renders ${page##*/} without a complaint" '
		MANWIDTH=80 man --warnings -l "$PAGE" >page.txt 2>page.err &&
		[ ! -s page.err ] &&
		grep -q "^NAME" page.txt && grep -q "^SEE ALSO" page.txt &&
		grep -q "^EXAMPLES" page.txt
	'
done

# The lines of fngw.8 from .Sh SYNOPSIS to the next .Sh.
sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$MAN8" >synopsis
sed -n '/^\.Sh DESCRIPTION/,/^\.Ss /p' "$MAN8" >commands

test_expect_success 'fngw(8) has every command of fngw'\''s usage message' '
	! "$FNGW" >usage.txt 2>&1 &&
	sed -n "s/^.*fngw \[*\([a-z][a-z]*\).*/\1/p" usage.txt | sort -u >cmds &&
	[ "$(wc -l <cmds)" -ge 4 ] &&
	missing= &&
	for c in $(cat cmds); do
		grep -Eq "^\.(Cm|Op Cm) $c\$" synopsis &&
		grep -Eq "^\.It (Oo )?Cm $c( |\$)" commands ||
		missing="$missing $c"
	done &&
	{ [ -z "$missing" ] || { say "not in fngw(8):$missing"; false; }; }
'

test_expect_success 'fngw(8) has every option of fngw usage --help' '
	"$FNGW" usage --help >help.txt &&
	grep -o -- "--[a-z][a-z-]*" help.txt | sort -u >opts &&
	[ "$(wc -l <opts)" -ge 6 ] &&
	missing= &&
	for o in $(cat opts); do
		grep -Eq -- "Fl -${o#--}( |,|\$)" "$MAN8" ||
		missing="$missing $o"
	done &&
	{ [ -z "$missing" ] || { say "not in fngw(8):$missing"; false; }; }
'

test_expect_success 'fngw(8) and fngw.ini(5) point at each other' '
	grep -q "^\.Xr fngw\.ini 5" "$MAN8" && grep -q "^\.Xr fngw 8" "$MAN5"
'

test_done
