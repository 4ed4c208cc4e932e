/* SPDX-License-Identifier: MIT */
/*
 * tests/integration/test_db.c - lib/db.c against the migrated test
 * database: every named query prepares, errors map to statuses.
 */
#include <criterion/criterion.h>

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "client.h"
#include "db.h"
#include "http.h"
#include "queries.h"
#include "users.h"

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
	cr_assert_eq(db_status_for("25006"), 503);
	cr_assert_eq(db_status_for(NULL), 503);
	cr_assert_eq(db_status_for("42P01"), 500);
}

/*
 * A primary demoted to a standby keeps our connection but refuses writes
 * with SQLSTATE 25006.  A role whose sessions start read-only stands in
 * for it: the write is a 503 (not a 500), and after the role is writable
 * again (the URL's other host, promoted) the next request reconnects and
 * writes, where the old connection would have stayed read-only.
 */
Test(db, a_read_only_server_is_503_and_the_next_request_reconnects)
{
	struct arena	*a = arena_new(4096);
	struct req	 r;
	const char	*row[2];
	char		 role[64], sql[256], url[4096], email[128], name[64];
	const char	*u = test_unique();

	test_need_stack();
	snprintf(role, sizeof(role), "ro_%s", u);
	for (char *p = role; *p != '\0'; p++)
		if (*p == '-' || *p == '.')
			*p = '_';
	snprintf(email, sizeof(email), "ro-%s@example.com", u);
	snprintf(name, sizeof(name), "ro%s", u);
	for (char *p = name; *p != '\0'; p++)
		if (*p == '.')
			*p = '_';
	name[32] = '\0';
	snprintf(sql, sizeof(sql), "CREATE ROLE %s LOGIN IN ROLE quetzal; "
	    "ALTER ROLE %s SET default_transaction_read_only = on", role,
	    role);
	test_admin_exec(sql);
	snprintf(url, sizeof(url), "%s user=%s",
	    getenv("QUETZAL_DATABASE_URL"), role);
	db_init(url, 5000, queries, nqueries);

	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "test";
	cr_assert_eq(db_one(&r, Q_USER_INSERT, DB_ARGS(email, name, NULL,
	    "$2b$04$abcdefghijklmnopqrstuu5s2zrXQ7vYbVd4rZbZr6DkKJ4sGZxK2"),
	    DB_ROW(row)), -1, "a write on a read-only session succeeded");
	cr_assert_eq(r.err_status, 503, "25006 gave %d", r.err_status);
	cr_assert_not(db_is_up(), "the read-only connection is kept");
	db_request_end();
	arena_reset(a);

	snprintf(sql, sizeof(sql), "ALTER ROLE %s RESET "
	    "default_transaction_read_only", role);
	test_admin_exec(sql);
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "test";
	cr_assert_eq(db_one(&r, Q_USER_INSERT, DB_ARGS(email, name, NULL,
	    "$2b$04$abcdefghijklmnopqrstuu5s2zrXQ7vYbVd4rZbZr6DkKJ4sGZxK2"),
	    DB_ROW(row)), 1, "no reconnect after 25006: status %d",
	    r.err_status);
	cr_assert(db_is_up());
	db_request_end();
	arena_free(a);
	db_close();

	snprintf(sql, sizeof(sql), "DELETE FROM users WHERE email = '%s'",
	    email);
	{
		/* The table lives in database quetzal, not the admin one. */
		PGconn *c = PQconnectdb(getenv("QUETZAL_DATABASE_URL"));
		PGresult *res = PQexec(c, sql);

		cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK);
		PQclear(res);
		PQfinish(c);
	}
	snprintf(sql, sizeof(sql), "DROP ROLE %s", role);
	test_admin_exec(sql);
}

