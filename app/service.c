/* SPDX-License-Identifier: MIT */
/*
 * service.c - the service endpoints of SPEC 4.2.  /healthz touches nothing
 * but the worker; /readyz asks the database for its newest migration;
 * /metrics sums the pool's shared counters (lib/metrics.c).
 */
#include "handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "http.h"
#include "metrics.h"
#include "migrate.h"
#include "prom.h"
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

/* A counter nginx passed as a FastCGI param ($connections_active...), or
 * -1 when absent or not a plain number. */
static long long
nginx_number(const struct req *r, const char *name)
{
	const char	*v = http_param(r, name);
	char		*end;
	long long	 n;

	if (v == NULL || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : n;
}

/*
 * GET /metrics: the pool's numbers in the Prometheus text format.  nginx
 * serves it only to loopback and QUETZAL_METRICS_ALLOW, and marks the
 * requests it let through with the param QUETZAL_METRICS=1 (a client
 * cannot set a param without the HTTP_ prefix): without it, 404, as if
 * there were no such resource.  PostgreSQL's numbers come from one query
 * on the worker's connection, like any request's (reconnecting when it
 * was lost); when it fails the scrape still answers, with pg_up 0.
 */
int
service_metrics(struct req *r)
{
	struct metrics_extra	 x = { .pg_up = 0 };
	const char		*mark = http_param(r, "QUETZAL_METRICS");
	const char		*row[3];
	char			*text = NULL;
	size_t			 len = 0;
	FILE			*f;

	if (mark == NULL || strcmp(mark, "1") != 0 || !metrics_enabled()) {
		http_error(r, 404, "no resource at %s", r->path);
		return http_fail(r);
	}
	x.nginx_active = nginx_number(r, "NGINX_CONNECTIONS_ACTIVE");
	x.nginx_reading = nginx_number(r, "NGINX_CONNECTIONS_READING");
	x.nginx_writing = nginx_number(r, "NGINX_CONNECTIONS_WRITING");
	x.nginx_waiting = nginx_number(r, "NGINX_CONNECTIONS_WAITING");
	if (db_one(r, Q_METRICS_PG, DB_NOARGS, DB_ROW(row)) == 1 &&
	    row[0] != NULL && row[1] != NULL && row[2] != NULL) {
		x.pg_up = 1;
		x.pg_connections = strtoll(row[0], NULL, 10);
		x.pg_connections_active = strtoll(row[1], NULL, 10);
		x.pg_database_bytes = strtoll(row[2], NULL, 10);
	}
	/* A failed query is a number (quetzal_pg_up 0), not an error of
	 * the scrape. */
	r->err_status = 0;
	r->err_detail = NULL;
	r->err_sqlstate = NULL;
	r->err_constraint = NULL;
	if ((f = open_memstream(&text, &len)) == NULL)
		die("open_memstream: out of memory");
	metrics_write(f, &x);
	if (fclose(f) != 0)
		die("open_memstream: out of memory");
	arena_defer(r->arena, free, text);
	http_header(r, "Cache-Control", "no-store");
	return http_send(r, 200, PROM_CONTENT_TYPE, text, len);
}
