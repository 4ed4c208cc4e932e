/* SPDX-License-Identifier: MIT */
/*
 * tests/integration/test_metrics.c - the shared metrics file
 * (lib/metrics.c) with real processes and threads: a worker killed with
 * SIGKILL leaves its counts, the next one inherits its slot and counts on
 * from them, threads of one process each get a slot of their own, and a
 * binary with another route table shares the file.  No database.
 */
#include <criterion/criterion.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "promparse.h"
#include "route.h"

static char dir[256];

static void
make_dir(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/quetzal-metrics.XXXXXX", t ? t : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
}

static void
remove_dir(void)
{
	char path[300];

	metrics_close();
	snprintf(path, sizeof(path), "%s/metrics.v1", dir);
	unlink(path);
	rmdir(dir);
}

TestSuite(metrics, .init = make_dir, .fini = remove_dir);

static int
nop(struct req *r)
{
	(void)r;
	return 0;
}

static const struct route routes_a[] = {
	{ "GET", "/a", nop, ROUTE_PUBLIC, 0, 0, "a" },
};
static const struct route routes_b[] = {
	{ "GET", "/b", nop, ROUTE_PUBLIC, 0, 0, "b" },
	{ "GET", "/a", nop, ROUTE_PUBLIC, 0, 0, "a" },
};

static void
open_file(void)
{
	char err[256];

	cr_assert_eq(metrics_open(dir, "on", err, sizeof(err)), 0, "%s", err);
}

static void
record(const struct route *rt, int status)
{
	struct req r = { 0 };

	r.route = rt;
	r.method = rt->method;
	r.status = status;
	r.started_us = log_now_us();
	metrics_request(&r);
}

/* Parses a fresh exposition into doc. */
static void
scrape(struct promp_doc *doc)
{
	char	*text = NULL, err[256];
	size_t	 len = 0;
	FILE	*f = open_memstream(&text, &len);

	cr_assert_eq(metrics_write(f, NULL), 0);
	fclose(f);
	cr_assert_eq(promp_parse(text, len, doc, err, sizeof(err)), 0,
	    "%s\n%s", err, text);
	free(text);
}

/* In a child: n requests on routes[0], then death by SIGKILL. */
static pid_t
worker_that_dies(const struct route *routes, size_t nroutes, int n)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		open_file();
		metrics_loop_start(routes, nroutes);
		for (int i = 0; i < n; i++)
			record(&routes[0], 200);
		metrics_accepted();	/* killed in the middle of one */
		kill(getpid(), SIGKILL);
		_exit(0);
	}
	return pid;
}

static void
reap_killed(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

Test(metrics, a_killed_workers_counts_stay_and_its_successor_counts_on)
{
	struct promp_doc	doc;
	size_t			n;

	reap_killed(worker_that_dies(routes_a, 1, 3));
	open_file();
	cr_assert_eq(metrics_requests_total(), 3);
	cr_assert_eq(metrics_requests_of_dead(), 3, "the dead slot keeps them");
	scrape(&doc);
	cr_assert_eq(promp_sum(&doc, "quetzal_worker_accept_loops", &n, NULL),
	    0);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_in_flight", &n,
	    NULL), 0, "a dead worker's request is not in flight");
	promp_free(&doc);

	/* The successor takes the dead slot (the only one used) and counts
	 * on from 3: nothing goes backwards. */
	metrics_loop_start(routes_a, 1);
	cr_assert_eq(metrics_requests_of_dead(), 0);
	record(&routes_a[0], 200);
	scrape(&doc);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_total", &n,
	    "route", "/a", "method", "GET", "status", "200", NULL), 4);
	cr_assert_eq(promp_sum(&doc, "quetzal_worker_starts_total", &n, NULL),
	    2);
	cr_assert_eq(promp_sum(&doc, "quetzal_worker_accept_loops", &n, NULL),
	    1);
	cr_assert_eq(promp_sum(&doc, "quetzal_metrics_pool_wide", &n, NULL),
	    1);
	promp_free(&doc);
	metrics_loop_stop();
}

Test(metrics, a_clean_stop_frees_the_slot_and_keeps_the_counts)
{
	open_file();
	metrics_loop_start(routes_a, 1);
	record(&routes_a[0], 204);
	metrics_loop_stop();
	cr_assert_eq(metrics_requests_total(), 1);
	cr_assert_eq(metrics_requests_of_dead(), 0, "released, not dead");
	metrics_loop_start(routes_a, 1);
	record(&routes_a[0], 204);
	cr_assert_eq(metrics_requests_total(), 2);
	metrics_loop_stop();
}

static void *
on_thread(void *arg)
{
	(void)arg;
	metrics_loop_start(routes_a, 1);
	for (int i = 0; i < 100000; i++)
		record(&routes_a[0], 200);
	return NULL;
}

Test(metrics, each_thread_has_a_slot_and_no_count_is_lost)
{
	pthread_t		t[4];
	struct promp_doc	doc;
	size_t			n;

	open_file();
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, on_thread, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	scrape(&doc);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_total", &n, NULL),
	    400000);
	cr_assert_eq(promp_sum(&doc, "quetzal_worker_accept_loops", &n, NULL),
	    4, "four live slots of one process");
	cr_assert_eq(promp_sum(&doc, "quetzal_worker_processes", &n, NULL), 1);
	promp_free(&doc);
}

Test(metrics, binaries_with_other_routes_share_the_file)
{
	struct promp_doc	doc;
	size_t			n;

	reap_killed(worker_that_dies(routes_a, 1, 2));
	reap_killed(worker_that_dies(routes_b, 2, 5));	/* "/b" x5 */
	open_file();
	metrics_loop_start(routes_b, 2);
	record(&routes_b[1], 200);			/* "/a" */
	scrape(&doc);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_total", &n,
	    "route", "/a", NULL), 3);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_total", &n,
	    "route", "/b", NULL), 5);
	promp_free(&doc);
	metrics_loop_stop();
}
