/* SPDX-License-Identifier: MIT */
/* tests/support/client.c - see client.h. */
#include "client.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json.h>
#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "handlers.h"

void
test_need_stack(void)
{
	if (getenv("QUETZAL_TEST_URL") == NULL ||
	    getenv("QUETZAL_TEST_DSN") == NULL)
		cr_assert_fail("QUETZAL_TEST_URL and QUETZAL_TEST_DSN are not set: "
		    "run through tests/support/with-stack.sh (make test)");
}

struct buf {
	char	*p;
	size_t	 len;
};

static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;
	size_t		 add = size * n;
	char		*p = realloc(b->p, b->len + add + 1);

	if (p == NULL)
		return 0;
	memcpy(p + b->len, data, add);
	b->p = p;
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/* The last transfer's outcome in this thread, for must()'s message. */
static _Thread_local CURLcode last_rc;

int
http_req(const char *method, const char *path, const char *const *headers,
    const char *body, struct resp *out)
{
	return http_req_len(method, path, headers, body,
	    body != NULL ? strlen(body) : 0, out);
}

int
http_req_len(const char *method, const char *path,
    const char *const *headers, const char *body, size_t body_len,
    struct resp *out)
{
	CURL			*c;
	struct curl_slist	*h = NULL;
	struct buf		 data = { NULL, 0 }, head = { NULL, 0 };
	char			 url[8192];
	int			 has_ct = 0;
	CURLcode		 rc;

	memset(out, 0, sizeof(*out));
	test_need_stack();
	snprintf(url, sizeof(url), "%s%s", getenv("QUETZAL_TEST_URL"), path);
	c = curl_easy_init();
	if (c == NULL)
		return -1;
	for (const char *const *p = headers; p != NULL && *p != NULL; p++) {
		h = curl_slist_append(h, *p);
		if (strncasecmp(*p, "Content-Type:", 13) == 0)
			has_ct = 1;
	}
	if (body != NULL && !has_ct)
		h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &data);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	last_rc = rc;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	out->body = data.p ? data.p : strdup("");
	out->len = data.len;
	out->headers = head.p ? head.p : strdup("");
	if (out->len > 0)
		out->json = json_tokener_parse(out->body);
	return rc == CURLE_OK ? 0 : -1;
}

static struct resp
must(const char *method, const char *path, const char *const *headers,
    const char *body)
{
	struct resp r;

	if (http_req(method, path, headers, body, &r) < 0)
		cr_assert_fail("%s %s: request failed: %s", method, path,
		    curl_easy_strerror(last_rc));
	return r;
}

struct resp
http_get(const char *path, const char *token)
{
	char		 auth[4200];
	const char	*h[] = { auth, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
	    token ? token : "");
	return must("GET", path, token ? h : NULL, NULL);
}

struct resp
http_json(const char *method, const char *path, const char *token,
    const char *body)
{
	char		 auth[4200];
	const char	*h[] = { auth, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
	    token ? token : "");
	return must(method, path, token ? h : NULL, body);
}

char *
resp_header(const struct resp *r, const char *name)
{
	size_t		 n = strlen(name);
	const char	*p = r->headers, *last = NULL;

	/* After a 100 or a redirect several blocks may be here: take the
	 * last occurrence. */
	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			last = p + n + 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (last == NULL)
		return NULL;
	while (*last == ' ')
		last++;
	return strndup(last, strcspn(last, "\r\n"));
}

const char *
resp_str(const struct resp *r, const char *path)
{
	json_object	*o = r->json;
	char		 key[256];
	const char	*p = path;

	while (o != NULL && *p != '\0') {
		size_t n = strcspn(p, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(key));
		else if (!json_object_object_get_ex(o, key, &o))
			o = NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	if (o == NULL)
		return NULL;
	return json_object_get_string(o);
}

void
resp_free(struct resp *r)
{
	free(r->body);
	free(r->headers);
	if (r->json != NULL)
		json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

const char *
test_unique(void)
{
	static char	buf[64];
	static int	n;

	snprintf(buf, sizeof(buf), "%d_%d_%ld", (int)getpid(), ++n,
	    (long)time(NULL) % 100000);
	return buf;
}

void
resp_assert_header(const struct resp *r, const char *name, const char *want)
{
	char *v = resp_header(r, name);

	cr_assert_not_null(v, "no %s header", name);
	cr_assert_str_eq(v, want, "%s: %s", name, v);
	free(v);
}

const struct route *
test_route(const char *method, const char *pattern)
{
	for (size_t i = 0; i < app_nroutes; i++)
		if (strcmp(app_routes[i].method, method) == 0 &&
		    strcmp(app_routes[i].pattern, pattern) == 0)
			return &app_routes[i];
	cr_assert_fail("no route %s %s", method, pattern);
	return NULL;
}

void
test_admin_exec(const char *sql)
{
	PGconn		*c = PQconnectdb(getenv("QUETZAL_TEST_DSN"));
	PGresult	*res;

	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	res = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s: %s", sql,
	    PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(c);
}
