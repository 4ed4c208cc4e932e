/* SPDX-License-Identifier: MIT */
/*
 * tests/integration/test_users.c - the users and auth handlers called on
 * a fake struct req against the migrated test database: the
 * authenticate hook (one query, or none with ROUTE_TOKEN_ONLY), the
 * token_version trigger, derived usernames under collision,
 * create-admin, and 503 rather than 401 when the database is away.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "client.h"
#include "config.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "queries.h"
#include "route.h"
#include "users.h"

static struct arena	*a;
static struct config	 cfg;
static struct auth_key	 key;
static char		*env[2];
static char		 authz[4200];

static void
setup(void)
{
	const char *secret = getenv("QUETZAL_JWT_SECRET");

	test_need_stack();
	cr_assert_not_null(secret);
	memset(&cfg, 0, sizeof(cfg));
	cfg.jwt_key = strdup(secret);
	cfg.jwt_key_len = strlen(secret);
	cfg.token_ttl = 1800;
	cfg.refresh_ttl = 3600;
	cfg.bcrypt_cost = 4;
	cr_assert_eq(app_auth_init(&cfg), 0);
	key.bytes = (const unsigned char *)cfg.jwt_key;
	key.len = cfg.jwt_key_len;
	key.max_ttl = cfg.token_ttl;
	db_init(getenv("QUETZAL_DATABASE_URL"), 5000, queries, nqueries);
	a = arena_new(64 * 1024);
}

static void
teardown(void)
{
	arena_free(a);
	db_close();
	free(cfg.jwt_key);
}

TestSuite(users_handlers, .init = setup, .fini = teardown);

/* A request for route (method, pattern) with an optional JSON body and
 * bearer token, as the worker would hand it to the handler. */
static void
fake(struct req *r, const char *method, const char *pattern,
    const char *body, const char *token)
{
	const char *why;

	arena_reset(a);
	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->request_id = "integration";
	r->method = method;
	r->path = pattern;
	r->query = "";
	r->route = test_route(method, pattern);
	r->envelope = r->route->envelope;
	r->body = body ? body : "";
	r->body_len = body ? strlen(body) : 0;
	if (body != NULL) {
		r->json = jsonx_parse(a, body, strlen(body), &why);
		cr_assert_not_null(r->json, "%s", why);
	}
	env[0] = NULL;
	if (token != NULL) {
		snprintf(authz, sizeof(authz), "HTTP_AUTHORIZATION=Bearer %s",
		    token);
		env[0] = authz;
	}
	env[1] = NULL;
	r->env = env;
}

static char *
sql1(const char *sql, const char *arg)
{
	const char *args[] = { arg };

	return app_db_value(sql, 1, args);
}

/* Registers through the handler; returns the new id (static buffer). */
static const char *
register_user(const char *email, const char *username)
{
	static char	 id[32];
	struct req	 r;
	char		 body[512];

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":"
	    "\"password1\"%s%s%s}", email, username ? ",\"username\":\"" : "",
	    username ? username : "", username ? "\"" : "");
	fake(&r, "POST", "/api/v1/users", body, NULL);
	cr_assert_eq(users_create(&r), 201, "%.*s", (int)r.resp_len,
	    r.resp_body);
	cr_assert_not_null(strstr(r.resp_headers, "Location: /api/v1/users/"));
	snprintf(id, sizeof(id), "%s", strrchr(r.resp_headers, '/') + 1);
	id[strcspn(id, "\r\n")] = '\0';
	return id;
}

static const char *
token_for(const char *id, const char *role)
{
	char		*ver = sql1("SELECT token_version FROM users WHERE id = $1",
			    id);
	const char	*t;

	cr_assert_not_null(ver);
	cr_assert_eq(auth_issue(&key, id, role, atol(ver), time(NULL), 1800,
	    a, &t), 0);
	free(ver);
	return t;	/* arena-owned: callers copy it before fake() */
}

Test(users_handlers, a_registration_is_committed_before_the_answer)
{
	char		 email[128], *v;
	const char	*id;

	snprintf(email, sizeof(email), "int_%s@example.com",
	    test_user_suffix());
	id = register_user(email, NULL);
	/* Another connection sees it at once. */
	v = sql1("SELECT email FROM users WHERE id = $1", id);
	cr_assert_str_eq(v, email);
	free(v);
}

