# fngw -- a function gateway behind nginx or Apache.
#
#   make            build gateway/fngw and the example handlers
#   make run        the demo: nginx on 127.0.0.1:$(PORT) in front of fngw
#   make check      every test (installs what it needs first: make deps)
#   make SANITIZE=address,undefined    build with the sanitizers
#   make install    PREFIX=/usr/local DESTDIR= (MANDIR=PREFIX/share/man;
#                   also the systemd units, into SYSTEMDUNITDIR; enables
#                   nothing)

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/lib/fngw
SYSCONFDIR ?= /etc
MANDIR	?= $(PREFIX)/share/man
# systemd reads units from /usr/local/lib/systemd/system too, so the
# default follows PREFIX: /usr/local/lib/... for a local install,
# /usr/lib/systemd/system for PREFIX=/usr (a package).
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
PORT	?= 8080

PKGS	 = libpcre2-8 sqlite3
CC	?= cc
CPPFLAGS += -D_GNU_SOURCE -DPCRE2_CODE_UNIT_WIDTH=8 -Igateway \
	    $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wvla -Werror -pthread
LDFLAGS	+= -pthread
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -liniparser

# Objects of the plain build go to build/plain, the sanitizer build to
# build/san, so `make check` can run both from one tree.
ifdef SANITIZE
B	 = build/san
CFLAGS	+= -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=$(SANITIZE)
else
B	 = build/plain
endif
# `make NO_LEDGER=1`: build/noledger/fngw writes no usage rows, for
# the benchmarks alone (bench/standing.sh's rows off, ledger-cost.sh:
# what the rows cost); never for serving.
ifdef NO_LEDGER
B	 = build/noledger
CPPFLAGS += -DFNGW_BENCH_NO_LEDGER
endif

# The architecture, in link order: the front end, the executors, the
# ledger, and the pieces they share.
GW_SRCS	 = gateway/main.c gateway/front.c gateway/request.c gateway/pool.c \
	   gateway/status.c gateway/cgi.c gateway/instance.c gateway/pstat.c \
	   gateway/spawn.c gateway/spool.c gateway/loop.c gateway/usage.c \
	   gateway/spill.c gateway/invoke.c gateway/schedule.c gateway/cron.c \
	   gateway/reload.c \
	   gateway/report.c gateway/report_html.c gateway/report_retry.c \
	   gateway/report_prune.c \
	   gateway/config.c gateway/inifile.c \
	   gateway/route.c gateway/fcgi.c gateway/reply.c gateway/log.c \
	   gateway/util.c gateway/systemd.c
GW_LIB	 = $(filter-out gateway/main.c,$(GW_SRCS))
GW_OBJS	 = $(GW_SRCS:gateway/%.c=$(B)/%.o)
LIB_OBJS = $(GW_LIB:gateway/%.c=$(B)/%.o)

