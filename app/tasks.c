/* SPDX-License-Identifier: MIT */
/*
 * tasks.c - /api/v1/tasks (SPEC 4.4, 4.6); SQL in sql/queries/tasks.sql.
 *
 * Every handler is one round trip.  The routes are ROUTE_TOKEN_ONLY: the
 * authenticate hook verifies the JWT without I/O, and the handler's query
 * checks that the token is still good (user present, active, same token
 * version), scopes the task to its owner, applies the If-Match condition
 * in its WHERE clause, and returns the ETag and the JSON the client gets.
 * What is left here is reading the request (bodies through field tables,
 * query parameters, entity-tag lists, the list cursor) and choosing the
 * status.
 */
#include "handlers.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "b64url.h"
#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "queries.h"
#include "route.h"

#define TASK_TITLE_MAX		200
#define TASK_DESCRIPTION_MAX	10000
#define LIST_LIMIT_DEFAULT	"20"
#define LIST_LIMIT_MAX		100
#define LIST_Q_MAX		TASK_TITLE_MAX	/* longer: matches nothing */
#define CURSOR_MAX		64	/* base64url characters */
#define IF_MATCH_MAX		16	/* entity tags looked at */

struct task_in {
	const char	*title;
	const char	*description;
	const char	*due_date;
	const char	*done;
};

/* POST and PUT: title required; the others reset to their defaults when
 * absent (PUT is a full replace). */
static const struct jsonx_field task_fields[] = {
	JSONX_STRING(struct task_in, title, JSONX_REQUIRED, 1, TASK_TITLE_MAX),
	JSONX_STRING(struct task_in, description, JSONX_NULLABLE, 0,
	    TASK_DESCRIPTION_MAX),
	JSONX_DATE(struct task_in, due_date, JSONX_NULLABLE),
	JSONX_BOOL(struct task_in, done, 0),
	JSONX_END
};

/* PATCH: only what the body names changes. */
static const struct jsonx_field task_patch_fields[] = {
	JSONX_STRING(struct task_in, title, 0, 1, TASK_TITLE_MAX),
	JSONX_STRING(struct task_in, description, JSONX_NULLABLE, 0,
	    TASK_DESCRIPTION_MAX),
	JSONX_DATE(struct task_in, due_date, JSONX_NULLABLE),
	JSONX_BOOL(struct task_in, done, 0),
	JSONX_END
};

/* The first column of every task query: true only while the caller's
 * token still matches its user (tasks.sql).  The routes are
 * ROUTE_TOKEN_ONLY: this is the only check of the user row. */
static bool
token_ok(const char *ok)
{
	return ok != NULL && strcmp(ok, "t") == 0;
}

static int
not_found(struct req *r, const char *id)
{
	return http_error(r, 404, "task %s not found", id);
}

/*
 * Entity-tag lists (RFC 9110 8.8.3, 13.1.1-2): `#entity-tag` where
 * entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE.  next_etag() reads one
 * element from *p: 1 with the opaque tag (quotes included) in tag/len and
 * *weak set, 0 at the end, -1 when the list is malformed.
 */
static int
next_etag(const char **p, const char **tag, size_t *len, bool *weak)
{
	const char *s = *p, *end;

	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	if (*s == '\0')
		return 0;
	*weak = strncmp(s, "W/", 2) == 0;
	if (*weak)
		s += 2;
	if (*s != '"')
		return -1;
	end = strchr(s + 1, '"');
	if (end == NULL)
		return -1;
	*tag = s;
	*len = (size_t)(end - s) + 1;
	s = end + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != ',' && *s != '\0')
		return -1;
	*p = s;
	return 1;
}

static bool
is_star(const char *h)
{
	h += strspn(h, " \t");
	return h[0] == '*' && h[1 + strspn(h + 1, " \t")] == '\0';
}

/* Whether list `h` names `etag` ("*" names every one).  `weak`: the weak
 * comparison of If-None-Match; else the strong one of If-Match.  A
 * malformed list names nothing. */
static bool
etag_listed(const char *h, const char *etag, bool weak)
{
	const char	*tag;
	size_t		 len;
	bool		 w;
	int		 rc;

	if (is_star(h))
		return true;
	while ((rc = next_etag(&h, &tag, &len, &w)) == 1)
		if ((weak || !w) && len == strlen(etag) &&
		    memcmp(tag, etag, len) == 0)
			return true;
	return false;
}

