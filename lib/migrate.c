/* SPDX-License-Identifier: MIT */
/*
 * migrate.c - the migration runner.  It talks to libpq directly: it runs
 * before any worker, outside any request, on its own short-lived
 * connection.
 */
#include "migrate.h"

#include <libpq-fe.h>
#include <openssl/evp.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

void
migrate_sha256(const char *sql, char hex[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	len = 0;

	if (EVP_Digest(sql, strlen(sql), md, &len, EVP_sha256(), NULL) != 1)
		die("EVP_Digest failed");
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
}

static bool
exec_ok(PGconn *c, const char *sql, FILE *out)
{
	PGresult	*res = PQexec(c, sql);
	ExecStatusType	 st = PQresultStatus(res);
	bool		 ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(out, "migrate: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

static const struct migration *
find(const struct migration *m, size_t n, int version)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].version == version)
			return &m[i];
	return NULL;
}

/* Checks the applied rows against the binary's list; marks applied[]. */
static int
check_applied(PGconn *c, const struct migration *m, size_t n, bool *applied,
    FILE *out, int status_only)
{
	PGresult	*res;
	int		 bad = 0;

	res = PQexec(c, "SELECT version, name, sha256, applied_at "
	    "FROM schema_migrations ORDER BY version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(out, "migrate: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		int			 v = atoi(PQgetvalue(res, i, 0));
		const struct migration	*mi = find(m, n, v);
		char			 hex[65];

		if (mi == NULL) {
			fprintf(out, "migrate: applied migration %04d_%s is "
			    "missing from this binary\n", v,
			    PQgetvalue(res, i, 1));
			bad = 1;
			continue;
		}
		migrate_sha256(mi->sql, hex);
		if (strcmp(hex, PQgetvalue(res, i, 2)) != 0) {
			fprintf(out, "migrate: applied migration %04d_%s has "
			    "changed (sha256 %.12s… in the database, %.12s… "
			    "here)\n", v, mi->name, PQgetvalue(res, i, 2),
			    hex);
			bad = 1;
			continue;
		}
		applied[mi - m] = true;
		if (status_only)
			fprintf(out, "applied  %04d_%s  %s\n", v, mi->name,
			    PQgetvalue(res, i, 3));
	}
	PQclear(res);
	return bad ? -1 : 0;
}

static int
apply_one(PGconn *c, const struct migration *mi, FILE *out)
{
	char		 hex[65], ver[16];
	const char	*params[3];
	PGresult	*res;
	bool		 ok;

	if (!exec_ok(c, "BEGIN", out))
		return -1;
	if (!exec_ok(c, mi->sql, out)) {
		fprintf(out, "migrate: %04d_%s failed, rolled back\n",
		    mi->version, mi->name);
		exec_ok(c, "ROLLBACK", out);
		return -1;
	}
	migrate_sha256(mi->sql, hex);
	snprintf(ver, sizeof(ver), "%d", mi->version);
	params[0] = ver;
	params[1] = mi->name;
	params[2] = hex;
	res = PQexecParams(c, "INSERT INTO schema_migrations "
	    "(version, name, sha256) VALUES ($1, $2, $3)", 3, NULL, params,
	    NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(out, "migrate: %s", PQresultErrorMessage(res));
	PQclear(res);
	if (!ok || !exec_ok(c, "COMMIT", out)) {
		exec_ok(c, "ROLLBACK", out);
		return -1;
	}
	fprintf(out, "applied  %04d_%s\n", mi->version, mi->name);
	return 0;
}

int
migrate_run(const char *conninfo, const struct migration *m, size_t n,
    int status_only, FILE *out)
{
	const char *const	 keys[] = { "dbname", "connect_timeout",
				    "fallback_application_name", NULL };
	const char *const	 vals[] = { conninfo, "10", "quetzal-migrate",
				    NULL };
	PGconn			*c;
	bool			*applied;
	int			 count = 0, ret = -1;

	c = PQconnectdbParams(conninfo[0] ? keys : keys + 1,
	    conninfo[0] ? vals : vals + 1, 1);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(out, "migrate: cannot connect: %s",
		    PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	applied = calloc(n ? n : 1, sizeof(*applied));
	if (applied == NULL)
		die("out of memory");
	if (!exec_ok(c, "SET client_min_messages = warning", out))
		goto cleanup;
	if (status_only) {
		/* Looks only: no lock, no table created. */
		PGresult *res = PQexec(c, "SELECT to_regclass("
		    "'schema_migrations') IS NOT NULL");
		bool exists = PQresultStatus(res) == PGRES_TUPLES_OK &&
		    PQgetvalue(res, 0, 0)[0] == 't';

		PQclear(res);
		if (!exists)
			goto list;
	} else if (!exec_ok(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY
	    ")", out) ||
	    !exec_ok(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version integer PRIMARY KEY, name text NOT NULL, "
	    "sha256 text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", out))
		goto cleanup;
	/* The lock above is a session lock: held across the per-migration
	 * transactions, released by PostgreSQL if this process dies. */
	if (check_applied(c, m, n, applied, out, status_only) < 0)
		goto cleanup;
list:
	for (size_t i = 0; i < n; i++) {
		if (applied[i])
			continue;
		if (i > 0 && m[i].version <= m[i - 1].version)
			die("migrations out of order at %d", m[i].version);
		if (status_only)
			fprintf(out, "pending  %04d_%s\n", m[i].version,
			    m[i].name);
		else if (apply_one(c, &m[i], out) < 0)
			goto cleanup;
		count++;
	}
	if (!status_only && count == 0)
		fprintf(out, "up to date (%zu migrations)\n", n);
	ret = count;
cleanup:
	free(applied);
	PQfinish(c);	/* also releases the advisory lock */
	return ret;
}
