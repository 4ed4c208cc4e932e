/* SPDX-License-Identifier: MIT */
/*
 * tests/integration/test_articles_plans.c - the Conduit queries of
 * sql/queries/articles.sql at the size issue 9 names: 10,000 users,
 * 100,000 articles (two of 5,000 tags each, 100,000 favorites) and a reader
 * who follows 500 authors.  The feed, the tag list, the list by tag, by
 * author and by favoriter, the global list and GET by slug each use an
 * index and never read articles sequentially, with custom and generic
 * plans (a worker's prepared statements turn generic after five runs); a
 * first page reads a page of articles, not the table.
 */
#include <criterion/criterion.h>

#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "db.h"
#include "plans.h"
#include "queries.h"

static PGconn	*conn;
static char	 reader_id[32];

static PGresult *
run(const char *sql, int n, const char *const *params)
{
	return plan_run(conn, sql, n, params);
}

static void
exec0(const char *sql)
{
	PQclear(run(sql, 0, NULL));
}

/* The world, made once per database (an advisory lock serializes the
 * tests' .init) and kept: the test database goes with the stack.  Users
 * scale_1..scale_10000; article i by scale_(i % 10000 + 1), tagged
 * scale_tag_(i % 5000) and one other; favorite i by scale_(i % 10000 + 1)
 * of article 31 i mod 100,000; every user follows 20 others, and the
 * reader follows scale_1..scale_500. */
static const char *const fill[] = {
	"INSERT INTO users (email, username, password_hash) "
	"SELECT 'scale_' || i || '@plans.example', 'scale_' || i, 'x' "
	"FROM generate_series(1, 10000) i",
	"CREATE TEMP TABLE su AS SELECT row_number() OVER (ORDER BY id) AS n, "
	"id FROM users WHERE username ~ '^scale_[0-9]+$'",
	"CREATE INDEX ON su (n)",
	"INSERT INTO tags (name) SELECT 'scale_tag_' || i "
	"FROM generate_series(0, 4999) i",
	"INSERT INTO articles (slug, author_id, title, description, body, "
	"tag_list, created_at) "
	"SELECT 'scale-' || i, su.id, 'Scale ' || i, 'about ' || i, "
	"repeat('body ' || i || ' ', 20), "
	"ARRAY['scale_tag_' || (i % 5000), "
	"'scale_tag_' || ((i % 5000 + 1 + i % 7) % 5000)], "
	"timestamptz '2026-01-01' + i * interval '1 second' "
	"FROM generate_series(1, 100000) i JOIN su ON su.n = i % 10000 + 1",
	"INSERT INTO article_tags (tag_id, article_id) "
	"SELECT t.id, a.id FROM articles a, unnest(a.tag_list) n "
	"JOIN tags t ON t.name = n WHERE a.slug LIKE 'scale-%'",
	"CREATE TEMP TABLE sa AS SELECT row_number() OVER (ORDER BY id) AS n, "
	"id FROM articles WHERE slug LIKE 'scale-%'",
	"CREATE INDEX ON sa (n)",
	"INSERT INTO favorites (user_id, article_id) "
	"SELECT su.id, sa.id FROM generate_series(1, 100000) i "
	"JOIN su ON su.n = i % 10000 + 1 JOIN sa ON sa.n = (31 * i) % 100000 + 1 "
	"ON CONFLICT DO NOTHING",
	"INSERT INTO follows (follower_id, followee_id) "
	"SELECT a.id, b.id FROM su a, generate_series(1, 20) k "
	"JOIN su b ON true WHERE b.n = (a.n * 7 + k) % 10000 + 1 "
	"AND a.id <> b.id ON CONFLICT DO NOTHING",
	"INSERT INTO users (email, username, password_hash) "
	"VALUES ('scale_reader@plans.example', 'scale_reader', 'x')",
	"INSERT INTO follows (follower_id, followee_id) "
	"SELECT r.id, su.id FROM users r, su "
	"WHERE r.username = 'scale_reader' AND su.n <= 500",
	"VACUUM ANALYZE",
};

