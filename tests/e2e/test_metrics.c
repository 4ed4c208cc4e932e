/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_metrics.c - GET /metrics through nginx (SPEC 4.2).
 *
 * access_*: nginx lets loopback (127.0.0.1) and QUETZAL_METRICS_ALLOW
 * (127.0.0.3 in the test stack) read it; another address (127.0.0.2)
 * gets a 404 problem+json.  They run with the rest of the suite.
 *
 * counts_* and kill_*: exact numbers, so nothing else may send requests
 * meanwhile; the kill test also SIGKILLs workers.  The Makefile runs them
 * alone, last, with QUETZAL_TEST_METRICS=1 and a filter on this suite.
 * Every scrape is checked by the strict parser (tests/support/promparse.c:
 * our own, no promtool).
 */
#include <criterion/criterion.h>

#include <curl/curl.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "metrics.h"
#include "promparse.h"

#define TASK_ROUTE	"/api/v1/tasks/{id}"

/* GET /metrics, strictly parsed into doc. */
static void
scrape(struct promp_doc *doc)
{
	struct resp	 r = http_get("/metrics", NULL);
	char		 err[256], *ct;

	cr_assert_eq(r.status, 200, "%s", r.body);
	ct = resp_header(&r, "Content-Type");
	cr_assert_str_eq(ct, "text/plain; version=0.0.4; charset=utf-8");
	free(ct);
	cr_assert_eq(promp_parse(r.body, r.len, doc, err, sizeof(err)), 0,
	    "%s\n--- body ---\n%s", err, r.body);
	resp_free(&r);
}

static double
series(const struct promp_doc *d, const char *route, const char *method,
    const char *status)
{
	return promp_sum(d, "quetzal_http_requests_total", NULL, "route",
	    route, "method", method, "status", status, NULL);
}

static double
hist_count(const struct promp_doc *d, const char *route, const char *method)
{
	return promp_sum(d, "quetzal_http_request_duration_seconds_count",
	    NULL, "route", route, "method", method, NULL);
}

static void
need_alone(void)
{
	test_need_stack();
	if (getenv("QUETZAL_TEST_METRICS") == NULL)
		cr_skip_test("exact counts: run alone with QUETZAL_TEST_METRICS=1");
}

/* The workers of the stack still alive; returns how many. */
static int
live_workers(pid_t *out, int max)
{
	char	*copy = strdup(getenv("QUETZAL_TEST_WORKER_PIDS")), *save;
	int	 n = 0;

	for (char *p = strtok_r(copy, " ", &save); p != NULL && n < max;
	    p = strtok_r(NULL, " ", &save))
		if (kill(atoi(p), 0) == 0)
			out[n++] = atoi(p);
	free(copy);
	return n;
}

