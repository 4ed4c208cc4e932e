/* SPDX-License-Identifier: MIT */
/*
 * tests/integration/test_tasks.c - the tasks handlers called on a fake
 * struct req against the migrated test database, as the worker hands them
 * over on a ROUTE_TOKEN_ONLY route: r->user_id and r->token_ver come from
 * a verified token and nothing else has looked at the user row.  So the
 * 401 of a stale token, a deleted or deactivated user must come from the
 * task queries themselves; and a database that is away is a 503, never a
 * 401 or a 404.  Also what HTTP cannot easily reach: cursors before 1970
 * and past year 9999, long If-Match lists.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "client.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "queries.h"
#include "route.h"
#include "users.h"

static struct arena	*a;
static char		*env[4];
static char		 env_buf[3][8192];

static void
setup(void)
{
	test_need_stack();
	db_init(getenv("QUETZAL_DATABASE_URL"), 5000, queries, nqueries);
	a = arena_new(64 * 1024);
}

static void
teardown(void)
{
	arena_free(a);
	db_close();
}

TestSuite(tasks_handlers, .init = setup, .fini = teardown);

/*
 * A request as the worker would hand it to the handler after a
 * ROUTE_TOKEN_ONLY authentication of user `uid` with token version `ver`.
 * `id` is the {id} path parameter (NULL: the collection), `query` the raw
 * query string, `header` one more FastCGI param ("HTTP_IF_MATCH=...").
 */
static void
fake(struct req *r, const char *method, const char *id, const char *query,
    const char *body, const char *header, const char *uid, const char *ver)
{
	const char *why;

	arena_reset(a);
	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->request_id = "integration";
	r->method = method;
	r->route = test_route(method, id ? "/api/v1/tasks/{id}" :
	    "/api/v1/tasks");
	cr_assert(r->route->flags & ROUTE_TOKEN_ONLY, "%s %s", method,
	    r->route->pattern);
	r->path = r->route->pattern;
	r->envelope = r->route->envelope;
	r->query = query ? query : "";
	if (id != NULL) {
		r->path_params[0] = id;
		r->npath_params = 1;
	}
	r->body = body ? body : "";
	r->body_len = body ? strlen(body) : 0;
	if (body != NULL) {
		r->json = jsonx_parse(a, body, strlen(body), &why);
		cr_assert_not_null(r->json, "%s", why);
	}
	env[0] = NULL;
	if (header != NULL) {
		snprintf(env_buf[0], sizeof(env_buf[0]), "%s", header);
		env[0] = env_buf[0];
	}
	env[1] = NULL;
	r->env = env;
	r->user_id = uid;
	r->token_ver = ver;
}

static char *
sql1(const char *sql, const char *arg)
{
	const char *args[] = { arg };

	return app_db_value(sql, 1, args);
}

static char *
task_new(const char *uid, const char *title)
{
	struct req	 r;
	char		 body[256];
	const char	*loc;

	snprintf(body, sizeof(body), "{\"title\":\"%s\"}", title);
	fake(&r, "POST", NULL, NULL, body, NULL, uid, "1");
	cr_assert_eq(tasks_create(&r), 201, "%.*s", (int)r.resp_len,
	    r.resp_body);
	loc = strstr(r.resp_headers, "Location: /api/v1/tasks/");
	cr_assert_not_null(loc);
	loc += strlen("Location: /api/v1/tasks/");
	return strndup(loc, strcspn(loc, "\r\n"));
}

static void
assert_status(struct req *r, int got, int want)
{
	cr_assert_eq(got, want, "want %d, got %d: %.*s", want, got,
	    (int)r->resp_len, r->resp_body);
	cr_assert_eq(r->status, want);
}

