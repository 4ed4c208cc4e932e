-- 0003_tasks: the tasks of SPEC 4.4, each owned by one user.
--
-- The list is newest first by (created_at, id), walked with a keyset
-- cursor; the two btree indexes serve that walk without and with the done
-- filter, so a page costs the same at row 10 as at row 10 million.  The
-- title search (ILIKE '%q%') is served by a trigram GIN index that also
-- holds owner_id (btree_gin), so a search reads only the caller's tasks:
-- see docs/decisions.md.  Both extensions are "trusted": the database
-- owner may create them.
--
-- version is the ETag: a trigger bumps it on every UPDATE, whoever writes,
-- as set_updated_at() keeps updated_at.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE tasks (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	owner_id	bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	title		text NOT NULL
			CHECK (char_length(title) BETWEEN 1 AND 200),
	description	text CHECK (char_length(description) <= 10000),
	done		boolean NOT NULL DEFAULT false,
	due_date	date,
	version		integer NOT NULL DEFAULT 1,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tasks_owner_created ON tasks (owner_id, created_at, id);
CREATE INDEX tasks_owner_done_created
	ON tasks (owner_id, done, created_at, id);
CREATE INDEX tasks_owner_title_trgm
	ON tasks USING gin (owner_id, title gin_trgm_ops);

CREATE TRIGGER tasks_set_updated_at BEFORE UPDATE ON tasks
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE FUNCTION tasks_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.version := OLD.version + 1;
	RETURN NEW;
END
$$;

CREATE TRIGGER tasks_bump_version BEFORE UPDATE ON tasks
	FOR EACH ROW EXECUTE FUNCTION tasks_bump_version();

-- The task JSON of SPEC 4.4.  Times are RFC 3339 in UTC, as user_json's.
CREATE FUNCTION task_json(t tasks) RETURNS json
LANGUAGE sql STABLE AS $$
	SELECT json_build_object(
	    'id', t.id,
	    'title', t.title,
	    'description', t.description,
	    'done', t.done,
	    'due_date', t.due_date,
	    'created_at', to_char(t.created_at AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	    'updated_at', to_char(t.updated_at AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

-- The strong ETag of a task's representation: "<id>.<version>".
CREATE FUNCTION task_etag(t tasks) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT '"' || t.id || '.' || t.version || '"'
$$;

-- The opaque list cursor after task t: base64url, unpadded, of
-- "<created_at in microseconds since the epoch>.<id>" (app/tasks.c reads
-- it back).
CREATE FUNCTION task_cursor(t tasks) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT translate(encode(convert_to(
	    (extract(epoch FROM t.created_at) * 1000000)::bigint || '.' || t.id,
	    'UTF8'), 'base64'), '+/=', '-_')
$$;
