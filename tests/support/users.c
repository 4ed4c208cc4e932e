/* SPDX-License-Identifier: MIT */
/* tests/support/users.c - test_user_new() of client.h, and users.h. */
#include "users.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *
test_user_suffix(void)
{
	static char	buf[48];
	static int	n;
	struct timespec	ts;

	/* Separators keep pid 12 + counter 34 apart from pid 123 + 4;
	 * nanoseconds keep two runs in the same second apart. */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, sizeof(buf), "%d_%d_%06ld", (int)getpid(), ++n,
	    ts.tv_nsec / 1000 % 1000000);
	return buf;
}

char *
app_db_value(const char *sql, int nparams, const char *const *params)
{
	const char	*url = getenv("QUETZAL_DATABASE_URL");
	PGconn		*c;
	PGresult	*res;
	char		*v = NULL;

	test_need_stack();
	cr_assert_not_null(url, "QUETZAL_DATABASE_URL is not set");
	c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK)
		cr_assert_fail("cannot connect to the app database: %s",
		    PQerrorMessage(c));
	res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_COMMAND_OK)
		cr_assert_fail("%s: %s", sql, PQresultErrorMessage(res));
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0 &&
	    !PQgetisnull(res, 0, 0))
		v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	return v;
}

char *
app_user_insert(const char *tag)
{
	char		 email[128], name[64], *id;
	const char	*p[2] = { email, name };

	snprintf(email, sizeof(email), "it-%s-%s@example.com", tag,
	    test_user_suffix());
	snprintf(name, sizeof(name), "it_%s_%s", tag, test_user_suffix());
	id = app_db_value("INSERT INTO users (email, username, "
	    "password_hash) VALUES ($1, $2, 'x') RETURNING id", 2, p);
	cr_assert_not_null(id);
	return id;
}

void
app_db_exec(PGconn *c, const char *sql, const char *param)
{
	PGresult *res = PQexecParams(c, sql, param != NULL ? 1 : 0, NULL,
	    param != NULL ? &param : NULL, NULL, NULL, 0);

	cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	PQclear(res);
}

bool
app_db_lock_waited(PGconn *c, const char *query_like, double seconds)
{
	struct timespec	 nap = { 0, 20 * 1000 * 1000 };

	for (double waited = 0; waited < seconds; waited += 0.02) {
		PGresult	*res = PQexecParams(c, "SELECT count(*) FROM "
		    "pg_stat_activity WHERE wait_event_type = 'Lock' AND "
		    "query LIKE $1", 1, NULL, &query_like, NULL, NULL, 0);
		bool		 yes = PQresultStatus(res) == PGRES_TUPLES_OK &&
				    strcmp(PQgetvalue(res, 0, 0), "0") != 0;

		PQclear(res);
		if (yes)
			return true;
		nanosleep(&nap, NULL);
	}
	return false;
}

struct resp
http_form(const char *path, const char *body)
{
	const char	*h[] = { "Content-Type: application/x-www-form-urlencoded",
			    NULL };
	struct resp	 r;

	if (http_req("POST", path, h, body, &r) < 0)
		cr_assert_fail("POST %s: request failed", path);
	return r;
}

struct resp
http_auth(const char *method, const char *path, const char *authorization,
    const char *body)
{
	char		 line[8192];
	const char	*h[] = { line, NULL };
	struct resp	 r;

	snprintf(line, sizeof(line), "Authorization: %s",
	    authorization ? authorization : "");
	if (http_req(method, path, authorization ? h : NULL, body, &r) < 0)
		cr_assert_fail("%s %s: request failed", method, path);
	return r;
}

static void
copy(char *dst, size_t size, const char *src, const char *what)
{
	cr_assert_not_null(src, "no %s in the answer", what);
	cr_assert_lt(strlen(src), size, "%s too long", what);
	memcpy(dst, src, strlen(src) + 1);
}

void
test_user_login(struct test_user *u)
{
	char		 body[512];
	struct resp	 r;
	const char	*at = strchr(u->email, '@');

	cr_assert_not_null(at);
	/* '@' as %40: the form is encoded as a browser would. */
	snprintf(body, sizeof(body), "grant_type=password&username=%.*s%%40%s"
	    "&password=%s", (int)(at - u->email), u->email, at + 1,
	    u->password);
	r = http_form("/api/v1/auth/token", body);
	cr_assert_eq(r.status, 200, "login of %s: %ld %s", u->email,
	    r.status, r.body);
	copy(u->token, sizeof(u->token), resp_str(&r, "access_token"),
	    "access_token");
	copy(u->refresh, sizeof(u->refresh), resp_str(&r, "refresh_token"),
	    "refresh_token");
	resp_free(&r);
}

void
test_user_new(struct test_user *u)
{
	char		 body[512];
	const char	*sfx = test_user_suffix();
	struct resp	 r;

	memset(u, 0, sizeof(*u));
	snprintf(u->email, sizeof(u->email), "user_%s@example.com", sfx);
	snprintf(u->username, sizeof(u->username), "u_%s", sfx);
	snprintf(u->password, sizeof(u->password), "pw-%s", sfx);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"username\":\"%s\","
	    "\"password\":\"%s\",\"full_name\":\"Test User\"}", u->email,
	    u->username, u->password);
	r = http_json("POST", "/api/v1/users", NULL, body);
	cr_assert_eq(r.status, 201, "registering %s: %ld %s", u->email,
	    r.status, r.body);
	copy(u->id, sizeof(u->id), resp_str(&r, "id"), "id");
	resp_free(&r);
	test_user_login(u);
}

void
test_admin_new(struct test_user *u)
{
	char		*v;
	const char	*args[1];

	test_user_new(u);
	args[0] = u->id;
	v = app_db_value("UPDATE users SET role = 'admin' WHERE id = $1 "
	    "RETURNING role", 1, args);
	cr_assert_str_eq(v, "admin");
	free(v);
	test_user_login(u);
}
