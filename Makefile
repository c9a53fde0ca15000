# SPDX-License-Identifier: Apache-2.0
#
# rootlesskit (C implementation) - one plain Makefile.
#
#   make                 build rootlesskit, rootlessctl and
#                        rootlesskit-docker-proxy into build/
#   make check           unit + integration tests, plain and ASan+UBSan builds
#   make run             the demo (README quick start)
#   make bench           benchmark suite against Go RootlessKit (bench/)
#   make soak            soak run, not part of make check: 10^6 connections
#                        through a builtin-driver port and 10^5 API calls;
#                        fails if the parent's fds or RSS grow (bench/soak.sh;
#                        SOAK_SCALE=0.05 for a quick try)
#   make install         PREFIX=/usr/local DESTDIR= (binaries and man pages)
#   make lint            clang-tidy and cppcheck
#   make fuzz            libFuzzer on the API's HTTP engine and the 32-bit
#                        msghdr reader (FUZZ_TIME seconds each)
#
# Each of these first runs tests/deps.sh, which installs the missing Debian
# packages (as root) or prints the apt-get line and fails, and only then
# compiles, with a second make (so no compile step runs before the check).
#
# The user's CPPFLAGS, CFLAGS and LDFLAGS (e.g. dpkg-buildflags') come after
# the project's RK_CPPFLAGS and RK_CFLAGS, which always apply; libraries are
# found with pkg-config; each object tracks its own headers (-MMD -MP).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
BUILD ?= build

# The project's own flags live apart from the user's (as passt keeps its
# FLAGS): RK_CPPFLAGS and RK_CFLAGS are always applied, then the user's
# CPPFLAGS, CFLAGS and LDFLAGS from the environment or the command line, so
# `make CFLAGS=-O0` or dpkg-buildflags change the optimisation and add
# hardening but keep the language level and -Werror.
CFLAGS ?= -O2 -g
RK_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	     -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-parameter \
	     -Wno-format-nonliteral -fno-strict-aliasing
RK_CPPFLAGS := -D_GNU_SOURCE
# _FORTIFY_SOURCE=2 unless the user's flags choose a level (Debian's
# CPPFLAGS, or =3) or do not optimise (glibc warns, -Werror stops); -U
# first, for compilers that predefine it.
ifeq ($(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),)
ifneq ($(filter -O -O1 -O2 -O3 -Os -Og -Oz -Ofast,$(CFLAGS)),)
RK_CPPFLAGS += -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif
endif
# one .d file per object (-MMD -MP): an object is rebuilt when a header it
# includes changes, not when any header does
DEPFLAGS := -MMD -MP

# Libraries through pkg-config, each asked once and only when a recipe
# needs it (so the first make, which only runs tests/deps.sh, asks nothing).
pc = $(eval $(1) := $$(shell $$(PKG_CONFIG) $(2)))$(if $(filter 0,$(.SHELLSTATUS)),,$(error \
     $(PKG_CONFIG) $(2) failed; tests/deps.sh build installs it))$($(1))
JANSSON_CFLAGS = $(call pc,JANSSON_CFLAGS,--cflags jansson)
JANSSON_LIBS = $(call pc,JANSSON_LIBS,--libs jansson)
CURL_CFLAGS = $(call pc,CURL_CFLAGS,--cflags libcurl)
CURL_LIBS = $(call pc,CURL_LIBS,--libs libcurl)
SECCOMP_CFLAGS = $(call pc,SECCOMP_CFLAGS,--cflags libseccomp)
SECCOMP_LIBS = $(call pc,SECCOMP_LIBS,--libs libseccomp)
CMOCKA_CFLAGS = $(call pc,CMOCKA_CFLAGS,--cflags cmocka)
CMOCKA_LIBS = $(call pc,CMOCKA_LIBS,--libs cmocka)
# libslirp (--net=gvisor-tap-vsock): Debian's slirp.pc requires glib-2.0's
# .pc file, which only libglib2.0-dev ships; we call no glib function, so
# plain -lslirp is enough without it
SLIRP_LIBS = $(eval SLIRP_LIBS := $$(shell $$(PKG_CONFIG) --libs slirp 2>/dev/null || \
	     echo -lslirp))$(SLIRP_LIBS)

