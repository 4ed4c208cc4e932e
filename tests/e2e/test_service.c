/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_service.c - through real nginx and real workers: the
 * service endpoints (SPEC 4.2), the error shapes of SPEC 4.1, request ids,
 * body limits and content types, and the docs nginx serves.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "client.h"

TestSuite(service, .init = test_need_stack);

Test(service, root_names_the_service)
{
	struct resp r = http_get("/", NULL);
	char *ct = resp_header(&r, "Content-Type");

	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(ct, "application/json");
	cr_assert_str_eq(resp_str(&r, "name"), "quetzal");
	cr_assert_str_eq(resp_str(&r, "docs"), "/docs");
	cr_assert_not_null(resp_str(&r, "version"));
	free(ct);
	resp_free(&r);
}

Test(service, healthz_and_readyz_answer_200)
{
	struct resp r = http_get("/healthz", NULL);

	cr_assert_eq(r.status, 200);
	resp_free(&r);
	r = http_get("/readyz", NULL);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(resp_str(&r, "status"), "ready");
	resp_free(&r);
}

Test(service, every_response_has_nginx_request_id)
{
	const char *paths[] = { "/", "/healthz", "/nope", "/api/v1/nope" };

	for (size_t i = 0; i < 4; i++) {
		struct resp r = http_get(paths[i], NULL);
		char *id = resp_header(&r, "X-Request-ID");

		cr_assert_not_null(id, "%s", paths[i]);
		cr_assert_eq(strlen(id), 32, "%s", id);
		cr_assert_eq(strspn(id, "0123456789abcdef"), 32);
		free(id);
		resp_free(&r);
	}
}

Test(service, unknown_path_is_404_problem_json_with_request_id)
{
	struct resp r = http_get("/api/v1/nothing-here", NULL);
	char *ct = resp_header(&r, "Content-Type");
	char *id = resp_header(&r, "X-Request-ID");

	cr_assert_eq(r.status, 404);
	cr_assert_str_eq(ct, "application/problem+json");
	cr_assert_str_eq(resp_str(&r, "type"), "about:blank");
	cr_assert_str_eq(resp_str(&r, "title"), "Not Found");
	cr_assert_str_eq(resp_str(&r, "status"), "404");
	cr_assert_str_eq(resp_str(&r, "request_id"), id);
	free(ct);
	free(id);
	resp_free(&r);
}

Test(service, wrong_method_is_405_with_allow)
{
	struct resp r = http_json("DELETE", "/healthz", NULL, NULL);
	char *allow = resp_header(&r, "Allow");

	cr_assert_eq(r.status, 405);
	cr_assert_str_eq(allow, "GET, HEAD");
	cr_assert_str_eq(resp_str(&r, "title"), "Method Not Allowed");
	free(allow);
	resp_free(&r);
}

Test(service, head_answers_headers_only)
{
	struct resp r;

	cr_assert_eq(http_req("HEAD", "/", NULL, NULL, &r), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.len, 0);
	resp_free(&r);
}

Test(service, body_over_the_limit_is_413_json)
{
	size_t	 n = 2 * 1024 * 1024;
	char	*big = malloc(n + 1);
	struct resp r;
	char *ct;

	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	r = http_json("POST", "/healthz", NULL, big);
	ct = resp_header(&r, "Content-Type");
	cr_assert_eq(r.status, 413);
	cr_assert_not_null(ct);
	cr_assert_not_null(strstr(ct, "json"), "%s", ct);
	cr_assert_not_null(r.json, "413 body is JSON: %s", r.body);
	free(ct);
	free(big);
	resp_free(&r);
}

Test(service, wrong_content_type_is_415)
{
	const char *h[] = { "Content-Type: text/plain", NULL };
	struct resp r;

	cr_assert_eq(http_req("POST", "/healthz", h, "hello", &r), 0);
	cr_assert_eq(r.status, 415);
	cr_assert_str_eq(resp_str(&r, "status"), "415");
	resp_free(&r);
}

Test(service, malformed_json_is_400)
{
	const char *bodies[] = { "{\"a\":", "{\"a\":1,}", "{'a':1}",
	    "{\"a\":NaN}", "{} {}" };

	for (size_t i = 0; i < 5; i++) {
		struct resp r = http_json("POST", "/healthz", NULL, bodies[i]);

		cr_assert_eq(r.status, 400, "%s -> %ld", bodies[i], r.status);
		cr_assert_str_eq(resp_str(&r, "title"), "Bad Request");
		resp_free(&r);
	}
}

Test(service, undecodable_path_is_400_and_worker_survives)
{
	struct resp r = http_get("/x%00y", NULL);

	cr_assert(r.status == 400 || r.status == 404, "%ld", r.status);
	resp_free(&r);
	r = http_get("/healthz", NULL);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
}

Test(service, openapi_json_is_served_by_nginx)
{
	struct resp r = http_get("/openapi.json", NULL);

	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(resp_str(&r, "openapi"), "3.1.0");
	cr_assert_not_null(resp_str(&r, "paths./readyz"));
	resp_free(&r);
}

Test(service, docs_serve_swagger_ui)
{
	struct resp r = http_get("/docs", NULL);

	if (r.status == 404 && getenv("QUETZAL_TEST_NO_SWAGGER") != NULL)
		cr_skip_test("swagger-ui was not fetched (npm missing)");
	cr_assert_eq(r.status, 200, "%ld", r.status);
	cr_assert_not_null(strstr(r.body, "swagger-ui-bundle.js"));
	resp_free(&r);
	r = http_get("/docs/swagger-initializer.js", NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(strstr(r.body, "/openapi.json"),
	    "the UI loads our document");
	resp_free(&r);
	r = http_get("/docs/swagger-ui-bundle.js", NULL);
	cr_assert_eq(r.status, 200);
	cr_assert_gt(r.len, 100000);
	resp_free(&r);
}
