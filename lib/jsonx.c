/* SPDX-License-Identifier: MIT */
/*
 * jsonx.c - json-c with the strictness SPEC 4.1 asks for.  json-c 0.16 in
 * strict mode still takes single quotes, NaN and Infinity, and clamps big
 * integers; the checks below close those gaps.
 */
#include "jsonx.h"

#include <json.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "http.h"

static void
put_json(void *o)
{
	json_object_put(o);
}

/* Rejects what json-c's strict mode lets through: NaN/Infinity literals
 * and single-quoted strings, found by a scan outside double quotes. */
static bool
lexically_strict(const char *s, size_t len)
{
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '\'' || c == 'N' || c == 'I' || c == 'n' ||
		    c == 'i') {
			/* null is the only bare word starting with n. */
			if (c == 'n' && len - i >= 4 &&
			    memcmp(s + i, "null", 4) == 0) {
				i += 3;
				continue;
			}
			return false;
		}
	}
	return true;
}

struct json_object *
jsonx_parse(struct arena *a, const char *body, size_t len, const char **why)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	enum json_tokener_error	 err;
	size_t			 end;

	*why = NULL;
	if (len == 0) {
		*why = "the body is empty";
		return NULL;
	}
	if (!lexically_strict(body, len)) {
		*why = "the body is not valid JSON";
		return NULL;
	}
	tok = json_tokener_new_ex(JSONX_MAX_DEPTH);
	if (tok == NULL)
		die("json_tokener_new_ex failed");
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, body, (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o != NULL)
		arena_defer(a, put_json, o);
	if (err == json_tokener_error_depth) {
		*why = "the body nests deeper than 32 levels";
		return NULL;
	}
	/* Trailing bytes other than whitespace are an error. */
	while (o != NULL && end < len && strchr(" \t\r\n", body[end]) != NULL)
		end++;
	if (o == NULL || err != json_tokener_success || end != len) {
		*why = "the body is not valid JSON";
		return NULL;
	}
	return o;
}

bool
jsonx_is_date(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	y, m, d, n = 0;
	bool	leap;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
		return false;
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

static size_t
utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static const struct jsonx_field *
field_find(const struct jsonx_field *fields, const char *name, size_t *idx)
{
	for (size_t i = 0; fields[i].name != NULL; i++)
		if (strcmp(fields[i].name, name) == 0) {
			*idx = i;
			return &fields[i];
		}
	return NULL;
}

/* An array of strings as a text[] literal: each element quoted, '"' and
 * '\\' escaped. */
static int
read_strings(struct req *r, const struct jsonx_field *f, json_object *v,
    const char **dst)
{
	size_t	 n, cap, at = 0;
	char	*out;

	if (!json_object_is_type(v, json_type_array))
		return http_invalid(r, f->name, "type",
		    "must be an array of strings");
	n = json_object_array_length(v);
	if (n > JSONX_MAX_ITEMS)
		return http_invalid(r, f->name, "too_long", arena_printf(
		    r->arena, "must have at most %d items", JSONX_MAX_ITEMS));
	cap = 3;
	for (size_t i = 0; i < n; i++) {
		json_object	*e = json_object_array_get_idx(v, i);
		const char	*s;
		size_t		 len, chars;

		if (!json_object_is_type(e, json_type_string))
			return http_invalid(r, f->name, "type",
			    "must be an array of strings");
		s = json_object_get_string(e);
		len = (size_t)json_object_get_string_len(e);
		if (strlen(s) != len || !http_utf8_ok(s, len))
			return http_invalid(r, f->name, "invalid_characters",
			    "must be UTF-8 without NUL characters");
		chars = utf8_chars(s, len);
		if ((int64_t)chars < f->min || (f->max > 0 &&
		    (int64_t)chars > f->max))
			return http_invalid(r, f->name, "item_length",
			    arena_printf(r->arena, "items must be %" PRId64
			    " to %" PRId64 " characters long", f->min,
			    f->max));
		cap += 2 * len + 3;
	}
	out = arena_alloc(r->arena, cap);
	out[at++] = '{';
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(
		    json_object_array_get_idx(v, i));

		if (i > 0)
			out[at++] = ',';
		out[at++] = '"';
		for (; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				out[at++] = '\\';
			out[at++] = *s;
		}
		out[at++] = '"';
	}
	out[at++] = '}';
	out[at] = '\0';
	*dst = out;
	return 0;
}

