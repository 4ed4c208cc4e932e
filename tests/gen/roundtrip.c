/* SPDX-License-Identifier: MIT */
/*
 * roundtrip.c - writes each compiled-in migration's text to DIR/<file>
 * and prints "<file> <sha256>" with the sha256 that migrate records
 * (migrate_sha256), so tests/gen/run.sh can compare both with the source
 * file and with sha256sum.  Linked with a generated migrations.c.
 */
#include <stdio.h>
#include <string.h>

#include "migrate.h"

extern const struct migration migrations[];
extern const size_t nmigrations;

int
main(int argc, char **argv)
{
	char path[4096], hex[65];
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: roundtrip DIR\n");
		return 2;
	}
	for (size_t i = 0; i < nmigrations; i++) {
		const struct migration *m = &migrations[i];

		snprintf(path, sizeof(path), "%s/%04d_%s.sql", argv[1],
		    m->version, m->name);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(m->sql, 1, strlen(m->sql), f) != strlen(m->sql) ||
		    fclose(f) != 0) {
			perror(path);
			return 1;
		}
		migrate_sha256(m->sql, hex);
		printf("%04d_%s.sql %s\n", m->version, m->name, hex);
	}
	return 0;
}
