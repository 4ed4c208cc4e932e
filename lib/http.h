/* SPDX-License-Identifier: MIT */
/*
 * http.h - the request as a handler sees it, and the one way to answer it.
 *
 * A struct req lives for one request; everything it points to is owned by
 * r->arena.  Handlers read the request, record problems with http_error()
 * or http_invalid(), and answer with http_send_*() or `return http_fail(r)`.
 * The answer is built in memory (r->resp); the worker writes it out, so this
 * module does no I/O and is tested without FastCGI.
 */
#ifndef LIB_HTTP_H
#define LIB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct db_conn;
struct json_object;
struct worker_loop;

/* How errors are rendered: the route chooses. */
enum http_envelope {
	HTTP_ENV_PROBLEM = 0,	/* RFC 9457 application/problem+json (SPEC 4.1) */
	HTTP_ENV_OAUTH,		/* RFC 6749 5.2 {"error","error_description"} */
	HTTP_ENV_REALWORLD	/* {"errors":{"body":["..."]}} (SPEC 4.5) */
};

struct http_field_error {
	const char	*field;
	const char	*code;
	const char	*message;
};

struct http_pair {
	const char	*name;
	const char	*value;
};

#define HTTP_MAX_PATH_PARAMS	4
#define HTTP_MAX_ERRORS		32

struct req {
	struct arena	*arena;
	char		**env;		/* FastCGI params, "NAME=value" */
	/* The accept loop serving it and its PostgreSQL connection (NULL
	 * outside a worker: the process's own connection, lib/db.h). */
	struct worker_loop *loop;
	struct db_conn	*db;
	/* Set when the request takes a place in the password-hash gate: its
	 * writes do not wake the worker's spare loops (lib/worker.h), which
	 * would only take more password requests for a gate that is full. */
	bool		 hashes;

	const char	*method;	/* "GET"; HEAD is answered as GET */
	bool		 is_head;
	const char	*path;		/* decoded, without the query */
	const char	*query;		/* raw, without '?'; "" when none */
	const char	*content_type;	/* NULL when absent */
	const char	*request_id;
	const char	*body;		/* NUL-terminated, body_len bytes */
	size_t		 body_len;
	struct json_object *json;	/* the parsed body, JSON requests */
	struct http_pair *form;		/* the decoded body, form requests */
	int		 nform;
	/* The decoded query string (http_req_init, http_query): nquery is
	 * 0 until decoded, -1 when undecodable, else 1 + the pairs. */
	struct http_pair *query_pairs;
	int		 nquery;

	/* Set by the router. */
	const struct route *route;
	const char	*path_params[HTTP_MAX_PATH_PARAMS];
	size_t		 npath_params;
	enum http_envelope envelope;

	/* Set by authentication (app-defined); NULL when anonymous. */
	const char	*user_id;
	const char	*role;
	const char	*token_ver;
	void		*auth;		/* app-owned extra state */

	/* The error being recorded. */
	int		 err_status;
	const char	*err_detail;
	const char	*err_code;	/* OAuth "error" value */
	const char	*err_sqlstate;	/* from db, for handlers */
	const char	*err_constraint;	/* violated constraint, from db */
	struct http_field_error errors[HTTP_MAX_ERRORS];
	size_t		 nerrors;

	/* The answer. */
	int		 status;	/* 0 until one is set */
	const char	*resp_type;
	const char	*resp_body;
	size_t		 resp_len;
	char		*resp_headers;	/* extra "Name: value\r\n" lines */
	size_t		 resp_headers_len;

	int64_t		 started_us;
};

/* Prepares `r` for one request: arena and params; parses method, path,
 * query, content type and request id from the params.  Returns 0, or -1
 * with a 400 recorded when the request line is unusable. */
int		 http_req_init(struct req *r, struct arena *a, char **env);

/* The FastCGI param `name` ("HTTP_IF_MATCH", "CONTENT_LENGTH"), borrowed
 * from the request, or NULL. */
const char	*http_param(const struct req *r, const char *name);

/* The decoded query parameter `name` (the first one wins), arena-owned, or
 * NULL when absent.  Returns -1 and records a 400 when the query string is
 * not decodable (bad %-escape, NUL byte, invalid UTF-8): callers then do
 * `return http_fail(r)`.  `*out` is NULL when absent. */
int		 http_query(struct req *r, const char *name, const char **out);

/* Decodes an application/x-www-form-urlencoded string into pairs.  Returns
 * the number of pairs, or -1 when it is not decodable.  Arena-owned. */
int		 http_form_decode(struct arena *a, const char *s, size_t len,
		    struct http_pair **out);

/* Looks `name` up in decoded pairs; NULL when absent. */
const char	*http_pairs_get(const struct http_pair *p, int n,
		    const char *name);

/* The `i`th path parameter ("{id}" segments), borrowed. */
const char	*http_path_param(const struct req *r, size_t i);

/*
 * Recording errors.  These return -1 so that lib code can
 * `return http_error(...)`.  The first status recorded wins, except that a
 * later http_invalid() adds to the list of a 422.
 */
int		 http_error(struct req *r, int status, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
int		 http_invalid(struct req *r, const char *field, const char *code,
		    const char *message);
/* An OAuth error code ("invalid_grant") for HTTP_ENV_OAUTH routes. */
int		 http_oauth_error(struct req *r, int status, const char *code,
		    const char *description);

/*
 * Answering.  Each returns the status sent, so handlers end with
 * `return http_send_json(r, 200, body);`.
 */
int		 http_send(struct req *r, int status, const char *type,
		    const char *body, size_t len);
int		 http_send_json(struct req *r, int status, const char *json);
int		 http_send_empty(struct req *r, int status);
/* Renders the recorded error in the route's envelope (500 if none). */
int		 http_fail(struct req *r);

/* Adds a response header.  CR and LF in the value are replaced. */
void		 http_header(struct req *r, const char *name, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

/* The reason phrase for `status` ("Not Found"). */
const char	*http_reason(int status);

/* Checks the Content-Type of a request with a body: JSON, or also
 * x-www-form-urlencoded when `form_ok`.  Returns 1 for JSON, 2 for a form,
 * -1 with 415 recorded otherwise. */
int		 http_body_kind(struct req *r, bool form_ok);

/* Whether `s` (len bytes) is valid UTF-8 without NUL bytes. */
bool		 http_utf8_ok(const char *s, size_t len);

/* The value of hexadecimal digit c (either case), or -1. */
int		 http_hexval(int c);

/* Writes a new random 32-hex-digit id into buf[33]. */
void		 http_new_request_id(char buf[33]);

#endif /* LIB_HTTP_H */
