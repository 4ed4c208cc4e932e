/* SPDX-License-Identifier: MIT */
/*
 * articles.c - /api/articles, its favorites and /api/tags (SPEC 4.5); SQL
 * in sql/queries/articles.sql.
 *
 * Every handler is one round trip: the query checks the caller's token
 * (ROUTE_TOKEN_ONLY; on the optional routes a missing or stale token
 * reads as anonymous), checks who may write, writes, and builds the
 * RealWorld JSON.  Left here: reading the body and the query string, and
 * choosing the status (404 before 403: an unknown slug is a 404 for
 * everyone).
 */
#include "handlers.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "queries.h"

#define TITLE_MAX	200
#define DESCRIPTION_MAX	2000
#define BODY_MAX	100000
#define TAG_MAX		64
#define LIMIT_MAX	100
#define OFFSET_DIGITS	9	/* below 10^9 */
#define SLUG_TRIES	3	/* inserts racing for one slug */

/* A boolean column of a row: "t".  Shared by the Conduit handlers. */
bool
conduit_is_true(const char *v)
{
	return v != NULL && strcmp(v, "t") == 0;
}

static int
not_found(struct req *r)
{
	http_error(r, 404, "article not found");
	return http_fail(r);
}

/* Only spaces is blank, as RealWorld back ends say. */
static void
check_blank(struct req *r, const char *field, const char *v)
{
	if (v != NULL && v[strspn(v, " \t\r\n")] == '\0')
		http_invalid(r, field, "blank", "can't be blank");
}

/* A decimal query parameter without sign or leading zeros (a lone "0"
 * when zero_ok), at most `digits` digits: 0, or a 422 naming it. */
static int
check_count(struct req *r, const char *name, const char *v, size_t digits,
    bool zero_ok, const char *message)
{
	size_t n = strlen(v);

	if (n == 0 || n > digits || strspn(v, "0123456789") != n ||
	    (v[0] == '0' && (n > 1 || !zero_ok)))
		return http_invalid(r, name, "out_of_range", message);
	return 0;
}

/* ?limit (1..100, default 20) and ?offset (default 0), read by
 * http_query: 422s recorded, defaults filled in. */
static void
read_page(struct req *r, const char **limit, const char **offset)
{
	if (*limit == NULL)
		*limit = "20";
	else if (check_count(r, "limit", *limit, 3, false, "must be an "
	    "integer from 1 to 100") == 0 && atoi(*limit) > LIMIT_MAX)
		http_invalid(r, "limit", "out_of_range",
		    "must be an integer from 1 to 100");
	if (*offset == NULL)
		*offset = "0";
	else
		check_count(r, "offset", *offset, OFFSET_DIGITS, true,
		    "must be an integer from 0 to 999999999");
}

/*
 * GET /api/articles ?tag ?author ?favorited ?limit (1..100, default 20)
 * ?offset (default 0).  One query per index: a filter given empty is no
 * filter.
 */
int
articles_list(struct req *r)
{
	const char	*tag, *author, *fav, *limit, *offset, *row[1];
	int		 nfilters, rc;

	if (http_query(r, "tag", &tag) < 0 ||
	    http_query(r, "author", &author) < 0 ||
	    http_query(r, "favorited", &fav) < 0 ||
	    http_query(r, "limit", &limit) < 0 ||
	    http_query(r, "offset", &offset) < 0)
		return http_fail(r);
	read_page(r, &limit, &offset);
	if (r->err_status != 0)
		return http_fail(r);
	if (tag != NULL && *tag == '\0')
		tag = NULL;
	if (author != NULL && *author == '\0')
		author = NULL;
	if (fav != NULL && *fav == '\0')
		fav = NULL;
	nfilters = (tag != NULL) + (author != NULL) + (fav != NULL);

	if (nfilters > 1)
		rc = db_one(r, Q_ARTICLE_LIST_FILTERED, DB_ARGS(r->user_id,
		    r->token_ver, limit, offset, tag, author, fav),
		    DB_ROW(row));
	else if (tag != NULL)
		rc = db_one(r, Q_ARTICLE_LIST_TAG, DB_ARGS(r->user_id,
		    r->token_ver, limit, offset, tag), DB_ROW(row));
	else if (author != NULL)
		rc = db_one(r, Q_ARTICLE_LIST_AUTHOR, DB_ARGS(r->user_id,
		    r->token_ver, limit, offset, author), DB_ROW(row));
	else if (fav != NULL)
		rc = db_one(r, Q_ARTICLE_LIST_FAVORITED, DB_ARGS(r->user_id,
		    r->token_ver, limit, offset, fav), DB_ROW(row));
	else
		rc = db_one(r, Q_ARTICLE_LIST, DB_ARGS(r->user_id,
		    r->token_ver, limit, offset), DB_ROW(row));
	if (rc != 1)
		return http_fail(r);
	return http_send_json(r, 200, row[0]);
}

/* GET /api/articles/feed ?limit ?offset */
int
articles_feed(struct req *r)
{
	const char *limit, *offset, *row[2];

	if (http_query(r, "limit", &limit) < 0 ||
	    http_query(r, "offset", &offset) < 0)
		return http_fail(r);
	read_page(r, &limit, &offset);
	if (r->err_status != 0)
		return http_fail(r);
	if (db_one(r, Q_ARTICLE_FEED, DB_ARGS(r->user_id, r->token_ver, limit,
	    offset), DB_ROW(row)) != 1)
		return http_fail(r);
	if (!conduit_is_true(row[0]))
		return app_auth_stale(r);
	return http_send_json(r, 200, row[1]);
}

