/* SPDX-License-Identifier: MIT */
/*
 * conduit_users.c - the users of the RealWorld Conduit API (SPEC 4.5):
 * POST /api/users, POST /api/users/login, GET and PUT /api/user.  SQL in
 * sql/queries/conduit_users.sql.
 *
 * The same users table, password hashes and access tokens as /api/v1
 * (SPEC 4.3): a user registered here logs in there and the other way
 * round, and a token from either works on both.  PostgreSQL builds the
 * user JSON without its token; send_user() puts the token in front.
 */
#include "handlers.h"

#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "password.h"
#include "pwguard.h"
#include "queries.h"

#define EMAIL_MAX	254
#define USERNAME_MIN	3
#define USERNAME_MAX	32
#define BIO_MAX		2000
#define IMAGE_MAX	2000

/* {"user":{"token":"<jwt>", ...json}}: `json` is the object PostgreSQL
 * built ("{...}"); a JWT needs no JSON escaping. */
static int
send_user(struct req *r, int status, const char *token, const char *json)
{
	return http_send_json(r, status, arena_printf(r->arena,
	    "{\"user\":{\"token\":\"%s\",%s}", token, json + 1));
}

/* A unique index refused the row: RealWorld says 422 "has already been
 * taken" for the field (users_email_key, users_username_key). */
static int
fail_taken(struct req *r)
{
	const char *c = r->err_constraint, *field = NULL;

	if (r->err_status == 409 && c != NULL)
		field = strcmp(c, "users_email_key") == 0 ? "email" :
		    strcmp(c, "users_username_key") == 0 ? "username" : NULL;
	if (field == NULL)
		return http_fail(r);
	r->err_status = 0;
	r->err_detail = NULL;
	r->err_sqlstate = r->err_constraint = NULL;
	http_invalid(r, field, "taken", "has already been taken");
	return http_fail(r);
}

static void
check_names(struct req *r, const char *email, const char *username)
{
	if (email != NULL && !users_email_valid(email))
		http_invalid(r, "email", "invalid_email", "is invalid");
	if (username != NULL && !users_username_valid(username))
		http_invalid(r, "username", "invalid_username",
		    "must be 3 to 32 letters, digits, '_' or '-'");
}

/* Signs a token for the row (id, role, token_version, json) and answers. */
static int
answer(struct req *r, int status, const char *const *row)
{
	const char *token;

	if (app_auth_issue(r, row[0], row[1], row[2], &token) < 0)
		return http_fail(r);
	r->user_id = row[0];	/* for the log line */
	return send_user(r, status, token, row[3]);
}

/*
 * POST /api/users {"user":{"username","email","password"}}
 */
struct conduit_new {
	const char *username, *email, *password;
};

static const struct jsonx_field conduit_new_fields[] = {
	JSONX_STRING(struct conduit_new, username, JSONX_REQUIRED,
	    USERNAME_MIN, USERNAME_MAX),
	JSONX_STRING(struct conduit_new, email, JSONX_REQUIRED, 3, EMAIL_MAX),
	JSONX_STRING(struct conduit_new, password, JSONX_REQUIRED |
	    JSONX_BYTES, PASSWORD_MIN, PASSWORD_MAX),
	JSONX_END
};

int
conduit_users_create(struct req *r)
{
	struct conduit_new	 in = { 0 };
	const char		*row[4];
	char			 hash[PASSWORD_HASH_SIZE];
	struct hashgate_slot	 slot;
	int			 bad, rc;

	bad = jsonx_read_ex(r, "user", conduit_new_fields, &in, NULL,
	    JSONX_IGNORE_UNKNOWN);
	check_names(r, in.email, in.username);
	if (bad < 0 || r->err_status != 0)
		return http_fail(r);
	if (pwguard_enter(r, &slot) < 0)
		return http_fail(r);
	rc = password_hash(in.password, app_auth.bcrypt_cost, hash);
	pwguard_leave(&slot);
	if (rc < 0) {
		http_error(r, 500, "cannot hash the password");
		return http_fail(r);
	}
	if (db_one(r, Q_CONDUIT_USER_INSERT, DB_ARGS(in.email, in.username,
	    hash), DB_ROW(row)) != 1)
		return fail_taken(r);
	return answer(r, 201, row);
}

/*
 * POST /api/users/login {"user":{"email","password"}}
 */
struct conduit_login {
	const char *email, *password;
};

static const struct jsonx_field conduit_login_fields[] = {
	JSONX_STRING(struct conduit_login, email, JSONX_REQUIRED, 1, 1024),
	JSONX_STRING(struct conduit_login, password, JSONX_REQUIRED |
	    JSONX_BYTES, 1, 1024),
	JSONX_END
};

static int
bad_login(struct req *r)
{
	http_error(r, 401, "email or password is invalid");
	return http_fail(r);
}

