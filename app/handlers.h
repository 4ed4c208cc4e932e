/* SPDX-License-Identifier: MIT */
/*
 * handlers.h - every handler of the route table, by resource, and what the
 * app shares between its files.  A handler returns the status it sent.
 */
#ifndef APP_HANDLERS_H
#define APP_HANDLERS_H

#include <stdbool.h>
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

/* Signs an access token for `user_id` with `role` and token version `ver`
 * (decimal text), valid for QUETZAL_TOKEN_TTL: 0 with *token set
 * (arena-owned), or -1 with a 500 recorded. */
int	app_auth_issue(struct req *r, const char *user_id, const char *role,
	    const char *ver, const char **token);

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

/* app/users.c: the rules of SPEC 4.3 for an email and a username, also
 * used by the Conduit API. */
bool	users_email_valid(const char *email);
bool	users_username_valid(const char *username);

/* --- end users and auth --- */

/* tasks: app/tasks.c, /api/v1/tasks (SPEC 4.4). */
int	tasks_list(struct req *r);
int	tasks_create(struct req *r);
int	tasks_get(struct req *r);
int	tasks_replace(struct req *r);
int	tasks_update(struct req *r);
int	tasks_delete(struct req *r);
/* end tasks */

/* --- Conduit, the RealWorld social API under /api (SPEC 4.5) --- */
/* Whether a boolean column of a row is true ("t"); NULL is false. */
bool	conduit_is_true(const char *v);
/* app/conduit_users.c */
int	conduit_users_create(struct req *r);
int	conduit_users_login(struct req *r);
int	conduit_users_get(struct req *r);
int	conduit_users_update(struct req *r);
/* app/profiles.c */
int	profiles_get(struct req *r);
int	profiles_follow(struct req *r);
int	profiles_unfollow(struct req *r);
/* app/articles.c (articles, favorites, tags) */
int	articles_list(struct req *r);
int	articles_feed(struct req *r);
int	articles_get(struct req *r);
int	articles_create(struct req *r);
int	articles_update(struct req *r);
int	articles_delete(struct req *r);
int	articles_favorite(struct req *r);
int	articles_unfavorite(struct req *r);
int	tags_list(struct req *r);
/* app/comments.c */
int	comments_list(struct req *r);
int	comments_create(struct req *r);
int	comments_delete(struct req *r);
/* --- end Conduit --- */

#endif /* APP_HANDLERS_H */
