/* SPDX-License-Identifier: MIT */
/*
 * client.h - what end-to-end and integration tests share: an HTTP client
 * (libcurl) aimed at QUETZAL_TEST_URL, and a libpq connection to
 * QUETZAL_TEST_DSN.  Both exist only while tests/support/with-stack.sh runs
 * the stack; tests call test_need_stack() first so that, run alone, they
 * fail with a clear reason rather than a connection error.
 */
#ifndef TESTS_SUPPORT_CLIENT_H
#define TESTS_SUPPORT_CLIENT_H

#include <stddef.h>

struct json_object;
struct route;

struct resp {
	long		 status;
	char		*body;		/* NUL-terminated */
	size_t		 len;
	char		*headers;	/* raw header block, last response */
	struct json_object *json;	/* parsed body, or NULL */
};

/* Fails the test unless the stack variables are set. */
void		 test_need_stack(void);

/* Sends `method` `path` (appended to QUETZAL_TEST_URL) with the extra
 * headers (NULL-terminated "Name: value" list, may be NULL) and `body`
 * (NULL: none).  Fills `out`; returns 0, or -1 when the request could not
 * be made at all.  A JSON body is sent with Content-Type application/json
 * unless the headers name another. */
int		 http_req(const char *method, const char *path,
		    const char *const *headers, const char *body,
		    struct resp *out);

/* The same with a body of `body_len` bytes, NUL bytes included. */
int		 http_req_len(const char *method, const char *path,
		    const char *const *headers, const char *body,
		    size_t body_len, struct resp *out);

/* Shorthands that fail the test when the request cannot be made. */
struct resp	 http_get(const char *path, const char *token);
struct resp	 http_json(const char *method, const char *path,
		    const char *token, const char *body);

/* Header `name` of the response (case-insensitive), malloc'd, or NULL. */
char		*resp_header(const struct resp *r, const char *name);

/* json path lookup on the body: "errors.0.field"; NULL when absent.  The
 * string is borrowed from r->json. */
const char	*resp_str(const struct resp *r, const char *path);

void		 resp_free(struct resp *r);

/* Fails the test unless header `name` of r is exactly `want`. */
void		 resp_assert_header(const struct resp *r, const char *name,
		    const char *want);

/* The entry of app/routes.c for (method, pattern); fails the test when
 * there is none.  For integration tests that call handlers directly. */
const struct route *test_route(const char *method, const char *pattern);

/* A user made for one test (tests/support/users.c, from the users issue):
 * registered through POST /api/v1/users and logged in through
 * POST /api/v1/auth/token.  Fails the test on any error. */
struct test_user {
	char	id[32];
	char	email[128];
	char	username[64];
	char	password[64];
	char	token[4096];
	char	refresh[512];
};
void		 test_user_new(struct test_user *u);

/* Runs one command that returns no rows (CREATE DATABASE, ALTER ROLE...)
 * as the superuser of QUETZAL_TEST_DSN; fails the test otherwise. */
void		 test_admin_exec(const char *sql);

/* A unique suffix for test data: pid + counter + time. */
const char	*test_unique(void);

#endif /* TESTS_SUPPORT_CLIENT_H */
