/* SPDX-License-Identifier: MIT */
/*
 * routes.c - the route table: method, pattern, handler, authentication,
 * error envelope, flags, summary.  tests/unit/test_openapi.c checks that
 * app/openapi.json documents exactly these operations.
 */
#include "handlers.h"

#include "http.h"
#include "route.h"

#define PROBLEM	HTTP_ENV_PROBLEM
#define OAUTH	HTTP_ENV_OAUTH
#define RW	HTTP_ENV_REALWORLD
#define TOKEN	ROUTE_TOKEN_ONLY

const struct route app_routes[] = {
	{ "GET", "/", service_root, ROUTE_PUBLIC, PROBLEM, 0,
	    "Service name, version and docs link" },
	{ "GET", "/healthz", service_healthz, ROUTE_PUBLIC, PROBLEM, 0,
	    "Liveness: the worker runs" },
	{ "GET", "/readyz", service_readyz, ROUTE_PUBLIC, PROBLEM, 0,
	    "Readiness: database reachable and migrated" },
	{ "GET", "/metrics", service_metrics, ROUTE_PUBLIC, PROBLEM, 0,
	    "Prometheus metrics of the whole pool (nginx: loopback and "
	    "QUETZAL_METRICS_ALLOW only)" },

	/* users and auth (SPEC 4.3) */
	{ "POST", "/token", auth_token, ROUTE_PUBLIC, OAUTH, ROUTE_FORM,
	    "OAuth2 password grant (alias of /api/v1/auth/token)" },
	{ "POST", "/api/v1/auth/token", auth_token, ROUTE_PUBLIC, OAUTH,
	    ROUTE_FORM, "OAuth2 password grant: access and refresh token" },
	{ "POST", "/api/v1/auth/refresh", auth_refresh, ROUTE_PUBLIC, OAUTH,
	    ROUTE_FORM, "Trade a refresh token for a new pair" },
	{ "POST", "/api/v1/auth/logout", auth_logout, ROUTE_USER, PROBLEM, 0,
	    "Revoke the caller's refresh tokens" },
	{ "POST", "/api/v1/users", users_create, ROUTE_PUBLIC, PROBLEM, 0,
	    "Register" },
	{ "GET", "/api/v1/users", users_list, ROUTE_ADMIN, PROBLEM, 0,
	    "List users (admin)" },
	{ "GET", "/api/v1/users/me", users_me_get, ROUTE_USER, PROBLEM,
	    ROUTE_TOKEN_ONLY, "The caller" },
	{ "PATCH", "/api/v1/users/me", users_me_update, ROUTE_USER, PROBLEM, 0,
	    "Update the caller" },
	{ "DELETE", "/api/v1/users/me", users_me_delete, ROUTE_USER, PROBLEM,
	    0, "Delete the caller's account and everything it owns" },
	{ "GET", "/api/v1/users/{id}", users_get, ROUTE_USER, PROBLEM, 0,
	    "A user: self, or any for an admin" },
	{ "PATCH", "/api/v1/users/{id}", users_update, ROUTE_ADMIN, PROBLEM, 0,
	    "Change a user's role, is_active or full_name (admin)" },
	{ "DELETE", "/api/v1/users/{id}", users_delete, ROUTE_ADMIN, PROBLEM,
	    0, "Delete a user (admin)" },
	/* end users and auth */

	/* tasks (SPEC 4.4) */
	{ "GET", "/api/v1/tasks", tasks_list, ROUTE_USER, PROBLEM,
	    ROUTE_TOKEN_ONLY,
	    "List your tasks, newest first, a page at a time" },
	{ "POST", "/api/v1/tasks", tasks_create, ROUTE_USER, PROBLEM,
	    ROUTE_TOKEN_ONLY, "Create a task" },
	{ "GET", "/api/v1/tasks/{id}", tasks_get, ROUTE_USER, PROBLEM,
	    ROUTE_TOKEN_ONLY, "One of your tasks, with its ETag" },
	{ "PUT", "/api/v1/tasks/{id}", tasks_replace, ROUTE_USER, PROBLEM,
	    ROUTE_TOKEN_ONLY, "Replace a task" },
	{ "PATCH", "/api/v1/tasks/{id}", tasks_update, ROUTE_USER, PROBLEM,
	    ROUTE_TOKEN_ONLY, "Change some fields of a task" },
	{ "DELETE", "/api/v1/tasks/{id}", tasks_delete, ROUTE_USER, PROBLEM,
	    ROUTE_TOKEN_ONLY, "Delete a task" },
	/* end tasks */

	/* Conduit, the RealWorld social API (SPEC 4.5).  Every query checks
	 * the token itself (ROUTE_TOKEN_ONLY); feed before {slug}. */
	{ "POST", "/api/users", conduit_users_create, ROUTE_PUBLIC, RW, 0,
	    "Register (Conduit)" },
	{ "POST", "/api/users/login", conduit_users_login, ROUTE_PUBLIC, RW,
	    0, "Log in (Conduit)" },
	{ "GET", "/api/user", conduit_users_get, ROUTE_USER, RW, TOKEN,
	    "The current user (Conduit)" },
	{ "PUT", "/api/user", conduit_users_update, ROUTE_USER, RW, TOKEN,
	    "Update the current user (Conduit)" },
	{ "GET", "/api/profiles/{username}", profiles_get, ROUTE_OPTIONAL, RW,
	    TOKEN, "A profile" },
	{ "POST", "/api/profiles/{username}/follow", profiles_follow,
	    ROUTE_USER, RW, TOKEN, "Follow a user" },
	{ "DELETE", "/api/profiles/{username}/follow", profiles_unfollow,
	    ROUTE_USER, RW, TOKEN, "Unfollow a user" },
	{ "GET", "/api/articles/feed", articles_feed, ROUTE_USER, RW, TOKEN,
	    "Articles by the authors you follow, newest first" },
	{ "GET", "/api/articles", articles_list, ROUTE_OPTIONAL, RW, TOKEN,
	    "Articles, newest first, by tag, author or favoriter" },
	{ "POST", "/api/articles", articles_create, ROUTE_USER, RW, TOKEN,
	    "Create an article" },
	{ "GET", "/api/articles/{slug}", articles_get, ROUTE_OPTIONAL, RW,
	    TOKEN, "An article" },
	{ "PUT", "/api/articles/{slug}", articles_update, ROUTE_USER, RW,
	    TOKEN, "Update your article" },
	{ "DELETE", "/api/articles/{slug}", articles_delete, ROUTE_USER, RW,
	    TOKEN, "Delete your article" },
	{ "GET", "/api/articles/{slug}/comments", comments_list,
	    ROUTE_OPTIONAL, RW, TOKEN, "An article's comments" },
	{ "POST", "/api/articles/{slug}/comments", comments_create,
	    ROUTE_USER, RW, TOKEN, "Comment on an article" },
	{ "DELETE", "/api/articles/{slug}/comments/{id}", comments_delete,
	    ROUTE_USER, RW, TOKEN, "Delete your comment" },
	{ "POST", "/api/articles/{slug}/favorite", articles_favorite,
	    ROUTE_USER, RW, TOKEN, "Favorite an article" },
	{ "DELETE", "/api/articles/{slug}/favorite", articles_unfavorite,
	    ROUTE_USER, RW, TOKEN, "Unfavorite an article" },
	{ "GET", "/api/tags", tags_list, ROUTE_PUBLIC, RW, 0,
	    "The tags in use, sorted" },
	/* end Conduit */
};

const size_t app_nroutes = sizeof(app_routes) / sizeof(app_routes[0]);
