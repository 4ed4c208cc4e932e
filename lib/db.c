/* SPDX-License-Identifier: MIT */
/*
 * db.c - libpq for blocking accept loops.  One connection per accept loop
 * (struct db_conn, r->db; the process's own one when r->db is NULL, for
 * the commands and tests), every named query prepared on connect (so a
 * broken query or a missing migration shows at start-up), and a reconnect
 * on the first request after the server went away (SPEC 5: 503, never an
 * exit).  What db_init() stores is read-only afterwards, so loops on
 * several threads share it; a struct db_conn belongs to one thread.
 */
#include "db.h"

#include <libpq-fe.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

/* Set once by db_init, read-only afterwards. */
static struct {
	char			 conninfo[4096];
	char			 options[256];
	const struct db_query	*queries;
	size_t			 nqueries;
	bool			 writes[DB_MAX_QUERIES];	/* see db_set_write_hooks */
	bool			(*write_begin)(const struct req *r);
	void			(*write_end)(void);
} db;

/* Whether a statement may write: INSERT, UPDATE or DELETE anywhere in its
 * text (the queries are written in upper case; a SELECT ... FOR UPDATE
 * counts, which is harmless: it only decides when spare loops wake). */
static bool
may_write(const char *sql)
{
	static const char *const verbs[] = { "INSERT", "UPDATE", "DELETE" };

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		for (const char *p = sql; (p = strstr(p, verbs[i])) != NULL;
		    p++) {
			char after = p[strlen(verbs[i])];

			bool word_start = p == sql ||
			    (!isalnum((unsigned char)p[-1]) && p[-1] != '_');

			if (word_start && !isalnum((unsigned char)after) &&
			    after != '_')
				return true;
		}
	return false;
}

void
db_set_write_hooks(bool (*begin)(const struct req *r), void (*end)(void))
{
	db.write_begin = begin;
	db.write_end = end;
}

struct db_conn {
	PGconn			*conn;
	bool			 up;		/* connected and prepared */
	bool			 down_logged;	/* one log line per outage */
	bool			 quiet;		/* see db_conn_quiet */
	unsigned		 gen;		/* connections made (metrics: a
						 * next one is a reconnect) */
};

/* The process's connection: r->db == NULL, db_connect(), db_close(). */
static struct db_conn main_conn;

#define CONN(r)	((r)->db != NULL ? (r)->db : &main_conn)

void
db_init(const char *conninfo, long statement_timeout_ms,
    const struct db_query *queries, size_t nqueries)
{
	snprintf(db.conninfo, sizeof(db.conninfo), "%s", conninfo);
	/*
	 * Every named query is written, and tested (tests/integration/
	 * test_*_plans.c), for its generic plan.  Left to choose,
	 * PostgreSQL prices a generic `LIMIT $n` at a tenth of the table,
	 * finds it dearer than the custom plans and plans every execution
	 * anew (0.3-1 ms for a Conduit page, longer than running it); the
	 * same guess passes jit_above_cost, and compiling a 20-row page
	 * took 30 ms.  So: generic plans from the first run, no JIT.
	 * enable_seqscan=off: every query of ours is built around an index,
	 * but a generic plan is costed once, on the statistics of that
	 * moment; planned on a table that was nearly empty then, a list page
	 * went on sorting the whole table after it had grown
	 * (docs/decisions.md).  Off, a sequential scan is taken only where
	 * no index can serve.  random_page_cost=1.1 (the usual setting for
	 * SSDs and a cached working set): at the default 4, a generic list
	 * plan made before the first ANALYZE read the user's whole list with
	 * a bitmap scan and sorted it (415 us of PostgreSQL per page in the
	 * shared benchmark, seconds after seeding) instead of walking
	 * tasks_owner_created backward and stopping at the limit (0.03 ms).
	 */
	snprintf(db.options, sizeof(db.options), "-c statement_timeout=%ld "
	    "-c enable_seqscan=off -c jit=off -c random_page_cost=1.1 "
	    "-c plan_cache_mode=force_generic_plan", statement_timeout_ms);
	db.queries = queries;
	db.nqueries = nqueries;
	if (nqueries > DB_MAX_QUERIES)
		die("db_init: %zu queries, at most %d", nqueries,
		    DB_MAX_QUERIES);
	for (size_t i = 0; i < nqueries; i++)
		db.writes[i] = may_write(queries[i].sql);
}

