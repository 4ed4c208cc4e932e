-- Comments (SPEC 4.5): app/comments.c.  $1 and $2 are the caller's user
-- id and token version, checked by the `me` CTE as in articles.sql; $3 is
-- the article's slug.

-- name: comment_insert
-- POST /api/articles/{slug}/comments: $4 body.  ok, the article exists,
-- {"comment":...} (NULL when nothing was written).
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), cur AS (
	SELECT id FROM articles WHERE slug = $3
), ins AS (
	INSERT INTO comments AS c (article_id, author_id, body)
	SELECT cur.id, me.id, $4 FROM me, cur
	RETURNING c
)
SELECT EXISTS (SELECT FROM me), EXISTS (SELECT FROM cur),
    (SELECT json_build_object('comment', comment_json(ins.c, u, false))
     FROM ins JOIN users u ON u.id = (ins.c).author_id);

-- name: comment_list
-- GET /api/articles/{slug}/comments: oldest first.  {"comments":[...]},
-- or no row when there is no such article.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
)
SELECT json_build_object('comments', coalesce((
	SELECT json_agg(comment_json(c, u, EXISTS (SELECT FROM follows f
	    WHERE f.follower_id = $1::bigint
	    AND EXISTS (SELECT FROM me)
	    AND f.followee_id = u.id)) ORDER BY c.id)
	FROM comments c JOIN users u ON u.id = c.author_id
	WHERE c.article_id = a.id), '[]'))
FROM articles a
WHERE a.slug = $3;

-- name: comment_delete
-- DELETE /api/articles/{slug}/comments/{id}: $4 comment id.  Only the
-- comment's author deletes.  ok, the article exists, the comment exists
-- on it, the caller wrote it, rows deleted.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), cur AS (
	SELECT c.id, c.author_id FROM comments c
	JOIN articles a ON a.id = c.article_id
	WHERE a.slug = $3 AND c.id = $4::bigint
), del AS (
	DELETE FROM comments c USING me, cur
	WHERE c.id = cur.id AND c.author_id = me.id
	RETURNING c.id
)
SELECT EXISTS (SELECT FROM me),
    EXISTS (SELECT FROM articles WHERE slug = $3),
    EXISTS (SELECT FROM cur),
    (SELECT author_id FROM cur) = (SELECT id FROM me),
    (SELECT count(*) FROM del);
