/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_conduit_users.c - the users of the Conduit API (SPEC 4.5)
 * through nginx: POST /api/users, /api/users/login, GET and PUT /api/user;
 * one users table and one token scheme with /api/v1 (SPEC 4.3); the
 * RealWorld error shape; bad input changes nothing.
 */
#include <criterion/criterion.h>

#include <json.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conduit.h"
#include "users.h"

TestSuite(conduit_users, .init = test_need_stack, .timeout = 60);

Test(conduit_users, register_answers_201_with_the_user_and_a_token)
{
	struct cd_user	 u;
	struct resp	 r;
	char		 body[512];
	const char	*sfx = test_user_suffix();

	snprintf(body, sizeof(body), "{\"user\":{\"username\":\"Jake_%s\","
	    "\"email\":\"jake_%s@jake.jake\",\"password\":\"jakejake\","
	    "\"role\":\"admin\",\"whatever\":[1]}}", sfx, sfx);
	r = cd_call("POST", "/api/users", NULL, body);
	cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
	cr_assert(strncmp(resp_str(&r, "user.username"), "Jake_", 5) == 0);
	cr_assert(strncmp(resp_str(&r, "user.email"), "jake_", 5) == 0);
	cr_assert_null(resp_str(&r, "user.bio"));
	cr_assert_null(resp_str(&r, "user.image"));
	cr_assert_not_null(strstr(r.body, "\"bio\" : null"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"image\" : null"), "%s", r.body);
	/* Unknown fields are ignored (SPEC 4.5), role too: a plain user. */
	cd_assert_sql("user", "SELECT role FROM users WHERE email = $1",
	    resp_str(&r, "user.email"), NULL);
	strcpy(u.token, resp_str(&r, "user.token"));
	resp_free(&r);

	r = cd_call("GET", "/api/user", &u, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "user.token"), u.token);
	resp_free(&r);
}

Test(conduit_users, one_users_table_and_one_token_scheme_with_api_v1)
{
	struct test_user	 v1;
	struct cd_user		 c;
	struct resp		 r;
	char			 body[512];

	/* Registered at /api/v1, logs in at /api. */
	test_user_new(&v1);
	snprintf(body, sizeof(body), "{\"user\":{\"email\":\"%s\","
	    "\"password\":\"%s\"}}", v1.email, v1.password);
	r = cd_call("POST", "/api/users/login", NULL, body);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "user.username"), v1.username);
	resp_free(&r);
	/* A /api/v1 token works on /api (Bearer or Token). */
	for (int i = 0; i < 2; i++) {
		char auth[4200];

		snprintf(auth, sizeof(auth), "%s %s", i ? "Token" : "Bearer",
		    v1.token);
		r = http_auth("GET", "/api/user", auth, NULL);
		cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
		cr_assert_str_eq(resp_str(&r, "user.email"), v1.email);
		cr_assert_str_eq(resp_str(&r, "user.token"), v1.token);
		resp_free(&r);
	}

	/* Registered at /api, logs in at /api/v1 with its username. */
	cd_user_new(&c);
	snprintf(body, sizeof(body), "username=%s&password=%s", c.username,
	    c.password);
	r = http_form("/api/v1/auth/token", body);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	/* A Conduit token works on /api/v1. */
	r = http_get("/api/v1/users/me", c.token);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "username"), c.username);
	resp_free(&r);
}

Test(conduit_users, taken_email_or_username_is_422_naming_it)
{
	struct cd_user	 u;
	struct resp	 r;
	char		 body[512], upper[64], email[128];
	const char	*sfx = test_user_suffix();

	cd_user_new(&u);
	snprintf(body, sizeof(body), "{\"user\":{\"username\":\"n_%s\","
	    "\"email\":\"%s\",\"password\":\"12345678\"}}", sfx, u.email);
	r = cd_call("POST", "/api/users", NULL, body);
	cd_assert_error(&r, 422, "email");
	cr_assert_str_eq(resp_str(&r, "errors.email.0"),
	    "has already been taken");
	resp_free(&r);

	/* Usernames are unique case-insensitively. */
	for (size_t i = 0; i <= strlen(u.username); i++)
		upper[i] = (char)(u.username[i] >= 'a' && u.username[i] <= 'z' ?
		    u.username[i] - 32 : u.username[i]);
	snprintf(email, sizeof(email), "n_%s@x.example", sfx);
	snprintf(body, sizeof(body), "{\"user\":{\"username\":\"%s\","
	    "\"email\":\"%s\",\"password\":\"12345678\"}}", upper, email);
	r = cd_call("POST", "/api/users", NULL, body);
	cd_assert_error(&r, 422, "username");
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM users WHERE email = $1",
	    email, NULL), 0);
}