struct db_conn *
db_conn_new(void)
{
	struct db_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		die("db_conn_new: out of memory");
	return c;
}

void
db_conn_free(struct db_conn *c)
{
	if (c == NULL)
		return;
	db_conn_close(c);
	free(c);
}

bool
db_is_up(void)
{
	return main_conn.up && main_conn.conn != NULL &&
	    PQstatus(main_conn.conn) == CONNECTION_OK;
}

void
db_conn_close(struct db_conn *c)
{
	if (c->conn != NULL)
		PQfinish(c->conn);
	c->conn = NULL;
	c->up = false;
	c->quiet = false;
}

void
db_close(void)
{
	db_conn_close(&main_conn);
}

int
db_conn_fd(const struct db_conn *c, unsigned *gen)
{
	if (gen != NULL)
		*gen = c->gen;
	return c->conn != NULL && c->up ? PQsocket(c->conn) : -1;
}

void
db_conn_quiet(struct db_conn *c)
{
	c->quiet = true;
}

/* Messages from libpq end with a newline; logfmt lines must not. */
static const char *
oneline(char *buf, size_t len, const char *msg)
{
	snprintf(buf, len, "%s", msg ? msg : "");
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return buf;
}

/* libpq prints server notices (and the FATAL of a terminated backend) to
 * stderr; route them into the log as one line instead. */
static void
on_notice(void *arg, const char *message)
{
	char buf[512];

	(void)arg;
	log_msg(LOG_NOTICE, "database: %s", oneline(buf, sizeof(buf),
	    message));
}

static int
prepare_all(struct db_conn *c)
{
	char buf[512];

	for (size_t i = 0; i < db.nqueries; i++) {
		PGresult *res = PQprepare(c->conn, db.queries[i].name,
		    db.queries[i].sql, db.queries[i].nparams, NULL);
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

		if (!ok && !c->down_logged)
			log_msg(LOG_ERR, "cannot prepare query %s: %s",
			    db.queries[i].name, oneline(buf, sizeof(buf),
			    PQresultErrorMessage(res)));
		PQclear(res);
		if (!ok)
			return -1;
	}
	return 0;
}

int
db_conn_connect(struct db_conn *c)
{
	/* expand_dbname: "dbname" may be a whole URI or conninfo string,
	 * and the keywords after it still apply. */
	const char *const keys[] = { "dbname", "options", "connect_timeout",
	    "application_name", "fallback_application_name", NULL };
	const char *const vals[] = { db.conninfo, db.options, "3",
	    NULL, "quetzal", NULL };
	const char *const *k = keys, *const *v = vals;
	char buf[512];

	db_conn_close(c);
	if (db.conninfo[0] == '\0') {
		k++;	/* PG* variables and defaults apply */
		v++;
	}
	c->conn = PQconnectdbParams(k, v, 1);
	if (c->conn == NULL)
		die("PQconnectdbParams: out of memory");
	if (PQstatus(c->conn) != CONNECTION_OK) {
		metrics_db_error(METRICS_DB_CONNECT);
		if (!c->down_logged)
			log_msg(LOG_ERR, "cannot connect to the database: %s",
			    oneline(buf, sizeof(buf),
			    PQerrorMessage(c->conn)));
		c->down_logged = true;
		db_conn_close(c);
		return -1;
	}
	PQsetNoticeProcessor(c->conn, on_notice, NULL);
	if (prepare_all(c) < 0) {
		metrics_db_error(METRICS_DB_CONNECT);
		c->down_logged = true;
		db_conn_close(c);
		return -1;
	}
	if (c->down_logged)
		log_msg(LOG_NOTICE, "connected to the database again");
	c->down_logged = false;
	c->up = true;
	if (c->gen > 0)
		metrics_db_reconnect();
	c->gen++;
	return 0;
}

