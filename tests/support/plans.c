/* SPDX-License-Identifier: MIT */
/* plans.c - see plans.h. */
#include "plans.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "queries.h"

PGresult *
plan_run(PGconn *c, const char *sql, int n, const char *const *params)
{
	PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);

	cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	return res;
}

void
plan_prepare(PGconn *c, const char *prefix)
{
	for (size_t q = 0; q < nqueries; q++) {
		PGresult *res;

		if (strncmp(queries[q].name, prefix, strlen(prefix)) != 0)
			continue;
		res = PQprepare(c, queries[q].name, queries[q].sql,
		    queries[q].nparams, NULL);
		cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s",
		    queries[q].name, PQresultErrorMessage(res));
		PQclear(res);
	}
}

char *
plan_of(PGconn *c, const char *mode, bool analyze, const char *name, int n,
    const char *const *p)
{
	char		 sql[1024], *out;
	size_t		 at;
	PGresult	*res;

	snprintf(sql, sizeof(sql), "SET plan_cache_mode = %s", mode);
	PQclear(plan_run(c, sql, 0, NULL));
	at = (size_t)snprintf(sql, sizeof(sql), "EXPLAIN (FORMAT JSON%s) "
	    "EXECUTE %s%s", analyze ? ", ANALYZE" : "", name, n > 0 ? "(" : "");
	/* EXPLAIN EXECUTE takes no bind parameters: quote the values */
	for (int i = 0; i < n; i++) {
		char *lit = p[i] ? PQescapeLiteral(c, p[i], strlen(p[i])) :
		    NULL;

		at += (size_t)snprintf(sql + at, sizeof(sql) - at, "%s%s",
		    i ? ", " : "", lit ? lit : "NULL");
		PQfreemem(lit);
	}
	if (n > 0)
		snprintf(sql + at, sizeof(sql) - at, ")");
	res = plan_run(c, sql, 0, NULL);
	out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQclear(plan_run(c, "RESET plan_cache_mode", 0, NULL));
	return out;
}