int
conduit_users_login(struct req *r)
{
	struct conduit_login	 in = { 0 };
	/* id, role, ver, json, hash, active (NULL: no such user), seconds
	 * locked, failures on record (sql/queries/conduit_users.sql) */
	const char		*row[8] = { NULL };
	const char		*uid;
	struct hashgate_slot	 slot;
	int			 rc, ok;

	if (jsonx_read_ex(r, "user", conduit_login_fields, &in, NULL,
	    JSONX_IGNORE_UNKNOWN) < 0)
		return http_fail(r);
	/* As POST /token (app/auth.c): the hash gate first, so a refusal
	 * costs no query; the per-account throttle, the same for an unknown
	 * email; one bcrypt either way. */
	if (pwguard_enter(r, &slot) < 0)
		return http_fail(r);
	/* Nothing longer than an email names a user: no lookup, the
	 * throttle's own query; else one round trip brings both. */
	if (strlen(in.email) > EMAIL_MAX)
		rc = pwguard_check(r, NULL, in.email);
	else if (db_one(r, Q_CONDUIT_USER_LOGIN, DB_ARGS(in.email),
	    DB_ROW(row)) != 1)
		rc = -1;
	else
		rc = pwguard_locked(r, row[6]);
	if (rc < 0) {
		pwguard_leave(&slot);
		return http_fail(r);
	}
	uid = row[0];
	ok = uid != NULL && strlen(in.password) <= PASSWORD_MAX ?
	    password_verify(in.password, row[4]) :
	    password_verify_dummy(in.password);
	pwguard_leave(&slot);
	if (!ok) {
		if (pwguard_failed(r, uid, in.email) < 0)
			return http_fail(r);
		return bad_login(r);
	}
	/* A right password clears the record, when there is one. */
	if (strcmp(row[7], "t") == 0 && pwguard_succeeded(r, uid) < 0)
		return http_fail(r);
	if (strcmp(row[5], "t") != 0) {
		http_error(r, 401, "this account is deactivated");
		return http_fail(r);
	}
	return answer(r, 200, row);
}

/*
 * GET /api/user: the caller, with the token it sent.
 */
int
conduit_users_get(struct req *r)
{
	const char	*row[4];
	int		 rc;

	rc = db_one(r, Q_CONDUIT_USER_GET, DB_ARGS(r->user_id, r->token_ver),
	    DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0)
		return app_auth_stale(r);
	return send_user(r, 200, auth_bearer(http_param(r,
	    "HTTP_AUTHORIZATION")), row[3]);
}

/*
 * PUT /api/user {"user":{email, username, password, bio, image}}: only
 * the fields given change.  A new password ends every token of the user
 * (SPEC 4.3); the answer carries a fresh one either way.
 */
struct conduit_update {
	const char *email, *username, *password, *bio, *image;
};

static const struct jsonx_field conduit_update_fields[] = {
	JSONX_STRING(struct conduit_update, email, 0, 3, EMAIL_MAX),
	JSONX_STRING(struct conduit_update, username, 0, USERNAME_MIN,
	    USERNAME_MAX),
	JSONX_STRING(struct conduit_update, password, JSONX_BYTES,
	    PASSWORD_MIN, PASSWORD_MAX),
	JSONX_STRING(struct conduit_update, bio, JSONX_NULLABLE, 0, BIO_MAX),
	JSONX_STRING(struct conduit_update, image, JSONX_NULLABLE, 0,
	    IMAGE_MAX),
	JSONX_END
};

int
conduit_users_update(struct req *r)
{
	struct conduit_update	 in = { 0 };
	uint64_t		 seen;
	const char		*row[4], *hash = NULL;
	char			 buf[PASSWORD_HASH_SIZE];
	struct hashgate_slot	 slot;
	int			 bad, rc;

	bad = jsonx_read_ex(r, "user", conduit_update_fields, &in, &seen,
	    JSONX_IGNORE_UNKNOWN);
	check_names(r, in.email, in.username);
	if (bad < 0 || r->err_status != 0)
		return http_fail(r);
	if (in.password != NULL) {
		if (pwguard_enter(r, &slot) < 0)
			return http_fail(r);
		rc = password_hash(in.password, app_auth.bcrypt_cost, buf);
		pwguard_leave(&slot);
		if (rc < 0) {
			http_error(r, 500, "cannot hash the password");
			return http_fail(r);
		}
		hash = buf;
	}
	rc = db_one(r, Q_CONDUIT_USER_UPDATE, DB_ARGS(r->user_id,
	    r->token_ver, in.email, in.username, hash,
	    jsonx_seen(conduit_update_fields, seen, "bio") ? "true" : "false",
	    in.bio,
	    jsonx_seen(conduit_update_fields, seen, "image") ? "true" :
	    "false", in.image), DB_ROW(row));
	if (rc < 0)
		return fail_taken(r);
	if (rc == 0)
		return app_auth_stale(r);
	return answer(r, 200, row);
}
