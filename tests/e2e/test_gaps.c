/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_gaps.c - the smaller gaps of issue 11 item 3, through
 * nginx: a task cursor with a NUL inside, cursors in one spelling only, an undecodable query on a route
 * that reads none, repeated token parameters, ?limit=05, NFC and NFD
 * spellings of one email, nginx's own errors as problem+json, the 415 of a
 * JSON-only route, and emails in PostgreSQL's own log.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "b64url.h"
#include "client.h"
#include "users.h"

TestSuite(gaps, .init = test_need_stack, .timeout = 60);

static void
assert_problem(struct resp *r, long status)
{
	char *ct = resp_header(r, "Content-Type");

	cr_assert_eq(r->status, status, "%ld, not %ld: %s", r->status, status,
	    r->body);
	cr_assert_not_null(ct);
	cr_assert_str_eq(ct, "application/problem+json");
	cr_assert_not_null(r->json, "not JSON: %s", r->body);
	free(ct);
}

Test(gaps, a_task_cursor_with_a_nul_inside_is_422)
{
	static const unsigned char good[] = "1700000000000000.1";
	static const unsigned char nul[] = "1700000000000000.1\0junk";
	struct test_user u;
	char	 cur[64], path[128];
	struct resp r;

	test_user_new(&u);
	b64url_encode(good, sizeof(good) - 1, cur);
	snprintf(path, sizeof(path), "/api/v1/tasks?cursor=%s", cur);
	r = http_get(path, u.token);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	b64url_encode(nul, sizeof(nul) - 1, cur);
	snprintf(path, sizeof(path), "/api/v1/tasks?cursor=%s", cur);
	r = http_get(path, u.token);
	assert_problem(&r, 422);
	cr_assert_str_eq(resp_str(&r, "errors.0.field"), "cursor");
	resp_free(&r);
}

/* One key, one spelling: a cursor with blanks, padding or stray low bits
 * in its last letter is not one the API wrote, even when a lenient
 * decoder would read the same key from it. */
Test(gaps, a_cursor_has_one_spelling)
{
	static const unsigned char key[] = "1700000000000000.12";
	static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	static const char *users_bad[] = {
		"MTJ",		/* "12" with a stray low bit */
		"%20MTI",	/* a leading blank */
		"MTI%20",	/* a trailing blank */
		"MTI%3D",	/* padded */
		"M%0ATI",	/* a line break inside */
	};
	struct test_user u, admin;
	char	 cur[64], odd[64], path[160];
	struct resp r;
	size_t	 n;

	test_user_new(&u);
	b64url_encode(key, sizeof(key) - 1, cur);
	n = strlen(cur);
	snprintf(path, sizeof(path), "/api/v1/tasks?cursor=%s", cur);
	r = http_get(path, u.token);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	/* 19 bytes: the last of 26 letters carries 4 unused bits. */
	memcpy(odd, cur, n + 1);
	odd[n - 1] = letters[strchr(letters, cur[n - 1]) - letters + 1];
	snprintf(path, sizeof(path), "/api/v1/tasks?cursor=%s", odd);
	r = http_get(path, u.token);
	assert_problem(&r, 422);
	cr_assert_str_eq(resp_str(&r, "errors.0.field"), "cursor");
	resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tasks?cursor=%s%%3D%%3D", cur);
	r = http_get(path, u.token);
	assert_problem(&r, 422);
	resp_free(&r);

	test_admin_new(&admin);
	r = http_get("/api/v1/users?cursor=MTI", admin.token);	/* "12" */
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	for (size_t i = 0; i < sizeof(users_bad) / sizeof(users_bad[0]);
	    i++) {
		snprintf(path, sizeof(path), "/api/v1/users?cursor=%s",
		    users_bad[i]);
		r = http_get(path, admin.token);
		assert_problem(&r, 422);
		cr_assert_str_eq(resp_str(&r, "errors.0.field"), "cursor",
		    "%s", users_bad[i]);
		resp_free(&r);
	}
}

Test(gaps, an_undecodable_query_is_400_on_every_route)
{
	const char *paths[] = { "/healthz?%00", "/healthz?a=%zz", "/?a=%ff",
	    "/readyz?%", "/api/v1/users/me?x=%00" };
	struct resp r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		r = http_get(paths[i], NULL);
		assert_problem(&r, 400);
		resp_free(&r);
	}
	r = http_get("/healthz?a=%41&b", NULL);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
}