int
db_connect(void)
{
	return db_conn_connect(&main_conn);
}

/*
 * A server that restarted or killed our backend has closed the socket (or
 * sent a FATAL message): the socket is readable while we are idle.  One
 * poll(2) per request finds that before we send a query into a dead
 * connection, so a restart of PostgreSQL costs no failed request.
 */
static bool
conn_alive(struct db_conn *c)
{
	struct pollfd	pfd;

	if (c->conn == NULL || PQstatus(c->conn) != CONNECTION_OK)
		return false;
	if (PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		return true;
	/* The accept loop waited on this socket too and saw nothing: no
	 * need to ask again (db_conn_quiet). */
	if (c->quiet) {
		c->quiet = false;
		return true;
	}
	pfd.fd = PQsocket(c->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	/* We LISTEN to nothing: anything readable on an idle connection
	 * is the FATAL and close of a terminated backend.  libpq may read
	 * that message and still call itself CONNECTION_OK until the next
	 * query fails, so do not ask it: reconnect. */
	return poll(&pfd, 1, 0) == 0;
}

int
db_ensure(struct req *r)
{
	struct db_conn *c = CONN(r);

	if (c->up && conn_alive(c))
		return 0;
	if (db_conn_connect(c) == 0)
		return 0;
	metrics_db_unavailable();
	return http_error(r, 503, "the database is unavailable, retry "
	    "shortly");
}

int
db_status_for(const char *sqlstate)
{
	if (sqlstate == NULL)
		return 503;	/* no server answer: the connection broke */
	if (strcmp(sqlstate, "23505") == 0)	/* unique_violation */
		return 409;
	if (strcmp(sqlstate, "23503") == 0)	/* foreign_key_violation */
		return 409;
	if (strcmp(sqlstate, "23514") == 0 ||	/* check_violation */
	    strcmp(sqlstate, "23502") == 0 ||	/* not_null_violation */
	    strncmp(sqlstate, "22", 2) == 0)	/* data exceptions */
		return 422;
	if (strcmp(sqlstate, "57014") == 0 ||	/* statement timeout */
	    strcmp(sqlstate, "25006") == 0 ||	/* read-only: a standby */
	    strncmp(sqlstate, "08", 2) == 0 ||	/* connection exceptions */
	    strncmp(sqlstate, "53", 2) == 0 ||	/* insufficient resources */
	    strncmp(sqlstate, "57P", 3) == 0 ||	/* shutdown, crash */
	    strcmp(sqlstate, "40001") == 0 ||	/* serialization failure */
	    strcmp(sqlstate, "40P01") == 0)	/* deadlock */
		return 503;
	return 500;
}

/*
 * 25006 (read_only_sql_transaction): this connection reached a server
 * that no longer takes writes, a primary demoted to a standby while we
 * were connected.  The connection itself is fine, so nothing else would
 * drop it: drop it here, and the next request connects again, where
 * libpq's target_session_attrs=read-write finds the new primary among
 * the URL's hosts (README, Scaling out).
 */
static bool
must_reconnect(const char *sqlstate)
{
	return strcmp(sqlstate, "25006") == 0;
}

static const char *
detail_for(int status)
{
	switch (status) {
	case 409: return "the resource conflicts with an existing one";
	case 422: return "a value is out of range or invalid";
	case 503: return "the database is unavailable, retry shortly";
	default:  return "internal error";
	}
}

static void
clear_result(void *res)
{
	PQclear(res);
}

/* Executes; returns the result (deferred on the arena) or NULL with the
 * error recorded on the request, or only logged when `quiet` (a grouped
 * statement, whose rows then run alone and record their own errors). */
static PGresult *
run(struct req *r, int q, const char *const *args, int nargs, bool quiet)
{
	struct db_conn	*c = CONN(r);
	PGresult	*res;
	const char	*state;
	char		 buf[512];
	int		 status;

	if ((size_t)q >= db.nqueries || nargs != db.queries[q].nparams)
		die("query %d called with %d arguments", q, nargs);
	if (db_ensure(r) < 0)
		return NULL;
	if (db.writes[q] && db.write_begin != NULL && db.write_begin(r)) {
		res = PQexecPrepared(c->conn, db.queries[q].name, nargs, args,
		    NULL, NULL, 0);
		db.write_end();
	} else
		res = PQexecPrepared(c->conn, db.queries[q].name, nargs, args,
		    NULL, NULL, 0);
	if (res == NULL)
		die("PQexecPrepared: out of memory");
	arena_defer(r->arena, clear_result, res);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		return res;
	default:
		break;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (PQstatus(c->conn) != CONNECTION_OK) {
		c->up = false;
		state = NULL;
	} else if (state != NULL && must_reconnect(state))
		c->up = false;
	status = db_status_for(state);
	metrics_db_error(metrics_db_kind_of(state));
	if (status == 503)
		metrics_db_unavailable();
	/* The primary message only: DETAIL quotes the row's values (an
	 * email in "Key (email)=(...) already exists"), SPEC 6. */
	log_msg(status >= 500 ? LOG_ERR : LOG_INFO,
	    "query %s failed: request_id=%s sqlstate=%s %s%s",
	    db.queries[q].name, r->request_id, state ? state : "-",
	    oneline(buf, sizeof(buf), state != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    PQresultErrorMessage(res)), quiet ? " (its rows run alone)" : "");
	if (!quiet && r->err_status == 0) {
		http_error(r, status, "%s", detail_for(status));
		/* Let the handler know which constraint, for 409 details. */
		if (state != NULL)
			r->err_sqlstate = arena_strdup(r->arena, state);
		const char *cons = PQresultErrorField(res,
		    PG_DIAG_CONSTRAINT_NAME);
		if (cons != NULL)
			r->err_constraint = arena_strdup(r->arena, cons);
	}
	return NULL;
}

int
db_one(struct req *r, int q, const char *const *args, int nargs,
    const char **row, int nrow)
{
	PGresult *res = run(r, q, args, nargs, false);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
		return 0;
	if (PQnfields(res) != nrow)
		die("query %s returns %d columns, caller expects %d",
		    db.queries[q].name, PQnfields(res), nrow);
	for (int i = 0; i < nrow; i++)
		row[i] = PQgetisnull(res, 0, i) ? NULL :
		    PQgetvalue(res, 0, i);
	return 1;
}

/*
 * Group commit.  Per grouped query: whether one of its statements runs now
 * in this process, and the calls that wait for the next one, in order of
 * arrival.  The call that finds none running runs its row alone, at once;
 * the calls that come while it runs queue, and when it ends the first of
 * them leads: it runs every queued row as one statement of the batch
 * query, in one transaction, on its own connection, and hands each
 * waiting call its row.  A waiting call sleeps on its own condition
 * variable (its thread's stack), so a batch wakes only its own callers.
 */
#define GROUP_ALONE	2	/* rc: the batch failed; run the row alone */
/* How long a call waits in the queue before it runs alone: a statement
 * that waits for a lock (a user's row held by a long DELETE, a psql
 * session) holds up only the calls that joined it.  Statements take
 * milliseconds; a wait this long means one is stuck. */
#define GROUP_WAIT_MS	500

struct grouped {
	struct req		*r;
	const char *const	*args;
	const char		**row;
	int			 nrow;
	int			 rc;	/* 1, 0, -1 or GROUP_ALONE, once done */
	bool			 done;
	bool			 lead;	/* runs the batch: itself and next... */
	struct grouped		*next;
	pthread_cond_t		 wake;
};

static pthread_mutex_t	group_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool		 busy;
	struct grouped	*head, *tail;
} groups[DB_MAX_QUERIES];

/* The statement of query q ended: the queued calls, if any, become the
 * next batch, led by the first of them. */
static void
group_pass(int q)
{
	struct grouped *first;

	pthread_mutex_lock(&group_lock);
	first = groups[q].head;
	if (first == NULL)
		groups[q].busy = false;
	else {
		groups[q].head = groups[q].tail = NULL;
		first->lead = true;
		pthread_cond_signal(&first->wake);
	}
	pthread_mutex_unlock(&group_lock);
}

/* Takes `g` out of q's queue; false when it is not there (a batch took
 * it). */
static bool
group_unqueue(int q, struct grouped *g)
{
	struct grouped **at, *prev = NULL;

	for (at = &groups[q].head; *at != NULL; prev = *at, at = &(*at)->next)
		if (*at == g) {
			*at = g->next;
			if (groups[q].tail == g)
				groups[q].tail = prev;
			return true;
		}
	return false;
}

/* Appends `v` to `b` as a quoted array element (NULL unquoted). */
static char *
array_element(char *b, const char *v)
{
	if (v == NULL) {
		memcpy(b, "NULL", 4);
		return b + 4;
	}
	*b++ = '"';
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			*b++ = '\\';
		*b++ = *v;
	}
	*b++ = '"';
	return b;
}

