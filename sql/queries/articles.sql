-- Articles, favorites and tags (SPEC 4.5): app/articles.c.  $1 and $2
-- are the caller's user id and token version (NULL for an anonymous
-- reader); the caller counts only while that token is good (the `me`
-- CTE): a stale token reads as anonymous, and writes answer ok = false.
-- Lists are newest first (id order), one index walk each, `limit` $3 and
-- `offset` $4; their counts come from the counters of migration 0004 or
-- from an index-only count.  One named query per index (see tasks.sql).
-- A page's authors are read one primary-key lookup each (a subquery, not
-- a join): a worker's generic plan guesses a LIMIT $n at a tenth of the
-- table and would hash-join all users.  A page is text put together from
-- the JSON each row keeps ready (articles.json_head,
-- users.profile_json_head: migration 0004), not json_build_object per
-- article, which cost most of a page's time.

-- name: article_list
-- GET /api/articles: every article.  {"articles":[...],"articlesCount":N}
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), ids AS (
	-- the ids alone from articles_pkey, then each row by its key (a
	-- LIMIT keeps the lateral from being flattened): a generic plan
	-- prices LIMIT $3 at a tenth of the table, and would rather read
	-- and sort the whole table than fetch that many rows by index
	SELECT a.id FROM articles a
	ORDER BY a.id DESC
	LIMIT $3::integer OFFSET $4::integer
), page AS (
	SELECT ids.id, a.json_head, a.favorites_count, a.author_id
	FROM ids CROSS JOIN LATERAL (
		SELECT a.json_head, a.favorites_count, a.author_id
		FROM articles a WHERE a.id = ids.id LIMIT 1
	) a
)
SELECT '{"articles":[' || coalesce(string_agg('{' || p.json_head
	|| ',"favorited":' || EXISTS (SELECT FROM favorites f
	    WHERE f.user_id = $1::bigint
	    AND EXISTS (SELECT FROM me) AND f.article_id = p.id)
	|| ',"favoritesCount":' || p.favorites_count
	|| ',"author":{' || (SELECT u.profile_json_head || ',"following":'
	    || EXISTS (SELECT FROM follows f
		WHERE f.follower_id = $1::bigint
		AND EXISTS (SELECT FROM me) AND f.followee_id = u.id)
	    FROM users u WHERE u.id = p.author_id) || '}}',
	',' ORDER BY p.id DESC), '')
    || '],"articlesCount":' || (SELECT articles FROM article_totals) || '}'
FROM page p;

-- name: article_list_tag
-- ?tag=$5 (exact name), walking article_tags_pkey.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), tag AS (
	SELECT id, articles_count FROM tags WHERE name = $5
), page AS (
	SELECT a.id, a.json_head, a.favorites_count, a.author_id
	FROM article_tags t JOIN articles a ON a.id = t.article_id
	WHERE t.tag_id = (SELECT id FROM tag)
	ORDER BY t.article_id DESC
	LIMIT $3::integer OFFSET $4::integer
)
SELECT '{"articles":[' || coalesce(string_agg('{' || p.json_head
	|| ',"favorited":' || EXISTS (SELECT FROM favorites f
	    WHERE f.user_id = $1::bigint
	    AND EXISTS (SELECT FROM me) AND f.article_id = p.id)
	|| ',"favoritesCount":' || p.favorites_count
	|| ',"author":{' || (SELECT u.profile_json_head || ',"following":'
	    || EXISTS (SELECT FROM follows f
		WHERE f.follower_id = $1::bigint
		AND EXISTS (SELECT FROM me) AND f.followee_id = u.id)
	    FROM users u WHERE u.id = p.author_id) || '}}',
	',' ORDER BY p.id DESC), '')
    || '],"articlesCount":' || coalesce((SELECT articles_count FROM tag), 0) || '}'
FROM page p;

