/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_conduit_cache.c - nginx's micro-cache of the Conduit
 * API's anonymous reads (SPEC 4.5; nginx/dev.conf.in, the production site
 * has the same directives): an anonymous read within the window is
 * answered from the cache (a change made behind the API's back does not
 * show), a request with a token never is, and a write through the API is
 * visible to anonymous readers once the window has passed.  The window is
 * about a second; the only timing here is that order of magnitude.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conduit.h"
#include "users.h"

TestSuite(conduit_cache, .init = test_need_stack, .timeout = 60);

static char *
pathf(const char *fmt, const char *a)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), fmt, a);
	return buf;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The X-Cache-Status of r, "" when absent; static. */
static const char *
cache_status(const struct resp *r)
{
	static char	 buf[32];
	char		*v = resp_header(r, "X-Cache-Status");

	snprintf(buf, sizeof(buf), "%s", v ? v : "");
	free(v);
	return buf;
}

Test(conduit_cache, anonymous_reads_come_from_the_cache_tokens_never)
{
	struct cd_user	 a;
	struct resp	 r;
	char		 title[128], *slug, *path;
	bool		 hit = false;
	const char	*sfx = test_user_suffix();

	cd_user_new(&a);
	snprintf(title, sizeof(title), "Cached %s", sfx);
	slug = cd_article_new(&a, title, NULL);
	path = strdup(pathf("/api/articles/%s", slug));

	/* A loaded machine may take longer than the window between two
	 * requests: then try again with a new title. */
	for (int attempt = 0; attempt < 5 && !hit; attempt++) {
		char old[64], fresh[64];

		snprintf(old, sizeof(old), "old %d %s", attempt, sfx);
		snprintf(fresh, sizeof(fresh), "new %d %s", attempt, sfx);
		free(cd_sql("UPDATE articles SET title = $1 WHERE slug = $2 "
		    "RETURNING id", old, slug, NULL));
		sleep(2);	/* whatever was cached has expired */
		r = cd_call("GET", path, NULL, NULL);
		cr_assert_eq(r.status, 200);
		cr_assert_str_eq(resp_str(&r, "article.title"), old);
		resp_free(&r);
		/* Behind the API's back: nginx cannot know. */
		free(cd_sql("UPDATE articles SET title = $1 WHERE slug = $2 "
		    "RETURNING id", fresh, slug, NULL));
		r = cd_call("GET", path, NULL, NULL);
		if (strcmp(cache_status(&r), "HIT") == 0) {
			hit = true;
			cr_assert_str_eq(resp_str(&r, "article.title"), old,
			    "a HIT with the new title");
		}
		resp_free(&r);
		/* With a token: never from the cache, the new title. */
		for (int i = 0; i < 2; i++) {
			r = cd_call("GET", path, &a, NULL);
			cr_assert_eq(r.status, 200);
			cr_assert_str_eq(resp_str(&r, "article.title"), fresh);
			cr_assert_str_neq(cache_status(&r), "HIT");
			resp_free(&r);
		}
	}
	cr_assert(hit, "no anonymous read was answered from the cache");
	free(slug);
	free(path);
}

Test(conduit_cache, lists_tags_profiles_and_comments_are_cached_too)
{
	struct cd_user	 a;
	char		 title[128], *slug, q[256], *profile, *comments;
	const char	*paths[4];
	int		 hits = 0;

	cd_user_new(&a);
	snprintf(title, sizeof(title), "Cached list %s", test_user_suffix());
	slug = cd_article_new(&a, title, NULL);
	snprintf(q, sizeof(q), "/api/articles?author=%s", a.username);
	paths[0] = q;
	paths[1] = "/api/tags";
	paths[2] = profile = strdup(pathf("/api/profiles/%s", a.username));
	paths[3] = comments = strdup(pathf("/api/articles/%s/comments",
	    slug));
	for (int i = 0; i < 4; i++) {
		bool hit = false;

		for (int k = 0; k < 4 && !hit; k++) {
			struct resp r = cd_call("GET", paths[i], NULL, NULL);

			cr_assert_eq(r.status, 200, "%s: %ld", paths[i],
			    r.status);
			hit = strcmp(cache_status(&r), "HIT") == 0;
			resp_free(&r);
		}
		hits += hit;
	}
	cr_assert_eq(hits, 4);
	free(profile);
	free(comments);
	free(slug);
}

Test(conduit_cache, writes_errors_and_the_rest_of_the_api_are_not_cached)
{
	struct cd_user	 a;
	struct resp	 r;

	cd_user_new(&a);
	for (int i = 0; i < 3; i++) {
		r = cd_call("GET", "/api/articles/no-such-article-cached", NULL,
		    NULL);
		cr_assert_eq(r.status, 404);
		cr_assert_str_neq(cache_status(&r), "HIT");
		resp_free(&r);
		/* The rest of the API has no cache at all. */
		r = cd_call("GET", "/healthz", NULL, NULL);
		cr_assert_str_eq(cache_status(&r), "");
		resp_free(&r);
		r = cd_call("GET", "/api/user", &a, NULL);
		cr_assert_str_eq(cache_status(&r), "");
		resp_free(&r);
		/* With a token the cache is not even looked at. */
		r = cd_call("GET", "/api/tags", &a, NULL);
		cr_assert_str_eq(cache_status(&r), "BYPASS");
		resp_free(&r);
		r = cd_call("GET", "/api/articles/feed", NULL, NULL);
		cr_assert_eq(r.status, 401);
		cr_assert_str_neq(cache_status(&r), "HIT");
		resp_free(&r);
		r = cd_call("POST", "/api/articles", &a, "{}");
		cr_assert_eq(r.status, 422);
		cr_assert_str_eq(cache_status(&r), "");	/* not GET */
		resp_free(&r);
	}
}

Test(conduit_cache, a_write_reaches_anonymous_readers_within_the_window)
{
	struct cd_user	 a;
	struct resp	 r;
	char		 title[128], *slug, *path;
	double		 t0, waited = -1;

	cd_user_new(&a);
	snprintf(title, sizeof(title), "Before %s", test_user_suffix());
	slug = cd_article_new(&a, title, NULL);
	path = strdup(pathf("/api/articles/%s", slug));
	r = cd_call("GET", path, NULL, NULL);	/* fills the cache */
	resp_free(&r);
	r = cd_call("GET", path, NULL, NULL);
	resp_free(&r);

	r = cd_call("PUT", path, &a, "{\"article\":{\"title\":\"After\"}}");
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	t0 = now();
	while (now() - t0 < 10) {
		r = cd_call("GET", path, NULL, NULL);
		if (strcmp(resp_str(&r, "article.title"), "After") == 0)
			waited = now() - t0;
		resp_free(&r);
		if (waited >= 0)
			break;
		usleep(100000);
	}
	cr_assert_geq(waited, 0, "the write never reached anonymous readers");
	/* nginx keeps time in whole seconds: a 1 s entry lives < 2 s. */
	cr_assert_lt(waited, 2.5, "visible only after %.2f s", waited);
	free(slug);
	free(path);
}
