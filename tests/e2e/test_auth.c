/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_auth.c - the token endpoints and bearer authentication of
 * SPEC 4.3 through nginx: the OAuth2 password grant (form and JSON), RFC
 * 6749 errors, refresh rotation and reuse detection, logout, and every way
 * a token is refused (401 with WWW-Authenticate: Bearer).
 */
#include <criterion/criterion.h>

#include <jwt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "users.h"

TestSuite(auth, .init = test_need_stack);

static void
assert_oauth_error(const struct resp *r, const char *error,
    const char *description)
{
	cr_assert_eq(r->status, 400, "%ld %s", r->status, r->body);
	resp_assert_header(r, "Content-Type", "application/json");
	cr_assert_str_eq(resp_str(r, "error"), error, "%s", r->body);
	if (description != NULL)
		cr_assert_str_eq(resp_str(r, "error_description"),
		    description);
}

static void
assert_401(const struct resp *r)
{
	char *rid = resp_header(r, "X-Request-ID");

	cr_assert_eq(r->status, 401, "%ld %s", r->status, r->body);
	resp_assert_header(r, "WWW-Authenticate", "Bearer");
	resp_assert_header(r, "Content-Type", "application/problem+json");
	cr_assert_str_eq(resp_str(r, "title"), "Unauthorized");
	cr_assert_str_eq(resp_str(r, "status"), "401");
	cr_assert_str_eq(resp_str(r, "request_id"), rid);
	free(rid);
}

static long
me_status(const char *token)
{
	struct resp	r = http_get("/api/v1/users/me", token);
	long		s = r.status;

	if (s == 401)
		assert_401(&r);
	resp_free(&r);
	return s;
}

/* SELECT with one parameter, first column; malloc'd. */
static char *
sql1(const char *sql, const char *arg)
{
	const char *args[] = { arg };

	return app_db_value(sql, 1, args);
}