/* GET /api/articles/{slug} */
int
articles_get(struct req *r)
{
	const char	*row[1];
	int		 rc;

	rc = db_one(r, Q_ARTICLE_GET, DB_ARGS(r->user_id, r->token_ver,
	    http_path_param(r, 0)), DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0)
		return not_found(r);
	return http_send_json(r, 200, row[0]);
}

struct article_in {
	const char *title, *description, *body, *tagList;
};

static const struct jsonx_field article_new_fields[] = {
	JSONX_STRING(struct article_in, title, JSONX_REQUIRED, 1, TITLE_MAX),
	JSONX_STRING(struct article_in, description, JSONX_REQUIRED, 1,
	    DESCRIPTION_MAX),
	JSONX_STRING(struct article_in, body, JSONX_REQUIRED, 1, BODY_MAX),
	JSONX_STRINGS(struct article_in, tagList, JSONX_NULLABLE, 1, TAG_MAX),
	JSONX_END
};

/* PUT: what is given changes (UpdateArticle has no tagList: ignored). */
static const struct jsonx_field article_update_fields[] = {
	JSONX_STRING(struct article_in, title, 0, 1, TITLE_MAX),
	JSONX_STRING(struct article_in, description, 0, 1, DESCRIPTION_MAX),
	JSONX_STRING(struct article_in, body, 0, 1, BODY_MAX),
	JSONX_END
};

static int
read_article(struct req *r, const struct jsonx_field *fields,
    struct article_in *in)
{
	int bad = jsonx_read_ex(r, "article", fields, in, NULL,
	    JSONX_IGNORE_UNKNOWN);

	check_blank(r, "title", in->title);
	check_blank(r, "description", in->description);
	check_blank(r, "body", in->body);
	return bad < 0 || r->err_status != 0 ? -1 : 0;
}

/* POST /api/articles */
int
articles_create(struct req *r)
{
	struct article_in	 in = { 0 };
	const char		*row[3];	/* ok, slug, article */

	if (read_article(r, article_new_fields, &in) < 0)
		return http_fail(r);
	for (int i = 0;; i++) {
		if (db_one(r, Q_ARTICLE_INSERT, DB_ARGS(r->user_id,
		    r->token_ver, in.title, in.description, in.body,
		    in.tagList), DB_ROW(row)) == 1)
			break;
		/* Another writer took the slug since we looked: the next
		 * try sees it and adds the id. */
		if (i + 1 == SLUG_TRIES || r->err_status != 409 ||
		    r->err_constraint == NULL ||
		    strcmp(r->err_constraint, "articles_slug_key") != 0)
			return http_fail(r);
		r->err_status = 0;
		r->err_detail = NULL;
		r->err_sqlstate = r->err_constraint = NULL;
	}
	if (!conduit_is_true(row[0]))
		return app_auth_stale(r);
	http_header(r, "Location", "/api/articles/%s", row[1]);
	return http_send_json(r, 201, row[2]);
}

/* The status of a write from ok, exists, is the author. */
static int
refused(struct req *r, const char *const *row)
{
	if (!conduit_is_true(row[0]))
		return app_auth_stale(r);
	if (!conduit_is_true(row[1]))
		return not_found(r);
	http_error(r, 403, "only the author may change this article");
	return http_fail(r);
}

/* PUT /api/articles/{slug}: the author only. */
int
articles_update(struct req *r)
{
	struct article_in	 in = { 0 };
	const char		*row[4];   /* ok, exists, author, article */

	if (read_article(r, article_update_fields, &in) < 0)
		return http_fail(r);
	if (db_one(r, Q_ARTICLE_UPDATE, DB_ARGS(r->user_id, r->token_ver,
	    http_path_param(r, 0), in.title, in.description, in.body),
	    DB_ROW(row)) != 1)
		return http_fail(r);
	if (row[3] == NULL)
		return refused(r, row);
	return http_send_json(r, 200, row[3]);
}

/* DELETE /api/articles/{slug}: the author only; 204. */
int
articles_delete(struct req *r)
{
	const char *row[4];	/* ok, exists, author, deleted */

	if (db_one(r, Q_ARTICLE_DELETE, DB_ARGS(r->user_id, r->token_ver,
	    http_path_param(r, 0)), DB_ROW(row)) != 1)
		return http_fail(r);
	if (strcmp(row[3], "1") != 0)
		return refused(r, row);
	return http_send_empty(r, 204);
}

static int
favorite(struct req *r, int q)
{
	const char *row[2];	/* ok, article */

	if (db_one(r, q, DB_ARGS(r->user_id, r->token_ver,
	    http_path_param(r, 0)), DB_ROW(row)) != 1)
		return http_fail(r);
	if (!conduit_is_true(row[0]))
		return app_auth_stale(r);
	if (row[1] == NULL)
		return not_found(r);
	return http_send_json(r, 200, row[1]);
}

/* POST /api/articles/{slug}/favorite: idempotent. */
int
articles_favorite(struct req *r)
{
	return favorite(r, Q_ARTICLE_FAVORITE);
}

/* DELETE /api/articles/{slug}/favorite: idempotent. */
int
articles_unfavorite(struct req *r)
{
	return favorite(r, Q_ARTICLE_UNFAVORITE);
}

/* GET /api/tags */
int
tags_list(struct req *r)
{
	const char *row[1];

	if (db_one(r, Q_TAG_LIST, DB_NOARGS, DB_ROW(row)) != 1)
		return http_fail(r);
	return http_send_json(r, 200, row[0]);
}
