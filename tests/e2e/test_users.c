/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_users.c - /api/v1/users (SPEC 4.3) through nginx:
 * registration and its validation, /users/me, /users/{id}, the admin
 * routes, and how a role, activity, password change or deletion ends a
 * user's tokens.  Statuses, headers, bodies and database rows.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "client.h"
#include "users.h"

TestSuite(users, .init = test_need_stack);

/* An RFC 9457 answer with `status`. */
static void
assert_problem(const struct resp *r, long status)
{
	char *rid = resp_header(r, "X-Request-ID");

	cr_assert_eq(r->status, status, "want %ld, got %ld: %s", status,
	    r->status, r->body);
	resp_assert_header(r, "Content-Type", "application/problem+json");
	cr_assert_str_eq(resp_str(r, "type"), "about:blank");
	cr_assert_eq(atol(resp_str(r, "status")), status);
	cr_assert_str_eq(resp_str(r, "request_id"), rid);
	free(rid);
	if (status == 401)
		resp_assert_header(r, "WWW-Authenticate", "Bearer");
	else
		cr_assert_null(resp_header(r, "WWW-Authenticate"));
}

/* A 422 or 409 whose errors list names `field` with `code`. */
static void
assert_field_error(const struct resp *r, long status, const char *field,
    const char *code)
{
	char path[64];

	assert_problem(r, status);
	for (int i = 0; i < 32; i++) {
		const char *f;

		snprintf(path, sizeof(path), "errors.%d.field", i);
		if ((f = resp_str(r, path)) == NULL)
			break;
		if (strcmp(f, field) != 0)
			continue;
		snprintf(path, sizeof(path), "errors.%d.code", i);
		if (code != NULL)
			cr_assert_str_eq(resp_str(r, path), code, "%s",
			    r->body);
		snprintf(path, sizeof(path), "errors.%d.message", i);
		cr_assert_not_null(resp_str(r, path));
		return;
	}
	cr_assert_fail("no error for %s in %s", field, r->body);
}

static char *
sql1(const char *sql, const char *arg)
{
	const char *args[] = { arg };

	return app_db_value(sql, 1, args);
}

static long
status_of(const char *method, const char *path, const char *token,
    const char *body)
{
	struct resp	r = http_json(method, path, token, body);
	long		s = r.status;

	resp_free(&r);
	return s;
}

static struct resp
register_json(const char *body)
{
	return http_json("POST", "/api/v1/users", NULL, body);
}

static long
login_status(const char *login, const char *password)
{
	char		body[512];
	struct resp	r;
	long		s;

	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":"
	    "\"%s\"}", login, password);
	r = http_json("POST", "/api/v1/auth/token", NULL, body);
	s = r.status;
	if (s != 200 && s != 400)	/* what the caller asserts says less */
		cr_log_warn("POST /api/v1/auth/token as %s: %ld %s", login, s,
		    r.body);
	resp_free(&r);
	return s;
}

Test(users, registering_answers_201_with_location_and_the_user)
{
	const char	*sfx = test_user_suffix();
	char		 body[512], email[128], loc[128], *v;
	struct resp	 r;

	snprintf(email, sizeof(email), "Reg_%s@Example.com", sfx);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":"
	    "\"correct horse\",\"full_name\":\"Ada L\xc3\xb3vel\xc3\xa1\","
	    "\"username\":\"reg_%s\"}", email, sfx);
	r = register_json(body);
	cr_assert_eq(r.status, 201, "%s", r.body);
	resp_assert_header(&r, "Content-Type", "application/json");
	snprintf(loc, sizeof(loc), "/api/v1/users/%s", resp_str(&r, "id"));
	resp_assert_header(&r, "Location", loc);
	cr_assert_str_eq(resp_str(&r, "email"), email);
	cr_assert_str_eq(resp_str(&r, "full_name"), "Ada L\xc3\xb3vel\xc3\xa1");
	cr_assert_eq(strncmp(resp_str(&r, "username"), "reg_", 4), 0);
	cr_assert_str_eq(resp_str(&r, "role"), "user");
	cr_assert_str_eq(resp_str(&r, "is_active"), "true");
	cr_assert_not_null(resp_str(&r, "created_at"));
	cr_assert_not_null(resp_str(&r, "updated_at"));
	cr_assert_eq(resp_str(&r, "created_at")[10], 'T');
	cr_assert_null(resp_str(&r, "password"));
	cr_assert_null(resp_str(&r, "password_hash"));
	cr_assert_null(strstr(r.body, "$2b$"), "a hash leaked: %s", r.body);
	/* The row: a bcrypt $2b$ hash at the stack's cost 4, not the
	 * password. */
	v = sql1("SELECT password_hash FROM users WHERE id = $1",
	    resp_str(&r, "id"));
	cr_assert_eq(strncmp(v, "$2b$04$", 7), 0, "%s", v);
	cr_assert_eq(strlen(v), 60);
	free(v);
	resp_free(&r);
}

