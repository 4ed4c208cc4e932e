-- 0010_perf: a login no longer reads every refresh token of its user.
--
-- refresh_insert drops the user's expired tokens at each login
-- (user_id = $1 AND expires_at < now()).  With an index on user_id alone
-- that read every token the user still has: a client that logs in a
-- thousand times a minute made each login cost PostgreSQL a scan of all
-- of them (about 2 ms at 20,000 tokens).  On (user_id, expires_at) the
-- delete reads only the expired ones; the index still serves every
-- lookup by user_id (logout, the token-version trigger), so the old one
-- goes.  Numbers in docs/decisions.md.

CREATE INDEX refresh_tokens_user_expires
	ON refresh_tokens (user_id, expires_at);
DROP INDEX refresh_tokens_user_id;