Test(tasks_handlers, a_stale_token_version_is_401_from_every_task_query)
{
	char		*uid = app_user_insert("tasks"), *id = task_new(uid, "t"), *row;
	struct req	 r;

	row = sql1("SELECT version || title FROM tasks WHERE id = $1", id);
	fake(&r, "GET", id, NULL, NULL, NULL, uid, "2");
	assert_status(&r, tasks_get(&r), 401);
	cr_assert_not_null(strstr(r.resp_headers, "WWW-Authenticate: Bearer"));
	fake(&r, "GET", NULL, NULL, NULL, NULL, uid, "2");
	assert_status(&r, tasks_list(&r), 401);
	fake(&r, "GET", NULL, "done=true", NULL, NULL, uid, "2");
	assert_status(&r, tasks_list(&r), 401);
	fake(&r, "GET", NULL, "q=t", NULL, NULL, uid, "2");
	assert_status(&r, tasks_list(&r), 401);
	fake(&r, "POST", NULL, NULL, "{\"title\":\"x\"}", NULL, uid, "2");
	assert_status(&r, tasks_create(&r), 401);
	fake(&r, "PUT", id, NULL, "{\"title\":\"x\"}", NULL, uid, "2");
	assert_status(&r, tasks_replace(&r), 401);
	fake(&r, "PATCH", id, NULL, "{\"title\":\"x\"}", NULL, uid, "2");
	assert_status(&r, tasks_update(&r), 401);
	fake(&r, "PATCH", id, NULL, "{}", NULL, uid, "2");
	assert_status(&r, tasks_update(&r), 401);
	fake(&r, "DELETE", id, NULL, NULL, NULL, uid, "2");
	assert_status(&r, tasks_delete(&r), 401);
	{
		char *again = sql1("SELECT version || title FROM tasks "
		    "WHERE id = $1", id);
		char *n = sql1("SELECT count(*) FROM tasks WHERE owner_id = $1",
		    uid);

		cr_assert_str_eq(again, row);
		cr_assert_str_eq(n, "1");
		free(again);
		free(n);
	}
	/* the right version still works */
	fake(&r, "GET", id, NULL, NULL, NULL, uid, "1");
	assert_status(&r, tasks_get(&r), 200);
	free(row);
	free(id);
	free(uid);
}

Test(tasks_handlers, an_inactive_or_deleted_user_is_401_not_404)
{
	char		*uid = app_user_insert("tasks"), *id = task_new(uid, "t");
	struct req	 r;

	/* the trigger moves token_version too; keep the token's ver */
	free(sql1("UPDATE users SET is_active = false, token_version = 1 "
	    "WHERE id = $1", uid));
	fake(&r, "GET", id, NULL, NULL, NULL, uid, "1");
	assert_status(&r, tasks_get(&r), 401);
	free(sql1("DELETE FROM users WHERE id = $1", uid));
	fake(&r, "GET", id, NULL, NULL, NULL, uid, "1");
	assert_status(&r, tasks_get(&r), 401);
	fake(&r, "GET", NULL, NULL, NULL, NULL, uid, "1");
	assert_status(&r, tasks_list(&r), 401);
	fake(&r, "DELETE", id, NULL, NULL, NULL, uid, "1");
	assert_status(&r, tasks_delete(&r), 401);
	free(id);
	free(uid);
}

Test(tasks_handlers, a_cursor_before_1970_walks_on)
{
	char		*uid = app_user_insert("tasks"), *a1, *a2, *cursor, q[128];
	struct req	 r;

	a1 = task_new(uid, "old");
	a2 = task_new(uid, "older");
	free(sql1("UPDATE tasks SET created_at = CASE WHEN title = 'old' "
	    "THEN timestamptz '1969-07-20 20:17:40.5+00' "
	    "ELSE timestamptz '1969-07-20 20:17:40.25+00' END "
	    "WHERE owner_id = $1", uid));
	cursor = sql1("SELECT task_cursor(t) FROM tasks t WHERE title = 'old' "
	    "AND owner_id = $1", uid);
	snprintf(q, sizeof(q), "cursor=%s", cursor);
	fake(&r, "GET", NULL, q, NULL, NULL, uid, "1");
	assert_status(&r, tasks_list(&r), 200);
	cr_assert_not_null(strstr(r.resp_body, "\"older\""), "%s",
	    r.resp_body);
	cr_assert_null(strstr(r.resp_body, "\"old\""), "%s", r.resp_body);
	free(cursor);
	free(a1);
	free(a2);
	free(uid);
}

