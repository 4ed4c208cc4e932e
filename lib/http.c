/* SPDX-License-Identifier: MIT */
/*
 * http.c - request parsing, error recording and response building.  No I/O:
 * the worker feeds FastCGI params in and writes r->resp out.  Error bodies
 * are built with json-c so that every string is escaped correctly.
 */
#include "http.h"

#include <json.h>
#include <openssl/rand.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default:  return "Unknown";
	}
}

void
http_new_request_id(char buf[33])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 raw[16];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		die("RAND_bytes failed");
	for (size_t i = 0; i < sizeof(raw); i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[32] = '\0';
}

const char *
http_param(const struct req *r, const char *name)
{
	size_t n = strlen(name);

	if (r->env == NULL)
		return NULL;
	for (char **e = r->env; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

bool
http_utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned char	c = *p;
		size_t		n;
		uint32_t	cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		if ((size_t)(end - p) <= n)
			return false;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		p += n + 1;
	}
	return true;
}

int
http_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX (and '+' as a space when `plus`) of s[0..len) into an arena
 * string; NULL when an escape is broken or the result is not UTF-8 without
 * NUL bytes. */
static char *
url_decode(struct arena *a, const char *s, size_t len, bool plus)
{
	char	*out = arena_alloc(a, len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		if (plus && s[i] == '+')
			*o++ = ' ';
		else if (s[i] == '%') {
			int hi, lo;

			if (len - i < 3)
				return NULL;
			hi = http_hexval((unsigned char)s[i + 1]);
			lo = http_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	if (!http_utf8_ok(out, (size_t)(o - out)))
		return NULL;
	return out;
}

int
http_form_decode(struct arena *a, const char *s, size_t len,
    struct http_pair **out)
{
	struct http_pair	*pairs;
	size_t			 cap = 1, n = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '&')
			cap++;
	pairs = arena_alloc(a, cap * sizeof(*pairs));
	for (size_t i = 0; i < len;) {
		const char	*seg = s + i, *amp, *eq;
		size_t		 seglen;

		amp = memchr(seg, '&', len - i);
		seglen = amp ? (size_t)(amp - seg) : len - i;
		i += seglen + 1;
		if (seglen == 0)
			continue;	/* "a=1&&b=2" */
		eq = memchr(seg, '=', seglen);
		if (eq == NULL) {
			pairs[n].name = url_decode(a, seg, seglen, true);
			pairs[n].value = "";
		} else {
			pairs[n].name = url_decode(a, seg, (size_t)(eq - seg), true);
			pairs[n].value = url_decode(a, eq + 1,
			    seglen - (size_t)(eq - seg) - 1, true);
		}
		if (pairs[n].name == NULL || pairs[n].value == NULL)
			return -1;
		n++;
	}
	*out = pairs;
	return (int)n;
}

const char *
http_pairs_get(const struct http_pair *p, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return p[i].value;
	return NULL;
}

int
http_query(struct req *r, const char *name, const char **out)
{
	struct http_pair	*pairs;
	int			 n;

	*out = NULL;
	/* Decoded once per request: by http_req_init, else (a struct req
	 * made by hand, as in tests) at the first parameter asked for. */
	if (r->nquery == 0) {
		n = http_form_decode(r->arena, r->query, strlen(r->query),
		    &pairs);
		r->query_pairs = pairs;
		r->nquery = n < 0 ? -1 : n + 1;
	}
	if (r->nquery < 0)
		return http_error(r, 400, "the query string is not decodable");
	*out = http_pairs_get(r->query_pairs, r->nquery - 1, name);
	return 0;
}

const char *
http_path_param(const struct req *r, size_t i)
{
	return i < r->npath_params ? r->path_params[i] : NULL;
}

int
http_req_init(struct req *r, struct arena *a, char **env)
{
	const char	*uri, *q, *rid;
	char		 idbuf[33];

	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->env = env;
	/* Copied: the log line is written after FCGX_Finish_r frees env. */
	r->method = arena_strdup(a, http_param(r, "REQUEST_METHOD") ?
	    http_param(r, "REQUEST_METHOD") : "GET");
	if (strcmp(r->method, "HEAD") == 0) {
		r->is_head = true;
		r->method = "GET";
	}
	/* nginx's $request_id is 32 hex digits; anything else is replaced
	 * so that a client cannot put text of its choice into our logs. */
	rid = http_param(r, "REQUEST_ID");
	if (rid != NULL && strlen(rid) >= 8 && strlen(rid) <= 64 &&
	    strspn(rid, "0123456789abcdefABCDEF-") == strlen(rid))
		r->request_id = arena_strdup(a, rid);
	else {
		http_new_request_id(idbuf);
		r->request_id = arena_strdup(a, idbuf);
	}
	r->content_type = http_param(r, "CONTENT_TYPE");
	if (r->content_type != NULL && *r->content_type == '\0')
		r->content_type = NULL;

	uri = http_param(r, "REQUEST_URI");
	if (uri == NULL)
		uri = http_param(r, "DOCUMENT_URI");
	if (uri == NULL)
		uri = "/";
	q = strchr(uri, '?');
	r->query = q ? q + 1 : "";
	r->path = url_decode(a, uri, q ? (size_t)(q - uri) : strlen(uri),
	    false);
	r->body = "";
	if (r->path == NULL || r->path[0] != '/') {
		r->path = "/";
		return http_error(r, 400, "the request path is not decodable");
	}
	/* Every route, whether it reads the query or not: a query that does
	 * not decode is a 400 on /healthz as on /api/v1/tasks. */
	if (r->query[0] != '\0') {
		struct http_pair	*pairs;
		int			 n;

		n = http_form_decode(a, r->query, strlen(r->query), &pairs);
		if (n < 0) {
			r->nquery = -1;
			return http_error(r, 400, "the query string is not "
			    "decodable");
		}
		r->query_pairs = pairs;	/* kept for http_query */
		r->nquery = n + 1;
	}
	return 0;
}

static void
record_status(struct req *r, int status)
{
	if (r->err_status == 0)
		r->err_status = status;
}

int
http_error(struct req *r, int status, const char *fmt, ...)
{
	va_list ap;

	if (r->err_status != 0)
		return -1;
	r->err_status = status;
	va_start(ap, fmt);
	r->err_detail = arena_vprintf(r->arena, fmt, ap);
	va_end(ap);
	return -1;
}

int
http_invalid(struct req *r, const char *field, const char *code,
    const char *message)
{
	record_status(r, 422);
	if (r->err_status != 422 || r->nerrors == HTTP_MAX_ERRORS)
		return -1;
	r->errors[r->nerrors].field = field;
	r->errors[r->nerrors].code = code;
	r->errors[r->nerrors].message = message;
	r->nerrors++;
	return -1;
}

int
http_oauth_error(struct req *r, int status, const char *code,
    const char *description)
{
	if (r->err_status != 0)
		return -1;
	r->err_status = status;
	r->err_code = code;
	r->err_detail = description;
	return -1;
}

void
http_header(struct req *r, const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	*v, *line;
	size_t	 old, nlen, vlen;

	va_start(ap, fmt);
	if (strcmp(fmt, "%s") == 0) {	/* the usual case, without printf */
		const char *s = va_arg(ap, const char *);

		v = arena_strdup(r->arena, s != NULL ? s : "(null)");
	} else
		v = arena_vprintf(r->arena, fmt, ap);
	va_end(ap);
	for (char *p = v; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	old = r->resp_headers ? r->resp_headers_len : 0;
	nlen = strlen(name);
	vlen = strlen(v);
	line = arena_alloc(r->arena, old + nlen + vlen + 5);
	if (old > 0)
		memcpy(line, r->resp_headers, old);
	memcpy(line + old, name, nlen);
	memcpy(line + old + nlen, ": ", 2);
	memcpy(line + old + nlen + 2, v, vlen);
	memcpy(line + old + nlen + 2 + vlen, "\r\n", 3);
	r->resp_headers = line;
	r->resp_headers_len = old + nlen + vlen + 4;
}

int
http_send(struct req *r, int status, const char *type, const char *body,
    size_t len)
{
	r->status = status;
	r->resp_type = type;
	r->resp_body = body;
	r->resp_len = len;
	return status;
}

int
http_send_json(struct req *r, int status, const char *json)
{
	return http_send(r, status, "application/json", json, strlen(json));
}

int
http_send_empty(struct req *r, int status)
{
	return http_send(r, status, NULL, "", 0);
}

static void
put_json(void *o)
{
	json_object_put(o);
}

static int
send_object(struct req *r, int status, const char *type, json_object *o)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return http_send(r, status, type, s, len);
}

static const char *
default_detail(int status)
{
	switch (status) {
	case 401: return "authentication required";
	case 403: return "not allowed";
	case 404: return "not found";
	case 422: return "the request is not valid";
	case 503: return "the database is unavailable, retry shortly";
	case 500: return "internal error";
	default:  return http_reason(status);
	}
}

int
http_fail(struct req *r)
{
	json_object	*o, *list;
	int		 status = r->err_status ? r->err_status : 500;
	const char	*detail = r->err_detail ? r->err_detail :
			    default_detail(status);

	o = json_object_new_object();
	arena_defer(r->arena, put_json, o);
	if (status == 503 && (r->resp_headers == NULL ||
	    strstr(r->resp_headers, "Retry-After:") == NULL))
		http_header(r, "Retry-After", "1");
	if (status == 401 && r->envelope != HTTP_ENV_OAUTH)
		http_header(r, "WWW-Authenticate", "Bearer");

	switch (r->envelope) {
	case HTTP_ENV_OAUTH:
		json_object_object_add(o, "error", json_object_new_string(
		    r->err_code ? r->err_code : "invalid_request"));
		json_object_object_add(o, "error_description",
		    json_object_new_string(detail));
		return send_object(r, status, "application/json", o);
	case HTTP_ENV_REALWORLD:
		list = json_object_new_array();
		if (r->nerrors > 0)
			for (size_t i = 0; i < r->nerrors; i++)
				json_object_array_add(list,
				    json_object_new_string(arena_printf(
				    r->arena, "%s %s", r->errors[i].field,
				    r->errors[i].message)));
		else
			json_object_array_add(list,
			    json_object_new_string(detail));
		{
			json_object *errs = json_object_new_object();

			json_object_object_add(errs, "body", list);
			/* Also keyed by field, as RealWorld back ends answer
			 * ({"email":["has already been taken"]}); "body" is
			 * the list above. */
			for (size_t i = 0; i < r->nerrors; i++) {
				const char	*f = r->errors[i].field;
				json_object	*fl;

				if (strcmp(f, "body") == 0)
					continue;
				if (!json_object_object_get_ex(errs, f, &fl)) {
					fl = json_object_new_array();
					json_object_object_add(errs, f, fl);
				}
				json_object_array_add(fl,
				    json_object_new_string(
				    r->errors[i].message));
			}
			json_object_object_add(o, "errors", errs);
		}
		return send_object(r, status, "application/json", o);
	case HTTP_ENV_PROBLEM:
	default:
		json_object_object_add(o, "type",
		    json_object_new_string("about:blank"));
		json_object_object_add(o, "title",
		    json_object_new_string(http_reason(status)));
		json_object_object_add(o, "status", json_object_new_int(status));
		json_object_object_add(o, "detail",
		    json_object_new_string(detail));
		json_object_object_add(o, "request_id",
		    json_object_new_string(r->request_id ? r->request_id : ""));
		if (r->nerrors > 0) {
			list = json_object_new_array();
			for (size_t i = 0; i < r->nerrors; i++) {
				json_object *e = json_object_new_object();

				json_object_object_add(e, "field",
				    json_object_new_string(r->errors[i].field));
				json_object_object_add(e, "code",
				    json_object_new_string(r->errors[i].code));
				json_object_object_add(e, "message",
				    json_object_new_string(
				    r->errors[i].message));
				json_object_array_add(list, e);
			}
			json_object_object_add(o, "errors", list);
		}
		return send_object(r, status, "application/problem+json", o);
	}
}

/* "application/json; charset=utf-8" -> true for "application/json". */
static bool
media_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	if (strncasecmp(ct, want, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (*ct == '\0')
		return true;
	if (*ct != ';')
		return false;
	/* Only charset=utf-8 is accepted as a parameter. */
	ct++;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return strncasecmp(ct, "charset=", 8) == 0 &&
	    (strcasecmp(ct + 8, "utf-8") == 0 ||
	    strcasecmp(ct + 8, "\"utf-8\"") == 0);
}

int
http_body_kind(struct req *r, bool form_ok)
{
	const char *ct = r->content_type;

	if (ct != NULL && media_is(ct, "application/json"))
		return 1;
	if (form_ok && ct != NULL &&
	    media_is(ct, "application/x-www-form-urlencoded"))
		return 2;
	return http_error(r, 415, form_ok ?
	    "send application/json or application/x-www-form-urlencoded" :
	    "send application/json");
}
