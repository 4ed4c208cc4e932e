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
};

const size_t app_nroutes = sizeof(app_routes) / sizeof(app_routes[0]);