Test(tasks_handlers, cursors_task_cursor_could_not_write_are_422)
{
	/* base64url of "253402300800000000.1" (year 10000), "-0.1",
	 * "1.1.1" and "1.0" */
	static const char *const bad[] = {
	    "cursor=MjUzNDAyMzAwODAwMDAwMDAwLjE", "cursor=LTAuMQ",
	    "cursor=MS4xLjE", "cursor=MS4w", "cursor=MS4x=",
	    "cursor=MS4x%2B", "cursor=A",
	};
	char		*uid = app_user_insert("tasks");
	struct req	 r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fake(&r, "GET", NULL, bad[i], NULL, NULL, uid, "1");
		assert_status(&r, tasks_list(&r), 422);
		cr_assert_eq(r.nerrors, 1, "%s", bad[i]);
		cr_assert_str_eq(r.errors[0].field, "cursor", "%s", bad[i]);
	}
	/* "1.1": 1 µs after the epoch, a well-formed key */
	fake(&r, "GET", NULL, "cursor=MS4x", NULL, NULL, uid, "1");
	assert_status(&r, tasks_list(&r), 200);
	free(uid);
}

Test(tasks_handlers, if_match_lists_are_read_tag_by_tag)
{
	char		*uid = app_user_insert("tasks"), *id = task_new(uid, "t");
	char		 h[8192];
	struct req	 r;
	size_t		 at;

	/* 20 other tags before the right one: still found */
	at = (size_t)snprintf(h, sizeof(h), "HTTP_IF_MATCH=");
	for (int i = 0; i < 20; i++)
		at += (size_t)snprintf(h + at, sizeof(h) - at,
		    "\"%d.%d\", W/\"%s.1\", ", i + 1000, i, id);
	snprintf(h + at, sizeof(h) - at, "\"%s.1\"", id);
	fake(&r, "PATCH", id, NULL, "{\"done\":true}", h, uid, "1");
	assert_status(&r, tasks_update(&r), 200);
	cr_assert_not_null(strstr(r.resp_headers, ".2\""));

	/* a version beyond int4, a leading zero, an unclosed quote: no
	 * match, so nothing written */
	static const char *const stale[] = { "\"%s.99999999999\"",
	    "\"%s.02\"", "\"%s.2", "\"%s.\"", "\"%s2\"", "%s.2" };
	for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
		char v[128];

		snprintf(v, sizeof(v), stale[i], id);
		snprintf(h, sizeof(h), "HTTP_IF_MATCH=%s", v);
		fake(&r, "DELETE", id, NULL, NULL, h, uid, "1");
		assert_status(&r, tasks_delete(&r), 412);
	}
	snprintf(h, sizeof(h), "HTTP_IF_MATCH= * ");
	fake(&r, "DELETE", id, NULL, NULL, h, uid, "1");
	assert_status(&r, tasks_delete(&r), 204);
	free(id);
	free(uid);
}

Test(tasks_handlers, a_database_that_is_away_is_503)
{
	char		*uid = app_user_insert("tasks"), *id = task_new(uid, "t");
	struct req	 r;

	db_close();
	db_init("host=/nonexistent-dir dbname=x", 5000, queries, nqueries);
	fake(&r, "GET", id, NULL, NULL, NULL, uid, "1");
	assert_status(&r, tasks_get(&r), 503);
	cr_assert_not_null(strstr(r.resp_headers, "Retry-After:"));
	fake(&r, "GET", NULL, NULL, NULL, NULL, uid, "1");
	assert_status(&r, tasks_list(&r), 503);
	fake(&r, "POST", NULL, NULL, "{\"title\":\"x\"}", NULL, uid, "1");
	assert_status(&r, tasks_create(&r), 503);
	fake(&r, "DELETE", id, NULL, NULL, NULL, uid, "1");
	assert_status(&r, tasks_delete(&r), 503);
	free(id);
	free(uid);
}