Test(users, a_missing_username_is_derived_from_the_email_and_kept_unique)
{
	const char	*sfx = test_user_suffix();
	char		 body[512], first[64];
	struct resp	 r;

	snprintf(body, sizeof(body), "{\"email\":\"Jane.Doe+%s@example.com\","
	    "\"password\":\"password1\"}", sfx);
	r = register_json(body);
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(first, sizeof(first), "Jane_Doe_%s", sfx);
	first[32] = '\0';	/* cut at 32 characters */
	cr_assert_str_eq(resp_str(&r, "username"), first);
	resp_free(&r);
	/* Same local part, another domain: another username. */
	snprintf(body, sizeof(body), "{\"email\":\"jane.doe+%s@example.org\","
	    "\"password\":\"password1\"}", sfx);
	r = register_json(body);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert_str_neq(resp_str(&r, "username"), first);
	cr_assert_lt(strlen(resp_str(&r, "username")), 33);
	cr_assert_eq(strspn(resp_str(&r, "username"), "ABCDEFGHIJKLMNOPQRSTU"
	    "VWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"),
	    strlen(resp_str(&r, "username")));
	resp_free(&r);
	/* A short local part is padded to a valid username. */
	snprintf(first, sizeof(first), "d%s", sfx);
	for (char *p = first; *p != '\0'; p++)
		if (*p == '_')
			*p = '-';	/* a domain label has no '_' */
	snprintf(body, sizeof(body), "{\"email\":\"j@%s.example.com\","
	    "\"password\":\"password1\"}", first);
	r = register_json(body);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert_eq(strncmp(resp_str(&r, "username"), "j_user", 6), 0, "%s",
	    resp_str(&r, "username"));
	resp_free(&r);
	/* Padded and taken: the padded name gets the random suffix. */
	snprintf(body, sizeof(body), "{\"email\":\"j@%s.example.org\","
	    "\"password\":\"password1\"}", first);
	r = register_json(body);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert_eq(strncmp(resp_str(&r, "username"), "j_user_", 7), 0, "%s",
	    resp_str(&r, "username"));
	cr_assert_eq(strlen(resp_str(&r, "username")), 13);
	resp_free(&r);
}

Test(users, a_taken_email_is_409_whatever_its_case)
{
	struct test_user	 u;
	char			 body[512], upper[128];
	struct resp		 r;

	test_user_new(&u);
	for (size_t i = 0; i <= strlen(u.email); i++)
		upper[i] = (char)(u.email[i] >= 'a' && u.email[i] <= 'z' ?
		    u.email[i] - 32 : u.email[i]);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":"
	    "\"password1\"}", upper);
	r = register_json(body);
	assert_field_error(&r, 409, "email", "taken");
	cr_assert_str_eq(resp_str(&r, "title"), "Conflict");
	resp_free(&r);
}

Test(users, a_taken_username_is_409_whatever_its_case)
{
	struct test_user	 u;
	char			 body[512], upper[64];
	struct resp		 r;

	test_user_new(&u);
	for (size_t i = 0; i <= strlen(u.username); i++)
		upper[i] = (char)(u.username[i] >= 'a' &&
		    u.username[i] <= 'z' ? u.username[i] - 32 : u.username[i]);
	snprintf(body, sizeof(body), "{\"email\":\"other_%s\",\"username\":"
	    "\"%s\",\"password\":\"password1\"}", u.email, upper);
	r = register_json(body);
	assert_field_error(&r, 409, "username", "taken");
	resp_free(&r);
}

