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
#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
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
static int
b64url_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

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
	size_t		 n = strlen(cursor), o = 0;
	uint32_t	 acc = 0;
	int		 bits = 0;
	long long	 us, secs;
	long		 frac;
	struct tm	 tm;
	time_t		 t;

	if (n == 0 || n > CURSOR_MAX || n % 4 == 1)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value((unsigned char)cursor[i]);

		if (v < 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[o++] = (char)(acc >> bits & 0xff);
		}
	}
	raw[o] = '\0';
	/* A NUL inside would hide what follows it from the checks below. */
	if (memchr(raw, '\0', o) != NULL)
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

static char	*task_page_json(struct arena *, const struct db_result *, int);
static char	*task_json_row(struct arena *, const char *const *);
static char	*task_etag_text(struct arena *, const char *, const char *);

/* GET /api/v1/tasks: ?done ?q ?due_before ?limit ?cursor (SPEC 4.4, 4.6) */
int
tasks_list(struct req *r)
{
	const char		*limit, *cursor, *done, *q, *due, *page;
	const char		*ts = "infinity", *after = "0";
	struct db_result	 res;
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
		rc = db_all(r, Q_TASK_LIST_Q, DB_ARGS(r->user_id, r->token_ver,
		    ts, after, limit, due, done, q), &res);
	else if (done != NULL)
		rc = db_all(r, Q_TASK_LIST_DONE, DB_ARGS(r->user_id,
		    r->token_ver, ts, after, limit, due, done), &res);
	else
		rc = db_all(r, Q_TASK_LIST, DB_ARGS(r->user_id, r->token_ver,
		    ts, after, limit, due), &res);
	if (rc < 0)
		return http_fail(r);
	if (res.nrows == 0 || !token_ok(db_value(&res, 0, 0)))
		return app_auth_stale(r);
	page = task_page_json(r->arena, &res, atoi(limit));
	if (page == NULL) {
		log_msg(LOG_ERR, "a column of the task list is not as "
		    "expected: request_id=%s", r->request_id);
		http_error(r, 500, "internal error");
		return http_fail(r);
	}
	return http_send_json(r, 200, page);
}

/* POST /api/v1/tasks */
int
tasks_create(struct req *r)
{
	struct task_in	 in = { 0 };
	const char	*row[8], *json;	/* task_get's task columns */
	int		 rc;

	if (jsonx_read(r, task_fields, &in, NULL) < 0)
		return http_fail(r);	/* 400 or 422, recorded */
	rc = db_one(r, Q_TASK_INSERT, DB_ARGS(r->user_id, r->token_ver,
	    in.title, in.description, in.due_date, in.done), DB_ROW(row));
	if (rc < 0)
		return http_fail(r);
	if (rc == 0)		/* the token's user is gone or changed */
		return app_auth_stale(r);
	if ((json = task_json_row(r->arena, row)) == NULL) {
		log_msg(LOG_ERR, "a column of task_insert is not as expected: "
		    "request_id=%s", r->request_id);
		http_error(r, 500, "internal error");
		return http_fail(r);
	}
	http_header(r, "Location", "/api/v1/tasks/%s", row[0]);
	http_header(r, "ETag", "%s", task_etag_text(r->arena, row[0], row[1]));
	return http_send_json(r, 201, json);
}

/* A string literal at o, without its NUL; the end. */
#define put_lit(o, lit)	((char *)memcpy((o), (lit), sizeof(lit) - 1) + \
			    sizeof(lit) - 1)

/* s as a JSON string at o, escaped as PostgreSQL's escape_json() does;
 * o has room for 6 * strlen(s) + 2.  Returns the end. */
static char *
put_json_string(char *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char	*esc;

	*o++ = '"';
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		default:
			if (c < 0x20) {
				memcpy(o, "\\u00", 4);
				o[4] = hex[c >> 4];
				o[5] = hex[c & 15];
				o += 6;
			} else
				*o++ = (char)c;
			continue;
		}
		*o++ = esc[0];
		*o++ = esc[1];
	}
	*o++ = '"';
	return o;
}

