/* SPDX-License-Identifier: MIT */
/*
 * pwguard.c - the throttle and the hash gate in front of password checks;
 * see pwguard.h, docs/decisions.md ("Hardening") and migration 0011.
 */
#include "pwguard.h"

#include <stdlib.h>

#include "arena.h"
#include "db.h"
#include "hashgate.h"
#include "http.h"
#include "log.h"
#include "queries.h"

/* Records the refusal in the route's envelope: OAuth needs a code. */
static int
refuse(struct req *r, int status, const char *code, const char *detail)
{
	if (r->envelope == HTTP_ENV_OAUTH)
		return http_oauth_error(r, status, code, detail);
	return http_error(r, status, "%s", detail);
}

static int
db_failed(struct req *r)
{
	if (r->envelope == HTTP_ENV_OAUTH && r->err_code == NULL)
		r->err_code = r->err_status == 503 ?
		    "temporarily_unavailable" : "server_error";
	return -1;
}

int
pwguard_locked(struct req *r, const char *secs_text)
{
	long secs = secs_text != NULL ? strtol(secs_text, NULL, 10) : 0;

	if (secs <= 0)
		return 0;
	http_header(r, "Retry-After", "%ld", secs);
	return refuse(r, 429, "invalid_grant", "too many failed password "
	    "attempts; try again later");
}

int
pwguard_check(struct req *r, const char *user_id, const char *login)
{
	const char *row[1];

	if (db_one(r, Q_THROTTLE_LOCKED_FOR, DB_ARGS(user_id, login),
	    DB_ROW(row)) != 1)
		return db_failed(r);
	return pwguard_locked(r, row[0]);
}

int
pwguard_failed(struct req *r, const char *user_id, const char *login)
{
	const char *row[1];

	if (db_one(r, Q_THROTTLE_FAILED, DB_ARGS(user_id, login),
	    DB_ROW(row)) != 1)
		return db_failed(r);
	if (row[0] != NULL && strtol(row[0], NULL, 10) > 0)
		log_msg(LOG_NOTICE, "password checks locked for %s s: "
		    "request_id=%s user_id=%s", row[0], r->request_id,
		    user_id ? user_id : "-");
	return 0;
}

int
pwguard_succeeded(struct req *r, const char *user_id)
{
	if (db_exec(r, Q_THROTTLE_CLEAR, DB_ARGS(user_id, NULL)) < 0)
		return db_failed(r);
	return 0;
}

int
pwguard_enter(struct req *r, struct hashgate_slot *s)
{
	r->hashes = true;
	if (hashgate_enter(s))
		return 0;
	http_header(r, "Retry-After", "1");
	return refuse(r, 503, "temporarily_unavailable", "too many password "
	    "checks at once; try again in a moment");
}

void
pwguard_leave(struct hashgate_slot *s)
{
	hashgate_leave(s);
}