Test(conduit_users, bad_registrations_are_4xx_and_create_nothing)
{
	static const char *const bodies[] = {
		"{}",
		"{\"user\":null}",
		"{\"user\":[]}",
		"{\"user\":{\"username\":\"ok_name\",\"password\":\"12345678\"}}",
		"{\"user\":{\"email\":\"a@b.example\",\"password\":\"12345678\"}}",
		"{\"user\":{\"username\":\"ok_name\",\"email\":\"a@b.example\"}}",
		"{\"user\":{\"username\":\"x\",\"email\":\"a@b.example\","
		    "\"password\":\"12345678\"}}",
		"{\"user\":{\"username\":\"bad name\",\"email\":\"a@b.example\","
		    "\"password\":\"12345678\"}}",
		"{\"user\":{\"username\":\"ok_name\",\"email\":\"not-an-email\","
		    "\"password\":\"12345678\"}}",
		"{\"user\":{\"username\":\"ok_name\",\"email\":\"a@b.example\","
		    "\"password\":\"short\"}}",
		"{\"user\":{\"username\":1,\"email\":\"a@b.example\","
		    "\"password\":\"12345678\"}}",
	};
	long before = cd_count("SELECT count(*) FROM users", NULL);

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct resp r = cd_call("POST", "/api/users", NULL, bodies[i]);

		cd_assert_error(&r, 422, NULL);
		resp_free(&r);
	}
	/* Malformed JSON: 400, in the RealWorld shape too. */
	{
		struct resp r = cd_call("POST", "/api/users", NULL,
		    "{\"user\":{\"email\":");

		cd_assert_error(&r, 400, NULL);
		resp_free(&r);
	}
	/* Other tests may add users meanwhile; none of these did. */
	cr_assert_eq(cd_count("SELECT count(*) FROM users WHERE email = "
	    "'a@b.example'", NULL), 0);
	cr_assert_geq(cd_count("SELECT count(*) FROM users", NULL), before);
}

Test(conduit_users, login_with_a_wrong_password_or_unknown_email_is_401)
{
	struct cd_user	 u;
	struct resp	 r;
	char		 body[512];

	cd_user_new(&u);
	snprintf(body, sizeof(body), "{\"user\":{\"email\":\"%s\","
	    "\"password\":\"wrong-password\"}}", u.email);
	r = cd_call("POST", "/api/users/login", NULL, body);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	/* A name of its own: failures for a name nobody has are counted
	 * too, and the suite may run again on the same stack. */
	snprintf(body, sizeof(body), "{\"user\":{\"email\":"
	    "\"nobody_%s@nowhere.example\",\"password\":\"whatever1\"}}",
	    test_user_suffix());
	r = cd_call("POST", "/api/users/login", NULL, body);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	r = cd_call("POST", "/api/users/login", NULL, "{\"user\":{\"email\":"
	    "\"nobody@nowhere.example\"}}");
	cd_assert_error(&r, 422, "password");
	resp_free(&r);

	/* The email is case-insensitive; the token works. */
	for (char *p = u.email; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	snprintf(body, sizeof(body), "{\"user\":{\"email\":\"%s\","
	    "\"password\":\"%s\"}}", u.email, u.password);
	r = cd_call("POST", "/api/users/login", NULL, body);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "user.username"), u.username);
	strcpy(u.token, resp_str(&r, "user.token"));
	resp_free(&r);
	r = cd_call("GET", "/api/user", &u, NULL);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
}

