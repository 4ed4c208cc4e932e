/* SPDX-License-Identifier: MIT */
/*
 * auth.c - the token endpoints of SPEC 4.3 (OAuth2 password grant, refresh
 * with rotation, logout) and the worker's authenticate hook.  SQL in
 * sql/queries/auth.sql and users.sql; tokens in lib/auth.c, bcrypt in
 * lib/password.c.  The token endpoints answer errors as RFC 6749 5.2.
 */
#include "handlers.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
#include "password.h"
#include "pwguard.h"
#include "queries.h"
#include "route.h"
#include "worker.h"

struct app_auth		 app_auth = { 1800, 1209600, 12 };
static struct auth_key	 key;
static struct auth_key	 previous_key;	/* QUETZAL_JWT_SECRET_PREVIOUS_FILE */
/* The process's cache, for requests outside an accept loop (tests); each
 * loop has its own in loop->app_slot, so no two threads share one. */
static struct auth_cache *cache;

/* The longest email is 254 bytes; nothing longer can name a user. */
#define LOGIN_MAX	254

int
app_auth_init(const struct config *c)
{
	if (c->jwt_key == NULL || c->jwt_key_len < AUTH_KEY_MIN) {
		log_msg(LOG_ERR, "no JWT key of at least %d bytes",
		    AUTH_KEY_MIN);
		return -1;
	}
	app_auth.token_ttl = c->token_ttl;
	app_auth.refresh_ttl = c->refresh_ttl;
	app_auth.bcrypt_cost = c->bcrypt_cost;
	key.bytes = (const unsigned char *)c->jwt_key;
	key.len = c->jwt_key_len;
	key.max_ttl = c->token_ttl;
	key.previous = NULL;
	if (c->jwt_prev_key != NULL) {
		previous_key.bytes = (const unsigned char *)c->jwt_prev_key;
		previous_key.len = c->jwt_prev_key_len;
		previous_key.max_ttl = c->token_ttl;
		key.previous = &previous_key;
	}
	auth_cache_free(cache);
	cache = auth_cache_new(&key);
	/* At the configured cost, so an unknown user costs what a known
	 * one does. */
	return password_init(c->bcrypt_cost);
}

int
app_auth_loop_init(struct worker_loop *loop)
{
	loop->app_slot = auth_cache_new(&key);
	return 0;
}

void
app_auth_loop_fini(struct worker_loop *loop)
{
	auth_cache_free(loop->app_slot);
	loop->app_slot = NULL;
}

int
app_authenticate(struct req *r, int level)
{
	const char		*hdr = http_param(r, "HTTP_AUTHORIZATION");
	const char		*token = auth_bearer(hdr), *why, *row[1];
	struct auth_claims	 c;
	bool			 optional = level == ROUTE_OPTIONAL;
	int			 rc;

	if (token == NULL) {
		if (optional)
			return 0;
		return http_error(r, 401, hdr == NULL ? "a bearer token is "
		    "required" : "send Authorization: Bearer <token>");
	}
	if (cache == NULL)
		die("app_authenticate before app_auth_init");
	if (auth_verify_cached(r->loop != NULL && r->loop->app_slot != NULL ?
	    r->loop->app_slot : cache, token, time(NULL), r->arena, &c,
	    &why) < 0) {
		log_msg(LOG_INFO, "token refused: request_id=%s reason=\"%s\"",
		    r->request_id, why);
		if (optional)
			return 0;
		return http_error(r, 401, "the token is invalid or expired");
	}
	r->user_id = c.sub;
	r->role = c.role;
	r->token_ver = arena_printf(r->arena, "%ld", c.ver);
	if (r->route == NULL || !(r->route->flags & ROUTE_TOKEN_ONLY)) {
		rc = db_one(r, Q_USER_AUTH_CHECK, DB_ARGS(r->user_id,
		    r->token_ver), DB_ROW(row));
		if (rc < 0)
			return -1;	/* 503, recorded */
		if (rc == 0) {
			r->user_id = r->role = r->token_ver = NULL;
			if (optional)
				return 0;
			return http_error(r, 401, "the token was revoked");
		}
		r->role = arena_strdup(r->arena, row[0]);
	}
	if (level == ROUTE_ADMIN && strcmp(r->role, "admin") != 0)
		return http_error(r, 403, "this needs the admin role");
	return 0;
}

int
app_auth_stale(struct req *r)
{
	http_error(r, 401, "the token was revoked");
	return http_fail(r);
}

/* The parameters of the token endpoints, from a form or a JSON object.
 * Unknown parameters are ignored, as RFC 6749 3.2 requires. */
struct token_in {
	const char *grant_type, *username, *password, *refresh_token, *scope;
};

