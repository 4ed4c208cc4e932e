/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_throttle.c - issue 11 item 1 through nginx: failed
 * password checks are throttled per account in PostgreSQL (login by email
 * or username, current_password on PATCH /users/me), the same way for a
 * name no account has; nginx limits the password routes per address; and
 * a storm of wrong logins at bcrypt cost 12 leaves /healthz and a
 * token-checked GET fast, because hashing takes only part of the pool.
 */
#include <criterion/criterion.h>

#include <curl/curl.h>
#include <json.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "password.h"
#include "users.h"

TestSuite(throttle, .init = test_need_stack, .timeout = 120);

static struct resp
login(const char *name, const char *password)
{
	char	 body[512];
	char	*n = curl_easy_escape(NULL, name, 0);

	snprintf(body, sizeof(body), "grant_type=password&username=%s"
	    "&password=%s", n, password);
	curl_free(n);
	return http_form("/api/v1/auth/token", body);
}

/* Sets the subject's lock to have ended, as if its time had passed. */
static void
unlock(const char *user_id)
{
	char		 subj[64];
	const char	*p[] = { subj };
	char		*v;

	snprintf(subj, sizeof(subj), "u:%s", user_id);
	v = app_db_value("UPDATE login_failures SET locked_until = now() "
	    "WHERE subject = $1 RETURNING failures", 1, p);
	cr_assert_not_null(v, "no login_failures row for %s", subj);
	free(v);
}

static char *
failures_of(const char *user_id)
{
	char		 subj[64];
	const char	*p[] = { subj };

	snprintf(subj, sizeof(subj), "u:%s", user_id);
	return app_db_value("SELECT failures FROM login_failures "
	    "WHERE subject = $1", 1, p);
}

/* The answer to a locked subject: 429, Retry-After, OAuth's shape. */
static void
assert_locked(struct resp *r)
{
	char *ra = resp_header(r, "Retry-After");

	cr_assert_eq(r->status, 429, "%ld %s", r->status, r->body);
	cr_assert_not_null(ra);
	cr_assert_gt(atoi(ra), 0);
	cr_assert_leq(atoi(ra), 30);
	cr_assert_str_eq(resp_str(r, "error"), "invalid_grant");
	free(ra);
}

Test(throttle, five_wrong_logins_lock_the_account_by_email_or_username)
{
	struct test_user u;
	struct resp	 r;
	char		*f;

	test_user_new(&u);
	/* Email and username share one counter. */
	for (int i = 0; i < 5; i++) {
		r = login(i % 2 ? u.username : u.email, "wrong password");
		cr_assert_eq(r.status, 400, "try %d: %ld %s", i, r.status,
		    r.body);
		cr_assert_str_eq(resp_str(&r, "error"), "invalid_grant");
		resp_free(&r);
	}
	f = failures_of(u.id);
	cr_assert_str_eq(f, "5");
	free(f);
	/* Locked: even the right password is not checked. */
	r = login(u.email, u.password);
	assert_locked(&r);
	resp_free(&r);
	r = login(u.username, u.password);
	assert_locked(&r);
	resp_free(&r);
	/* The window passes: the right password works and clears it. */
	unlock(u.id);
	r = login(u.username, u.password);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	f = failures_of(u.id);
	cr_assert_null(f, "the counter stayed after a good login");
	/* A sixth failure after the window locks again, for longer. */
	for (int i = 0; i < 4; i++) {
		r = login(u.email, "wrong password");
		cr_assert_eq(r.status, 400);
		resp_free(&r);
	}
	r = login(u.email, u.password);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
}

/* The RealWorld login (POST /api/users/login) goes through the same
 * gate and counter as /token: failures there lock the account here, and
 * the other way round. */
static struct resp
conduit_login(const char *email, const char *password)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"user\":{\"email\":\"%s\","
	    "\"password\":\"%s\"}}", email, password);
	return http_json("POST", "/api/users/login", NULL, body);
}