Test(metrics, counts_are_exact_whichever_worker_answers)
{
	struct test_user	 u;
	struct promp_doc	 b, d;
	struct resp		 r;
	char			 path[128];
	pid_t			 pids[64];
	int			 nlive, threads = 1;
	double			 m0;

	need_alone();
	if (getenv("QUETZAL_THREADS") != NULL)
		threads = atoi(getenv("QUETZAL_THREADS"));
	/* and QUETZAL_SPARE_LOOPS spare ones (default 6), counted too */
	threads += getenv("QUETZAL_SPARE_LOOPS") != NULL ?
	    atoi(getenv("QUETZAL_SPARE_LOOPS")) : 6;
	test_user_new(&u);
	r = http_json("POST", "/api/v1/tasks", u.token, "{\"title\":\"m\"}");
	cr_assert_eq(r.status, 201, "%s", r.body);
	snprintf(path, sizeof(path), "/api/v1/tasks/%s", resp_str(&r, "id"));
	resp_free(&r);

	/* An accept loop whose connection died (the pgdown suite restarts
	 * PostgreSQL just before) reconnects within a second of idling
	 * (lib/worker.c): let the pool connect again first. */
	nlive = live_workers(pids, 64);
	for (int i = 0; i < 50; i++) {
		double n;

		scrape(&d);
		n = promp_sum(&d, "quetzal_pg_connections", NULL, NULL);
		promp_free(&d);
		if (n >= nlive)
			break;
		usleep(100000);
	}

	scrape(&b);
	m0 = series(&b, "/metrics", "GET", "200");
	for (int i = 0; i < 20; i++) {
		r = http_get(path, u.token);
		cr_assert_eq(r.status, 200);
		resp_free(&r);
	}
	for (int i = 0; i < 5; i++) {
		r = http_get("/api/v1/tasks/999999999999", u.token);
		cr_assert_eq(r.status, 404);
		resp_free(&r);
	}
	for (int i = 0; i < 3; i++) {
		r = http_get("/no/such/thing", NULL);
		cr_assert_eq(r.status, 404);
		resp_free(&r);
	}
	r = http_json("PATCH", path, u.token, "{\"title\":");
	cr_assert_eq(r.status, 400, "a body error counts on its route");
	resp_free(&r);

	/* Several scrapes, so several workers answer: each sees it all. */
	nlive = live_workers(pids, 64);
	for (int s = 1; s <= 3 * nlive; s++) {
		scrape(&d);
		cr_assert_eq(series(&d, TASK_ROUTE, "GET", "200") -
		    series(&b, TASK_ROUTE, "GET", "200"), 20, "scrape %d", s);
		cr_assert_eq(series(&d, TASK_ROUTE, "GET", "404") -
		    series(&b, TASK_ROUTE, "GET", "404"), 5, "scrape %d", s);
		cr_assert_eq(hist_count(&d, TASK_ROUTE, "GET") -
		    hist_count(&b, TASK_ROUTE, "GET"), 25, "scrape %d", s);
		cr_assert_eq(series(&d, "unmatched", "GET", "404") -
		    series(&b, "unmatched", "GET", "404"), 3, "scrape %d", s);
		cr_assert_eq(series(&d, TASK_ROUTE, "PATCH", "400") -
		    series(&b, TASK_ROUTE, "PATCH", "400"), 1, "scrape %d", s);
		/* A scrape is counted once answered, so it sees the ones
		 * before it, not itself. */
		cr_assert_eq(series(&d, "/metrics", "GET", "200") - m0, s,
		    "scrape %d", s);
		/* each worker runs QUETZAL_THREADS accept loops (default 1)
		 * and its spare loops */
		cr_assert_eq(promp_sum(&d, "quetzal_worker_accept_loops", NULL,
		    NULL), nlive * threads);
		cr_assert_eq(promp_sum(&d, "quetzal_worker_processes", NULL,
		    NULL), nlive);
		cr_assert_geq(promp_sum(&d, "quetzal_http_requests_in_flight",
		    NULL, NULL), 1, "the scrape itself");
		cr_assert_eq(promp_sum(&d, "quetzal_metrics_pool_wide", NULL,
		    NULL), 1);
		cr_assert_eq(promp_sum(&d, "quetzal_pg_up", NULL, NULL), 1);
		cr_assert_geq(promp_sum(&d, "quetzal_pg_connections", NULL,
		    NULL), nlive);
		cr_assert_gt(promp_sum(&d, "quetzal_pg_database_size_bytes",
		    NULL, NULL), 0);
		cr_assert_geq(promp_sum(&d, "quetzal_nginx_connections", NULL,
		    "state", "active", NULL), 1);
		cr_assert_gt(promp_sum(&d, "quetzal_pool_resident_memory_bytes",
		    NULL, NULL), 0);
		promp_free(&d);
	}
	promp_free(&b);
}

