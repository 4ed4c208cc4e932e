/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_tasks.c - /api/v1/tasks through nginx and the workers
 * (SPEC 4.4, 4.6, 4.1): every route and its errors, ownership on every
 * verb, ETags and preconditions, the keyset walk with inserts between
 * pages, and concurrent writers.  Each test makes its own users, so tests
 * run in any order and in parallel; the rows behind each answer are read
 * back from the database the workers use.
 */
#include <criterion/criterion.h>

#include <curl/curl.h>
#include <json.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "users.h"

TestSuite(tasks, .init = test_need_stack, .timeout = 120);

/* app_db_value() with the parameters as arguments, ending with NULL. */
static char *
sql1(const char *sql, ...)
{
	const char	*p[16];
	int		 n = 0;
	va_list		 ap;

	va_start(ap, sql);
	while (n < 16 && (p[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	return app_db_value(sql, n, p);
}

/* A request with a bearer token and up to two more headers (may be NULL). */
static struct resp
call(const char *method, const char *path, const struct test_user *u,
    const char *body, const char *h1, const char *h2)
{
	char		 auth[4200];
	const char	*h[4];
	int		 n = 0;
	struct resp	 r;

	if (u != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    u->token);
		h[n++] = auth;
	}
	if (h1 != NULL)
		h[n++] = h1;
	if (h2 != NULL)
		h[n++] = h2;
	h[n] = NULL;
	cr_assert_eq(http_req(method, path, h, body, &r), 0, "%s %s failed",
	    method, path);
	return r;
}

/* Creates a task from `body` for u; returns its id, malloc'd. */
static char *
task_new(const struct test_user *u, const char *body)
{
	struct resp	 r = call("POST", "/api/v1/tasks", u, body, NULL, NULL);
	char		*id;

	cr_assert_eq(r.status, 201, "POST %s: %ld %s", body, r.status, r.body);
	id = strdup(resp_str(&r, "id"));
	resp_free(&r);
	return id;
}

static char *
task_path(const char *id)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "/api/v1/tasks/%s", id);
	return buf;
}

/* "title|description|done|due_date|version|updated_at" of a task row:
 * what must not change when a write is refused. */
static char *
row_of(const char *id)
{
	return sql1("SELECT concat_ws('|', title, coalesce(description, "
	    "'<null>'), done, coalesce(due_date::text, '<null>'), version, "
	    "updated_at) FROM tasks WHERE id = $1", id, NULL);
}

static void
assert_problem(const struct resp *r, long status, const char *field)
{
	char *ct = resp_header(r, "Content-Type");

	cr_assert_eq(r->status, status, "want %ld, got %ld: %s", status,
	    r->status, r->body);
	cr_assert_str_eq(ct, "application/problem+json");
	cr_assert_str_eq(resp_str(r, "status"),
	    status == 401 ? "401" : status == 404 ? "404" : status == 412 ?
	    "412" : status == 422 ? "422" : status == 400 ? "400" : "415");
	cr_assert_not_null(resp_str(r, "request_id"));
	if (field != NULL) {
		bool found = false;

		for (int i = 0; i < 8 && !found; i++) {
			char key[32];
			const char *f;

			snprintf(key, sizeof(key), "errors.%d.field", i);
			f = resp_str(r, key);
			found = f != NULL && strcmp(f, field) == 0;
		}
		cr_assert(found, "no error names %s: %s", field, r->body);
	}
	free(ct);
}

/* --- create --- */

Test(tasks, create_answers_201_with_location_etag_and_the_stored_task)
{
	struct test_user	 u;
	struct resp		 r;
	char			*loc, *etag, *ct, want[64], *owner, *title;
	const char		*id;

	test_user_new(&u);
	r = call("POST", "/api/v1/tasks", &u, "{\"title\":\"Buy milk\","
	    "\"description\":\"2 litres\",\"due_date\":\"2026-03-01\","
	    "\"done\":true}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	id = resp_str(&r, "id");
	loc = resp_header(&r, "Location");
	etag = resp_header(&r, "ETag");
	ct = resp_header(&r, "Content-Type");
	snprintf(want, sizeof(want), "/api/v1/tasks/%s", id);
	cr_assert_str_eq(loc, want);
	snprintf(want, sizeof(want), "\"%s.1\"", id);
	cr_assert_str_eq(etag, want);
	cr_assert_str_eq(ct, "application/json");
	cr_assert_str_eq(resp_str(&r, "title"), "Buy milk");
	cr_assert_str_eq(resp_str(&r, "description"), "2 litres");
	cr_assert_str_eq(resp_str(&r, "done"), "true");
	cr_assert_str_eq(resp_str(&r, "due_date"), "2026-03-01");
	cr_assert_not_null(resp_str(&r, "created_at"));
	cr_assert_str_eq(resp_str(&r, "created_at"),
	    resp_str(&r, "updated_at"));
	cr_assert_eq(strlen(resp_str(&r, "created_at")), 27,
	    "RFC 3339 UTC with microseconds: %s", resp_str(&r, "created_at"));
	cr_assert_eq(json_object_object_length(r.json), 7, "%s", r.body);

	owner = sql1("SELECT owner_id FROM tasks WHERE id = $1", id, NULL);
	title = sql1("SELECT concat_ws('|', title, description, done, "
	    "due_date) FROM tasks WHERE id = $1", id, NULL);
	cr_assert_str_eq(owner, u.id);
	cr_assert_str_eq(title, "Buy milk|2 litres|t|2026-03-01");
	free(owner);
	free(title);
	free(loc);
	free(etag);
	free(ct);
	resp_free(&r);
}

Test(tasks, create_with_only_a_title_gets_the_defaults)
{
	struct test_user	 u;
	struct resp		 r;

	test_user_new(&u);
	r = call("POST", "/api/v1/tasks", &u, "{\"title\":\"t\"}", NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert_null(resp_str(&r, "description"));
	cr_assert_null(resp_str(&r, "due_date"));
	cr_assert_str_eq(resp_str(&r, "done"), "false");
	/* present as JSON null, not absent */
	cr_assert(json_object_object_get_ex(r.json, "description", NULL));
	cr_assert(json_object_object_get_ex(r.json, "due_date", NULL));
	resp_free(&r);
}

Test(tasks, title_of_200_characters_is_accepted_and_201_is_a_422)
{
	struct test_user	 u;
	struct resp		 r;
	char			 body[2048], title[1024];

	test_user_new(&u);
	/* 200 characters of two bytes each: the limit counts characters */
	title[0] = '\0';
	for (int i = 0; i < 200; i++)
		strcat(title, "\xc3\xa9");
	snprintf(body, sizeof(body), "{\"title\":\"%s\"}", title);
	r = call("POST", "/api/v1/tasks", &u, body, NULL, NULL);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "title"), title);
	resp_free(&r);

	snprintf(body, sizeof(body), "{\"title\":\"%sx\"}", title);
	r = call("POST", "/api/v1/tasks", &u, body, NULL, NULL);
	assert_problem(&r, 422, "title");
	cr_assert_str_eq(resp_str(&r, "errors.0.code"), "too_long");
	resp_free(&r);
}

