/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json_tasks.c - a request body through jsonx_parse() (strict JSON)
 * and jsonx_read() with the task field tables of app/tasks.c (included
 * here for its static tables).  Input: one byte choosing POST/PUT's table
 * or PATCH's, then the body.
 *
 * Checked: success records nothing and gives values that fit the table
 * (title 1..200 characters of UTF-8, a real date, "true"/"false");
 * failure records 400 or 422 and renders a problem+json that parses.
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

static void
check_string(const char *s, size_t lo, size_t hi)
{
	size_t n;

	if (s == NULL)
		return;
	FUZZ_CHECK(http_utf8_ok(s, strlen(s)));
	n = utf8_chars(s);
	FUZZ_CHECK(n >= lo && n <= hi);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena		*a = fuzz_arena();
	const struct jsonx_field *fields;
	struct task_in		 in = { 0 };
	struct req		 r;
	const char		*why;
	char			*body;
	uint64_t		 seen = 0;
	int			 rc;

	if (size < 1)
		return 0;
	fields = data[0] & 1 ? task_patch_fields : task_fields;
	data++;
	size--;
	/* As the worker holds a body: exact size plus a NUL. */
	body = fuzz_cstr(data, size);
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "fuzz";
	r.body = body;
	r.body_len = size;
	r.json = jsonx_parse(a, body, size, &why);
	if (r.json == NULL) {
		FUZZ_CHECK(why != NULL);
		http_error(&r, 400, "%s", why);
		fuzz_check_problem(&r, 400);
		goto out;
	}
	rc = jsonx_read(&r, fields, &in, &seen);
	if (rc == 0) {
		FUZZ_CHECK(r.err_status == 0 && r.nerrors == 0);
		FUZZ_CHECK(fields == task_patch_fields || in.title != NULL);
		check_string(in.title, 1, TASK_TITLE_MAX);
		check_string(in.description, 0, TASK_DESCRIPTION_MAX);
		FUZZ_CHECK(in.due_date == NULL || jsonx_is_date(in.due_date));
		FUZZ_CHECK(in.done == NULL || strcmp(in.done, "true") == 0 ||
		    strcmp(in.done, "false") == 0);
		FUZZ_CHECK(!(seen & ~(uint64_t)0xf));
	} else {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(r.err_status == 422 || r.err_status == 400);
		FUZZ_CHECK(r.nerrors <= HTTP_MAX_ERRORS);
		fuzz_check_problem(&r, r.err_status);
	}
out:
	free(body);
	arena_reset(a);
	return 0;
}
