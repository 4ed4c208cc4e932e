-- Tasks (SPEC 4.4), owner-scoped.  Every query takes the caller as its
-- first two parameters (user id, the token's version) and checks, in the
-- same round trip, that the user still exists, is active and has that
-- token version: the first column, ok, is true only then (NULL when the
-- user is gone), and the handler answers 401 otherwise.  Another user's
-- task is never found.  The task JSON is the row's doc, task_json() stored
-- when the row was written (migration 0013); the ETag and the list cursor
-- come from task_etag() and task_cursor() (migration 0003).

-- name: task_get
-- ok, ETag, task JSON; ETag and JSON are NULL when the task is not found.
SELECT u.is_active AND u.token_version = $2::integer,
    task_etag(t), t.doc
FROM users u
LEFT JOIN tasks t ON t.id = $3::bigint AND t.owner_id = u.id
WHERE u.id = $1::bigint;

-- name: task_insert
-- $3 title, $4 description, $5 due_date, $6 done (NULL: false).
-- id, ETag, task JSON; no row when the caller's token is no longer good.
-- The doc is task_json() of the row being written, computed here rather
-- than by the trigger (migration 0016): the id comes from the identity's
-- sequence, created_at and updated_at are now(), version is 1, all as the
-- defaults would have them.  ROW() lists the columns of tasks in order.
INSERT INTO tasks (id, owner_id, title, description, due_date, done,
    created_at, updated_at, doc)
OVERRIDING SYSTEM VALUE
SELECT s.id, s.owner_id, $3::text, $4::text, $5::date,
    coalesce($6::boolean, false), now(), now(),
    task_json(ROW(s.id, s.owner_id, $3::text, $4::text,
	coalesce($6::boolean, false), $5::date, 1, now(), now(),
	NULL)::tasks)::text
FROM (SELECT nextval('tasks_id_seq'::regclass) AS id, u.id AS owner_id
    FROM users u
    WHERE u.id = $1::bigint AND u.is_active
	AND u.token_version = $2::integer) s
RETURNING id, task_etag(tasks), doc;

-- name: task_insert_batch
-- task_insert for several requests at once (db_one_grouped, group
-- commit): $1..$6 are arrays of task_insert's parameters, one element per
-- request; per task written, the request's place in the arrays (1-based),
-- then task_insert's columns.  A request whose token is no longer good
-- gets no row, as with task_insert.  s is materialized: nextval() runs
-- once per row, and the ids it hands out are the ones the INSERT writes.
WITH s AS MATERIALIZED (
    SELECT nextval('tasks_id_seq'::regclass) AS id, u.id AS owner_id, x.n,
	x.title, x.description, x.due_date, coalesce(x.done, false) AS done
    FROM unnest($1::bigint[], $2::integer[], $3::text[], $4::text[],
	$5::date[], $6::boolean[]) WITH ORDINALITY
	AS x(owner_id, token_version, title, description, due_date, done, n)
    JOIN users u ON u.id = x.owner_id AND u.is_active
	AND u.token_version = x.token_version
), ins AS (
    INSERT INTO tasks (id, owner_id, title, description, due_date, done,
	created_at, updated_at, doc)
    OVERRIDING SYSTEM VALUE
    SELECT s.id, s.owner_id, s.title, s.description, s.due_date, s.done,
	now(), now(),
	task_json(ROW(s.id, s.owner_id, s.title, s.description, s.done,
	    s.due_date, 1, now(), now(), NULL)::tasks)::text
    FROM s
    RETURNING id, task_etag(tasks) AS etag, doc
)
SELECT s.n, ins.id, ins.etag, ins.doc FROM s JOIN ins USING (id);

-- name: task_replace
-- PUT: $3 id, $4 title, $5 description, $6 due_date, $7 done (NULL:
-- false), $8 the versions If-Match allows ('{1,2}'; NULL: any).
-- ok, ETag, task JSON, whether the task exists (for 404 versus 412).
WITH auth AS (
	SELECT u.is_active AND u.token_version = $2::integer AS ok
	FROM users u WHERE u.id = $1::bigint
), upd AS (
	UPDATE tasks t
	SET title = $4::text, description = $5::text, due_date = $6::date,
	    done = coalesce($7::boolean, false)
	WHERE t.id = $3::bigint AND t.owner_id = $1::bigint
	    AND (SELECT ok FROM auth)
	    AND ($8::integer[] IS NULL OR t.version = ANY ($8::integer[]))
	RETURNING t
)
SELECT (SELECT ok FROM auth), task_etag(upd.t), (upd.t).doc,
    EXISTS (SELECT FROM tasks WHERE id = $3::bigint AND owner_id = $1::bigint)
FROM (VALUES (1)) AS one
LEFT JOIN upd ON true;

-- name: task_update
-- PATCH: $3 id, $4 title (NULL: unchanged), $5 whether description is
-- given and $6 its value, $7 whether due_date is given and $8 its value,
-- $9 done (NULL: unchanged), $10 the versions If-Match allows (NULL: any).
-- ok, ETag, task JSON, whether the task exists.
WITH auth AS (
	SELECT u.is_active AND u.token_version = $2::integer AS ok
	FROM users u WHERE u.id = $1::bigint
), upd AS (
	UPDATE tasks t
	SET title = coalesce($4::text, t.title),
	    description = CASE WHEN $5::boolean THEN $6::text
		ELSE t.description END,
	    due_date = CASE WHEN $7::boolean THEN $8::date ELSE t.due_date END,
	    done = coalesce($9::boolean, t.done)
	WHERE t.id = $3::bigint AND t.owner_id = $1::bigint
	    AND (SELECT ok FROM auth)
	    AND ($10::integer[] IS NULL OR t.version = ANY ($10::integer[]))
	RETURNING t
)
SELECT (SELECT ok FROM auth), task_etag(upd.t), (upd.t).doc,
    EXISTS (SELECT FROM tasks WHERE id = $3::bigint AND owner_id = $1::bigint)
FROM (VALUES (1)) AS one
LEFT JOIN upd ON true;

-- name: task_delete
-- $3 id, $4 the versions If-Match allows (NULL: any).
-- ok, rows deleted (0 or 1), whether the task exists(ed).
WITH auth AS (
	SELECT u.is_active AND u.token_version = $2::integer AS ok
	FROM users u WHERE u.id = $1::bigint
), del AS (
	DELETE FROM tasks t
	WHERE t.id = $3::bigint AND t.owner_id = $1::bigint
	    AND (SELECT ok FROM auth)
	    AND ($4::integer[] IS NULL OR t.version = ANY ($4::integer[]))
	RETURNING t.id
)
SELECT (SELECT ok FROM auth), (SELECT count(*) FROM del),
    EXISTS (SELECT FROM tasks WHERE id = $3::bigint AND owner_id = $1::bigint);

-- name: task_list
-- One page, newest first: the tasks before the cursor ($3 created_at, $4
-- id; 'infinity' and any id for the first page), at most $5, due strictly
-- before $6 (NULL: any).  Reads limit + 1 rows to know whether a next page
-- exists.  ok, and {"items":[...],"next_cursor":...}.
WITH auth AS (
	SELECT u.is_active AND u.token_version = $2::integer AS ok
	FROM users u WHERE u.id = $1::bigint
), page AS (
	SELECT t, row_number() OVER (ORDER BY t.created_at DESC, t.id DESC) AS n
	FROM tasks t
	WHERE t.owner_id = $1::bigint
	    AND (t.created_at, t.id) < ($3::timestamptz, $4::bigint)
	    AND ($6::date IS NULL OR t.due_date < $6::date)
	    AND (SELECT ok FROM auth)
	ORDER BY t.created_at DESC, t.id DESC
	LIMIT $5::integer + 1
)
SELECT (SELECT ok FROM auth), '{"items":[' || coalesce(
    string_agg((p.t).doc, ',' ORDER BY p.n) FILTER (WHERE p.n <= $5::integer),
    '') || '],"next_cursor":' || CASE WHEN count(*) > $5::integer THEN
	to_json(min(task_cursor(p.t)) FILTER (WHERE p.n = $5::integer))::text
    ELSE 'null' END || '}'
FROM page p;

-- name: task_list_done
-- task_list with done = $7, served by tasks_owner_done_created.
WITH auth AS (
	SELECT u.is_active AND u.token_version = $2::integer AS ok
	FROM users u WHERE u.id = $1::bigint
), page AS (
	SELECT t, row_number() OVER (ORDER BY t.created_at DESC, t.id DESC) AS n
	FROM tasks t
	WHERE t.owner_id = $1::bigint AND t.done = $7::boolean
	    AND (t.created_at, t.id) < ($3::timestamptz, $4::bigint)
	    AND ($6::date IS NULL OR t.due_date < $6::date)
	    AND (SELECT ok FROM auth)
	ORDER BY t.created_at DESC, t.id DESC
	LIMIT $5::integer + 1
)
SELECT (SELECT ok FROM auth), '{"items":[' || coalesce(
    string_agg((p.t).doc, ',' ORDER BY p.n) FILTER (WHERE p.n <= $5::integer),
    '') || '],"next_cursor":' || CASE WHEN count(*) > $5::integer THEN
	to_json(min(task_cursor(p.t)) FILTER (WHERE p.n = $5::integer))::text
    ELSE 'null' END || '}'
FROM page p;

-- name: task_list_q
-- task_list with the title containing $8, case-insensitively, its LIKE
-- wildcards (% _ \) taken literally, and done = $7 (NULL: any); served by
-- tasks_owner_title_trgm when the text is selective.
WITH auth AS (
	SELECT u.is_active AND u.token_version = $2::integer AS ok
	FROM users u WHERE u.id = $1::bigint
), page AS (
	SELECT t, row_number() OVER (ORDER BY t.created_at DESC, t.id DESC) AS n
	FROM tasks t
	WHERE t.owner_id = $1::bigint
	    AND t.title ILIKE '%' || replace(replace(replace($8::text,
		'\', '\\'), '%', '\%'), '_', '\_') || '%'
	    AND ($7::boolean IS NULL OR t.done = $7::boolean)
	    AND (t.created_at, t.id) < ($3::timestamptz, $4::bigint)
	    AND ($6::date IS NULL OR t.due_date < $6::date)
	    AND (SELECT ok FROM auth)
	ORDER BY t.created_at DESC, t.id DESC
	LIMIT $5::integer + 1
)
SELECT (SELECT ok FROM auth), '{"items":[' || coalesce(
    string_agg((p.t).doc, ',' ORDER BY p.n) FILTER (WHERE p.n <= $5::integer),
    '') || '],"next_cursor":' || CASE WHEN count(*) > $5::integer THEN
	to_json(min(task_cursor(p.t)) FILTER (WHERE p.n = $5::integer))::text
    ELSE 'null' END || '}'
FROM page p;
