/* SPDX-License-Identifier: MIT */
/*
 * tests/integration/test_tasks_plans.c - the task queries of
 * sql/queries/tasks.sql at 100,000 tasks of one user (and some of others):
 * the list, the done filter and the title search never read tasks
 * sequentially, with custom and with generic plans (a worker's prepared
 * statements switch to a generic plan after five runs), and a page deep in
 * the walk reads no more rows than the first page.
 */
#include <criterion/criterion.h>

#include <libpq-fe.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "db.h"
#include "plans.h"
#include "queries.h"

#define NTASKS "100000"

static PGconn	*conn;
static char	 user_id[32], other_id[32];

static PGresult *
run(const char *sql, int n, const char *const *params)
{
	return plan_run(conn, sql, n, params);
}

static void
exec1(const char *sql, const char *param)
{
	PQclear(run(sql, param ? 1 : 0, &param));
}

/* The id of the user whose email is `email`, made with the tasks of
 * `fill` (one parameter: the user id) when it does not exist yet. */
static void
user_with_tasks(char *id, size_t len, const char *email, const char *name,
    const char *fill)
{
	const char	*p[2] = { email, name };
	PGresult	*res;

	res = run("SELECT id FROM users WHERE email = $1", 1, p);
	if (PQntuples(res) == 0) {
		PQclear(res);
		res = run("INSERT INTO users (email, username, password_hash) "
		    "VALUES ($1, $2, 'x') RETURNING id", 2, p);
		snprintf(id, len, "%s", PQgetvalue(res, 0, 0));
		exec1(fill, id);
	} else
		snprintf(id, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

/*
 * 100,000 tasks for one user, 1,000 for another; 1% done; titles "task N
 * <md5 of N>" so that trigrams vary; created_at one second apart.  Made
 * once per database (Criterion runs .init for every test, maybe in
 * parallel: an advisory lock serializes them) and kept: the test database
 * is thrown away with the stack.
 */
static void
setup(void)
{
	test_need_stack();
	conn = PQconnectdb(getenv("QUETZAL_DATABASE_URL"));
	cr_assert_eq(PQstatus(conn), CONNECTION_OK, "%s",
	    PQerrorMessage(conn));
	exec1("SELECT pg_advisory_lock(8042004)", NULL);
	user_with_tasks(user_id, sizeof(user_id), "plans-big@example.com",
	    "plans_big", "INSERT INTO tasks (owner_id, title, done, due_date,"
	    " created_at) SELECT $1, 'task ' || i || ' ' || md5(i::text),"
	    " i % 100 = 0, date '2026-01-01' + i % 365,"
	    " timestamptz '2026-01-01' + i * interval '1 second'"
	    " FROM generate_series(1, " NTASKS ") i");
	user_with_tasks(other_id, sizeof(other_id), "plans-small@example.com",
	    "plans_small", "INSERT INTO tasks (owner_id, title) SELECT $1,"
	    " 'other ' || i FROM generate_series(1, 1000) i");
	exec1("ANALYZE tasks", NULL);
	exec1("SELECT pg_advisory_unlock(8042004)", NULL);
	plan_prepare(conn, "task_");
}

static void
teardown(void)
{
	if (conn != NULL)
		PQfinish(conn);
	conn = NULL;
}

TestSuite(tasks_plans, .init = setup, .fini = teardown, .timeout = 300);

/* plans.h's plan_of for queries[q]. */
static char *
q_plan(const char *mode, bool analyze, int q, int n, const char *const *p)
{
	return plan_of(conn, mode, analyze, queries[q].name, n, p);
}

/* Whether a Seq Scan node of the plan reads tasks (users is small in the
 * test database, and a sequential read of it is the planner's right). */
static bool
seq_scans_tasks(const char *plan)
{
	const char *s = plan;

	while ((s = strstr(s, "\"Node Type\": \"Seq Scan\"")) != NULL) {
		const char *rel = strstr(s, "\"Relation Name\": ");

		if (rel != NULL && strncmp(rel + 17, "\"tasks\"", 7) == 0)
			return true;
		s++;
	}
	return false;
}

static void
assert_no_seq_scan(int q, int n, const char *const *p, const char *what)
{
	static const char *const modes[] = { "force_custom_plan",
	    "force_generic_plan" };

	for (size_t m = 0; m < 2; m++) {
		char *plan = q_plan(modes[m], false, q, n, p);

		cr_assert(!seq_scans_tasks(plan),
		    "%s (%s, %s) reads tasks sequentially:\n%s",
		    queries[q].name, what, modes[m], plan);
		cr_assert(strstr(plan, "\"Relation Name\": \"tasks\"") != NULL,
		    "%s: no tasks access in the plan:\n%s", queries[q].name,
		    plan);
		free(plan);
	}
}

/* The largest "Actual Rows" of any node that reads tasks. */
static long
rows_read(const char *plan)
{
	const char	*s = plan;
	long		 most = 0;

	while ((s = strstr(s, "\"Relation Name\": \"tasks\"")) != NULL) {
		const char *a = strstr(s, "\"Actual Rows\": ");

		if (a != NULL && atol(a + 15) > most)
			most = atol(a + 15);
		s++;
	}
	return most;
}

Test(tasks_plans, the_list_uses_the_keyset_index)
{
	const char *p[] = { user_id, "1", "infinity", "0", "20", NULL };

	assert_no_seq_scan(Q_TASK_LIST, 6, p, "first page");
	p[5] = "2026-03-01";
	assert_no_seq_scan(Q_TASK_LIST, 6, p, "due_before");
}

Test(tasks_plans, the_done_filter_uses_an_index)
{
	const char *p[] = { user_id, "1", "infinity", "0", "20", NULL, "true" };

	assert_no_seq_scan(Q_TASK_LIST_DONE, 7, p, "done=true");
	p[6] = "false";
	assert_no_seq_scan(Q_TASK_LIST_DONE, 7, p, "done=false");
}

Test(tasks_plans, the_title_search_uses_an_index)
{
	/* md5('77777') starts with "a8a5b9..": a rare text; "task" is in
	 * every title */
	const char *p[] = { user_id, "1", "infinity", "0", "20", NULL, NULL,
	    "5b9e" };

	assert_no_seq_scan(Q_TASK_LIST_Q, 8, p, "rare text");
	p[7] = "task";
	assert_no_seq_scan(Q_TASK_LIST_Q, 8, p, "common text");
	p[7] = "ab";
	assert_no_seq_scan(Q_TASK_LIST_Q, 8, p, "two characters");
	p[6] = "true";
	p[7] = "5b9e";
	assert_no_seq_scan(Q_TASK_LIST_Q, 8, p, "rare text, done");
}

Test(tasks_plans, single_task_queries_use_the_primary_key)
{
	const char *get[] = { user_id, "1", "12345" };
	const char *put[] = { user_id, "1", "12345", "t", NULL, NULL, NULL,
	    NULL };
	const char *del[] = { user_id, "1", "12345", "{}" };

	assert_no_seq_scan(Q_TASK_GET, 3, get, "get");
	assert_no_seq_scan(Q_TASK_REPLACE, 8, put, "put");
	assert_no_seq_scan(Q_TASK_DELETE, 4, del, "delete");
}

Test(tasks_plans, a_page_deep_in_the_walk_reads_no_more_than_the_first)
{
	/* the cursor of task 1000 of 100,000: 99,000 newer tasks lie
	 * before it */
	const char *first[] = { user_id, "1", "infinity", "0", "20", NULL };
	const char *deep[] = { user_id, "1", "2026-01-01 00:16:40+00",
	    "0", "20", NULL };
	const char *deep_done[] = { user_id, "1", "2026-01-01 00:16:40+00",
	    "0", "20", NULL, "true" };
	static const char *const modes[] = { "force_custom_plan",
	    "force_generic_plan" };

	for (size_t m = 0; m < 2; m++) {
		char *a = q_plan(modes[m], true, Q_TASK_LIST, 6, first);
		char *b = q_plan(modes[m], true, Q_TASK_LIST, 6, deep);
		char *c = q_plan(modes[m], true, Q_TASK_LIST_DONE, 7,
		    deep_done);

		/* limit + 1, and one more the window function looks at */
		cr_assert_leq(rows_read(a), 22, "%s\n%s", modes[m], a);
		cr_assert_eq(rows_read(b), rows_read(a), "%s\n%s", modes[m],
		    b);
		cr_assert_eq(rows_read(c), 9, "%s: 9 done tasks lie below "
		    "task 1000\n%s", modes[m], c);
		free(a);
		free(b);
		free(c);
	}
}
