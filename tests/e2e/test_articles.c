/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_articles.c - /api/articles, favorites, the feed and
 * /api/tags (SPEC 4.5) through nginx: every route, happy path and errors
 * (401, 403, 404, 422 in the RealWorld shape), pagination, filters, the
 * feed after follow and unfollow, favorites under 20 concurrent
 * favoriters, sorted tags and the cascades of deletion.  Each test makes
 * its own users, titles and tags, so tests run in any order and in
 * parallel; rows are read back from the workers' database.
 */
#include <criterion/criterion.h>

#include <json.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conduit.h"
#include "users.h"

TestSuite(articles, .init = test_need_stack, .timeout = 120);

static char *
pathf(const char *fmt, const char *a)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), fmt, a);
	return buf;
}

/* The slug article_slug_base() derives: lowercase letters and digits,
 * other runs one '-'. */
static void
slugify(const char *title, char *out, size_t size)
{
	size_t	n = 0;
	bool	dash = false;

	for (const char *p = title; *p != '\0' && n + 2 < size; p++) {
		if (isalnum((unsigned char)*p)) {
			if (dash && n > 0)
				out[n++] = '-';
			dash = false;
			out[n++] = (char)tolower((unsigned char)*p);
		} else
			dash = true;
	}
	out[n] = '\0';
}

static size_t
items(const struct resp *r)
{
	json_object *a;

	cr_assert_not_null(r->json, "%s", r->body);
	cr_assert(json_object_object_get_ex(r->json, "articles", &a),
	    "%s", r->body);
	return json_object_array_length(a);
}

/* --- create and read --- */

Test(articles, create_answers_201_with_the_article)
{
	struct cd_user	 u;
	struct resp	 r;
	char		 title[128], body[512], want[128], *loc;
	const char	*sfx = test_user_suffix();

	cd_user_new(&u);
	snprintf(title, sizeof(title), "How to Train Your Dragon %s", sfx);
	snprintf(body, sizeof(body), "{\"article\":{\"title\":\"%s\","
	    "\"description\":\"Ever wonder how?\",\"body\":\"You have to "
	    "believe\",\"tagList\":[\"zz_%s\",\"dragons_%s\",\"zz_%s\"],"
	    "\"slug\":\"ignored\",\"favoritesCount\":9}}", title, sfx, sfx,
	    sfx);
	r = cd_call("POST", "/api/articles", &u, body);
	cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
	slugify(title, want, sizeof(want));
	cr_assert_str_eq(resp_str(&r, "article.slug"), want);
	cr_assert_str_eq(resp_str(&r, "article.title"), title);
	cr_assert_str_eq(resp_str(&r, "article.description"),
	    "Ever wonder how?");
	cr_assert_str_eq(resp_str(&r, "article.body"), "You have to believe");
	/* tagList: sorted, each once */
	snprintf(body, sizeof(body), "dragons_%s", sfx);
	cr_assert_str_eq(resp_str(&r, "article.tagList.0"), body);
	snprintf(body, sizeof(body), "zz_%s", sfx);
	cr_assert_str_eq(resp_str(&r, "article.tagList.1"), body);
	cr_assert_null(resp_str(&r, "article.tagList.2"));
	cr_assert_str_eq(resp_str(&r, "article.favorited"), "false");
	cr_assert_str_eq(resp_str(&r, "article.favoritesCount"), "0");
	cr_assert_str_eq(resp_str(&r, "article.author.username"), u.username);
	cr_assert_str_eq(resp_str(&r, "article.author.following"), "false");
	/* 2026-02-05T17:51:29.123Z: milliseconds, UTC */
	cr_assert_eq(strlen(resp_str(&r, "article.createdAt")), 24);
	cr_assert_eq(resp_str(&r, "article.createdAt")[19], '.');
	cr_assert_eq(resp_str(&r, "article.createdAt")[23], 'Z');
	loc = resp_header(&r, "Location");
	cr_assert_str_eq(loc, pathf("/api/articles/%s", want));
	free(loc);
	resp_free(&r);

	r = cd_call("GET", pathf("/api/articles/%s", want), NULL, NULL);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "article.body"), "You have to believe");
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM article_tags t JOIN "
	    "articles a ON a.id = t.article_id WHERE a.slug = $1", want, NULL),
	    2);
}

