-- 0016_task_insert_doc: POST /api/v1/tasks writes the doc itself (issue 10).
--
-- Migration 0013's trigger ran a PL/pgSQL function for every inserted
-- task: about 9 % of PostgreSQL's time per POST /api/v1/tasks (perf, at
-- about 150 us of PostgreSQL CPU per insert), mostly the PL/pgSQL call
-- itself, not the JSON.  task_insert (sql/queries/tasks.sql) now computes
-- the doc in the INSERT, through the same task_json() of the same values
-- (it takes the id from the identity's sequence and sets created_at and
-- updated_at to now(), as the defaults would), so nothing calls the
-- trigger function for it.  Every other INSERT that gives no doc, and
-- every UPDATE, still gets the trigger's, so doc stays task_json() of the
-- row whoever writes it (tests/integration/test_tasks.c holds them equal).

DROP TRIGGER tasks_z_set_doc ON tasks;

CREATE TRIGGER tasks_z_set_doc BEFORE UPDATE ON tasks
	FOR EACH ROW EXECUTE FUNCTION tasks_set_doc();

CREATE TRIGGER tasks_z_set_doc_insert BEFORE INSERT ON tasks
	FOR EACH ROW WHEN (NEW.doc IS NULL) EXECUTE FUNCTION tasks_set_doc();
