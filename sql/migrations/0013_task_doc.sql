-- 0013_task_doc: each task keeps its JSON, built by PostgreSQL when the
-- row is written, not on every read (issue 10).
--
-- task_json() cost PostgreSQL about half of a GET /api/v1/tasks/{id}
-- (json_build_object and two to_char per row, 19-24 us against 10-12 us
-- for a bare primary-key select), and most of a list page.  Tasks are read
-- far more often than written, so a BEFORE INSERT OR UPDATE trigger stores
-- task_json(NEW) in doc, and the queries read doc.  The trigger's name
-- sorts after tasks_bump_version and tasks_set_updated_at (PostgreSQL
-- fires a table's row triggers in name order), so doc sees the final
-- version and updated_at.  The stored text is task_json()'s, byte for
-- byte; tests/integration/test_tasks.c holds them equal.

ALTER TABLE tasks ADD COLUMN doc text;

-- The backfill must not bump versions or updated_at: ETags stay valid.
ALTER TABLE tasks DISABLE TRIGGER USER;
UPDATE tasks t SET doc = task_json(t)::text;
ALTER TABLE tasks ENABLE TRIGGER USER;

ALTER TABLE tasks ALTER COLUMN doc SET NOT NULL;

CREATE FUNCTION tasks_set_doc() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.doc := task_json(NEW)::text;
	RETURN NEW;
END
$$;

CREATE TRIGGER tasks_z_set_doc BEFORE INSERT OR UPDATE ON tasks
	FOR EACH ROW EXECUTE FUNCTION tasks_set_doc();