Test(articles, the_same_title_twice_gets_two_slugs)
{
	struct cd_user	 u;
	char		 title[128], *s1, *s2, *s3;

	cd_user_new(&u);
	snprintf(title, sizeof(title), "Twice %s", test_user_suffix());
	s1 = cd_article_new(&u, title, NULL);
	s2 = cd_article_new(&u, title, NULL);
	cr_assert_str_neq(s1, s2);
	cr_assert(strncmp(s2, s1, strlen(s1)) == 0, "%s %s", s1, s2);
	/* "feed" is a path of its own: never a slug. */
	s3 = cd_article_new(&u, "Feed", NULL);
	cr_assert_str_neq(s3, "feed");
	cr_assert(strncmp(s3, "feed-", 5) == 0, "%s", s3);
	free(s1);
	free(s2);
	free(s3);
}

Test(articles, bad_articles_are_422_and_write_nothing)
{
	static const char *const bodies[] = {
		"{}",
		"{\"article\":\"x\"}",
		"{\"article\":{\"description\":\"d\",\"body\":\"b\"}}",
		"{\"article\":{\"title\":\"t\",\"body\":\"b\"}}",
		"{\"article\":{\"title\":\"t\",\"description\":\"d\"}}",
		"{\"article\":{\"title\":\"\",\"description\":\"d\",\"body\":\"b\"}}",
		"{\"article\":{\"title\":\"   \",\"description\":\"d\",\"body\":\"b\"}}",
		"{\"article\":{\"title\":1,\"description\":\"d\",\"body\":\"b\"}}",
		"{\"article\":{\"title\":\"t\",\"description\":\"d\",\"body\":\"b\","
		    "\"tagList\":\"x\"}}",
		"{\"article\":{\"title\":\"t\",\"description\":\"d\",\"body\":\"b\","
		    "\"tagList\":[1]}}",
		"{\"article\":{\"title\":\"t\",\"description\":\"d\",\"body\":\"b\","
		    "\"tagList\":[\"\"]}}",
	};
	struct cd_user	 u;
	struct resp	 r;

	cd_user_new(&u);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		r = cd_call("POST", "/api/articles", &u, bodies[i]);
		cd_assert_error(&r, 422, NULL);
		resp_free(&r);
	}
	r = cd_call("POST", "/api/articles", &u, "{\"article\":{\"title\":\"\","
	    "\"description\":\"d\"}}");
	cd_assert_error(&r, 422, "title");
	resp_free(&r);
	r = cd_call("POST", "/api/articles", &u, "{\"article\":{");
	cd_assert_error(&r, 400, NULL);
	resp_free(&r);
	r = cd_call("POST", "/api/articles", NULL, "{\"article\":{\"title\":"
	    "\"t\",\"description\":\"d\",\"body\":\"b\"}}");
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM articles a JOIN users u "
	    "ON u.id = a.author_id WHERE u.username = $1", u.username, NULL),
	    0);
}

Test(articles, an_unknown_slug_is_404)
{
	struct cd_user	 u;
	struct resp	 r;
	static const char *const paths[][2] = {
		{ "GET", "/api/articles/no-such-article-here" },
		{ "PUT", "/api/articles/no-such-article-here" },
		{ "DELETE", "/api/articles/no-such-article-here" },
		{ "POST", "/api/articles/no-such-article-here/favorite" },
		{ "DELETE", "/api/articles/no-such-article-here/favorite" },
	};

	cd_user_new(&u);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r = cd_call(paths[i][0], paths[i][1], &u,
		    strcmp(paths[i][0], "PUT") == 0 ?
		    "{\"article\":{\"title\":\"x\"}}" : NULL);
		cd_assert_error(&r, 404, NULL);
		resp_free(&r);
	}
	r = cd_call("GET", "/api/articles/no-such-article-here", NULL, NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
}

