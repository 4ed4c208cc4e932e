/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_hostile.c - bad input of every kind gets a 4xx and never a
 * 5xx, a hang or a dead worker (SPEC 4.1).
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

TestSuite(hostile, .init = test_need_stack);

static void
expect_4xx(const char *method, const char *path, const char *const *h,
    const char *body)
{
	struct resp r;

	cr_assert_eq(http_req(method, path, h, body, &r), 0, "%s %s",
	    method, path);
	cr_assert(r.status >= 400 && r.status < 500, "%ld for %s %.60s: %.200s",
	    r.status, method, path, r.body);
	resp_free(&r);
}

Test(hostile, bad_paths_queries_and_bodies_are_4xx)
{
	char	*deep = malloc(4001), *wide = malloc(200000), *longq;
	const char *const text[] = { "Content-Type: text/plain", NULL };
	const char *const xml[] = { "Content-Type: application/xml", NULL };
	const char *const form[] = {
	    "Content-Type: application/x-www-form-urlencoded", NULL };
	size_t	 n = 0;

	for (int i = 0; i < 2000; i++)
		deep[i] = '[';
	for (int i = 0; i < 2000; i++)
		deep[2000 + i] = ']';
	deep[4000] = '\0';
	n += (size_t)sprintf(wide, "{");
	for (int i = 0; i < 10000; i++)
		n += (size_t)sprintf(wide + n, "%s\"k%d\":%d", i ? "," : "", i,
		    i);
	sprintf(wide + n, "}");
	longq = malloc(20000);
	strcpy(longq, "/healthz?");
	memset(longq + 9, 'a', 19000);
	longq[19009] = '\0';

	expect_4xx("GET", "/%ff%fe", NULL, NULL);
	expect_4xx("GET", "/api/v1/%00", NULL, NULL);
	{
		/* Ignored by /healthz, or refused by nginx: never a 5xx. */
		struct resp r;

		cr_assert_eq(http_req("GET", longq, NULL, NULL, &r), 0);
		cr_assert_lt(r.status, 500);
		resp_free(&r);
	}
	expect_4xx("POST", "/healthz", NULL, deep);
	expect_4xx("POST", "/healthz", NULL, wide);	/* valid, but 405 */
	expect_4xx("POST", "/healthz", NULL, "\xff\xfe{}");
	expect_4xx("POST", "/healthz", NULL, "{\"a\":\"\\ud800\"}");
	expect_4xx("POST", "/healthz", NULL, "{\"a\":\"\x01\"}");
	expect_4xx("POST", "/healthz", text, "{}");
	expect_4xx("POST", "/healthz", xml, "<a/>");
	expect_4xx("POST", "/healthz", form, "a=%zz");
	expect_4xx("PUT", "/", NULL, "null");
	expect_4xx("BREW", "/", NULL, NULL);
	free(deep);
	free(wide);
	free(longq);
}

Test(hostile, odd_headers_change_nothing)
{
	const char *const h[] = { "Authorization: Bearer \x01\x02garbage",
	    "X-Request-ID: \"><script>", "If-None-Match: *",
	    "Content-Type: application/json; charset=utf-8", NULL };
	struct resp r;
	char *id;

	cr_assert_eq(http_req("GET", "/healthz", h, NULL, &r), 0);
	cr_assert_eq(r.status, 200);
	id = resp_header(&r, "X-Request-ID");
	cr_assert_eq(strspn(id, "0123456789abcdef"), 32,
	    "a client's X-Request-ID is not echoed: %s", id);
	free(id);
	resp_free(&r);
}

Test(hostile, workers_are_still_the_same_processes)
{
	const char	*pids = getenv("QUETZAL_TEST_WORKER_PIDS");
	char		*copy, *save = NULL;

	cr_assert_not_null(pids);
	copy = strdup(pids);
	for (char *p = strtok_r(copy, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save))
		cr_assert_eq(kill(atoi(p), 0), 0, "worker %s died", p);
	free(copy);
}
