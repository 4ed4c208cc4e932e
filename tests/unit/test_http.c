/* SPDX-License-Identifier: MIT */
/* tests/unit/test_http.c - lib/http.c: params, query and form decoding,
 * errors and their envelopes. */
#include <criterion/criterion.h>

#include <string.h>

#include "arena.h"
#include "http.h"

static struct arena *a;
static void setup(void) { a = arena_new(1024); }
static void teardown(void) { arena_free(a); }
TestSuite(http, .init = setup, .fini = teardown);

static void
init(struct req *r, const char *uri)
{
	char **env = arena_alloc(a, 5 * sizeof(char *));

	env[0] = "REQUEST_METHOD=GET";
	env[1] = arena_printf(a, "REQUEST_URI=%s", uri);
	env[2] = "REQUEST_ID=0123456789abcdef0123456789abcdef";
	env[3] = "HTTP_IF_MATCH=\"abc\"";
	env[4] = NULL;
	http_req_init(r, a, env);
}

Test(http, request_line_and_params)
{
	struct req r;

	init(&r, "/api/v1/tasks?limit=5&q=a%20b");
	cr_assert_str_eq(r.method, "GET");
	cr_assert_str_eq(r.path, "/api/v1/tasks");
	cr_assert_str_eq(r.query, "limit=5&q=a%20b");
	cr_assert_str_eq(r.request_id, "0123456789abcdef0123456789abcdef");
	cr_assert_str_eq(http_param(&r, "HTTP_IF_MATCH"), "\"abc\"");
	cr_assert_null(http_param(&r, "HTTP_IF"));
}

Test(http, query_decoding)
{
	struct req r;
	const char *v;

	init(&r, "/x?q=caf%C3%A9+au+lait&limit=5&empty=&flag&limit=7");
	cr_assert_eq(http_query(&r, "q", &v), 0);
	cr_assert_str_eq(v, "caf\xc3\xa9 au lait");
	cr_assert_eq(http_query(&r, "limit", &v), 0);
	cr_assert_str_eq(v, "5", "the first value wins");
	cr_assert_eq(http_query(&r, "empty", &v), 0);
	cr_assert_str_eq(v, "");
	cr_assert_eq(http_query(&r, "flag", &v), 0);
	cr_assert_str_eq(v, "");
	cr_assert_eq(http_query(&r, "absent", &v), 0);
	cr_assert_null(v);
}

Test(http, undecodable_query_is_400)
{
	const char *bad[] = { "/x?q=%", "/x?q=%4", "/x?q=%zz", "/x?q=%00",
	    "/x?q=%C3", "/x?q=%FF%FE", "/x?q=%C0%AF" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct req r;
		const char *v;

		init(&r, bad[i]);
		cr_assert_eq(http_query(&r, "q", &v), -1, "%s", bad[i]);
		cr_assert_eq(r.err_status, 400);
	}
}

Test(http, form_decoding)
{
	struct http_pair *p;
	const char *s = "grant_type=password&username=a%40b.c&password=p%26w+d";
	int n = http_form_decode(a, s, strlen(s), &p);

	cr_assert_eq(n, 3);
	cr_assert_str_eq(http_pairs_get(p, n, "username"), "a@b.c");
	cr_assert_str_eq(http_pairs_get(p, n, "password"), "p&w d");
	cr_assert_eq(http_form_decode(a, "a=%G1", 5, &p), -1);
	cr_assert_eq(http_form_decode(a, "", 0, &p), 0);
}

Test(http, path_is_decoded_and_bad_paths_are_400)
{
	struct req r;

	init(&r, "/api/profiles/a%20b");
	cr_assert_str_eq(r.path, "/api/profiles/a b");
	init(&r, "/x%00y");
	cr_assert_eq(r.err_status, 400);
}

Test(http, request_id_from_client_text_is_replaced)
{
	struct req r;
	char **env = arena_alloc(a, 3 * sizeof(char *));

	env[0] = "REQUEST_URI=/";
	env[1] = "REQUEST_ID=evil\" injected=1";
	env[2] = NULL;
	http_req_init(&r, a, env);
	cr_assert_eq(strlen(r.request_id), 32);
	cr_assert_eq(strspn(r.request_id, "0123456789abcdef"), 32);
}

Test(http, problem_json_carries_status_detail_and_errors)
{
	struct req r;

	init(&r, "/");
	http_invalid(&r, "title", "too_long", "must be at most 200 characters long");
	http_invalid(&r, "done", "type", "must be a boolean");
	cr_assert_eq(http_fail(&r), 422);
	cr_assert_str_eq(r.resp_type, "application/problem+json");
	cr_assert_not_null(strstr(r.resp_body, "\"status\":422"));
	cr_assert_not_null(strstr(r.resp_body,
	    "{\"field\":\"title\",\"code\":\"too_long\""));
	cr_assert_not_null(strstr(r.resp_body, "\"field\":\"done\""));
	cr_assert_not_null(strstr(r.resp_body,
	    "\"request_id\":\"0123456789abcdef0123456789abcdef\""));
}