static void
setup(void)
{
	PGresult *res;

	test_need_stack();
	conn = PQconnectdb(getenv("QUETZAL_DATABASE_URL"));
	cr_assert_eq(PQstatus(conn), CONNECTION_OK, "%s",
	    PQerrorMessage(conn));
	exec0("SELECT pg_advisory_lock(8042009)");
	res = run("SELECT id FROM users WHERE username = 'scale_reader'", 0,
	    NULL);
	if (PQntuples(res) == 0) {
		PQclear(res);
		exec0("BEGIN");
		for (size_t i = 0; i < sizeof(fill) / sizeof(fill[0]); i++) {
			if (strcmp(fill[i], "VACUUM ANALYZE") == 0)
				exec0("COMMIT");
			exec0(fill[i]);
		}
		res = run("SELECT id FROM users WHERE username = "
		    "'scale_reader'", 0, NULL);
	}
	snprintf(reader_id, sizeof(reader_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	exec0("SELECT pg_advisory_unlock(8042009)");
	/* What autovacuum does in production, made sure of: tags all
	 * visible, so that an index-only scan is priced as one.  A
	 * transaction of another test still running keeps VACUUM from
	 * marking the pages: try again for a while. */
	for (int i = 0; i < 120; i++) {
		bool visible;

		exec0("VACUUM tags");
		res = run("SELECT relallvisible >= relpages FROM pg_class "
		    "WHERE relname = 'tags'", 0, NULL);
		visible = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (visible)
			break;
		usleep(500000);
	}
	plan_prepare(conn, "article_");
	plan_prepare(conn, "tag_");
}

static void
teardown(void)
{
	if (conn != NULL)
		PQfinish(conn);
	conn = NULL;
}

TestSuite(articles_plans, .init = setup, .fini = teardown, .timeout = 600);

/* plans.h's plan_of for queries[q]. */
static char *
q_plan(const char *mode, bool analyze, int q, int n, const char *const *p)
{
	return plan_of(conn, mode, analyze, queries[q].name, n, p);
}

/* Whether a node of type `type` reads `rel` ("\"articles\""). */
static bool
node_reads(const char *plan, const char *type, const char *rel)
{
	char		 want[64];
	const char	*s = plan;

	snprintf(want, sizeof(want), "\"Node Type\": \"%s\"", type);
	while ((s = strstr(s, want)) != NULL) {
		const char *r = strstr(s, "\"Relation Name\": ");
		const char *next = strstr(s + 1, "\"Node Type\"");

		/* the relation of this node, not of a later one */
		if (r != NULL && strncmp(r + 17, rel, strlen(rel)) == 0 &&
		    (next == NULL || next > r))
			return true;
		s++;
	}
	return false;
}

static bool
index_reads(const char *plan, const char *rel)
{
	return node_reads(plan, "Index Scan", rel) ||
	    node_reads(plan, "Index Only Scan", rel) ||
	    node_reads(plan, "Bitmap Heap Scan", rel);
}

/* Both plan modes: an index reads `rel`, and no table of this size is
 * read sequentially (users: a generic plan's guess at a LIMIT $n once
 * hash-joined them all). */
static void
assert_indexed(int q, int n, const char *const *p, const char *rel)
{
	static const char *const modes[] = { "force_custom_plan",
	    "force_generic_plan" };
	static const char *const big[] = { "\"articles\"", "\"users\"",
	    "\"article_tags\"", "\"favorites\"", "\"follows\"",
	    "\"tags\"" };

	for (size_t m = 0; m < 2; m++) {
		char *plan = q_plan(modes[m], false, q, n, p);

		for (size_t t = 0; t < sizeof(big) / sizeof(big[0]); t++)
			cr_assert(!node_reads(plan, "Seq Scan", big[t]),
			    "%s (%s) reads %s sequentially:\n%s",
			    queries[q].name, modes[m], big[t], plan);
		cr_assert(!node_reads(plan, "Seq Scan", rel),
		    "%s (%s) reads %s sequentially:\n%s", queries[q].name,
		    modes[m], rel, plan);
		cr_assert(index_reads(plan, rel), "%s (%s): no index on %s:\n%s",
		    queries[q].name, modes[m], rel, plan);
		free(plan);
	}
}

/* The largest "Actual Rows" of a node reading articles. */
static long
articles_read(const char *plan)
{
	const char	*s = plan;
	long		 most = 0;

	while ((s = strstr(s, "\"Relation Name\": \"articles\"")) != NULL) {
		const char *a = strstr(s, "\"Actual Rows\": ");

		if (a != NULL && atol(a + 15) > most)
			most = atol(a + 15);
		s++;
	}
	return most;
}

Test(articles_plans, the_feed_of_a_reader_following_500_authors)
{
	const char	*p[] = { reader_id, "1", "20", "0" };
	char		*plan;

	assert_indexed(Q_ARTICLE_FEED, 4, p, "\"articles\"");
	assert_indexed(Q_ARTICLE_FEED, 4, p, "\"follows\"");
	plan = q_plan("force_custom_plan", true, Q_ARTICLE_FEED, 4, p);
	/* 500 authors x 10 articles: the count reads their index entries,
	 * the page no more */
	cr_assert_leq(articles_read(plan), 5000, "%s", plan);
	free(plan);
}

Test(articles_plans, the_tag_list_reads_the_tags_in_use_index)
{
	assert_indexed(Q_TAG_LIST, 0, NULL, "\"tags\"");
}

Test(articles_plans, the_list_by_tag_walks_article_tags)
{
	const char *p[] = { NULL, NULL, "20", "0", "scale_tag_7" };

	assert_indexed(Q_ARTICLE_LIST_TAG, 5, p, "\"article_tags\"");
	assert_indexed(Q_ARTICLE_LIST_TAG, 5, p, "\"articles\"");
	p[0] = reader_id;
	p[1] = "1";
	assert_indexed(Q_ARTICLE_LIST_TAG, 5, p, "\"articles\"");
}

Test(articles_plans, get_by_slug_uses_the_slug_index)
{
	const char *p[] = { reader_id, "1", "scale-4242" };

	assert_indexed(Q_ARTICLE_GET, 3, p, "\"articles\"");
	p[0] = p[1] = NULL;
	assert_indexed(Q_ARTICLE_GET, 3, p, "\"articles\"");
}

Test(articles_plans, the_other_lists_use_an_index)
{
	const char *all[] = { reader_id, "1", "20", "0" };
	const char *author[] = { reader_id, "1", "20", "0", "scale_77" };
	const char *fav[] = { NULL, NULL, "20", "0", "scale_78" };

	assert_indexed(Q_ARTICLE_LIST, 4, all, "\"articles\"");
	assert_indexed(Q_ARTICLE_LIST_AUTHOR, 5, author, "\"articles\"");
	assert_indexed(Q_ARTICLE_LIST_FAVORITED, 5, fav, "\"favorites\"");
	assert_indexed(Q_ARTICLE_LIST_FAVORITED, 5, fav, "\"articles\"");
}

Test(articles_plans, a_first_page_reads_a_page_and_an_offset_what_it_skips)
{
	const char	*first[] = { NULL, NULL, "20", "0" };
	const char	*deep[] = { NULL, NULL, "20", "50000" };
	char		*a, *b;

	a = q_plan("force_generic_plan", true, Q_ARTICLE_LIST, 4, first);
	b = q_plan("force_generic_plan", true, Q_ARTICLE_LIST, 4, deep);
	cr_assert_leq(articles_read(a), 20, "%s", a);
	/* The spec's offset: a page 50,000 deep walks 50,020 entries. */
	cr_assert_geq(articles_read(b), 50020, "%s", b);
	free(a);
	free(b);
}
