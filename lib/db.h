/* SPDX-License-Identifier: MIT */
/*
 * db.h - the worker's one PostgreSQL connection and its named queries.
 *
 * The connection and the prepared statements live for the process (or until
 * the server goes away, when the next request reconnects).  Results live on
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
/* Value (row, col) of a db_all result; NULL for SQL NULL. */
const char	*db_value(const struct db_result *res, int row, int col);

/* Transactions for handlers that write more than one statement.  A
 * transaction still open when the request ends is rolled back. */
int		 db_begin(struct req *r);
int		 db_commit(struct req *r);

/* Called by the worker after each request: rolls back what is open. */
void		 db_request_end(void);

void		 db_close(void);

/* The HTTP status for a SQLSTATE ("23505" -> 409); 500 when unknown. */
int		 db_status_for(const char *sqlstate);

#endif /* LIB_DB_H */
