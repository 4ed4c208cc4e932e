-- Tasks (SPEC 4.4), owner-scoped.  Every query takes the caller as its
-- first two parameters (user id, the token's version) and checks, in the
-- same round trip, that the user still exists, is active and has that
-- token version: the first column, ok, is true only then (NULL when the
-- user is gone), and the handler answers 401 otherwise.  Another user's
-- task is never found.  The task JSON, the ETag and the list cursor come
-- from task_json(), task_etag() and task_cursor() (migration 0003).

-- name: task_get
-- ok, then the task's columns (NULL when it is not found): id, version,
-- title, description, done, due_date, created_at and updated_at in UTC.
-- The handler builds the ETag and JSON, byte for byte what task_etag()
-- and task_json() give (app/tasks.c, task_json_row): this hot query costs
-- PostgreSQL about a third less without them (docs/decisions.md).
SELECT u.is_active AND u.token_version = $2::integer,
    t.id, t.version, t.title, t.description, t.done, t.due_date,
    t.created_at AT TIME ZONE 'UTC', t.updated_at AT TIME ZONE 'UTC'
FROM users u
LEFT JOIN tasks t ON t.id = $3::bigint AND t.owner_id = u.id
WHERE u.id = $1::bigint;

-- name: task_insert
-- $3 title, $4 description, $5 due_date, $6 done (NULL: false).
-- task_get's task columns (the handler builds ETag and JSON); no row when
-- the caller's token is no longer good.
INSERT INTO tasks (owner_id, title, description, due_date, done)
SELECT u.id, $3::text, $4::text, $5::date, coalesce($6::boolean, false)
FROM users u
WHERE u.id = $1::bigint AND u.is_active AND u.token_version = $2::integer
RETURNING id, version, title, description, done, due_date,
    created_at AT TIME ZONE 'UTC', updated_at AT TIME ZONE 'UTC';

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
SELECT (SELECT ok FROM auth), task_etag(upd.t), task_json(upd.t),
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
SELECT (SELECT ok FROM auth), task_etag(upd.t), task_json(upd.t),
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
-- exists.  A row per task: ok, then task_get's task columns and the
-- created_at in microseconds since the epoch (for the cursor); one row
-- with NULL task columns when there is none, no row when the user is gone.
-- The handler builds the page's JSON, byte for byte what
-- json_build_object('items', json_agg(task_json(t)), 'next_cursor',
-- task_cursor(t)) gave: PostgreSQL's CPU per 20-task page went from about
-- 100 to 40 us (docs/decisions.md).
SELECT a.ok, p.id, p.version, p.title, p.description, p.done, p.due_date,
    p.created_at AT TIME ZONE 'UTC', p.updated_at AT TIME ZONE 'UTC',
    (extract(epoch FROM p.created_at) * 1000000)::bigint
FROM (SELECT u.is_active AND u.token_version = $2::integer AS ok
	FROM users u WHERE u.id = $1::bigint) a
LEFT JOIN LATERAL (
	SELECT t.* FROM tasks t
	WHERE t.owner_id = $1::bigint
	    AND (t.created_at, t.id) < ($3::timestamptz, $4::bigint)
	    AND ($6::date IS NULL OR t.due_date < $6::date)
	    AND a.ok
	ORDER BY t.created_at DESC, t.id DESC
	LIMIT $5::integer + 1
) p ON true
ORDER BY p.created_at DESC, p.id DESC;

-- name: task_list_done
-- task_list with done = $7, served by tasks_owner_done_created.
SELECT a.ok, p.id, p.version, p.title, p.description, p.done, p.due_date,
    p.created_at AT TIME ZONE 'UTC', p.updated_at AT TIME ZONE 'UTC',
    (extract(epoch FROM p.created_at) * 1000000)::bigint
FROM (SELECT u.is_active AND u.token_version = $2::integer AS ok
	FROM users u WHERE u.id = $1::bigint) a
LEFT JOIN LATERAL (
	SELECT t.* FROM tasks t
	WHERE t.owner_id = $1::bigint AND t.done = $7::boolean
	    AND (t.created_at, t.id) < ($3::timestamptz, $4::bigint)
	    AND ($6::date IS NULL OR t.due_date < $6::date)
	    AND a.ok
	ORDER BY t.created_at DESC, t.id DESC
	LIMIT $5::integer + 1
) p ON true
ORDER BY p.created_at DESC, p.id DESC;

-- name: task_list_q
-- task_list with the title containing $8, case-insensitively, its LIKE
-- wildcards (% _ \) taken literally, and done = $7 (NULL: any); served by
-- tasks_owner_title_trgm when the text is selective.
SELECT a.ok, p.id, p.version, p.title, p.description, p.done, p.due_date,
    p.created_at AT TIME ZONE 'UTC', p.updated_at AT TIME ZONE 'UTC',
    (extract(epoch FROM p.created_at) * 1000000)::bigint
FROM (SELECT u.is_active AND u.token_version = $2::integer AS ok
	FROM users u WHERE u.id = $1::bigint) a
LEFT JOIN LATERAL (
	SELECT t.* FROM tasks t
	WHERE t.owner_id = $1::bigint
	    AND t.title ILIKE '%' || replace(replace(replace($8::text,
		'\', '\\'), '%', '\%'), '_', '\_') || '%'
	    AND ($7::boolean IS NULL OR t.done = $7::boolean)
	    AND (t.created_at, t.id) < ($3::timestamptz, $4::bigint)
	    AND ($6::date IS NULL OR t.due_date < $6::date)
	    AND a.ok
	ORDER BY t.created_at DESC, t.id DESC
	LIMIT $5::integer + 1
) p ON true
ORDER BY p.created_at DESC, p.id DESC;