/* --- lists --- */

Test(articles, lists_omit_the_body_and_paginate_newest_first)
{
	struct cd_user	 u;
	struct resp	 r;
	char		 title[128], *slug[5], q[256];
	const char	*sfx = test_user_suffix();

	cd_user_new(&u);
	for (int i = 0; i < 5; i++) {
		snprintf(title, sizeof(title), "Page %d %s", i, sfx);
		slug[i] = cd_article_new(&u, title, NULL);
	}
	snprintf(q, sizeof(q), "/api/articles?author=%s&limit=2", u.username);
	r = cd_call("GET", q, NULL, NULL);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_eq(items(&r), 2);
	cr_assert_str_eq(resp_str(&r, "articlesCount"), "5");
	cr_assert_str_eq(resp_str(&r, "articles.0.slug"), slug[4]);
	cr_assert_str_eq(resp_str(&r, "articles.1.slug"), slug[3]);
	cr_assert_null(resp_str(&r, "articles.0.body"), "%s", r.body);
	cr_assert_not_null(resp_str(&r, "articles.0.description"));
	cr_assert_str_eq(resp_str(&r, "articles.0.author.username"),
	    u.username);
	resp_free(&r);

	snprintf(q, sizeof(q), "/api/articles?author=%s&limit=2&offset=4",
	    u.username);
	r = cd_call("GET", q, &u, NULL);
	cr_assert_eq(items(&r), 1);
	cr_assert_str_eq(resp_str(&r, "articles.0.slug"), slug[0]);
	cr_assert_str_eq(resp_str(&r, "articlesCount"), "5");
	resp_free(&r);

	snprintf(q, sizeof(q), "/api/articles?author=%s&offset=50",
	    u.username);
	r = cd_call("GET", q, NULL, NULL);
	cr_assert_eq(items(&r), 0);
	cr_assert_str_eq(resp_str(&r, "articlesCount"), "5");
	resp_free(&r);

	/* Default limit 20; the global list counts every article. */
	r = cd_call("GET", "/api/articles", NULL, NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_leq(items(&r), 20);
	cr_assert_geq(atol(resp_str(&r, "articlesCount")), 5);
	cr_assert_null(resp_str(&r, "articles.0.body"));
	resp_free(&r);
	for (int i = 0; i < 5; i++)
		free(slug[i]);
}

Test(articles, lists_filter_by_tag_author_and_favoriter)
{
	struct cd_user	 a, b, fan;
	struct resp	 r;
	char		 title[128], tags[128], q[256], tag[64], *s1, *s2, *s3;
	const char	*sfx = test_user_suffix();

	cd_user_new(&a);
	cd_user_new(&b);
	cd_user_new(&fan);
	snprintf(tag, sizeof(tag), "t_%s", sfx);
	snprintf(tags, sizeof(tags), "[\"%s\"]", tag);
	snprintf(title, sizeof(title), "Tagged A %s", sfx);
	s1 = cd_article_new(&a, title, tags);
	snprintf(title, sizeof(title), "Tagged B %s", sfx);
	s2 = cd_article_new(&b, title, tags);
	snprintf(title, sizeof(title), "Untagged A %s", sfx);
	s3 = cd_article_new(&a, title, NULL);

	snprintf(q, sizeof(q), "/api/articles?tag=%s", tag);
	r = cd_call("GET", q, NULL, NULL);
	cr_assert_eq(items(&r), 2, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "articlesCount"), "2");
	cr_assert_str_eq(resp_str(&r, "articles.0.slug"), s2);
	cr_assert_str_eq(resp_str(&r, "articles.1.slug"), s1);
	cr_assert_str_eq(resp_str(&r, "articles.0.tagList.0"), tag);
	resp_free(&r);

	snprintf(q, sizeof(q), "/api/articles?tag=%s&author=%s", tag,
	    a.username);
	r = cd_call("GET", q, NULL, NULL);
	cr_assert_eq(items(&r), 1, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "articlesCount"), "1");
	cr_assert_str_eq(resp_str(&r, "articles.0.slug"), s1);
	resp_free(&r);

	r = cd_call("POST", pathf("/api/articles/%s/favorite", s3), &fan,
	    NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	r = cd_call("POST", pathf("/api/articles/%s/favorite", s2), &fan,
	    NULL);
	resp_free(&r);
	snprintf(q, sizeof(q), "/api/articles?favorited=%s", fan.username);
	r = cd_call("GET", q, &fan, NULL);
	cr_assert_eq(items(&r), 2, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "articlesCount"), "2");
	cr_assert_str_eq(resp_str(&r, "articles.0.slug"), s3);
	cr_assert_str_eq(resp_str(&r, "articles.0.favorited"), "true");
	cr_assert_str_eq(resp_str(&r, "articles.0.favoritesCount"), "1");
	resp_free(&r);
	/* The same list read anonymously: favorited is false. */
	r = cd_call("GET", q, NULL, NULL);
	cr_assert_str_eq(resp_str(&r, "articles.0.favorited"), "false");
	resp_free(&r);
	snprintf(q, sizeof(q), "/api/articles?favorited=%s&tag=%s",
	    fan.username, tag);
	r = cd_call("GET", q, NULL, NULL);
	cr_assert_eq(items(&r), 1, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "articles.0.slug"), s2);
	resp_free(&r);

	/* Unknown tag, author or favoriter: an empty list, not an error. */
	r = cd_call("GET", "/api/articles?tag=no_such_tag_anywhere", NULL,
	    NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(items(&r), 0);
	cr_assert_str_eq(resp_str(&r, "articlesCount"), "0");
	resp_free(&r);
	r = cd_call("GET", "/api/articles?author=no_such_user_here", NULL,
	    NULL);
	cr_assert_eq(items(&r), 0);
	resp_free(&r);
	free(s1);
	free(s2);
	free(s3);
}

