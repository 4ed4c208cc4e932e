/* SPDX-License-Identifier: MIT */
/* tests/unit/test_route.c - lib/route.c: patterns, ids, 404 and 405. */
#include <criterion/criterion.h>

#include "arena.h"
#include "http.h"
#include "route.h"

static int h(struct req *r) { (void)r; return 0; }

static const struct route table[] = {
	{ "GET", "/", h, ROUTE_PUBLIC, 0, 0, "root" },
	{ "GET", "/api/v1/tasks", h, ROUTE_USER, 0, 0, "list" },
	{ "POST", "/api/v1/tasks", h, ROUTE_USER, 0, 0, "create" },
	{ "GET", "/api/v1/tasks/{id}", h, ROUTE_USER, 0, 0, "get" },
	{ "PATCH", "/api/v1/tasks/{id}", h, ROUTE_USER, 0, 0, "update" },
	{ "GET", "/api/profiles/{username}/follow", h, ROUTE_USER, 0, 0, "f" },
};
#define N (sizeof(table) / sizeof(table[0]))

static struct arena *a;
static struct req r;

static void setup(void) { a = arena_new(1024); r.arena = a; }
static void teardown(void) { arena_free(a); }

TestSuite(route, .init = setup, .fini = teardown);

static int
match(const char *m, const char *p, const struct route **rt, char *allow)
{
	return route_match(table, N, m, p, &r, rt, allow, 64);
}

Test(route, literal_and_parameter_paths_match)
{
	const struct route *rt;
	char allow[64];

	cr_assert_eq(match("GET", "/", &rt, allow), 1);
	cr_assert_str_eq(rt->summary, "root");
	cr_assert_eq(match("POST", "/api/v1/tasks", &rt, allow), 1);
	cr_assert_str_eq(rt->summary, "create");
	cr_assert_eq(match("GET", "/api/v1/tasks/42", &rt, allow), 1);
	cr_assert_str_eq(rt->summary, "get");
	cr_assert_eq(r.npath_params, 1);
	cr_assert_str_eq(http_path_param(&r, 0), "42");
	cr_assert_eq(match("GET", "/api/profiles/jake_1/follow", &rt, allow),
	    1);
	cr_assert_str_eq(http_path_param(&r, 0), "jake_1");
}

Test(route, ids_that_are_not_positive_int64_are_404)
{
	const struct route *rt;
	char allow[64];
	const char *bad[] = { "/api/v1/tasks/0", "/api/v1/tasks/-1",
	    "/api/v1/tasks/007", "/api/v1/tasks/abc", "/api/v1/tasks/1.5",
	    "/api/v1/tasks/9223372036854775808",
	    "/api/v1/tasks/99999999999999999999", "/api/v1/tasks/",
	    "/api/v1/tasks/1/", "/api/v1/tasks//1", "/api/v1/tasks/ 1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(match("GET", bad[i], &rt, allow), 0, "%s",
		    bad[i]);
	cr_assert_eq(match("GET", "/api/v1/tasks/9223372036854775807", &rt,
	    allow), 1);
}

Test(route, unknown_paths_are_404)
{
	const struct route *rt;
	char allow[64];

	cr_assert_eq(match("GET", "/nope", &rt, allow), 0);
	cr_assert_eq(match("GET", "/api/v1", &rt, allow), 0);
	cr_assert_eq(match("GET", "/api/v1/tasksx", &rt, allow), 0);
	cr_assert_eq(match("GET", "", &rt, allow), 0);
}

Test(route, wrong_method_is_405_with_allow)
{
	const struct route *rt;
	char allow[64];

	cr_assert_eq(match("DELETE", "/api/v1/tasks/5", &rt, allow), -1);
	cr_assert_str_eq(allow, "GET, HEAD, PATCH");
	cr_assert_eq(match("PUT", "/api/v1/tasks", &rt, allow), -1);
	cr_assert_str_eq(allow, "GET, HEAD, POST");
}

Test(route, is_id)
{
	cr_assert(route_is_id("1"));
	cr_assert(route_is_id("9223372036854775807"));
	cr_assert_not(route_is_id("9223372036854775808"));
	cr_assert_not(route_is_id(""));
	cr_assert_not(route_is_id("+1"));
	cr_assert_not(route_is_id("01"));
}
