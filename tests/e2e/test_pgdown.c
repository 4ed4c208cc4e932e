/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_pgdown.c - PostgreSQL goes away and comes back: /readyz
 * turns 503 (JSON, Retry-After) and back to 200 with no worker restarted.
 * It stops the shared cluster, so the Makefile runs it alone, after the
 * other suites, with QUETZAL_TEST_PGDOWN=1 and a filter on this suite.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

static void
pg(const char *verb)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "%s/scripts/pg.sh %s '%s' >/dev/null",
	    getenv("QUETZAL_TEST_ROOT"), verb, getenv("QUETZAL_TEST_PGDIR"));
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void
workers_alive(const char *pids)
{
	char *copy = strdup(pids), *save = NULL;

	for (char *p = strtok_r(copy, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save))
		cr_assert_eq(kill(atoi(p), 0), 0, "worker %s exited", p);
	free(copy);
}

Test(pgdown, readyz_follows_the_database_without_worker_restarts)
{
	const char	*pids = getenv("QUETZAL_TEST_WORKER_PIDS");
	struct resp	 r;
	char		*ra;
	int		 ok = 0;

	if (getenv("QUETZAL_TEST_PGDOWN") == NULL)
		cr_skip_test("run alone: QUETZAL_TEST_PGDOWN=1");
	cr_assert_not_null(pids);
	r = http_get("/readyz", NULL);
	cr_assert_eq(r.status, 200);
	resp_free(&r);

	pg("stop");
	/* Every worker sees it: ask more times than there are workers. */
	for (int i = 0; i < 12; i++) {
		r = http_get("/readyz", NULL);
		cr_assert_eq(r.status, 503, "try %d: %ld %s", i, r.status,
		    r.body);
		ra = resp_header(&r, "Retry-After");
		cr_assert_not_null(ra);
		free(ra);
		cr_assert_str_eq(resp_str(&r, "status"), "503");
		resp_free(&r);
	}
	r = http_get("/healthz", NULL);
	cr_assert_eq(r.status, 200, "healthz needs no database");
	resp_free(&r);
	workers_alive(pids);

	pg("start");
	/* The first request may still meet a server finishing its start on
	 * a loaded machine: allow 10 s for one 200, then every request of
	 * the next dozen must be 200 (each worker reconnected by itself). */
	for (int i = 0; i < 100; i++) {
		r = http_get("/readyz", NULL);
		ok = r.status == 200;
		resp_free(&r);
		if (ok)
			break;
		usleep(100000);
	}
	cr_assert(ok, "/readyz is 200 again within 10 s of the restart");
	ok = 0;
	for (int i = 0; i < 12; i++) {
		r = http_get("/readyz", NULL);
		ok += r.status == 200;
		resp_free(&r);
	}
	cr_assert_eq(ok, 12, "every request after the restart is 200");
	workers_alive(pids);
}
