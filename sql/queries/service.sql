-- name: migration_latest
-- The newest applied migration version, for /readyz.
SELECT coalesce(max(version), 0) FROM schema_migrations;

-- name: metrics_pg
-- For /metrics: server processes connected to this database, those of
-- them running a statement, and the database's size in bytes.
SELECT count(*), count(*) FILTER (WHERE state = 'active'),
    pg_database_size(current_database())
FROM pg_stat_activity
WHERE datname = current_database();