/*
 * The If-Match condition as the versions it allows, for the queries'
 * `version = ANY ($n)`: NULL when there is no condition (no header, or
 * "*": the task only has to exist), else an array literal such as "{3}",
 * "{}" when no strong tag in the list is one of this task's ETags
 * ("<id>.<version>", task_etag()) or the list is malformed: then nothing
 * is written and the answer is 412 (or 404 when there is no such task).
 */
static const char *
if_match_versions(struct req *r, const char *id)
{
	const char	*h = http_param(r, "HTTP_IF_MATCH"), *tag;
	char		*out, *at;
	size_t		 idlen = strlen(id), len;
	bool		 weak;
	int		 n = 0;

	if (h == NULL || is_star(h))
		return NULL;
	at = out = arena_alloc(r->arena, IF_MATCH_MAX * 11 + 3);
	*at++ = '{';
	while (n < IF_MATCH_MAX && next_etag(&h, &tag, &len, &weak) == 1) {
		const char	*v;
		size_t		 vlen;

		/* "<id>.<version>", version 1..2147483647 */
		if (weak || len < idlen + 4 ||
		    memcmp(tag + 1, id, idlen) != 0 || tag[1 + idlen] != '.')
			continue;
		v = tag + 1 + idlen + 1;
		vlen = len - idlen - 3;
		if (vlen > 10 || v[0] == '0' ||
		    strspn(v, "0123456789") < vlen ||
		    strtoll(v, NULL, 10) > INT32_MAX)
			continue;
		if (n++ > 0)
			*at++ = ',';
		memcpy(at, v, vlen);
		at += vlen;
	}
	*at++ = '}';
	*at = '\0';
	return out;
}

/*
 * The list cursor: base64url (unpadded) of "<created_at in microseconds
 * since the epoch>.<id>", as task_cursor() writes it.  The key goes back to
 * the query as a timestamptz text and an id.  Returns 0, or -1 with a 422
 * naming "cursor" for anything task_cursor() could not have written.
 */
/* An integer as task_cursor() writes one: optional minus, no leading
 * zero, no "-0", at most 18 digits (years 1..9999 need 17). */
static bool
is_microseconds(const char *s)
{
	bool	neg = *s == '-';
	size_t	n;

	s += neg;
	n = strlen(s);
	return n > 0 && n <= 18 && strspn(s, "0123456789") == n &&
	    (s[0] != '0' || (n == 1 && !neg));
}

static int
cursor_decode(struct req *r, const char *cursor, const char **ts,
    const char **id)
{
	char		 raw[CURSOR_MAX], *dot;
	size_t		 n = strlen(cursor);
	ssize_t		 o;
	long long	 us, secs;
	long		 frac;
	struct tm	 tm;
	time_t		 t;

	if (n == 0 || n > CURSOR_MAX || (o = b64url_decode(cursor, n,
	    (unsigned char *)raw, sizeof(raw) - 1)) < 0)
		goto bad;
	raw[o] = '\0';
	/* A NUL inside would hide what follows it from the checks below. */
	if (memchr(raw, '\0', (size_t)o) != NULL)
		goto bad;
	/* "<microseconds>.<id>", both canonical: what task_cursor() writes */
	dot = strchr(raw, '.');
	if (dot == NULL || !route_is_id(dot + 1))
		goto bad;
	*dot = '\0';
	if (!is_microseconds(raw))
		goto bad;
	us = strtoll(raw, NULL, 10);
	secs = us / 1000000;
	frac = (long)(us % 1000000);
	if (frac < 0) {		/* before 1970: floor, not truncation */
		secs--;
		frac += 1000000;
	}
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1 ||
	    tm.tm_year + 1900 > 9999)
		goto bad;
	*ts = arena_printf(r->arena, "%04d-%02d-%02d %02d:%02d:%02d.%06ld+00",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac);
	*id = arena_strdup(r->arena, dot + 1);
	return 0;
