#!/bin/sh
# t1800-check.t -- fngw check: the route table of a valid config (exit
# 0); on an error exit 1 and a message naming file, section and key.
. "${0%/*}/../lib.sh"

use_handlers hello
write_config - <<'INI'
@GATEWAY@
[fn.hello]
route   = ^/hello(?:/(?<name>[^/]+))?$
methods = GET POST
exec    = @BIN@/hello

[fn.other]
route = ^/other$
exec  = @BIN@/hello
INI
cp fngw.ini good.ini

# mkbad SED-SCRIPT: bad.ini is good.ini edited by SED-SCRIPT.
mkbad() { sed "$1" good.ini >bad.ini; }
check_fails() {	# check_fails SECTION KEY
	test_must_fail "$FNGW" check -c bad.ini >out 2>&1 && cat out | sed "s/^/# /" &&
	[ "$(wc -l <out)" -ge 1 ] && grep -q "bad.ini" out && grep -q "$1" out &&
	grep -qi "$2" out
}

test_expect_success 'a valid config: exit 0 and the route table' '
	"$FNGW" check -c good.ini >out 2>&1 && sed "s/^/# /" out &&
	grep -q hello out && grep -q other out && grep -q "/other" out
'

test_expect_success 'an unknown key' '
	mkbad "/^exec  = /a bogus_key = 1" && check_fails fn.other bogus_key
'

test_expect_success 'a regex that does not compile names its offset' '
	mkbad "s|^route = ^/other|route = ^/other(|" && check_fails fn.other route &&
	grep -Eq "offset|[0-9]" out
'

test_expect_success 'an exec that is missing' '
	mkbad "s|^exec  = .*|exec  = $T/bin/nope|" && check_fails fn.other exec
'

test_expect_success 'an exec that is not executable' '
	printf "x\n" >"$T/bin/noexec" && chmod 0644 "$T/bin/noexec" &&
	mkbad "s|^exec  = .*|exec  = $T/bin/noexec|" && check_fails fn.other exec
'

test_expect_success 'an unknown user' '
	mkbad "/^exec  = /a user = no_such_user_fngw" && check_fails fn.other user
'

test_expect_success 'a bad duration' '
	mkbad "/^exec  = /a timeout = 10 parsecs" && check_fails fn.other timeout
'

test_expect_success 'a bad size' '
	mkbad "/^exec  = /a max_body = lots" && check_fails fn.other max_body
'

test_expect_success 'a section defined twice' '
	cp good.ini bad.ini && printf "[fn.Other]\nroute = ^/x\$\nexec = $T/bin/hello\n" >>bad.ini &&
	test_must_fail "$FNGW" check -c bad.ini >out 2>&1 && grep -qi "fn.other" out
'

test_expect_success 'an included file may not hold [gateway]' '
	mkdir -p conf.d && printf "[gateway]\nnode = x\n" >conf.d/a.ini &&
	sed "/^\[gateway\]/a include = $T/conf.d/*.ini" good.ini >bad.ini &&
	test_must_fail "$FNGW" check -c bad.ini >out 2>&1 && grep -q "a.ini" out
'

test_done