Test(tasks, invalid_bodies_are_422_naming_the_field_and_store_nothing)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
		{ "{\"title\":\"\"}", "title" },
		{ "{}", "title" },
		{ "{\"description\":\"no title\"}", "title" },
		{ "{\"title\":null}", "title" },
		{ "{\"title\":42}", "title" },
		{ "{\"title\":\"t\",\"due_date\":\"2026-02-30\"}", "due_date" },
		{ "{\"title\":\"t\",\"due_date\":\"03/01/2026\"}", "due_date" },
		{ "{\"title\":\"t\",\"due_date\":20260301}", "due_date" },
		{ "{\"title\":\"t\",\"done\":\"yes\"}", "done" },
		{ "{\"title\":\"t\",\"done\":1}", "done" },
		{ "{\"title\":\"t\",\"done\":null}", "done" },
		{ "{\"title\":\"t\",\"owner_id\":1}", "owner_id" },
		{ "{\"title\":\"t\",\"id\":5}", "id" },
		{ "[\"t\"]", "body" },
	};
	struct test_user	 u;
	char			*n;

	test_user_new(&u);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct resp r = call("POST", "/api/v1/tasks", &u,
		    cases[i].body, NULL, NULL);

		assert_problem(&r, 422, cases[i].field);
		resp_free(&r);
	}
	{
		/* 10,001 characters of description */
		char		*body = malloc(10001 + 64);
		struct resp	 r;
		size_t		 at;

		strcpy(body, "{\"title\":\"t\",\"description\":\"");
		at = strlen(body);
		memset(body + at, 'd', 10001);
		strcpy(body + at + 10001, "\"}");
		r = call("POST", "/api/v1/tasks", &u, body, NULL, NULL);
		assert_problem(&r, 422, "description");
		resp_free(&r);
		free(body);
	}
	n = sql1("SELECT count(*) FROM tasks WHERE owner_id = $1", u.id, NULL);
	cr_assert_str_eq(n, "0");
	free(n);
}

Test(tasks, malformed_json_is_400_and_other_types_415)
{
	struct test_user	 u;
	struct resp		 r;

	test_user_new(&u);
	r = call("POST", "/api/v1/tasks", &u, "{\"title\":\"t\",}", NULL, NULL);
	assert_problem(&r, 400, NULL);
	resp_free(&r);
	r = call("POST", "/api/v1/tasks", &u, "{'title':'t'}", NULL, NULL);
	assert_problem(&r, 400, NULL);
	resp_free(&r);
	r = call("POST", "/api/v1/tasks", &u, "title=t", "Content-Type: "
	    "text/plain", NULL);
	assert_problem(&r, 415, NULL);
	resp_free(&r);
	/* a form is no JSON body */
	r = call("POST", "/api/v1/tasks", &u, "title=t", "Content-Type: "
	    "application/x-www-form-urlencoded", NULL);
	assert_problem(&r, 415, NULL);
	resp_free(&r);
}

/* --- authentication --- */

Test(tasks, every_route_needs_a_token)
{
	static const char *const verbs[][2] = {
		{ "GET", "/api/v1/tasks" }, { "POST", "/api/v1/tasks" },
		{ "GET", "/api/v1/tasks/1" }, { "PUT", "/api/v1/tasks/1" },
		{ "PATCH", "/api/v1/tasks/1" }, { "DELETE", "/api/v1/tasks/1" },
	};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		struct resp r = call(verbs[i][0], verbs[i][1], NULL,
		    strcmp(verbs[i][0], "GET") == 0 ||
		    strcmp(verbs[i][0], "DELETE") == 0 ? NULL :
		    "{\"title\":\"t\"}", "Authorization: Bearer not-a-token",
		    NULL);
		char *www = resp_header(&r, "WWW-Authenticate");

		assert_problem(&r, 401, NULL);
		cr_assert_not_null(www, "%s %s", verbs[i][0], verbs[i][1]);
		cr_assert(strncmp(www, "Bearer", 6) == 0, "%s", www);
		free(www);
		resp_free(&r);
	}
}

Test(tasks, a_token_whose_user_changed_is_401_on_every_verb)
{
	struct test_user	 u;
	char			*id, *before, *after, *n;
	const char *const	 verbs[] = { "GET", "PUT", "PATCH", "DELETE" };

	test_user_new(&u);
	id = task_new(&u, "{\"title\":\"mine\"}");
	before = row_of(id);
	free(sql1("UPDATE users SET token_version = token_version + 1 "
	    "WHERE id = $1", u.id, NULL));
	for (size_t i = 0; i < 4; i++) {
		struct resp r = call(verbs[i], task_path(id), &u,
		    i == 1 || i == 2 ? "{\"title\":\"x\"}" : NULL, NULL, NULL);

		assert_problem(&r, 401, NULL);
		resp_free(&r);
	}
	{
		struct resp r = call("GET", "/api/v1/tasks", &u, NULL, NULL,
		    NULL);

		assert_problem(&r, 401, NULL);
		resp_free(&r);
		r = call("POST", "/api/v1/tasks", &u, "{\"title\":\"t\"}",
		    NULL, NULL);
		assert_problem(&r, 401, NULL);
		resp_free(&r);
	}
	after = row_of(id);
	cr_assert_str_eq(after, before);
	n = sql1("SELECT count(*) FROM tasks WHERE owner_id = $1", u.id, NULL);
	cr_assert_str_eq(n, "1");
	free(n);
	free(before);
	free(after);
	free(id);
}

/* --- read --- */

