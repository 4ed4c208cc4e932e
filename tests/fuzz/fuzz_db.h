/* SPDX-License-Identifier: MIT */
/* fuzz_db.h - how a target scripts the db_ stub (db_stub.c). */
#ifndef TESTS_FUZZ_FUZZ_DB_H
#define TESTS_FUZZ_FUZZ_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One byte per db_ call: low 3 bits 0-3 a row, 4 a row "not found"
 * (NULL ETag/JSON, count 0), 5 no row, 6 a 503, 7 a 409 unique violation
 * (on INSERT/UPDATE of users; a row elsewhere; and a row where the
 * statement always returns one); bit 3 + (column % 5) chooses between two
 * values of each column.  Past the end every call finds its row. */
void		 fuzz_db_script(const uint8_t *s, size_t len);
/* The bcrypt hash the stub returns for password_hash columns. */
void		 fuzz_db_hash(const char *hash);
/* Aborts naming every query of sql/queries that db_stub.c has no shape
 * for (call once at start-up). */
void		 fuzz_db_check(void);
/* Calls since fuzz_db_script, and those of statements that write. */
extern unsigned	 fuzz_db_calls, fuzz_db_writes;
/* Whether the last call was of a statement that writes. */
extern bool	 fuzz_db_last_wrote;

#endif
