-- 0014_user_doc: each user keeps its /api/v1 JSON, built by PostgreSQL
-- when the row is written, as tasks keep theirs (0013, issue 10).
--
-- GET /api/v1/users/me ran user_json() (json_build_object and two
-- to_char) on every read.  A BEFORE INSERT OR UPDATE trigger stores
-- user_json(NEW) in doc, and the single-user queries read doc; its name
-- sorts after users_bump_token_version, users_email_nfc and
-- users_set_updated_at (row triggers fire in name order), so doc sees the
-- final email and updated_at.  The stored text is user_json()'s, byte for
-- byte; tests/integration/test_users.c holds them equal.

ALTER TABLE users ADD COLUMN doc text;

-- The backfill must not bump token versions or updated_at.
ALTER TABLE users DISABLE TRIGGER USER;
UPDATE users u SET doc = user_json(u)::text;
ALTER TABLE users ENABLE TRIGGER USER;

ALTER TABLE users ALTER COLUMN doc SET NOT NULL;

CREATE FUNCTION users_set_doc() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.doc := user_json(NEW)::text;
	RETURN NEW;
END
$$;

CREATE TRIGGER users_z_set_doc BEFORE INSERT OR UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION users_set_doc();
