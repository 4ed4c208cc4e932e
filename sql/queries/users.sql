-- Users (SPEC 4.3): app/users.c and the authenticate hook of app/auth.c.
-- The user JSON is the row's doc, user_json() (migration 0002) stored when
-- the row was written (migration 0014); the admin list still builds it
-- with user_json(), inside its json_agg.  Queries that act
-- for the caller take the caller's id and token version, so a token that
-- went stale since the hook looked finds no row (401).

-- name: user_insert
-- Registration: $1 email, $2 username, $3 full_name, $4 password hash.
INSERT INTO users (email, username, full_name, password_hash)
VALUES ($1, $2, $3, $4)
RETURNING id, doc;

-- name: user_upsert_admin
-- create-admin: $1 email, $2 username (for a new user), $3 password hash.
-- Creates an admin, or makes the user with that email an active admin with
-- this password.  Returns the id and whether the row is new.
INSERT INTO users (email, username, password_hash, role)
VALUES ($1, $2, $3, 'admin')
ON CONFLICT (lower(email)) DO UPDATE
SET role = 'admin', is_active = true, password_hash = excluded.password_hash
RETURNING id, xmax = 0;

-- name: user_auth_check
-- The authenticate hook: $1 user id, $2 token version.  A row only while
-- the token is current and the user active; returns the role.
SELECT role FROM users
WHERE id = $1 AND token_version = $2 AND is_active;

-- name: user_login
-- Token endpoint: $1 email or username, case-insensitive.  An email has
-- an '@' and a username cannot, so at most one row matches.  Emails are
-- stored in NFC (migration 0012): so is the one given.  Always one row:
-- id, password hash, is_active, role, token version (all NULL when no
-- user has that name), then the throttle's word on the subject (the user,
-- or the name as given; migration 0011): the seconds it stays locked (0:
-- it may try) and whether it has failures on record, so that a login
-- costs one round trip before bcrypt and a right password clears the
-- record only when there is one.
SELECT u.id, u.password_hash, u.is_active, u.role, u.token_version,
    login_lock_seconds(f.locked_until),
    f.subject IS NOT NULL
FROM (SELECT 1) one
LEFT JOIN users u ON lower(u.email) = lower(normalize($1, NFC))
    OR lower(u.username) = lower($1)
LEFT JOIN login_failures f ON f.subject = login_subject(u.id, $1);

-- name: user_get_self
-- GET /users/me (ROUTE_TOKEN_ONLY): $1 user id, $2 token version.
SELECT u.doc FROM users u
WHERE u.id = $1 AND u.token_version = $2 AND u.is_active;

-- name: user_get
-- GET /users/{id}: $1 id, $2 caller's id, $3 caller's role.  Someone
-- else's account is no row unless the caller is an admin.
SELECT u.doc FROM users u
WHERE u.id = $1 AND (u.id = $2 OR $3 = 'admin');

-- name: user_password_hash
-- PATCH /users/me, checking current_password: $1 user id, $2 version.
SELECT password_hash FROM users
WHERE id = $1 AND token_version = $2 AND is_active;

-- name: user_update_self
-- PATCH /users/me: $1 id, $2 token version, $3 whether full_name is set,
-- $4 full_name, $5 username, $6 email, $7 password hash (NULL: unchanged).
-- A new hash bumps token_version (trigger): every token of the user ends.
UPDATE users SET
	full_name = CASE WHEN $3::boolean THEN $4 ELSE full_name END,
	username = coalesce($5, username),
	email = coalesce($6, email),
	password_hash = coalesce($7, password_hash)
WHERE id = $1 AND token_version = $2 AND is_active
RETURNING doc;

-- name: user_delete_self
-- DELETE /users/me: $1 id, $2 token version.  What the user owns goes
-- with it (ON DELETE CASCADE).
DELETE FROM users WHERE id = $1 AND token_version = $2 AND is_active
RETURNING id;

-- name: user_update
-- Admin PATCH /users/{id}: $1 id, $2 whether full_name is set,
-- $3 full_name, $4 role, $5 is_active (NULL: unchanged).  A role or
-- is_active change bumps token_version (trigger).
UPDATE users SET
	full_name = CASE WHEN $2::boolean THEN $3 ELSE full_name END,
	role = coalesce($4, role),
	is_active = coalesce($5::boolean, is_active)
WHERE id = $1
RETURNING doc;

-- name: user_delete
-- Admin DELETE /users/{id}: $1 id.
DELETE FROM users WHERE id = $1 RETURNING id;

-- name: user_list
-- Admin GET /users: $1 the id to continue below (NULL: from the newest),
-- $2 a case-insensitive prefix of the email or username (NULL: all),
-- $3 the page size.  Newest first; the page is one JSON document with
-- next_cursor = base64url of the last id when more rows follow.  The id
-- bound is an index condition in the generic plan too, so every page
-- costs the same.
WITH page AS (
	SELECT u.id, user_json(u) AS j
	FROM users u
	WHERE u.id < coalesce($1::bigint, 9223372036854775807)
	  AND ($2::text IS NULL
	       OR starts_with(lower(u.email), lower($2))
	       OR starts_with(lower(u.username), lower($2)))
	ORDER BY u.id DESC
	LIMIT $3::integer + 1
), shown AS (
	SELECT id, j FROM page ORDER BY id DESC LIMIT $3::integer
)
SELECT json_build_object(
	'items', coalesce((SELECT json_agg(j ORDER BY id DESC) FROM shown),
	    '[]'::json),
	'next_cursor', CASE WHEN (SELECT count(*) FROM page) > $3::integer
	    THEN (SELECT rtrim(translate(encode(convert_to(min(id)::text,
		'UTF8'), 'base64'), '+/', '-_'), '=') FROM shown)
	    END);