Test(users, invalid_registrations_are_422_naming_the_field)
{
	static const struct {
		const char *body, *field, *code;
	} cases[] = {
		{ "{\"email\":\"not-an-email\",\"password\":\"password1\"}",
		  "email", "invalid_email" },
		{ "{\"email\":\"a@b\",\"password\":\"password1\"}",
		  "email", "invalid_email" },
		{ "{\"email\":\"a b@example.com\",\"password\":\"password1\"}",
		  "email", "invalid_email" },
		{ "{\"email\":\"x@example.com\",\"password\":\"short\"}",
		  "password", "too_short" },
		{ "{\"email\":\"x@example.com\"}", "password", "required" },
		{ "{\"password\":\"password1\"}", "email", "required" },
		{ "{\"email\":\"x@example.com\",\"password\":\"password1\","
		  "\"username\":\"no spaces\"}", "username",
		  "invalid_username" },
		{ "{\"email\":\"x@example.com\",\"password\":\"password1\","
		  "\"username\":\"ab\"}", "username", "too_short" },
		{ "{\"email\":\"x@example.com\",\"password\":\"password1\","
		  "\"role\":\"admin\"}", "role", NULL },
		{ "{\"email\":\"x@example.com\",\"password\":\"password1\","
		  "\"is_active\":false}", "is_active", NULL },
		{ "{\"email\":\"x@example.com\",\"password\":\"password1\","
		  "\"nickname\":\"x\"}", "nickname", "unknown_field" },
		{ "{\"email\":42,\"password\":\"password1\"}", "email",
		  "type" },
		{ "{\"email\":\"x@example.com\",\"password\":null}",
		  "password", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct resp r = register_json(cases[i].body);

		assert_field_error(&r, 422, cases[i].field, cases[i].code);
		resp_free(&r);
	}
}

Test(users, a_password_is_never_truncated)
{
	const char	*sfx = test_user_suffix();
	char		 pw72[80], pw73[80], body[512], email[128];
	struct resp	 r;
	char		*v;

	memset(pw72, 'k', 72);
	pw72[72] = '\0';
	memcpy(pw73, pw72, 72);
	pw73[72] = 'k';
	pw73[73] = '\0';
	snprintf(email, sizeof(email), "long_%s@example.com", sfx);
	/* 73 bytes: 422, no row. */
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, pw73);
	r = register_json(body);
	assert_field_error(&r, 422, "password", "too_long");
	resp_free(&r);
	v = sql1("SELECT count(*) FROM users WHERE email = $1", email);
	cr_assert_str_eq(v, "0");
	free(v);
	/* 72 bytes work; 73 bytes with the same prefix do not log in. */
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}",
	    email, pw72);
	r = register_json(body);
	cr_assert_eq(r.status, 201, "%s", r.body);
	resp_free(&r);
	cr_assert_eq(login_status(email, pw72), 200);
	cr_assert_eq(login_status(email, pw73), 400);
	/* 72 bytes of UTF-8 (24 x 3 bytes) count as bytes, not characters. */
	pw72[0] = '\0';
	for (int i = 0; i < 25; i++)
		strcat(pw72, "\xe2\x82\xac");
	snprintf(body, sizeof(body), "{\"email\":\"euro_%s@example.com\","
	    "\"password\":\"%s\"}", sfx, pw72);
	r = register_json(body);
	assert_field_error(&r, 422, "password", "too_long");
	resp_free(&r);
}

Test(users, registration_wants_a_json_object)
{
	const char	*h[] = { "Content-Type: application/x-www-form-urlencoded",
			    NULL };
	struct resp	 r;

	r = register_json("{\"email\":");
	assert_problem(&r, 400);
	resp_free(&r);
	r = register_json("[1,2]");
	assert_problem(&r, 422);
	resp_free(&r);
	cr_assert_eq(http_req("POST", "/api/v1/users", h,
	    "email=a%40b.c&password=password1", &r), 0);
	assert_problem(&r, 415);
	resp_free(&r);
}