Test(gaps, repeated_token_parameters_are_invalid_request)
{
	struct test_user u;
	char	 body[512];
	struct resp r;

	test_user_new(&u);
	snprintf(body, sizeof(body), "grant_type=password&username=%s"
	    "&username=nobody&password=%s", u.username, u.password);
	r = http_form("/token", body);
	cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "error"), "invalid_request");
	resp_free(&r);
	snprintf(body, sizeof(body), "grant_type=password&username=%s"
	    "&password=%s&password=%s", u.username, u.password, u.password);
	r = http_form("/api/v1/auth/token", body);
	cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "error"), "invalid_request");
	resp_free(&r);
	snprintf(body, sizeof(body), "grant_type=password&grant_type=password"
	    "&username=%s&password=%s", u.username, u.password);
	r = http_form("/token", body);
	cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
	resp_free(&r);
	/* Once each, and an unknown one twice: fine. */
	snprintf(body, sizeof(body), "grant_type=password&username=%s"
	    "&password=%s&x=1&x=2", u.username, u.password);
	r = http_form("/token", body);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
}

Test(gaps, limit_with_a_leading_zero_is_422_on_users_and_tasks)
{
	struct test_user admin;
	const char *bad[] = { "05", "0", "00", "007" };
	char	 path[64];
	struct resp r;

	test_admin_new(&admin);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/users?limit=%s", bad[i]);
		r = http_get(path, admin.token);
		assert_problem(&r, 422);
		resp_free(&r);
		snprintf(path, sizeof(path), "/api/v1/tasks?limit=%s", bad[i]);
		r = http_get(path, admin.token);
		assert_problem(&r, 422);
		resp_free(&r);
	}
	r = http_get("/api/v1/users?limit=5", admin.token);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
	r = http_get("/api/v1/tasks?limit=5", admin.token);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
}

Test(gaps, nfc_and_nfd_spellings_of_an_email_are_one_account)
{
	const char *sfx = test_user_suffix();
	char	 nfc[128], nfd[128], body[512];
	struct resp r;

	/* "josé": U+00E9, or "e" + U+0301 */
	snprintf(nfc, sizeof(nfc), "jos\xc3\xa9_%s@example.com", sfx);
	snprintf(nfd, sizeof(nfd), "jose\xcc\x81_%s@example.com", sfx);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"username\":\"nfd%s\","
	    "\"password\":\"password nfd\"}", nfd, sfx);
	r = http_json("POST", "/api/v1/users", NULL, body);
	cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
	cr_assert_str_eq(resp_str(&r, "email"), nfc, "stored as %s",
	    resp_str(&r, "email"));
	resp_free(&r);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"username\":\"nfc%s\","
	    "\"password\":\"password nfc\"}", nfc, sfx);
	r = http_json("POST", "/api/v1/users", NULL, body);
	cr_assert_eq(r.status, 409, "%ld %s", r.status, r.body);
	resp_free(&r);
	/* Either spelling logs in. */
	snprintf(body, sizeof(body), "grant_type=password&username=%s"
	    "&password=password+nfd", nfc);
	r = http_form("/token", body);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	snprintf(body, sizeof(body), "grant_type=password&username=%s"
	    "&password=password+nfd", nfd);
	r = http_form("/token", body);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
}

/* Sends raw bytes to nginx; returns the answer (malloc'd). */
static char *
raw_http(const char *req, size_t len)
{
	const char		*url = getenv("QUETZAL_TEST_URL");
	struct sockaddr_in	 sa = { .sin_family = AF_INET };
	struct timeval		 tv = { .tv_sec = 10 };
	char			*out = malloc(65536);
	size_t			 n = 0;
	ssize_t			 got;
	int			 fd;

	sa.sin_port = htons((uint16_t)atoi(strrchr(url, ':') + 1));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, req + off, len - off);

		if (w <= 0)
			break;	/* nginx may answer and close first */
		off += (size_t)w;
	}
	while (n < 65535 && (got = read(fd, out + n, 65535 - n)) > 0)
		n += (size_t)got;
	out[n] = '\0';
	close(fd);
	return out;
}

static void
assert_raw_problem(const char *req, size_t len, const char *status_line)
{
	char *a = raw_http(req, len);

	cr_assert(strncmp(a, status_line, strlen(status_line)) == 0,
	    "wanted %s, got: %.200s", status_line, a);
	cr_assert_not_null(strstr(a, "\r\nContent-Type: "
	    "application/problem+json"), "not problem+json: %.400s", a);
	cr_assert_not_null(strstr(a, "\"request_id\":\""), "%.400s", a);
	free(a);
}

#define RAW(lit, st) assert_raw_problem(lit, sizeof(lit) - 1, st)

