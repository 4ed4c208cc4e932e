-- Refresh tokens (SPEC 4.3): app/auth.c.  Tokens are stored as the hex
-- SHA-256 the worker computes; the token itself never reaches the
-- database.

-- name: refresh_insert
-- A login starts a family: $1 user id, $2 token hash, $3 lifetime in
-- seconds.  The user's expired tokens are dropped on the way.  Run on its
-- own (never inside db_begin): it commits asynchronously, its transaction
-- only, as SET LOCAL synchronous_commit = off would.  A crash can forget
-- the last few hundred milliseconds of logins; their clients' refresh
-- tokens are then refused and they log in again.  See docs/decisions.md.
WITH gc AS (
	DELETE FROM refresh_tokens WHERE user_id = $1 AND expires_at < now()
)
INSERT INTO refresh_tokens (user_id, token_hash, expires_at)
SELECT $1::bigint, $2::text, now() + make_interval(secs => $3::float8)
FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
RETURNING id;

-- name: refresh_claim
-- POST /auth/refresh, in a transaction: $1 token hash.  Locks the token
-- and says what state it and its user are in.
SELECT t.id, t.family, t.used_at IS NOT NULL, t.revoked_at IS NOT NULL,
       t.expires_at <= now(), u.id, u.is_active, u.role, u.token_version
FROM refresh_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1
FOR UPDATE OF t;

-- name: refresh_rotate
-- Spends token $1 and adds its successor with hash $2 and lifetime $3
-- seconds to the same family.  Returns the successor's id.
WITH old AS (
	SELECT user_id, family FROM refresh_tokens
	WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL
), successor AS (
	INSERT INTO refresh_tokens (user_id, family, token_hash, expires_at)
	SELECT user_id, family, $2, now() + make_interval(secs => $3)
	FROM old
	RETURNING id
)
UPDATE refresh_tokens t SET used_at = now(), replaced_by = successor.id
FROM successor
WHERE t.id = $1
RETURNING successor.id;

-- name: refresh_revoke_family
-- A spent token came back: $1 family.  Every token of it ends.
UPDATE refresh_tokens SET revoked_at = now()
WHERE family = $1 AND revoked_at IS NULL;

-- name: refresh_revoke_user
-- Logout: $1 user id.
UPDATE refresh_tokens SET revoked_at = now()
WHERE user_id = $1 AND revoked_at IS NULL;