-- name: article_list_author
-- ?author=$5 (username, case-insensitive), walking articles_author_id.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), author AS (
	SELECT id FROM users WHERE lower(username) = lower($5)
), page AS (
	SELECT a.id, a.json_head, a.favorites_count, a.author_id
	FROM articles a
	WHERE a.author_id = (SELECT id FROM author)
	ORDER BY a.id DESC
	LIMIT $3::integer OFFSET $4::integer
)
SELECT '{"articles":[' || coalesce(string_agg('{' || p.json_head
	|| ',"favorited":' || EXISTS (SELECT FROM favorites f
	    WHERE f.user_id = $1::bigint
	    AND EXISTS (SELECT FROM me) AND f.article_id = p.id)
	|| ',"favoritesCount":' || p.favorites_count
	|| ',"author":{' || (SELECT u.profile_json_head || ',"following":'
	    || EXISTS (SELECT FROM follows f
		WHERE f.follower_id = $1::bigint
		AND EXISTS (SELECT FROM me) AND f.followee_id = u.id)
	    FROM users u WHERE u.id = p.author_id) || '}}',
	',' ORDER BY p.id DESC), '')
    || '],"articlesCount":' || (SELECT count(*) FROM articles a
	WHERE a.author_id = (SELECT id FROM author)) || '}'
FROM page p;

-- name: article_list_favorited
-- ?favorited=$5 (username): the articles that user favorited, walking
-- favorites_pkey.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), fan AS (
	SELECT id FROM users WHERE lower(username) = lower($5)
), page AS (
	SELECT a.id, a.json_head, a.favorites_count, a.author_id
	FROM favorites f JOIN articles a ON a.id = f.article_id
	WHERE f.user_id = (SELECT id FROM fan)
	ORDER BY f.article_id DESC
	LIMIT $3::integer OFFSET $4::integer
)
SELECT '{"articles":[' || coalesce(string_agg('{' || p.json_head
	|| ',"favorited":' || EXISTS (SELECT FROM favorites f
	    WHERE f.user_id = $1::bigint
	    AND EXISTS (SELECT FROM me) AND f.article_id = p.id)
	|| ',"favoritesCount":' || p.favorites_count
	|| ',"author":{' || (SELECT u.profile_json_head || ',"following":'
	    || EXISTS (SELECT FROM follows f
		WHERE f.follower_id = $1::bigint
		AND EXISTS (SELECT FROM me) AND f.followee_id = u.id)
	    FROM users u WHERE u.id = p.author_id) || '}}',
	',' ORDER BY p.id DESC), '')
    || '],"articlesCount":' || (SELECT count(*) FROM favorites f
	WHERE f.user_id = (SELECT id FROM fan)) || '}'
FROM page p;

-- name: article_list_filtered
-- More than one of ?tag=$5, ?author=$6, ?favorited=$7 (NULL: not given).
-- Rare: the matches are counted, not read from a counter.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), m AS (
	SELECT a.id, a.json_head, a.favorites_count, a.author_id
	FROM articles a
	WHERE ($5::text IS NULL OR EXISTS (SELECT FROM article_tags t
		JOIN tags g ON g.id = t.tag_id
		WHERE t.article_id = a.id AND g.name = $5))
	    AND ($6::text IS NULL OR a.author_id = (SELECT id FROM users
		WHERE lower(username) = lower($6)))
	    AND ($7::text IS NULL OR EXISTS (SELECT FROM favorites f
		WHERE f.article_id = a.id AND f.user_id = (SELECT id FROM users
		    WHERE lower(username) = lower($7))))
), page AS (
	SELECT * FROM m ORDER BY id DESC LIMIT $3::integer OFFSET $4::integer
)
SELECT '{"articles":[' || coalesce(string_agg('{' || p.json_head
	|| ',"favorited":' || EXISTS (SELECT FROM favorites f
	    WHERE f.user_id = $1::bigint
	    AND EXISTS (SELECT FROM me) AND f.article_id = p.id)
	|| ',"favoritesCount":' || p.favorites_count
	|| ',"author":{' || (SELECT u.profile_json_head || ',"following":'
	    || EXISTS (SELECT FROM follows f
		WHERE f.follower_id = $1::bigint
		AND EXISTS (SELECT FROM me) AND f.followee_id = u.id)
	    FROM users u WHERE u.id = p.author_id) || '}}',
	',' ORDER BY p.id DESC), '')
    || '],"articlesCount":' || (SELECT count(*) FROM m) || '}'
FROM page p;

