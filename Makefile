# SPDX-License-Identifier: MIT
# quetzal - one hand-written Makefile; every output goes under build/.
#   make                 build/quetzal
#   make SANITIZE=1      build/asan/quetzal (ASan + UBSan, ARENA_DEBUG)
#   make deps            install the Debian packages (sudo when not root)
#   make run             the local stack on http://127.0.0.1:8080
#   make bench           wrk through nginx on the main endpoints (a running
#                        make run, or a throwaway stack): req/s, p50, p99,
#                        CPU per group
#   make test            every suite: unit, integration and end-to-end
#                        (against the sanitized build, valgrind, then the
#                        plain build), system, multihost, and the fuzz
#                        corpus replay
#   make test-multihost  five hosts in namespaces (as root; else skipped)
#   make fuzz            each libFuzzer target for FUZZ_SECONDS (600)
#   make install DESTDIR= PREFIX=
VERSION		:= 0.1.0
PREFIX		?= /usr/local
DESTDIR		?=
WERROR		?= 1
SANITIZE	?= 0

PKGS		:= libpq json-c libjwt fcgi libcrypto libsystemd libxcrypt
TEST_PKGS	:= criterion libcurl

ifeq ($(SANITIZE),1)
BUILD		:= build/asan
SANFLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer -DARENA_DEBUG
OPT		:= -O1
else
BUILD		:= build
SANFLAGS	:=
OPT		:= -O2
endif

WARN		:= -Wall -Wextra -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wformat=2 \
		   -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN		+= -Werror
endif
CC		?= cc
CFLAGS		?= $(OPT) -g
ALL_CFLAGS	:= -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) \
		   -fno-common -fstack-protector-strong -pthread $(SANFLAGS) $(CFLAGS) \
		   -DQUETZAL_VERSION='"$(VERSION)"' \
		   -Ilib -Iapp -I$(BUILD)/gen \
		   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS		:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS	:= $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LDLIBS	:= $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)
LDFLAGS		+= -pthread $(SANFLAGS)

LIB_SRC		:= $(wildcard lib/*.c)
APP_SRC		:= $(filter-out app/main.c,$(wildcard app/*.c))
GEN_SRC		:= $(BUILD)/gen/queries.c $(BUILD)/gen/migrations.c
OBJ		:= $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC) $(APP_SRC)) \
		   $(BUILD)/obj/gen/queries.o $(BUILD)/obj/gen/migrations.o
MAIN_OBJ	:= $(BUILD)/obj/app/main.o
ARCHIVE		:= $(BUILD)/libquetzal.a
BIN		:= $(BUILD)/quetzal

SUITES		:= unit integration e2e
TEST_BINS	:= $(patsubst %,$(BUILD)/tests/%,$(SUITES))
DEPS		:= $(OBJ:.o=.d) $(MAIN_OBJ:.o=.d) \
		   $(patsubst %.c,$(BUILD)/obj/%.d,$(wildcard tests/*/*.c))

.PHONY: all deps run bench test test-unit test-gen test-stack test-system test-valgrind \
	test-multihost \
	install clean \
	tests swagger
.DELETE_ON_ERROR:

all: $(BIN) swagger

