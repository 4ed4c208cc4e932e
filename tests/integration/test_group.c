/* SPDX-License-Identifier: MIT */
/*
 * tests/integration/test_group.c - group commit (db_one_grouped, lib/db.h)
 * against the migrated test database, with accept loops played by threads
 * of this process, each with its own connection, as in a worker.
 *
 * To make a batch form at a known moment, the test holds the user's row
 * FOR UPDATE on a connection of its own: the first insert (which runs
 * alone) waits in its foreign key check, the next ones queue behind it,
 * and when the lock goes they run together.  A batch is one transaction,
 * so its rows share xmin and created_at; rows run alone do not.
 */
#include <criterion/criterion.h>

#include <libpq-fe.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "client.h"
#include "db.h"
#include "http.h"
#include "queries.h"
#include "users.h"

#define NCALLS	5

struct call {
	const char	*uid;
	const char	*ver;
	char		 title[512];
	struct arena	*arena;
	struct req	 r;
	const char	*row[3];	/* id, ETag, task JSON */
	int		 rc;
};

static void *
run_call(void *arg)
{
	struct call *c = arg;

	memset(&c->r, 0, sizeof(c->r));
	c->r.arena = c->arena;
	c->r.request_id = "test-group";
	c->r.db = db_conn_new();
	c->rc = db_one_grouped(&c->r, Q_TASK_INSERT, Q_TASK_INSERT_BATCH,
	    DB_ARGS(c->uid, c->ver, c->title, "d \"q\" \\ {x}", NULL, NULL),
	    DB_ROW(c->row));
	/* the results live on the arena: keep them past the connection */
	db_conn_free(c->r.db);
	c->r.db = NULL;
	return NULL;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Runs calls[0] alone while the user's row is locked, then calls[1..]
 * while calls[0] waits, and lets the lock go once they have queued.
 */
static void
run_held(const char *uid, struct call *calls, int n)
{
	const char	*url = getenv("QUETZAL_DATABASE_URL");
	PGconn		*lock = PQconnectdb(url), *watch = PQconnectdb(url);
	pthread_t	 th[NCALLS];

	cr_assert(PQstatus(lock) == CONNECTION_OK, "%s", PQerrorMessage(lock));
	cr_assert(PQstatus(watch) == CONNECTION_OK, "%s",
	    PQerrorMessage(watch));
	app_db_exec(lock, "BEGIN", NULL);
	app_db_exec(lock, "SELECT 1 FROM users WHERE id = $1::bigint FOR UPDATE",
	    uid);
	cr_assert_eq(pthread_create(&th[0], NULL, run_call, &calls[0]), 0);
	cr_assert(app_db_lock_waited(watch, "%INSERT INTO tasks%", 3),
	    "the first insert never waited for the lock");
	for (int i = 1; i < n; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, run_call, &calls[i]),
		    0);
	/* they queue behind the first (well within GROUP_WAIT_MS) */
	sleep_ms(150);
	app_db_exec(lock, "COMMIT", NULL);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	PQfinish(lock);
	PQfinish(watch);
}

/* Among the tasks of `uid` whose title starts with `prefix`: distinct
 * transactions (xmin), distinct created_at values and rows, as "x|c|n". */
static char *
batch_shape(const char *uid, const char *prefix)
{
	const char *p[2] = { uid, prefix };

	return app_db_value("SELECT count(DISTINCT xmin::text) || '|' || "
	    "count(DISTINCT created_at) || '|' || count(*) FROM tasks WHERE "
	    "owner_id = $1 AND starts_with(title, $2)", 2, p);
}

static void
setup_calls(struct call *calls, const char *uid, const char *prefix)
{
	for (int i = 0; i < NCALLS; i++) {
		calls[i].uid = uid;
		calls[i].ver = "1";
		calls[i].arena = arena_new(4096);
		/* what array input syntax must quote: the rows' values
		 * travel to the batch as array elements */
		snprintf(calls[i].title, sizeof(calls[i].title),
		    "%s%d \"t\", {x} \\ NULL ", prefix, i);
	}
}

static void
free_calls(struct call *calls)
{
	for (int i = 0; i < NCALLS; i++)
		arena_free(calls[i].arena);
}

/*
 * Inserts that wait behind a running one share one statement: one
 * transaction for all of them, and each call gets its own row back (its
 * title, its id), the ETag and JSON the single insert would have given.
 * A call whose token version is stale gets "no row" and writes nothing.
 */
