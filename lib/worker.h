/* SPDX-License-Identifier: MIT */
/*
 * worker.h - the FastCGI accept loop and the dispatcher.
 *
 * A worker process runs one or more accept loops, each on its own thread
 * (struct worker_loop).  A loop serves one request at a time: accept, read
 * params and body into a struct req on the loop's arena, route,
 * authenticate, run the handler against the loop's own PostgreSQL
 * connection, write the answer, log it, reset the arena.  The application
 * supplies the route table and the hooks; lib/ knows no resource.
 */
#ifndef LIB_WORKER_H
#define LIB_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct db_conn;
struct req;
struct route;
struct worker_pool;

/*
 * One accept loop: everything a loop owns lives here, and a loop's thread
 * is the only one that touches it (but busy_since, which the main thread
 * reads for the watchdog).  Handlers reach it as r->loop.  To keep
 * per-loop state of your own (counters, caches), add a field here or use
 * app_slot through the app's loop_init/loop_fini hooks: nothing is shared
 * between loops but read-only state.
 */
struct worker_loop {
	int			 index;		/* 0 .. loops - 1 in the process */
	const struct worker_app	*app;
	struct worker_pool	*pool;		/* shared: listening socket, stop */
	struct arena		*arena;		/* reset after each request */
	struct db_conn		*db;		/* this loop's connection */
	_Atomic int64_t		 busy_since;	/* log_now_us() of the request
						 * being served, 0 when idle */
	void			*app_slot;	/* the app's, from loop_init */
	unsigned long		 requests;	/* served by this loop */
	int			 status;	/* exit status of the loop */
	bool			 spare;		/* serves only while a write of
						 * its process waits (below) */
};

struct worker_app {
	const struct route	*routes;
	size_t			 nroutes;
	/* Sets r->user_id and friends from the Authorization header for
	 * `level` (enum route_auth).  0, or -1 with 401/403 recorded.  NULL:
	 * every authenticated route answers 401. */
	int			(*authenticate)(struct req *r, int level);
	long			 max_body;
	/* Accept loops (threads) in this process; 0 means 1. */
	int			 loops;
	/* Spare loops, beside those: each sleeps until a loop of the process
	 * runs a statement that writes, then takes new connections until it
	 * has served one with no write running.  A write spends most of its
	 * time waiting for its commit's WAL flush; the spare loops let other
	 * requests (mostly other writes, whose commits then share a flush)
	 * in meanwhile, without the cost of more loops for reads; the inserts
	 * among them then share a statement (db_one_grouped).  Default
	 * (QUETZAL_SPARE_LOOPS) 6. */
	int			 spare_loops;
	/* The nice value of the worker's scheduling autogroup (its session,
	 * when it leads one; sched(7)), 0 to leave it: above 0, nginx and
	 * PostgreSQL on the same cores come first when the CPU is short.
	 * Default (QUETZAL_AUTOGROUP_NICE) 3. */
	int			 autogroup_nice;
	/* Optional: called on the loop's thread before it serves (0, or -1
	 * to stop the worker) and after it stopped; for loop->app_slot. */
	int			(*loop_init)(struct worker_loop *loop);
	void			(*loop_fini)(struct worker_loop *loop);
};

/* Serves until SIGTERM/SIGINT: app->loops accept loops, each on its own
 * thread with its own PostgreSQL connection and arena, woken one per new
 * connection (EPOLLEXCLUSIVE).  A loop whose FastCGI connection nginx keeps
 * (FCGI_KEEP_CONN) serves the next request on it and takes no new
 * connection until nginx closes that one.  `listen` is a unix socket path or
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
