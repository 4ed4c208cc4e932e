/* SPDX-License-Identifier: MIT */
/*
 * comments.c - /api/articles/{slug}/comments (SPEC 4.5); SQL in
 * sql/queries/comments.sql.  One round trip each, as in articles.c.
 */
#include "handlers.h"

#include <string.h>

#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "queries.h"

#define COMMENT_MAX	10000

static int
not_found(struct req *r, const char *what)
{
	http_error(r, 404, "%s not found", what);
	return http_fail(r);
}

/* GET /api/articles/{slug}/comments: a token is optional. */
int
comments_list(struct req *r)
{
	const char	*row[1];
	int		 rc;

	rc = db_one(r, Q_COMMENT_LIST, DB_ARGS(r->user_id, r->token_ver,
	    http_path_param(r, 0)), DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0)
		return not_found(r, "article");
	return http_send_json(r, 200, row[0]);
}

struct comment_in {
	const char *body;
};

static const struct jsonx_field comment_fields[] = {
	JSONX_STRING(struct comment_in, body, JSONX_REQUIRED, 1, COMMENT_MAX),
	JSONX_END
};

/* POST /api/articles/{slug}/comments: 200, as the RealWorld OpenAPI
 * says. */
int
comments_create(struct req *r)
{
	struct comment_in	 in = { 0 };
	const char		*row[3];	/* ok, article, comment */
	int			 bad;

	bad = jsonx_read_ex(r, "comment", comment_fields, &in, NULL,
	    JSONX_IGNORE_UNKNOWN);
	if (in.body != NULL && in.body[strspn(in.body, " \t\r\n")] == '\0')
		http_invalid(r, "body", "blank", "can't be blank");
	if (bad < 0 || r->err_status != 0)
		return http_fail(r);
	if (db_one(r, Q_COMMENT_INSERT, DB_ARGS(r->user_id, r->token_ver,
	    http_path_param(r, 0), in.body), DB_ROW(row)) != 1)
		return http_fail(r);
	if (!conduit_is_true(row[0]))
		return app_auth_stale(r);
	if (!conduit_is_true(row[1]))
		return not_found(r, "article");
	return http_send_json(r, 200, row[2]);
}

/* DELETE /api/articles/{slug}/comments/{id}: its author only; 204. */
int
comments_delete(struct req *r)
{
	/* ok, article exists, comment exists on it, caller wrote it,
	 * deleted */
	const char *row[5];

	if (db_one(r, Q_COMMENT_DELETE, DB_ARGS(r->user_id, r->token_ver,
	    http_path_param(r, 0), http_path_param(r, 1)), DB_ROW(row)) != 1)
		return http_fail(r);
	if (!conduit_is_true(row[0]))
		return app_auth_stale(r);
	if (!conduit_is_true(row[1]))
		return not_found(r, "article");
	if (!conduit_is_true(row[2]))
		return not_found(r, "comment");
	if (strcmp(row[4], "1") != 0) {
		http_error(r, 403, "only the author may delete this comment");
		return http_fail(r);
	}
	return http_send_empty(r, 204);
}
