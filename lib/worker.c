/* SPDX-License-Identifier: MIT */
/*
 * worker.c - the accept loops.  libfcgi is used only through FCGX_*_r with
 * an explicit request per loop: FCGI_Accept would overwrite `environ` with
 * each request's params (shared/notes/dependencies.md).
 *
 * A worker process runs app->loops accept loops, each on its own thread
 * with its own FCGX_Request, arena and PostgreSQL connection (struct
 * worker_loop); what they share is read-only (configuration, routes, the
 * JWT key, the prepared query texts) but the stop flag.  An idle loop
 * waits in its own epoll set on the listening socket (EPOLLEXCLUSIVE: a
 * new connection wakes one idle loop, not all of them), the pool's stop
 * eventfd and its database socket.  A loop whose connection nginx keeps
 * (fastcgi_keep_conn) waits on that connection instead and takes no new
 * one until nginx closes it: so the pool needs more loops than nginx
 * keeps idle connections (SPEC 7).  A loop writes its request log lines
 * in batches, at the latest when it has nothing to do (log.h).
 *
 * Life under systemd (SPEC 7): READY=1 once the loops' databases are
 * connected and every statement prepared; the main thread pings WATCHDOG=1
 * while no request runs too long; SIGTERM ends idle loops at once and a
 * busy one after its answer.  The stop signals are blocked in every thread
 * and read from a signalfd by the main thread only, which then sets the
 * stop flag and makes the stop eventfd readable: a signal never interrupts
 * a read, a write or a query half way (EINTR inside libfcgi loses the
 * request).
 */
#include "worker.h"

#include <fcgiapp.h>
#include <systemd/sd-daemon.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "route.h"

/* How long a worker waits for the database before it says READY=1 anyway
 * and answers 503 until the database is back (SPEC 5: never exit for it). */
#define WORKER_DB_WAIT_MS	10000
/* How often an idle loop without a connection tries the database again. */
#define WORKER_DB_RETRY_MS	1000
#define WORKER_LOOPS_MAX	256

/* What the loops of one process share. */
struct worker_pool {
	int			 listen_fd;
	bool			 on_unix;
	int			 stop_fd;	/* eventfd, readable once stopping */
	atomic_bool		 stopping;
	int			 nloops;
	struct worker_loop	*loops;
	/* Spare loops (worker.h): statements that write, running now in
	 * this process; the spare loops that sleep, and where. */
	atomic_int		 writing;
	atomic_int		 spare_sleeping;
	pthread_mutex_t		 spare_lock;
	pthread_cond_t		 spare_wake;
};

/* The process's pool, for the database's write hooks. */
static struct worker_pool *the_pool;

static bool
on_write_begin(const struct req *r)
{
	struct worker_pool *p = the_pool;

	if (r->hashes)
		return false;
	if (atomic_fetch_add(&p->writing, 1) == 0 &&
	    atomic_load(&p->spare_sleeping) > 0) {
		pthread_mutex_lock(&p->spare_lock);
		pthread_cond_broadcast(&p->spare_wake);
		pthread_mutex_unlock(&p->spare_lock);
	}
	return true;
}

static void
on_write_end(void)
{
	atomic_fetch_sub(&the_pool->writing, 1);
}

/* A spare loop without a kept connection sleeps while no write runs.
 * Returns false when the pool stops. */
static bool
spare_wait(struct worker_pool *p)
{
	if (atomic_load(&p->writing) > 0)
		return !atomic_load(&p->stopping);
	pthread_mutex_lock(&p->spare_lock);
	atomic_fetch_add(&p->spare_sleeping, 1);
	while (atomic_load(&p->writing) == 0 && !atomic_load(&p->stopping))
		pthread_cond_wait(&p->spare_wake, &p->spare_lock);
	atomic_fetch_sub(&p->spare_sleeping, 1);
	pthread_mutex_unlock(&p->spare_lock);
	return !atomic_load(&p->stopping);
}