Test(gaps, nginx_answers_its_own_errors_as_problem_json)
{
	char *longuri = malloc(20000);
	int n;

	RAW("GARBAGE\r\n\r\n", "HTTP/1.1 400");
	RAW("GET /\x01 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    "HTTP/1.1 400");
	RAW("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", "HTTP/1.1 400");
	RAW("TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    "HTTP/1.1 405");
	RAW("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
	    "Connection: close\r\n\r\n", "HTTP/1.1 501");
	RAW("GET / HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n",
	    "HTTP/1.1 505");
	n = snprintf(longuri, 20000, "GET /");
	memset(longuri + n, 'a', 12000);
	n += 12000;
	n += snprintf(longuri + n, 20000 - (size_t)n, " HTTP/1.1\r\nHost: x"
	    "\r\nConnection: close\r\n\r\n");
	assert_raw_problem(longuri, (size_t)n, "HTTP/1.1 414");
	free(longuri);
	/* The worker's own 405 still passes, with its Allow. */
	{
		struct resp r;
		char *allow;

		cr_assert_eq(http_req("DELETE", "/healthz", NULL, NULL, &r), 0);
		assert_problem(&r, 405);
		allow = resp_header(&r, "Allow");
		cr_assert_not_null(allow);
		free(allow);
		resp_free(&r);
	}
}

Test(gaps, a_json_only_route_asks_for_json_only)
{
	const char *const form[] = {
	    "Content-Type: application/x-www-form-urlencoded", NULL };
	const char *const text[] = { "Content-Type: text/plain", NULL };
	struct resp r;

	cr_assert_eq(http_req("POST", "/api/v1/users", form, "email=a", &r),
	    0);
	assert_problem(&r, 415);
	cr_assert_str_eq(resp_str(&r, "detail"), "send application/json");
	resp_free(&r);
	cr_assert_eq(http_req("POST", "/api/v1/users", text, "{}", &r), 0);
	assert_problem(&r, 415);
	cr_assert_str_eq(resp_str(&r, "detail"), "send application/json");
	resp_free(&r);
	/* A route that reads forms says so. */
	cr_assert_eq(http_req("POST", "/token", text, "{}", &r), 0);
	cr_assert_eq(r.status, 415);
	cr_assert_not_null(strstr(r.body, "x-www-form-urlencoded"));
	resp_free(&r);
}

/* The server's log (QUETZAL_TEST_PGDIR/postgres.log), NUL-terminated;
 * count: how many times `what` is in it. */
static char *
pg_log(const char *what, int *count)
{
	char	 path[4096], *log;
	FILE	*f;
	long	 size;

	snprintf(path, sizeof(path), "%s/postgres.log",
	    getenv("QUETZAL_TEST_PGDIR"));
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	log = malloc((size_t)size + 1);
	cr_assert_not_null(log);
	log[fread(log, 1, (size_t)size, f)] = '\0';
	fclose(f);
	*count = 0;
	for (const char *p = log; (p = strstr(p, what)) != NULL; p++)
		(*count)++;
	return log;
}

Test(gaps, postgresql_log_keeps_no_email_of_a_unique_violation)
{
	struct test_user u;
	char	 body[512], *log, marker[64];
	struct resp r;
	int	 before, now = 0;

	cr_assert_not_null(getenv("QUETZAL_TEST_PGDIR"));
	test_user_new(&u);
	snprintf(marker, sizeof(marker), "leak_%s", test_user_suffix());
	free(pg_log("users_email_key", &before));
	/* The same email, another username: 409 from the unique index. */
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"username\":\"%s\","
	    "\"password\":\"password 123\"}", u.email, marker);
	r = http_json("POST", "/api/v1/users", NULL, body);
	cr_assert_eq(r.status, 409, "%ld %s", r.status, r.body);
	resp_free(&r);
	/* The same username, another email. */
	snprintf(body, sizeof(body), "{\"email\":\"%s@example.com\","
	    "\"username\":\"%s\",\"password\":\"password 123\"}", marker,
	    u.username);
	r = http_json("POST", "/api/v1/users", NULL, body);
	cr_assert_eq(r.status, 409, "%ld %s", r.status, r.body);
	resp_free(&r);
	/* The logger writes on its own time: wait (up to 10 s) until this
	 * violation is in, then look at everything logged with it.  Other
	 * tests may add violations of their own meanwhile: none of them
	 * names this test's email or marker either. */
	for (int i = 0; i < 100; i++) {
		log = pg_log("users_email_key", &now);
		if (now > before)
			break;
		free(log);
		log = NULL;
		usleep(100 * 1000);
	}
	cr_assert_not_null(log, "the violation is not in postgres.log after "
	    "10 s");
	usleep(200 * 1000);	/* and the lines that follow it */
	free(log);
	log = pg_log("users_email_key", &now);
	cr_assert_null(strstr(log, u.email), "postgres.log names the email");
	cr_assert_null(strstr(log, marker), "postgres.log names the values");
	cr_assert_null(strstr(log, u.username), "postgres.log names the "
	    "username");
	free(log);
}