Test(users, me_is_the_caller)
{
	struct test_user	u;
	struct resp		r;

	test_user_new(&u);
	r = http_get("/api/v1/users/me", u.token);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_assert_header(&r, "Content-Type", "application/json");
	cr_assert_str_eq(resp_str(&r, "id"), u.id);
	cr_assert_str_eq(resp_str(&r, "email"), u.email);
	cr_assert_str_eq(resp_str(&r, "username"), u.username);
	cr_assert_str_eq(resp_str(&r, "full_name"), "Test User");
	cr_assert_str_eq(resp_str(&r, "role"), "user");
	resp_free(&r);
	r = http_get("/api/v1/users/me", NULL);
	assert_problem(&r, 401);
	resp_free(&r);
	/* PUT is not a method of /users/me. */
	r = http_json("PUT", "/api/v1/users/me", u.token, "{}");
	assert_problem(&r, 405);
	resp_assert_header(&r, "Allow", "GET, HEAD, PATCH, DELETE");
	resp_free(&r);
}

Test(users, patching_me_changes_name_and_username)
{
	struct test_user	 u;
	struct resp		 r;
	char			 body[256], *v;

	test_user_new(&u);
	snprintf(body, sizeof(body), "{\"full_name\":\"New Name\","
	    "\"username\":\"n_%s\"}", u.id);
	r = http_json("PATCH", "/api/v1/users/me", u.token, body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "full_name"), "New Name");
	cr_assert_str_eq(resp_str(&r, "email"), u.email);
	cr_assert_str_neq(resp_str(&r, "updated_at"),
	    resp_str(&r, "created_at"));
	resp_free(&r);
	v = sql1("SELECT username FROM users WHERE id = $1", u.id);
	cr_assert_eq(strncmp(v, "n_", 2), 0);
	free(v);
	/* full_name null clears it; the token still works. */
	r = http_json("PATCH", "/api/v1/users/me", u.token,
	    "{\"full_name\":null}");
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_null(resp_str(&r, "full_name"));
	resp_free(&r);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", u.token, NULL), 200);
}

Test(users, patching_me_refuses_bad_fields)
{
	struct test_user	 u, other;
	struct resp		 r;
	char			 body[256];

	test_user_new(&u);
	test_user_new(&other);
	snprintf(body, sizeof(body), "{\"username\":\"%s\"}", other.username);
	r = http_json("PATCH", "/api/v1/users/me", u.token, body);
	assert_field_error(&r, 409, "username", "taken");
	resp_free(&r);
	r = http_json("PATCH", "/api/v1/users/me", u.token,
	    "{\"role\":\"admin\"}");
	assert_field_error(&r, 422, "role", "unknown_field");
	resp_free(&r);
	r = http_json("PATCH", "/api/v1/users/me", u.token,
	    "{\"username\":\"bad name\"}");
	assert_field_error(&r, 422, "username", "invalid_username");
	resp_free(&r);
}

Test(users, changing_the_email_needs_the_current_password)
{
	struct test_user	 u, other;
	struct resp		 r;
	char			 body[512], email[160];

	test_user_new(&u);
	test_user_new(&other);
	snprintf(email, sizeof(email), "moved_%s", u.email);
	snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
	r = http_json("PATCH", "/api/v1/users/me", u.token, body);
	assert_field_error(&r, 422, "current_password", "required");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"current_password\":"
	    "\"not-it\"}", email);
	r = http_json("PATCH", "/api/v1/users/me", u.token, body);
	assert_field_error(&r, 422, "current_password", "incorrect");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"current_password\":"
	    "\"%s\"}", other.email, u.password);
	r = http_json("PATCH", "/api/v1/users/me", u.token, body);
	assert_field_error(&r, 409, "email", "taken");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"current_password\":"
	    "\"%s\"}", email, u.password);
	r = http_json("PATCH", "/api/v1/users/me", u.token, body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "email"), email);
	resp_free(&r);
	cr_assert_eq(login_status(email, u.password), 200);
	cr_assert_eq(login_status(u.email, u.password), 400);
	/* An email change does not end the session. */
	cr_assert_eq(status_of("GET", "/api/v1/users/me", u.token, NULL), 200);
}

