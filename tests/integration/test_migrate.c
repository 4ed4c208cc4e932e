/* SPDX-License-Identifier: MIT */
/*
 * tests/integration/test_migrate.c - lib/migrate.c against a real
 * PostgreSQL: each test makes its own database, so they run in parallel.
 */
#include <criterion/criterion.h>

#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "migrate.h"

extern const struct migration	migrations[];
extern const size_t		nmigrations;

static char dbname[64], conninfo[512];

static void
fresh_db(void)
{
	char sql[128];

	test_need_stack();
	snprintf(dbname, sizeof(dbname), "qz_mig_%s", test_unique());
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", dbname);
	test_admin_exec(sql);
	snprintf(conninfo, sizeof(conninfo), "%s dbname=%s",
	    getenv("QUETZAL_TEST_DSN"), dbname);
}

static void
drop_db(void)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
	    dbname);
	test_admin_exec(sql);
}

TestSuite(migrate, .init = fresh_db, .fini = drop_db);

static char *
scalar(const char *sql)
{
	PGconn		*c = PQconnectdb(conninfo);
	PGresult	*res = PQexec(c, sql);
	char		*v = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	return v;
}

static FILE *
sink(char **buf, size_t *len)
{
	return open_memstream(buf, len);
}

Test(migrate, applies_all_then_is_a_no_op)
{
	char *out; size_t len; FILE *f = sink(&out, &len);

	cr_assert_eq(migrate_run(conninfo, migrations, nmigrations, 0, f),
	    (int)nmigrations);
	cr_assert_eq(migrate_run(conninfo, migrations, nmigrations, 0, f), 0);
	fclose(f);
	cr_assert_not_null(strstr(out, "up to date"), "%s", out);
	free(out);
	char *n = scalar("SELECT count(*) FROM schema_migrations");
	cr_assert_eq(atoi(n), (int)nmigrations);
	free(n);
	char *sha = scalar("SELECT sha256 FROM schema_migrations "
	    "WHERE version = 1");
	char want[65];
	migrate_sha256(migrations[0].sql, want);
	cr_assert_str_eq(sha, want);
	free(sha);
}

Test(migrate, status_lists_pending_and_changes_nothing)
{
	char *out; size_t len; FILE *f = sink(&out, &len);

	cr_assert_eq(migrate_run(conninfo, migrations, nmigrations, 1, f),
	    (int)nmigrations);
	fclose(f);
	cr_assert_not_null(strstr(out, "pending  0001_init"), "%s", out);
	free(out);
	char *n = scalar("SELECT to_regclass('schema_migrations') IS NULL");
	cr_assert_str_eq(n, "t", "status created nothing");
	free(n);
}

Test(migrate, a_changed_applied_migration_is_refused)
{
	struct migration	 changed[64];
	char			*out; size_t len; FILE *f = sink(&out, &len);

	cr_assert_leq(nmigrations, 64);
	cr_assert_eq(migrate_run(conninfo, migrations, nmigrations, 0, f),
	    (int)nmigrations);
	memcpy(changed, migrations, nmigrations * sizeof(*changed));
	changed[0].sql = "SELECT 1; -- edited after it was applied\n";
	cr_assert_eq(migrate_run(conninfo, changed, nmigrations, 0, f), -1);
	/* And one the binary lacks. */
	cr_assert_eq(migrate_run(conninfo, migrations + 1, nmigrations - 1,
	    0, f), -1);
	fclose(f);
	cr_assert_not_null(strstr(out, "0001_init has changed"), "%s", out);
	cr_assert_not_null(strstr(out, "missing from this binary"), "%s", out);
	free(out);
}

Test(migrate, a_failing_migration_leaves_nothing_behind)
{
	struct migration	 bad[65];
	char			*out; size_t len; FILE *f = sink(&out, &len);

	memcpy(bad, migrations, nmigrations * sizeof(*bad));
	bad[nmigrations].version = 9999;
	bad[nmigrations].name = "broken";
	bad[nmigrations].sql = "CREATE TABLE half_done (id int); "
	    "SELECT no_such_function();";
	cr_assert_eq(migrate_run(conninfo, bad, nmigrations + 1, 0, f), -1);
	fclose(f);
	free(out);
	char *t = scalar("SELECT to_regclass('half_done') IS NULL");
	cr_assert_str_eq(t, "t", "the broken migration was rolled back");
	free(t);
	char *n = scalar("SELECT count(*) FROM schema_migrations "
	    "WHERE version = 9999");
	cr_assert_str_eq(n, "0");
	free(n);
	n = scalar("SELECT count(*) FROM schema_migrations");
	cr_assert_eq(atoi(n), (int)nmigrations, "earlier ones stay applied");
	free(n);
}

Test(migrate, concurrent_runners_serialize)
{
	/* A slow migration holds the lock while a second runner waits. */
	struct migration	 slow[65];
	pid_t			 kids[2];
	int			 applied = 0;

	memcpy(slow, migrations, nmigrations * sizeof(*slow));
	slow[nmigrations].version = 9000;
	slow[nmigrations].name = "slow";
	slow[nmigrations].sql = "SELECT pg_sleep(0.5); "
	    "CREATE TABLE only_once (id int);";
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		cr_assert_geq(kids[i], 0);
		if (kids[i] == 0) {
			FILE *devnull = fopen("/dev/null", "w");
			int n = migrate_run(conninfo, slow, nmigrations + 1, 0,
			    devnull);

			_exit(n < 0 ? 100 : n);
		}
	}
	for (int i = 0; i < 2; i++) {
		int st;

		waitpid(kids[i], &st, 0);
		cr_assert(WIFEXITED(st));
		cr_assert_neq(WEXITSTATUS(st), 100, "a runner failed");
		applied += WEXITSTATUS(st);
	}
	cr_assert_eq(applied, (int)nmigrations + 1,
	    "each migration applied exactly once across both runners");
	char *n = scalar("SELECT count(*) FROM schema_migrations");
	cr_assert_eq(atoi(n), (int)nmigrations + 1);
	free(n);
}
