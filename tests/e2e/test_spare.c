/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_spare.c - spare accept loops (QUETZAL_SPARE_LOOPS,
 * lib/worker.h): a worker's spare loops sleep until one of its loops runs
 * a statement that writes, and then take new connections.
 *
 * The Makefile runs suite spare alone, with QUETZAL_TEST_SPARE=1, on a
 * stack of its own: one worker, one loop, one spare loop, no kept
 * connections.  A PATCH is held inside its UPDATE by a row lock the test
 * takes in PostgreSQL: the worker's only loop waits on a write.  /healthz
 * and a read must still answer at once (the spare loop serves them); once
 * the lock goes, the PATCH answers 200.  With QUETZAL_SPARE_LOOPS=0 the
 * same stack answers nothing until the PATCH's statement times out, and
 * the test fails.
 */
#include <criterion/criterion.h>

#include <libpq-fe.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "users.h"

TestSuite(spare, .init = test_need_stack, .timeout = 60);

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct patch {
	char		 path[64];
	const char	*token;
	struct resp	 r;
	double		 seconds;
};

static void *
run_patch(void *arg)
{
	struct patch	*p = arg;
	double		 t0 = now_s();

	p->r = http_json("PATCH", p->path, p->token, "{\"done\":true}");
	p->seconds = now_s() - t0;
	return NULL;
}

Test(spare, a_loop_waiting_on_a_write_does_not_stop_the_worker)
{
	struct test_user u;
	struct patch	 p = { 0 };
	struct resp	 r;
	pthread_t	 th;
	PGconn		*lock, *watch;
	const char	*url = getenv("QUETZAL_DATABASE_URL");
	char		 id[32];
	double		 t0, took;

	if (getenv("QUETZAL_TEST_SPARE") == NULL)
		cr_skip_test("run alone: QUETZAL_TEST_SPARE=1 (one worker, one "
		    "loop, one spare loop)");
	cr_assert_not_null(url, "QUETZAL_DATABASE_URL is not set");
	test_user_new(&u);
	r = http_json("POST", "/api/v1/tasks", u.token, "{\"title\":\"held\"}");
	cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
	cr_assert_not_null(resp_str(&r, "id"), "%s", r.body);
	snprintf(id, sizeof(id), "%s", resp_str(&r, "id"));
	resp_free(&r);
	snprintf(p.path, sizeof(p.path), "/api/v1/tasks/%s", id);
	p.token = u.token;

	lock = PQconnectdb(url);
	watch = PQconnectdb(url);
	cr_assert(PQstatus(lock) == CONNECTION_OK, "%s", PQerrorMessage(lock));
	cr_assert(PQstatus(watch) == CONNECTION_OK, "%s",
	    PQerrorMessage(watch));
	app_db_exec(lock, "BEGIN", NULL);
	app_db_exec(lock, "SELECT 1 FROM tasks WHERE id = $1::bigint FOR UPDATE",
	    id);
	cr_assert_eq(pthread_create(&th, NULL, run_patch, &p), 0);
	cr_assert(app_db_lock_waited(watch, "%UPDATE tasks%", 3),
	    "the PATCH never reached its UPDATE");

	/* The only loop waits on the write: the spare loop answers. */
	t0 = now_s();
	r = http_get("/healthz", NULL);
	took = now_s() - t0;
	cr_expect_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_expect_lt(took, 1.0, "/healthz took %.3f s while a write waited",
	    took);
	resp_free(&r);
	t0 = now_s();
	r = http_get(p.path, u.token);
	took = now_s() - t0;
	cr_expect_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_expect_lt(took, 1.0, "a read took %.3f s while a write waited",
	    took);
	cr_expect_str_eq(resp_str(&r, "done"), "false", "%s", r.body);
	resp_free(&r);

	app_db_exec(lock, "ROLLBACK", NULL);
	pthread_join(th, NULL);
	cr_expect_eq(p.r.status, 200, "the held PATCH: %ld %s", p.r.status,
	    p.r.body);
	cr_expect_str_eq(resp_str(&p.r, "done"), "true", "%s", p.r.body);
	resp_free(&p.r);
	PQfinish(lock);
	PQfinish(watch);
}
