-- Failed password checks (issue 11; migration 0011): app/pwguard.c.
-- $1 user id or NULL, $2 the login name as given (for an unknown name).

-- name: throttle_locked_for
-- Seconds the subject stays locked, 0 when it may try.
SELECT login_locked_for(login_subject($1::bigint, $2::text));

-- name: throttle_failed
-- One more failure: the seconds of the lock it sets, 0 when none.
SELECT login_failed(login_subject($1::bigint, $2::text));

-- name: throttle_clear
-- A right password: the account's counter goes.
DELETE FROM login_failures WHERE subject = login_subject($1::bigint, $2::text);
