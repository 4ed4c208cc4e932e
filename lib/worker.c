/* SPDX-License-Identifier: MIT */
/*
 * worker.c - the accept loop.  libfcgi is used only through FCGX_*_r with
 * an explicit request: FCGI_Accept would overwrite `environ` with each
 * request's params (shared/notes/dependencies.md).
 *
 * Life under systemd (SPEC 7): READY=1 once the database is connected and
 * every statement prepared; WATCHDOG=1 from a small thread; SIGTERM ends
 * an idle worker at once and a busy one after its answer.  The stop
 * signals are blocked in every thread and read from a signalfd that the
 * main thread polls together with the listening socket, so a signal never
 * interrupts a read, a write or a query half way (EINTR inside libfcgi
 * loses the request).  The listening socket is non-blocking: every idle
 * worker wakes on a connection, one accepts it, libfcgi gives the others
 * EAGAIN and they poll again.
 */
#include "worker.h"

#include <fcgiapp.h>
#include <systemd/sd-daemon.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "route.h"

/* How long a worker waits for the database before it says READY=1 anyway
 * and answers 503 until the database is back (SPEC 5: never exit for it). */
#define WORKER_DB_WAIT_MS	10000

/* When the current request began (log_now_us), 0 while idle: written by
 * the main thread, read by the watchdog thread. */
static _Atomic int64_t busy_since;

/*
 * The watchdog thread: every quarter of WatchdogSec it pings, unless the
 * main thread has been inside one request for more than half of it.  A
 * worker idle in poll() keeps pinging; a worker stuck in a request (a
 * query that never returns, a peer that never finishes its record) stops,
 * and systemd kills and restarts it at most 1.5 x WatchdogSec after the
 * request began.
 */
static void *
on_watchdog(void *arg)
{
	const int64_t	 usec = *(const int64_t *)arg;
	struct timespec	 every = { .tv_sec = usec / 4 / 1000000,
			    .tv_nsec = usec / 4 % 1000000 * 1000 };
	bool		 silent = false;

	for (;;) {
		int64_t since = atomic_load(&busy_since);

		if (since == 0 || log_now_us() - since < usec / 2) {
			sd_notify(0, "WATCHDOG=1");
			silent = false;
		} else if (!silent) {
			log_msg(LOG_ERR, "a request has run for %lld ms: "
			    "watchdog pings stop, systemd will restart this "
			    "worker", (long long)((log_now_us() - since) / 1000));
			silent = true;
		}
		nanosleep(&every, NULL);
	}
	return NULL;
}

