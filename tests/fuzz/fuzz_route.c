/* SPDX-License-Identifier: MIT */
/*
 * fuzz_route.c - the request line as http_req_init() reads it (method,
 * %-decoded path, query) and route_match() over the real route table
 * (app/routes.c), {id} included.  Input: "<method>\n<request URI>".
 *
 * Checked: a match with {id} in the pattern hands the handler a canonical
 * positive int64 (route_is_id agrees with strtoll on every input); a 405
 * names the allowed methods; path parameters stay within bounds.
 */
#include "fuzz.h"

#include <errno.h>
#include <string.h>

#include "arena.h"
#include "handlers.h"
#include "http.h"
#include "route.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_app_init();
	return 0;
}

/* route_is_id written another way: strtoll and a round trip. */
static bool
is_id_ref(const char *s)
{
	char		 buf[32], *end;
	long long	 v;

	if (*s < '1' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return false;
	snprintf(buf, sizeof(buf), "%lld", v);
	return strcmp(buf, s) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena		*a = fuzz_arena();
	const struct route	*rt = NULL;
	struct req		 r;
	char			*s = fuzz_cstr(data, size), *nl, *env[3];
	char			 allow[128];
	int			 m;

	FUZZ_CHECK(route_is_id(s) == is_id_ref(s));
	nl = strchr(s, '\n');
	env[0] = arena_printf(a, "REQUEST_METHOD=%.*s",
	    nl ? (int)(nl - s) : 0, s);
	env[1] = arena_printf(a, "REQUEST_URI=%s", nl ? nl + 1 : s);
	env[2] = NULL;
	if (http_req_init(&r, a, env) < 0) {
		/* An undecodable path routes nowhere ("/"); an undecodable
		 * query keeps its (decoded, UTF-8) path for the log line:
		 * either way a 400 that no handler sees. */
		FUZZ_CHECK(r.err_status == 400 && r.path[0] == '/');
		FUZZ_CHECK(http_utf8_ok(r.path, strlen(r.path)));
		FUZZ_CHECK(strcmp(r.path, "/") == 0 || r.nquery == -1);
		goto out;
	}
	FUZZ_CHECK(r.path[0] == '/' && r.query != NULL);
	FUZZ_CHECK(http_utf8_ok(r.path, strlen(r.path)));
	m = route_match(app_routes, app_nroutes, r.method, r.path, &r, &rt,
	    allow, sizeof(allow));
	FUZZ_CHECK(m >= -1 && m <= 1);
	FUZZ_CHECK(r.npath_params <= HTTP_MAX_PATH_PARAMS);
	if (m == 1) {
		FUZZ_CHECK(rt != NULL && strcmp(rt->method, r.method) == 0);
		if (strstr(rt->pattern, "{id}") != NULL) {
			FUZZ_CHECK(r.npath_params == 1);
			FUZZ_CHECK(route_is_id(http_path_param(&r, 0)));
			FUZZ_CHECK(is_id_ref(http_path_param(&r, 0)));
		}
	} else {
		FUZZ_CHECK(r.npath_params == 0);
		FUZZ_CHECK((m == -1) == (allow[0] != '\0'));
		FUZZ_CHECK(strlen(allow) < sizeof(allow));
	}
out:
	free(s);
	arena_reset(a);
	return 0;
}