Test(throttle, conduit_login_shares_the_account_counter)
{
	struct test_user u;
	struct resp	 r;
	char		*f, *ra;

	test_user_new(&u);
	for (int i = 0; i < 3; i++) {
		r = conduit_login(u.email, "wrong password");
		cr_assert_eq(r.status, 401, "try %d: %ld %s", i, r.status,
		    r.body);
		resp_free(&r);
	}
	for (int i = 0; i < 2; i++) {
		r = login(u.username, "wrong password");
		cr_assert_eq(r.status, 400);
		resp_free(&r);
	}
	f = failures_of(u.id);
	cr_assert_str_eq(f, "5");
	free(f);
	/* Locked at both doors, the right password included. */
	r = conduit_login(u.email, u.password);
	cr_assert_eq(r.status, 429, "%ld %s", r.status, r.body);
	ra = resp_header(&r, "Retry-After");
	cr_assert_not_null(ra);
	cr_assert_gt(atoi(ra), 0);
	free(ra);
	cr_assert_not_null(strstr(r.body, "\"errors\""), "%s", r.body);
	resp_free(&r);
	r = login(u.email, u.password);
	assert_locked(&r);
	resp_free(&r);
	/* The window passes: the right password works there and clears it. */
	unlock(u.id);
	r = conduit_login(u.email, u.password);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	f = failures_of(u.id);
	cr_assert_null(f, "the counter stayed after a good login");
}

Test(throttle, a_name_no_account_has_answers_exactly_as_an_account)
{
	struct test_user u;
	char		 ghost[128];
	struct resp	 a, b;

	test_user_new(&u);
	snprintf(ghost, sizeof(ghost), "ghost_%s@example.com",
	    test_user_suffix());
	for (int i = 0; i < 6; i++) {
		a = login(u.email, "wrong password");
		b = login(ghost, "wrong password");
		cr_assert_eq(a.status, b.status, "try %d: %ld vs %ld", i,
		    a.status, b.status);
		cr_assert_str_eq(a.body, b.body);
		cr_assert_eq(a.status, i < 5 ? 400 : 429);
		if (i == 5) {
			assert_locked(&a);
			assert_locked(&b);
		}
		resp_free(&a);
		resp_free(&b);
	}
	{
		/* The unknown name is stored hashed, never in clear. */
		const char *p[] = { ghost };
		char *v = app_db_value("SELECT count(*) FROM login_failures "
		    "WHERE strpos(subject, $1) > 0", 1, p);

		cr_assert_str_eq(v, "0");
		free(v);
	}
}

Test(throttle, wrong_current_password_is_throttled_on_patch_me)
{
	struct test_user u;
	struct resp	 r;
	char		 body[256], *ra;

	test_user_new(&u);
	for (int i = 0; i < 5; i++) {
		r = http_json("PATCH", "/api/v1/users/me", u.token,
		    "{\"password\":\"a new password\","
		    "\"current_password\":\"wrong guess\"}");
		cr_assert_eq(r.status, 422, "try %d: %ld %s", i, r.status,
		    r.body);
		resp_free(&r);
	}
	snprintf(body, sizeof(body), "{\"password\":\"a new password\","
	    "\"current_password\":\"%s\"}", u.password);
	r = http_json("PATCH", "/api/v1/users/me", u.token, body);
	cr_assert_eq(r.status, 429, "%ld %s", r.status, r.body);
	ra = resp_header(&r, "Retry-After");
	cr_assert_not_null(ra);
	free(ra);
	resp_assert_header(&r, "Content-Type", "application/problem+json");
	resp_free(&r);
	/* The same counter as the login's. */
	r = login(u.email, u.password);
	assert_locked(&r);
	resp_free(&r);
	{
		/* Nothing changed. */
		const char *p[] = { u.id };
		char *v = app_db_value("SELECT token_version FROM users "
		    "WHERE id = $1", 1, p);

		cr_assert_str_eq(v, "1");
		free(v);
	}
	unlock(u.id);
	r = http_json("PATCH", "/api/v1/users/me", u.token, body);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
	r = login(u.email, "a new password");
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	resp_free(&r);
}

/*
 * nginx's limit, from 127.0.0.2 so that its bucket is not the one the
 * other tests use (the test stack allows 50 a second, burst 500; the
 * production site 10 a minute).
 */
struct flood {
	atomic_int	 n429, nother, nproblem;
	atomic_long	 other;		/* the first other answer, or curl's code */
	int		 per_thread;
};

static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static size_t
ctype(char *p, size_t size, size_t n, void *arg)
{
	if (strncasecmp(p, "Content-Type: application/problem+json", 38) == 0)
		*(int *)arg = 1;
	return size * n;
}

static size_t
ctype_retry(char *p, size_t size, size_t n, void *arg)
{
	if (strncasecmp(p, "Retry-After:", 12) == 0)
		*(int *)arg = 1;
	return size * n;
}