Test(auth, a_form_login_returns_a_bearer_pair)
{
	struct test_user	 u;
	struct resp		 r;
	char			 body[512], *v;
	const char		*access, *refresh;

	test_user_new(&u);
	snprintf(body, sizeof(body), "username=%s&password=%s", u.username,
	    u.password);
	r = http_form("/api/v1/auth/token", body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_assert_header(&r, "Content-Type", "application/json");
	resp_assert_header(&r, "Cache-Control", "no-store");
	resp_assert_header(&r, "Pragma", "no-cache");
	cr_assert_str_eq(resp_str(&r, "token_type"), "bearer");
	cr_assert_str_eq(resp_str(&r, "expires_in"), "1800");
	access = resp_str(&r, "access_token");
	refresh = resp_str(&r, "refresh_token");
	cr_assert_not_null(access);
	cr_assert_eq(strncmp(access, "eyJ", 3), 0);
	cr_assert_eq(strlen(refresh), 43);
	cr_assert_eq(me_status(access), 200);
	/* Stored hashed: the SHA-256 is there, the token is not. */
	v = sql1("SELECT user_id FROM refresh_tokens WHERE token_hash = "
	    "encode(sha256(convert_to($1, 'UTF8')), 'hex')", refresh);
	cr_assert_str_eq(v, u.id);
	free(v);
	v = sql1("SELECT count(*) FROM refresh_tokens WHERE token_hash = $1",
	    refresh);
	cr_assert_str_eq(v, "0");
	free(v);
	resp_free(&r);
}

Test(auth, the_access_token_carries_sub_iat_exp_jti_role_ver)
{
	struct test_user	 u;
	jwt_t			*jwt = NULL;
	const char		*secret = getenv("QUETZAL_JWT_SECRET");
	char			*ver;
	long			 iat, exp;

	cr_assert_not_null(secret);
	test_user_new(&u);
	cr_assert_eq(jwt_decode(&jwt, u.token, (const unsigned char *)secret,
	    (int)strlen(secret)), 0);
	cr_assert_str_eq(jwt_get_header(jwt, "alg"), "HS256");
	cr_assert_str_eq(jwt_get_grant(jwt, "sub"), u.id);
	cr_assert_str_eq(jwt_get_grant(jwt, "role"), "user");
	cr_assert_not_null(jwt_get_grant(jwt, "jti"));
	iat = jwt_get_grant_int(jwt, "iat");
	exp = jwt_get_grant_int(jwt, "exp");
	cr_assert_eq(exp - iat, 1800);
	cr_assert_lt(labs(iat - (long)time(NULL)), 60);
	ver = sql1("SELECT token_version FROM users WHERE id = $1", u.id);
	cr_assert_eq(jwt_get_grant_int(jwt, "ver"), atol(ver));
	free(ver);
	jwt_free(jwt);
}

Test(auth, token_alias_json_and_case_insensitive_login_all_work)
{
	struct test_user	 u;
	struct resp		 r;
	char			 body[512], upper[128];

	test_user_new(&u);
	/* /token, with the username. */
	snprintf(body, sizeof(body), "username=%s&password=%s", u.username,
	    u.password);
	r = http_form("/token", body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(me_status(resp_str(&r, "access_token")), 200);
	resp_free(&r);
	/* JSON, with the email in capitals. */
	for (size_t i = 0; i <= strlen(u.email); i++)
		upper[i] = (char)(u.email[i] >= 'a' && u.email[i] <= 'z' ?
		    u.email[i] - 32 : u.email[i]);
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":"
	    "\"%s\",\"grant_type\":\"password\"}", upper, u.password);
	r = http_json("POST", "/api/v1/auth/token", NULL, body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
}

Test(auth, unknown_parameters_are_ignored)
{
	struct test_user	 u;
	struct resp		 r;
	char			 body[512];

	test_user_new(&u);
	snprintf(body, sizeof(body), "client_id=swagger&username=%s&scope=me"
	    "+you&password=%s&client_secret=", u.username, u.password);
	r = http_form("/api/v1/auth/token", body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"%s\","
	    "\"client_id\":\"x\",\"extra\":{\"a\":[1]}}", u.username,
	    u.password);
	r = http_json("POST", "/api/v1/auth/token", NULL, body);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
}

Test(auth, wrong_password_and_unknown_user_get_the_same_answer)
{
	struct test_user	 u;
	struct resp		 r1, r2;
	char			 body[512];

	test_user_new(&u);
	snprintf(body, sizeof(body), "username=%s&password=wrong-password",
	    u.username);
	r1 = http_form("/api/v1/auth/token", body);
	snprintf(body, sizeof(body), "username=nobody_%s&password=%s",
	    test_user_suffix(), u.password);
	r2 = http_form("/api/v1/auth/token", body);
	assert_oauth_error(&r1, "invalid_grant",
	    "Incorrect username or password");
	assert_oauth_error(&r2, "invalid_grant",
	    "Incorrect username or password");
	cr_assert_str_eq(r1.body, r2.body);
	cr_assert_null(resp_header(&r1, "WWW-Authenticate"));
	resp_free(&r1);
	resp_free(&r2);
}

Test(auth, bad_requests_get_rfc6749_errors)
{
	struct test_user	 u;
	struct resp		 r;
	char			 body[512];

	test_user_new(&u);
	r = http_form("/api/v1/auth/token", "username=someone");
	assert_oauth_error(&r, "invalid_request", NULL);
	resp_free(&r);
	snprintf(body, sizeof(body), "grant_type=client_credentials&username="
	    "%s&password=%s", u.username, u.password);
	r = http_form("/api/v1/auth/token", body);
	assert_oauth_error(&r, "unsupported_grant_type", NULL);
	resp_free(&r);
	r = http_json("POST", "/api/v1/auth/token", NULL,
	    "{\"username\":\"x\",\"password\":12345678}");
	assert_oauth_error(&r, "invalid_request", NULL);
	resp_free(&r);
	r = http_json("POST", "/api/v1/auth/token", NULL, NULL);
	assert_oauth_error(&r, "invalid_request", NULL);
	resp_free(&r);
	/* Malformed bodies are 400 too, in the OAuth shape. */
	r = http_json("POST", "/api/v1/auth/token", NULL, "{\"username\":");
	cr_assert_eq(r.status, 400);
	cr_assert_not_null(resp_str(&r, "error"), "%s", r.body);
	resp_free(&r);
}

Test(auth, an_inactive_user_cannot_log_in)
{
	struct test_user	 u;
	struct resp		 r;
	char			 body[512], *v;

	test_user_new(&u);
	v = sql1("UPDATE users SET is_active = false WHERE id = $1 "
	    "RETURNING id", u.id);
	free(v);
	snprintf(body, sizeof(body), "username=%s&password=%s", u.username,
	    u.password);
	r = http_form("/api/v1/auth/token", body);
	assert_oauth_error(&r, "invalid_grant", "Inactive user");
	resp_free(&r);
	/* And the token it had ends at once. */
	cr_assert_eq(me_status(u.token), 401);
}

Test(auth, bearer_and_token_schemes_are_accepted)
{
	struct test_user	 u;
	const char		*fmts[] = { "Bearer %s", "Token %s",
				    "bearer %s", "TOKEN %s" };
	char			 h[4200];

	test_user_new(&u);
	for (size_t i = 0; i < 4; i++) {
		struct resp r;

		snprintf(h, sizeof(h), fmts[i], u.token);
		r = http_auth("GET", "/api/v1/users/me", h, NULL);
		cr_assert_eq(r.status, 200, "%s: %ld", fmts[i], r.status);
		cr_assert_str_eq(resp_str(&r, "id"), u.id);
		resp_free(&r);
	}
}

Test(auth, a_missing_or_foreign_credential_is_401_with_www_authenticate)
{
	struct test_user	 u;
	const char		*bad[] = { NULL, "", "Basic dXNlcjpwYXNzd29yZA==",
				    "Bearer", "Bearer not-a-jwt",
				    "Bearer a.b.c", "JWT %s", "Bearer %sx" };
	char			 h[4200];

	test_user_new(&u);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resp r;

		if (bad[i] != NULL)
			snprintf(h, sizeof(h), bad[i], u.token);
		r = http_auth("GET", "/api/v1/users/me", bad[i] ? h : NULL,
		    NULL);
		assert_401(&r);
		resp_free(&r);
	}
}

/* A token signed with the stack's secret by libjwt with `alg`, claims
 * as JSON. */
static char *
forge(jwt_alg_t alg, const char *claims)
{
	const char	*secret = getenv("QUETZAL_JWT_SECRET");
	jwt_t		*jwt;
	char		*s;

	cr_assert_eq(jwt_new(&jwt), 0);
	cr_assert_eq(jwt_add_grants_json(jwt, claims), 0);
	if (alg == JWT_ALG_NONE)
		cr_assert_eq(jwt_set_alg(jwt, alg, NULL, 0), 0);
	else
		cr_assert_eq(jwt_set_alg(jwt, alg, (const unsigned char *)
		    secret, (int)strlen(secret)), 0);
	s = jwt_encode_str(jwt);
	jwt_free(jwt);
	return s;
}

static char *
claims_for(const struct test_user *u, long iat, long exp, const char *ver)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld,"
	    "\"jti\":\"forged\",\"role\":\"admin\",\"ver\":%s}", u->id, iat,
	    exp, ver);
	return buf;
}

