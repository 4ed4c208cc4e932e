/* SPDX-License-Identifier: MIT */
/*
 * fuzz_query.c - query strings and x-www-form-urlencoded bodies:
 * http_form_decode() over the raw bytes (not NUL-terminated: an exact-size
 * heap copy, so ASan sees any read past them) and http_query() as the
 * handlers call it.  Every decoded name and value must be valid UTF-8
 * without NUL and no longer than its input.
 */
#include "fuzz.h"

#include <string.h>

#include "arena.h"
#include "http.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_app_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena		*a = fuzz_arena();
	struct http_pair	*pairs;
	struct req		 r;
	const char		*v;
	char			*exact = malloc(size ? size : 1), *s;
	int			 n;
	size_t			 amps = 0;

	if (exact == NULL)
		abort();
	memcpy(exact, data, size);
	for (size_t i = 0; i < size; i++)
		amps += data[i] == '&';
	n = http_form_decode(a, exact, size, &pairs);
	FUZZ_CHECK(n >= -1 && (size_t)(n < 0 ? 0 : n) <= amps + 1);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(pairs[i].name != NULL && pairs[i].value != NULL);
		FUZZ_CHECK(strlen(pairs[i].name) <= size);
		FUZZ_CHECK(strlen(pairs[i].value) <= size);
		FUZZ_CHECK(http_utf8_ok(pairs[i].name, strlen(pairs[i].name)));
		FUZZ_CHECK(http_utf8_ok(pairs[i].value,
		    strlen(pairs[i].value)));
		FUZZ_CHECK(http_pairs_get(pairs, n, pairs[i].name) != NULL);
	}
	free(exact);

	/* As a request's query: the string stops at its first NUL. */
	s = fuzz_cstr(data, size);
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.query = s;
	r.request_id = "fuzz";
	if (http_query(&r, "limit", &v) < 0) {
		FUZZ_CHECK(r.err_status == 400 && v == NULL);
		FUZZ_CHECK(http_fail(&r) == 400 && r.resp_body != NULL);
	} else
		FUZZ_CHECK(r.err_status == 0);
	free(s);
	arena_reset(a);
	return 0;
}