Test(users, a_password_change_ends_every_token_of_the_user)
{
	struct test_user	 u;
	struct resp		 r;
	char			 body[512], rbody[600], *v;

	test_user_new(&u);
	r = http_json("PATCH", "/api/v1/users/me", u.token,
	    "{\"password\":\"brand-new-password\"}");
	assert_field_error(&r, 422, "current_password", "required");
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"password\":\"brand-new-password\","
	    "\"current_password\":\"%s\"}", u.password);
	r = http_json("PATCH", "/api/v1/users/me", u.token, body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_null(resp_str(&r, "password"));
	resp_free(&r);
	/* The access token is refused at the next request... */
	r = http_get("/api/v1/users/me", u.token);
	assert_problem(&r, 401);
	resp_free(&r);
	/* ...and so is the refresh token. */
	snprintf(rbody, sizeof(rbody), "{\"refresh_token\":\"%s\"}",
	    u.refresh);
	r = http_json("POST", "/api/v1/auth/refresh", NULL, rbody);
	cr_assert_eq(r.status, 400);
	cr_assert_str_eq(resp_str(&r, "error"), "invalid_grant");
	resp_free(&r);
	v = sql1("SELECT count(*) FROM refresh_tokens WHERE user_id = $1 "
	    "AND revoked_at IS NULL", u.id);
	cr_assert_str_eq(v, "0");
	free(v);
	cr_assert_eq(login_status(u.email, u.password), 400);
	cr_assert_eq(login_status(u.email, "brand-new-password"), 200);
}

Test(users, deleting_me_removes_the_account_and_what_it_owns)
{
	struct test_user	 u;
	struct resp		 r;
	char			*v;

	test_user_new(&u);
	r = http_json("DELETE", "/api/v1/users/me", u.token, NULL);
	cr_assert_eq(r.status, 204, "%s", r.body);
	cr_assert_eq(r.len, 0);
	resp_free(&r);
	v = sql1("SELECT count(*) FROM users WHERE id = $1", u.id);
	cr_assert_str_eq(v, "0");
	free(v);
	v = sql1("SELECT count(*) FROM refresh_tokens WHERE user_id = $1",
	    u.id);
	cr_assert_str_eq(v, "0");
	free(v);
	r = http_get("/api/v1/users/me", u.token);
	assert_problem(&r, 401);
	resp_free(&r);
	cr_assert_eq(login_status(u.email, u.password), 400);
}

Test(users, a_user_reads_only_itself_and_others_are_404)
{
	struct test_user	 u, other;
	struct resp		 r;
	char			 path[64];

	test_user_new(&u);
	test_user_new(&other);
	snprintf(path, sizeof(path), "/api/v1/users/%s", u.id);
	r = http_get(path, u.token);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "id"), u.id);
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/users/%s", other.id);
	r = http_get(path, u.token);
	assert_problem(&r, 404);
	cr_assert_null(strstr(r.body, other.email));
	resp_free(&r);
	/* The same answer as for a user that does not exist. */
	r = http_get("/api/v1/users/9000000000000000000", u.token);
	assert_problem(&r, 404);
	resp_free(&r);
	r = http_get(path, NULL);
	assert_problem(&r, 401);
	resp_free(&r);
}

Test(users, ids_that_are_not_positive_int64_are_404)
{
	struct test_user	 u;
	const char		*bad[] = { "0", "-1", "01", "abc", "1.5",
				    "9223372036854775808", "%20" };
	char			 path[64];

	test_user_new(&u);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resp r;

		snprintf(path, sizeof(path), "/api/v1/users/%s", bad[i]);
		r = http_get(path, u.token);
		assert_problem(&r, 404);
		resp_free(&r);
	}
}

Test(users, an_admin_reads_anyone)
{
	struct test_user	 admin, u;
	struct resp		 r;
	char			 path[64];

	test_admin_new(&admin);
	test_user_new(&u);
	snprintf(path, sizeof(path), "/api/v1/users/%s", u.id);
	r = http_get(path, admin.token);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "email"), u.email);
	resp_free(&r);
	r = http_get("/api/v1/users/9000000000000000000", admin.token);
	assert_problem(&r, 404);
	resp_free(&r);
}

