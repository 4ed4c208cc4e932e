/* SPDX-License-Identifier: MIT */
/*
 * fuzz_user_cursor.c - the user list cursor (?cursor= of GET
 * /api/v1/users): cursor_decode() of app/users.c (OpenSSL's
 * EVP_DecodeBlock on a re-padded copy), included here for its static
 * decoder.  Input: the cursor as the handler gets it (a C string).
 *
 * Checked: memory safety around the padding arithmetic, and that an
 * accepted cursor yields a canonical positive int64 for SQL.
 */
#include "fuzz.h"

#include "users.c"

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
	struct arena	*a = fuzz_arena();
	char		*s = fuzz_cstr(data, size);
	const char	*id;

	id = cursor_decode(a, s);
	if (id != NULL) {
		FUZZ_CHECK(route_is_id(id));
		FUZZ_CHECK(strlen(s) <= 32);
	}
	free(s);
	arena_reset(a);
	return 0;
}
