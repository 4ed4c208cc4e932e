/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.c - helpers linked into every fuzz target (fuzz.h).
 */
#include "fuzz.h"

#include <json.h>

#include <string.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "config.h"
#include "handlers.h"
#include "http.h"
#include "log.h"

static char fuzz_key_bytes[] = "fuzz-key-0123456789abcdef-0123456789";

struct arena *
fuzz_arena(void)
{
	static struct arena *a;

	if (a == NULL)
		a = arena_new(4096);
	return a;
}

char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

const struct auth_key *
fuzz_key(void)
{
	static struct auth_key k;

	k.bytes = (const unsigned char *)fuzz_key_bytes;
	k.len = strlen(fuzz_key_bytes);
	k.max_ttl = 1800;
	return &k;
}

void
fuzz_tokens(const char **user, const char **admin)
{
	static struct arena *keep;

	if (keep == NULL)
		keep = arena_new(4096);
	if (auth_issue(fuzz_key(), "42", "user", 1, time(NULL), 1800, keep,
	    user) < 0 ||
	    auth_issue(fuzz_key(), "7", "admin", 3, time(NULL), 1800, keep,
	    admin) < 0)
		abort();
}

void
fuzz_app_init(void)
{
	static struct config c;

	log_init(LOG_ERR - 1);		/* nothing: libFuzzer owns stderr */
	c.jwt_key = fuzz_key_bytes;
	c.jwt_key_len = strlen(fuzz_key_bytes);
	c.token_ttl = 1800;
	c.refresh_ttl = 3600;
	c.bcrypt_cost = 4;		/* PASSWORD_COST_MIN: fast */
	if (app_auth_init(&c) < 0)
		abort();
}

void
fuzz_check_problem(struct req *r, int status)
{
	json_object	*o, *st;

	FUZZ_CHECK(http_fail(r) == status && r->status == status);
	o = json_tokener_parse(r->resp_body);
	FUZZ_CHECK(o != NULL);
	if (r->envelope == HTTP_ENV_PROBLEM)
		FUZZ_CHECK(json_object_object_get_ex(o, "status", &st) &&
		    json_object_get_int(st) == status);
	json_object_put(o);
}