Test(users, admin_routes_are_403_for_users_and_401_without_a_token)
{
	struct test_user	 u, other;
	char			 path[64];
	struct resp		 r;

	test_user_new(&u);
	test_user_new(&other);
	snprintf(path, sizeof(path), "/api/v1/users/%s", other.id);
	r = http_get("/api/v1/users", u.token);
	assert_problem(&r, 403);
	resp_free(&r);
	r = http_json("PATCH", path, u.token, "{\"role\":\"admin\"}");
	assert_problem(&r, 403);
	resp_free(&r);
	r = http_json("DELETE", path, u.token, NULL);
	assert_problem(&r, 403);
	resp_free(&r);
	/* Promoting oneself is refused the same way. */
	snprintf(path, sizeof(path), "/api/v1/users/%s", u.id);
	r = http_json("PATCH", path, u.token, "{\"role\":\"admin\"}");
	assert_problem(&r, 403);
	resp_free(&r);
	r = http_get("/api/v1/users", NULL);
	assert_problem(&r, 401);
	resp_free(&r);
}

Test(users, the_admin_list_pages_with_a_cursor_and_filters_by_prefix)
{
	struct test_user	 admin;
	const char		*sfx = test_user_suffix();
	char			 body[512], path[256], cursor[128] = "";
	char			 seen[3][64];
	struct resp		 r;

	test_admin_new(&admin);
	/* Three users sharing a prefix nobody else has. */
	for (int i = 0; i < 3; i++) {
		snprintf(body, sizeof(body), "{\"email\":\"pfx%s_%d@example."
		    "com\",\"password\":\"password1\"}", sfx, i);
		r = register_json(body);
		cr_assert_eq(r.status, 201, "%s", r.body);
		resp_free(&r);
	}
	for (int page = 0; page < 3; page++) {
		snprintf(path, sizeof(path), "/api/v1/users?q=PFX%s&limit=1%s%s",
		    sfx, cursor[0] ? "&cursor=" : "", cursor);
		r = http_get(path, admin.token);
		cr_assert_eq(r.status, 200, "%s", r.body);
		resp_assert_header(&r, "Content-Type", "application/json");
		cr_assert_not_null(resp_str(&r, "items.0.email"));
		cr_assert_null(resp_str(&r, "items.1"));
		snprintf(seen[page], sizeof(seen[page]), "%s",
		    resp_str(&r, "items.0.email"));
		/* Newest first. */
		cr_assert_not_null(strstr(seen[page], page == 0 ? "_2@" :
		    page == 1 ? "_1@" : "_0@"), "%s", seen[page]);
		if (page < 2) {
			cr_assert_not_null(resp_str(&r, "next_cursor"));
			snprintf(cursor, sizeof(cursor), "%s",
			    resp_str(&r, "next_cursor"));
		} else
			cr_assert_null(resp_str(&r, "next_cursor"), "%s",
			    r.body);
		resp_free(&r);
	}
	/* Default page: items and a next_cursor member, null or not. */
	r = http_get("/api/v1/users", admin.token);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(strstr(r.body, "\"next_cursor\""));
	cr_assert_not_null(resp_str(&r, "items.0.id"));
	resp_free(&r);
}

Test(users, bad_list_parameters_are_422_naming_the_parameter)
{
	struct test_user	 admin;
	static const struct {
		const char *query, *field;
	} cases[] = {
		{ "limit=0", "limit" }, { "limit=101", "limit" },
		{ "limit=abc", "limit" }, { "limit=-5", "limit" },
		{ "limit=", "limit" }, { "cursor=%21%21", "cursor" },
		{ "cursor=bm90LWFuLWlk", "cursor" },	/* "not-an-id" */
		{ "cursor=MA", "cursor" },		/* "0" */
	};
	char path[128];

	test_admin_new(&admin);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct resp r;

		snprintf(path, sizeof(path), "/api/v1/users?%s",
		    cases[i].query);
		r = http_get(path, admin.token);
		assert_field_error(&r, 422, cases[i].field, NULL);
		resp_free(&r);
	}
}

