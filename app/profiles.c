/* SPDX-License-Identifier: MIT */
/*
 * profiles.c - /api/profiles/{username} and its follow (SPEC 4.5); SQL in
 * sql/queries/profiles.sql.  One round trip each: the query checks the
 * caller's token (ROUTE_TOKEN_ONLY), finds the user, writes the follow
 * and builds {"profile":...}.
 */
#include "handlers.h"

#include <string.h>

#include "db.h"
#include "http.h"
#include "queries.h"

static int
no_such_user(struct req *r)
{
	http_error(r, 404, "profile not found");
	return http_fail(r);
}

/* GET /api/profiles/{username}: a token is optional. */
int
profiles_get(struct req *r)
{
	const char	*row[1];
	int		 rc;

	rc = db_one(r, Q_PROFILE_GET, DB_ARGS(r->user_id, r->token_ver,
	    http_path_param(r, 0)), DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0)
		return no_such_user(r);
	return http_send_json(r, 200, row[0]);
}

/* POST /api/profiles/{username}/follow: idempotent; yourself is a 422. */
int
profiles_follow(struct req *r)
{
	const char *row[3];	/* ok, profile, is the caller */

	if (db_one(r, Q_PROFILE_FOLLOW, DB_ARGS(r->user_id, r->token_ver,
	    http_path_param(r, 0)), DB_ROW(row)) != 1)
		return http_fail(r);
	if (!conduit_is_true(row[0]))
		return app_auth_stale(r);
	if (row[1] == NULL)
		return no_such_user(r);
	if (conduit_is_true(row[2])) {
		http_invalid(r, "username", "self", "cannot follow yourself");
		return http_fail(r);
	}
	return http_send_json(r, 200, row[1]);
}

/* DELETE /api/profiles/{username}/follow: idempotent. */
int
profiles_unfollow(struct req *r)
{
	const char *row[2];	/* ok, profile */

	if (db_one(r, Q_PROFILE_UNFOLLOW, DB_ARGS(r->user_id, r->token_ver,
	    http_path_param(r, 0)), DB_ROW(row)) != 1)
		return http_fail(r);
	if (!conduit_is_true(row[0]))
		return app_auth_stale(r);
	if (row[1] == NULL)
		return no_such_user(r);
	return http_send_json(r, 200, row[1]);
}