Test(articles, bad_list_parameters_are_422_naming_them)
{
	static const char *const q[][2] = {
		{ "/api/articles?limit=0", "limit" },
		{ "/api/articles?limit=101", "limit" },
		{ "/api/articles?limit=abc", "limit" },
		{ "/api/articles?limit=-1", "limit" },
		{ "/api/articles?limit=", "limit" },
		{ "/api/articles?offset=-1", "offset" },
		{ "/api/articles?offset=1x", "offset" },
		{ "/api/articles?offset=99999999999", "offset" },
	};
	struct cd_user u;

	cd_user_new(&u);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		struct resp r = cd_call("GET", q[i][0], NULL, NULL);

		cd_assert_error(&r, 422, q[i][1]);
		resp_free(&r);
	}
	{
		struct resp r = cd_call("GET", "/api/articles/feed?limit=0",
		    &u, NULL);

		cd_assert_error(&r, 422, "limit");
		resp_free(&r);
	}
}

Test(articles, the_feed_follows_follow_and_unfollow)
{
	struct cd_user	 reader, author, other;
	struct resp	 r;
	char		 title[128], *s1, *s2, *s3;
	const char	*sfx = test_user_suffix();

	cd_user_new(&reader);
	cd_user_new(&author);
	cd_user_new(&other);
	snprintf(title, sizeof(title), "Feed one %s", sfx);
	s1 = cd_article_new(&author, title, NULL);
	snprintf(title, sizeof(title), "Not followed %s", sfx);
	s3 = cd_article_new(&other, title, NULL);
	snprintf(title, sizeof(title), "Feed two %s", sfx);
	s2 = cd_article_new(&author, title, NULL);

	r = cd_call("GET", "/api/articles/feed", &reader, NULL);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_eq(items(&r), 0);
	cr_assert_str_eq(resp_str(&r, "articlesCount"), "0");
	resp_free(&r);

	r = cd_call("POST", pathf("/api/profiles/%s/follow", author.username),
	    &reader, NULL);
	resp_free(&r);
	r = cd_call("GET", "/api/articles/feed", &reader, NULL);
	cr_assert_eq(items(&r), 2, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "articlesCount"), "2");
	cr_assert_str_eq(resp_str(&r, "articles.0.slug"), s2);
	cr_assert_str_eq(resp_str(&r, "articles.1.slug"), s1);
	cr_assert_str_eq(resp_str(&r, "articles.0.author.following"), "true");
	cr_assert_null(resp_str(&r, "articles.0.body"));
	resp_free(&r);
	r = cd_call("GET", "/api/articles/feed?limit=1&offset=1", &reader,
	    NULL);
	cr_assert_eq(items(&r), 1);
	cr_assert_str_eq(resp_str(&r, "articles.0.slug"), s1);
	resp_free(&r);
	/* The author's page shows the reader follows. */
	r = cd_call("GET", pathf("/api/articles/%s", s1), &reader, NULL);
	cr_assert_str_eq(resp_str(&r, "article.author.following"), "true");
	resp_free(&r);

	r = cd_call("DELETE", pathf("/api/profiles/%s/follow",
	    author.username), &reader, NULL);
	resp_free(&r);
	r = cd_call("GET", "/api/articles/feed", &reader, NULL);
	cr_assert_eq(items(&r), 0, "%s", r.body);
	resp_free(&r);

	r = cd_call("GET", "/api/articles/feed", NULL, NULL);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	free(s1);
	free(s2);
	free(s3);
}