-- name: article_feed
-- GET /api/articles/feed: the articles of the authors the caller follows,
-- walking articles_author_id once per followed author (a walk of the
-- articles by id, filtered by author, is a gamble on where the followed
-- authors' articles lie).  ok, then the page.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), followed AS (
	SELECT followee_id FROM follows
	WHERE follower_id = $1::bigint AND EXISTS (SELECT FROM me)
), ids AS (
	-- the newest limit + offset ids of each followed author, merged:
	-- short index-only walks, whoever the reader follows
	SELECT x.id
	FROM followed f CROSS JOIN LATERAL (
		SELECT a.id FROM articles a
		WHERE a.author_id = f.followee_id
		ORDER BY a.id DESC
		LIMIT $3::integer + $4::integer
	) x
	ORDER BY x.id DESC
	LIMIT $3::integer OFFSET $4::integer
), page AS (
	SELECT a.id, a.json_head, a.favorites_count, a.author_id
	FROM ids JOIN articles a ON a.id = ids.id
)
SELECT EXISTS (SELECT FROM me),
    '{"articles":[' || coalesce(string_agg('{' || p.json_head
	|| ',"favorited":' || EXISTS (SELECT FROM favorites f
	    WHERE f.user_id = $1::bigint
	    AND EXISTS (SELECT FROM me) AND f.article_id = p.id)
	|| ',"favoritesCount":' || p.favorites_count
	|| ',"author":{' || (SELECT u.profile_json_head || ',"following":true'
	    FROM users u WHERE u.id = p.author_id) || '}}',
	',' ORDER BY p.id DESC), '')
    || '],"articlesCount":' || (SELECT count(*) FROM articles a
	WHERE a.author_id IN (SELECT followee_id FROM followed)) || '}'
FROM page p;

-- name: article_get
-- GET /api/articles/{slug}: $3 slug.  {"article":...}, or no row.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
)
SELECT json_build_object('article', article_json(a, u, EXISTS (SELECT FROM favorites f
	WHERE f.user_id = $1::bigint
	    AND EXISTS (SELECT FROM me) AND f.article_id = a.id),
    EXISTS (SELECT FROM follows f
	WHERE f.follower_id = $1::bigint
	    AND EXISTS (SELECT FROM me) AND f.followee_id = u.id), a.favorites_count))
FROM articles a JOIN users u ON u.id = a.author_id
WHERE a.slug = $3;

-- name: article_insert
-- POST /api/articles: $3 title, $4 description, $5 body, $6 tag names
-- (text[], NULL: none).  The slug is the title's (article_slug_base), or,
-- when that is taken or "feed" (a path of its own), that plus "-<id>".  Two
-- writers racing for one slug: one gets 23505 and app/articles.c retries.
-- ok, slug, {"article":...}.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), fresh AS (
	SELECT nextval(pg_get_serial_sequence('articles', 'id')) AS id,
	    article_slug_base($3) AS base
	FROM me
), names AS (
	SELECT DISTINCT n FROM unnest($6::text[]) AS n
	WHERE EXISTS (SELECT FROM me)
), ins AS (
	INSERT INTO articles AS a (id, slug, author_id, title, description,
	    body, tag_list)
	SELECT fresh.id, CASE WHEN fresh.base = 'feed' OR EXISTS (SELECT FROM
		articles x WHERE x.slug = fresh.base)
		THEN fresh.base || '-' || fresh.id ELSE fresh.base END,
	    $1::bigint, $3, $4, $5,
	    ARRAY(SELECT n FROM names ORDER BY n)
	FROM fresh
	RETURNING a
), tag AS (
	INSERT INTO tags (name) SELECT n FROM names ORDER BY n
	ON CONFLICT (name) DO UPDATE SET name = excluded.name
	RETURNING id
), link AS (
	INSERT INTO article_tags (tag_id, article_id)
	SELECT tag.id, (ins.a).id FROM tag, ins
)
SELECT EXISTS (SELECT FROM me), (ins.a).slug,
    json_build_object('article', article_json(ins.a, u, false, false, 0))
FROM (VALUES (1)) AS one
LEFT JOIN ins ON true
LEFT JOIN users u ON u.id = (ins.a).author_id;

