/* SPDX-License-Identifier: MIT */
/*
 * service.c - the service endpoints of SPEC 4.2.  /healthz touches nothing
 * but the worker; /readyz asks the database for its newest migration.
 */
#include "handlers.h"

#include <stdlib.h>

#include "arena.h"
#include "db.h"
#include "http.h"
#include "migrate.h"
#include "queries.h"

extern const struct migration	migrations[];
extern const size_t		nmigrations;

int
service_root(struct req *r)
{
	return http_send_json(r, 200, "{\"name\":\"quetzal\",\"version\":\""
	    QUETZAL_VERSION "\",\"docs\":\"/docs\"}");
}

int
service_healthz(struct req *r)
{
	return http_send_json(r, 200, "{\"status\":\"ok\"}");
}

int
service_readyz(struct req *r)
{
	const char	*row[1];
	long		 have, want;

	want = nmigrations ? migrations[nmigrations - 1].version : 0;
	if (db_one(r, Q_MIGRATION_LATEST, DB_NOARGS, DB_ROW(row)) != 1)
		return http_fail(r);	/* 503 from lib/db.c */
	have = strtol(row[0], NULL, 10);
	if (have < want) {
		http_header(r, "Retry-After", "5");
		http_error(r, 503, "migrations pending: the database is at "
		    "version %ld, this binary needs %ld", have, want);
		return http_fail(r);
	}
	return http_send_json(r, 200, arena_printf(r->arena,
	    "{\"status\":\"ready\",\"database\":\"ok\",\"migration\":%ld}",
	    have));
}