/* --- update and delete --- */

Test(articles, only_the_author_updates_and_the_slug_stays)
{
	struct cd_user	 a, b;
	struct resp	 r;
	char		 title[128], *slug, *before, *created;

	cd_user_new(&a);
	cd_user_new(&b);
	snprintf(title, sizeof(title), "Original %s", test_user_suffix());
	slug = cd_article_new(&a, title, "[\"keep\"]");
	before = cd_sql("SELECT concat_ws('|', title, description, body, "
	    "updated_at) FROM articles WHERE slug = $1", slug, NULL);

	r = cd_call("PUT", pathf("/api/articles/%s", slug), &b,
	    "{\"article\":{\"title\":\"Hijacked\"}}");
	cd_assert_error(&r, 403, NULL);
	resp_free(&r);
	r = cd_call("PUT", pathf("/api/articles/%s", slug), NULL,
	    "{\"article\":{\"title\":\"Hijacked\"}}");
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	r = cd_call("PUT", pathf("/api/articles/%s", slug), &a,
	    "{\"article\":{\"title\":\" \"}}");
	cd_assert_error(&r, 422, "title");
	resp_free(&r);
	r = cd_call("PUT", pathf("/api/articles/%s", slug), &a,
	    "{\"article\":{\"body\":\"\"}}");
	cd_assert_error(&r, 422, NULL);
	resp_free(&r);
	cd_assert_sql(before, "SELECT concat_ws('|', title, description, "
	    "body, updated_at) FROM articles WHERE slug = $1", slug, NULL);

	created = cd_sql("SELECT created_at FROM articles WHERE slug = $1",
	    slug, NULL);
	r = cd_call("PUT", pathf("/api/articles/%s", slug), &a,
	    "{\"article\":{\"title\":\"Did you train your dragon?\","
	    "\"body\":\"New body\",\"tagList\":[\"ignored\"]}}");
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "article.slug"), slug);
	cr_assert_str_eq(resp_str(&r, "article.title"),
	    "Did you train your dragon?");
	cr_assert_str_eq(resp_str(&r, "article.body"), "New body");
	cr_assert_str_eq(resp_str(&r, "article.tagList.0"), "keep");
	cr_assert_str_neq(resp_str(&r, "article.updatedAt"),
	    resp_str(&r, "article.createdAt"));
	resp_free(&r);
	cd_assert_sql(created, "SELECT created_at FROM articles WHERE slug = "
	    "$1", slug, NULL);
	r = cd_call("GET", pathf("/api/articles/%s", slug), NULL, NULL);
	cr_assert_str_eq(resp_str(&r, "article.title"),
	    "Did you train your dragon?");
	resp_free(&r);
	free(slug);
	free(before);
	free(created);
}