/* Blocks SIGTERM and SIGINT in this thread and in those it starts later;
 * returns a signalfd that becomes readable when one is pending, or -1. */
static int
stop_signals_fd(void)
{
	sigset_t	 set;
	int		 fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		log_msg(LOG_ERR, "signalfd: %s", strerror(errno));
	return fd;
}

/* Tells every loop to stop: idle ones wake on the eventfd, busy ones see
 * the flag after their request. */
static void
pool_stop(struct worker_pool *p)
{
	uint64_t one = 1;

	atomic_store(&p->stopping, true);
	if (write(p->stop_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_msg(LOG_ERR, "cannot wake the loops: %s", strerror(errno));
	pthread_mutex_lock(&p->spare_lock);
	pthread_cond_broadcast(&p->spare_wake);
	pthread_mutex_unlock(&p->spare_lock);
}

/* Connects every loop's database, retrying for WORKER_DB_WAIT_MS when
 * systemd waits for READY=1 (NOTIFY_SOCKET), once otherwise.  Returns 1
 * when a stop signal came meanwhile, else 0 (connected or not). */
static int
wait_for_database(struct worker_pool *p, int sigfd)
{
	int64_t		 wait_us = getenv("NOTIFY_SOCKET") != NULL ?
			    WORKER_DB_WAIT_MS * 1000LL : 0;
	int64_t		 until = log_now_us() + wait_us;
	struct pollfd	 pf = { .fd = sigfd, .events = POLLIN };

	for (int i = 0; i < p->nloops; i++) {
		while (db_conn_connect(p->loops[i].db) < 0) {
			if (log_now_us() >= until) {
				log_msg(LOG_WARNING, "starting without the "
				    "database; requests get 503 until it "
				    "answers");
				sd_notify(0, "STATUS=serving without the "
				    "database (503)");
				return 0;
			}
			sd_notify(0, "STATUS=waiting for the database");
			if (poll(&pf, 1, 1000) > 0)
				return 1;
		}
	}
	return 0;
}

static bool
has_body_method(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
	    strcmp(m, "PATCH") == 0;
}

/* Decodes the body once, before any handler: a JSON body must be strict
 * JSON (400), a form must decode (400), anything else is a 415. */
static int
check_body(struct req *r, const struct route *rt)
{
	const char *why;
	int status;

	if (!has_body_method(r->method) || r->body_len == 0)
		return 0;
	/* A route that reads no form says so in its 415 (an unmatched path
	 * still decodes one, for its 404 or 405). */
	switch (http_body_kind(r, rt == NULL || (rt->flags & ROUTE_FORM))) {
	case 1:
		r->json = jsonx_parse_ex(r->arena, r->body, r->body_len, &why,
		    &status);
		if (r->json == NULL && status == 422)
			return http_invalid(r, "body", "invalid_unicode", why);
		if (r->json == NULL)
			return http_error(r, 400, "%s", why);
		return 0;
	case 2:
		r->nform = http_form_decode(r->arena, r->body, r->body_len,
		    &r->form);
		if (r->nform < 0)
			return http_error(r, 400, "the form body is not "
			    "decodable");
		return 0;
	default:
		return -1;	/* 415 recorded */
	}
}

void
worker_dispatch(const struct worker_app *app, struct req *r)
{
	const struct route	*rt = NULL;
	char			 allow[128];
	int			 m;

	/* Until a route says otherwise: RealWorld under /api/, else RFC
	 * 9457 (SPEC 4.1, 4.5). */
	r->envelope = strncmp(r->path, "/api/", 5) == 0 &&
	    strncmp(r->path, "/api/v1/", 8) != 0 ? HTTP_ENV_REALWORLD :
	    HTTP_ENV_PROBLEM;
	if (r->err_status != 0) {	/* 400 path, 413 body */
		http_fail(r);
		return;
	}
	m = route_match(app->routes, app->nroutes, r->method, r->path, r,
	    &rt, allow, sizeof(allow));
	r->route = m == 1 ? rt : NULL;	/* metrics: a 400/415 counts on it */
	if (m == 1)
		r->envelope = rt->envelope;
	if (check_body(r, m == 1 ? rt : NULL) < 0) {
		http_fail(r);
		return;
	}
	if (m == 0) {
		http_error(r, 404, "no resource at %s", r->path);
		http_fail(r);
		return;
	}
	if (m < 0) {
		http_header(r, "Allow", "%s", allow);
		http_error(r, 405, "%s is not allowed here; allowed: %s",
		    r->method, allow);
		http_fail(r);
		return;
	}
	r->route = rt;
	if (rt->auth != ROUTE_PUBLIC) {
		int rc = -1;

		if (app->authenticate != NULL)
			rc = app->authenticate(r, (int)rt->auth);
		else if (rt->auth == ROUTE_OPTIONAL)
			rc = 0;
		else
			http_error(r, 401, "authentication required");
		if (rc < 0) {
			http_fail(r);
			return;
		}
	}
	rt->handler(r);
	if (r->status == 0) {
		log_msg(LOG_ERR, "handler for %s %s sent no answer: "
		    "request_id=%s", rt->method, rt->pattern, r->request_id);
		if (r->err_status == 0)
			http_error(r, 500, "internal error");
		http_fail(r);
	}
}

const char *
worker_render(struct req *r, size_t *len)
{
	bool		 no_body = r->is_head || r->status == 204 ||
			    r->status == 304;
	const char	*reason = http_reason(r->status);
	const char	*extra = r->resp_headers ? r->resp_headers : "";
	char		*out, *o, digits[24];
	size_t		 blen = no_body ? 0 : r->resp_len, n;
	size_t		 clen = r->status == 204 || r->status == 304 ? 0 :
			    r->resp_len;
	int		 status = r->status, d = 0;

	/* "Status: %d %s\r\n[Content-Type: %s\r\n]Content-Length: %zu\r\n
	 * X-Request-ID: %s\r\n<headers>\r\n<body>" without printf, which
	 * was a tenth of the instructions of a GET. */
	n = 96 + strlen(reason) + strlen(r->request_id) + strlen(extra) +
	    (r->resp_type ? strlen(r->resp_type) : 0) + blen;
	o = out = arena_alloc(r->arena, n);
	o = stpcpy(o, "Status: ");
	if (status < 100 || status > 999)
		status = 500;
	*o++ = (char)('0' + status / 100);
	*o++ = (char)('0' + status / 10 % 10);
	*o++ = (char)('0' + status % 10);
	*o++ = ' ';
	o = stpcpy(o, reason);
	o = stpcpy(o, "\r\n");
	if (r->resp_type) {
		o = stpcpy(o, "Content-Type: ");
		o = stpcpy(o, r->resp_type);
		o = stpcpy(o, "\r\n");
	}
	o = stpcpy(o, "Content-Length: ");
	do
		digits[d++] = (char)('0' + clen % 10);
	while ((clen /= 10) > 0);
	while (d > 0)
		*o++ = digits[--d];
	o = stpcpy(o, "\r\nX-Request-ID: ");
	o = stpcpy(o, r->request_id);
	o = stpcpy(o, "\r\n");
	o = stpcpy(o, extra);
	o = stpcpy(o, "\r\n");
	if (blen > 0) {
		memcpy(o, r->resp_body, blen);
		o += blen;
	}
	*len = (size_t)(o - out);
	return out;
}

/* Reads the body announced by CONTENT_LENGTH; 413 past the limit, 400 when
 * the length is not a number or the stream ends early (what is left is
 * read after the answer: stdin_drained). */
static void
read_body(struct req *r, FCGX_Stream *in, long max_body)
{
	const char	*cl = http_param(r, "CONTENT_LENGTH");
	char		*end, *buf;
	long		 n;
	int		 got;

	if (cl == NULL || *cl == '\0')
		return;
	errno = 0;
	n = strtol(cl, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0) {
		http_error(r, 400, "bad Content-Length");
		return;
	}
	if (n > max_body) {
		http_error(r, 413, "the body is larger than %ld bytes",
		    max_body);
		return;
	}
	if (n == 0)
		return;
	buf = arena_alloc(r->arena, (size_t)n + 1);
	got = FCGX_GetStr(buf, (int)n, in);
	if (got != n) {
		http_error(r, 400, "the body ended early");
		return;
	}
	buf[n] = '\0';
	r->body = buf;
	r->body_len = (size_t)n;
}

/*
 * Reads and drops what is left of a request's stdin, at most the largest
 * QUETZAL_MAX_BODY (past it the connection is closed): whether it then ended cleanly, so that the
 * connection can carry the next request.  After a body read whole this
 * is one look at the stream, which has seen the end already.
 */
static bool
stdin_drained(FCGX_Stream *in)
{
	char	buf[4096];
	long	total = 0;
	int	n;

	while ((n = FCGX_GetStr(buf, (int)sizeof(buf), in)) > 0)
		if ((total += n) > CONFIG_MAX_BODY_MAX)
			return false;
	return FCGX_GetError(in) == 0 && FCGX_HasSeenEOF(in) == EOF;
}

/* Whether fd is a Unix-domain socket (see the FCGX_Detach below). */
static bool
is_unix_socket(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX;
}

static int
open_listener(const char *listen)
{
	int n;

	if (listen != NULL) {
		int fd = FCGX_OpenSocket(listen, 128);

		if (fd < 0)
			log_msg(LOG_ERR, "cannot listen on %s", listen);
		return fd;
	}
	n = sd_listen_fds(1);
	if (n > 1) {
		log_msg(LOG_ERR, "expected one socket from systemd, got %d",
		    n);
		return -1;
	}
	return n == 1 ? SD_LISTEN_FDS_START : 0;
}

/* The loop's epoll set holds the listening socket (EPOLLEXCLUSIVE), the
 * stop eventfd and, while connected, the database socket; epoll forgets a
 * database socket when it is closed, and a new connection may reuse its
 * number, so the set is told again after each reconnect. */
static void
watch_db(struct worker_loop *l, int epfd, int *watched, unsigned *gen)
{
	unsigned		 g;
	int			 fd = db_conn_fd(l->db, &g);
	struct epoll_event	 ev = { .events = EPOLLIN, .data.fd = fd };

	if (fd < 0 || (fd == *watched && g == *gen))
		return;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 &&
	    (errno != EEXIST || epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0)) {
		*watched = -1;
		return;
	}
	*watched = fd;
	*gen = g;
}

/* An idle loop without a database connection tries again: 2 (wait on). */
static int
db_retry(struct worker_loop *l)
{
	(void)db_conn_connect(l->db);	/* logged once per outage */
	return 2;
}

/*
 * Waits for the next request: on the kept connection `kept` when there is
 * one (a request nginx already sent on it is served even when stopping),
 * else for a new connection.  Returns 1 when one is ready, 0 to stop, 2 to
 * ask again, -1 when the listening socket failed.  A database socket that
 * turned readable while idle is a backend that went away: the connection
 * is dropped and the next request reconnects.
 */
static int
loop_wait(struct worker_loop *l, int epfd, int kept, int *watched,
    unsigned *gen)
{
	struct worker_pool	*p = l->pool;
	struct epoll_event	 ev[3];
	bool			 ready = false, db_event = false;
	int			 n, dbfd = -1;
	/* Without a database connection, an idle loop retries every
	 * WORKER_DB_RETRY_MS, so the whole pool is connected again soon
	 * after PostgreSQL is back, not one loop per request. */
	int			 idle = db_conn_fd(l->db, NULL) < 0 ?
				    WORKER_DB_RETRY_MS : -1;

	if (kept >= 0) {
		struct pollfd pf[3] = {
			{ .fd = kept, .events = POLLIN },
			{ .fd = p->stop_fd, .events = POLLIN },
			{ .fd = db_conn_fd(l->db, NULL), .events = POLLIN },
		};

		n = poll(pf, pf[2].fd >= 0 ? 3 : 2, log_pending() ? 0 : idle);
		if (n == 0 && log_pending()) {	/* nothing yet: log, block */
			log_flush();
			n = poll(pf, pf[2].fd >= 0 ? 3 : 2, idle);
		}
		if (n < 0)
			return errno == EINTR ? 2 : -1;
		if (n == 0)
			return db_retry(l);
		if (pf[0].revents != 0)
			ready = true;
		else if (pf[1].revents != 0)
			return 0;
		dbfd = pf[2].fd;
		db_event = dbfd >= 0 && pf[2].revents != 0;
	} else {
		if (atomic_load(&p->stopping))
			return 0;
		watch_db(l, epfd, watched, gen);
		dbfd = *watched;
		n = epoll_wait(epfd, ev, 3, log_pending() ? 0 : idle);
		if (n == 0 && log_pending()) {	/* nothing yet: log, block */
			log_flush();
			n = epoll_wait(epfd, ev, 3, idle);
		}
		if (n < 0)
			return errno == EINTR ? 2 : -1;
		if (n == 0)
			return db_retry(l);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == p->stop_fd)
				return 0;
			if (ev[i].data.fd == p->listen_fd) {
				if (ev[i].events & EPOLLERR) {
					log_msg(LOG_ERR, "the listening socket "
					    "failed");
					return -1;
				}
				ready = true;
			} else if (ev[i].data.fd == dbfd)
				db_event = true;
		}
	}
	if (db_event) {
		log_msg(LOG_NOTICE, "the database closed an idle connection; "
		    "reconnecting");
		db_conn_close(l->db);	/* epoll forgets the socket */
		*watched = -1;
		(void)db_conn_connect(l->db);	/* else again when idle */
	} else if (dbfd >= 0)
		db_conn_quiet(l->db);
	return ready ? 1 : 2;
}

