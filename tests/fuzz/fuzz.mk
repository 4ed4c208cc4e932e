# SPDX-License-Identifier: MIT
# tests/fuzz/fuzz.mk - libFuzzer targets (included by the Makefile).
#   make fuzz-build          build/fuzz/<target> for every target
#   make fuzz                each target for FUZZ_SECONDS (default 600) over
#                            a copy of its corpus; findings in build/fuzz/out
#   make fuzz-replay         each target over tests/fuzz/corpus/<target>
#                            once, no fuzzing (part of make test)
# Clang 14 and libclang-rt-14-dev (scripts/deps.sh); ASan + UBSan.
FUZZ_CC		?= clang-14
FUZZ_SECONDS	?= 600
FUZZ_DIR	:= build/fuzz
FUZZ_TARGETS	:= query route json_tasks json_users jwt task_cursor \
		   user_cursor etag authz request
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer -DARENA_DEBUG
FUZZ_CFLAGS	:= -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) \
		   -fno-common -pthread -O1 -g $(FUZZ_SAN) \
		   -DQUETZAL_VERSION='"$(VERSION)"' \
		   -Ilib -Iapp -Itests/fuzz -I$(FUZZ_DIR)/gen \
		   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# lib/db.c is replaced by tests/fuzz/db_stub.c: no PostgreSQL in a fuzzer.
FUZZ_LIB_SRC	:= $(filter-out lib/db.c,$(LIB_SRC)) $(APP_SRC) \
		   tests/fuzz/fuzz_common.c tests/fuzz/db_stub.c
FUZZ_OBJ	:= $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRC)) \
		   $(FUZZ_DIR)/obj/gen/queries.o $(FUZZ_DIR)/obj/gen/migrations.o
FUZZ_BINS	:= $(patsubst %,$(FUZZ_DIR)/%,$(FUZZ_TARGETS))
# Targets that #include an app/*.c for its static parsers leave its
# object out.
FUZZ_EXCL_json_tasks	:= app/tasks
FUZZ_EXCL_task_cursor	:= app/tasks
FUZZ_EXCL_etag		:= app/tasks
FUZZ_EXCL_json_users	:= app/users
FUZZ_EXCL_user_cursor	:= app/users

.PHONY: fuzz fuzz-build fuzz-replay

# The generated query and migration tables, as the Makefile makes them.
$(FUZZ_DIR)/gen/queries.h: sql/gen.awk $(QUERIES)
	@mkdir -p $(@D)
	$(GEN) -v mode=queries-h $(QUERIES) > $@
$(FUZZ_DIR)/gen/queries.c: sql/gen.awk $(QUERIES)
	@mkdir -p $(@D)
	$(GEN) -v mode=queries-c $(QUERIES) > $@
$(FUZZ_DIR)/gen/migrations.c: sql/gen.awk $(MIGRATIONS)
	@mkdir -p $(@D)
	$(GEN) -v mode=migrations $(MIGRATIONS) > $@

# Library code: instrumented for coverage, without libFuzzer's main.
$(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_DIR)/gen/queries.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(FUZZ_DIR)/obj/gen/%.o: $(FUZZ_DIR)/gen/%.c $(FUZZ_DIR)/gen/queries.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

define fuzz_target
$(FUZZ_DIR)/$(1): $(FUZZ_DIR)/obj/tests/fuzz/fuzz_$(1).o $(filter-out $(patsubst %,$(FUZZ_DIR)/obj/%.o,$(FUZZ_EXCL_$(1))),$(FUZZ_OBJ))
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -pthread -o $$@ $$^ $(LDLIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))

fuzz-build: $(FUZZ_BINS)

# Each target in turn, under nice: new inputs go to build/fuzz/corpus,
# crashes to build/fuzz/out/<target>, libFuzzer's output to
# build/fuzz/fuzz-<target>.log; the committed corpus is only read.
# Every target runs even when one fails; the status says whether any did.
fuzz: fuzz-build
	@fail=0; for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/out/$$t; \
	    case $$t in json_*) dict=-dict=tests/fuzz/json.dict;; \
	        request) dict=-dict=tests/fuzz/http.dict;; \
	        jwt|authz) dict=-dict=tests/fuzz/jwt.dict;; *) dict=;; esac; \
	    log=$(FUZZ_DIR)/fuzz-$$t.log; \
	    echo "== fuzz $$t for $(FUZZ_SECONDS) s: $$log"; \
	    if nice -n 19 $(FUZZ_DIR)/$$t -max_total_time=$(FUZZ_SECONDS) \
	        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_DIR)/out/$$t/ $$dict \
	        $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; \
	    then grep -E '^#[0-9]+.*(pulse|DONE|NEW)' $$log | tail -n 1; \
	        grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' $$log; \
	    else tail -n 30 $$log; echo "fuzz $$t: FINDING (see $$log)"; \
	        fail=1; fi; \
	done; exit $$fail

# Replays every committed input once, no fuzzing: past findings stay fixed.
fuzz-replay: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    log=$(FUZZ_DIR)/replay-$$t.log; \
	    if ! $(FUZZ_DIR)/$$t -runs=0 tests/fuzz/corpus/$$t >$$log 2>&1; \
	    then tail -n 40 $$log; echo "fuzz replay $$t: FAILED"; exit 1; fi; \
	    echo "fuzz replay $$t: $$(ls tests/fuzz/corpus/$$t | wc -l) inputs ok"; \
	done

-include $(FUZZ_OBJ:.o=.d) $(patsubst %,$(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.d,$(FUZZ_TARGETS))
