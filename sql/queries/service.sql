-- name: migration_latest
-- The newest applied migration version, for /readyz.
SELECT coalesce(max(version), 0) FROM schema_migrations;