Test(auth, forged_tokens_are_refused)
{
	struct test_user	 u;
	long			 now = (long)time(NULL);
	char			*ver, *t, *none, *v1;

	test_user_new(&u);
	ver = sql1("SELECT token_version FROM users WHERE id = $1", u.id);
	/* Control: our claims, our key, HS256: accepted. */
	t = forge(JWT_ALG_HS256, claims_for(&u, now, now + 600, ver));
	cr_assert_eq(me_status(t), 200);
	free(t);
	/* alg none, with and without a signature part. */
	none = forge(JWT_ALG_NONE, claims_for(&u, now, now + 600, ver));
	cr_assert_eq(me_status(none), 401);
	v1 = malloc(strlen(none) + 8);
	sprintf(v1, "%sAAAA", none);
	cr_assert_eq(me_status(v1), 401);
	free(v1);
	free(none);
	/* HS384 and HS512 with our own key. */
	t = forge(JWT_ALG_HS384, claims_for(&u, now, now + 600, ver));
	cr_assert_eq(me_status(t), 401);
	free(t);
	t = forge(JWT_ALG_HS512, claims_for(&u, now, now + 600, ver));
	cr_assert_eq(me_status(t), 401);
	free(t);
	/* Expired. */
	t = forge(JWT_ALG_HS256, claims_for(&u, now - 1000, now - 10, ver));
	cr_assert_eq(me_status(t), 401);
	free(t);
	/* Longer-lived than the TTL. */
	t = forge(JWT_ALG_HS256, claims_for(&u, now, now + 86400, ver));
	cr_assert_eq(me_status(t), 401);
	free(t);
	/* A stale token version. */
	t = forge(JWT_ALG_HS256, claims_for(&u, now, now + 600, "999"));
	cr_assert_eq(me_status(t), 401);
	free(t);
	/* No exp; a string exp. */
	snprintf(v1 = malloc(512), 512, "{\"sub\":\"%s\",\"iat\":%ld,"
	    "\"jti\":\"j\",\"role\":\"user\",\"ver\":%s}", u.id, now, ver);
	t = forge(JWT_ALG_HS256, v1);
	cr_assert_eq(me_status(t), 401);
	free(t);
	snprintf(v1, 512, "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":\"%ld\","
	    "\"jti\":\"j\",\"role\":\"user\",\"ver\":%s}", u.id, now,
	    now + 600, ver);
	t = forge(JWT_ALG_HS256, v1);
	cr_assert_eq(me_status(t), 401);
	free(t);
	free(v1);
	free(ver);
}