static const struct jsonx_field token_in_fields[] = {
	JSONX_STRING(struct token_in, grant_type, JSONX_NULLABLE, 0, 0),
	JSONX_STRING(struct token_in, username, JSONX_NULLABLE, 0, 0),
	JSONX_STRING(struct token_in, password, JSONX_NULLABLE, 0, 0),
	JSONX_STRING(struct token_in, refresh_token, JSONX_NULLABLE, 0, 0),
	JSONX_STRING(struct token_in, scope, JSONX_NULLABLE, 0, 0),
	JSONX_END
};

static void
forget_error(struct req *r)
{
	r->err_status = 0;
	r->err_detail = r->err_code = NULL;
	r->err_sqlstate = r->err_constraint = NULL;
	r->nerrors = 0;
}

static const char *const token_params[] = { "grant_type", "username",
    "password", "refresh_token", "scope" };

static int
read_params(struct req *r, struct token_in *in)
{
	memset(in, 0, sizeof(*in));
	if (r->json != NULL) {
		if (jsonx_read_ex(r, NULL, token_in_fields, in, NULL,
		    JSONX_IGNORE_UNKNOWN) == 0)
			return 0;
		forget_error(r);
		return http_oauth_error(r, 400, "invalid_request",
		    "parameters must be strings in a JSON object");
	}
	if (r->nform > 0) {
		/* RFC 6749 3.1: no parameter may be sent more than once
		 * (ours are counted; unknown ones are ignored anyway). */
		for (size_t k = 0; k < sizeof(token_params) /
		    sizeof(token_params[0]); k++) {
			int seen = 0;

			for (int i = 0; i < r->nform; i++)
				seen += strcmp(r->form[i].name,
				    token_params[k]) == 0;
			if (seen > 1)
				return http_oauth_error(r, 400,
				    "invalid_request", arena_printf(r->arena,
				    "parameter %s is sent more than once",
				    token_params[k]));
		}
		in->grant_type = http_pairs_get(r->form, r->nform,
		    "grant_type");
		in->username = http_pairs_get(r->form, r->nform, "username");
		in->password = http_pairs_get(r->form, r->nform, "password");
		in->refresh_token = http_pairs_get(r->form, r->nform,
		    "refresh_token");
		return 0;
	}
	return http_oauth_error(r, 400, "invalid_request", "send the "
	    "parameters as application/x-www-form-urlencoded or JSON");
}

/* A database failure in the OAuth shape: 503 is temporarily_unavailable. */
static int
oauth_fail(struct req *r)
{
	if (r->err_code == NULL)
		r->err_code = r->err_status == 503 ?
		    "temporarily_unavailable" : "server_error";
	return http_fail(r);
}

static int
bad_grant(struct req *r, const char *description)
{
	http_oauth_error(r, 400, "invalid_grant", description);
	return http_fail(r);
}

/* Signs the access token and answers RFC 6749 5.1. */
static int
send_tokens(struct req *r, const char *user_id, const char *role,
    const char *ver, const char *refresh)
{
	const char *access;

	if (auth_issue(&key, user_id, role, strtol(ver, NULL, 10), time(NULL),
	    app_auth.token_ttl, r->arena, &access) < 0) {
		http_error(r, 500, "cannot sign a token");
		return oauth_fail(r);
	}
	http_header(r, "Cache-Control", "no-store");
	http_header(r, "Pragma", "no-cache");
	/* JWT and base64url characters need no JSON escaping. */
	return http_send_json(r, 200, arena_printf(r->arena,
	    "{\"access_token\":\"%s\",\"token_type\":\"bearer\","
	    "\"expires_in\":%ld,\"refresh_token\":\"%s\"}", access,
	    app_auth.token_ttl, refresh));
}