/* A timestamp's text in UTC with DateStyle ISO ("2026-11-30 03:39:29.07",
 * lib/db.c sets the style) at o as to_char(..., 'YYYY-MM-DD"T"HH24:MI:SS
 * .US"Z"') gives it, quoted: 28 bytes.  NULL when the text is not of that
 * shape (a year past 9999 or BC: never written by the API). */
static char *
put_json_time(char *o, const char *s)
{
	size_t	n = strlen(s), i;

	if (n < 19 || n > 26 || n == 20 || s[4] != '-' || s[10] != ' ' ||
	    s[13] != ':' || (n > 19 && s[19] != '.'))
		return NULL;
	*o++ = '"';
	memcpy(o, s, 10);
	o[10] = 'T';
	memcpy(o + 11, s + 11, 8);
	o += 19;
	*o++ = '.';
	for (i = 20; i < 26; i++)
		*o++ = i < n ? s[i] : '0';
	*o++ = 'Z';
	*o++ = '"';
	return o;
}

/* The task JSON from the columns id, version, title, description, done,
 * due_date, created_at, updated_at (UTC) of task_get: byte for byte what
 * task_json() (migration 0003, json_build_object) gives for that row.
 * NULL when a column is not as expected. */
static char *
task_json_row(struct arena *a, const char *const *c)
{
	size_t	 n = 192 + strlen(c[0]) + 6 * strlen(c[2]) +
	    (c[3] != NULL ? 6 * strlen(c[3]) : 0);
	char	*buf = arena_alloc(a, n), *o = buf;

	if (c[5] != NULL && strlen(c[5]) != 10)
		return NULL;
	o = put_lit(o, "{\"id\" : ");
	o = stpcpy(o, c[0]);
	o = put_lit(o, ", \"title\" : ");
	o = put_json_string(o, c[2]);
	o = put_lit(o, ", \"description\" : ");
	if (c[3] != NULL)
		o = put_json_string(o, c[3]);
	else
		o = put_lit(o, "null");
	o = put_lit(o, ", \"done\" : ");
	if (c[4] != NULL && c[4][0] == 't')
		o = put_lit(o, "true");
	else
		o = put_lit(o, "false");
	o = put_lit(o, ", \"due_date\" : ");
	if (c[5] != NULL) {
		*o++ = '"';
		o = stpcpy(o, c[5]);
		*o++ = '"';
	} else
		o = put_lit(o, "null");
	o = put_lit(o, ", \"created_at\" : ");
	if ((o = put_json_time(o, c[6])) == NULL)
		return NULL;
	o = put_lit(o, ", \"updated_at\" : ");
	if ((o = put_json_time(o, c[7])) == NULL)
		return NULL;
	*o++ = '}';
	*o = '\0';
	return buf;
}

/* The list cursor after a task: base64url, unpadded, of "<created_at in
 * microseconds since the epoch>.<id>", as task_cursor() writes it. */
static char *
task_cursor_text(struct arena *a, const char *us, const char *id)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	const char	*raw = arena_printf(a, "%s.%s", us, id);
	size_t		 n = strlen(raw), i;
	char		*out = arena_alloc(a, n / 3 * 4 + 5), *o = out;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)raw[i] << 16 |
		    (uint32_t)(unsigned char)raw[i + 1] << 8 |
		    (unsigned char)raw[i + 2];

		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)(unsigned char)raw[i] << 16;

		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)(unsigned char)raw[i] << 16 |
		    (uint32_t)(unsigned char)raw[i + 1] << 8;

		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

/* The page from task_list's rows (tasks.sql): byte for byte the
 * json_build_object('items', ..., 'next_cursor', ...) it used to be.
 * NULL when a column is not as expected. */
