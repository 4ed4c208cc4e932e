-- 0017_login_lock_seconds: one definition of "seconds a lock has left".
--
-- user_login (POST /token) and conduit_user_login (POST /api/users/login)
-- each spelled out the same CASE over login_failures.locked_until, and
-- login_locked_for() a third variant of it.  login_lock_seconds() is that
-- expression once: a SQL function of one STABLE expression, which the
-- planner inlines, so the login queries cost what they did.

CREATE FUNCTION login_lock_seconds(locked_until timestamptz)
RETURNS integer LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN locked_until > now()
	    THEN ceil(extract(epoch FROM locked_until - now()))::integer
	    ELSE 0 END
$$;

CREATE OR REPLACE FUNCTION login_locked_for(subj text) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT login_lock_seconds(locked_until)
	    FROM login_failures WHERE subject = subj), 0)
$$;
