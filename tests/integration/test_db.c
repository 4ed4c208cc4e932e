/* SPDX-License-Identifier: MIT */
/*
 * tests/integration/test_db.c - lib/db.c against the migrated test
 * database: every named query prepares, errors map to statuses.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "client.h"
#include "db.h"
#include "http.h"
#include "queries.h"

Test(db, every_named_query_prepares_on_the_migrated_schema)
{
	test_need_stack();
	db_init(getenv("QUETZAL_DATABASE_URL"), 5000, queries, nqueries);
	cr_assert_eq(db_connect(), 0, "a query failed to prepare: see log");
	cr_assert(db_is_up());
	db_close();
}

Test(db, a_query_runs_on_the_request_arena)
{
	struct arena	*a = arena_new(1024);
	struct req	 r;
	const char	*row[1];

	test_need_stack();
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "test";
	db_init(getenv("QUETZAL_DATABASE_URL"), 5000, queries, nqueries);
	cr_assert_eq(db_one(&r, Q_MIGRATION_LATEST, DB_NOARGS, DB_ROW(row)),
	    1);
	cr_assert_gt(atoi(row[0]), 0);
	arena_free(a);
	db_close();
}

Test(db, an_unreachable_server_is_503_not_an_exit)
{
	struct arena	*a = arena_new(1024);
	struct req	 r;
	const char	*row[1];

	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "test";
	db_init("host=/nonexistent-dir dbname=x", 5000, queries, nqueries);
	cr_assert_eq(db_one(&r, Q_MIGRATION_LATEST, DB_NOARGS, DB_ROW(row)),
	    -1);
	cr_assert_eq(r.err_status, 503);
	arena_free(a);
}

Test(db, sqlstates_map_to_statuses)
{
	cr_assert_eq(db_status_for("23505"), 409);
	cr_assert_eq(db_status_for("23514"), 422);
	cr_assert_eq(db_status_for("22007"), 422);
	cr_assert_eq(db_status_for("57014"), 503);
	cr_assert_eq(db_status_for("57P01"), 503);
	cr_assert_eq(db_status_for("08006"), 503);
	cr_assert_eq(db_status_for(NULL), 503);
	cr_assert_eq(db_status_for("42P01"), 500);
}