Test(http, first_error_wins_and_503_has_retry_after)
{
	struct req r;

	init(&r, "/");
	http_error(&r, 503, "db away");
	http_error(&r, 404, "other");
	cr_assert_eq(http_fail(&r), 503);
	cr_assert_not_null(strstr(r.resp_headers, "Retry-After: 1\r\n"));
	cr_assert_not_null(strstr(r.resp_body, "\"detail\":\"db away\""));
}

Test(http, envelopes_oauth_and_realworld)
{
	struct req r;

	init(&r, "/");
	r.envelope = HTTP_ENV_OAUTH;
	http_oauth_error(&r, 400, "invalid_grant", "Incorrect username or password");
	cr_assert_eq(http_fail(&r), 400);
	cr_assert_str_eq(r.resp_body, "{\"error\":\"invalid_grant\","
	    "\"error_description\":\"Incorrect username or password\"}");

	init(&r, "/");
	r.envelope = HTTP_ENV_REALWORLD;
	http_invalid(&r, "email", "taken", "has already been taken");
	cr_assert_eq(http_fail(&r), 422);
	cr_assert_str_eq(r.resp_body,
	    "{\"errors\":{\"body\":[\"email has already been taken\"],"
	    "\"email\":[\"has already been taken\"]}}");

	/* A field called "body" (an article's) is not a key of its own. */
	init(&r, "/");
	r.envelope = HTTP_ENV_REALWORLD;
	http_invalid(&r, "body", "empty", "can't be blank");
	http_invalid(&r, "title", "empty", "can't be blank");
	cr_assert_eq(http_fail(&r), 422);
	cr_assert_str_eq(r.resp_body, "{\"errors\":{\"body\":[\"body can't "
	    "be blank\",\"title can't be blank\"],\"title\":[\"can't be "
	    "blank\"]}}");
}

Test(http, 401_has_www_authenticate)
{
	struct req r;

	init(&r, "/");
	http_error(&r, 401, "missing token");
	http_fail(&r);
	cr_assert_not_null(strstr(r.resp_headers, "WWW-Authenticate: Bearer"));
}

Test(http, header_values_cannot_split_lines)
{
	struct req r;

	init(&r, "/");
	http_header(&r, "Location", "/x\r\nSet-Cookie: a=b");
	cr_assert_str_eq(r.resp_headers, "Location: /x  Set-Cookie: a=b\r\n");
}

Test(http, content_types)
{
	struct req r;

	init(&r, "/");
	r.content_type = "application/json";
	cr_assert_eq(http_body_kind(&r, false), 1);
	r.content_type = "Application/JSON; charset=UTF-8";
	cr_assert_eq(http_body_kind(&r, false), 1);
	r.content_type = "application/x-www-form-urlencoded";
	cr_assert_eq(http_body_kind(&r, true), 2);
	cr_assert_eq(http_body_kind(&r, false), -1);
	cr_assert_eq(r.err_status, 415);
	init(&r, "/");
	r.content_type = "text/plain";
	cr_assert_eq(http_body_kind(&r, true), -1);
	init(&r, "/");
	r.content_type = "application/jsonx";
	cr_assert_eq(http_body_kind(&r, true), -1);
	init(&r, "/");
	r.content_type = "application/json; charset=latin1";
	cr_assert_eq(http_body_kind(&r, true), -1);
}

Test(http, utf8)
{
	cr_assert(http_utf8_ok("abc \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 15));
	cr_assert_not(http_utf8_ok("a\0b", 3));
	cr_assert_not(http_utf8_ok("\xed\xa0\x80", 3), "surrogate");
	cr_assert_not(http_utf8_ok("\xe0\x80\xaf", 3), "overlong");
	cr_assert_not(http_utf8_ok("\xf4\x90\x80\x80", 4), "beyond U+10FFFF");
	cr_assert_not(http_utf8_ok("\xc3", 1), "truncated");
}

/* Issue 11: every request's query must decode, whatever the route. */
Test(http, an_undecodable_query_is_a_400_for_any_path)
{
	const char *bad[] = { "/healthz?%00", "/?a=%zz", "/?%", "/x?a=%ff",
	    "/?a=%c3%28" };
	struct req r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		init(&r, bad[i]);
		cr_assert_eq(r.err_status, 400, "%s", bad[i]);
	}
	init(&r, "/healthz?a=%41&b&&c=d+e");
	cr_assert_eq(r.err_status, 0);
	init(&r, "/healthz?");
	cr_assert_eq(r.err_status, 0);
}