Test(users_handlers, the_hook_checks_the_user_row_with_one_query)
{
	struct req	 r;
	char		 email[128], id[32], token[1024], *v;

	snprintf(email, sizeof(email), "hook_%s@example.com",
	    test_user_suffix());
	snprintf(id, sizeof(id), "%s", register_user(email, NULL));
	snprintf(token, sizeof(token), "%s", token_for(id, "user"));

	fake(&r, "GET", "/api/v1/users/{id}", NULL, token);
	cr_assert_eq(app_authenticate(&r, ROUTE_USER), 0, "%s",
	    r.err_detail);
	cr_assert_str_eq(r.user_id, id);
	cr_assert_str_eq(r.role, "user");
	cr_assert_not_null(r.token_ver);

	/* An admin route: 403 for a user. */
	fake(&r, "GET", "/api/v1/users", NULL, token);
	cr_assert_eq(app_authenticate(&r, ROUTE_ADMIN), -1);
	cr_assert_eq(r.err_status, 403);

	/* Deactivated: the next request is refused by the hook. */
	v = sql1("UPDATE users SET is_active = false WHERE id = $1 "
	    "RETURNING token_version", id);
	free(v);
	fake(&r, "GET", "/api/v1/users/{id}", NULL, token);
	cr_assert_eq(app_authenticate(&r, ROUTE_USER), -1);
	cr_assert_eq(r.err_status, 401);
	cr_assert_null(r.user_id);
}

Test(users_handlers, route_token_only_leaves_the_user_check_to_the_handler)
{
	struct req	 r;
	char		 email[128], id[32], token[1024], *v;

	snprintf(email, sizeof(email), "tonly_%s@example.com",
	    test_user_suffix());
	snprintf(id, sizeof(id), "%s", register_user(email, NULL));
	snprintf(token, sizeof(token), "%s", token_for(id, "user"));
	cr_assert(test_route("GET", "/api/v1/users/me")->flags &
	    ROUTE_TOKEN_ONLY);

	fake(&r, "GET", "/api/v1/users/me", NULL, token);
	cr_assert_eq(app_authenticate(&r, ROUTE_USER), 0);
	cr_assert_eq(users_me_get(&r), 200);

	/* Deactivated: the hook, which reads no row, still lets the token
	 * through; the handler's own query refuses it. */
	v = sql1("UPDATE users SET is_active = false WHERE id = $1 "
	    "RETURNING id", id);
	free(v);
	fake(&r, "GET", "/api/v1/users/me", NULL, token);
	cr_assert_eq(app_authenticate(&r, ROUTE_USER), 0);
	cr_assert_str_eq(r.user_id, id);
	cr_assert_eq(users_me_get(&r), 401);
	cr_assert_not_null(strstr(r.resp_headers, "WWW-Authenticate: Bearer"));
}

Test(users_handlers, without_the_database_the_hook_answers_503_not_401)
{
	struct req	 r;
	const char	*t;
	char		 token[1024];

	cr_assert_eq(auth_issue(&key, "1", "user", 1, time(NULL), 1800, a,
	    &t), 0);
	snprintf(token, sizeof(token), "%s", t);
	db_init("host=/nonexistent-dir dbname=x", 5000, queries, nqueries);
	fake(&r, "GET", "/api/v1/users/{id}", NULL, token);
	cr_assert_eq(app_authenticate(&r, ROUTE_USER), -1);
	cr_assert_eq(r.err_status, 503);
}

Test(users_handlers, token_version_moves_only_for_role_activity_password)
{
	char		 email[128], id[32], *v;
	const char	*args[2];

	snprintf(email, sizeof(email), "ver_%s@example.com",
	    test_user_suffix());
	snprintf(id, sizeof(id), "%s", register_user(email, NULL));
	args[0] = id;
	args[1] = auth_opaque_hash(a, id);
	v = app_db_value("INSERT INTO refresh_tokens (user_id, token_hash, "
	    "expires_at) VALUES ($1, $2, now() + interval '1 hour') "
	    "RETURNING id", 2, args);
	free(v);
	v = sql1("UPDATE users SET full_name = 'x', username = username || "
	    "'_x' WHERE id = $1 RETURNING token_version", id);
	cr_assert_str_eq(v, "1", "a name change keeps the tokens");
	free(v);
	v = sql1("SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND "
	    "revoked_at IS NULL", id);
	cr_assert_str_eq(v, "1");
	free(v);
	v = sql1("UPDATE users SET role = 'admin' WHERE id = $1 "
	    "RETURNING token_version", id);
	cr_assert_str_eq(v, "2");
	free(v);
	v = sql1("SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND "
	    "revoked_at IS NULL", id);
	cr_assert_str_eq(v, "0", "a version bump revokes refresh tokens");
	free(v);
	v = sql1("UPDATE users SET role = 'admin' WHERE id = $1 "
	    "RETURNING token_version", id);
	cr_assert_str_eq(v, "2", "the same role again is no change");
	free(v);
	v = sql1("UPDATE users SET is_active = false WHERE id = $1 "
	    "RETURNING token_version", id);
	cr_assert_str_eq(v, "3");
	free(v);
	args[1] = "$2b$04$abcdefghijklmnopqrstuu5Xn6b0lJ3h9Pp1P6vZ5r6XcYqT0o9m2";
	v = app_db_value("UPDATE users SET password_hash = $2 WHERE id = $1 "
	    "RETURNING token_version", 2, args);
	cr_assert_str_eq(v, "4");
	free(v);
}

