/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_nginx_conf.c - the production site (nginx/quetzal.conf)
 * and the template of `make run` and the tests (nginx/dev.conf.in) cache
 * the Conduit reads alike (SPEC 4.5): the same fastcgi_cache_* lines, the
 * same maps choosing what is cacheable, the same location.  The behaviour
 * itself is proven against the template by tests/e2e/test_conduit_cache.c;
 * this keeps the production site in step with it.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lines of `file` that contain one of `needles`, whitespace
 * squeezed, in order, joined by '\n'; malloc'd. */
static char *
lines_with(const char *file, const char *const *needles)
{
	const char	*root = getenv("QUETZAL_TEST_ROOT");
	char		 path[4096], line[1024], *out;
	size_t		 len = 0, cap = 65536;
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", root ? root : ".", file);
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	out = calloc(1, cap);
	while (fgets(line, sizeof(line), f) != NULL) {
		char	 squeezed[1024];
		size_t	 n = 0;
		bool	 hit = false, space = true;

		if (line[strspn(line, " \t")] == '#')
			continue;
		for (size_t i = 0; needles[i] != NULL && !hit; i++)
			hit = strstr(line, needles[i]) != NULL;
		if (!hit)
			continue;
		for (char *p = line; *p != '\0' && *p != '\n'; p++) {
			bool ws = *p == ' ' || *p == '\t';

			if (ws && space)
				continue;
			squeezed[n++] = ws ? ' ' : *p;
			space = ws;
		}
		squeezed[n] = '\0';
		cr_assert_lt(len + n + 2, cap);
		len += (size_t)sprintf(out + len, "%s\n", squeezed);
	}
	fclose(f);
	return out;
}

Test(nginx_conf, production_and_dev_cache_the_same_conduit_reads)
{
	static const char *const needles[] = { "fastcgi_cache", "quetzal_no_cache",
	    "quetzal_conduit_read", "\"1:\"", "(GET|HEAD) /api/",
	    "location ~ ^/api/(articles", NULL };
	char *prod = lines_with("nginx/quetzal.conf", needles);
	char *dev = lines_with("nginx/dev.conf.in", needles);
	/* the cache directory differs, nothing else */
	char *p = strstr(prod, "fastcgi_cache_path "), *d = strstr(dev,
	    "fastcgi_cache_path ");

	cr_assert_not_null(p);
	cr_assert_not_null(d);
	memmove(p, strchr(p, '\n'), strlen(strchr(p, '\n')) + 1);
	memmove(d, strchr(d, '\n'), strlen(strchr(d, '\n')) + 1);
	cr_assert_not_null(strstr(prod, "fastcgi_cache_valid 200 1s;"));
	cr_assert_not_null(strstr(prod, "fastcgi_cache_lock on;"));
	cr_assert_not_null(strstr(prod, "fastcgi_cache_use_stale updating;"));
	cr_assert_not_null(strstr(prod, "fastcgi_cache_bypass $quetzal_no_cache;"));
	cr_assert_str_eq(prod, dev);
	free(prod);
	free(dev);
}