Test(articles, only_the_author_deletes_and_what_hangs_on_it_goes_too)
{
	struct cd_user	 a, b;
	struct resp	 r;
	char		 title[128], tags[128], tag[64], *slug, *id;
	const char	*sfx = test_user_suffix();

	cd_user_new(&a);
	cd_user_new(&b);
	snprintf(tag, sizeof(tag), "gone_%s", sfx);
	snprintf(tags, sizeof(tags), "[\"%s\"]", tag);
	snprintf(title, sizeof(title), "Doomed %s", sfx);
	slug = cd_article_new(&a, title, tags);
	id = cd_sql("SELECT id FROM articles WHERE slug = $1", slug, NULL);
	r = cd_call("POST", pathf("/api/articles/%s/favorite", slug), &b,
	    NULL);
	resp_free(&r);
	r = cd_call("POST", pathf("/api/articles/%s/comments", slug), &b,
	    "{\"comment\":{\"body\":\"first\"}}");
	cr_assert_eq(r.status, 200, "%s", r.body);
	resp_free(&r);
	r = cd_call("GET", "/api/tags", &a, NULL);
	cr_assert_not_null(strstr(r.body, tag));
	resp_free(&r);

	r = cd_call("DELETE", pathf("/api/articles/%s", slug), &b, NULL);
	cd_assert_error(&r, 403, NULL);
	resp_free(&r);
	r = cd_call("DELETE", pathf("/api/articles/%s", slug), NULL, NULL);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM articles WHERE id = $1",
	    id, NULL), 1);

	r = cd_call("DELETE", pathf("/api/articles/%s", slug), &a, NULL);
	cr_assert_eq(r.status, 204, "%ld %s", r.status, r.body);
	cr_assert_eq(r.len, 0);
	resp_free(&r);
	r = cd_call("GET", pathf("/api/articles/%s", slug), NULL, NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	r = cd_call("DELETE", pathf("/api/articles/%s", slug), &a, NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM comments WHERE "
	    "article_id = $1", id, NULL), 0);
	cr_assert_eq(cd_count("SELECT count(*) FROM favorites WHERE "
	    "article_id = $1", id, NULL), 0);
	cr_assert_eq(cd_count("SELECT count(*) FROM article_tags WHERE "
	    "article_id = $1", id, NULL), 0);
	/* The tag no article has is no longer listed (with a token: an
	 * anonymous read may come from nginx's one-second cache). */
	r = cd_call("GET", "/api/tags", &a, NULL);
	cr_assert_null(strstr(r.body, tag), "%s", r.body);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT articles_count FROM tags WHERE name = $1",
	    tag, NULL), 0);
	free(slug);
	free(id);
}

/* --- favorites --- */

Test(articles, favorite_and_unfavorite_are_idempotent)
{
	struct cd_user	 a, b;
	struct resp	 r;
	char		 title[128], *slug;

	cd_user_new(&a);
	cd_user_new(&b);
	snprintf(title, sizeof(title), "Likeable %s", test_user_suffix());
	slug = cd_article_new(&a, title, NULL);
	for (int i = 0; i < 2; i++) {
		r = cd_call("POST", pathf("/api/articles/%s/favorite", slug),
		    &b, NULL);
		cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
		cr_assert_str_eq(resp_str(&r, "article.favorited"), "true");
		cr_assert_str_eq(resp_str(&r, "article.favoritesCount"), "1");
		cr_assert_str_eq(resp_str(&r, "article.slug"), slug);
		resp_free(&r);
	}
	r = cd_call("GET", pathf("/api/articles/%s", slug), &b, NULL);
	cr_assert_str_eq(resp_str(&r, "article.favorited"), "true");
	resp_free(&r);
	r = cd_call("GET", pathf("/api/articles/%s", slug), &a, NULL);
	cr_assert_str_eq(resp_str(&r, "article.favorited"), "false");
	cr_assert_str_eq(resp_str(&r, "article.favoritesCount"), "1");
	resp_free(&r);
	for (int i = 0; i < 2; i++) {
		r = cd_call("DELETE", pathf("/api/articles/%s/favorite", slug),
		    &b, NULL);
		cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
		cr_assert_str_eq(resp_str(&r, "article.favorited"), "false");
		cr_assert_str_eq(resp_str(&r, "article.favoritesCount"), "0");
		resp_free(&r);
	}
	r = cd_call("POST", pathf("/api/articles/%s/favorite", slug), NULL,
	    NULL);
	cd_assert_error(&r, 401, NULL);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT favorites_count FROM articles WHERE "
	    "slug = $1", slug, NULL), 0);
	free(slug);
}