-- name: article_update
-- PUT /api/articles/{slug}: $3 slug, $4 title, $5 description, $6 body
-- (NULL: unchanged).  Only the author writes.  The slug stays (docs/
-- decisions.md).  ok, the article exists, the caller is its author,
-- {"article":...} (NULL when nothing was written).
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), cur AS (
	SELECT id, author_id FROM articles WHERE slug = $3
), upd AS (
	UPDATE articles a SET title = coalesce($4, a.title),
	    description = coalesce($5, a.description),
	    body = coalesce($6, a.body)
	FROM me
	WHERE a.slug = $3 AND a.author_id = me.id
	RETURNING a
)
SELECT EXISTS (SELECT FROM me), EXISTS (SELECT FROM cur),
    (SELECT author_id FROM cur) = (SELECT id FROM me),
    (SELECT json_build_object('article', article_json(upd.a, u,
	EXISTS (SELECT FROM favorites f WHERE f.user_id = $1::bigint
	    AND EXISTS (SELECT FROM me)
	    AND f.article_id = (upd.a).id), false, (upd.a).favorites_count))
     FROM upd JOIN users u ON u.id = (upd.a).author_id);

-- name: article_delete
-- DELETE /api/articles/{slug}: $3 slug.  Only the author deletes; the
-- tags links, favorites and comments go with it.  ok, the article
-- exists, the caller is its author, rows deleted.
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), cur AS (
	SELECT id, author_id FROM articles WHERE slug = $3
), del AS (
	DELETE FROM articles a USING me
	WHERE a.slug = $3 AND a.author_id = me.id
	RETURNING a.id
)
SELECT EXISTS (SELECT FROM me), EXISTS (SELECT FROM cur),
    (SELECT author_id FROM cur) = (SELECT id FROM me),
    (SELECT count(*) FROM del);

-- name: article_favorite
-- POST /api/articles/{slug}/favorite: $3 slug.  Twice is once.  The
-- trigger keeps articles.favorites_count exact (it locks the article
-- row); the answer shows the count this statement saw plus its own row.
-- ok, {"article":...} (NULL: no such article).
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), cur AS (
	SELECT a, u FROM articles a JOIN users u ON u.id = a.author_id
	WHERE a.slug = $3
), ins AS (
	INSERT INTO favorites (user_id, article_id)
	SELECT me.id, (cur.a).id FROM me, cur
	ON CONFLICT DO NOTHING
	RETURNING article_id
)
SELECT EXISTS (SELECT FROM me),
    CASE WHEN cur.a IS NOT NULL THEN json_build_object('article',
	article_json(cur.a, cur.u, EXISTS (SELECT FROM me), EXISTS (SELECT
	    FROM follows f WHERE f.follower_id = $1::bigint
	    AND EXISTS (SELECT FROM me)
	    AND f.followee_id = (cur.u).id),
	(cur.a).favorites_count + (SELECT count(*) FROM ins))) END
FROM (VALUES (1)) AS one
LEFT JOIN cur ON true;

-- name: article_unfavorite
-- DELETE /api/articles/{slug}/favorite: $3 slug.  Not favorited is a
-- no-op.  ok, {"article":...} (NULL: no such article).
WITH me AS (
	SELECT id FROM users
	WHERE id = $1::bigint AND token_version = $2::integer AND is_active
), cur AS (
	SELECT a, u FROM articles a JOIN users u ON u.id = a.author_id
	WHERE a.slug = $3
), del AS (
	DELETE FROM favorites f USING me, cur
	WHERE f.user_id = me.id AND f.article_id = (cur.a).id
	RETURNING f.article_id
)
SELECT EXISTS (SELECT FROM me),
    CASE WHEN cur.a IS NOT NULL THEN json_build_object('article',
	article_json(cur.a, cur.u, false, EXISTS (SELECT
	    FROM follows f WHERE f.follower_id = $1::bigint
	    AND EXISTS (SELECT FROM me)
	    AND f.followee_id = (cur.u).id),
	(cur.a).favorites_count - (SELECT count(*) FROM del))) END
FROM (VALUES (1)) AS one
LEFT JOIN cur ON true;

-- name: tag_list
-- GET /api/tags: the tags of at least one article, sorted, from
-- tags_in_use alone.  {"tags":[...]}
SELECT json_build_object('tags', coalesce((SELECT json_agg(name)
    FROM (SELECT name FROM tags WHERE articles_count > 0 ORDER BY name) t),
    '[]'));