Test(metrics, kill_9_of_workers_keeps_their_counts)
{
	struct promp_doc	 b, d;
	struct resp		 r;
	pid_t			 pids[64];
	int			 n;
	double			 before;

	need_alone();
	n = live_workers(pids, 64);
	if (n < 2)
		cr_skip_test("needs two live workers, has %d", n);
	scrape(&b);
	before = series(&b, "/healthz", "GET", "200");
	promp_free(&b);
	for (int i = 0; i < 40; i++) {
		r = http_get("/healthz", NULL);
		cr_assert_eq(r.status, 200);
		resp_free(&r);
	}
	/* All but one; with 40 requests over n workers, the dead ones
	 * served some (their slots are checked below through the sums). */
	for (int i = 1; i < n; i++)
		cr_assert_eq(kill(pids[i], SIGKILL), 0);
	for (int i = 1; i < n; i++) {
		int tries = 0;

		/* gone, or a zombie nobody reaps: either is dead to us */
		while (kill(pids[i], 0) == 0 && tries++ < 100) {
			char path[64], st[512];
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/stat",
			    (int)pids[i]);
			if ((f = fopen(path, "r")) != NULL) {
				size_t k = fread(st, 1, sizeof(st) - 1, f);

				fclose(f);
				st[k] = '\0';
				if (strstr(st, ") Z ") != NULL)
					break;
			}
			usleep(20000);
		}
	}
	/* The dead slots hold requests (read from the shared file itself;
	 * this process claims no slot). */
	{
		char err[256];

		cr_assert_eq(metrics_open(getenv("QUETZAL_TEST_STACK_DIR"), "on",
		    err, sizeof(err)), 0, "%s", err);
		cr_assert_gt(metrics_requests_of_dead(), 0, "the killed "
		    "workers had answered nothing: the test proves nothing");
		metrics_close();
	}
	for (int s = 0; s < 4; s++) {
		scrape(&d);
		cr_assert_eq(series(&d, "/healthz", "GET", "200") - before, 40,
		    "the killed workers' counts are kept");
		promp_free(&d);
	}
}

/* GET /metrics from the local address `from` (127.0.0.x). */
static long
get_from(const char *from, const char *path, char *ct, size_t ctlen,
    char *body, size_t bodylen)
{
	CURL		*c = curl_easy_init();
	char		 url[512];
	long		 status = 0;
	FILE		*f = fmemopen(body, bodylen, "w");
	char		*type = NULL;

	cr_assert_not_null(c);
	snprintf(url, sizeof(url), "%s%s", getenv("QUETZAL_TEST_URL"), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_INTERFACE, from);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	cr_assert_eq(curl_easy_perform(c), CURLE_OK, "GET %s from %s", path,
	    from);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
	snprintf(ct, ctlen, "%s", type ? type : "");
	fclose(f);
	curl_easy_cleanup(c);
	return status;
}

Test(metrics, access_from_other_addresses_is_a_404_problem)
{
	static const char *const paths[] = { "/metrics", "//metrics",
	    "/%6detrics", "/metrics?x=1", "/./metrics" };
	char ct[128], body[8192];

	test_need_stack();
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		memset(body, 0, sizeof(body));
		cr_assert_eq(get_from("127.0.0.2", paths[i], ct, sizeof(ct),
		    body, sizeof(body)), 404, "%s: %s", paths[i], body);
		cr_assert_str_eq(ct, "application/problem+json", "%s",
		    paths[i]);
		cr_assert(strstr(body, "\"status\":404") != NULL, "%s", body);
		cr_assert(strstr(body, "quetzal_") == NULL, "%s", body);
	}
	/* The worker itself refuses a /metrics that did not come through
	 * nginx's /metrics location (it lacks the QUETZAL_METRICS param). */
	memset(body, 0, sizeof(body));
	cr_assert_eq(get_from("127.0.0.2", "/metrics/", ct, sizeof(ct), body,
	    sizeof(body)), 404);
	cr_assert(strstr(body, "quetzal_") == NULL, "%s", body);
}

Test(metrics, access_from_loopback_and_metrics_allow)
{
	/* The whole exposition: a histogram per route makes it long. */
	static char body[1 << 20];
	char ct[128];

	test_need_stack();
	if (getenv("QUETZAL_METRICS_ALLOW") == NULL ||
	    strcmp(getenv("QUETZAL_METRICS_ALLOW"), "127.0.0.3") != 0)
		cr_skip_test("the stack has no QUETZAL_METRICS_ALLOW=127.0.0.3");
	cr_assert_eq(get_from("127.0.0.1", "/metrics", ct, sizeof(ct), body,
	    sizeof(body)), 200);
	cr_assert_str_eq(ct, "text/plain; version=0.0.4; charset=utf-8");
	cr_assert_eq(get_from("127.0.0.3", "/metrics", ct, sizeof(ct), body,
	    sizeof(body)), 200);
	cr_assert(strlen(body) < sizeof(body) - 1, "the exposition was cut");
	cr_assert(strstr(body, "quetzal_build_info{version=") != NULL);
}
