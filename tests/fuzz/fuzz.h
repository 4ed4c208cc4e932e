/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz share: one arena reset
 * after every input, the test key, and the libFuzzer entry points.  Every
 * target is built with -fsanitize=fuzzer,address,undefined (tests/fuzz/
 * fuzz.mk); a crash, a sanitizer report, a leak or a failed FUZZ_CHECK is
 * a finding.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct arena;
struct auth_key;
struct req;

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property every input must keep: abort (a libFuzzer crash) if not. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n",	\
		    #cond, __FILE__, __LINE__);				\
		abort();						\
	}								\
} while (0)

/* The process-wide arena of the targets (ARENA_DEBUG: one malloc per
 * allocation, so ASan sees every overrun); reset after each input. */
struct arena	*fuzz_arena(void);

/* A NUL-terminated heap copy of data[0..size) (ASan-checked bounds);
 * free() it. */
char		*fuzz_cstr(const uint8_t *data, size_t size);

/* The key the targets sign and verify with: 32 fixed bytes, max_ttl 1800. */
const struct auth_key *fuzz_key(void);

/* Quiet logs, the key configured in app/auth.c (bcrypt cost 4). */
void		 fuzz_app_init(void);

/* Signs the tokens that stand for "@U" and "@A" in header values: user 42
 * (role user, version 1) and user 7 (admin, version 3), with fuzz_key(),
 * valid for its 1800-s max_ttl: longer than a `make fuzz` run (600 s);
 * after that the targets see them refused as expired. */
void		 fuzz_tokens(const char **user, const char **admin);

/* Renders r's recorded error: it must have `status` and be JSON (with
 * "status" in a problem+json). */
void		 fuzz_check_problem(struct req *r, int status);

#endif /* TESTS_FUZZ_FUZZ_H */
