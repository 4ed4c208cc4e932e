/* SPDX-License-Identifier: MIT */
/*
 * worker.h - the FastCGI accept loop and the dispatcher.
 *
 * One request at a time: accept, read params and body into a struct req on
 * the worker's arena, route, authenticate, run the handler, write the
 * answer, log it, reset the arena.  The application supplies the route
 * table and the authentication hook; lib/ knows no resource.
 */
#ifndef LIB_WORKER_H
#define LIB_WORKER_H

#include <stddef.h>

struct req;
struct route;

struct worker_app {
	const struct route	*routes;
	size_t			 nroutes;
	/* Sets r->user_id and friends from the Authorization header for
	 * `level` (enum route_auth).  0, or -1 with 401/403 recorded.  NULL:
	 * every authenticated route answers 401. */
	int			(*authenticate)(struct req *r, int level);
	long			 max_body;
};

/* Serves until SIGTERM/SIGINT.  `listen` is a unix socket path or
 * "host:port" to bind, or NULL for systemd's LISTEN_FDS or else fd 0 (as
 * spawn-fcgi passes it).  Returns the exit status for main. */
int	worker_serve(const struct worker_app *app, const char *listen);

/*
 * Handles one request whose params are in r (http_req_init done) and whose
 * body is r->body: checks, routes, authenticates, calls the handler and
 * leaves the answer in r.  `content_length` is what the client announced.
 * No I/O besides the handler's.
 */
void	worker_dispatch(const struct worker_app *app, struct req *r);

/* Renders r's status line, headers and body into a single arena buffer as
 * FastCGI wants it ("Status: 200 OK\r\n..."); *len gets its size. */
const char *worker_render(struct req *r, size_t *len);

#endif /* LIB_WORKER_H */
