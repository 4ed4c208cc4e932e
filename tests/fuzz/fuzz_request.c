/* SPDX-License-Identifier: MIT */
/*
 * fuzz_request.c - a whole request as nginx hands it over FastCGI:
 * params built from the input, http_req_init(), the body as read_body()
 * leaves it, worker_dispatch() over the real route table and handlers,
 * worker_render(); PostgreSQL replaced at the db_ boundary by db_stub.c.
 * Input, as text:
 *
 *	METHOD URI
 *	Header-Name: value        (any number; "@U"/"@A" in a value become
 *	...                        a valid user/admin token)
 *	Fuzz-Db: <bytes>          (the stub's answers, fuzz_db.h)
 *	<empty line>
 *	body
 *
 * Checked: every request gets an answer; no 500 (the stub only fails with
 * 503 and 409); 503 has Retry-After; an error body is JSON in the route's
 * envelope; a 413, a 415 or a 422 (other than a wrong current_password,
 * or one decided by the one writing statement itself) never wrote; the rendered head is "Status: ..." lines without a stray
 * CR or LF.
 */
#include "fuzz.h"

#include <json.h>

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "db.h"
#include "fuzz_db.h"
#include "handlers.h"
#include "http.h"
#include "password.h"
#include "route.h"
#include "worker.h"

#define MAX_PARAMS	64

static const char	*user_token, *admin_token;
static char		 good_hash[PASSWORD_HASH_SIZE];
static struct worker_app app;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_app_init();
	fuzz_db_check();
	fuzz_tokens(&user_token, &admin_token);
	/* The password of every stub user is "correct horse". */
	if (password_hash("correct horse", 4, good_hash) < 0)
		abort();
	fuzz_db_hash(good_hash);
	app.routes = app_routes;
	app.nroutes = app_nroutes;
	app.authenticate = app_authenticate;
	app.max_body = 1 << 20;
	return 0;
}

/* s[0..n) with "@U" and "@A" replaced by tokens, NUL-terminated. */
static char *
expand(struct arena *a, const char *s, size_t n)
{
	char		*out = arena_alloc(a, n * 600 + 1), *o = out;

	for (size_t i = 0; i < n; i++)
		if (s[i] == '@' && i + 1 < n && (s[i + 1] == 'U' ||
		    s[i + 1] == 'A')) {
			const char *t = s[i + 1] == 'U' ? user_token :
			    admin_token;

			o = stpcpy(o, t);
			i++;
		} else
			*o++ = s[i];
	*o = '\0';
	return out;
}

