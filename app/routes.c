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

const struct route app_routes[] = {
	{ "GET", "/", service_root, ROUTE_PUBLIC, PROBLEM, 0,
	    "Service name, version and docs link" },
	{ "GET", "/healthz", service_healthz, ROUTE_PUBLIC, PROBLEM, 0,
	    "Liveness: the worker runs" },
	{ "GET", "/readyz", service_readyz, ROUTE_PUBLIC, PROBLEM, 0,
	    "Readiness: database reachable and migrated" },

	/* tasks (SPEC 4.4) */
	{ "GET", "/api/v1/tasks", tasks_list, ROUTE_USER, PROBLEM, 0,
	    "List your tasks, newest first, a page at a time" },
	{ "POST", "/api/v1/tasks", tasks_create, ROUTE_USER, PROBLEM, 0,
	    "Create a task" },
	{ "GET", "/api/v1/tasks/{id}", tasks_get, ROUTE_USER, PROBLEM, 0,
	    "One of your tasks, with its ETag" },
	{ "PUT", "/api/v1/tasks/{id}", tasks_replace, ROUTE_USER, PROBLEM, 0,
	    "Replace a task" },
	{ "PATCH", "/api/v1/tasks/{id}", tasks_update, ROUTE_USER, PROBLEM, 0,
	    "Change some fields of a task" },
	{ "DELETE", "/api/v1/tasks/{id}", tasks_delete, ROUTE_USER, PROBLEM, 0,
	    "Delete a task" },
	/* end tasks */
};

const size_t app_nroutes = sizeof(app_routes) / sizeof(app_routes[0]);