/* Converts one value; records a 422 and returns -1 when it does not fit. */
static int
read_value(struct req *r, const struct jsonx_field *f, json_object *v,
    const char **dst)
{
	struct arena	*a = r->arena;
	const char	*s;
	size_t		 len, n;
	int64_t		 i;

	if (v == NULL) {	/* JSON null */
		if (f->flags & JSONX_NULLABLE)
			return 0;
		return http_invalid(r, f->name, "null", "must not be null");
	}
	switch (f->type) {
	case JSONX_T_STRING:
		if (!json_object_is_type(v, json_type_string))
			return http_invalid(r, f->name, "type",
			    "must be a string");
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (strlen(s) != len || !http_utf8_ok(s, len))
			return http_invalid(r, f->name, "invalid_characters",
			    "must be UTF-8 without NUL characters");
		n = (f->flags & JSONX_BYTES) ? len : utf8_chars(s, len);
		if ((int64_t)n < f->min)
			return http_invalid(r, f->name, n == 0 ? "empty" :
			    "too_short", arena_printf(a, "must be at least "
			    "%" PRId64 " %s long", f->min, (f->flags &
			    JSONX_BYTES) ? "bytes" : "characters"));
		if (f->max > 0 && (int64_t)n > f->max)
			return http_invalid(r, f->name, "too_long",
			    arena_printf(a, "must be at most %" PRId64
			    " %s long", f->max, (f->flags & JSONX_BYTES) ?
			    "bytes" : "characters"));
		*dst = arena_strndup(a, s, len);
		return 0;
	case JSONX_T_INT:
		if (!json_object_is_type(v, json_type_int))
			return http_invalid(r, f->name, "type",
			    "must be an integer");
		i = json_object_get_int64(v);
		/* json-c clamps to INT64_MIN/MAX: the range check catches
		 * those as long as the limits are inside. */
		if (i < f->min || i > f->max)
			return http_invalid(r, f->name, "out_of_range",
			    arena_printf(a, "must be between %" PRId64
			    " and %" PRId64, f->min, f->max));
		*dst = arena_printf(a, "%" PRId64, i);
		return 0;
	case JSONX_T_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return http_invalid(r, f->name, "type",
			    "must be a boolean");
		*dst = json_object_get_boolean(v) ? "true" : "false";
		return 0;
	case JSONX_T_STRINGS:
		return read_strings(r, f, v, dst);
	case JSONX_T_DATE:
		if (!json_object_is_type(v, json_type_string) ||
		    !jsonx_is_date(json_object_get_string(v)))
			return http_invalid(r, f->name, "invalid_date",
			    "must be a date as YYYY-MM-DD");
		*dst = arena_strdup(a, json_object_get_string(v));
		return 0;
	}
	die("jsonx field %s has no type", f->name);
}

int
jsonx_read_ex(struct req *r, const char *envelope,
    const struct jsonx_field *fields, void *out, uint64_t *seen,
    unsigned opts)
{
	json_object	*root = r->json;
	uint64_t	 mask = 0;
	size_t		 idx;
	bool		 bad = false;

	if (seen != NULL)
		*seen = 0;
	if (r->body_len == 0)
		return http_invalid(r, envelope ? envelope : "body",
		    "required", "a JSON body is required");
	if (root == NULL)	/* a form on a JSON-only route */
		return http_error(r, 415, "send application/json");
	if (envelope != NULL) {
		json_object *inner;

		if (!json_object_is_type(root, json_type_object) ||
		    !json_object_object_get_ex(root, envelope, &inner) ||
		    !json_object_is_type(inner, json_type_object))
			return http_invalid(r, envelope, "required",
			    "must be a JSON object");
		root = inner;
	}
	if (!json_object_is_type(root, json_type_object))
		return http_invalid(r, "body", "type", "must be a JSON object");

	json_object_object_foreach(root, key, val) {
		const struct jsonx_field *f = field_find(fields, key, &idx);

		if (f == NULL) {
			if (opts & JSONX_IGNORE_UNKNOWN)
				continue;
			http_invalid(r, arena_strdup(r->arena, key),
			    "unknown_field", "is not a known field");
			bad = true;
			continue;
		}
		mask |= (uint64_t)1 << idx;
		if (read_value(r, f, val,
		    (const char **)((char *)out + f->offset)) < 0)
			bad = true;
	}
	for (size_t i = 0; fields[i].name != NULL; i++)
		if ((fields[i].flags & JSONX_REQUIRED) &&
		    !(mask & ((uint64_t)1 << i))) {
			http_invalid(r, fields[i].name, "required",
			    "is required");
			bad = true;
		}
	if (seen != NULL)
		*seen = mask;
	return bad ? -1 : 0;
}

int
jsonx_read(struct req *r, const struct jsonx_field *fields, void *out,
    uint64_t *seen)
{
	return jsonx_read_ex(r, NULL, fields, out, seen, 0);
}

bool
jsonx_seen(const struct jsonx_field *fields, uint64_t seen, const char *name)
{
	size_t idx;

	return field_find(fields, name, &idx) != NULL &&
	    (seen & ((uint64_t)1 << idx)) != 0;
}
