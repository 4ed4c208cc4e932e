-- Conduit users (SPEC 4.5): app/conduit_users.c.  The same users table and
-- tokens as /api/v1 (users.sql); the user JSON comes from
-- conduit_user_json() (migration 0004) and the handler adds the token.
-- Every query returns id, role and token version: what a token needs.

-- name: conduit_user_insert
-- POST /api/users: $1 email, $2 username, $3 password hash.
INSERT INTO users (email, username, password_hash)
VALUES ($1, $2, $3)
RETURNING id, role, token_version, conduit_user_json(users);

-- name: conduit_user_login
-- POST /api/users/login: $1 email, case-insensitive; stored in NFC
-- (migration 0012), so is the one given.  Always one row, as user_login
-- (users.sql): id, role, token version, user JSON, password hash,
-- is_active (all NULL when no user has that email), then the throttle's
-- seconds locked and whether the subject has failures on record.
SELECT u.id, u.role, u.token_version, conduit_user_json(u), u.password_hash,
    u.is_active,
    login_lock_seconds(f.locked_until),
    f.subject IS NOT NULL
FROM (SELECT 1) one
LEFT JOIN users u ON lower(u.email) = lower(normalize($1, NFC))
LEFT JOIN login_failures f ON f.subject = login_subject(u.id, $1);

-- name: conduit_user_get
-- GET /api/user (ROUTE_TOKEN_ONLY): $1 user id, $2 token version.
SELECT id, role, token_version, conduit_user_json(u)
FROM users u
WHERE u.id = $1 AND u.token_version = $2 AND u.is_active;

-- name: conduit_user_update
-- PUT /api/user: $1 id, $2 token version, $3 email, $4 username,
-- $5 password hash (NULL: unchanged for these three), $6 whether bio is
-- given and $7 its value, $8 whether image is given and $9 its value.
-- A new hash bumps token_version (trigger): the answer carries a new token.
UPDATE users u SET
	email = coalesce($3, u.email),
	username = coalesce($4, u.username),
	password_hash = coalesce($5, u.password_hash),
	bio = CASE WHEN $6::boolean THEN $7 ELSE u.bio END,
	image = CASE WHEN $8::boolean THEN $9 ELSE u.image END
WHERE u.id = $1 AND u.token_version = $2 AND u.is_active
RETURNING id, role, token_version, conduit_user_json(u);