bad:
	return http_invalid(r, "cursor", "invalid_cursor",
	    "must be a next_cursor value from a previous page");
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* GET /api/v1/tasks: ?done ?q ?due_before ?limit ?cursor (SPEC 4.4, 4.6) */
int
tasks_list(struct req *r)
{
	const char		*limit, *cursor, *done, *q, *due, *row[2];
	const char		*ts = "infinity", *after = "0";
	int			 rc;

	/* The query string was decoded once, by http_req_init. */
	if (http_query(r, "limit", &limit) < 0 ||
	    http_query(r, "cursor", &cursor) < 0 ||
	    http_query(r, "done", &done) < 0 || http_query(r, "q", &q) < 0 ||
	    http_query(r, "due_before", &due) < 0)
		return http_fail(r);

	if (limit == NULL)
		limit = LIST_LIMIT_DEFAULT;
	else if (limit[0] == '\0' || limit[0] == '0' || strlen(limit) > 3 ||
	    strspn(limit, "0123456789") != strlen(limit) ||
	    atoi(limit) > LIST_LIMIT_MAX)
		http_invalid(r, "limit", "out_of_range",
		    "must be an integer from 1 to 100");
	if (cursor != NULL)
		cursor_decode(r, cursor, &ts, &after);
	if (done != NULL && strcmp(done, "true") != 0 &&
	    strcmp(done, "false") != 0)
		http_invalid(r, "done", "type", "must be true or false");
	if (q != NULL && q[0] == '\0')
		q = NULL;	/* ?q= : every title contains "" */
	if (q != NULL && utf8_chars(q) > LIST_Q_MAX)
		http_invalid(r, "q", "too_long",
		    "must be at most 200 characters long");
	if (due != NULL && !jsonx_is_date(due))
		http_invalid(r, "due_before", "invalid_date",
		    "must be a date as YYYY-MM-DD");
	if (r->err_status != 0)
		return http_fail(r);

	/* A variant per index (tasks.sql): a generic plan of one query with
	 * optional filters could not use the done or the trigram index. */
	if (q != NULL)
		rc = db_one(r, Q_TASK_LIST_Q, DB_ARGS(r->user_id, r->token_ver,
		    ts, after, limit, due, done, q), DB_ROW(row));
	else if (done != NULL)
		rc = db_one(r, Q_TASK_LIST_DONE, DB_ARGS(r->user_id,
		    r->token_ver, ts, after, limit, due, done), DB_ROW(row));
	else
		rc = db_one(r, Q_TASK_LIST, DB_ARGS(r->user_id, r->token_ver,
		    ts, after, limit, due), DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0 || !token_ok(row[0]))
		return app_auth_stale(r);
	return http_send_json(r, 200, row[1]);
}

/* POST /api/v1/tasks */
int
tasks_create(struct req *r)
{
	struct task_in	 in = { 0 };
	const char	*row[3];	/* id, ETag, task JSON */
	int		 rc;

	if (jsonx_read(r, task_fields, &in, NULL) < 0)
		return http_fail(r);	/* 400 or 422, recorded */
	/* Group commit: inserts that arrive while one runs share the next
	 * statement and its commit (db.h, docs/decisions.md). */
	rc = db_one_grouped(r, Q_TASK_INSERT, Q_TASK_INSERT_BATCH,
	    DB_ARGS(r->user_id, r->token_ver, in.title, in.description,
	    in.due_date, in.done), DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0)		/* the token's user is gone or changed */
		return app_auth_stale(r);
	http_header(r, "Location", "/api/v1/tasks/%s", row[0]);
	http_header(r, "ETag", "%s", row[1]);
	return http_send_json(r, 201, row[2]);
}

/* GET /api/v1/tasks/{id}: the hot path, one primary-key round trip. */
int
tasks_get(struct req *r)
{
	const char	*id = http_path_param(r, 0), *inm, *row[3];
	int		 rc;

	rc = db_one(r, Q_TASK_GET, DB_ARGS(r->user_id, r->token_ver, id),
	    DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0 || !token_ok(row[0]))
		return app_auth_stale(r);
	if (row[1] == NULL) {
		not_found(r, id);
		return http_fail(r);
	}
	http_header(r, "ETag", "%s", row[1]);
	inm = http_param(r, "HTTP_IF_NONE_MATCH");
	if (inm != NULL && etag_listed(inm, row[1], true))
		return http_send_empty(r, 304);
	return http_send_json(r, 200, row[2]);
}

