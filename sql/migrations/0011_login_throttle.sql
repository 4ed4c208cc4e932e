-- 0011_login_throttle: failed password checks per account (issue 11).
--
-- Every worker sees the same counters, so the throttle holds across the
-- pool and across restarts.  A subject is 'u:<id>' for an account (a login
-- by its email or by its username, and current_password on PATCH
-- /users/me, share one counter), or 'n:<sha256 of the lowercased name>'
-- for a name no account has: unknown names are throttled exactly as
-- accounts are, so the answers cannot tell them apart, and no mistyped
-- email is stored in clear.
--
-- Policy (docs/decisions.md): 5 failures are free; the 5th and each later
-- one lock the subject for 30 s, doubling up to 15 min.  A failure more
-- than an hour after the previous one starts counting again; a success
-- clears the row.  While locked, no password is checked at all.

CREATE TABLE login_failures (
	subject		text PRIMARY KEY,
	failures	integer NOT NULL CHECK (failures > 0),
	last_failed_at	timestamptz NOT NULL,
	locked_until	timestamptz
);

CREATE FUNCTION login_subject(user_id bigint, login text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN user_id IS NOT NULL THEN 'u:' || user_id
	    ELSE 'n:' || encode(sha256(convert_to(lower(coalesce(login, '')),
	        'UTF8')), 'hex') END
$$;

-- Seconds the subject stays locked (0: free).
CREATE FUNCTION login_locked_for(subj text) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT ceil(extract(epoch FROM locked_until - now()))
	    FROM login_failures
	    WHERE subject = subj AND locked_until > now()), 0)::integer
$$;

-- Counts one failure; returns the seconds of the lock it sets (0: none).
CREATE FUNCTION login_failed(subj text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	-- Rows idle for a day serve nobody: sweep a few on the way.
	DELETE FROM login_failures WHERE subject IN (
		SELECT subject FROM login_failures
		WHERE last_failed_at < now() - interval '1 day' AND subject <> subj
		LIMIT 10);
	INSERT INTO login_failures AS f (subject, failures, last_failed_at)
	VALUES (subj, 1, now())
	ON CONFLICT (subject) DO UPDATE SET
		failures = CASE WHEN f.last_failed_at < now() - interval '1 hour'
		    THEN 1 ELSE f.failures + 1 END,
		last_failed_at = now()
	RETURNING failures INTO n;
	IF n < 5 THEN
		RETURN 0;
	END IF;
	UPDATE login_failures
	SET locked_until = now() + make_interval(secs =>
	    least(900, 30 * power(2, least(n - 5, 10))))
	WHERE subject = subj;
	RETURN least(900, 30 * power(2, least(n - 5, 10)))::integer;
END
$$;

CREATE INDEX login_failures_last ON login_failures (last_failed_at);