/*
 * Migration 0013: the stored doc is task_json() of the row as it is now,
 * byte for byte, whoever writes it: an insert with defaults, an UPDATE
 * from psql (the version and updated_at triggers run before doc's), and
 * text that JSON must escape.
 */
Test(tasks_handlers, the_stored_doc_is_task_json_of_the_row)
{
	struct test_user	 u;
	const char		*p[2];
	char			*id, *v;

	test_user_new(&u);
	p[0] = u.id;
	id = app_db_value("INSERT INTO tasks (owner_id, title, description) "
	    "VALUES ($1, 'doc \"quoted\" \\ tab\t é 🦜', E'line\\nnext') "
	    "RETURNING id", 1, p);
	cr_assert_not_null(id);
	p[0] = id;
	v = app_db_value("SELECT doc = task_json(t)::text AND doc::json IS "
	    "NOT NULL FROM tasks t WHERE id = $1", 1, p);
	cr_assert_str_eq(v, "t", "doc differs from task_json after insert");
	free(v);
	free(app_db_value("UPDATE tasks SET done = true, due_date = "
	    "'2030-01-02' WHERE id = $1 RETURNING id", 1, p));
	v = app_db_value("SELECT doc = task_json(t)::text AND version = 2 AND "
	    "doc LIKE '%\"done\" : true%' FROM tasks t WHERE id = $1", 1, p);
	cr_assert_str_eq(v, "t", "doc differs from task_json after update");
	free(v);
	v = app_db_value("SELECT count(*) FROM tasks t "
	    "WHERE doc IS DISTINCT FROM task_json(t)::text", 0, NULL);
	cr_assert_str_eq(v, "0", "%s tasks with a stale doc", v);
	free(v);
	free(id);
}

/*
 * Migration 0016: POST /api/v1/tasks writes the doc in its INSERT, not
 * through the trigger.  It is still task_json() of the row byte for byte,
 * with every field set and with text JSON must escape, and the answer is
 * that doc.
 */
Test(tasks_handlers, a_posted_task_stores_task_json_of_its_row)
{
	struct req	 r;
	const char	*p[1];
	char		*uid, *id, *v;
	const char	*loc;

	uid = app_user_insert("tasks");
	fake(&r, "POST", NULL, NULL, "{\"title\":\"post \\\"q\\\" \\\\ "
	    "tab\\t \\u00e9 \\ud83e\\udd9c\",\"description\":\"line\\nnext\","
	    "\"due_date\":\"2031-02-03\",\"done\":true}", NULL, uid, "1");
	assert_status(&r, tasks_create(&r), 201);
	loc = strstr(r.resp_headers, "Location: /api/v1/tasks/");
	cr_assert_not_null(loc);
	loc += strlen("Location: /api/v1/tasks/");
	id = strndup(loc, strcspn(loc, "\r\n"));
	p[0] = id;
	v = app_db_value("SELECT doc = task_json(t)::text AND done AND "
	    "due_date = '2031-02-03' AND version = 1 AND created_at = "
	    "updated_at AND description = E'line\\nnext' FROM tasks t "
	    "WHERE id = $1", 1, p);
	cr_assert_str_eq(v, "t", "doc differs from task_json after POST");
	free(v);
	v = app_db_value("SELECT doc FROM tasks WHERE id = $1", 1, p);
	cr_assert_not_null(strstr(r.resp_body, v), "answer %.*s, doc %s",
	    (int)r.resp_len, r.resp_body, v);
	free(v);
	free(id);
	free(uid);
}