/* Starts the watchdog thread when systemd asked for pings (WatchdogSec). */
static void
watchdog_start(void)
{
	static int64_t	 usec;
	uint64_t	 u;
	pthread_t	 t;

	if (sd_watchdog_enabled(0, &u) <= 0 || u < 4)
		return;
	usec = (int64_t)u;
	if (pthread_create(&t, NULL, on_watchdog, &usec) != 0) {
		log_msg(LOG_ERR, "cannot start the watchdog thread");
		return;
	}
	pthread_detach(t);
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

/* Connects and prepares, retrying for WORKER_DB_WAIT_MS when systemd
 * waits for READY=1 (NOTIFY_SOCKET), once otherwise.  Returns 1 when a
 * stop signal came meanwhile, else 0 (connected or not). */
static int
wait_for_database(int sigfd)
{
	int64_t		 wait_us = getenv("NOTIFY_SOCKET") != NULL ?
			    WORKER_DB_WAIT_MS * 1000LL : 0;
	int64_t		 until = log_now_us() + wait_us;
	struct pollfd	 pf = { .fd = sigfd, .events = POLLIN };

	while (db_connect() < 0) {
		if (log_now_us() >= until) {
			log_msg(LOG_WARNING, "starting without the database; "
			    "requests get 503 until it answers");
			sd_notify(0, "STATUS=serving without the database (503)");
			return 0;
		}
		sd_notify(0, "STATUS=waiting for the database");
		if (poll(&pf, 1, 1000) > 0)
			return 1;
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
check_body(struct req *r)
{
	const char *why;

	if (!has_body_method(r->method) || r->body_len == 0)
		return 0;
	switch (http_body_kind(r, true)) {
	case 1:
		r->json = jsonx_parse(r->arena, r->body, r->body_len, &why);
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
	if (check_body(r) < 0) {
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
	const char	*head;
	char		*out;
	size_t		 hlen, blen = no_body ? 0 : r->resp_len;

	head = arena_printf(r->arena, "Status: %d %s\r\n%s%s%s"
	    "Content-Length: %zu\r\nX-Request-ID: %s\r\n%s\r\n", r->status,
	    http_reason(r->status), r->resp_type ? "Content-Type: " : "",
	    r->resp_type ? r->resp_type : "", r->resp_type ? "\r\n" : "",
	    r->status == 204 || r->status == 304 ? 0 : r->resp_len,
	    r->request_id, r->resp_headers ? r->resp_headers : "");
	hlen = strlen(head);
	out = arena_alloc(r->arena, hlen + blen);
	memcpy(out, head, hlen);
	if (blen > 0)
		memcpy(out + hlen, r->resp_body, blen);
	*len = hlen + blen;
	return out;
}

/* Reads the body announced by CONTENT_LENGTH; 413 past the limit, 400 when
 * the length is not a number or the stream ends early.  Returns whether
 * the body was read whole (true when there is none). */
static bool
read_body(struct req *r, FCGX_Stream *in, long max_body)
{
	const char	*cl = http_param(r, "CONTENT_LENGTH");
	char		*end, *buf;
	long		 n;
	int		 got;

	if (cl == NULL || *cl == '\0')
		return true;
	errno = 0;
	n = strtol(cl, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0) {
		http_error(r, 400, "bad Content-Length");
		return false;
	}
	if (n > max_body) {
		http_error(r, 413, "the body is larger than %ld bytes",
		    max_body);
		return false;
	}
	if (n == 0)
		return true;
	buf = arena_alloc(r->arena, (size_t)n + 1);
	got = FCGX_GetStr(buf, (int)n, in);
	if (got != n) {
		http_error(r, 400, "the body ended early");
		return false;
	}
	buf[n] = '\0';
	r->body = buf;
	r->body_len = (size_t)n;
	return true;
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

int
worker_serve(const struct worker_app *app, const char *listen)
{
	FCGX_Request		 fr;
	struct arena		*a;
	struct req		 r;
	int			 fd, sigfd, flags, status = 0;
	bool			 on_unix;

	signal(SIGPIPE, SIG_IGN);
	/* Before any thread exists, so that all of them inherit the mask. */
	if ((sigfd = stop_signals_fd()) < 0)
		return 1;
	if (FCGX_Init() != 0) {
		log_msg(LOG_ERR, "FCGX_Init failed");
		return 1;
	}
	if ((fd = open_listener(listen)) < 0)
		return 1;
	on_unix = is_unix_socket(fd);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_msg(LOG_ERR, "cannot make the listening socket "
		    "non-blocking: %s", strerror(errno));
		return 1;
	}
	if (FCGX_InitRequest(&fr, fd, 0) != 0) {
		log_msg(LOG_ERR, "FCGX_InitRequest failed");
		return 1;
	}
	metrics_loop_start(app->routes, app->nroutes);	/* metrics: a slot */
	watchdog_start();
	if (wait_for_database(sigfd) == 1) {
		db_close();
		return 0;
	}
	sd_notify(0, "READY=1\nSTATUS=serving");
	log_msg(LOG_INFO, "worker ready pid=%d", (int)getpid());

	a = arena_new(64 * 1024);
	for (;;) {
		struct pollfd	 pf[2] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = fd, .events = POLLIN },
		};
		int64_t		 t0;
		const char	*out;
		size_t		 len;
		bool		 body_read = false;

		/* Idle.  A stop signal that came during the last request has
		 * waited on the signalfd and ends the loop here. */
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, "poll failed: %s", strerror(errno));
			status = 1;
			break;
		}
		if (pf[0].revents != 0)
			break;
		if (pf[1].revents & (POLLERR | POLLNVAL)) {
			log_msg(LOG_ERR, "the listening socket failed");
			status = 1;
			break;
		}
		if ((pf[1].revents & POLLIN) == 0)
			continue;
		t0 = log_now_us();
		atomic_store(&busy_since, t0);
		if (FCGX_Accept_r(&fr) < 0) {
			atomic_store(&busy_since, 0);
			/* Another worker took the connection, or the peer left
			 * before sending anything: back to poll. */
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED)
				continue;
			log_msg(LOG_ERR, "accept failed: %s", strerror(errno));
			status = 1;
			break;
		}
		metrics_accepted();	/* metrics: in flight */
		http_req_init(&r, a, fr.envp);
		r.started_us = t0;
		if (r.err_status == 0)
			body_read = read_body(&r, fr.in, app->max_body);
		worker_dispatch(app, &r);
		db_request_end();
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
		 */
		if (on_unix && body_read && FCGX_GetChar(fr.in) == EOF)
			FCGX_Detach(&fr);
		FCGX_Finish_r(&fr);
		atomic_store(&busy_since, 0);
		log_request(&r, log_now_us() - t0);
		arena_reset(a);
	}
	metrics_loop_stop();	/* metrics: the slot is free, counts stay */
	sd_notify(0, "STOPPING=1");
	log_msg(LOG_INFO, "worker stopping pid=%d", (int)getpid());
	arena_free(a);
	db_close();
	close(sigfd);
	return status;
}