Test(conduit_users, current_user_needs_a_valid_token)
{
	struct cd_user	 u;
	struct resp	 r;

	r = cd_call("GET", "/api/user", NULL, NULL);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	r = http_auth("GET", "/api/user", "Token not.a.jwt", NULL);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	r = cd_call("PUT", "/api/user", NULL, "{\"user\":{\"bio\":\"x\"}}");
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);

	/* ver revocation applies here too: deactivation ends the token. */
	cd_user_new(&u);
	free(cd_sql("UPDATE users SET is_active = false WHERE username = $1 "
	    "RETURNING id", u.username, NULL));
	r = cd_call("GET", "/api/user", &u, NULL);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
}

Test(conduit_users, update_changes_the_fields_given)
{
	struct cd_user	 u;
	struct resp	 r;
	char		 body[512];
	char		*before;

	cd_user_new(&u);
	r = cd_call("PUT", "/api/user", &u, "{\"user\":{\"bio\":\"I like to "
	    "skateboard\",\"image\":\"https://i.example/x.jpg\","
	    "\"token\":\"ignored\"}}");
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "user.bio"), "I like to skateboard");
	cr_assert_str_eq(resp_str(&r, "user.image"), "https://i.example/x.jpg");
	cr_assert_str_eq(resp_str(&r, "user.username"), u.username);
	resp_free(&r);
	cd_assert_sql("I like to skateboard", "SELECT bio FROM users WHERE "
	    "username = $1", u.username, NULL);

	/* null clears; fields not given stay. */
	r = cd_call("PUT", "/api/user", &u, "{\"user\":{\"image\":null}}");
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_null(resp_str(&r, "user.image"));
	cr_assert_str_eq(resp_str(&r, "user.bio"), "I like to skateboard");
	resp_free(&r);

	/* Bad values: 422, nothing written. */
	before = cd_sql("SELECT concat_ws('|', email, username, bio, "
	    "updated_at) FROM users WHERE username = $1", u.username, NULL);
	r = cd_call("PUT", "/api/user", &u, "{\"user\":{\"email\":\"nope\","
	    "\"bio\":\"changed\"}}");
	cd_assert_error(&r, 422, "email");
	resp_free(&r);
	r = cd_call("PUT", "/api/user", &u, "{\"user\":{\"username\":\"a b\"}}");
	cd_assert_error(&r, 422, "username");
	resp_free(&r);
	r = cd_call("PUT", "/api/user", &u, "{\"user\":{\"bio\":42}}");
	cd_assert_error(&r, 422, "bio");
	resp_free(&r);
	cd_assert_sql(before, "SELECT concat_ws('|', email, username, bio, "
	    "updated_at) FROM users WHERE username = $1", u.username, NULL);
	free(before);

	/* A new password: the old token ends, the answer's works. */
	snprintf(body, sizeof(body), "{\"user\":{\"password\":\"new-%s\"}}",
	    u.password);
	r = cd_call("PUT", "/api/user", &u, body);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	{
		struct cd_user old = u;

		strcpy(u.token, resp_str(&r, "user.token"));
		resp_free(&r);
		r = cd_call("GET", "/api/user", &old, NULL);
		cd_assert_error(&r, 401, NULL);
		resp_free(&r);
	}
	r = cd_call("GET", "/api/user", &u, NULL);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"user\":{\"email\":\"%s\","
	    "\"password\":\"new-%s\"}}", u.email, u.password);
	r = cd_call("POST", "/api/users/login", NULL, body);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
}

Test(conduit_users, update_to_a_taken_username_is_422)
{
	struct cd_user	 a, b;
	struct resp	 r;
	char		 body[256];

	cd_user_new(&a);
	cd_user_new(&b);
	snprintf(body, sizeof(body), "{\"user\":{\"username\":\"%s\"}}",
	    a.username);
	r = cd_call("PUT", "/api/user", &b, body);
	cd_assert_error(&r, 422, "username");
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM users WHERE username = $1",
	    b.username, NULL), 1);
}
