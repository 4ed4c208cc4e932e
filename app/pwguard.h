/* SPDX-License-Identifier: MIT */
/*
 * pwguard.h - what stands before every password check (issue 11): the
 * per-account throttle on failed checks, stored in PostgreSQL
 * (sql/queries/throttle.sql), and a place in the pool-wide hash gate
 * (lib/hashgate.h).  Each function records its answer on the request when
 * it refuses (429 locked, 503 gate full or database down), in the route's
 * envelope; the caller then does `return http_fail(r)`.
 */
#ifndef APP_PWGUARD_H
#define APP_PWGUARD_H

#include "hashgate.h"

struct req;

/* Whether the subject (user id, or NULL and the login name as given) may
 * try a password now: 0 yes, -1 no (429 + Retry-After, or 503). */
int	pwguard_check(struct req *r, const char *user_id, const char *login);

/* The same answer from the throttle's seconds fetched with the user's row
 * (sql/queries/users.sql user_login): 0, or -1 with 429 + Retry-After. */
int	pwguard_locked(struct req *r, const char *secs);

/* Counts a failed check: 0, or -1 with 503 when the database failed. */
int	pwguard_failed(struct req *r, const char *user_id, const char *login);

/* A right password clears the account's counter: 0 or -1 (503). */
int	pwguard_succeeded(struct req *r, const char *user_id);

/* A place in the hash gate: 0, or -1 with 503 + Retry-After. */
int	pwguard_enter(struct req *r, struct hashgate_slot *s);
void	pwguard_leave(struct hashgate_slot *s);

#endif /* APP_PWGUARD_H */