Test(auth, an_over_long_token_is_401_or_refused_by_nginx)
{
	size_t	 n = 6000;
	char	*t = malloc(n + 1);
	long	 s;

	memset(t, 'A', n);
	t[10] = '.';
	t[5000] = '.';
	t[n] = '\0';
	s = me_status(t);
	cr_assert_eq(s, 401, "%ld", s);
	free(t);
}

Test(auth, a_token_of_a_user_that_does_not_exist_is_401)
{
	struct test_user	 u;
	long			 now = (long)time(NULL);
	char			*t;

	test_user_new(&u);
	snprintf(u.id, sizeof(u.id), "%s", "9000000000000000000");
	t = forge(JWT_ALG_HS256, claims_for(&u, now, now + 600, "1"));
	cr_assert_eq(me_status(t), 401);
	free(t);
}

static struct resp
refresh_with(const char *token)
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"refresh_token\":\"%s\"}", token);
	return http_json("POST", "/api/v1/auth/refresh", NULL, body);
}

Test(auth, a_refresh_token_buys_a_new_pair_once)
{
	struct test_user	 u;
	struct resp		 r;
	char			 next[512], *v;

	test_user_new(&u);
	r = refresh_with(u.refresh);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_assert_header(&r, "Cache-Control", "no-store");
	cr_assert_str_eq(resp_str(&r, "token_type"), "bearer");
	snprintf(next, sizeof(next), "%s", resp_str(&r, "refresh_token"));
	cr_assert_str_neq(next, u.refresh);
	cr_assert_eq(me_status(resp_str(&r, "access_token")), 200);
	resp_free(&r);
	/* The spent one points at its successor, in the same family. */
	v = sql1("SELECT (o.used_at IS NOT NULL AND o.replaced_by = n.id AND "
	    "o.family = n.family AND n.used_at IS NULL)::text FROM "
	    "refresh_tokens o JOIN refresh_tokens n ON n.token_hash = "
	    "encode(sha256(convert_to($1, 'UTF8')), 'hex') WHERE o.user_id "
	    "= n.user_id AND o.replaced_by IS NOT NULL", next);
	cr_assert_str_eq(v, "true");
	free(v);
	/* The successor works as a form with grant_type too. */
	{
		char body[1024];

		snprintf(body, sizeof(body), "grant_type=refresh_token&"
		    "refresh_token=%s", next);
		r = http_form("/api/v1/auth/refresh", body);
		cr_assert_eq(r.status, 200, "%s", r.body);
		resp_free(&r);
	}
}

