/* SPDX-License-Identifier: MIT */
/*
 * fuzz_etag.c - If-Match and If-None-Match lists (RFC 9110 13.1.1-2) as
 * app/tasks.c reads them (included here for its static parsers):
 * if_match_versions() builds the version array the write queries get,
 * etag_listed() answers If-None-Match (weak) and a PATCH without changes
 * (strong).  Input: one byte choosing the task id, then the header value.
 *
 * Checked: the array is NULL exactly for "*", else a PostgreSQL array
 * literal of at most 16 canonical versions 1..2147483647 that fits its
 * buffer; every version in it is one the strong comparison matches, and
 * while the list holds fewer than 16, every version the strong
 * comparison matches is in it; a strong match is also a weak one.
 */
#include "fuzz.h"

#include "tasks.c"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_app_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ids[] = { "42", "1", "9223372036854775807",
	    "7" };
	struct arena	*a = fuzz_arena();
	struct req	 r;
	const char	*id, *vers, *p;
	char		*h, *env[2];
	int		 count = 0;

	if (size < 1)
		return 0;
	id = ids[data[0] & 3];
	h = fuzz_cstr(data + 1, size - 1);
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "fuzz";
	env[0] = arena_printf(a, "HTTP_IF_MATCH=%s", h);
	env[1] = NULL;
	r.env = env;

	vers = if_match_versions(&r, id);
	FUZZ_CHECK((vers == NULL) == is_star(h));
	if (vers == NULL) {
		FUZZ_CHECK(etag_listed(h, "\"42.1\"", false));
		goto out;
	}
	FUZZ_CHECK(strlen(vers) < IF_MATCH_MAX * 11 + 3);
	FUZZ_CHECK(vers[0] == '{' && vers[strlen(vers) - 1] == '}');
	for (p = vers + 1; *p != '}'; ) {
		char		*end;
		long long	 v = strtoll(p, &end, 10);

		FUZZ_CHECK(*p >= '1' && *p <= '9');
		FUZZ_CHECK(v >= 1 && v <= INT32_MAX);
		FUZZ_CHECK(*end == ',' || *end == '}');
		FUZZ_CHECK(etag_listed(h, arena_printf(a, "\"%s.%lld\"", id,
		    v), false));
		count++;
		p = *end == ',' ? end + 1 : end;
	}
	FUZZ_CHECK(count <= IF_MATCH_MAX);
	/* Versions the strong comparison matches, from a few candidates. */
	for (long long v = 1; v <= 3; v++) {
		const char	*etag = arena_printf(a, "\"%s.%lld\"", id, v);
		const char	*lit = arena_printf(a, "%lld", v);
		bool		 strong = etag_listed(h, etag, false);
		size_t		 ll = strlen(lit);
		bool		 in = false;

		if (strong)
			FUZZ_CHECK(etag_listed(h, etag, true));
		for (p = vers + 1; *p != '}'; p += strcspn(p, ",}"),
		    p += *p == ',')
			if (strncmp(p, lit, ll) == 0 &&
			    (p[ll] == ',' || p[ll] == '}'))
				in = true;
		if (count < IF_MATCH_MAX)
			FUZZ_CHECK(strong == in);
	}
out:
	free(h);
	arena_reset(a);
	return 0;
}