static void *
flood_run(void *arg)
{
	struct flood		*f = arg;
	char			 url[256];
	struct curl_slist	*h = curl_slist_append(NULL,
				    "Content-Type: application/json");

	snprintf(url, sizeof(url), "%s/api/v1/users",
	    getenv("QUETZAL_TEST_URL"));
	for (int i = 0; i < f->per_thread; i++) {
		CURL	*c = curl_easy_init();
		long	 status = 0;
		int	 problem = 0;
		CURLcode rc;

		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_INTERFACE, "127.0.0.2");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, ctype);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &problem);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		if ((rc = curl_easy_perform(c)) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(c);
		if (status == 429) {
			atomic_fetch_add(&f->n429, 1);
			atomic_fetch_add(&f->nproblem, problem);
		} else if (status != 422) {
			long	 none = 0;

			atomic_fetch_add(&f->nother, 1);
			/* HTTP status, or minus curl's error code */
			atomic_compare_exchange_strong(&f->other, &none,
			    status != 0 ? status : -(long)rc);
		}
	}
	curl_slist_free_all(h);
	return NULL;
}

Test(throttle, nginx_limits_the_password_routes_per_address)
{
	struct flood	 f = { .per_thread = 200 };
	pthread_t	 t[8];
	struct resp	 r;

	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, flood_run, &f);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(atomic_load(&f.nother), 0, "%d answers other than 422 "
	    "and 429, the first %ld (negative: curl's error code)",
	    atomic_load(&f.nother), atomic_load(&f.other));
	cr_assert_gt(atomic_load(&f.n429), 0, "1600 registrations in a "
	    "burst and no 429");
	cr_assert_eq(atomic_load(&f.nproblem), atomic_load(&f.n429),
	    "a 429 not in problem+json");
	/* Other addresses and other routes are not limited by it. */
	r = http_get("/healthz", NULL);
	cr_assert_eq(r.status, 200);
	resp_free(&r);
}

/*
 * The storm: run alone (QUETZAL_TEST_HASHLOAD=1, as the Makefile does),
 * since it fills the hash gate that every other test's logins need; and
 * only against the plain build: under ASan or valgrind a time limit says
 * nothing.  An order-of-magnitude check: with the gate p99 was about
 * 5-8 ms here, without it (QUETZAL_HASH_SLOTS=64) 1.7-8.7 s.
 */
#define STORM		64
#define SAMPLES		200
#define P99_LIMIT_MS	50.0

struct storm {
	atomic_int	 stop;
	atomic_int	 n400, n429, n503, nother, no_retry_after;
	char		 names[STORM][64];
};

/* A wrong login from source address `from`; the status, *retry_after
 * set when the answer has Retry-After. */
static long
login_from(const char *from, const char *name, int *retry_after)
{
	char		 url[256], body[256];
	CURL		*c = curl_easy_init();
	long		 status = 0;
	char		*n = curl_easy_escape(c, name, 0);

	snprintf(url, sizeof(url), "%s/api/v1/auth/token",
	    getenv("QUETZAL_TEST_URL"));
	snprintf(body, sizeof(body), "grant_type=password&username=%s"
	    "&password=wrong+password", n);
	curl_free(n);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_INTERFACE, from);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, ctype_retry);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, retry_after);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	*retry_after = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

struct storm_arg {
	struct storm	*s;
	const char	*name;
	char		 from[32];
};

static void *
storm_run(void *arg)
{
	struct storm_arg	*a = arg;
	struct storm		*s = a->s;

	while (!atomic_load(&s->stop)) {
		int	ra;
		long	status = login_from(a->from, a->name, &ra);

		if (status == 400)
			atomic_fetch_add(&s->n400, 1);
		else if (status == 429)
			atomic_fetch_add(&s->n429, 1);
		else if (status == 503) {
			atomic_fetch_add(&s->n503, 1);
			if (!ra)
				atomic_fetch_add(&s->no_retry_after, 1);
			/* A client backing off, if less than it was asked
			 * to (Retry-After: 1); hammering clients are
			 * nginx's per-address limit's to stop. */
			usleep(100 * 1000);
		} else
			atomic_fetch_add(&s->nother, 1);
	}
	return NULL;
}

static double
timed_get_ms(const char *path, const char *token, long want)
{
	char		 url[512], auth[4200];
	struct curl_slist *h = NULL;
	CURL		*c = curl_easy_init();
	curl_off_t	 us = 0;
	long		 status = 0;
	CURLcode	 rc;

	snprintf(url, sizeof(url), "%s%s", getenv("QUETZAL_TEST_URL"), path);
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &us);
	cr_assert_eq(rc, CURLE_OK, "GET %s: %s after %.1f ms", path,
	    curl_easy_strerror(rc), (double)us / 1000.0);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	cr_assert_eq(status, want, "GET %s: %ld", path, status);
	return (double)us / 1000.0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
p99(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(n * 99 + 99) / 100 - 1];
}

