/* SPDX-License-Identifier: MIT */
/*
 * route.h - the route table type and its matcher.  The application owns one
 * table (app/routes.c); the worker matches each request against it.
 *
 * Patterns are literal segments and parameters: "/api/v1/tasks/{id}".
 * A parameter named {id} matches only a positive 64-bit decimal integer
 * without leading zeros (anything else is "not found", SPEC 4.1); any other
 * {name} matches one non-empty segment.
 */
#ifndef LIB_ROUTE_H
#define LIB_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

struct req;

enum route_auth {
	ROUTE_PUBLIC = 0,	/* no token looked at */
	ROUTE_OPTIONAL,		/* a token is used when present and valid */
	ROUTE_USER,		/* a valid token is required: 401 */
	ROUTE_ADMIN		/* and the admin role: 403 */
};

#define ROUTE_FORM	0x1	/* accepts x-www-form-urlencoded bodies */
#define ROUTE_LAX	0x2	/* Content-Type of body-less requests ignored */
/*
 * ROUTE_TOKEN_ONLY: for hot authenticated routes.  The authenticate hook
 * verifies the token (signature, alg, exp: no I/O) and sets r->user_id,
 * r->role (from the token) and r->token_ver, but does not read the user
 * row.  The handler's own query must then check it, e.g.
 *   ... FROM users u WHERE u.id = $1 AND u.token_version = $2
 *       AND u.is_active        -- $1 r->user_id, $2 r->token_ver
 * and answer a missing user row with `return app_auth_stale(r);` (401).
 * One query per request instead of two.  The role in the token is current
 * whenever token_version is, because every role change bumps it.
 */
#define ROUTE_TOKEN_ONLY 0x4

struct route {
	const char	*method;
	const char	*pattern;
	int		(*handler)(struct req *r);
	enum route_auth	 auth;
	int		 envelope;	/* enum http_envelope */
	unsigned	 flags;
	const char	*summary;	/* one line, for the OpenAPI check */
};

/* Whether `s` is a positive int64 without sign or leading zeros. */
bool		 route_is_id(const char *s);

/*
 * Matches `method` and `path` against table[0..n).  Returns 1 with *out set
 * and params[] filled (pointers into an arena copy of the path), 0 when no
 * pattern matches the path (404), or -1 when patterns match but none with
 * this method (405): `allow` then holds "GET, PATCH" (the methods in table
 * order, plus HEAD when GET is there).
 */
int		 route_match(const struct route *table, size_t n,
		    const char *method, const char *path, struct req *r,
		    const struct route **out, char *allow, size_t allowlen);

#endif /* LIB_ROUTE_H */
