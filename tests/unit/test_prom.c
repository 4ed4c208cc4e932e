/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_prom.c - the exposition writer (lib/prom.c) and the
 * pool's exposition (lib/metrics.c, on an anonymous mapping), each read
 * back by the strict parser of tests/support/promparse.c; and that parser
 * refusing what the format forbids, so that a pass means something.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "prom.h"
#include "promparse.h"
#include "route.h"

/* Runs fn on a memstream and returns the text (malloc'd). */
#define CAPTURE(text, len, ...) do {					\
	FILE *f_ = open_memstream(&(text), &(len));			\
	cr_assert_not_null(f_);						\
	__VA_ARGS__;							\
	cr_assert_eq(fclose(f_), 0);					\
} while (0)

static void
must_parse(const char *text, size_t len, struct promp_doc *doc)
{
	char err[256];

	cr_assert_eq(promp_parse(text, len, doc, err, sizeof(err)), 0,
	    "%s\n--- text ---\n%s", err, text);
}

static void
must_refuse(const char *text, const char *why)
{
	struct promp_doc	doc;
	char			err[256] = "";

	cr_assert_eq(promp_parse(text, strlen(text), &doc, err, sizeof(err)),
	    -1, "accepted (%s):\n%s", why, text);
	cr_assert(strstr(err, why) != NULL, "error \"%s\", want \"%s\"", err,
	    why);
}

Test(prom, label_values_are_escaped_and_read_back)
{
	const char		*nasty = "a\\b\"c\nd é";
	struct prom_label	 l[2] = { { "route", nasty }, { "x", "" } };
	struct promp_doc	 doc;
	char			*text = NULL;
	size_t			 len = 0;

	CAPTURE(text, len,
	    prom_family(f_, "t_total", "counter", "help with \\ and\nnewline");
	    prom_u64(f_, "t_total", l, 2, 7));
	cr_assert_str_eq(text,
	    "# HELP t_total help with \\\\ and\\nnewline\n"
	    "# TYPE t_total counter\n"
	    "t_total{route=\"a\\\\b\\\"c\\nd é\",x=\"\"} 7\n");
	must_parse(text, len, &doc);
	cr_assert_eq(doc.n, 1);
	cr_assert_str_eq(doc.samples[0].lvalue[0], nasty);
	cr_assert_str_eq(doc.samples[0].lvalue[1], "");
	cr_assert_eq(doc.samples[0].value, 7);
	promp_free(&doc);
	free(text);
}

Test(prom, floats_are_short_and_special_values_spelled_right)
{
	char	*text = NULL;
	size_t	 len = 0;

	CAPTURE(text, len,
	    prom_double(f_, "a", NULL, 0, 0.0005);
	    prom_double(f_, "b", NULL, 0, 1e21);
	    prom_double(f_, "c", NULL, 0, INFINITY);
	    prom_double(f_, "d", NULL, 0, -INFINITY);
	    prom_double(f_, "e", NULL, 0, NAN);
	    prom_double(f_, "f", NULL, 0, 0.1 + 0.2));
	cr_assert_str_eq(text, "a 0.0005\nb 1e+21\nc +Inf\nd -Inf\ne NaN\n"
	    "f 0.30000000000000004\n");
	free(text);
}

Test(prom, histogram_buckets_are_cumulative_and_inf_is_the_count)
{
	static const double	 bounds[3] = { 0.1, 0.5, 1 };
	static const uint64_t	 counts[4] = { 1, 0, 2, 3 };
	struct prom_label	 l = { "route", "/x" };
	struct promp_doc	 doc;
	char			*text = NULL;
	size_t			 len = 0, n;

	CAPTURE(text, len,
	    prom_family(f_, "h_seconds", "histogram", "h");
	    prom_histogram(f_, "h_seconds", &l, 1, bounds, counts, 3, 2.25));
	cr_assert_str_eq(text,
	    "# HELP h_seconds h\n# TYPE h_seconds histogram\n"
	    "h_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"
	    "h_seconds_bucket{route=\"/x\",le=\"0.5\"} 1\n"
	    "h_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
	    "h_seconds_bucket{route=\"/x\",le=\"+Inf\"} 6\n"
	    "h_seconds_sum{route=\"/x\"} 2.25\n"
	    "h_seconds_count{route=\"/x\"} 6\n");
	must_parse(text, len, &doc);
	cr_assert_eq(promp_sum(&doc, "h_seconds_bucket", &n, "le", "+Inf",
	    NULL), 6);
	cr_assert_eq(promp_sum(&doc, "h_seconds_count", &n, NULL), 6);
	promp_free(&doc);
	free(text);
}