/* One loop: accept or read the next request, serve it, repeat. */
static int
loop_run(struct worker_loop *l)
{
	struct worker_pool	*p = l->pool;
	const struct worker_app	*app = l->app;
	struct epoll_event	 ev;
	FCGX_Request		 fr;
	struct req		 r;
	int			 epfd, watched = -1, status = 0;
	unsigned		 gen = 0;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		log_msg(LOG_ERR, "epoll_create1: %s", strerror(errno));
		return 1;
	}

	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = p->listen_fd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, p->listen_fd, &ev) < 0) {
		log_msg(LOG_ERR, "epoll_ctl: %s", strerror(errno));
		close(epfd);
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = p->stop_fd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, p->stop_fd, &ev) < 0 ||
	    FCGX_InitRequest(&fr, p->listen_fd, 0) != 0) {
		log_msg(LOG_ERR, "cannot set up accept loop %d", l->index);
		close(epfd);
		return 1;
	}
	/* metrics: this loop's slot (per thread), freed when it stops; the
	 * counts stay */
	metrics_loop_start(app->routes, app->nroutes);
	for (;;) {
		int64_t		 t0;
		const char	*out;
		size_t		 len;
		int		 w;

		if (l->spare && fr.ipcFd < 0 && !spare_wait(p))
			break;
		w = loop_wait(l, epfd, fr.ipcFd, &watched, &gen);
		if (w == 0)
			break;
		if (w < 0) {
			status = 1;
			break;
		}
		if (w == 2)
			continue;
		t0 = log_now_us();
		atomic_store(&l->busy_since, t0);
		/*
		 * A new connection is accepted here rather than by libfcgi,
		 * whose accept on a Unix socket then polls the new connection
		 * for up to 2 s before reading it: one poll(2) per request
		 * for nothing, as nginx has sent the request by then.
		 * libfcgi reads a request from fr.ipcFd when it is open; its
		 * keepConnection flag keeps FCGX_Accept_r from closing it
		 * first, and the request's own flags set it again.
		 */
		if (fr.ipcFd < 0) {
			int fd = accept4(p->listen_fd, NULL, NULL,
			    SOCK_CLOEXEC);

			if (fd < 0) {
				atomic_store(&l->busy_since, 0);
				if (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == EINTR || errno == ECONNABORTED ||
				    errno == EPROTO)
					continue;
				log_msg(LOG_ERR, "accept failed: %s",
				    strerror(errno));
				status = 1;
				break;
			}
			fr.ipcFd = fd;
			fr.keepConnection = 1;
		}
		if (FCGX_Accept_r(&fr) < 0) {
			atomic_store(&l->busy_since, 0);
			/* Another loop took the connection, the peer left
			 * before sending anything, or nginx closed the kept
			 * connection (libfcgi then found none to accept). */
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				continue;
			log_msg(LOG_ERR, "accept failed: %s", strerror(errno));
			status = 1;
			break;
		}
		metrics_accepted();	/* metrics: in flight */
		http_req_init(&r, l->arena, fr.envp);
		r.loop = l;
		r.db = l->db;
		r.started_us = t0;
		if (r.err_status == 0)
			read_body(&r, fr.in, app->max_body);
		worker_dispatch(app, &r);
		db_conn_request_end(l->db);
		out = worker_render(&r, &len);
		metrics_request(&r);	/* metrics: before the client has it */
		FCGX_PutStr(out, (int)len, fr.out);
		/*
		 * libfcgi closes a connection with shutdown(SHUT_WR) and then
		 * waits in poll(2) until nginx has read the answer and closed
		 * its end: TCP would answer unread input with a RST that may
		 * destroy the answer.  A Unix socket has no RST (queued data
		 * stays readable for the peer), so when we have read the whole
		 * body that wait is only a context switch per request; a
		 * "detached" request is closed at once.  GET /api/v1/tasks/{id}
		 * went from about 7,300 to 10,600 requests/s on two cores.
		 * Only once stdin is read to its end: closing a Unix socket
		 * with unread input (nginx's empty end-of-stdin record) gives
		 * nginx ECONNRESET, seen as 502s and hangs on large bodies.
		 * An answer given before the body was read (a 400 for the
		 * query string, a 413) reads the rest of stdin here: a kept
		 * connection is never closed by us while nginx may hand it to
		 * the next request, which would then find it closed and, as a
		 * POST or PATCH that nginx does not send twice, be a 502.
		 */
		if (stdin_drained(fr.in)) {
			if (p->on_unix)
				FCGX_Detach(&fr);
		} else {
			fr.keepConnection = 0;
			fr.detached = 0;	/* set by an earlier request on
						 * this kept connection */
		}
		FCGX_Finish_r(&fr);
		atomic_store(&l->busy_since, 0);
		l->requests++;
		log_request(&r, log_now_us() - t0);
		arena_reset(l->arena);
		if (atomic_load(&p->stopping))
			break;
	}
	/* A kept connection that nginx holds: closed at once (nginx drops
	 * it from its cache and uses another one). */
	if (fr.ipcFd >= 0) {
		fr.keepConnection = 0;
		if (p->on_unix)
			FCGX_Detach(&fr);
	}
	FCGX_Free(&fr, 1);
	close(epfd);
	metrics_loop_stop();
	log_flush();
	return status;
}

