/* SPDX-License-Identifier: MIT */
/*
 * users.h - more helpers for the users and auth suites, beside
 * test_user_new() (declared in client.h).  Each fails the test on error.
 */
#ifndef TESTS_SUPPORT_USERS_H
#define TESTS_SUPPORT_USERS_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "client.h"

/* Logs `u` in again through POST /api/v1/auth/token; refreshes u->token
 * and u->refresh. */
void		 test_user_login(struct test_user *u);

/* A new user made admin in the database, then logged in (the role change
 * ended the first token). */
void		 test_admin_new(struct test_user *u);

/* Sends `body` as application/x-www-form-urlencoded. */
struct resp	 http_form(const char *path, const char *body);

/* Sends with "Authorization: <authorization>" verbatim (NULL: none). */
struct resp	 http_auth(const char *method, const char *path,
		    const char *authorization, const char *body);

/* Runs SQL with text parameters on the application's database
 * (QUETZAL_DATABASE_URL, where the users are), not the admin database of
 * QUETZAL_TEST_DSN.  malloc'd first column of the first row, or NULL. */
char		*app_db_value(const char *sql, int nparams,
		    const char *const *params);

/* A unique lowercase suffix of digits and '_' for emails and usernames. */
const char	*test_user_suffix(void);

/* A user straight in the application's database (email
 * it-<tag>-<suffix>@example.com, username it_<tag>_<suffix>, no usable
 * password): its id, malloc'd. */
char		*app_user_insert(const char *tag);

/* Runs `sql` with one text parameter (NULL: none) on connection c. */
void		 app_db_exec(PGconn *c, const char *sql, const char *param);

/* Polls on connection c, for up to `seconds`, until a backend waits for a
 * lock while running a statement LIKE `query_like`.  Whether one did. */
bool		 app_db_lock_waited(PGconn *c, const char *query_like,
		    double seconds);

#endif /* TESTS_SUPPORT_USERS_H */