Test(throttle, wrong_login_storm_leaves_healthz_and_reads_fast,
    .timeout = 300)
{
	static struct storm s;
	static struct test_user users[STORM];
	struct test_user me;
	pthread_t	 t[STORM];
	static struct storm_arg args[STORM];
	char		 hash[PASSWORD_HASH_SIZE];
	double		 health[SAMPLES], reads[SAMPLES], ph, pr;

	if (getenv("QUETZAL_TEST_HASHLOAD") == NULL)
		cr_skip_test("run alone: QUETZAL_TEST_HASHLOAD=1");
	{
		/* More workers than places, or the gate never refuses (the
		 * metrics suite SIGKILLs workers: run this one before it). */
		char	*pids = strdup(getenv("QUETZAL_TEST_WORKER_PIDS") ?
			    getenv("QUETZAL_TEST_WORKER_PIDS") : "");
		char	*save = NULL;
		int	 live = 0;

		for (char *p = strtok_r(pids, " ", &save); p != NULL;
		    p = strtok_r(NULL, " ", &save))
			live += kill(atoi(p), 0) == 0;
		free(pids);
		cr_assert_geq(live, 4, "needs the stack's 4 workers, %d live",
		    live);
	}
	test_user_new(&me);
	/* Real cost: every wrong login to these accounts is a bcrypt at
	 * cost 12 (about 200 ms), whatever the stack's QUETZAL_BCRYPT_COST. */
	cr_assert_eq(password_hash("the real password 12", 12, hash), 0);
	for (int i = 0; i < STORM; i++) {
		const char *p[] = { hash, NULL };
		char *v;

		test_user_new(&users[i]);
		p[1] = users[i].id;
		v = app_db_value("UPDATE users SET password_hash = $1 "
		    "WHERE id = $2 RETURNING id", 2, p);
		cr_assert_not_null(v);
		free(v);
	}
	for (int i = 0; i < STORM; i++) {
		/* One source address each: nginx's per-address limit is
		 * not what this measures. */
		args[i].s = &s;
		args[i].name = users[i].email;
		snprintf(args[i].from, sizeof(args[i].from), "127.0.1.%d",
		    i + 1);
		pthread_create(&t[i], NULL, storm_run, &args[i]);
	}
	usleep(500 * 1000);
	for (int i = 0; i < SAMPLES; i++) {
		health[i] = timed_get_ms("/healthz", NULL, 200);
		reads[i] = timed_get_ms("/api/v1/users/me", me.token, 200);
		usleep(10 * 1000);
	}
	atomic_store(&s.stop, 1);
	for (int i = 0; i < STORM; i++)
		pthread_join(t[i], NULL);
	ph = p99(health, SAMPLES);
	pr = p99(reads, SAMPLES);
	cr_log_info("storm: %d x 400, %d x 429, %d x 503; p99 /healthz "
	    "%.1f ms, GET /users/me %.1f ms (max %.1f, %.1f)",
	    s.n400, s.n429, s.n503, ph, pr, health[SAMPLES - 1],
	    reads[SAMPLES - 1]);
	fprintf(stderr, "storm: %d x 400, %d x 429, %d x 503; p99 /healthz "
	    "%.1f ms, GET /users/me %.1f ms (max %.1f, %.1f)\n",
	    s.n400, s.n429, s.n503, ph, pr, health[SAMPLES - 1],
	    reads[SAMPLES - 1]);
	cr_assert_eq(atomic_load(&s.nother), 0, "a login answered other "
	    "than 400, 429 or 503");
	cr_assert_eq(atomic_load(&s.no_retry_after), 0, "a 503 without "
	    "Retry-After");
	cr_assert_gt(atomic_load(&s.n503), 0, "the gate never refused");
	cr_assert_gt(atomic_load(&s.n400), 0, "no wrong login was checked");
	{
		/* Each refusal is counted in /metrics, pool-wide. */
		struct resp	 m = http_get("/metrics", NULL);
		const char	*line = strstr(m.body,
				    "\nquetzal_password_hash_refusals_total ");

		cr_assert_eq(m.status, 200);
		cr_assert_not_null(line, "no refusals counter in /metrics");
		cr_assert_geq(strtoll(line + 38, NULL, 10),
		    atomic_load(&s.n503), "%.60s", line + 1);
		resp_free(&m);
	}
	cr_assert_lt(ph, P99_LIMIT_MS, "p99 of /healthz %.1f ms", ph);
	cr_assert_lt(pr, P99_LIMIT_MS, "p99 of GET /users/me %.1f ms", pr);
}
