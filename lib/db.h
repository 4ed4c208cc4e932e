/* SPDX-License-Identifier: MIT */
/*
 * db.h - the PostgreSQL connections and their named queries.
 *
 * One connection per accept loop (struct db_conn; a request uses r->db, or
 * the process's own connection when r->db is NULL, as the commands and the
 * tests do).  A connection and its prepared statements live as long as the
 * loop (or until the server goes away, when the next request reconnects);
 * a connection is used by one thread only.  Results live on
 * the request's arena: the strings a call hands back are borrowed from a
 * PGresult that is cleared at arena_reset.  Errors are recorded on the
 * request with an HTTP status from the SQLSTATE map (db.c); PostgreSQL's
 * own messages are logged, never sent to the client.
 */
#ifndef LIB_DB_H
#define LIB_DB_H

#include <stdbool.h>
#include <stddef.h>

struct req;
struct db_conn;

/* One named statement, as sql/gen.awk emits them. */
struct db_query {
	const char	*name;
	const char	*sql;
	int		 nparams;
};

/* A query's arguments: `const char *` each, NULL for SQL NULL. */
#define DB_ARGS(...) (const char *const[]){ __VA_ARGS__ }, \
	(int)(sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))
#define DB_NOARGS NULL, 0
/* An output row: a `const char *row[N]` array and its size. */
#define DB_ROW(a) (a), (int)(sizeof(a) / sizeof((a)[0]))

/* A whole result, for lists. Borrowed from the arena. */
struct db_result {
	void	*res;		/* PGresult */
	int	 nrows;
	int	 ncols;
};

/* Remembers where and what to prepare; connects at the first db_connect or
 * db_ensure.  `queries` must outlive the process (generated tables do). */
void		 db_init(const char *conninfo, long statement_timeout_ms,
		    const struct db_query *queries, size_t nqueries);

/* Connects and prepares every query.  0, or -1 (logged). */
int		 db_connect(void);

/* Whether the connection is up and prepared (no I/O). */
bool		 db_is_up(void);

/* Makes sure the connection is usable for `r`: detects a server that went
 * away and reconnects.  0, or -1 with 503 recorded. */
int		 db_ensure(struct req *r);

/* Runs query `q`.  db_one: 1 with row[0..nrow) set from the first row (NULL
 * for SQL NULL; it must have as many columns as nrow), 0 for no row, -1 on
 * error.  db_exec: the number of rows affected or returned, or -1.
 * db_all: 0 with *out filled, or -1. */
int		 db_one(struct req *r, int q, const char *const *args,
		    int nargs, const char **row, int nrow);
int		 db_exec(struct req *r, int q, const char *const *args,
		    int nargs);
int		 db_all(struct req *r, int q, const char *const *args,
		    int nargs, struct db_result *out);
/*
 * db_one for a one-row INSERT that several loops of this process may run
 * at the same time: group commit.  A call that finds no statement of q
 * running runs q at once, alone; calls that come meanwhile wait, and then
 * run together as one statement of `batch`, in one transaction (one
 * commit, one WAL flush), on the connection of the first of them.  batch
 * takes, for each parameter of q, the array of every row's value (same
 * order, `$k::type[]`), and returns per row its place in those arrays
 * (1-based) and then q's columns; a row it does not return is q's "no
 * row".  If the batch fails, each call runs q alone, so an error is
 * recorded on the request whose row caused it.  Only outside a
 * transaction (db_begin).
 */
int		 db_one_grouped(struct req *r, int q, int batch,
		    const char *const *args, int nargs, const char **row,
		    int nrow);
/* Value (row, col) of a db_all result; NULL for SQL NULL. */
const char	*db_value(const struct db_result *res, int row, int col);

/* Transactions for handlers that write more than one statement.  A
 * transaction still open when the request ends is rolled back. */
int		 db_begin(struct req *r);
int		 db_commit(struct req *r);

/* Called by the worker after each request: rolls back what is open. */
void		 db_request_end(void);

void		 db_close(void);

/* An accept loop's own connection: db_conn_new() (not connected yet; the
 * first request or db_conn_connect connects), db_conn_free() closes it. */
struct db_conn	*db_conn_new(void);
void		 db_conn_free(struct db_conn *c);
/* db_connect, db_close and db_request_end for connection c. */
int		 db_conn_connect(struct db_conn *c);
void		 db_conn_close(struct db_conn *c);
void		 db_conn_request_end(struct db_conn *c);
/* The socket of a connected connection, or -1: the loop waits on it with
 * its other descriptors, and says db_conn_quiet() when it saw it idle and
 * not readable, which spares the next query its own poll(2) for a server
 * that went away (a readable idle connection is a dead one).  *gen (when
 * not NULL) changes with every new connection. */
int		 db_conn_fd(const struct db_conn *c, unsigned *gen);
void		 db_conn_quiet(struct db_conn *c);

/* Called around each statement that may write (INSERT, UPDATE or DELETE
 * in its text) and each COMMIT, on the calling thread: the worker wakes
 * its spare loops while a write waits for its commit (worker.c).  end is
 * called only when begin returned true.  Set once, before the loops
 * start; NULL for none. */
#define DB_MAX_QUERIES	256
void		 db_set_write_hooks(bool (*begin)(const struct req *r),
		    void (*end)(void));

/* The HTTP status for a SQLSTATE ("23505" -> 409); 500 when unknown. */
int		 db_status_for(const char *sqlstate);

#endif /* LIB_DB_H */