static void *
on_loop(void *arg)
{
	struct worker_loop *l = arg;

	if (l->app->loop_init != NULL && l->app->loop_init(l) < 0)
		l->status = 1;
	else
		l->status = loop_run(l);
	if (l->app->loop_fini != NULL)
		l->app->loop_fini(l);
	if (l->status != 0)
		pool_stop(l->pool);	/* the main thread wakes too */
	return NULL;
}

/*
 * Sets the nice value of the worker's autogroup (sched(7)).  With
 * autogroups, the kernel weighs each session as one: every worker (a
 * session of its own under systemd and spawn-fcgi) as much as all of
 * nginx, and as each PostgreSQL backend.  On shared cores that lets a
 * worker woken by nginx's connect preempt nginx at once, an involuntary
 * switch a request, and the requests nginx holds wait; a little less
 * weight for the workers cut the GET p99 by about a millisecond at the
 * same throughput (docs/decisions.md, "eighth round").  Only for a session
 * the worker leads, so that a worker started from a shell never renices
 * the shell's session.  Raising the value needs no privilege, but the
 * kernel takes one change per 100 ms from unprivileged callers: EAGAIN
 * asks to try again.  Returns 0 when done or not to be done, 1 to retry.
 */
static int
autogroup_nice(int nice, int attempt)
{
	char	buf[16];
	int	fd, n;

	if (nice <= 0 || getsid(0) != getpid())
		return 0;
	fd = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		log_msg(LOG_DEBUG, "no autogroup to renice: %s",
		    strerror(errno));	/* a kernel without autogroups */
		return 0;
	}
	n = snprintf(buf, sizeof(buf), "%d", nice);
	if (write(fd, buf, (size_t)n) == n) {
		close(fd);
		log_msg(LOG_DEBUG, "autogroup nice %d", nice);
		return 0;
	}
	n = errno;
	close(fd);
	if (n == EAGAIN && attempt < 50)
		return 1;
	log_msg(LOG_NOTICE, "cannot set the autogroup's nice value to %d: "
	    "%s", nice, strerror(n));
	return 0;
}

