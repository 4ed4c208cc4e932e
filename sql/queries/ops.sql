-- name: pg_connection_limits
-- check-config: how many connections the server takes (max_connections
-- less the superuser-reserved ones), and this role's own limit (-1: none).
SELECT current_setting('max_connections')::int
       - current_setting('superuser_reserved_connections')::int,
       (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user);