/* Runs the batch led by `lead` (lead, lead->next, ...) and sets each
 * call's rc and row; wakes the others. */
static void
group_run(int q, int batch, int nargs, struct grouped *lead)
{
	const char	**arrays;
	struct grouped	 *g, *next, **at;
	struct req	 *r = lead->r;
	PGresult	 *res;
	int		  n = 0;

	for (g = lead; g != NULL; g = g->next)
		n++;
	if (n == 1) {
		lead->rc = db_one(r, q, lead->args, nargs, lead->row,
		    lead->nrow);
		lead->done = true;
		return;
	}
	/* Parameter j of the batch: the array of every row's argument j. */
	arrays = arena_alloc(r->arena, (size_t)nargs * sizeof(*arrays));
	at = arena_alloc(r->arena, (size_t)n * sizeof(*at));
	for (int j = 0; j < nargs; j++) {
		size_t	 len = 3;
		char	*b;

		for (g = lead; g != NULL; g = g->next)
			len += 2 * (g->args[j] != NULL ?
			    strlen(g->args[j]) : 2) + 3;
		arrays[j] = b = arena_alloc(r->arena, len);
		*b++ = '{';
		for (g = lead; g != NULL; g = g->next) {
			if (g != lead)
				*b++ = ',';
			b = array_element(b, g->args[j]);
		}
		*b++ = '}';
		*b = '\0';
	}
	n = 0;
	for (g = lead; g != NULL; g = g->next) {
		at[n++] = g;
		g->rc = GROUP_ALONE;
	}
	res = run(r, batch, arrays, nargs, true);
	if (res != NULL) {
		for (g = lead; g != NULL; g = g->next)
			g->rc = 0;	/* no row: the token's check */
		for (int i = 0; i < PQntuples(res); i++) {
			int k = atoi(PQgetvalue(res, i, 0)) - 1;

			if (k < 0 || k >= n || at[k]->rc != 0 ||
			    PQnfields(res) != at[k]->nrow + 1)
				die("query %s: row %d of %d, %d columns",
				    db.queries[batch].name, k + 1, n,
				    PQnfields(res));
			g = at[k];
			g->rc = 1;
			for (int c = 0; c < g->nrow; c++)
				g->row[c] = PQgetisnull(res, i, c + 1) ?
				    NULL : arena_strdup(g->r->arena,
				    PQgetvalue(res, i, c + 1));
		}
	}
	lead->done = true;
	/* A waiting call owns its struct (on its stack): after its done and
	 * the unlock, it may be gone. */
	pthread_mutex_lock(&group_lock);
	for (g = lead->next; g != NULL; g = next) {
		next = g->next;
		g->done = true;
		pthread_cond_signal(&g->wake);
	}
	pthread_mutex_unlock(&group_lock);
}