struct fan {
	struct cd_user	 u;
	const char	*path;
	const char	*method;
	long		 status;
};

static void *
favorite_once(void *arg)
{
	struct fan	*f = arg;
	char		 auth[4200];
	const char	*h[] = { auth, NULL };
	struct resp	 r;

	snprintf(auth, sizeof(auth), "Authorization: Token %s", f->u.token);
	if (http_req(f->method, f->path, h, NULL, &r) == 0) {
		f->status = r.status;
		resp_free(&r);
	}
	return NULL;
}

Test(articles, twenty_concurrent_favoriters_are_counted_exactly)
{
	struct cd_user	 a;
	struct fan	 fans[20];
	pthread_t	 t[20];
	char		 title[128], path[512], *slug;
	struct resp	 r;

	cd_user_new(&a);
	snprintf(title, sizeof(title), "Popular %s", test_user_suffix());
	slug = cd_article_new(&a, title, NULL);
	snprintf(path, sizeof(path), "/api/articles/%s/favorite", slug);
	for (int i = 0; i < 20; i++) {
		cd_user_new(&fans[i].u);
		fans[i].path = path;
	}
	for (int round = 0; round < 2; round++) {
		const char *want = round == 0 ? "20" : "0";

		for (int i = 0; i < 20; i++) {
			fans[i].method = round == 0 ? "POST" : "DELETE";
			fans[i].status = 0;
			pthread_create(&t[i], NULL, favorite_once, &fans[i]);
		}
		for (int i = 0; i < 20; i++) {
			pthread_join(t[i], NULL);
			cr_assert_eq(fans[i].status, 200, "fan %d: %ld", i,
			    fans[i].status);
		}
		r = cd_call("GET", pathf("/api/articles/%s", slug), &a, NULL);
		cr_assert_str_eq(resp_str(&r, "article.favoritesCount"), want,
		    "%s", r.body);
		resp_free(&r);
		cr_assert_eq(cd_count("SELECT count(*) FROM favorites f JOIN "
		    "articles a ON a.id = f.article_id WHERE a.slug = $1", slug,
		    NULL), atol(want));
	}
	free(slug);
}

/* --- tags --- */

Test(articles, tags_are_listed_once_and_sorted)
{
	struct cd_user	 a;
	struct resp	 r;
	char		 title[128], tags[256], *want;
	const char	*sfx = test_user_suffix();
	char		*pa, *pz;

	cd_user_new(&a);
	snprintf(tags, sizeof(tags), "[\"zz_%s\",\"aa_%s\"]", sfx, sfx);
	snprintf(title, sizeof(title), "Tags one %s", sfx);
	free(cd_article_new(&a, title, tags));
	snprintf(title, sizeof(title), "Tags two %s", sfx);
	free(cd_article_new(&a, title, tags));

	r = cd_call("GET", "/api/tags", &a, NULL);	/* not cached */
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	snprintf(tags, sizeof(tags), "\"aa_%s\"", sfx);
	pa = strstr(r.body, tags);
	cr_assert_not_null(pa, "%s", r.body);
	cr_assert_null(strstr(pa + 1, tags), "listed twice");
	snprintf(tags, sizeof(tags), "\"zz_%s\"", sfx);
	pz = strstr(r.body, tags);
	cr_assert_not_null(pz);
	cr_assert_lt(pa, pz, "not sorted");
	resp_free(&r);
	/* The whole list in the database's order; read after our writes,
	 * a concurrent test may add tags in between: compare sortedness. */
	want = cd_sql("SELECT bool_and(a < b)::text FROM (SELECT name AS a, "
	    "lead(name) OVER (ORDER BY name) AS b FROM tags "
	    "WHERE articles_count > 0) s WHERE b IS NOT NULL", NULL);
	cr_assert_str_eq(want, "true");
	free(want);
	r = cd_call("GET", "/api/tags", &a, NULL);
	{
		json_object	*list;
		char		*check;
		const char	*p[1];

		cr_assert(json_object_object_get_ex(r.json, "tags", &list));
		p[0] = json_object_to_json_string(list);
		check = app_db_value("SELECT (SELECT array_agg(x ORDER BY x) "
		    "FROM json_array_elements_text($1::json) x) = (SELECT "
		    "array_agg(x ORDER BY o) FROM json_array_elements_text("
		    "$1::json) WITH ORDINALITY AS t(x, o))", 1, p);
		cr_assert_str_eq(check, "t", "%s", r.body);
		free(check);
	}
	resp_free(&r);
}

