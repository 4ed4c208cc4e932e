/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_openapi.c - app/openapi.json and app/routes.c list the
 * same operations (SPEC 4.2): every route is documented, every documented
 * operation is routed, and each has a summary and responses.
 */
#include <criterion/criterion.h>

#include <json.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "route.h"

static json_object *doc;

static void
load(void)
{
	const char *root = getenv("QUETZAL_TEST_ROOT");
	char path[4096];

	snprintf(path, sizeof(path), "%s/app/openapi.json", root ? root : ".");
	doc = json_object_from_file(path);
	cr_assert_not_null(doc, "cannot parse %s", path);
}

static void
unload(void)
{
	json_object_put(doc);
}

TestSuite(openapi, .init = load, .fini = unload);

static void
lower(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && src[i] != '\0'; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

Test(openapi, every_route_is_documented)
{
	json_object *paths, *item, *op, *resp;

	cr_assert(json_object_object_get_ex(doc, "paths", &paths));
	for (size_t i = 0; i < app_nroutes; i++) {
		char m[16];

		lower(m, app_routes[i].method, sizeof(m));
		cr_assert(json_object_object_get_ex(paths,
		    app_routes[i].pattern, &item), "%s is not in openapi.json",
		    app_routes[i].pattern);
		cr_assert(json_object_object_get_ex(item, m, &op),
		    "%s %s is not in openapi.json", app_routes[i].method,
		    app_routes[i].pattern);
		cr_assert(json_object_object_get_ex(op, "responses", &resp),
		    "%s %s has no responses", m, app_routes[i].pattern);
		cr_assert(json_object_object_get_ex(op, "summary", NULL));
	}
}

Test(openapi, every_documented_operation_is_routed)
{
	static const char *const verbs[] = { "get", "put", "post", "delete",
	    "patch", "head", "options", "trace" };
	json_object *paths;

	cr_assert(json_object_object_get_ex(doc, "paths", &paths));
	json_object_object_foreach(paths, path, item) {
		for (size_t v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
			bool found = false;

			if (!json_object_object_get_ex(item, verbs[v], NULL))
				continue;
			for (size_t i = 0; i < app_nroutes && !found; i++) {
				char m[16];

				lower(m, app_routes[i].method, sizeof(m));
				found = strcmp(m, verbs[v]) == 0 &&
				    strcmp(app_routes[i].pattern, path) == 0;
			}
			cr_assert(found, "%s %s is documented but not routed",
			    verbs[v], path);
		}
	}
}

Test(openapi, authenticated_routes_declare_bearer_security)
{
	json_object *paths, *item, *op;

	cr_assert(json_object_object_get_ex(doc, "paths", &paths));
	for (size_t i = 0; i < app_nroutes; i++) {
		char m[16];
		bool has;

		if (app_routes[i].auth != ROUTE_USER &&
		    app_routes[i].auth != ROUTE_ADMIN)
			continue;
		lower(m, app_routes[i].method, sizeof(m));
		json_object_object_get_ex(paths, app_routes[i].pattern, &item);
		json_object_object_get_ex(item, m, &op);
		has = json_object_object_get_ex(op, "security", NULL);
		cr_assert(has, "%s %s needs a token but documents no security",
		    app_routes[i].method, app_routes[i].pattern);
	}
}

/* Issue 11: the answers every route can give, whatever its handler does:
 * 400 (undecodable path or query), 405 (another method on its path), and
 * 415 for a body of another type wherever a body is read. */
Test(openapi, every_route_lists_400_405_and_415)
{
	json_object *paths, *item, *op, *resp;

	cr_assert(json_object_object_get_ex(doc, "paths", &paths));
	for (size_t i = 0; i < app_nroutes; i++) {
		const char	*meth = app_routes[i].method;
		char		 m[16];

		lower(m, meth, sizeof(m));
		cr_assert(json_object_object_get_ex(paths,
		    app_routes[i].pattern, &item));
		cr_assert(json_object_object_get_ex(item, m, &op));
		cr_assert(json_object_object_get_ex(op, "responses", &resp));
		cr_assert(json_object_object_get_ex(resp, "400", NULL),
		    "%s %s lists no 400", meth, app_routes[i].pattern);
		cr_assert(json_object_object_get_ex(resp, "405", NULL),
		    "%s %s lists no 405", meth, app_routes[i].pattern);
		if (strcmp(meth, "POST") == 0 || strcmp(meth, "PUT") == 0 ||
		    strcmp(meth, "PATCH") == 0)
			cr_assert(json_object_object_get_ex(resp, "415", NULL),
			    "%s %s lists no 415", meth,
			    app_routes[i].pattern);
	}
}

/* Every "$ref" names something the document has ("#/components/..."). */
static void
check_refs(json_object *o, const char *where)
{
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			check_refs(json_object_array_get_idx(o, i), where);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val) {
		if (strcmp(key, "$ref") == 0) {
			const char	*ref = json_object_get_string(val);
			char		 part[256];
			json_object	*at = doc;

			cr_assert(strncmp(ref, "#/", 2) == 0, "%s", ref);
			for (const char *p = ref + 2; at != NULL && *p != '\0';) {
				size_t n = strcspn(p, "/");

				snprintf(part, sizeof(part), "%.*s", (int)n, p);
				if (!json_object_object_get_ex(at, part, &at))
					at = NULL;
				p += n + (p[n] == '/');
			}
			cr_assert_not_null(at, "%s (in %s) names nothing", ref,
			    where);
		} else
			check_refs(val, key);
	}
}

Test(openapi, every_ref_resolves)
{
	check_refs(doc, "the document");
}