Test(prom, histogram_without_labels)
{
	static const double	 bounds[1] = { 1 };
	static const uint64_t	 counts[2] = { 0, 0 };
	struct promp_doc	 doc;
	char			*text = NULL;
	size_t			 len = 0;

	CAPTURE(text, len,
	    prom_family(f_, "h", "histogram", "empty");
	    prom_histogram(f_, "h", NULL, 0, bounds, counts, 1, 0));
	cr_assert_str_eq(text, "# HELP h empty\n# TYPE h histogram\n"
	    "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\n"
	    "h_count 0\n");
	must_parse(text, len, &doc);
	promp_free(&doc);
	free(text);
}

#define HT "# HELP x_total x\n# TYPE x_total counter\n"
#define HH "# HELP h h\n# TYPE h histogram\n"

Test(prom, the_parser_refuses_what_the_format_forbids)
{
	must_refuse(HT "x_total 1", "newline");
	must_refuse(HT "x_total{a=\"b\\t\"} 1\n", "bad escape");
	must_refuse(HT "x_total{a=\"b\",} 1\n", "trailing comma");
	must_refuse(HT "x_total{a=\"b\",a=\"c\"} 1\n", "twice");
	must_refuse(HT "x_total{__a=\"b\"} 1\n", "bad label name");
	must_refuse(HT "x_total{a=\"b\"} 1\nx_total{a=\"b\"} 2\n", "twice");
	must_refuse(HT "x_total 0x10\n", "bad value");
	must_refuse(HT "x_total inf\n", "bad value");
	must_refuse(HT "x_total -1\n", "negative");
	must_refuse(HT "x_total 1 1700000000\n", "timestamps");
	must_refuse(HT "x_total{a=\"\xff\"} 1\n", "UTF-8");
	must_refuse("# HELP c c\n# TYPE c counter\nc 1\n", "_total");
	must_refuse("y 1\n", "no TYPE");
	must_refuse("# TYPE g gauge\ng 1\n", "HELP");
	must_refuse(HT "\nx_total 1\n", "empty line");
	must_refuse(HT "# HELP g g\n# TYPE g gauge\ng 1\nx_total 2\n",
	    "together");
	must_refuse(HT "x_total 1\n# TYPE x_total counter\n", "TYPE");
	must_refuse(HH "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
	    "h_sum 0\nh_count 1\n", "cumulative");
	must_refuse(HH "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
	    "h_sum 0\nh_count 3\n", "_count");
	must_refuse(HH "h_bucket{le=\"1\"} 1\nh_sum 0\nh_count 1\n", "+Inf");
	must_refuse(HH "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
	    "h_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 1\n", "ascending");
	must_refuse(HH "h_bucket{le=\"+Inf\"} 1\nh_count 1\n", "_sum");
	must_refuse(HH "h 1\n", "no TYPE");
}

/* ---- the pool's exposition, on an anonymous mapping ---------------- */

static int
nop(struct req *r)
{
	(void)r;
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/v1/tasks/{id}", nop, ROUTE_PUBLIC, 0, 0, "a" },
	{ "POST", "/api/v1/tasks", nop, ROUTE_PUBLIC, 0, 0, "b" },
};

static void
record(const struct route *rt, const char *method, int status, int64_t us)
{
	struct req r = { 0 };

	r.route = rt;
	r.method = method;
	r.status = status;
	r.started_us = log_now_us() - us;
	metrics_request(&r);
}