/* --- a user's deletion --- */

Test(articles, deleting_a_user_removes_what_it_owns)
{
	struct test_user	 v1;
	struct cd_user		 a, b;
	struct resp		 r;
	char			 title[128], body[512], *mine, *theirs;
	const char		*sfx = test_user_suffix();

	/* a is registered at /api/v1 so that it can delete itself there. */
	test_user_new(&v1);
	memset(&a, 0, sizeof(a));
	strcpy(a.username, v1.username);
	strcpy(a.token, v1.token);
	cd_user_new(&b);
	snprintf(title, sizeof(title), "Mine %s", sfx);
	mine = cd_article_new(&a, title, "[\"owned\"]");
	snprintf(title, sizeof(title), "Theirs %s", sfx);
	theirs = cd_article_new(&b, title, NULL);
	r = cd_call("POST", pathf("/api/articles/%s/favorite", theirs), &a,
	    NULL);
	resp_free(&r);
	r = cd_call("POST", pathf("/api/articles/%s/comments", theirs), &a,
	    "{\"comment\":{\"body\":\"nice\"}}");
	resp_free(&r);
	r = cd_call("POST", pathf("/api/articles/%s/favorite", mine), &b,
	    NULL);
	resp_free(&r);
	r = cd_call("POST", pathf("/api/profiles/%s/follow", b.username), &a,
	    NULL);
	resp_free(&r);
	r = cd_call("POST", pathf("/api/profiles/%s/follow", a.username), &b,
	    NULL);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT favorites_count FROM articles WHERE "
	    "slug = $1", theirs, NULL), 1);

	snprintf(body, sizeof(body), "{\"user\":{\"email\":\"%s\"}}", v1.email);
	r = http_get("/api/v1/users/me", v1.token);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	r = http_json("DELETE", "/api/v1/users/me", v1.token, NULL);
	cr_assert_eq(r.status, 204, "%ld %s", r.status, r.body);
	resp_free(&r);

	r = cd_call("GET", pathf("/api/articles/%s", mine), NULL, NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	r = cd_call("GET", pathf("/api/articles/%s", theirs), &b, NULL);
	cr_assert_str_eq(resp_str(&r, "article.favoritesCount"), "0");
	resp_free(&r);
	r = cd_call("GET", pathf("/api/articles/%s/comments", theirs), NULL,
	    NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_null(resp_str(&r, "comments.0"), "%s", r.body);
	resp_free(&r);
	r = cd_call("GET", pathf("/api/profiles/%s", a.username), NULL, NULL);
	cd_assert_error(&r, 404, NULL);
	resp_free(&r);
	cr_assert_eq(cd_count("SELECT count(*) FROM follows f JOIN users u ON "
	    "u.id IN (f.follower_id, f.followee_id) WHERE u.username = $1",
	    b.username, NULL), 0);
	cr_assert_eq(cd_count("SELECT count(*) FROM favorites f JOIN users u "
	    "ON u.id = f.user_id WHERE u.username = $1", b.username, NULL),
	    0);
	free(mine);
	free(theirs);
}
