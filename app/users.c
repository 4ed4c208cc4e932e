/* SPDX-License-Identifier: MIT */
/*
 * users.c - /api/v1/users (SPEC 4.3); SQL in sql/queries/users.sql.
 *
 * A role, is_active or password change bumps the user's token version in
 * the database (trigger, migration 0002), which ends every token of the
 * user: the handlers need not remember to.
 */
#include "handlers.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "b64url.h"
#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "password.h"
#include "pwguard.h"
#include "queries.h"
#include "route.h"

#define EMAIL_MAX	254
#define USERNAME_MIN	3
#define USERNAME_MAX	32
#define FULL_NAME_MAX	200
#define LIST_DEFAULT	20
#define LIST_MAX	100
/* Tries at a free username derived from an email before giving up. */
#define DERIVE_TRIES	8

/*
 * Validation shared by registration, PATCH and create-admin.
 */

/* A pragmatic RFC 5321 address: local@domain, the local part 1..64 bytes
 * of printable non-space characters (UTF-8 allowed), the domain dotted
 * labels of letters, digits, '-' or UTF-8, no empty label, at least one
 * dot, 254 bytes at most.  Anything fancier is refused. */
static bool
email_ok(const char *s)
{
	const char	*at = strchr(s, '@'), *d;
	size_t		 len = strlen(s), label = 0, dots = 0;

	if (at == NULL || strchr(at + 1, '@') != NULL || len > EMAIL_MAX ||
	    at == s || at - s > 64 || !http_utf8_ok(s, len))
		return false;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f || strchr("\"(),:;<>[\\]", c))
			return false;
	}
	if (s[0] == '.' || at[-1] == '.' || strstr(s, "..") != NULL)
		return false;
	for (d = at + 1; *d != '\0'; d++) {
		unsigned char c = (unsigned char)*d;

		if (c == '.') {
			if (label == 0 || d[-1] == '-')
				return false;
			dots++;
			label = 0;
		} else if (c >= 0x80 || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return dots > 0 && label > 0 && d[-1] != '-';
}

static bool
username_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* ^[A-Za-z0-9_-]{3,32}$ */
static bool
username_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < USERNAME_MIN || n > USERNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!username_char((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * The username a registration without one gets: the email's local part,
 * each character outside [A-Za-z0-9_-] made '_' (one per UTF-8
 * character), cut to 32, "_user" appended below 3.  `attempt` > 0 appends
 * "_" and six random hex digits, for when the plain one is taken.
 */
static char *
derive_username(struct arena *a, const char *email, int attempt)
{
	char	 base[USERNAME_MAX + 1], rnd[33];
	size_t	 n = 0, keep;

	for (const char *p = email; *p != '\0' && *p != '@'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c & 0xc0) == 0x80)
			continue;	/* UTF-8 continuation byte */
		if (n == USERNAME_MAX)
			break;
		base[n++] = username_char(c) ? (char)c : '_';
	}
	if (n < USERNAME_MIN) {
		memcpy(base + n, "_user", 5);
		n += 5;
	}
	base[n] = '\0';
	if (attempt == 0)
		return arena_strdup(a, base);
	http_new_request_id(rnd);	/* 32 random hex digits */
	keep = n > USERNAME_MAX - 7 ? USERNAME_MAX - 7 : n;
	return arena_printf(a, "%.*s_%.6s", (int)keep, base, rnd);
}

/* Records a 409 naming the field whose unique index refused the row. */
static int
conflict(struct req *r)
{
	const char *field = NULL;

	if (r->err_constraint != NULL &&
	    strcmp(r->err_constraint, "users_email_key") == 0)
		field = "email";
	else if (r->err_constraint != NULL &&
	    strcmp(r->err_constraint, "users_username_key") == 0)
		field = "username";
	if (r->err_status != 409 || field == NULL)
		return http_fail(r);
	r->err_detail = arena_printf(r->arena, "a user with this %s already "
	    "exists", field);
	r->errors[0].field = field;
	r->errors[0].code = "taken";
	r->errors[0].message = "is already taken";
	r->nerrors = 1;
	return http_fail(r);
}

static bool
taken_username(const struct req *r)
{
	return r->err_status == 409 && r->err_constraint != NULL &&
	    strcmp(r->err_constraint, "users_username_key") == 0;
}

static void
forget_error(struct req *r)
{
	r->err_status = 0;
	r->err_detail = NULL;
	r->err_sqlstate = r->err_constraint = NULL;
	r->nerrors = 0;
}

/*
 * Runs an insert whose second parameter is the username: with `username`
 * when given, else with derived ones until one is free.  1 with row set,
 * or -1 with the error recorded (409 for a taken email or given username).
 */
static int
insert_user(struct req *r, int q, const char *email, const char *username,
    const char *full_name, const char *hash, const char **row)
{
	for (int i = 0; i < DERIVE_TRIES; i++) {
		const char	*name = username ? username :
				    derive_username(r->arena, email, i);
		int		 rc;

		if (q == Q_USER_INSERT)
			rc = db_one(r, q, DB_ARGS(email, name, full_name,
			    hash), row, 2);
		else
			rc = db_one(r, q, DB_ARGS(email, name, hash), row, 2);
		if (rc == 1)
			return 1;
		if (username != NULL || !taken_username(r))
			return -1;
		forget_error(r);	/* derived and taken: another one */
	}
	return http_error(r, 503, "no free username found, retry");
}

static void
check_email(struct req *r, const char *email)
{
	if (email != NULL && !email_ok(email))
		http_invalid(r, "email", "invalid_email",
		    "must be a valid email address");
}

static void
check_username(struct req *r, const char *username)
{
	if (username != NULL && !username_ok(username))
		http_invalid(r, "username", "invalid_username",
		    "must be 3 to 32 letters, digits, '_' or '-'");
}

/*
 * POST /api/v1/users
 */
struct user_new {
	const char *email, *password, *full_name, *username;
};

/* role and is_active are not here: like any unknown field, a 422. */
static const struct jsonx_field user_new_fields[] = {
	JSONX_STRING(struct user_new, email, JSONX_REQUIRED, 3, EMAIL_MAX),
	JSONX_STRING(struct user_new, password, JSONX_REQUIRED | JSONX_BYTES,
	    PASSWORD_MIN, PASSWORD_MAX),
	JSONX_STRING(struct user_new, full_name, JSONX_NULLABLE, 0,
	    FULL_NAME_MAX),
	JSONX_STRING(struct user_new, username, 0, USERNAME_MIN,
	    USERNAME_MAX),
	JSONX_END
};

int
users_create(struct req *r)
{
	struct user_new	 in = { 0 };
	const char	*row[2];	/* id, user JSON */
	char		 hash[PASSWORD_HASH_SIZE];
	struct hashgate_slot slot;
	int		 bad, rc;

	bad = jsonx_read(r, user_new_fields, &in, NULL);
	check_email(r, in.email);
	check_username(r, in.username);
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
	if (insert_user(r, Q_USER_INSERT, in.email, in.username, in.full_name,
	    hash, row) < 0)
		return conflict(r);
	http_header(r, "Location", "/api/v1/users/%s", row[0]);
	return http_send_json(r, 201, row[1]);
}

/*
 * /api/v1/users/me
 */
int
users_me_get(struct req *r)
{
	const char	*row[1];
	int		 rc;

	/* ROUTE_TOKEN_ONLY: this query is the token check. */
	rc = db_one(r, Q_USER_GET_SELF, DB_ARGS(r->user_id, r->token_ver),
	    DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0)
		return app_auth_stale(r);
	return http_send_json(r, 200, row[0]);
}

struct user_patch {
	const char *full_name, *username, *email, *password,
	    *current_password;
};

static const struct jsonx_field user_patch_fields[] = {
	JSONX_STRING(struct user_patch, full_name, JSONX_NULLABLE, 0,
	    FULL_NAME_MAX),
	JSONX_STRING(struct user_patch, username, 0, USERNAME_MIN,
	    USERNAME_MAX),
	JSONX_STRING(struct user_patch, email, 0, 3, EMAIL_MAX),
	JSONX_STRING(struct user_patch, password, JSONX_BYTES, PASSWORD_MIN,
	    PASSWORD_MAX),
	JSONX_STRING(struct user_patch, current_password, JSONX_BYTES, 1,
	    1024),
	JSONX_END
};

int
users_me_update(struct req *r)
{
	struct user_patch	 in = { 0 };
	uint64_t		 seen;
	const char		*row[1], *new_hash = NULL;
	char			 hash[PASSWORD_HASH_SIZE];
	struct hashgate_slot	 slot;
	int			 bad, rc;

	bad = jsonx_read(r, user_patch_fields, &in, &seen);
	check_email(r, in.email);
	check_username(r, in.username);
	if ((in.email != NULL || in.password != NULL) &&
	    in.current_password == NULL && !jsonx_seen(user_patch_fields,
	    seen, "current_password"))
		http_invalid(r, "current_password", "required",
		    "is required to change the email or the password");
	if (bad < 0 || r->err_status != 0)
		return http_fail(r);

	if (in.email != NULL || in.password != NULL) {
		/* The gate first: when it is full the refusal costs no query.
		 * Held for the check and the new hash. */
		if (pwguard_enter(r, &slot) < 0)
			return http_fail(r);
		rc = db_one(r, Q_USER_PASSWORD_HASH, DB_ARGS(r->user_id,
		    r->token_ver), DB_ROW(row));
		if (rc <= 0 || pwguard_check(r, r->user_id, NULL) < 0) {
			pwguard_leave(&slot);
			if (rc == 0)
				return app_auth_stale(r);
			return http_fail(r);
		}
		if (!password_verify(in.current_password, row[0])) {
			pwguard_leave(&slot);
			if (pwguard_failed(r, r->user_id, NULL) < 0)
				return http_fail(r);
			http_invalid(r, "current_password", "incorrect",
			    "is not the current password");
			return http_fail(r);
		}
		if (in.password != NULL) {
			rc = password_hash(in.password, app_auth.bcrypt_cost,
			    hash);
			if (rc < 0) {
				pwguard_leave(&slot);
				http_error(r, 500, "cannot hash the password");
				return http_fail(r);
			}
			new_hash = hash;
		}
		pwguard_leave(&slot);
		if (pwguard_succeeded(r, r->user_id) < 0)
			return http_fail(r);
	}
	rc = db_one(r, Q_USER_UPDATE_SELF, DB_ARGS(r->user_id, r->token_ver,
	    jsonx_seen(user_patch_fields, seen, "full_name") ? "true" :
	    "false", in.full_name, in.username, in.email, new_hash),
	    DB_ROW(row));
	if (rc < 0)
		return conflict(r);
	if (rc == 0)
		return app_auth_stale(r);
	return http_send_json(r, 200, row[0]);
}

int
users_me_delete(struct req *r)
{
	const char	*row[1];
	int		 rc;

	rc = db_one(r, Q_USER_DELETE_SELF, DB_ARGS(r->user_id, r->token_ver),
	    DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0)
		return app_auth_stale(r);
	return http_send_empty(r, 204);
}

/*
 * /api/v1/users/{id}: self or admin; anyone else gets the 404 of a user
 * that does not exist (SPEC 4.1).
 */
int
users_get(struct req *r)
{
	const char	*id = http_path_param(r, 0), *row[1];
	int		 rc;

	rc = db_one(r, Q_USER_GET, DB_ARGS(id, r->user_id, r->role),
	    DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0) {
		http_error(r, 404, "user %s not found", id);
		return http_fail(r);
	}
	return http_send_json(r, 200, row[0]);
}

/* A cursor is base64url (unpadded) of the last id shown.  Returns the id
 * (arena-owned) or NULL when `s` is not one of ours. */
static const char *
cursor_decode(struct arena *a, const char *s)
{
	size_t		 n = strlen(s);
	unsigned char	*raw = arena_alloc(a, 32);
	ssize_t		 len;

	if (n == 0 || n > 32 || (len = b64url_decode(s, n, raw, 31)) <= 0)
		return NULL;
	raw[len] = '\0';
	if (strlen((char *)raw) != (size_t)len || !route_is_id((char *)raw))
		return NULL;
	return (const char *)raw;
}

int
users_list(struct req *r)
{
	const char	*q, *limit, *cursor, *after = NULL, *row[1];
	long		 n = LIST_DEFAULT;

	if (http_query(r, "q", &q) < 0 || http_query(r, "limit", &limit) < 0 ||
	    http_query(r, "cursor", &cursor) < 0)
		return http_fail(r);
	if (limit != NULL) {
		char *end;

		n = strtol(limit, &end, 10);
		/* Plain digits, no leading zero: as GET /api/v1/tasks. */
		if (*limit < '1' || *limit > '9' || *end != '\0' ||
		    strlen(limit) > 3 || n < 1 || n > LIST_MAX)
			http_invalid(r, "limit", "out_of_range",
			    "must be an integer from 1 to 100");
	}
	if (cursor != NULL && (after = cursor_decode(r->arena, cursor)) ==
	    NULL)
		http_invalid(r, "cursor", "invalid_cursor",
		    "is not a cursor this API returned");
	if (q != NULL && strlen(q) > EMAIL_MAX)
		http_invalid(r, "q", "too_long", "must be at most 254 "
		    "characters long");
	if (r->err_status != 0)
		return http_fail(r);
	if (q != NULL && *q == '\0')
		q = NULL;
	if (db_one(r, Q_USER_LIST, DB_ARGS(after, q, arena_printf(r->arena,
	    "%ld", n)), DB_ROW(row)) != 1)
		return http_fail(r);
	return http_send_json(r, 200, row[0]);
}

/*
 * Admin PATCH and DELETE /api/v1/users/{id}.
 */
struct user_admin_patch {
	const char *role, *is_active, *full_name;
};

static const struct jsonx_field user_admin_patch_fields[] = {
	JSONX_STRING(struct user_admin_patch, role, 0, 1, 16),
	JSONX_BOOL(struct user_admin_patch, is_active, 0),
	JSONX_STRING(struct user_admin_patch, full_name, JSONX_NULLABLE, 0,
	    FULL_NAME_MAX),
	JSONX_END
};

int
users_update(struct req *r)
{
	struct user_admin_patch	 in = { 0 };
	const char		*id = http_path_param(r, 0), *row[1];
	uint64_t		 seen;
	int			 bad, rc;

	bad = jsonx_read(r, user_admin_patch_fields, &in, &seen);
	if (in.role != NULL && strcmp(in.role, "user") != 0 &&
	    strcmp(in.role, "admin") != 0)
		http_invalid(r, "role", "invalid_choice",
		    "must be \"user\" or \"admin\"");
	if (bad < 0 || r->err_status != 0)
		return http_fail(r);
	rc = db_one(r, Q_USER_UPDATE, DB_ARGS(id,
	    jsonx_seen(user_admin_patch_fields, seen, "full_name") ? "true" :
	    "false", in.full_name, in.role, in.is_active), DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0) {
		http_error(r, 404, "user %s not found", id);
		return http_fail(r);
	}
	return http_send_json(r, 200, row[0]);
}

int
users_delete(struct req *r)
{
	const char	*id = http_path_param(r, 0), *row[1];
	int		 rc;

	rc = db_one(r, Q_USER_DELETE, DB_ARGS(id), DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0) {
		http_error(r, 404, "user %s not found", id);
		return http_fail(r);
	}
	return http_send_empty(r, 204);
}

/*
 * quetzal create-admin
 */
int
users_create_admin(struct req *r, const char *email, const char *password)
{
	const char	*row[2];	/* id, created */
	const char	*code;
	char		 hash[PASSWORD_HASH_SIZE];

	check_email(r, email);
	if (!password_acceptable(password, strlen(password), &code))
		http_invalid(r, "password", code, "must be 8 to 72 bytes");
	if (r->err_status != 0)
		return -1;
	if (password_hash(password, app_auth.bcrypt_cost, hash) < 0)
		return http_error(r, 500, "cannot hash the password");
	if (insert_user(r, Q_USER_UPSERT_ADMIN, email, NULL, NULL, hash,
	    row) < 0)
		return -1;
	return strcmp(row[1], "t") == 0 ? 1 : 0;
}

/* For the Conduit API (app/conduit_users.c): the same rules. */
bool
users_email_valid(const char *email)
{
	return email_ok(email);
}

bool
users_username_valid(const char *username)
{
	return username_ok(username);
}