# Version: upstream's 3.0.1 plus our build as semver build metadata,
# "3.0.1+c.<git describe --always --dirty>" (src/cmd/opts.h); from a
# tarball (no .git of our own) the release number instead.  Set
# RK_GIT_VERSION to override.  $(BUILD)/version changes only when the
# string does, and the objects that print it depend on it.
RK_RELEASE := 0.1.0
ifeq ($(origin RK_GIT_VERSION),undefined)
RK_GIT_VERSION := $(shell [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && \
	git describe --always --dirty 2>/dev/null)
ifeq ($(RK_GIT_VERSION),)
RK_GIT_VERSION := $(RK_RELEASE)
endif
endif

ALL_CPPFLAGS = $(RK_CPPFLAGS) -DRK_GIT_VERSION='"$(RK_GIT_VERSION)"' $(CPPFLAGS) \
	       $(JANSSON_CFLAGS) $(CURL_CFLAGS) $(SECCOMP_CFLAGS)
ALL_CFLAGS = $(RK_CFLAGS) $(CFLAGS)

# each binary links only what it uses (libcurl pulls in a dozen
# libraries, whose pages would count against rootlesskit's resident memory)
RK_LIBS = $(JANSSON_LIBS) $(SLIRP_LIBS) $(SECCOMP_LIBS)
CTL_LIBS = $(CURL_LIBS) $(JANSSON_LIBS)

LIB_SRCS := $(wildcard src/lib/*.c) $(wildcard src/net/*.c) \
	    $(wildcard src/parent/*.c) $(wildcard src/child/*.c) \
	    $(wildcard src/port/*.c) $(wildcard src/api/*.c) src/cmd/opts.c
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CMD_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard src/cmd/rootless*.c))
VERSION_OBJS := $(BUILD)/src/cmd/opts.o $(BUILD)/src/cmd/rootlesskit.o \
		$(BUILD)/src/cmd/rootlessctl.o $(BUILD)/src/parent/parent.o

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all binaries check unit integration run bench soak fuzz install uninstall lint lint-run \
	clean FORCE

all:
	tests/deps.sh build
	$(MAKE) binaries

binaries: $(BUILD)/rootlesskit $(BUILD)/rootlessctl $(BUILD)/rootlesskit-docker-proxy

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/version: FORCE
	@mkdir -p $(dir $@)
	@echo '$(RK_GIT_VERSION)' | cmp -s - $@ || echo '$(RK_GIT_VERSION)' >$@

$(VERSION_OBJS): $(BUILD)/version

$(BUILD)/librk.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/rootlesskit: $(BUILD)/src/cmd/rootlesskit.o $(BUILD)/librk.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(RK_LIBS) $(LDLIBS)

$(BUILD)/rootlessctl: $(BUILD)/src/cmd/rootlessctl.o $(BUILD)/librk.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CTL_LIBS) $(LDLIBS)

$(BUILD)/rootlesskit-docker-proxy: $(BUILD)/src/cmd/rootlesskit-docker-proxy.o $(BUILD)/librk.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CTL_LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librk.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(CMOCKA_CFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) -Isrc $(LDFLAGS) -o $@ $< \
		$(BUILD)/librk.a $(CTL_LIBS) $(SLIRP_LIBS) $(SECCOMP_LIBS) $(CMOCKA_LIBS) $(LDLIBS)

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d) $(UNIT_TESTS:=.d) $(BUILD)/connrate.d

# unit and integration are the steps of tests/check.sh (make check), which
# has already run tests/deps.sh check.
unit: $(UNIT_TESTS)
	@fail=0; for t in $(UNIT_TESTS); do echo "# $$t"; $$t || fail=1; done; exit $$fail

# Integration tests run as an unprivileged user; see tests/integration/run.
integration: $(BUILD)/rootlesskit $(BUILD)/rootlessctl $(BUILD)/rootlesskit-docker-proxy
	RK_BIN=$(abspath $(BUILD)) tests/integration/run

# make check: dependencies, then the plain build and an ASan+UBSan build
# of the unit and integration tests.
check:
	tests/deps.sh check
	tests/check.sh

run:
	tests/deps.sh run
	$(MAKE) binaries
	RK_BIN=$(abspath $(BUILD)) tests/demo.sh

$(BUILD)/connrate: bench/connrate.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) $(LDFLAGS) -pthread -o $@ $<

# make fuzz: under libFuzzer with ASan+UBSan, FUZZ_TIME seconds each: the
# API's HTTP engine, and the --bypass4netns reader of 32-bit programs'
# msghdrs (bypass_delegate.c); new inputs go to scratch corpora seeded
# from tests/fuzz/seeds and tests/fuzz/seeds-msg32
FUZZ_TIME ?= 60
FUZZ_CC = clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Isrc \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
fuzz:
	tests/deps.sh fuzz
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/corpus-msg32
	cp tests/fuzz/seeds/* $(BUILD)/fuzz/corpus/
	cp tests/fuzz/seeds-msg32/* $(BUILD)/fuzz/corpus-msg32/
	$(FUZZ_CC) -o $(BUILD)/fuzz/fuzz_http \
		tests/fuzz/fuzz_http.c src/api/http.c src/lib/loop.c src/lib/err.c
	$(FUZZ_CC) -o $(BUILD)/fuzz/fuzz_msg32 tests/fuzz/fuzz_msg32.c \
		src/parent/bypass_delegate.c src/lib/util.c src/lib/proc.c src/lib/err.c
	$(BUILD)/fuzz/fuzz_http -max_total_time=$(FUZZ_TIME) -max_len=140000 \
		-print_final_stats=1 $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_msg32 -max_total_time=$(FUZZ_TIME) -max_len=65536 \
		-print_final_stats=1 $(BUILD)/fuzz/corpus-msg32

# make bench: the side-by-side benchmark (bench/run.sh, bench/suite.py)
bench:
	tests/deps.sh bench
	$(MAKE) binaries $(BUILD)/connrate
	RK_BIN=$(abspath $(BUILD)) sh bench/run.sh

# make soak: leak check of the builtin port driver and the API (bench/soak.sh,
# bench/soak.py); SOAK_SCALE scales the counts
soak:
	tests/deps.sh bench
	$(MAKE) binaries $(BUILD)/connrate
	RK_BIN=$(abspath $(BUILD)) sh bench/soak.sh

install:
	tests/deps.sh build
	$(MAKE) binaries
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/rootlesskit $(DESTDIR)$(BINDIR)/rootlesskit
	install -m 0755 $(BUILD)/rootlessctl $(DESTDIR)$(BINDIR)/rootlessctl
	install -m 0755 $(BUILD)/rootlesskit-docker-proxy $(DESTDIR)$(BINDIR)/rootlesskit-docker-proxy
	install -m 0644 docs/rootlesskit.1 $(DESTDIR)$(MANDIR)/man1/rootlesskit.1
	install -m 0644 docs/rootlessctl.1 $(DESTDIR)$(MANDIR)/man1/rootlessctl.1
	install -m 0644 docs/rootlesskit-docker-proxy.1 $(DESTDIR)$(MANDIR)/man1/rootlesskit-docker-proxy.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rootlesskit $(DESTDIR)$(BINDIR)/rootlessctl \
		$(DESTDIR)$(BINDIR)/rootlesskit-docker-proxy $(DESTDIR)$(MANDIR)/man1/rootlesskit.1 \
		$(DESTDIR)$(MANDIR)/man1/rootlessctl.1 $(DESTDIR)$(MANDIR)/man1/rootlesskit-docker-proxy.1

lint:
	tests/deps.sh lint
	$(MAKE) lint-run

# a second make, as for binaries: a recipe is expanded before its first line
# runs, and the flags ask pkg-config, which deps.sh may have to install
lint-run:
	clang-tidy --quiet $(LIB_SRCS) src/cmd/rootlesskit.c src/cmd/rootlessctl.c \
		src/cmd/rootlesskit-docker-proxy.c -- $(ALL_CPPFLAGS) -std=gnu11
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem --inline-suppr src
	tests/contracts.py src

# make deb: dpkg-buildpackage on a copy of the tree in build/deb/src, so the
# .deb, .buildinfo and .changes land in build/deb/; then lintian
.PHONY: deb
deb:
	tests/deps.sh deb
	rm -rf $(BUILD)/deb
	mkdir -p $(BUILD)/deb/src
	tar -cf - --exclude=./build --exclude=./build-asan --exclude=./$(BUILD) --exclude=./.git . | tar -xf - -C $(BUILD)/deb/src
	cd $(BUILD)/deb/src && dpkg-buildpackage -b -us -uc
	lintian --fail-on error,warning $(BUILD)/deb/*.changes

clean:
	rm -rf build build-asan