Test(prom, the_pool_exposition_counts_what_was_recorded)
{
	struct promp_doc	doc;
	char			err[256], *text = NULL;
	size_t			len = 0, n;

	cr_assert_eq(metrics_open(NULL, NULL, err, sizeof(err)), 0, "%s",
	    err);
	metrics_loop_start(routes, 2);
	for (int i = 0; i < 5; i++) {
		metrics_accepted();
		record(&routes[0], "GET", 200, 300);	/* bucket 0.0005 */
	}
	record(&routes[0], "GET", 404, 2000);		/* 0.0025 */
	record(&routes[1], "POST", 201, 7000000);	/* above 5 s */
	record(NULL, "BREW", 404, 10);			/* unmatched other */
	record(NULL, "GET", 405, 10);
	metrics_db_error(METRICS_DB_TIMEOUT);
	metrics_db_error(metrics_db_kind_of("23505"));
	metrics_db_reconnect();
	metrics_db_unavailable();
	metrics_hash_done(1500);
	metrics_hash_waited(20);
	metrics_hash_refused();
	metrics_accepted();	/* one in flight: this "scrape" */
	CAPTURE(text, len, cr_assert_eq(metrics_write(f_, NULL), 0));
	must_parse(text, len, &doc);

	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_total", &n,
	    "route", "/api/v1/tasks/{id}", "method", "GET", "status", "200",
	    NULL), 5);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_total", &n,
	    "route", "/api/v1/tasks/{id}", NULL), 6);
	cr_assert_eq(n, 2, "one series per status");
	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_total", &n,
	    "route", "unmatched", "method", "other", "status", "404", NULL), 1);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_total", &n,
	    "route", "unmatched", "method", "GET", "status", "405", NULL), 1);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_total", &n, NULL),
	    9);
	/* Buckets: 5 at <= 0.5 ms, the 404 at <= 2.5 ms. */
	cr_assert_eq(promp_sum(&doc, "quetzal_http_request_duration_seconds_"
	    "bucket", &n, "route", "/api/v1/tasks/{id}", "le", "0.0005", NULL),
	    5);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_request_duration_seconds_"
	    "bucket", &n, "route", "/api/v1/tasks/{id}", "le", "0.001", NULL),
	    5);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_request_duration_seconds_"
	    "bucket", &n, "route", "/api/v1/tasks/{id}", "le", "0.0025", NULL),
	    6);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_request_duration_seconds_"
	    "bucket", &n, "route", "/api/v1/tasks", "le", "5", NULL), 0);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_request_duration_seconds_"
	    "bucket", &n, "route", "/api/v1/tasks", "le", "+Inf", NULL), 1);
	cr_assert_geq(promp_sum(&doc, "quetzal_http_request_duration_seconds_"
	    "sum", &n, "route", "/api/v1/tasks", NULL), 7.0);
	cr_assert_eq(promp_sum(&doc, "quetzal_http_requests_in_flight", &n,
	    NULL), 1);
	cr_assert_eq(promp_sum(&doc, "quetzal_db_errors_total", &n, "kind",
	    "timeout", NULL), 1);
	cr_assert_eq(promp_sum(&doc, "quetzal_db_errors_total", &n, "kind",
	    "conflict", NULL), 1);
	cr_assert_eq(promp_sum(&doc, "quetzal_db_errors_total", &n, NULL), 2);
	cr_assert_eq(promp_sum(&doc, "quetzal_db_reconnects_total", &n, NULL),
	    1);
	cr_assert_eq(promp_sum(&doc, "quetzal_db_unavailable_total", &n,
	    NULL), 1);
	cr_assert_eq(promp_sum(&doc, "quetzal_password_hashes_total", &n,
	    NULL), 1);
	cr_assert_eq(promp_sum(&doc, "quetzal_password_hash_seconds_total",
	    &n, NULL), 0.0015);
	cr_assert_eq(promp_sum(&doc, "quetzal_password_hash_waits_total", &n,
	    NULL), 1);
	cr_assert_eq(promp_sum(&doc, "quetzal_password_hash_refusals_total",
	    &n, NULL), 1);
	cr_assert_eq(promp_sum(&doc, "quetzal_worker_starts_total", &n, NULL),
	    1);
	cr_assert_eq(promp_sum(&doc, "quetzal_worker_accept_loops", &n, NULL),
	    1);
	cr_assert_eq(promp_sum(&doc, "quetzal_build_info", &n, "version",
	    QUETZAL_VERSION, NULL), 1);
	cr_assert_eq(promp_sum(&doc, "quetzal_metrics_pool_wide", &n, NULL),
	    0, "an anonymous mapping is this process only");
	cr_assert_gt(promp_sum(&doc, "quetzal_pool_resident_memory_bytes", &n,
	    NULL), 0);
	promp_free(&doc);
	free(text);
	metrics_loop_stop();
	metrics_close();
}

Test(prom, metrics_off_records_nothing_and_a_bad_setting_is_refused)
{
	char err[256];

	cr_assert_eq(metrics_open(NULL, "maybe", err, sizeof(err)), -1);
	cr_assert(strstr(err, "QUETZAL_METRICS") != NULL, "%s", err);
	cr_assert_eq(metrics_open(NULL, "off", err, sizeof(err)), 0);
	cr_assert_not(metrics_enabled());
	metrics_loop_start(routes, 2);
	record(&routes[0], "GET", 200, 1);	/* no slot: a no-op */
	cr_assert_eq(metrics_requests_total(), 0);
	metrics_close();
}