# The generator runs the same under mawk (Debian's awk), gawk and busybox
# awk, byte for byte (tests/gen/run.sh proves it); LC_ALL=C makes every awk
# count bytes.  AWK=gawk make picks another awk.
AWK		?= awk
GEN		:= LC_ALL=C $(AWK) -f sql/gen.awk
QUERIES		:= $(sort $(wildcard sql/queries/*.sql))
MIGRATIONS	:= $(sort $(wildcard sql/migrations/*.sql))

$(BUILD)/gen/queries.h: sql/gen.awk $(QUERIES)
	@mkdir -p $(@D)
	$(GEN) -v mode=queries-h $(QUERIES) > $@
$(BUILD)/gen/queries.c: sql/gen.awk $(QUERIES)
	@mkdir -p $(@D)
	$(GEN) -v mode=queries-c $(QUERIES) > $@
# A migration is compiled byte for byte and awk reads lines: a file without
# its final newline would gain one, and a different sha256.
$(BUILD)/gen/migrations.c: sql/gen.awk $(MIGRATIONS)
	@mkdir -p $(@D)
	@for f in $(MIGRATIONS); do [ -z "$$(tail -c 1 $$f)" ] || { \
	    echo "$$f: no newline at the end of the file" >&2; exit 1; }; done
	$(GEN) -v mode=migrations $(MIGRATIONS) > $@

# Every object may include the generated header.
$(BUILD)/obj/%.o: %.c $(BUILD)/gen/queries.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
# bcrypt's Blowfish loops: unrolled, 730 -> 712 us a cost-4 check.
$(BUILD)/obj/lib/bcrypt.o: ALL_CFLAGS += -funroll-loops
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(BUILD)/gen/queries.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
$(BUILD)/obj/tests/%.o: tests/%.c $(BUILD)/gen/queries.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests/support -MMD -MP -c -o $@ $<

$(ARCHIVE): $(OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(MAIN_OBJ) $(ARCHIVE)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# One Criterion binary per suite, from tests/<suite>/*.c + tests/support/*.c.
SUPPORT_OBJ	:= $(patsubst tests/%.c,$(BUILD)/obj/tests/%.o,$(wildcard tests/support/*.c))
define suite
$(BUILD)/tests/$(1): $(patsubst tests/%.c,$(BUILD)/obj/tests/%.o,$(wildcard tests/$(1)/*.c)) $(SUPPORT_OBJ) $(ARCHIVE)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$(TEST_LDLIBS)
endef
$(foreach s,$(SUITES),$(eval $(call suite,$(s))))

tests: $(TEST_BINS) $(BIN)

# Swagger UI comes from the npm registry at build time, never committed;
# without npm the build says so and goes on.
swagger: build/swagger-ui/index.html
build/swagger-ui/index.html: scripts/fetch-swagger.sh
	@scripts/fetch-swagger.sh build/swagger-ui

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@QUETZAL_BIN=$(CURDIR)/build/quetzal scripts/run.sh

bench: $(BIN)
	@QUETZAL_BIN=$(CURDIR)/$(BIN) scripts/bench.sh

# Unit tests need no I/O: they run in the plain and the sanitized build.
test-unit: tests
	$(BUILD)/tests/unit

# Integration and end-to-end suites share one stack: PostgreSQL in a temp
# dir, workers, nginx on a free port.  pgdown/* (stops PostgreSQL) and the
# exact counts of metrics/* (kills workers) run alone, last; the storm of
# wrong logins on a stack of its own in the production shape.
test-stack: tests swagger
	@echo "== integration + e2e against $(BIN)"
	QUETZAL_BIN=$(CURDIR)/$(BIN) QUETZAL_TEST_ROOT=$(CURDIR) \
	    $(if $(wildcard build/swagger-ui/index.html),,QUETZAL_TEST_NO_SWAGGER=1) \
	    tests/support/with-stack.sh sh -c '$(BUILD)/tests/integration && \
	    $(BUILD)/tests/e2e && \
	    QUETZAL_TEST_PGDOWN=1 $(BUILD)/tests/e2e --filter "pgdown/*" && \
	    QUETZAL_TEST_METRICS=1 $(BUILD)/tests/e2e --filter "metrics/*" -j1'
	$(if $(filter 1,$(SANITIZE)),,@echo "== a storm of wrong logins, on the production shape (one loop a worker, no kept connections)")
	$(if $(filter 1,$(SANITIZE)),,QUETZAL_BIN=$(CURDIR)/$(BIN) QUETZAL_TEST_ROOT=$(CURDIR) \
	    QUETZAL_THREADS=1 KEEPALIVE=0 QUETZAL_HASH_SLOTS=2 \
	    $(if $(wildcard build/swagger-ui/index.html),,QUETZAL_TEST_NO_SWAGGER=1) \
	    tests/support/with-stack.sh sh -c 'QUETZAL_TEST_HASHLOAD=1 \
	    $(BUILD)/tests/e2e --filter "throttle/wrong_login_storm*"')
	@echo "== a spare loop serves while the only loop waits on a write"
	QUETZAL_BIN=$(CURDIR)/$(BIN) QUETZAL_TEST_ROOT=$(CURDIR) WORKERS=1 \
	    QUETZAL_THREADS=1 QUETZAL_SPARE_LOOPS=1 KEEPALIVE=0 \
	    $(if $(wildcard build/swagger-ui/index.html),,QUETZAL_TEST_NO_SWAGGER=1) \
	    tests/support/with-stack.sh sh -c 'QUETZAL_TEST_SPARE=1 \
	    $(BUILD)/tests/e2e --filter "spare/*"'
	@echo "== workers stopped and killed under kept connections"
	QUETZAL_BIN=$(CURDIR)/$(BIN) QUETZAL_TEST_ROOT=$(CURDIR) KEEPALIVE=1 \
	    $(if $(wildcard build/swagger-ui/index.html),,QUETZAL_TEST_NO_SWAGGER=1) \
	    tests/support/with-stack.sh sh -c 'QUETZAL_TEST_KILL=1 \
	    $(BUILD)/tests/e2e -j1 --filter "keepconn_kill/*"'

# The end-to-end suite against workers under valgrind (memcheck).
test-valgrind: tests swagger
	QUETZAL_BIN=$(CURDIR)/tests/support/valgrind-quetzal.sh \
	    QUETZAL_REAL_BIN=$(CURDIR)/$(BIN) QUETZAL_TEST_ROOT=$(CURDIR) \
	    tests/support/with-stack.sh $(BUILD)/tests/e2e

# The SQL generator: byte-identical under every awk on the machine, and
# migrations compiled in byte for byte (issue 8).
test-gen: $(ARCHIVE)
	@CC="$(CC)" ARCHIVE="$(ARCHIVE)" LDLIBS="$(LDLIBS)" tests/gen/run.sh

test-system: $(BIN)
	@if [ -x tests/system/run.sh ]; then tests/system/run.sh; \
	else echo "system: no tests/system/run.sh yet"; fi

# Five hosts (front, app1, app2, pg1, pg2) in namespaces on a bridge, each
# its own systemd (issue 13); skipped with the reason where that cannot run.
test-multihost: $(BIN)
	@tests/system/multihost.sh

test: deps
	@$(MAKE) --no-print-directory all tests
	@$(MAKE) --no-print-directory test-gen
	@$(MAKE) --no-print-directory SANITIZE=1 tests
	@$(MAKE) --no-print-directory SANITIZE=1 test-unit
	@$(MAKE) --no-print-directory test-system
	@$(MAKE) --no-print-directory test-multihost
	@$(MAKE) --no-print-directory SANITIZE=1 test-stack
	@$(MAKE) --no-print-directory test-valgrind
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-stack
	@$(MAKE) --no-print-directory fuzz-replay

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/quetzal
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/quetzal
	install -m 0644 app/openapi.json $(DESTDIR)$(PREFIX)/share/quetzal/openapi.json
	@if [ -f build/swagger-ui/index.html ]; then \
	    install -d $(DESTDIR)$(PREFIX)/share/quetzal/swagger-ui && \
	    install -m 0644 build/swagger-ui/* $(DESTDIR)$(PREFIX)/share/quetzal/swagger-ui/; \
	else echo "install: no build/swagger-ui (npm missing): /docs will be absent"; fi

clean:
	rm -rf build

include tests/fuzz/fuzz.mk
-include $(DEPS)