Test(tasks, get_answers_the_task_with_its_etag)
{
	struct test_user	 u;
	struct resp		 r;
	char			*id, *etag, *ct;

	test_user_new(&u);
	id = task_new(&u, "{\"title\":\"read me\","
	    "\"due_date\":\"2027-01-02\"}");
	r = call("GET", task_path(id), &u, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	etag = resp_header(&r, "ETag");
	ct = resp_header(&r, "Content-Type");
	cr_assert_not_null(etag);
	cr_assert_eq(etag[0], '"', "a strong ETag: %s", etag);
	cr_assert_str_eq(ct, "application/json");
	cr_assert_str_eq(resp_str(&r, "id"), id);
	cr_assert_str_eq(resp_str(&r, "title"), "read me");
	cr_assert_str_eq(resp_str(&r, "due_date"), "2027-01-02");
	free(etag);
	free(ct);
	resp_free(&r);

	/* HEAD: the same headers, no body */
	r = call("HEAD", task_path(id), &u, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.len, 0);
	etag = resp_header(&r, "ETag");
	cr_assert_not_null(etag);
	free(etag);
	resp_free(&r);
	free(id);
}

/* GET and POST answer byte for byte what task_json() and task_etag()
 * give (the stored doc, migration 0013), for escapes, NULLs, early years
 * and whole-second times. */
Test(tasks, get_body_and_etag_are_byte_for_byte_task_json_and_task_etag)
{
	static const char *const bodies[] = {
		"{\"title\":\"q\\\"uo\\\\te \\u0001\\u001f\\b\\f\\n\\r\\t/ "
		    "\\u00e9 \\ud83d\\ude00 \\u007f\",\"description\":null}",
		"{\"title\":\"x\",\"description\":\"a\\u2028b\",\"due_date\":"
		    "\"0999-12-31\",\"done\":true}",
		"{\"title\":\"y\",\"description\":\"\",\"due_date\":"
		    "\"9999-01-01\"}",
	};
	struct test_user	 u;
	struct resp		 r;
	char			*id, *want, *etag, *want_etag;
	size_t			 i;

	test_user_new(&u);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		/* POST answers the same, built the same way */
		r = call("POST", "/api/v1/tasks", &u, bodies[i], NULL, NULL);
		cr_assert_eq(r.status, 201, "%s", r.body);
		id = strdup(resp_str(&r, "id"));
		want = sql1("SELECT task_json(t)::text FROM tasks t "
		    "WHERE id = $1", id, NULL);
		want_etag = sql1("SELECT task_etag(t) FROM tasks t "
		    "WHERE id = $1", id, NULL);
		cr_assert_str_eq(r.body, want);
		etag = resp_header(&r, "ETag");
		cr_assert_str_eq(etag, want_etag);
		free(etag);
		free(want);
		free(want_etag);
		resp_free(&r);
		if (i > 0)	/* whole seconds, and a half */
			free(sql1("UPDATE tasks SET created_at = "
			    "date_trunc('second', created_at) + $2::interval "
			    "WHERE id = $1 RETURNING id", id,
			    i == 1 ? "0 s" : "0.5 s", NULL));
		want = sql1("SELECT task_json(t)::text FROM tasks t "
		    "WHERE id = $1", id, NULL);
		want_etag = sql1("SELECT task_etag(t) FROM tasks t "
		    "WHERE id = $1", id, NULL);
		r = call("GET", task_path(id), &u, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert_str_eq(r.body, want);
		etag = resp_header(&r, "ETag");
		cr_assert_str_eq(etag, want_etag);
		free(etag);
		resp_free(&r);
		/* the empty PATCH answers the same */
		r = call("PATCH", task_path(id), &u, "{}", NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert_str_eq(r.body, want);
		resp_free(&r);
		free(want);
		free(want_etag);
		free(id);
	}
}

/* A list page is its tasks' task_json() byte for byte (the stored doc,
 * migration 0013) in {"items":[...],"next_cursor":...} with
 * task_cursor(), on every page of a walk, the last one and an empty one. */
Test(tasks, list_pages_are_byte_for_byte_what_postgresql_built)
{
	struct test_user	 u;
	struct resp		 r;
	char			*want, path[256], off[16], *cur = NULL;
	int			 page;

	test_user_new(&u);
	free(task_new(&u, "{\"title\":\"a \\\"q\\\" \\\\ \\u0002 \\u00e9\","
	    "\"description\":null,\"due_date\":\"2027-01-02\"}"));
	free(task_new(&u, "{\"title\":\"b\",\"description\":\"x\\ny\","
	    "\"done\":true}"));
	free(task_new(&u, "{\"title\":\"c\"}"));
	for (page = 0; page < 3; page++) {
		snprintf(off, sizeof(off), "%d", page * 2);
		want = sql1("SELECT '{\"items\":[' || coalesce(string_agg("
		    "task_json(t)::text, ',' ORDER BY t.created_at DESC, t.id "
		    "DESC), '') || '],\"next_cursor\":' || coalesce(to_json(("
		    "SELECT task_cursor(x) FROM tasks x WHERE x.owner_id = $1 "
		    "ORDER BY x.created_at DESC, x.id DESC OFFSET $2::integer "
		    "+ 1 LIMIT 1 - (SELECT (count(*) <= $2::integer + 2)::"
		    "integer FROM tasks WHERE owner_id = $1)))::text, 'null') "
		    "|| '}' FROM (SELECT * FROM tasks WHERE owner_id = $1 "
		    "ORDER BY created_at DESC, id DESC OFFSET $2::integer "
		    "LIMIT 2) t", u.id, off, NULL);
		if (cur == NULL)
			snprintf(path, sizeof(path), "/api/v1/tasks?limit=2");
		else
			snprintf(path, sizeof(path),
			    "/api/v1/tasks?limit=2&cursor=%s", cur);
		r = call("GET", path, &u, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		cr_assert_str_eq(r.body, want, "page %d", page);
		free(cur);
		cur = resp_str(&r, "next_cursor") ?
		    strdup(resp_str(&r, "next_cursor")) : NULL;
		resp_free(&r);
		free(want);
		if (cur == NULL)
			break;
	}
	cr_assert_eq(page, 1, "3 tasks at 2 a page: 2 pages");
	free(cur);
	/* an empty page */
	r = call("GET", "/api/v1/tasks?q=nothing-has-this-title", &u, NULL,
	    NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(r.body, "{\"items\":[],\"next_cursor\":null}");
	resp_free(&r);
}

Test(tasks, if_none_match_with_the_current_etag_is_304)
{
	struct test_user	 u;
	struct resp		 r;
	char			*id, *etag, h[256], *e2;

	test_user_new(&u);
	id = task_new(&u, "{\"title\":\"cache me\"}");
	r = call("GET", task_path(id), &u, NULL, NULL, NULL);
	etag = resp_header(&r, "ETag");
	resp_free(&r);

	const char *matching[] = { "%s", "W/%s", "\"x.1\", %s", "*",
	    "\"other\",W/%s" };
	for (size_t i = 0; i < sizeof(matching) / sizeof(matching[0]); i++) {
		char v[200];

		snprintf(v, sizeof(v), matching[i], etag);
		snprintf(h, sizeof(h), "If-None-Match: %s", v);
		r = call("GET", task_path(id), &u, NULL, h, NULL);
		cr_assert_eq(r.status, 304, "%s: %ld", h, r.status);
		cr_assert_eq(r.len, 0);
		e2 = resp_header(&r, "ETag");
		cr_assert_str_eq(e2, etag);
		free(e2);
		resp_free(&r);
	}
	r = call("GET", task_path(id), &u, NULL,
	    "If-None-Match: \"0.0\", \"stale\"", NULL);
	cr_assert_eq(r.status, 200);
	resp_free(&r);

	/* after a change the old ETag no longer matches */
	r = call("PATCH", task_path(id), &u, "{\"done\":true}", NULL, NULL);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	snprintf(h, sizeof(h), "If-None-Match: %s", etag);
	r = call("GET", task_path(id), &u, NULL, h, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(resp_str(&r, "done"), "true");
	e2 = resp_header(&r, "ETag");
	cr_assert_str_neq(e2, etag);
	free(e2);
	resp_free(&r);
	free(etag);
	free(id);
}

Test(tasks, absent_task_and_bad_ids_are_404)
{
	static const char *const paths[] = {
		"/api/v1/tasks/9223372036854775807",
		"/api/v1/tasks/0", "/api/v1/tasks/-1", "/api/v1/tasks/01",
		"/api/v1/tasks/abc", "/api/v1/tasks/1.5",
		"/api/v1/tasks/9223372036854775808",
		"/api/v1/tasks/99999999999999999999",
	};
	struct test_user u;

	test_user_new(&u);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct resp r = call("GET", paths[i], &u, NULL, NULL, NULL);

		assert_problem(&r, 404, NULL);
		resp_free(&r);
	}
	{
		struct resp r = call("GET", paths[0], &u, NULL, NULL, NULL);

		cr_assert_str_eq(resp_str(&r, "detail"),
		    "task 9223372036854775807 not found");
		resp_free(&r);
	}
}

/* --- ownership --- */

Test(tasks, another_users_task_is_404_on_every_verb_and_stays_unchanged)
{
	struct test_user	 a, b;
	struct resp		 r;
	char			*id, *before, *after, *etag, h[128];

	test_user_new(&a);
	test_user_new(&b);
	id = task_new(&a, "{\"title\":\"private\",\"description\":\"a's\"}");
	r = call("GET", task_path(id), &a, NULL, NULL, NULL);
	etag = resp_header(&r, "ETag");
	resp_free(&r);
	snprintf(h, sizeof(h), "If-Match: %s", etag);
	before = row_of(id);

	r = call("GET", task_path(id), &b, NULL, NULL, NULL);
	assert_problem(&r, 404, NULL);
	cr_assert(strstr(r.body, "private") == NULL);
	resp_free(&r);
	r = call("PUT", task_path(id), &b, "{\"title\":\"stolen\"}", NULL,
	    NULL);
	assert_problem(&r, 404, NULL);
	resp_free(&r);
	/* the right ETag does not help */
	r = call("PUT", task_path(id), &b, "{\"title\":\"stolen\"}", h, NULL);
	assert_problem(&r, 404, NULL);
	resp_free(&r);
	r = call("PATCH", task_path(id), &b, "{\"done\":true}", NULL, NULL);
	assert_problem(&r, 404, NULL);
	resp_free(&r);
	r = call("PATCH", task_path(id), &b, "{}", NULL, NULL);
	assert_problem(&r, 404, NULL);
	resp_free(&r);
	r = call("DELETE", task_path(id), &b, NULL, NULL, NULL);
	assert_problem(&r, 404, NULL);
	resp_free(&r);
	r = call("DELETE", task_path(id), &b, NULL, h, NULL);
	assert_problem(&r, 404, NULL);
	resp_free(&r);
	r = call("GET", "/api/v1/tasks", &b, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(json_object_array_length(json_object_object_get(r.json,
	    "items")), 0, "%s", r.body);
	resp_free(&r);
	r = call("GET", "/api/v1/tasks?q=private", &b, NULL, NULL, NULL);
	cr_assert_eq(json_object_array_length(json_object_object_get(r.json,
	    "items")), 0, "%s", r.body);
	resp_free(&r);

	after = row_of(id);
	cr_assert_str_eq(after, before);
	/* and a still has it */
	r = call("GET", task_path(id), &a, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	free(before);
	free(after);
	free(etag);
	free(id);
}

Test(tasks, deleting_the_user_deletes_their_tasks)
{
	struct test_user	 u;
	char			*id, *n;

	test_user_new(&u);
	id = task_new(&u, "{\"title\":\"goes with the user\"}");
	free(sql1("DELETE FROM users WHERE id = $1", u.id, NULL));
	n = sql1("SELECT count(*) FROM tasks WHERE id = $1", id, NULL);
	cr_assert_str_eq(n, "0");
	free(n);
	free(id);
}

/* --- replace and update --- */

Test(tasks, put_replaces_the_whole_task)
{
	struct test_user	 u;
	struct resp		 r;
	char			*id, *created, *etag, *row;

	test_user_new(&u);
	id = task_new(&u, "{\"title\":\"old\",\"description\":\"d\","
	    "\"due_date\":\"2026-01-01\",\"done\":true}");
	created = sql1("SELECT created_at FROM tasks WHERE id = $1", id, NULL);
	r = call("PUT", task_path(id), &u, "{\"title\":\"new\"}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "title"), "new");
	cr_assert_null(resp_str(&r, "description"));
	cr_assert_null(resp_str(&r, "due_date"));
	cr_assert_str_eq(resp_str(&r, "done"), "false");
	cr_assert_str_neq(resp_str(&r, "updated_at"),
	    resp_str(&r, "created_at"));
	etag = resp_header(&r, "ETag");
	cr_assert_not_null(etag);
	cr_assert(strstr(etag, ".2\"") != NULL, "%s", etag);
	resp_free(&r);

	row = sql1("SELECT concat_ws('|', title, coalesce(description, "
	    "'<null>'), done, coalesce(due_date::text, '<null>'), "
	    "created_at = $2::timestamptz) FROM tasks WHERE id = $1", id,
	    created, NULL);
	cr_assert_str_eq(row, "new|<null>|f|<null>|t");
	free(row);

	/* title is required: nothing written */
	row = row_of(id);
	r = call("PUT", task_path(id), &u, "{\"done\":true}", NULL, NULL);
	assert_problem(&r, 422, "title");
	resp_free(&r);
	r = call("PUT", task_path(id), &u, "{\"title\":\"x\",\"extra\":1}",
	    NULL, NULL);
	assert_problem(&r, 422, "extra");
	resp_free(&r);
	{
		char *again = row_of(id);

		cr_assert_str_eq(again, row);
		free(again);
	}
	free(row);
	free(etag);
	free(created);
	free(id);
}

Test(tasks, patch_changes_only_the_fields_it_names)
{
	struct test_user	 u;
	struct resp		 r;
	char			*id, *row, *etag, *e2;

	test_user_new(&u);
	id = task_new(&u, "{\"title\":\"keep\",\"description\":\"keep too\","
	    "\"due_date\":\"2026-06-01\"}");

	r = call("PATCH", task_path(id), &u, "{\"done\":true}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "title"), "keep");
	cr_assert_str_eq(resp_str(&r, "description"), "keep too");
	cr_assert_str_eq(resp_str(&r, "due_date"), "2026-06-01");
	cr_assert_str_eq(resp_str(&r, "done"), "true");
	resp_free(&r);

	/* null clears the nullable fields */
	r = call("PATCH", task_path(id), &u, "{\"description\":null,"
	    "\"due_date\":null}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_null(resp_str(&r, "description"));
	cr_assert_null(resp_str(&r, "due_date"));
	cr_assert_str_eq(resp_str(&r, "title"), "keep");
	cr_assert_str_eq(resp_str(&r, "done"), "true");
	resp_free(&r);

	r = call("PATCH", task_path(id), &u, "{\"title\":\"renamed\"}", NULL,
	    NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	etag = resp_header(&r, "ETag");
	resp_free(&r);
	row = row_of(id);
	cr_assert(strncmp(row, "renamed|<null>|t|<null>|4|", 26) == 0, "%s",
	    row);

	/* refused changes write nothing */
	const char *bad[][2] = {
		{ "{\"title\":null}", "title" },
		{ "{\"title\":\"\"}", "title" },
		{ "{\"done\":null}", "done" },
		{ "{\"done\":\"true\"}", "done" },
		{ "{\"due_date\":\"tomorrow\"}", "due_date" },
		{ "{\"colour\":\"red\"}", "colour" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *again;

		r = call("PATCH", task_path(id), &u, bad[i][0], NULL, NULL);
		assert_problem(&r, 422, bad[i][1]);
		resp_free(&r);
		again = row_of(id);
		cr_assert_str_eq(again, row);
		free(again);
	}

	/* an empty patch changes nothing, not even the version */
	r = call("PATCH", task_path(id), &u, "{}", NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	e2 = resp_header(&r, "ETag");
	cr_assert_str_eq(e2, etag);
	resp_free(&r);
	{
		char *again = row_of(id);

		cr_assert_str_eq(again, row);
		free(again);
	}
	free(e2);
	free(etag);
	free(row);
	free(id);
}

/* --- preconditions --- */

Test(tasks, stale_if_match_is_412_on_put_patch_and_delete_and_writes_nothing)
{
	struct test_user	 u;
	struct resp		 r;
	char			*id, *etag, *stale, *before, *after, h[128];

	test_user_new(&u);
	id = task_new(&u, "{\"title\":\"v1\"}");
	r = call("GET", task_path(id), &u, NULL, NULL, NULL);
	stale = resp_header(&r, "ETag");
	resp_free(&r);
	r = call("PATCH", task_path(id), &u, "{\"title\":\"v2\"}", NULL, NULL);
	etag = resp_header(&r, "ETag");
	resp_free(&r);
	cr_assert_str_neq(etag, stale);

	before = row_of(id);
	snprintf(h, sizeof(h), "If-Match: %s", stale);
	r = call("PUT", task_path(id), &u, "{\"title\":\"lost\"}", h, NULL);
	assert_problem(&r, 412, NULL);
	resp_free(&r);
	r = call("PATCH", task_path(id), &u, "{\"title\":\"lost\"}", h, NULL);
	assert_problem(&r, 412, NULL);
	resp_free(&r);
	r = call("PATCH", task_path(id), &u, "{}", h, NULL);
	assert_problem(&r, 412, NULL);
	resp_free(&r);
	r = call("DELETE", task_path(id), &u, NULL, h, NULL);
	assert_problem(&r, 412, NULL);
	resp_free(&r);
	/* weak tags never match If-Match (strong comparison) */
	snprintf(h, sizeof(h), "If-Match: W/%s", etag);
	r = call("PATCH", task_path(id), &u, "{\"title\":\"lost\"}", h, NULL);
	assert_problem(&r, 412, NULL);
	resp_free(&r);
	/* nor does garbage */
	r = call("PATCH", task_path(id), &u, "{\"title\":\"lost\"}",
	    "If-Match: not-an-etag", NULL);
	assert_problem(&r, 412, NULL);
	resp_free(&r);
	after = row_of(id);
	cr_assert_str_eq(after, before);
	free(after);

	/* the current one does; so does one in a list, and "*" */
	snprintf(h, sizeof(h), "If-Match: \"1.1\", %s", etag);
	r = call("PATCH", task_path(id), &u, "{\"title\":\"v3\"}", h, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	free(etag);
	etag = resp_header(&r, "ETag");
	resp_free(&r);
	snprintf(h, sizeof(h), "If-Match: %s", etag);
	r = call("PUT", task_path(id), &u, "{\"title\":\"v4\"}", h, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	r = call("PATCH", task_path(id), &u, "{\"title\":\"v5\"}",
	    "If-Match: *", NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	free(etag);
	etag = resp_header(&r, "ETag");
	resp_free(&r);
	after = sql1("SELECT title FROM tasks WHERE id = $1", id, NULL);
	cr_assert_str_eq(after, "v5");
	free(after);

	snprintf(h, sizeof(h), "If-Match: %s", etag);
	r = call("DELETE", task_path(id), &u, NULL, h, NULL);
	cr_assert_eq(r.status, 204, "%s", r.body);
	resp_free(&r);
	/* gone: a precondition on an absent task is a 404, not a 412 */
	r = call("PATCH", task_path(id), &u, "{\"title\":\"x\"}", h, NULL);
	assert_problem(&r, 404, NULL);
	resp_free(&r);
	free(before);
	free(stale);
	free(etag);
	free(id);
}

struct racer {
	const struct test_user	*u;
	const char		*path;
	const char		*if_match;
	long			 status;
};

static void *
race(void *arg)
{
	struct racer	*x = arg;
	char		 auth[4200], body[64];
	const char	*h[] = { auth, x->if_match, NULL };
	struct resp	 r;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", x->u->token);
	snprintf(body, sizeof(body), "{\"title\":\"racer %p\"}", arg);
	if (http_req("PATCH", x->path, h, body, &r) == 0)
		x->status = r.status;
	resp_free(&r);
	return NULL;
}

Test(tasks, of_20_writers_with_the_same_if_match_exactly_one_wins)
{
	struct test_user	 u;
	struct racer		 x[20];
	pthread_t		 t[20];
	struct resp		 r;
	char			*id, *etag, h[128], *v;
	int			 ok = 0, failed = 0;
	char			 seen[256] = "";
	size_t			 at = 0;

	curl_global_init(CURL_GLOBAL_ALL);
	test_user_new(&u);
	id = task_new(&u, "{\"title\":\"contested\"}");
	r = call("GET", task_path(id), &u, NULL, NULL, NULL);
	etag = resp_header(&r, "ETag");
	resp_free(&r);
	snprintf(h, sizeof(h), "If-Match: %s", etag);
	for (int i = 0; i < 20; i++) {
		x[i] = (struct racer){ &u, task_path(id), h, 0 };
		pthread_create(&t[i], NULL, race, &x[i]);
	}
	for (int i = 0; i < 20; i++) {
		pthread_join(t[i], NULL);
		ok += x[i].status == 200;
		failed += x[i].status == 412;
		at += (size_t)snprintf(seen + at, sizeof(seen) - at, " %ld",
		    x[i].status);
	}
	cr_assert_eq(ok, 1, "%d writers won; statuses:%s", ok, seen);
	cr_assert_eq(failed, 19, "statuses (0: no answer):%s", seen);
	v = sql1("SELECT version FROM tasks WHERE id = $1", id, NULL);
	cr_assert_str_eq(v, "2");
	free(v);
	free(etag);
	free(id);
}

/* --- delete --- */

struct deleter {
	struct test_user	*u;
	const char		*path;
	long			 status;
};

static void *
delete_once(void *arg)
{
	struct deleter	*x = arg;
	char		 auth[4200];
	const char	*h[] = { auth, NULL };
	struct resp	 r;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", x->u->token);
	if (http_req("DELETE", x->path, h, NULL, &r) == 0)
		x->status = r.status;
	resp_free(&r);
	return NULL;
}

/* Without If-Match, the losers of a delete race find the task gone: 404,
 * never the 412 of a precondition nobody sent (the task was still in
 * their statement's snapshot while they waited for its row lock). */
Test(tasks, of_20_concurrent_deletes_one_is_204_and_the_rest_404)
{
	struct test_user	 u;
	struct deleter		 x[20];
	pthread_t		 t[20];
	char			*id, path[128];
	int			 gone = 0, absent = 0;

	curl_global_init(CURL_GLOBAL_ALL);
	test_user_new(&u);
	for (int round = 0; round < 40; round++) {
		id = task_new(&u, "{\"title\":\"contested delete\"}");
		snprintf(path, sizeof(path), "%s", task_path(id));
		for (int i = 0; i < 20; i++) {
			x[i] = (struct deleter){ &u, path, 0 };
			pthread_create(&t[i], NULL, delete_once, &x[i]);
		}
		gone = absent = 0;
		for (int i = 0; i < 20; i++) {
			pthread_join(t[i], NULL);
			gone += x[i].status == 204;
			absent += x[i].status == 404;
		}
		cr_assert_eq(gone, 1, "round %d: %d deletes answered 204",
		    round, gone);
		cr_assert_eq(absent, 19, "round %d: %d answered 404", round,
		    absent);
		free(id);
	}
}


Test(tasks, delete_answers_204_and_removes_the_row)
{
	struct test_user	 u;
	struct resp		 r;
	char			*id, *n;

	test_user_new(&u);
	id = task_new(&u, "{\"title\":\"bye\"}");
	r = call("DELETE", task_path(id), &u, NULL, NULL, NULL);
	cr_assert_eq(r.status, 204, "%s", r.body);
	cr_assert_eq(r.len, 0);
	resp_free(&r);
	n = sql1("SELECT count(*) FROM tasks WHERE id = $1", id, NULL);
	cr_assert_str_eq(n, "0");
	free(n);
	r = call("DELETE", task_path(id), &u, NULL, NULL, NULL);
	assert_problem(&r, 404, NULL);
	resp_free(&r);
	r = call("GET", task_path(id), &u, NULL, NULL, NULL);
	assert_problem(&r, 404, NULL);
	resp_free(&r);
	free(id);
}

/* --- list --- */

static json_object *
items_of(const struct resp *r)
{
	json_object *items = NULL;

	cr_assert(json_object_object_get_ex(r->json, "items", &items), "%s",
	    r->body);
	cr_assert(json_object_is_type(items, json_type_array));
	return items;
}

/* The ids on a page, as "3,2,1". */
static char *
ids_of(const struct resp *r)
{
	json_object	*items = items_of(r);
	char		*s = calloc(1, 16 * 1024);

	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *id;

		json_object_object_get_ex(json_object_array_get_idx(items, i),
		    "id", &id);
		if (i > 0)
			strcat(s, ",");
		strcat(s, json_object_get_string(id));
	}
	return s;
}

Test(tasks, list_is_newest_first_with_the_task_json)
{
	struct test_user	 u;
	struct resp		 r;
	char			*a, *b, *c, want[128], *got;

	test_user_new(&u);
	r = call("GET", "/api/v1/tasks", &u, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(json_object_array_length(items_of(&r)), 0);
	cr_assert(json_object_object_get_ex(r.json, "next_cursor", NULL));
	cr_assert_null(resp_str(&r, "next_cursor"));
	resp_free(&r);

	a = task_new(&u, "{\"title\":\"a\"}");
	b = task_new(&u, "{\"title\":\"b\",\"done\":true}");
	c = task_new(&u, "{\"title\":\"c\",\"due_date\":\"2026-01-01\"}");
	r = call("GET", "/api/v1/tasks", &u, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200);
	got = ids_of(&r);
	snprintf(want, sizeof(want), "%s,%s,%s", c, b, a);
	cr_assert_str_eq(got, want);
	cr_assert_str_eq(resp_str(&r, "items.0.title"), "c");
	cr_assert_str_eq(resp_str(&r, "items.0.due_date"), "2026-01-01");
	cr_assert_str_eq(resp_str(&r, "items.1.done"), "true");
	cr_assert_eq(json_object_object_length(json_object_array_get_idx(
	    items_of(&r), 0)), 7);
	cr_assert_null(resp_str(&r, "next_cursor"));
	free(got);
	resp_free(&r);
	free(a);
	free(b);
	free(c);
}

Test(tasks, list_filters_done_q_and_due_before)
{
	struct test_user	 u;
	struct resp		 r;
	char			*t[7], want[256], *got;

	test_user_new(&u);
	t[0] = task_new(&u, "{\"title\":\"Buy MILK\",\"done\":true,"
	    "\"due_date\":\"2026-01-10\"}");
	t[1] = task_new(&u, "{\"title\":\"milkshake\",\"due_date\":"
	    "\"2026-01-09\"}");
	t[2] = task_new(&u, "{\"title\":\"100% done\"}");
	t[3] = task_new(&u, "{\"title\":\"1000 things\",\"done\":true,"
	    "\"due_date\":\"2026-01-11\"}");
	t[4] = task_new(&u, "{\"title\":\"snake_case\"}");
	t[5] = task_new(&u, "{\"title\":\"snakeXcase\"}");
	t[6] = task_new(&u, "{\"title\":\"back\\\\slash\"}");

	static const struct {
		const char	*query;
		int		 ids[7];
	} cases[] = {
		{ "done=true", { 3, 0, -1 } },
		{ "done=false", { 6, 5, 4, 2, 1, -1 } },
		{ "q=milk", { 1, 0, -1 } },
		{ "q=MiLk", { 1, 0, -1 } },
		{ "q=milk&done=false", { 1, -1 } },
		{ "q=milk&done=true", { 0, -1 } },
		{ "q=100%25", { 2, -1 } },		/* % is literal */
		{ "q=%25", { 2, -1 } },
		{ "q=e_c", { 4, -1 } },			/* _ is literal */
		{ "q=k%5Cs", { 6, -1 } },		/* \ is literal */
		{ "q=", { 6, 5, 4, 3, 2, 1, 0 } },	/* no filter */
		{ "q=nothing+like+it", { -1 } },
		{ "due_before=2026-01-10", { 1, -1 } },	/* strictly */
		{ "due_before=2026-01-11", { 1, 0, -1 } },
		{ "due_before=2026-01-11&done=true", { 0, -1 } },
		{ "due_before=2027-01-01&q=milk", { 1, 0, -1 } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[128];

		want[0] = '\0';
		for (int k = 0; k < 7 && cases[i].ids[k] >= 0; k++) {
			if (k > 0)
				strcat(want, ",");
			strcat(want, t[cases[i].ids[k]]);
		}
		snprintf(path, sizeof(path), "/api/v1/tasks?%s",
		    cases[i].query);
		r = call("GET", path, &u, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
		got = ids_of(&r);
		cr_assert_str_eq(got, want, "%s", path);
		free(got);
		resp_free(&r);
	}
	for (int i = 0; i < 7; i++)
		free(t[i]);
}

Test(tasks, bad_list_parameters_are_422_naming_the_parameter)
{
	static const struct {
		const char *query, *field;
	} cases[] = {
		{ "limit=0", "limit" }, { "limit=101", "limit" },
		{ "limit=-1", "limit" }, { "limit=abc", "limit" },
		{ "limit=", "limit" }, { "limit=1e2", "limit" },
		{ "limit=99999999999999999999", "limit" },
		{ "done=yes", "done" }, { "done=1", "done" },
		{ "done=", "done" },
		{ "due_before=2026-13-01", "due_before" },
		{ "due_before=yesterday", "due_before" },
		{ "cursor=", "cursor" }, { "cursor=%21%21%21", "cursor" },
		{ "cursor=bm90IGEgY3Vyc29y", "cursor" }, /* "not a cursor" */
		{ "cursor=MTIzLjA", "cursor" },			/* "123.0" */
		{ "cursor=LjE", "cursor" },			/* ".1" */
		{ "cursor=MDAxLjE", "cursor" },			/* "001.1" */
		{ "cursor=OTk5OTk5OTk5OTk5OTk5OTk5OS4x", "cursor" },
	};
	struct test_user u;

	test_user_new(&u);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256];
		struct resp r;

		snprintf(path, sizeof(path), "/api/v1/tasks?%s",
		    cases[i].query);
		r = call("GET", path, &u, NULL, NULL, NULL);
		assert_problem(&r, 422, cases[i].field);
		resp_free(&r);
	}
	{
		char	 path[512], q[300];
		struct resp r;

		memset(q, 'q', 201);
		q[201] = '\0';
		snprintf(path, sizeof(path), "/api/v1/tasks?q=%s", q);
		r = call("GET", path, &u, NULL, NULL, NULL);
		assert_problem(&r, 422, "q");
		resp_free(&r);
		/* several at once: each named */
		r = call("GET", "/api/v1/tasks?limit=0&done=x", &u, NULL, NULL,
		    NULL);
		assert_problem(&r, 422, "limit");
		assert_problem(&r, 422, "done");
		resp_free(&r);
		r = call("GET", "/api/v1/tasks?limit=100&unknown=1", &u, NULL,
		    NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		resp_free(&r);
	}
}

Test(tasks, a_walk_over_45_tasks_with_inserts_between_pages_sees_each_once)
{
	struct test_user	 u;
	char			*ids[45], *cursor = NULL, path[256], *got, *n;
	char			 want[1024] = "", walked[1024] = "";
	int			 pages = 0;

	test_user_new(&u);
	for (int i = 0; i < 45; i++) {
		char body[64];

		snprintf(body, sizeof(body), "{\"title\":\"task %d\"}", i);
		ids[i] = task_new(&u, body);
	}
	for (int i = 44; i >= 0; i--) {
		strcat(want, ids[i]);
		if (i > 0)
			strcat(want, ",");
	}
	do {
		struct resp r;

		if (cursor == NULL)
			snprintf(path, sizeof(path), "/api/v1/tasks?limit=10");
		else
			snprintf(path, sizeof(path),
			    "/api/v1/tasks?limit=10&cursor=%s", cursor);
		r = call("GET", path, &u, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		got = ids_of(&r);
		cr_assert_eq(json_object_array_length(items_of(&r)),
		    pages < 4 ? 10 : 5, "page %d: %s", pages, got);
		if (walked[0] != '\0' && got[0] != '\0')
			strcat(walked, ",");
		strcat(walked, got);
		free(got);
		free(cursor);
		cursor = resp_str(&r, "next_cursor") ?
		    strdup(resp_str(&r, "next_cursor")) : NULL;
		if (cursor != NULL)
			cr_assert_eq(strspn(cursor, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789-_"),
			    strlen(cursor), "base64url: %s", cursor);
		resp_free(&r);
		pages++;
		/* newer tasks arrive between pages */
		free(task_new(&u, "{\"title\":\"inserted meanwhile\"}"));
		free(task_new(&u, "{\"title\":\"inserted meanwhile\"}"));
	} while (cursor != NULL && pages < 10);
	cr_assert_eq(pages, 5);
	cr_assert_str_eq(walked, want);
	n = sql1("SELECT count(*) FROM tasks WHERE owner_id = $1", u.id, NULL);
	cr_assert_str_eq(n, "55");
	free(n);
	for (int i = 0; i < 45; i++)
		free(ids[i]);
}

Test(tasks, a_page_of_exactly_limit_tasks_then_an_empty_last_page)
{
	struct test_user	 u;
	struct resp		 r;
	char			*a, *b, path[256], *cursor;

	test_user_new(&u);
	a = task_new(&u, "{\"title\":\"a\"}");
	b = task_new(&u, "{\"title\":\"b\"}");
	r = call("GET", "/api/v1/tasks?limit=2", &u, NULL, NULL, NULL);
	cr_assert_eq(json_object_array_length(items_of(&r)), 2);
	cr_assert_null(resp_str(&r, "next_cursor"),
	    "no next page when the page holds the last task");
	resp_free(&r);
	r = call("GET", "/api/v1/tasks?limit=1", &u, NULL, NULL, NULL);
	cursor = strdup(resp_str(&r, "next_cursor"));
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tasks?limit=1&cursor=%s",
	    cursor);
	r = call("GET", path, &u, NULL, NULL, NULL);
	cr_assert_str_eq(resp_str(&r, "items.0.id"), a);
	cr_assert_null(resp_str(&r, "next_cursor"));
	resp_free(&r);
	/* a cursor of the first page read by a filtered list: still a key */
	snprintf(path, sizeof(path), "/api/v1/tasks?done=false&cursor=%s",
	    cursor);
	r = call("GET", path, &u, NULL, NULL, NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "items.0.id"), a);
	resp_free(&r);
	free(cursor);
	free(a);
	free(b);
}

struct writer {
	const struct test_user	*u;
	int			 n;
	char			 ids[5][32];
	int			 created;
};

static void *
write_tasks(void *arg)
{
	struct writer	*w = arg;
	char		 auth[4200], body[64];
	const char	*h[] = { auth, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", w->u->token);
	for (int i = 0; i < 5; i++) {
		struct resp	 r;
		const char	*id;

		snprintf(body, sizeof(body), "{\"title\":\"w%d-%d\"}", w->n, i);
		if (http_req("POST", "/api/v1/tasks", h, body, &r) == 0 &&
		    r.status == 201 && (id = resp_str(&r, "id")) != NULL)
			snprintf(w->ids[w->created++], sizeof(w->ids[0]), "%s",
			    id);
		resp_free(&r);
	}
	return NULL;
}

Test(tasks, every_201_of_20_concurrent_writers_is_listed_exactly_once)
{
	struct test_user	 u;
	struct writer		 w[20];
	pthread_t		 t[20];
	char			*cursor = NULL, path[256];
	json_object		*seen = json_object_new_object();
	int			 total = 0, listed = 0;

	curl_global_init(CURL_GLOBAL_ALL);
	test_user_new(&u);
	for (int i = 0; i < 20; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].u = &u;
		w[i].n = i;
		pthread_create(&t[i], NULL, write_tasks, &w[i]);
	}
	for (int i = 0; i < 20; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].created, 5, "writer %d got %d 201s", i,
		    w[i].created);
		for (int k = 0; k < w[i].created; k++) {
			json_object_object_add(seen, w[i].ids[k],
			    json_object_new_int(0));
			total++;
		}
	}
	cr_assert_eq(json_object_object_length(seen), total,
	    "distinct ids for each 201");
	/* walk with a page size that cuts across the writers */
	do {
		struct resp r;
		json_object *items;

		snprintf(path, sizeof(path), "/api/v1/tasks?limit=7%s%s",
		    cursor ? "&cursor=" : "", cursor ? cursor : "");
		r = call("GET", path, &u, NULL, NULL, NULL);
		cr_assert_eq(r.status, 200, "%s", r.body);
		items = items_of(&r);
		for (size_t i = 0; i < json_object_array_length(items); i++) {
			json_object *id, *count;

			json_object_object_get_ex(json_object_array_get_idx(
			    items, i), "id", &id);
			cr_assert(json_object_object_get_ex(seen,
			    json_object_get_string(id), &count),
			    "listed %s was not created",
			    json_object_get_string(id));
			cr_assert_eq(json_object_get_int(count), 0,
			    "%s listed twice", json_object_get_string(id));
			json_object_set_int(count, 1);
			listed++;
		}
		free(cursor);
		cursor = resp_str(&r, "next_cursor") ?
		    strdup(resp_str(&r, "next_cursor")) : NULL;
		resp_free(&r);
	} while (cursor != NULL);
	cr_assert_eq(listed, 100);
	json_object_put(seen);
}
