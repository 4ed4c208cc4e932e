/* SPDX-License-Identifier: MIT */
/*
 * fuzz_authz.c - the Authorization header: auth_bearer() and the worker's
 * authenticate hook app_authenticate() (app/auth.c) for each route level,
 * with and without ROUTE_TOKEN_ONLY, the user row from the db_ stub.
 * Input: a flags byte (bits 0-1 the level: optional, user, admin; bit 2
 * ROUTE_TOKEN_ONLY; bit 3 no header at all), one byte for the stub, then
 * the header value, in which "@U" and "@A" are replaced by a valid token
 * of a user and of an admin (a fuzzer cannot forge HS256).
 *
 * Checked: auth_bearer() returns a non-empty suffix after a Bearer/Token
 * scheme or NULL; the hook succeeds only with a verified identity (user
 * id canonical, a version, admin role for admin routes) or anonymously on
 * optional routes, and fails only with 401, 403 or the stub's 503.
 */
#include "fuzz.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "fuzz_db.h"
#include "handlers.h"
#include "http.h"
#include "route.h"

static const char *user_token, *admin_token;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_app_init();
	fuzz_tokens(&user_token, &admin_token);
	return 0;
}

/* s with every "@U" and "@A" replaced by a token. */
static char *
expand(struct arena *a, const char *s)
{
	char	*out = arena_strdup(a, "");
	const char *at;

	while ((at = strchr(s, '@')) != NULL) {
		const char *t = at[1] == 'U' ? user_token : at[1] == 'A' ?
		    admin_token : NULL;

		out = arena_printf(a, "%s%.*s%s", out, (int)(at - s), s,
		    t ? t : "@");
		s = at + (t ? 2 : 1);
	}
	return arena_printf(a, "%s%s", out, s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int levels[] = { ROUTE_OPTIONAL, ROUTE_USER, ROUTE_ADMIN,
	    ROUTE_USER };
	struct arena	*a = fuzz_arena();
	struct route	 rt = { "GET", "/x", NULL, ROUTE_USER, 0, 0, "x" };
	struct req	 r;
	char		*s, *env[2];
	const char	*hdr, *tok;
	int		 level, rc;

	if (size < 2)
		return 0;
	level = levels[data[0] & 3];
	rt.auth = (enum route_auth)level;
	rt.flags = data[0] & 4 ? ROUTE_TOKEN_ONLY : 0;
	fuzz_db_script(data + 1, 1);
	s = fuzz_cstr(data + 2, size - 2);
	hdr = expand(a, s);

	tok = auth_bearer(hdr);
	if (tok != NULL) {
		FUZZ_CHECK(tok > hdr && tok < hdr + strlen(hdr));
		FUZZ_CHECK(*tok != '\0' && *tok != ' ');
		FUZZ_CHECK(strncasecmp(hdr, "Bearer ", 7) == 0 ||
		    strncasecmp(hdr, "Token ", 6) == 0);
	}

	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "fuzz";
	r.route = &rt;
	env[0] = data[0] & 8 ? NULL : arena_printf(a, "HTTP_AUTHORIZATION=%s",
	    hdr);
	env[1] = NULL;
	r.env = env;
	rc = app_authenticate(&r, level);
	if (rc == 0) {
		FUZZ_CHECK(r.err_status == 0);
		if (r.user_id == NULL)
			FUZZ_CHECK(level == ROUTE_OPTIONAL);
		else {
			FUZZ_CHECK(tok != NULL && route_is_id(r.user_id));
			FUZZ_CHECK(r.role != NULL && r.token_ver != NULL);
			FUZZ_CHECK(strtol(r.token_ver, NULL, 10) >= 1);
		}
		if (level == ROUTE_ADMIN)
			FUZZ_CHECK(strcmp(r.role, "admin") == 0);
	} else {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(r.err_status == 401 || r.err_status == 403 ||
		    r.err_status == 503);
		FUZZ_CHECK(level != ROUTE_OPTIONAL || r.err_status == 503);
		fuzz_check_problem(&r, r.err_status);
	}
	free(s);
	arena_reset(a);
	return 0;
}
