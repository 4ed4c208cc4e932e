/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - the pool's counters, shared by every worker through one
 * memory-mapped file, and their exposition at GET /metrics.
 *
 * The file (<runtime dir>/metrics.v1) holds a directory of routes
 * and one slot per accept loop (a worker process, or each thread of one).
 * An accept loop claims a slot at start (a free one, or one whose process
 * is gone: a restarted worker inherits its counters) and is the only
 * writer of it; a request is recorded with plain relaxed atomic loads and
 * stores, no lock and no system call.  Any worker sums every slot, so the
 * answer does not depend on who answers, and a killed worker's counts
 * stay in the file.  Design and measurements: docs/decisions.md.
 *
 * Every recording function is a no-op in a thread that holds no slot (the
 * command-line tools, or QUETZAL_METRICS=off).
 */
#ifndef LIB_METRICS_H
#define LIB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct req;
struct route;

/* Kinds of database errors (label kind of quetzal_db_errors_total). */
enum metrics_db_kind {
	METRICS_DB_CONNECT = 0,	/* a connection attempt failed */
	METRICS_DB_LOST,	/* the connection broke during a query */
	METRICS_DB_TIMEOUT,	/* 57014 statement timeout */
	METRICS_DB_CONFLICT,	/* 23505, 23503 */
	METRICS_DB_INVALID,	/* 22xxx, 23502, 23514 */
	METRICS_DB_RESOURCES,	/* 53xxx */
	METRICS_DB_SHUTDOWN,	/* 57Pxx, 08xxx */
	METRICS_DB_SERIALIZATION, /* 40001, 40P01 */
	METRICS_DB_OTHER,
	METRICS_DB_NKINDS
};

/*
 * Opens (creating it when missing) the shared file in `dir`, or, when dir
 * is NULL or empty, an anonymous mapping that only this process sees.
 * `setting` is QUETZAL_METRICS: NULL, "" or "on" records, "off" records
 * nothing.  0; -1 with one line in err (naming the variable or the file)
 * when the setting is invalid or the file unusable.  Once per process,
 * before any accept loop starts.
 */
int	metrics_open(const char *dir, const char *setting, char *err,
	    size_t errlen);

/* Whether metrics_open() chose to record (for /metrics to say so). */
bool	metrics_enabled(void);

/*
 * Start and end of one accept loop (called by lib/worker.c in the thread
 * that runs it).  The first start in a process registers `routes` (the
 * application's table, which must outlive the process) in the file's
 * route directory.  Start claims a slot and counts a worker start; stop
 * releases the slot (its counters stay).
 */
void	metrics_loop_start(const struct route *routes, size_t nroutes);
void	metrics_loop_stop(void);

/* A request was accepted (in-flight until metrics_request). */
void	metrics_accepted(void);

/* Records r's route (or "unmatched" with its method), status and its
 * duration since r->started_us.  Called before the answer is written, so
 * a client that has the answer can see it counted. */
void	metrics_request(const struct req *r);

/* Database events, from lib/db.c. */
void	metrics_db_error(enum metrics_db_kind kind);
void	metrics_db_reconnect(void);
void	metrics_db_unavailable(void);	/* a request answered 503 for it */
/* The error kind of a SQLSTATE (NULL: the connection was lost). */
enum metrics_db_kind metrics_db_kind_of(const char *sqlstate);

/*
 * Password hashing (bcrypt), for the bound on concurrent hashes: a hash
 * or verify that ran for `us` microseconds; a caller that had to wait
 * `waited_us` for its turn; a caller refused because too many wait.
 */
void	metrics_hash_done(int64_t us);
void	metrics_hash_waited(int64_t waited_us);
void	metrics_hash_refused(void);

/* What the answering worker adds to the pool's numbers. */
struct metrics_extra {
	/* nginx's stub_status counters ($connections_*), -1 when absent. */
	long long	nginx_active, nginx_reading, nginx_writing,
			nginx_waiting;
	/* PostgreSQL: pg_up 1 when these were read, 0 when the database
	 * did not answer, -1 to leave them out. */
	int		pg_up;
	long long	pg_connections, pg_connections_active,
			pg_database_bytes;
};

/* Writes the whole pool's metrics (and `extra`) in the text format 0.0.4.
 * Reads /proc for the pool's CPU and memory.  0, or -1 when no metrics
 * file is open. */
int	metrics_write(FILE *f, const struct metrics_extra *extra);

/*
 * For tests: the sum over every slot of the requests recorded, and of the
 * slots whose owner process is gone (a worker killed with its counts).
 */
uint64_t metrics_requests_total(void);
uint64_t metrics_requests_of_dead(void);

/* For tests: unmaps the file, forgets the slot (a new metrics_open may
 * follow, e.g. in a forked child). */
void	metrics_close(void);

#endif /* LIB_METRICS_H */
