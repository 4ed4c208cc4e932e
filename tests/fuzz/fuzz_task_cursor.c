/* SPDX-License-Identifier: MIT */
/*
 * fuzz_task_cursor.c - the task list cursor (?cursor= of GET
 * /api/v1/tasks): cursor_decode() of app/tasks.c, included here for its
 * static decoder.  Input: the cursor as the handler gets it (a C string).
 *
 * Checked: an accepted cursor is base64url of exactly
 * "<microseconds>.<id>" (what task_cursor() writes), and the timestamp and
 * id handed to SQL are that key: the timestamp read back with timegm()
 * gives the same microseconds, the id is canonical (bytes after a NUL,
 * issue 11 item 3, included).
 */
#include "fuzz.h"

#include "tasks.c"

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
	struct req	 r;
	const char	*ts = NULL, *id = NULL;
	char		*s = fuzz_cstr(data, size), raw[CURSOR_MAX], *want;
	size_t		 n;
	struct tm	 tm;
	int		 us, consumed = 0;
	long long	 secs, micros;

	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "fuzz";
	if (cursor_decode(&r, s, &ts, &id) < 0) {
		FUZZ_CHECK(r.err_status == 422 && r.nerrors == 1);
		fuzz_check_problem(&r, 422);
		goto out;
	}
	FUZZ_CHECK(r.err_status == 0 && ts != NULL && id != NULL);
	FUZZ_CHECK(route_is_id(id));
	/* Canonical: exactly one spelling per key. */
	FUZZ_CHECK(strlen(s) <= CURSOR_MAX);
	n = (size_t)b64url_decode(s, strlen(s), (unsigned char *)raw,
	    sizeof(raw));
	FUZZ_CHECK(b64url_len(n) == strlen(s));
	{
		char again[CURSOR_MAX + 1];

		b64url_encode((unsigned char *)raw, n, again);
		FUZZ_CHECK(strcmp(again, s) == 0);
	}
	/* "YYYY-MM-DD HH:MM:SS.ffffff+00" back to microseconds. */
	memset(&tm, 0, sizeof(tm));
	FUZZ_CHECK(sscanf(ts, "%4d-%2d-%2d %2d:%2d:%2d.%6d+00%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us,
	    &consumed) == 7 && consumed == (int)strlen(ts));
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	secs = (long long)timegm(&tm);
	micros = secs * 1000000 + us;
	want = arena_printf(a, "%lld.%s", micros, id);
	FUZZ_CHECK(strlen(want) == n && memcmp(want, raw, n) == 0);
out:
	free(s);
	arena_reset(a);
	return 0;
}
