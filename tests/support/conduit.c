/* SPDX-License-Identifier: MIT */
/* tests/support/conduit.c - conduit.h. */
#include "conduit.h"

#include <criterion/criterion.h>
#include <json.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "users.h"

void
cd_user_new(struct cd_user *u)
{
	char		 body[512];
	const char	*sfx = test_user_suffix(), *t;
	struct resp	 r;

	memset(u, 0, sizeof(*u));
	snprintf(u->username, sizeof(u->username), "c_%s", sfx);
	snprintf(u->email, sizeof(u->email), "c_%s@conduit.example", sfx);
	snprintf(u->password, sizeof(u->password), "pw-%s", sfx);
	snprintf(body, sizeof(body), "{\"user\":{\"username\":\"%s\","
	    "\"email\":\"%s\",\"password\":\"%s\"}}", u->username, u->email,
	    u->password);
	r = cd_call("POST", "/api/users", NULL, body);
	cr_assert_eq(r.status, 201, "registering %s: %ld %s", u->username,
	    r.status, r.body);
	t = resp_str(&r, "user.token");
	cr_assert_not_null(t);
	cr_assert_lt(strlen(t), sizeof(u->token));
	strcpy(u->token, t);
	resp_free(&r);
}

struct resp
cd_call(const char *method, const char *path, const struct cd_user *u,
    const char *body)
{
	char		 auth[4200];
	const char	*h[] = { auth, NULL };
	struct resp	 r;

	if (u != NULL)
		snprintf(auth, sizeof(auth), "Authorization: Token %s",
		    u->token);
	cr_assert_eq(http_req(method, path, u != NULL ? h : NULL, body, &r),
	    0, "%s %s failed", method, path);
	return r;
}

char *
cd_article_new(const struct cd_user *u, const char *title,
    const char *tags_json)
{
	char		 body[1024];
	struct resp	 r;
	char		*slug;

	snprintf(body, sizeof(body), "{\"article\":{\"title\":\"%s\","
	    "\"description\":\"about %s\",\"body\":\"the body of %s\"%s%s}}",
	    title, title, title, tags_json ? ",\"tagList\":" : "",
	    tags_json ? tags_json : "");
	r = cd_call("POST", "/api/articles", u, body);
	cr_assert_eq(r.status, 201, "POST /api/articles %s: %ld %s", body,
	    r.status, r.body);
	slug = strdup(resp_str(&r, "article.slug"));
	resp_free(&r);
	return slug;
}

void
cd_assert_error(const struct resp *r, long status, const char *field)
{
	json_object	*errors, *list;
	char		*ct = resp_header(r, "Content-Type");

	cr_assert_eq(r->status, status, "want %ld, got %ld: %s", status,
	    r->status, r->body);
	cr_assert_not_null(ct);
	cr_assert(strncmp(ct, "application/json", 16) == 0, "%s", ct);
	free(ct);
	cr_assert_not_null(r->json, "not JSON: %s", r->body);
	cr_assert(json_object_object_get_ex(r->json, "errors", &errors),
	    "%s", r->body);
	cr_assert(json_object_object_get_ex(errors, "body", &list) &&
	    json_object_is_type(list, json_type_array) &&
	    json_object_array_length(list) > 0, "%s", r->body);
	if (field != NULL)
		cr_assert(json_object_object_get_ex(errors, field, &list) &&
		    json_object_is_type(list, json_type_array),
		    "no errors.%s: %s", field, r->body);
}

static char *
vsql(const char *sql, va_list ap)
{
	const char	*p[16];
	int		 n = 0;

	while (n < 16 && (p[n] = va_arg(ap, const char *)) != NULL)
		n++;
	return app_db_value(sql, n, p);
}

char *
cd_sql(const char *sql, ...)
{
	va_list	 ap;
	char	*v;

	va_start(ap, sql);
	v = vsql(sql, ap);
	va_end(ap);
	return v;
}

long
cd_count(const char *sql, ...)
{
	va_list	 ap;
	char	*v;
	long	 n;

	va_start(ap, sql);
	v = vsql(sql, ap);
	va_end(ap);
	cr_assert_not_null(v, "%s: no row", sql);
	n = strtol(v, NULL, 10);
	free(v);
	return n;
}

void
cd_assert_sql(const char *want, const char *sql, ...)
{
	va_list	 ap;
	char	*v;
	bool	 same;

	va_start(ap, sql);
	v = vsql(sql, ap);
	va_end(ap);
	same = v != NULL && strcmp(v, want) == 0;
	cr_assert(same, "%s: want %s, got %s", sql, want, v ? v : "NULL");
	free(v);
}
