/* SPDX-License-Identifier: MIT */
/*
 * jsonx.h - strict JSON request bodies read through field tables.
 *
 * jsonx_parse() turns bytes into a tree with json-c's strict mode plus the
 * checks json-c 0.16 lacks (see shared/notes/dependencies.md): the whole
 * body must be one value, UTF-8, depth at most 32, no NaN or Infinity.
 * jsonx_read() walks a field table and fills a struct of `const char *`
 * with SQL-ready text ("42", "true", "2026-01-31", strings as they are;
 * NULL for absent or JSON null), recording 422 field errors on the request.
 */
#ifndef LIB_JSONX_H
#define LIB_JSONX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct req;
struct arena;
struct json_object;

enum jsonx_type {
	JSONX_T_STRING = 1,
	JSONX_T_INT,
	JSONX_T_BOOL,
	JSONX_T_DATE,		/* "YYYY-MM-DD", a real calendar date */
	JSONX_T_STRINGS		/* array of strings: a PostgreSQL text[] */
};

#define JSONX_REQUIRED	0x1	/* absent: 422 "required" */
#define JSONX_NULLABLE	0x2	/* null accepted (the member stays NULL) */
#define JSONX_BYTES	0x4	/* string limits count bytes, not characters */

struct jsonx_field {
	const char	*name;
	enum jsonx_type	 type;
	size_t		 offset;	/* of a `const char *` member */
	unsigned	 flags;
	int64_t		 min, max;	/* length for strings, value for ints */
};

#define JSONX_STRING(T, m, fl, lo, hi) \
	{ #m, JSONX_T_STRING, offsetof(T, m), (fl), (lo), (hi) }
#define JSONX_INT(T, m, fl, lo, hi) \
	{ #m, JSONX_T_INT, offsetof(T, m), (fl), (lo), (hi) }
#define JSONX_BOOL(T, m, fl) \
	{ #m, JSONX_T_BOOL, offsetof(T, m), (fl), 0, 0 }
#define JSONX_DATE(T, m, fl) \
	{ #m, JSONX_T_DATE, offsetof(T, m), (fl), 0, 0 }
/* An array of at most JSONX_MAX_ITEMS strings, each lo..hi characters,
 * read as a text[] literal ("{\"a\",\"b\"}") for a `$n::text[]`. */
#define JSONX_STRINGS(T, m, fl, lo, hi) \
	{ #m, JSONX_T_STRINGS, offsetof(T, m), (fl), (lo), (hi) }
#define JSONX_END { NULL, 0, 0, 0, 0, 0 }
#define JSONX_MAX_ITEMS	64

/* Options of jsonx_read_ex. */
#define JSONX_IGNORE_UNKNOWN	0x1	/* RealWorld: unknown fields ignored */

#define JSONX_MAX_DEPTH	32

/*
 * Parses body[0..len) strictly.  Returns the tree, whose one reference is
 * deferred on `a`, or NULL with a short reason in *why (static text).
 */
struct json_object *jsonx_parse(struct arena *a, const char *body, size_t len,
		    const char **why);

/*
 * The same, saying in *status which answer a refusal deserves: 400 when
 * the bytes are not RFC 8259 JSON, 422 when they are but a string is not
 * Unicode text we can keep (a lone surrogate such as "\ud800", which
 * RFC 8259 section 8.2 lets through the grammar; a member name containing
 * "\u0000", which json-c would cut short).
 */
struct json_object *jsonx_parse_ex(struct arena *a, const char *body,
		    size_t len, const char **why, int *status);

/* The RFC 8259 check alone: 0, 400 or 422 as above, with *why. */
int		 jsonx_scan(const char *s, size_t len, const char **why);

/*
 * Reads r's JSON body (parsed by the worker, r->json) into `out` through
 * `fields`.  Unknown fields are 422.  `*seen`, when not NULL, gets bit i set
 * for each field i present in the body, null included (PATCH semantics).
 * Returns 0, or -1 with 400/415/422 recorded.
 */
int		 jsonx_read(struct req *r, const struct jsonx_field *fields,
		    void *out, uint64_t *seen);

/* The same, reading the object under `envelope` ("user") when not NULL. */
int		 jsonx_read_ex(struct req *r, const char *envelope,
		    const struct jsonx_field *fields, void *out, uint64_t *seen,
		    unsigned opts);

/* Whether the field called `name` was present (bit from *seen). */
bool		 jsonx_seen(const struct jsonx_field *fields, uint64_t seen,
		    const char *name);

/* Whether `s` is a valid "YYYY-MM-DD" date. */
bool		 jsonx_is_date(const char *s);

#endif /* LIB_JSONX_H */
