/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_comments.c - /api/articles/{slug}/comments (SPEC 4.5)
 * through nginx: create, list, delete; 401, 403, 404 and 422 in the
 * RealWorld shape; rows read back.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conduit.h"
#include "users.h"

TestSuite(comments, .init = test_need_stack, .timeout = 60);

static char *
pathf(const char *fmt, const char *a, const char *b)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), fmt, a, b);
	return buf;
}

static char *
article(const struct cd_user *u)
{
	char title[128];

	snprintf(title, sizeof(title), "Commented %s", test_user_suffix());
	return cd_article_new(u, title, NULL);
}

Test(comments, create_list_and_delete)
{
	struct cd_user	 a, b;
	struct resp	 r;
	char		*slug, *id1, *id2;

	cd_user_new(&a);
	cd_user_new(&b);
	slug = article(&a);
	r = cd_call("POST", pathf("/api/articles/%s/comments", slug, NULL),
	    &b, "{\"comment\":{\"body\":\"His name was my name too.\","
	    "\"id\":99}}");
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "comment.body"),
	    "His name was my name too.");
	cr_assert_str_eq(resp_str(&r, "comment.author.username"), b.username);
	cr_assert_str_eq(resp_str(&r, "comment.author.following"), "false");
	cr_assert_eq(strlen(resp_str(&r, "comment.createdAt")), 24);
	id1 = strdup(resp_str(&r, "comment.id"));
	resp_free(&r);
	r = cd_call("POST", pathf("/api/articles/%s/comments", slug, NULL),
	    &a, "{\"comment\":{\"body\":\"Second\"}}");
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	id2 = strdup(resp_str(&r, "comment.id"));
	resp_free(&r);

	/* Oldest first; anonymous and with a token. */
	r = cd_call("GET", pathf("/api/articles/%s/comments", slug, NULL),
	    NULL, NULL);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "comments.0.id"), id1);
	cr_assert_str_eq(resp_str(&r, "comments.1.id"), id2);
	cr_assert_null(resp_str(&r, "comments.2"));
	resp_free(&r);
	r = cd_call("POST", pathf("/api/profiles/%s/follow", b.username,
	    NULL), &a, NULL);
	resp_free(&r);
	r = cd_call("GET", pathf("/api/articles/%s/comments", slug, NULL), &a,
	    NULL);
	cr_assert_str_eq(resp_str(&r, "comments.0.author.following"), "true");
	resp_free(&r);

	/* Only the comment's author deletes it, not the article's. */
	r = cd_call("DELETE", pathf("/api/articles/%s/comments/%s", slug, id1),
	    &a, NULL);
	cd_assert_error(&r, 403, NULL);
	resp_free(&r);
	r = cd_call("DELETE", pathf("/api/articles/%s/comments/%s", slug, id1),
	    NULL, NULL);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM comments WHERE id = $1",
	    id1, NULL), 1);
	r = cd_call("DELETE", pathf("/api/articles/%s/comments/%s", slug, id1),
	    &b, NULL);
	cr_assert_eq(r.status, 204, "%ld %s", r.status, r.body);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM comments WHERE id = $1",
	    id1, NULL), 0);
	r = cd_call("DELETE", pathf("/api/articles/%s/comments/%s", slug, id1),
	    &b, NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	free(slug);
	free(id1);
	free(id2);
}

Test(comments, unknown_articles_and_comments_are_404)
{
	struct cd_user	 a;
	struct resp	 r;
	char		*s1, *s2, *id;

	cd_user_new(&a);
	s1 = article(&a);
	s2 = article(&a);
	r = cd_call("POST", pathf("/api/articles/%s/comments", s1, NULL), &a,
	    "{\"comment\":{\"body\":\"on s1\"}}");
	id = strdup(resp_str(&r, "comment.id"));
	resp_free(&r);

	r = cd_call("GET", "/api/articles/no-such-article-here/comments", NULL,
	    NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	r = cd_call("POST", "/api/articles/no-such-article-here/comments", &a,
	    "{\"comment\":{\"body\":\"x\"}}");
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	/* The comment exists, but not on that article. */
	r = cd_call("DELETE", pathf("/api/articles/%s/comments/%s", s2, id),
	    &a, NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	r = cd_call("DELETE", pathf("/api/articles/%s/comments/%s", s1,
	    "999999999999"), &a, NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	/* Not an id at all: no route. */
	r = cd_call("DELETE", pathf("/api/articles/%s/comments/%s", s1, "abc"),
	    &a, NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM comments WHERE id = $1",
	    id, NULL), 1);
	free(s1);
	free(s2);
	free(id);
}

Test(comments, bad_comments_are_422_and_write_nothing)
{
	static const char *const bodies[] = {
		"{}",
		"{\"comment\":{}}",
		"{\"comment\":{\"body\":\"\"}}",
		"{\"comment\":{\"body\":\"  \"}}",
		"{\"comment\":{\"body\":7}}",
		"{\"comment\":[\"body\"]}",
	};
	struct cd_user	 a;
	struct resp	 r;
	char		*slug;

	cd_user_new(&a);
	slug = article(&a);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		r = cd_call("POST", pathf("/api/articles/%s/comments", slug,
		    NULL), &a, bodies[i]);
		cd_assert_error(&r, 422, NULL);
		resp_free(&r);
	}
	r = cd_call("POST", pathf("/api/articles/%s/comments", slug, NULL),
	    NULL, "{\"comment\":{\"body\":\"anonymous\"}}");
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM comments c JOIN articles a "
	    "ON a.id = c.article_id WHERE a.slug = $1", slug, NULL), 0);
	free(slug);
}
