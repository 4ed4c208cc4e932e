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
int	service_metrics(struct req *r);

/* --- users and auth (SPEC 4.3) --- */

/* app/auth.c: what the token code needs from the configuration, set once
 * by app_auth_init() (the key is borrowed from `c`, which must outlive the
 * process).  Also makes the dummy bcrypt hash.  0, or -1 (logged). */
struct app_auth {
	long	token_ttl;
	long	refresh_ttl;
	int	bcrypt_cost;
};
extern struct app_auth		app_auth;
int	app_auth_init(const struct config *c);

/* The worker's authenticate hook (lib/worker.h): verifies the bearer
 * token and, unless the route has ROUTE_TOKEN_ONLY, checks it against the
 * user row with one query.  Sets r->user_id, r->role, r->token_ver. */
int	app_authenticate(struct req *r, int level);
/* The worker's loop hooks: each accept loop gets its own verified-token
 * cache (loop->app_slot). */
struct worker_loop;
int	app_auth_loop_init(struct worker_loop *loop);
void	app_auth_loop_fini(struct worker_loop *loop);
/* For ROUTE_TOKEN_ONLY handlers whose query, joined on (id, token_version,
 * is_active), found no user: records the 401 and renders it. */
int	app_auth_stale(struct req *r);

/* app/auth.c: POST /token, /api/v1/auth/token, /auth/refresh, /logout. */
int	auth_token(struct req *r);
int	auth_refresh(struct req *r);
int	auth_logout(struct req *r);

/* app/users.c: /api/v1/users (SPEC 4.3). */
int	users_create(struct req *r);
int	users_me_get(struct req *r);
int	users_me_update(struct req *r);
int	users_me_delete(struct req *r);
int	users_get(struct req *r);
int	users_list(struct req *r);
int	users_update(struct req *r);
int	users_delete(struct req *r);
/* `quetzal create-admin`: creates the admin `email` with `password`, or
 * makes the user with that email an active admin with that password.
 * 1 created, 0 promoted, -1 with the problem recorded on r (a 422 list, or
 * a database status).  `r` needs only an arena and a request id. */
int	users_create_admin(struct req *r, const char *email,
	    const char *password);

/* --- end users and auth --- */

/* tasks: app/tasks.c, /api/v1/tasks (SPEC 4.4). */
int	tasks_list(struct req *r);
int	tasks_create(struct req *r);
int	tasks_get(struct req *r);
int	tasks_replace(struct req *r);
int	tasks_update(struct req *r);
int	tasks_delete(struct req *r);
/* end tasks */

#endif /* APP_HANDLERS_H */