/* "If-None-Match" -> "HTTP_IF_NONE_MATCH", as nginx names the param. */
static char *
param_name(struct arena *a, const char *name, size_t n)
{
	char *p = arena_alloc(a, n + 6), *o;

	o = stpcpy(p, "HTTP_");
	for (size_t i = 0; i < n; i++)
		*o++ = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	*o = '\0';
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	*a = fuzz_arena();
	const char	*s = (const char *)data, *end = s + size, *line, *nl;
	const char	*sp, *out, *body = NULL;
	char		*env[MAX_PARAMS + 1], *heap_body = NULL;
	size_t		 n = 0, len, body_len = 0;
	struct req	 r;
	bool		 writes_ok;

	fuzz_db_script(NULL, 0);
	/* The request line. */
	nl = memchr(s, '\n', size);
	line = s;
	len = nl ? (size_t)(nl - s) : size;
	sp = memchr(line, ' ', len);
	env[n++] = arena_printf(a, "REQUEST_METHOD=%s", expand(a, line,
	    sp ? (size_t)(sp - line) : len));
	if (sp != NULL)
		env[n++] = arena_printf(a, "REQUEST_URI=%s", expand(a, sp + 1,
		    len - (size_t)(sp + 1 - line)));
	s = nl ? nl + 1 : end;
	/* Headers up to an empty line. */
	while (s < end) {
		const char *colon, *v;

		nl = memchr(s, '\n', (size_t)(end - s));
		len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		if (len == 0) {
			body = s + 1;
			body_len = (size_t)(end - body);
			break;
		}
		colon = memchr(s, ':', len);
		if (colon != NULL && n < MAX_PARAMS - 2) {
			size_t	 nlen = (size_t)(colon - s);
			char	*name = param_name(a, s, nlen);

			v = colon + 1;
			while (v < s + len && *v == ' ')
				v++;
			if (strcmp(name, "HTTP_FUZZ_DB") == 0)
				fuzz_db_script((const uint8_t *)v,
				    (size_t)(s + len - v));
			else if (strcmp(name, "HTTP_CONTENT_TYPE") == 0)
				env[n++] = arena_printf(a, "CONTENT_TYPE=%s",
				    expand(a, v, (size_t)(s + len - v)));
			else if (strcmp(name, "HTTP_CONTENT_LENGTH") != 0)
				env[n++] = arena_printf(a, "%s=%s", name,
				    expand(a, v, (size_t)(s + len - v)));
		}
		s = nl ? nl + 1 : end;
	}
	if (body != NULL && body_len > 0)
		env[n++] = arena_printf(a, "CONTENT_LENGTH=%zu", body_len);
	env[n] = NULL;

	http_req_init(&r, a, env);
	if (r.err_status == 0 && body != NULL && body_len > 0) {
		/* As read_body() leaves it: its own buffer, NUL after. */
		heap_body = fuzz_cstr((const uint8_t *)body, body_len);
		r.body = heap_body;
		r.body_len = body_len;
	}
	worker_dispatch(&app, &r);
	db_request_end();
	out = worker_render(&r, &len);

	if (getenv("FUZZ_VERBOSE") != NULL)	/* to see what seeds do */
		fprintf(stderr, "fuzz_request: %s %s -> %d, %u db calls\n",
		    r.method, r.path, r.status, fuzz_db_calls);
	FUZZ_CHECK(r.status >= 200 && r.status <= 599);
	FUZZ_CHECK(r.status != 500);
	FUZZ_CHECK(r.status < 500 || r.status == 503);
	if (r.status == 503)
		FUZZ_CHECK(r.resp_headers != NULL &&
		    strstr(r.resp_headers, "Retry-After: ") != NULL);
	if (r.status >= 400) {
		char		*copy = fuzz_cstr((const uint8_t *)r.resp_body,
				    r.resp_len);
		json_object	*o = json_tokener_parse(copy);

		FUZZ_CHECK(o != NULL &&
		    json_object_is_type(o, json_type_object));
		json_object_put(o);
		free(copy);
	}
	/* A 415 may come from a handler after the authenticate hook read
	 * the user row (a form on a JSON-only route): reads, no writes. */
	if (r.status == 413 || r.status == 415)
		FUZZ_CHECK(fuzz_db_writes == 0);
	writes_ok = true;
	for (size_t i = 0; i < r.nerrors; i++)
		if (strcmp(r.errors[i].field, "current_password") == 0)
			writes_ok = false;
	/* ... except a 422 that the one writing statement decided itself
	 * (profile_follow: "that is you", and nothing written). */
	if (r.status == 422 && writes_ok)
		FUZZ_CHECK(fuzz_db_writes == 0 ||
		    (fuzz_db_writes == 1 && fuzz_db_last_wrote));
	/* The head: "Name: value\r\n" lines, then an empty line. */
	FUZZ_CHECK(len > 8 && memcmp(out, "Status: ", 8) == 0);
	{
		const char *h = out, *hend;

		while ((hend = memmem(h, (size_t)(out + len - h), "\r\n", 2))
		    != NULL && hend != h) {
			FUZZ_CHECK(memchr(h, '\n', (size_t)(hend - h)) == NULL);
			FUZZ_CHECK(memchr(h, '\r', (size_t)(hend - h)) == NULL);
			FUZZ_CHECK(memchr(h, ':', (size_t)(hend - h)) != NULL);
			h = hend + 2;
		}
		FUZZ_CHECK(hend != NULL);
	}
	free(heap_body);
	arena_reset(a);
	return 0;
}