Test(users_handlers, a_derived_username_that_is_taken_gets_a_suffix)
{
	const char	*sfx = test_user_suffix();
	char		 email[128], taken[64], *v;
	const char	*id;

	/* Someone already has the username the email would give. */
	snprintf(taken, sizeof(taken), "Clash_%s", sfx);
	snprintf(email, sizeof(email), "other_%s@example.com", sfx);
	register_user(email, taken);
	snprintf(email, sizeof(email), "clash_%s@example.com", sfx);
	id = register_user(email, NULL);
	v = sql1("SELECT username FROM users WHERE id = $1", id);
	cr_assert_str_neq(v, taken);
	cr_assert_eq(strncasecmp(v, taken, strlen(taken) > 25 ? 25 :
	    strlen(taken)), 0, "%s", v);
	cr_assert_leq(strlen(v), 32);
	free(v);
}

Test(users_handlers, create_admin_creates_promotes_and_validates)
{
	struct req	 r;
	char		 email[128], *v;

	snprintf(email, sizeof(email), "adm_%s@example.com",
	    test_user_suffix());
	fake(&r, "GET", "/api/v1/users", NULL, NULL);
	cr_assert_eq(users_create_admin(&r, email, "admin-password"), 1);
	fake(&r, "GET", "/api/v1/users", NULL, NULL);
	cr_assert_eq(users_create_admin(&r, email, "admin-password-2"), 0);
	v = sql1("SELECT role || ' ' || token_version FROM users WHERE "
	    "lower(email) = lower($1)", email);
	cr_assert_str_eq(v, "admin 2", "the new password bumped the version");
	free(v);
	fake(&r, "GET", "/api/v1/users", NULL, NULL);
	cr_assert_eq(users_create_admin(&r, "bad", "short"), -1);
	cr_assert_eq(r.err_status, 422);
	cr_assert_eq(r.nerrors, 2);
	cr_assert_str_eq(r.errors[0].field, "email");
	cr_assert_str_eq(r.errors[1].field, "password");
}

Test(users_handlers, the_token_endpoint_answers_in_the_oauth_shape)
{
	struct req	 r;
	char		 email[128], body[512], *v;

	snprintf(email, sizeof(email), "oauth_%s@example.com",
	    test_user_suffix());
	register_user(email, NULL);
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":"
	    "\"password1\"}", email);
	fake(&r, "POST", "/api/v1/auth/token", body, NULL);
	cr_assert_eq(auth_token(&r), 200, "%.*s", (int)r.resp_len,
	    r.resp_body);
	cr_assert_not_null(strstr(r.resp_body, "\"token_type\":\"bearer\""));
	cr_assert_not_null(strstr(r.resp_headers, "Cache-Control: no-store"));
	v = sql1("SELECT count(*) FROM refresh_tokens t JOIN users u ON "
	    "u.id = t.user_id WHERE u.email = $1", email);
	cr_assert_str_eq(v, "1");
	free(v);
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":"
	    "\"password2\"}", email);
	fake(&r, "POST", "/api/v1/auth/token", body, NULL);
	cr_assert_eq(auth_token(&r), 400);
	cr_assert_str_eq(r.resp_type, "application/json");
	cr_assert_not_null(strstr(r.resp_body, "\"error\":\"invalid_grant\""),
	    "%s", r.resp_body);
	cr_assert_null(r.resp_headers ? strstr(r.resp_headers,
	    "WWW-Authenticate") : NULL);
}

/*
 * Migration 0014: the stored doc is user_json() of the row as it is now,
 * byte for byte, whoever writes it: an insert, an UPDATE from SQL (the
 * token-version, email-NFC and updated_at triggers run before doc's), and
 * text that JSON must escape.
 */
Test(users_handlers, the_stored_doc_is_user_json_of_the_row)
{
	struct test_user	 u;
	const char		*p[1];
	char			*v;

	test_user_new(&u);
	p[0] = u.id;
	v = app_db_value("SELECT doc = user_json(u)::text AND doc::json IS "
	    "NOT NULL FROM users u WHERE id = $1", 1, p);
	cr_assert_str_eq(v, "t", "doc differs from user_json after insert");
	free(v);
	free(app_db_value("UPDATE users SET full_name = E'Ad\\u00e9 \"q\" "
	    "\\\\ \\t 🦜', role = 'admin', email = 'E' || chr(769) || "
	    "email WHERE id = $1 RETURNING id", 1, p));
	v = app_db_value("SELECT doc = user_json(u)::text AND token_version > 1 "
	    "AND doc LIKE '%\"role\" : \"admin\"%' AND doc LIKE '%É%' "
	    "FROM users u WHERE id = $1", 1, p);
	cr_assert_str_eq(v, "t", "doc differs from user_json after update");
	free(v);
	v = app_db_value("SELECT count(*) FROM users u "
	    "WHERE doc IS DISTINCT FROM user_json(u)::text", 0, NULL);
	cr_assert_str_eq(v, "0", "%s users with a stale doc", v);
	free(v);
}