/*
 * A write that changed no row: 412 when If-Match listed versions and the
 * task exists, else 404.  Without If-Match nothing but absence stops a
 * write: a task that a concurrent DELETE removed while this statement
 * waited for its row lock is still in the statement's snapshot (`existed`
 * true), and is a 404, not a 412.
 */
static int
fail_write(struct req *r, const char *id, const char *versions,
    const char *existed)
{
	if (versions != NULL && existed != NULL && strcmp(existed, "t") == 0)
		http_error(r, 412, "task %s has changed since the ETag in "
		    "If-Match; fetch it again", id);
	else
		not_found(r, id);
	return http_fail(r);
}

/* The answer to PUT and PATCH from ok, ETag, JSON, exists. */
static int
answer_write(struct req *r, const char *id, const char *versions,
    const char *const *row)
{
	if (!token_ok(row[0]))
		return app_auth_stale(r);
	if (row[1] != NULL) {
		http_header(r, "ETag", "%s", row[1]);
		return http_send_json(r, 200, row[2]);
	}
	return fail_write(r, id, versions, row[3]);
}

/* PUT /api/v1/tasks/{id}: full replace. */
int
tasks_replace(struct req *r)
{
	struct task_in	 in = { 0 };
	const char	*id = http_path_param(r, 0), *row[4], *versions;

	if (jsonx_read(r, task_fields, &in, NULL) < 0)
		return http_fail(r);
	versions = if_match_versions(r, id);
	if (db_one(r, Q_TASK_REPLACE, DB_ARGS(r->user_id, r->token_ver, id,
	    in.title, in.description, in.due_date, in.done, versions),
	    DB_ROW(row)) != 1)
		return http_fail(r);
	return answer_write(r, id, versions, row);
}

/* PATCH /api/v1/tasks/{id}: only the fields the body names. */
int
tasks_update(struct req *r)
{
	struct task_in	 in = { 0 };
	const char	*id = http_path_param(r, 0), *row[4], *cur[3], *im;
	uint64_t	 seen;
	bool		 desc, due;
	int		 rc;

	if (jsonx_read(r, task_patch_fields, &in, &seen) < 0)
		return http_fail(r);
	if (seen == 0) {
		/* Nothing to change: the task as it is, preconditions
		 * included, and no new version. */
		rc = db_one(r, Q_TASK_GET, DB_ARGS(r->user_id, r->token_ver,
		    id), DB_ROW(cur));
		if (rc < 0)
			return http_fail(r);
		if (rc == 0 || !token_ok(cur[0]))
			return app_auth_stale(r);
		if (cur[1] == NULL) {
			not_found(r, id);
			return http_fail(r);
		}
		im = http_param(r, "HTTP_IF_MATCH");
		if (im != NULL && !etag_listed(im, cur[1], false)) {
			http_error(r, 412, "task %s has changed since the ETag "
			    "in If-Match; fetch it again", id);
			return http_fail(r);
		}
		http_header(r, "ETag", "%s", cur[1]);
		return http_send_json(r, 200, cur[2]);
	}
	desc = jsonx_seen(task_patch_fields, seen, "description");
	due = jsonx_seen(task_patch_fields, seen, "due_date");
	im = if_match_versions(r, id);
	if (db_one(r, Q_TASK_UPDATE, DB_ARGS(r->user_id, r->token_ver, id,
	    in.title, desc ? "true" : "false", in.description,
	    due ? "true" : "false", in.due_date, in.done, im),
	    DB_ROW(row)) != 1)
		return http_fail(r);
	return answer_write(r, id, im, row);
}

/* DELETE /api/v1/tasks/{id} */
int
tasks_delete(struct req *r)
{
	const char *id = http_path_param(r, 0), *row[3], *versions;

	versions = if_match_versions(r, id);
	if (db_one(r, Q_TASK_DELETE, DB_ARGS(r->user_id, r->token_ver, id,
	    versions), DB_ROW(row)) != 1)
		return http_fail(r);
	if (!token_ok(row[0]))
		return app_auth_stale(r);
	if (strcmp(row[1], "1") == 0)
		return http_send_empty(r, 204);
	return fail_write(r, id, versions, row[2]);
}