Test(users, an_admin_changes_role_and_the_old_token_ends)
{
	struct test_user	 admin, u;
	struct resp		 r;
	char			 path[64];

	test_admin_new(&admin);
	test_user_new(&u);
	snprintf(path, sizeof(path), "/api/v1/users/%s", u.id);
	r = http_json("PATCH", path, admin.token,
	    "{\"role\":\"admin\",\"full_name\":\"Promoted\"}");
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "role"), "admin");
	cr_assert_str_eq(resp_str(&r, "full_name"), "Promoted");
	resp_free(&r);
	/* The token that said "user" is over. */
	cr_assert_eq(status_of("GET", "/api/v1/users/me", u.token, NULL), 401);
	test_user_login(&u);
	cr_assert_eq(status_of("GET", "/api/v1/users", u.token, NULL), 200);
}

Test(users, a_deactivated_users_token_stops_at_the_next_request)
{
	struct test_user	 admin, u;
	struct resp		 r;
	char			 path[64], *v;

	test_admin_new(&admin);
	test_user_new(&u);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", u.token, NULL), 200);
	snprintf(path, sizeof(path), "/api/v1/users/%s", u.id);
	r = http_json("PATCH", path, admin.token, "{\"is_active\":false}");
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "is_active"), "false");
	resp_free(&r);
	r = http_get("/api/v1/users/me", u.token);
	assert_problem(&r, 401);
	resp_free(&r);
	/* Routes that check the token in the hook refuse it too. */
	cr_assert_eq(status_of("PATCH", "/api/v1/users/me", u.token,
	    "{\"full_name\":\"x\"}"), 401);
	cr_assert_eq(login_status(u.email, u.password), 400);
	v = sql1("SELECT count(*) FROM refresh_tokens WHERE user_id = $1 "
	    "AND revoked_at IS NULL", u.id);
	cr_assert_str_eq(v, "0");
	free(v);
	/* Reactivated: a new login works, the old token stays dead. */
	r = http_json("PATCH", path, admin.token, "{\"is_active\":true}");
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", u.token, NULL), 401);
	cr_assert_eq(login_status(u.email, u.password), 200);
}

Test(users, the_admin_patch_takes_only_role_is_active_full_name)
{
	struct test_user	 admin, u;
	char			 path[64];
	static const struct {
		const char *body, *field;
	} cases[] = {
		{ "{\"email\":\"x@example.com\"}", "email" },
		{ "{\"password\":\"password1\"}", "password" },
		{ "{\"role\":\"root\"}", "role" },
		{ "{\"is_active\":\"no\"}", "is_active" },
		{ "{\"role\":null}", "role" },
	};

	test_admin_new(&admin);
	test_user_new(&u);
	snprintf(path, sizeof(path), "/api/v1/users/%s", u.id);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct resp r = http_json("PATCH", path, admin.token,
		    cases[i].body);

		assert_field_error(&r, 422, cases[i].field, NULL);
		resp_free(&r);
	}
	{
		struct resp r = http_json("PATCH",
		    "/api/v1/users/9000000000000000000", admin.token,
		    "{\"full_name\":\"x\"}");

		assert_problem(&r, 404);
		resp_free(&r);
	}
}

Test(users, an_admin_deletes_a_user)
{
	struct test_user	 admin, u;
	struct resp		 r;
	char			 path[64], *v;

	test_admin_new(&admin);
	test_user_new(&u);
	snprintf(path, sizeof(path), "/api/v1/users/%s", u.id);
	r = http_json("DELETE", path, admin.token, NULL);
	cr_assert_eq(r.status, 204, "%s", r.body);
	resp_free(&r);
	v = sql1("SELECT count(*) FROM users WHERE id = $1", u.id);
	cr_assert_str_eq(v, "0");
	free(v);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", u.token, NULL), 401);
	r = http_json("DELETE", path, admin.token, NULL);
	assert_problem(&r, 404);
	resp_free(&r);
}

/* Runs `quetzal create-admin --email E` with `password` on stdin;
 * returns the exit status, the first output line in out. */
