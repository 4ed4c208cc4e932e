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

/*
 * The RFC 8259 grammar, checked before json-c sees the bytes, because json-c
 * 0.16 in strict mode still takes single quotes, NaN and Infinity, numbers
 * such as 1. and -01, raw control characters inside strings, and stops at a
 * NUL byte.  Iterative, so no input can grow the C stack; the depth it
 * follows is bounded by the bits of `stack` (json-c enforces the real
 * limit).  Returns 0, 400 (not JSON) or 422 (JSON whose strings are not
 * Unicode text we can store: a lone surrogate, or a member name with
 * \u0000, which json-c would cut short); *why says which.
 */
#define SCAN_MAX_DEPTH	64

/* Reads \uXXXX at s[i] (s[i] == 'u'); -1 when not four hex digits. */
static long
scan_u4(const char *s, size_t len, size_t i)
{
	long v = 0;

	if (len - i < 5)
		return -1;
	for (size_t k = 1; k <= 4; k++) {
		int h = http_hexval((unsigned char)s[i + k]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Scans the string at s[*ip] == '"'; leaves *ip after the closing quote.
 * Returns 0, 400 or 422 as jsonx_scan. */
static int
scan_string(const char *s, size_t len, size_t *ip, bool key,
    const char **why)
{
	size_t	i = *ip + 1;
	int	rc = 0;

	for (;;) {
		unsigned char c;

		if (i >= len) {
			*why = "the body is not valid JSON";
			return 400;
		}
		c = (unsigned char)s[i];
		if (c == '"')
			break;
		if (c < 0x20) {
			*why = "the body has a control character inside a "
			    "string";
			return 400;
		}
		if (c != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= len) {
			*why = "the body is not valid JSON";
			return 400;
		}
		c = (unsigned char)s[i + 1];
		if (c == 'u') {
			long u = scan_u4(s, len, i + 1);

			if (u < 0) {
				*why = "the body is not valid JSON";
				return 400;
			}
			i += 6;
			if (u == 0 && key && rc == 0) {
				*why = "a member name contains \\u0000";
				rc = 422;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				if (rc == 0)
					*why = "a string contains a lone "
					    "surrogate (\\udc00-\\udfff)";
				rc = 422;
			} else if (u >= 0xd800 && u <= 0xdbff) {
				long lo = -1;

				if (len - i >= 6 && s[i] == '\\' &&
				    s[i + 1] == 'u')
					lo = scan_u4(s, len, i + 1);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					i += 6;
				} else if (lo == -1 && len - i >= 2 &&
				    s[i] == '\\' && s[i + 1] == 'u') {
					*why = "the body is not valid JSON";
					return 400;
				} else {
					if (rc == 0)
						*why = "a string contains a "
						    "lone surrogate "
						    "(\\ud800-\\udbff)";
					rc = 422;
				}
			}
			continue;
		}
		if (c == '\0' || strchr("\"\\/bfnrt", c) == NULL) {
			*why = "the body is not valid JSON";
			return 400;
		}
		i += 2;
	}
	*ip = i + 1;
	return rc;
}

/* number = [ "-" ] ( "0" / digit1-9 *DIGIT ) [ "." 1*DIGIT ]
 *          [ ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT ] */
static bool
scan_number(const char *s, size_t len, size_t *ip)
{
	size_t i = *ip;

#define DIGIT(k) ((k) < len && s[k] >= '0' && s[k] <= '9')
	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (DIGIT(i))
		while (DIGIT(i))
			i++;
	else
		return false;
	if (i < len && s[i] == '.') {
		i++;
		if (!DIGIT(i))
			return false;
		while (DIGIT(i))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!DIGIT(i))
			return false;
		while (DIGIT(i))
			i++;
	}
	/* A value ends at a delimiter: "01" and "1x" are not numbers. */
	if (i < len && s[i] != ',' && s[i] != ']' && s[i] != '}' &&
	    s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
		return false;
#undef DIGIT
	*ip = i;
	return true;
}

static size_t
skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	return i;
}

int
jsonx_scan(const char *s, size_t len, const char **why)
{
	static const char	*bad = "the body is not valid JSON";
	uint64_t		 stack = 0;	/* bit set: an object */
	int			 depth = 0, rc = 0, r;
	size_t			 i = 0;

	*why = NULL;
	for (;;) {
		/* A value is expected at s[i]. */
		i = skip_ws(s, len, i);
		if (i >= len)
			goto fail;
		switch (s[i]) {
		case '{':
		case '[':
			if (depth == SCAN_MAX_DEPTH) {
				*why = "the body nests deeper than 32 levels";
				return 400;
			}
			if (s[i] == '{')
				stack |= (uint64_t)1 << depth;
			else
				stack &= ~((uint64_t)1 << depth);
			depth++;
			i = skip_ws(s, len, i + 1);
			if (i < len && (s[i] == '}' || s[i] == ']')) {
				bool obj = stack >> (depth - 1) & 1;

				if (s[i] != (obj ? '}' : ']'))
					goto fail;
				depth--;
				i++;
				goto after_value;
			}
			if (stack >> (depth - 1) & 1)
				goto member;
			continue;
		case '"': {
			const char *w = NULL;

			r = scan_string(s, len, &i, false, &w);
			if (r == 400) {
				*why = w;
				return 400;
			}
			if (r != 0 && rc == 0) {
				rc = r;
				*why = w;
			}
			goto after_value;
		}
		case 't':
			if (len - i < 4 || memcmp(s + i, "true", 4) != 0)
				goto fail;
			i += 4;
			goto after_value;
		case 'f':
			if (len - i < 5 || memcmp(s + i, "false", 5) != 0)
				goto fail;
			i += 5;
			goto after_value;
		case 'n':
			if (len - i < 4 || memcmp(s + i, "null", 4) != 0)
				goto fail;
			i += 4;
			goto after_value;
		default:
			if (!scan_number(s, len, &i))
				goto fail;
			goto after_value;
		}
member:
		/* A member name and its colon, then the value. */
		i = skip_ws(s, len, i);
		if (i >= len || s[i] != '"')
			goto fail;
		{
			const char *w = NULL;

			r = scan_string(s, len, &i, true, &w);
			if (r == 400) {
				*why = w;
				return 400;
			}
			if (r != 0 && rc == 0) {
				rc = r;
				*why = w;
			}
		}
		i = skip_ws(s, len, i);
		if (i >= len || s[i] != ':')
			goto fail;
		i++;
		continue;
after_value:
		i = skip_ws(s, len, i);
		if (depth == 0) {
			if (i != len)
				goto fail;
			if (rc == 0)
				*why = NULL;
			return rc;
		}
		if (i >= len)
			goto fail;
		if (s[i] == ',') {
			i++;
			if (stack >> (depth - 1) & 1)
				goto member;
			continue;
		}
		if (s[i] != ((stack >> (depth - 1) & 1) ? '}' : ']'))
			goto fail;
		depth--;
		i++;
		goto after_value;
	}
fail:
	*why = bad;
	return 400;
}

struct json_object *
jsonx_parse_ex(struct arena *a, const char *body, size_t len,
    const char **why, int *status)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	enum json_tokener_error	 err;
	size_t			 end;
	int			 rc;

	*why = NULL;
	*status = 400;
	if (len == 0) {
		*why = "the body is empty";
		return NULL;
	}
	rc = jsonx_scan(body, len, why);
	if (rc != 0) {
		*status = rc;
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
	/* Trailing bytes other than whitespace are an error (the scan has
	 * seen them already; json-c must agree on where the value ends). */
	while (o != NULL && end < len && (body[end] == ' ' ||
	    body[end] == '\t' || body[end] == '\r' || body[end] == '\n'))
		end++;
	if (o == NULL || err != json_tokener_success || end != len) {
		*why = "the body is not valid JSON";
		return NULL;
	}
	return o;
}

struct json_object *
jsonx_parse(struct arena *a, const char *body, size_t len, const char **why)
{
	int status;

	return jsonx_parse_ex(a, body, len, why, &status);
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
