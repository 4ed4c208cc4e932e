-- Profiles and follows (SPEC 4.5): app/profiles.c.  $1 and $2 are the
-- caller's user id and token version (NULL for an anonymous reader); the
-- caller counts only while that token is still good (the `me` CTE), so a
-- stale token reads as anonymous and cannot write.  Usernames are matched
-- case-insensitively (users_username_key).

-- name: profile_get
-- GET /api/profiles/{username}: $3 username.  {"profile":...}, no row
-- when there is no such user.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
)
SELECT json_build_object('profile', conduit_profile_json(u,
    EXISTS (SELECT FROM follows f WHERE f.follower_id = $1::bigint
	    AND EXISTS (SELECT FROM me)
	AND f.followee_id = u.id)))
FROM users u
WHERE lower(u.username) = lower($3);

-- name: profile_follow
-- POST /api/profiles/{username}/follow: $3 username.  Following twice is
-- following once.  ok (the token is good), {"profile":...} (NULL: no such
-- user), whether that user is the caller (then nothing is written).
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), target AS (
	SELECT u.id, u FROM users u WHERE lower(u.username) = lower($3)
), ins AS (
	INSERT INTO follows (follower_id, followee_id)
	SELECT me.id, t.id FROM me, target t WHERE me.id <> t.id
	ON CONFLICT DO NOTHING
)
SELECT EXISTS (SELECT FROM me),
    CASE WHEN t.id IS NOT NULL THEN
	json_build_object('profile', conduit_profile_json(t.u, true)) END,
    t.id = $1::bigint
FROM (VALUES (1)) AS one
LEFT JOIN target t ON true;

-- name: profile_unfollow
-- DELETE /api/profiles/{username}/follow: $3 username.  Unfollowing
-- someone not followed is a no-op.  ok, {"profile":...} (NULL: no such
-- user).
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), target AS (
	SELECT u.id, u FROM users u WHERE lower(u.username) = lower($3)
), del AS (
	DELETE FROM follows f USING me, target t
	WHERE f.follower_id = me.id AND f.followee_id = t.id
)
SELECT EXISTS (SELECT FROM me),
    CASE WHEN t.id IS NOT NULL THEN
	json_build_object('profile', conduit_profile_json(t.u, false)) END
FROM (VALUES (1)) AS one
LEFT JOIN target t ON true;
