/* SPDX-License-Identifier: MIT */
/*
 * handlers.h - every handler of the route table, by resource, and what the
 * app shares between its files.  A handler returns the status it sent.
 */
#ifndef APP_HANDLERS_H
#define APP_HANDLERS_H

#include <stddef.h>

struct req;
#include "route.h"
struct config;

/* app/routes.c: the one route table. */
extern const struct route	app_routes[];
extern const size_t		app_nroutes;

/* app/main.c: the configuration, read once. */
extern struct config		app_config;

/* app/service.c: GET /, /healthz, /readyz (SPEC 4.2). */
int	service_root(struct req *r);
int	service_healthz(struct req *r);
int	service_readyz(struct req *r);

/* tasks: app/tasks.c, /api/v1/tasks (SPEC 4.4). */
int	tasks_list(struct req *r);
int	tasks_create(struct req *r);
int	tasks_get(struct req *r);
int	tasks_replace(struct req *r);
int	tasks_update(struct req *r);
int	tasks_delete(struct req *r);
/* end tasks */

#endif /* APP_HANDLERS_H */