/* The output and exit status of `quetzal check-config ARGS`. */
static int
check_config(const char *args, char *out, size_t size)
{
	char	 cmd[4096];
	FILE	*p;
	size_t	 n;

	snprintf(cmd, sizeof(cmd), "'%s' check-config %s 2>&1",
	    getenv("QUETZAL_BIN"), args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	return pclose(p);
}

Test(db, check_config_warns_when_max_connections_is_below_hosts_times_loops)
{
	char out[8192];

	test_need_stack();
	cr_assert_not_null(getenv("QUETZAL_BIN"));
	cr_assert_eq(check_config("", out, sizeof(out)), 0, "%s", out);
	cr_assert_not_null(strstr(out, "1 host(s) x 2 loop(s) + 2 = 4 needed"),
	    "%s", out);
	cr_assert_null(strstr(out, "WARNING"), "%s", out);
	/* 1000 hosts of 4 loops: no test cluster takes 4002 connections. */
	cr_assert_eq(check_config("--hosts 1000 --loops 4", out, sizeof(out)),
	    0, "a warning is not a failure: %s", out);
	cr_assert_not_null(strstr(out, "4002 needed"), "%s", out);
	cr_assert_not_null(strstr(out, "WARNING        max_connections is too "
	    "low for 1000 hosts x 4 accept loops"), "%s", out);
	cr_assert_neq(check_config("--hosts 0", out, sizeof(out)), 0);
}

/*
 * A login's refresh token commits asynchronously (sql/queries/auth.sql,
 * docs/decisions.md), and only that transaction does: inside a
 * transaction refresh_insert turns synchronous_commit off, and the next
 * statement on the same connection commits durably again.  The token is
 * stored all the same.
 */
Test(db, only_the_login_insert_commits_asynchronously)
{
	struct arena		*a = arena_new(4096);
	struct req		 r;
	const struct db_query	 qs[] = {
		queries[Q_REFRESH_INSERT],
		{ "sync_commit", "SELECT current_setting('synchronous_commit')",
		    0 },
		/* the test cluster runs with synchronous_commit = off */
		{ "sync_commit_on",
		    "SELECT set_config('synchronous_commit', 'on', false)", 0 },
	};
	const char		*row[1], *p[2];
	char			*uid, *v;
	const char		*hash = "0123456789abcdef0123456789abcdef"
				    "0123456789abcdef0123456789abcdef";
	const char		*hash2 = "fedcba9876543210fedcba9876543210"
				    "fedcba9876543210fedcba9876543210";

	test_need_stack();
	uid = app_user_insert("db");
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "test";
	db_init(getenv("QUETZAL_DATABASE_URL"), 5000, qs, 3);
	cr_assert_eq(db_one(&r, 2, DB_NOARGS, DB_ROW(row)), 1);
	cr_assert_str_eq(row[0], "on");

	cr_assert_eq(db_begin(&r), 0);
	cr_assert_eq(db_one(&r, 0, DB_ARGS(uid, hash, "60"), DB_ROW(row)), 1);
	cr_assert_eq(db_one(&r, 1, DB_NOARGS, DB_ROW(row)), 1);
	cr_assert_str_eq(row[0], "off", "the insert's transaction is async");
	cr_assert_eq(db_commit(&r), 0);
	cr_assert_eq(db_one(&r, 1, DB_NOARGS, DB_ROW(row)), 1);
	cr_assert_str_eq(row[0], "on", "the setting outlived its transaction");

	/* as the login runs it: on its own, then a durable statement */
	cr_assert_eq(db_one(&r, 0, DB_ARGS(uid, hash2, "60"), DB_ROW(row)), 1);
	cr_assert_eq(db_one(&r, 1, DB_NOARGS, DB_ROW(row)), 1);
	cr_assert_str_eq(row[0], "on");
	p[0] = uid;
	v = app_db_value("SELECT count(*) FROM refresh_tokens WHERE "
	    "user_id = $1 AND expires_at > now()", 1, p);
	cr_assert_str_eq(v, "2", "%s tokens stored", v);
	free(v);
	free(uid);
	arena_free(a);
	db_close();
}
