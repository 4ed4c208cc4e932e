/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json_users.c - a request body through jsonx_parse() and
 * jsonx_read_ex() with the user field tables of app/users.c (included
 * here for its static tables and validators), then the checks the
 * handlers make: email_ok, username_ok, password_acceptable, and the
 * username derived from an email.  Input: one byte (bits 0-1 the table:
 * registration, PATCH /users/me, admin PATCH; bit 2 RealWorld's
 * {"user":{...}} envelope with unknown fields ignored), then the body.
 *
 * Checked: success gives values inside the table's limits; failure is a
 * 400 or 422 that renders; a derived username always passes username_ok.
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

/* Any of the three input structs. */
union user_in {
	struct user_new		 n;
	struct user_patch	 p;
	struct user_admin_patch	 a;
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct jsonx_field *const tables[] = {
		user_new_fields, user_patch_fields, user_admin_patch_fields,
		user_new_fields
	};
	struct arena		*a = fuzz_arena();
	const struct jsonx_field *fields;
	union user_in		 in;
	struct req		 r;
	const char		*why, *email = NULL, *code;
	char			*body;
	uint64_t		 seen = 0;
	bool			 envelope;
	int			 rc;

	if (size < 1)
		return 0;
	fields = tables[data[0] & 3];
	envelope = data[0] & 4;
	data++;
	size--;
	body = fuzz_cstr(data, size);
	memset(&in, 0, sizeof(in));
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
	rc = jsonx_read_ex(&r, envelope ? "user" : NULL, fields, &in, &seen,
	    envelope ? JSONX_IGNORE_UNKNOWN : 0);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(r.err_status == 0);
		for (size_t i = 0; fields[i].name != NULL; i++) {
			const char *v = *(const char *const *)
			    ((const char *)&in + fields[i].offset);

			if (v == NULL || fields[i].type != JSONX_T_STRING)
				continue;
			FUZZ_CHECK(http_utf8_ok(v, strlen(v)));
			FUZZ_CHECK(fields[i].max == 0 || strlen(v) <=
			    (size_t)fields[i].max * 4);
		}
	} else
		FUZZ_CHECK(r.err_status == 400 || r.err_status == 422);

	/* What the handlers check next. */
	if (fields == user_new_fields) {
		email = in.n.email;
		check_username(&r, in.n.username);
		if (in.n.password != NULL)
			(void)password_acceptable(in.n.password,
			    strlen(in.n.password), &code);
	} else if (fields == user_patch_fields) {
		email = in.p.email;
		check_username(&r, in.p.username);
	}
	check_email(&r, email);
	if (email != NULL && email_ok(email))
		for (int i = 0; i < 2; i++) {
			const char *u = derive_username(a, email, i);

			FUZZ_CHECK(username_ok(u));
		}
	if (r.err_status != 0)
		fuzz_check_problem(&r, r.err_status);
out:
	free(body);
	arena_reset(a);
	return 0;
}
