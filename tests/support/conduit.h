/* SPDX-License-Identifier: MIT */
/*
 * conduit.h - helpers for the Conduit (RealWorld, SPEC 4.5) suites:
 * users registered through POST /api/users, requests with
 * "Authorization: Token <jwt>", articles, and the RealWorld error shape.
 * Each fails the test on error.
 */
#ifndef TESTS_SUPPORT_CONDUIT_H
#define TESTS_SUPPORT_CONDUIT_H

#include "client.h"

struct cd_user {
	char	username[64];
	char	email[128];
	char	password[64];
	char	token[4096];
};

/* Registers a fresh user through POST /api/users (201) and keeps its
 * token. */
void		 cd_user_new(struct cd_user *u);

/* `method` `path` with u's token as "Token <jwt>" (u NULL: no
 * Authorization), a JSON body or NULL. */
struct resp	 cd_call(const char *method, const char *path,
		    const struct cd_user *u, const char *body);

/* Creates an article by u with `title` and tagList `tags_json` (a JSON
 * array, or NULL for none); returns its slug, malloc'd. */
char		*cd_article_new(const struct cd_user *u, const char *title,
		    const char *tags_json);

/* Fails unless r is `status` with a JSON body {"errors":{"body":[...]}}
 * whose list is not empty; with `field`, unless errors.<field> is a list
 * too (422). */
void		 cd_assert_error(const struct resp *r, long status,
		    const char *field);

/* app_db_value() with the parameters as arguments, ending with NULL;
 * malloc'd or NULL. */
char		*cd_sql(const char *sql, ...);

/* Fails unless the first value `sql` returns (parameters as arguments
 * ending with NULL) is `want`. */
void		 cd_assert_sql(const char *want, const char *sql, ...);

/* The number of rows `sql` (a SELECT count(*)...) counts, parameters as
 * arguments ending with NULL. */
long		 cd_count(const char *sql, ...);

#endif /* TESTS_SUPPORT_CONDUIT_H */