Test(auth, reusing_a_spent_refresh_token_revokes_its_family)
{
	struct test_user	 u;
	struct resp		 r;
	char			 newer[512], *v;

	test_user_new(&u);
	r = refresh_with(u.refresh);
	cr_assert_eq(r.status, 200);
	snprintf(newer, sizeof(newer), "%s", resp_str(&r, "refresh_token"));
	resp_free(&r);
	/* The spent one again: refused, and... */
	r = refresh_with(u.refresh);
	assert_oauth_error(&r, "invalid_grant", NULL);
	resp_free(&r);
	/* ...the newer one, never used, is dead too. */
	r = refresh_with(newer);
	assert_oauth_error(&r, "invalid_grant", NULL);
	resp_free(&r);
	v = sql1("SELECT count(*) FILTER (WHERE revoked_at IS NULL) FROM "
	    "refresh_tokens WHERE user_id = $1", u.id);
	cr_assert_str_eq(v, "0");
	free(v);
}

Test(auth, refused_refresh_tokens_are_invalid_grant)
{
	struct test_user	 u;
	struct resp		 r;
	char			*v;

	test_user_new(&u);
	r = refresh_with("not-a-token-we-made");
	assert_oauth_error(&r, "invalid_grant", NULL);
	resp_free(&r);
	r = http_json("POST", "/api/v1/auth/refresh", NULL, "{}");
	assert_oauth_error(&r, "invalid_request", NULL);
	resp_free(&r);
	r = http_form("/api/v1/auth/refresh", "grant_type=password&"
	    "refresh_token=x");
	assert_oauth_error(&r, "unsupported_grant_type", NULL);
	resp_free(&r);
	/* Expired. */
	v = sql1("UPDATE refresh_tokens SET expires_at = now() - interval "
	    "'1 second' WHERE user_id = $1 RETURNING id", u.id);
	free(v);
	r = refresh_with(u.refresh);
	assert_oauth_error(&r, "invalid_grant", NULL);
	resp_free(&r);
}

Test(auth, logout_revokes_the_callers_refresh_tokens)
{
	struct test_user	 u, other;
	struct resp		 r;
	char			*v;

	test_user_new(&u);
	test_user_new(&other);
	r = http_json("POST", "/api/v1/auth/logout", u.token, NULL);
	cr_assert_eq(r.status, 204, "%s", r.body);
	cr_assert_eq(r.len, 0);
	resp_free(&r);
	v = sql1("SELECT count(*) FROM refresh_tokens WHERE user_id = $1 "
	    "AND revoked_at IS NULL", u.id);
	cr_assert_str_eq(v, "0");
	free(v);
	r = refresh_with(u.refresh);
	assert_oauth_error(&r, "invalid_grant", NULL);
	resp_free(&r);
	/* Someone else's session is untouched. */
	r = refresh_with(other.refresh);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	/* Without a token: 401. */
	r = http_json("POST", "/api/v1/auth/logout", NULL, NULL);
	assert_401(&r);
	resp_free(&r);
}

Test(auth, a_deactivated_user_cannot_refresh)
{
	struct test_user	 u;
	struct resp		 r;
	char			*v;

	test_user_new(&u);
	v = sql1("UPDATE users SET is_active = false WHERE id = $1 "
	    "RETURNING id", u.id);
	free(v);
	r = refresh_with(u.refresh);
	assert_oauth_error(&r, "invalid_grant", NULL);
	resp_free(&r);
}