int
db_one_grouped(struct req *r, int q, int batch, const char *const *args,
    int nargs, const char **row, int nrow)
{
	struct grouped		me = { .r = r, .args = args, .row = row,
	    .nrow = nrow };
	pthread_condattr_t	attr;
	struct timespec		until;
	bool			timed = true;
	int			rc;

	if ((size_t)q >= db.nqueries || (size_t)batch >= db.nqueries ||
	    db.queries[batch].nparams != nargs)
		die("grouped query %d (batch %d) called with %d arguments",
		    q, batch, nargs);
	pthread_mutex_lock(&group_lock);
	if (!groups[q].busy) {
		groups[q].busy = true;
		pthread_mutex_unlock(&group_lock);
		rc = db_one(r, q, args, nargs, row, nrow);
		group_pass(q);
		return rc;
	}
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&me.wake, &attr);
	pthread_condattr_destroy(&attr);
	if (groups[q].tail != NULL)
		groups[q].tail->next = &me;
	else
		groups[q].head = &me;
	groups[q].tail = &me;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += GROUP_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	while (!me.done && !me.lead) {
		if (!timed) {
			pthread_cond_wait(&me.wake, &group_lock);
			continue;
		}
		if (pthread_cond_timedwait(&me.wake, &group_lock, &until) !=
		    ETIMEDOUT)
			continue;
		timed = false;	/* in a batch by now: wait for it */
		if (!me.done && !me.lead && group_unqueue(q, &me)) {
			me.rc = GROUP_ALONE;
			me.done = true;
		}
	}
	pthread_mutex_unlock(&group_lock);
	if (me.lead) {
		group_run(q, batch, nargs, &me);
		group_pass(q);
	}
	pthread_cond_destroy(&me.wake);
	rc = me.rc;
	if (rc == GROUP_ALONE)
		rc = db_one(r, q, args, nargs, row, nrow);
	return rc;
}

