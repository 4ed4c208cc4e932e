/* SPDX-License-Identifier: MIT */
/*
 * migrate.h - schema migrations compiled into the binary (SPEC 5).
 *
 * Each migration runs in its own transaction and is recorded in
 * schema_migrations with the sha256 of its text.  Runners serialize on an
 * advisory lock.  An applied migration whose text changed, or that this
 * binary lacks, stops the run: nothing is applied.
 */
#ifndef LIB_MIGRATE_H
#define LIB_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

/* The advisory lock key, fixed for every quetzal database. */
#define MIGRATE_LOCK_KEY "1903520116"

/*
 * Connects with `conninfo` ("" = PG* variables) and applies the pending
 * migrations of m[0..n), in version order, printing one line per migration
 * to `out`.  With `status_only`, prints each one as applied or pending and
 * changes nothing.  Returns the number applied (or pending, for status), or
 * -1 with the reason printed to `out`.
 */
int	migrate_run(const char *conninfo, const struct migration *m, size_t n,
	    int status_only, FILE *out);

/* The sha256 of `sql` as 64 hex digits into hex[65]. */
void	migrate_sha256(const char *sql, char hex[65]);

#endif /* LIB_MIGRATE_H */