int
auth_token(struct req *r)
{
	struct token_in	 in;
	/* id, hash, is_active, role, ver (NULL: no such user), the seconds
	 * the subject stays locked, whether it has failures on record */
	const char	*row[7] = { NULL };
	const char	*refresh, *rrow[1], *uid;
	struct hashgate_slot slot;
	bool		 ok;
	int		 rc;

	if (read_params(r, &in) < 0)
		return http_fail(r);
	if (in.grant_type != NULL && strcmp(in.grant_type, "password") != 0) {
		http_oauth_error(r, 400, "unsupported_grant_type",
		    "grant_type must be password");
		return http_fail(r);
	}
	if (in.username == NULL || in.password == NULL ||
	    in.username[0] == '\0') {
		http_oauth_error(r, 400, "invalid_request",
		    "username and password are required");
		return http_fail(r);
	}
	/* The gate first: when it is full the refusal costs no query. */
	if (pwguard_enter(r, &slot) < 0)
		return oauth_fail(r);
	/* An unknown name is throttled as an account is: the answers and
	 * their times do not tell whether the account exists.  One bcrypt
	 * either way.  Nothing longer than an email names a user: no lookup,
	 * the throttle's own query.  Otherwise one round trip brings the
	 * user and the throttle's word. */
	if (strlen(in.username) > LOGIN_MAX) {
		row[0] = NULL;
		rc = pwguard_check(r, NULL, in.username);
	} else if (db_one(r, Q_USER_LOGIN, DB_ARGS(in.username),
	    DB_ROW(row)) != 1)
		rc = -1;
	else
		rc = pwguard_locked(r, row[5]);
	if (rc < 0) {
		pwguard_leave(&slot);
		return oauth_fail(r);
	}
	uid = row[0];
	ok = uid != NULL ? password_verify(in.password, row[1]) :
	    password_verify_dummy(in.password);
	pwguard_leave(&slot);
	if (!ok) {
		if (pwguard_failed(r, uid, in.username) < 0)
			return oauth_fail(r);
		return bad_grant(r, "Incorrect username or password");
	}
	/* A right password clears the record, when there is one. */
	if (strcmp(row[6], "t") == 0 && pwguard_succeeded(r, uid) < 0)
		return oauth_fail(r);
	if (strcmp(row[2], "t") != 0)
		return bad_grant(r, "Inactive user");

	refresh = auth_opaque_new(r->arena);
	if (db_one(r, Q_REFRESH_INSERT, DB_ARGS(row[0],
	    auth_opaque_hash(r->arena, refresh), arena_printf(r->arena, "%ld",
	    app_auth.refresh_ttl)), DB_ROW(rrow)) != 1)
		return oauth_fail(r);
	r->user_id = row[0];	/* for the log line */
	return send_tokens(r, row[0], row[3], row[4], refresh);
}

int
auth_refresh(struct req *r)
{
	struct token_in	 in;
	/* token id, family, spent, revoked, expired, user id, is_active,
	 * role, token_version */
	const char	*row[9], *next, *nrow[1];
	int		 rc;

	if (read_params(r, &in) < 0)
		return http_fail(r);
	if (in.grant_type != NULL &&
	    strcmp(in.grant_type, "refresh_token") != 0) {
		http_oauth_error(r, 400, "unsupported_grant_type",
		    "grant_type must be refresh_token");
		return http_fail(r);
	}
	if (in.refresh_token == NULL || in.refresh_token[0] == '\0') {
		http_oauth_error(r, 400, "invalid_request",
		    "refresh_token is required");
		return http_fail(r);
	}
	if (db_begin(r) < 0)
		return oauth_fail(r);
	rc = db_one(r, Q_REFRESH_CLAIM, DB_ARGS(auth_opaque_hash(r->arena,
	    in.refresh_token)), DB_ROW(row));
	if (rc < 0)
		return oauth_fail(r);
	if (rc == 0)
		return bad_grant(r, "Invalid refresh token");
	if (strcmp(row[2], "t") == 0) {
		/* A spent token came back: one of the two holders is not
		 * the user.  End the family, commit that, refuse. */
		log_msg(LOG_NOTICE, "refresh token reused: request_id=%s "
		    "user_id=%s family=%s", r->request_id, row[5], row[1]);
		if (db_exec(r, Q_REFRESH_REVOKE_FAMILY, DB_ARGS(row[1])) < 0 ||
		    db_commit(r) < 0)
			return oauth_fail(r);
		return bad_grant(r, "Invalid refresh token");
	}
	if (strcmp(row[3], "t") == 0 || strcmp(row[4], "t") == 0)
		return bad_grant(r, "Invalid refresh token");
	if (strcmp(row[6], "t") != 0)
		return bad_grant(r, "Inactive user");

	next = auth_opaque_new(r->arena);
	if (db_one(r, Q_REFRESH_ROTATE, DB_ARGS(row[0],
	    auth_opaque_hash(r->arena, next), arena_printf(r->arena, "%ld",
	    app_auth.refresh_ttl)), DB_ROW(nrow)) != 1 || db_commit(r) < 0) {
		if (r->err_status == 0)
			http_error(r, 500, "cannot rotate the refresh token");
		return oauth_fail(r);
	}
	r->user_id = row[5];
	return send_tokens(r, row[5], row[7], row[8], next);
}

int
auth_logout(struct req *r)
{
	if (db_exec(r, Q_REFRESH_REVOKE_USER, DB_ARGS(r->user_id)) < 0)
		return http_fail(r);
	return http_send_empty(r, 204);
}

int
app_auth_issue(struct req *r, const char *user_id, const char *role,
    const char *ver, const char **token)
{
	if (auth_issue(&key, user_id, role, strtol(ver, NULL, 10), time(NULL),
	    app_auth.token_ttl, r->arena, token) < 0)
		return http_error(r, 500, "cannot sign a token");
	return 0;
}