HANDLERS_C	= $(wildcard handlers/*.c)
HANDLERS	= $(HANDLERS_C:.c=)
UNIT_SRCS	= $(wildcard tests/unit/*_test.c)
UNIT_TESTS	= $(UNIT_SRCS:tests/unit/%_test.c=$(B)/unit/%.t)

ifneq ($(SANITIZE)$(NO_LEDGER),)
FNGW	 = $(B)/fngw
else
FNGW	 = gateway/fngw
endif

all: $(FNGW) handlers

$(B)/%.o: gateway/%.c gateway/*.h | $(B)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B):
	mkdir -p $(B)/unit

$(B)/libfngw.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FNGW): $(B)/main.o $(B)/libfngw.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Handlers are what function authors write: plain C, some with libfcgi.
handlers: $(HANDLERS)
handlers/%: handlers/%.c handlers/cgi.h
	$(CC) -D_GNU_SOURCE $(CFLAGS) $(LDFLAGS) -o $@ $< $(if $(findstring fcgi,$*),-lfcgi)

$(B)/unit/%.t: tests/unit/%_test.c tests/tap.h $(B)/libfngw.a | $(B)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libfngw.a $(LDLIBS)

unit: $(UNIT_TESTS)

# Test clients (a raw FastCGI client, a free-port finder).
TOOLS	= $(patsubst tests/tools/%.c,build/tools/%,$(wildcard tests/tools/*.c))
tools: $(TOOLS)
build/tools/%: tests/tools/%.c
	@mkdir -p build/tools
	$(CC) -D_GNU_SOURCE -std=c11 -O2 -g -Wall -Wextra -Werror -o $@ $<

# The dependency step: install whatever a fresh Debian 12 lacks, and
# nothing when all is present.  apt-get update runs once, before the
# first install.  Apache is apache2-bin (the server and its modules,
# which tests/apache starts itself): the apache2 package would also
# start a system Apache on port 80, and fail to where nginx has it.
DEB_PKGS = gcc make pkg-config libc6-dev libfcgi-dev libfcgi-bin \
	   libpcre2-dev libiniparser-dev libsqlite3-dev sqlite3 nginx \
	   apache2-bin curl wrk fcgiwrap spawn-fcgi procps psmisc perl \
	   php-cgi php-fpm chromium clang libclang-rt-14-dev mandoc man-db \
	   systemd
deps:
	@missing=; for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "deps: installing$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

RUNDIR	= run

# Build in a sub-make: its pkg-config flags are read after deps ran.
run: deps
	@$(MAKE) --no-print-directory all >/dev/null
	@sh tests/run-demo.sh $(PORT)

# The standing benchmark against the peers (nginx, fcgiwrap,
# spawn-fcgi, php-fpm; ~10 minutes), written up as bench/RESULTS.md,
# then what a bare hop costs (bench/hop.sh), the ledger's report times
# and billing accuracy, in bench/out/.  bench/ledger-cost.sh (the rows'
# cost with keepalive, and their count) runs on its own.
bench: deps
	@$(MAKE) --no-print-directory all >/dev/null
	@$(MAKE) --no-print-directory NO_LEDGER=1 >/dev/null
	@sh bench/standing.sh
	@sh bench/hop.sh
	@sh bench/usage-report.sh
	@sh bench/billing-accuracy.sh

# A short run of each benchmark, so that they keep working (make check
# runs it); the reports go to build/bench-smoke, not bench/out, and the
# standing benchmark's to build/bench-smoke/RESULTS.md.
bench-smoke: all
	@$(MAKE) --no-print-directory NO_LEDGER=1 >/dev/null
	@mkdir -p build/bench-smoke
	BENCH_OUT=build/bench-smoke SMOKE=1 sh bench/standing.sh >/dev/null
	BENCH_OUT=build/bench-smoke ROWS=100000 RUNS=1 \
	    sh bench/usage-report.sh >/dev/null
	BENCH_OUT=build/bench-smoke ROUNDS=1 DURATION=1s \
	    sh bench/ledger-cost.sh >/dev/null
	BENCH_OUT=build/bench-smoke SAMPLES=3 \
	    sh bench/billing-accuracy.sh >/dev/null
	BENCH_OUT=build/bench-smoke ROUNDS=1 DURATION=1s \
	    sh bench/hop.sh >/dev/null
	@grep -H 'GET hello: fngw' build/bench-smoke/RESULTS.md
	@grep -H 'cold |' build/bench-smoke/RESULTS.md
	@grep -H 'idle, after start' build/bench-smoke/RESULTS.md
	@grep -H 'best' build/bench-smoke/usage-report.txt
	@grep -H 'rows in on' build/bench-smoke/ledger-cost.txt
	@grep -HE 'billed_ms|cpu ' build/bench-smoke/billing-accuracy.txt
	@grep -H '^post1m  relay' build/bench-smoke/hop.txt
.PHONY: bench bench-smoke

# The soak: 100 000 requests through nginx mixing good, crashing,
# timing-out and oversized calls (make check runs 5 000 of the same
# test, tests/nginx/t2300-soak.t, with the others, on both builds).
soak: deps
	$(MAKE) all tools
	SOAK_REQUESTS=100000 prove -v tests/nginx/t2300-soak.t
.PHONY: soak

# Unit tests of both builds, then the gateway, nginx and Apache tiers
# against the plain build and again against the sanitizer build (the
# harness fails a test on any sanitizer report in fngw's log).
check: deps
	$(MAKE) all unit tools
	$(MAKE) SANITIZE=address,undefined all unit
	prove -j2 $(UNIT_TESTS) $(patsubst build/plain/%,build/san/%,$(UNIT_TESTS)) \
	    tests/gateway/*.t tests/nginx/*.t tests/apache/*.t
	FNGW=build/san/fngw prove -j2 tests/gateway/*.t tests/nginx/*.t \
	    tests/apache/*.t
	$(MAKE) --no-print-directory bench-smoke
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# libFuzzer targets, one per tests/fuzz/fuzz_*.c, linked against the
# library built again with their instrumentation into build/fuzz.
# `make fuzz` runs each for FUZZ_SECONDS on a copy of its seed corpus
# (tests/fuzz/corpus/TARGET) in build/fuzz/corpus-TARGET and fails on
# any crash, leak, invariant or hang; what it found is in
# build/fuzz/TARGET-crash-*, its log in build/fuzz/TARGET.log.
FUZZ_SECONDS ?= 60
FUZZ_CC	 = clang
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	   -g -O1
FUZZ_SRCS = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES = $(FUZZ_SRCS:tests/fuzz/%.c=%)
FUZZ_BINS = $(FUZZ_NAMES:%=build/fuzz/%)
# The modules under test and what they need, not the whole library
# (clang -Werror refuses usage.c's deliberate string concatenation in
# its list of migrations).
FUZZ_WNO =
FUZZ_OBJS = $(patsubst %,build/fuzz/%.o,fcgi reply route config inifile cron \
	   log util)

build/fuzz/%.o: gateway/%.c gateway/*.h
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(CPPFLAGS) $(CFLAGS) $(FUZZ_FLAGS) $(FUZZ_WNO) \
	    -c -o $@ $<

build/fuzz/libfngw.a: $(FUZZ_OBJS)
	rm -f $@ && ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h build/fuzz/libfngw.a
	$(FUZZ_CC) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) $(FUZZ_FLAGS) \
	    -o $@ $< build/fuzz/libfngw.a $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_NAMES:%=fuzz-run-%)

$(FUZZ_NAMES:%=fuzz-run-%): fuzz-run-%: build/fuzz/%
	@rm -rf build/fuzz/corpus-$*
	@mkdir -p build/fuzz/corpus-$*
	@cp tests/fuzz/corpus/$*/* build/fuzz/corpus-$*/
	@if build/fuzz/$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=build/fuzz/$*- \
	    build/fuzz/corpus-$* </dev/null >build/fuzz/$*.log 2>&1; then \
	    echo "$*: $$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    build/fuzz/$*.log) runs in $(FUZZ_SECONDS) s, no finding"; \
	else \
	    tail -n 60 build/fuzz/$*.log; \
	    echo "$*: FOUND a crash: build/fuzz/$*.log," \
	    "build/fuzz/$*-crash-* (or -leak-, -timeout-)"; \
	    exit 1; \
	fi
.PHONY: fuzz fuzz-build $(FUZZ_NAMES:%=fuzz-run-%)

# The man pages are mdoc(7): man-db, mandoc and groff all read them
# (tests/gateway/t0610-man.t lints them with mandoc).
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/handlers \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 gateway/fngw $(DESTDIR)$(BINDIR)/fngw
	install -m 0755 $(HANDLERS) handlers/*.sh $(DESTDIR)$(LIBEXECDIR)/handlers/
	install -m 0644 man/fngw.ini.5 $(DESTDIR)$(MANDIR)/man5/fngw.ini.5
	install -m 0644 man/fngw.8 $(DESTDIR)$(MANDIR)/man8/fngw.8
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    conf/fngw.service >$(DESTDIR)$(SYSTEMDUNITDIR)/fngw.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/fngw.service
	install -m 0644 conf/fngw.socket $(DESTDIR)$(SYSTEMDUNITDIR)/fngw.socket

clean:
	rm -rf build gateway/fngw $(HANDLERS) $(RUNDIR)

.PHONY: all handlers unit tools deps run check install clean
