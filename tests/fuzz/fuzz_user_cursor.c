/* SPDX-License-Identifier: MIT */
/*
 * fuzz_user_cursor.c - the user list cursor (?cursor= of GET
 * /api/v1/users): cursor_decode() of app/users.c (lib/b64url.c's
 * canonical decoder), included here for its static decoder.  Input: the cursor as the handler gets it (a C string).
 *
 * Checked: memory safety, that an accepted cursor yields a canonical
 * positive int64 for SQL, and that it is the one spelling of that id
 * (base64url of the id again gives the cursor: no blanks, no padding,
 * no stray low bits).
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
		{
			char again[40];

			b64url_encode((const unsigned char *)id, strlen(id),
			    again);
			FUZZ_CHECK(strcmp(again, s) == 0);
		}
	}
	free(s);
	arena_reset(a);
	return 0;
}