int
db_exec(struct req *r, int q, const char *const *args, int nargs)
{
	PGresult	*res = run(r, q, args, nargs, false);
	const char	*n;

	if (res == NULL)
		return -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return PQntuples(res);
	n = PQcmdTuples(res);
	return *n ? atoi(n) : 0;
}

int
db_all(struct req *r, int q, const char *const *args, int nargs,
    struct db_result *out)
{
	PGresult *res = run(r, q, args, nargs, false);

	if (res == NULL)
		return -1;
	out->res = res;
	out->nrows = PQntuples(res);
	out->ncols = PQnfields(res);
	return 0;
}

const char *
db_value(const struct db_result *res, int row, int col)
{
	if (row >= res->nrows || col >= res->ncols ||
	    PQgetisnull(res->res, row, col))
		return NULL;
	return PQgetvalue(res->res, row, col);
}

static int
simple(struct req *r, const char *sql)
{
	struct db_conn	*c = CONN(r);
	PGresult	*res;
	bool		 ok;

	if (db_ensure(r) < 0)
		return -1;
	res = PQexec(c->conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		bool broken = PQstatus(c->conn) != CONNECTION_OK;

		if (broken || (state != NULL && must_reconnect(state)))
			c->up = false;
		metrics_db_error(metrics_db_kind_of(!broken ?
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL));
		log_msg(LOG_ERR, "%s failed: request_id=%s", sql,
		    r->request_id);
		http_error(r, db_status_for(PQresultErrorField(res,
		    PG_DIAG_SQLSTATE)), "%s", detail_for(503));
	}
	PQclear(res);
	return ok ? 0 : -1;
}

int
db_begin(struct req *r)
{
	return simple(r, "BEGIN");
}

int
db_commit(struct req *r)
{
	int rc;

	/* the WAL flush is what it waits for */
	if (db.write_begin == NULL || !db.write_begin(r))
		return simple(r, "COMMIT");
	rc = simple(r, "COMMIT");
	db.write_end();
	return rc;
}

void
db_conn_request_end(struct db_conn *c)
{
	if (c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK &&
	    PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		PQclear(PQexec(c->conn, "ROLLBACK"));
}

void
db_request_end(void)
{
	db_conn_request_end(&main_conn);
}