Test(group, waiting_inserts_share_one_statement_and_each_gets_its_row)
{
	struct call	 calls[NCALLS] = { 0 };
	char		 prefix[64], want[64], *uid, *shape, *v;
	const char	*p[2];

	test_need_stack();
	db_init(getenv("QUETZAL_DATABASE_URL"), 5000, queries, nqueries);
	uid = app_user_insert("group");
	cr_assert_not_null(uid);
	snprintf(prefix, sizeof(prefix), "grp-%s-", test_user_suffix());
	setup_calls(calls, uid, prefix);
	calls[3].ver = "7";	/* not the user's token version */
	run_held(uid, calls, NCALLS);

	for (int i = 0; i < NCALLS; i++) {
		struct call *c = &calls[i];

		if (i == 3) {
			cr_expect_eq(c->rc, 0, "stale token: rc %d", c->rc);
			cr_expect_eq(c->r.err_status, 0);
			continue;
		}
		cr_assert_eq(c->rc, 1, "call %d: rc %d, status %d", i, c->rc,
		    c->r.err_status);
		cr_assert_eq(c->r.err_status, 0);
		/* its own row: the title it sent, under the id it was given */
		snprintf(want, sizeof(want), "\"%s.1\"", c->row[0]);
		cr_expect_str_eq(c->row[1], want);
		p[0] = c->row[0];
		v = app_db_value("SELECT title FROM tasks WHERE id = $1", 1, p);
		cr_expect_str_eq(v, c->title, "call %d got row %s", i,
		    c->row[0]);
		free(v);
		/* the JSON is the stored doc, which is task_json() of the row */
		v = app_db_value("SELECT doc FROM tasks WHERE id = $1 AND "
		    "doc = task_json(tasks)::text", 1, p);
		cr_expect_not_null(v, "call %d: doc is not task_json()", i);
		if (v != NULL)
			cr_expect_str_eq(c->row[2], v);
		free(v);
	}
	/* the first ran alone; the three good waiting ones in one batch; the
	 * stale call wrote no row */
	shape = batch_shape(uid, prefix);
	cr_expect_str_eq(shape, "2|2|4", "transactions|created_at|rows: %s",
	    shape);
	free(shape);
	free_calls(calls);
	free(uid);
	db_close();
}

/*
 * When the batch fails, each of its calls runs alone: the call whose row
 * broke it gets its own error (a CHECK constraint: 422), the others their
 * rows, and nothing is half-written.
 */
Test(group, a_failing_batch_runs_its_rows_alone)
{
	struct call	 calls[NCALLS] = { 0 };
	char		 prefix[64], *uid, *shape;

	test_need_stack();
	db_init(getenv("QUETZAL_DATABASE_URL"), 5000, queries, nqueries);
	uid = app_user_insert("group");
	cr_assert_not_null(uid);
	snprintf(prefix, sizeof(prefix), "grpf-%s-", test_user_suffix());
	setup_calls(calls, uid, prefix);
	/* 201 characters: the handler would refuse it; the CHECK does here */
	memset(calls[2].title + strlen(prefix), 'x', 201);
	calls[2].title[strlen(prefix) + 201] = '\0';
	run_held(uid, calls, NCALLS);

	for (int i = 0; i < NCALLS; i++) {
		if (i == 2) {
			cr_expect_eq(calls[i].rc, -1, "rc %d", calls[i].rc);
			cr_expect_eq(calls[i].r.err_status, 422);
			continue;
		}
		cr_expect_eq(calls[i].rc, 1, "call %d: rc %d, status %d", i,
		    calls[i].rc, calls[i].r.err_status);
		cr_expect_eq(calls[i].r.err_status, 0, "call %d", i);
	}
	/* the first alone, then the three good ones alone after the batch
	 * failed: four transactions, four rows, none with the bad title */
	shape = batch_shape(uid, prefix);
	cr_expect_str_eq(shape, "4|4|4", "transactions|created_at|rows: %s",
	    shape);
	free(shape);
	free_calls(calls);
	free(uid);
	db_close();
}

/*
 * A call that has waited GROUP_WAIT_MS in the queue behind a statement
 * that does not end runs alone: a stuck insert holds up only the calls
 * already in its batch.  Here the first insert waits for a lock on its
 * user's row; an insert for another user, queued behind it, must not
 * wait for that lock.
 */
Test(group, a_queued_call_does_not_wait_long_for_a_stuck_statement)
{
	const char	*url = getenv("QUETZAL_DATABASE_URL");
	struct call	 held = { 0 }, other = { 0 };
	char		 prefix[64], *uid, *uid2;
	PGconn		*lock, *watch;
	pthread_t	 th, th2;
	struct timespec	 t0, t1;
	double		 took;

	test_need_stack();
	db_init(url, 5000, queries, nqueries);
	uid = app_user_insert("group");
	uid2 = app_user_insert("group");
	cr_assert(uid != NULL && uid2 != NULL);
	snprintf(prefix, sizeof(prefix), "grpw-%s-", test_user_suffix());
	held.uid = uid;
	other.uid = uid2;
	held.ver = other.ver = "1";
	held.arena = arena_new(4096);
	other.arena = arena_new(4096);
	snprintf(held.title, sizeof(held.title), "%sheld", prefix);
	snprintf(other.title, sizeof(other.title), "%sother", prefix);

	lock = PQconnectdb(url);
	watch = PQconnectdb(url);
	cr_assert(PQstatus(lock) == CONNECTION_OK && PQstatus(watch) ==
	    CONNECTION_OK);
	app_db_exec(lock, "BEGIN", NULL);
	app_db_exec(lock, "SELECT 1 FROM users WHERE id = $1::bigint FOR UPDATE",
	    uid);
	cr_assert_eq(pthread_create(&th, NULL, run_call, &held), 0);
	cr_assert(app_db_lock_waited(watch, "%INSERT INTO tasks%", 3));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(pthread_create(&th2, NULL, run_call, &other), 0);
	pthread_join(th2, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_expect_eq(other.rc, 1, "rc %d status %d", other.rc,
	    other.r.err_status);
	cr_expect(took >= 0.4 && took < 3.0, "the queued call took %.3f s "
	    "(it waits GROUP_WAIT_MS, then runs alone)", took);
	app_db_exec(lock, "COMMIT", NULL);
	pthread_join(th, NULL);
	cr_expect_eq(held.rc, 1, "rc %d status %d", held.rc,
	    held.r.err_status);
	PQfinish(lock);
	PQfinish(watch);
	arena_free(held.arena);
	arena_free(other.arena);
	free(uid);
	free(uid2);
	db_close();
}