static char *
task_page_json(struct arena *a, const struct db_result *res, int limit)
{
	int		 n = 0, i;
	const char	**items, *cursor = NULL;
	size_t		 total = 64, *lens;
	char		*out, *o;

	items = arena_alloc(a, sizeof(*items) * (size_t)(res->nrows + 1));
	lens = arena_alloc(a, sizeof(*lens) * (size_t)(res->nrows + 1));
	for (i = 0; i < res->nrows && i < limit; i++) {
		const char *c[8];

		if (db_value(res, i, 1) == NULL)	/* no task at all */
			break;
		for (int k = 0; k < 8; k++)
			c[k] = db_value(res, i, k + 1);
		if (c[2] == NULL || c[6] == NULL || c[7] == NULL ||
		    (items[n] = task_json_row(a, c)) == NULL)
			return NULL;
		lens[n] = strlen(items[n]);
		total += lens[n] + 2;
		n++;
	}
	if (res->nrows > limit && limit > 0) {
		const char *us = db_value(res, limit - 1, 9),
		    *id = db_value(res, limit - 1, 1);

		if (us == NULL || id == NULL)
			return NULL;
		cursor = task_cursor_text(a, us, id);
		total += strlen(cursor);
	}
	o = out = arena_alloc(a, total);
	o = put_lit(o, "{\"items\" : [");
	for (i = 0; i < n; i++) {
		if (i > 0)
			o = put_lit(o, ", ");
		memcpy(o, items[i], lens[i]);
		o += lens[i];
	}
	o = put_lit(o, "], \"next_cursor\" : ");
	if (cursor != NULL) {
		*o++ = '"';
		o = stpcpy(o, cursor);
		*o++ = '"';
	} else
		o = put_lit(o, "null");
	*o++ = '}';
	*o = '\0';
	return out;
}

/* A task's strong ETag, "<id>.<version>", as task_etag() writes it. */
static char *
task_etag_text(struct arena *a, const char *id, const char *version)
{
	char	*tag = arena_alloc(a, strlen(id) + strlen(version) + 4), *o;

	o = stpcpy(stpcpy(stpcpy(stpcpy(tag, "\""), id), "."), version);
	o[0] = '"';
	o[1] = '\0';
	return tag;
}

/* The task as task_get reads it: its ETag and JSON.  0, or -1 when the
 * request has failed (recorded: the caller returns http_fail(r)). */
static int
task_read(struct req *r, const char *id, const char **etag,
    const char **json)
{
	const char	*row[9];
	int		 rc;

	rc = db_one(r, Q_TASK_GET, DB_ARGS(r->user_id, r->token_ver, id),
	    DB_ROW(row));
	if (rc < 0)
		return -1;
	if (rc == 0 || !token_ok(row[0]))	/* as app_auth_stale() */
		return http_error(r, 401, "the token was revoked");
	if (row[1] == NULL)
		return not_found(r, id);
	*json = task_json_row(r->arena, row + 1);
	if (*json == NULL) {
		log_msg(LOG_ERR, "task %s: a column of task_get is not as "
		    "expected: request_id=%s", id, r->request_id);
		return http_error(r, 500, "internal error");
	}
	*etag = task_etag_text(r->arena, row[1], row[2]);
	return 0;
}

/* GET /api/v1/tasks/{id}: the hot path, one primary-key round trip. */
int
tasks_get(struct req *r)
{
	const char	*id = http_path_param(r, 0), *inm, *etag, *json;

	if (task_read(r, id, &etag, &json) < 0)
		return http_fail(r);
	http_header(r, "ETag", "%s", etag);
	inm = http_param(r, "HTTP_IF_NONE_MATCH");
	if (inm != NULL && etag_listed(inm, etag, true))
		return http_send_empty(r, 304);
	return http_send_json(r, 200, json);
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
	const char	*id = http_path_param(r, 0), *row[4], *im, *etag, *json;
	uint64_t	 seen;
	bool		 desc, due;

	if (jsonx_read(r, task_patch_fields, &in, &seen) < 0)
		return http_fail(r);
	if (seen == 0) {
		/* Nothing to change: the task as it is, preconditions
		 * included, and no new version. */
		if (task_read(r, id, &etag, &json) < 0)
			return http_fail(r);
		im = http_param(r, "HTTP_IF_MATCH");
		if (im != NULL && !etag_listed(im, etag, false)) {
			http_error(r, 412, "task %s has changed since the ETag "
			    "in If-Match; fetch it again", id);
			return http_fail(r);
		}
		http_header(r, "ETag", "%s", etag);
		return http_send_json(r, 200, json);
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
