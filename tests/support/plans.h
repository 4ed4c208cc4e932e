/* SPDX-License-Identifier: MIT */
/*
 * plans.h - what the query-plan suites share (tests/integration/
 * test_*_plans.c): statements run on their own libpq connection, the
 * named queries of sql/queries prepared there, and the JSON plan of one
 * execution under a given plan_cache_mode.  Each fails the test on error.
 */
#ifndef TESTS_SUPPORT_PLANS_H
#define TESTS_SUPPORT_PLANS_H

#include <libpq-fe.h>
#include <stdbool.h>

/* Runs sql with n text parameters; the result (rows or none) for the
 * caller to PQclear. */
PGresult	*plan_run(PGconn *c, const char *sql, int n,
		    const char *const *params);

/* Prepares, under their names, the queries whose name starts with
 * `prefix`. */
void		 plan_prepare(PGconn *c, const char *prefix);

/* The JSON plan of EXECUTE name(params) under plan_cache_mode `mode`,
 * analyzed when `analyze`.  malloc'd. */
char		*plan_of(PGconn *c, const char *mode, bool analyze,
		    const char *name, int n, const char *const *p);

#endif /* TESTS_SUPPORT_PLANS_H */