static int
create_admin(const char *email, const char *password, char *out,
    size_t outlen)
{
	const char	*bin = getenv("QUETZAL_REAL_BIN") ?
			    getenv("QUETZAL_REAL_BIN") : getenv("QUETZAL_BIN");
	char		 cmd[1024];
	FILE		*p;
	int		 st;

	cr_assert_not_null(bin, "QUETZAL_BIN is not set");
	/* The password goes through a file, not the command line. */
	snprintf(cmd, sizeof(cmd), "/tmp/quetzal-test-pw.%d", (int)getpid());
	p = fopen(cmd, "w");
	cr_assert_not_null(p);
	fprintf(p, "%s\n", password);
	fclose(p);
	snprintf(cmd, sizeof(cmd), "'%s' create-admin --email '%s' "
	    "</tmp/quetzal-test-pw.%d 2>&1", bin, email, (int)getpid());
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	out[0] = '\0';
	if (fgets(out, (int)outlen, p) == NULL)
		out[0] = '\0';
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	snprintf(cmd, sizeof(cmd), "/tmp/quetzal-test-pw.%d", (int)getpid());
	remove(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(users, create_admin_creates_then_promotes)
{
	const char		*sfx = test_user_suffix();
	struct test_user	 u;
	char			 email[128], out[256], *v;

	snprintf(email, sizeof(email), "root_%s@example.com", sfx);
	cr_assert_eq(create_admin(email, "admin-password-1", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_not_null(strstr(out, "created admin"), "%s", out);
	v = sql1("SELECT role || ' ' || is_active FROM users WHERE email = $1",
	    email);
	cr_assert_str_eq(v, "admin true");
	free(v);
	cr_assert_eq(login_status(email, "admin-password-1"), 200);

	/* An existing user: promoted, with the new password, its old
	 * token over. */
	test_user_new(&u);
	cr_assert_eq(create_admin(u.email, "promoted-password", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_not_null(strstr(out, "promoted admin"), "%s", out);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", u.token, NULL), 401);
	cr_assert_eq(login_status(u.email, u.password), 400);
	cr_assert_eq(login_status(u.email, "promoted-password"), 200);
	v = sql1("SELECT role FROM users WHERE id = $1", u.id);
	cr_assert_str_eq(v, "admin");
	free(v);
}

Test(users, create_admin_refuses_bad_input)
{
	char out[256];

	cr_assert_eq(create_admin("not-an-email", "admin-password-1", out,
	    sizeof(out)), 1, "%s", out);
	cr_assert_not_null(strstr(out, "email"), "%s", out);
	cr_assert_eq(create_admin("short@example.com", "short", out,
	    sizeof(out)), 1, "%s", out);
	cr_assert_not_null(strstr(out, "password"), "%s", out);
}

Test(users, a_hash_made_by_python_bcrypt_logs_in)
{
	const char	*sfx = test_user_suffix();
	char		 hash[128] = "", email[128], uname[64], *v;
	const char	*args[3];
	FILE		*p;

	/* As the Python original (passlib over python3-bcrypt) stored it. */
	p = popen("/usr/bin/python3 -c 'import bcrypt; print(bcrypt.hashpw("
	    "b\"migrated-password\", bcrypt.gensalt(4)).decode())' "
	    "2>/dev/null", "r");
	if (p != NULL && fgets(hash, sizeof(hash), p) == NULL)
		hash[0] = '\0';
	if (p != NULL)
		pclose(p);
	hash[strcspn(hash, "\n")] = '\0';
	if (strncmp(hash, "$2b$", 4) != 0)
		cr_skip_test("python3-bcrypt is not installed (apt install "
		    "python3-bcrypt): cannot make a hash to migrate");
	snprintf(email, sizeof(email), "py_%s@example.com", sfx);
	snprintf(uname, sizeof(uname), "py_%s", sfx);
	args[0] = email;
	args[1] = uname;
	args[2] = hash;
	v = app_db_value("INSERT INTO users (email, username, password_hash) "
	    "VALUES ($1, $2, $3) RETURNING id", 3, args);
	cr_assert_not_null(v);
	free(v);
	cr_assert_eq(login_status(email, "migrated-password"), 200);
	cr_assert_eq(login_status(email, "migrated-passwordX"), 400);
}