/*
 * The watchdog, from the main thread: ping unless a loop has been inside
 * one request for more than half of WatchdogSec.  An idle worker keeps
 * pinging; a loop stuck in a request (a query that never returns, a peer
 * that never finishes its record) stops the pings, and systemd kills and
 * restarts the worker at most 1.5 x WatchdogSec after the request began.
 */
static void
watchdog_check(struct worker_pool *p, int64_t usec, bool *silent)
{
	int64_t now = log_now_us();

	for (int i = 0; i < p->nloops; i++) {
		int64_t since = atomic_load(&p->loops[i].busy_since);

		if (since != 0 && now - since >= usec / 2) {
			if (!*silent)
				log_msg(LOG_ERR, "a request has run for %lld ms "
				    "in loop %d: watchdog pings stop, systemd "
				    "will restart this worker",
				    (long long)((now - since) / 1000), i);
			*silent = true;
			return;
		}
	}
	sd_notify(0, "WATCHDOG=1");
	*silent = false;
}

int
worker_serve(const struct worker_app *app, const char *listen)
{
	struct worker_pool	 p = { .listen_fd = -1, .stop_fd = -1,
				    .spare_lock = PTHREAD_MUTEX_INITIALIZER,
				    .spare_wake = PTHREAD_COND_INITIALIZER };
	pthread_t		*threads = NULL;
	int			 sigfd, flags, status = 0, started = 0;
	int64_t			 wd_usec = 0;
	uint64_t		 u;
	bool			 silent = false;
	int			 renice;	/* autogroup_nice() tries */

	signal(SIGPIPE, SIG_IGN);
	/*
	 * One malloc arena for all the loops, unless MALLOC_ARENA_MAX says
	 * otherwise: glibc gives each thread its own, and with 7 loops a
	 * worker those cost 0.37 MiB of the pool's PSS (docs/decisions.md);
	 * the threads' tcaches still serve the small allocations without
	 * the arena's lock.
	 */
	if (getenv("MALLOC_ARENA_MAX") == NULL)
		(void)mallopt(M_ARENA_MAX, 1);
	/* Before any thread exists, so that all of them inherit the mask. */
	if ((sigfd = stop_signals_fd()) < 0)
		return 1;
	if (FCGX_Init() != 0) {
		log_msg(LOG_ERR, "FCGX_Init failed");
		return 1;
	}
	if ((p.listen_fd = open_listener(listen)) < 0)
		return 1;
	p.on_unix = is_unix_socket(p.listen_fd);
	/* Non-blocking: a loop woken with another may find the connection
	 * gone (EAGAIN) and must not block in accept(2). */
	flags = fcntl(p.listen_fd, F_GETFL);
	if (flags < 0 || fcntl(p.listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_msg(LOG_ERR, "cannot make the listening socket "
		    "non-blocking: %s", strerror(errno));
		return 1;
	}
	p.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p.stop_fd < 0) {
		log_msg(LOG_ERR, "eventfd: %s", strerror(errno));
		return 1;
	}
	p.nloops = (app->loops > 0 ? app->loops : 1) +
	    (app->spare_loops > 0 ? app->spare_loops : 0);
	if (p.nloops > WORKER_LOOPS_MAX)
		p.nloops = WORKER_LOOPS_MAX;
	p.loops = calloc((size_t)p.nloops, sizeof(*p.loops));
	threads = calloc((size_t)p.nloops, sizeof(*threads));
	if (p.loops == NULL || threads == NULL)
		die("worker_serve: out of memory");
	for (int i = 0; i < p.nloops; i++) {
		p.loops[i].index = i;
		p.loops[i].app = app;
		p.loops[i].pool = &p;
		p.loops[i].db = db_conn_new();
		p.loops[i].arena = arena_new(64 * 1024);
		p.loops[i].spare = i >= (app->loops > 0 ? app->loops : 1);
	}
	the_pool = &p;
	if (app->spare_loops > 0)
		db_set_write_hooks(on_write_begin, on_write_end);
	if (sd_watchdog_enabled(0, &u) > 0 && u >= 4)
		wd_usec = (int64_t)u;
	renice = autogroup_nice(app->autogroup_nice, 0);
	if (wait_for_database(&p, sigfd) == 1)
		goto out;
	for (; started < p.nloops; started++)
		if (pthread_create(&threads[started], NULL, on_loop,
		    &p.loops[started]) != 0) {
			log_msg(LOG_ERR, "cannot start accept loop %d",
			    started);
			pool_stop(&p);
			status = 1;
			break;
		}
	if (status == 0) {
		sd_notify(0, "READY=1\nSTATUS=serving");
		log_msg(LOG_INFO, "worker ready pid=%d loops=%d spare=%d",
		    (int)getpid(), p.nloops - (app->spare_loops > 0 ?
		    app->spare_loops : 0), app->spare_loops > 0 ?
		    app->spare_loops : 0);
	}
	while (status == 0) {
		struct pollfd pf[2] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = p.stop_fd, .events = POLLIN },
		};
		int	timeout = wd_usec > 0 ? (int)(wd_usec / 4000) : -1;

		/* Workers started together retry their renice in turn. */
		if (renice > 0) {
			int retry = 100 + (int)(getpid() % 50);

			if (timeout < 0 || timeout > retry)
				timeout = retry;
		}
		if (poll(pf, 2, timeout) < 0 &&
		    errno != EINTR) {
			log_msg(LOG_ERR, "poll failed: %s", strerror(errno));
			pool_stop(&p);
			status = 1;
			break;
		}
		if (pf[0].revents != 0) {
			pool_stop(&p);
			break;
		}
		if (pf[1].revents != 0)
			break;		/* a loop failed and stopped the pool */
		if (wd_usec > 0)
			watchdog_check(&p, wd_usec, &silent);
		if (renice > 0 &&
		    autogroup_nice(app->autogroup_nice, renice) > 0)
			renice++;
		else
			renice = 0;
	}
	sd_notify(0, "STOPPING=1");
	log_msg(LOG_INFO, "worker stopping pid=%d", (int)getpid());
	for (int i = 0; i < started; i++) {
		pthread_join(threads[i], NULL);
		if (p.loops[i].status != 0)
			status = 1;
	}
out:
	for (int i = 0; i < p.nloops; i++) {
		db_conn_free(p.loops[i].db);
		arena_free(p.loops[i].arena);
	}
	db_set_write_hooks(NULL, NULL);
	the_pool = NULL;
	free(p.loops);
	free(threads);
	close(p.stop_fd);
	close(sigfd);
	return status;
}
