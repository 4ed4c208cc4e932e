/* SPDX-License-Identifier: MIT */
/*
 * log.c - logfmt lines written with one write(2) each, so lines from
 * several workers sharing a stderr never interleave.  Under systemd, when
 * stderr is the journal stream (JOURNAL_STREAM), the same events go to
 * journald as structured entries instead (SPEC 6), so that
 * `journalctl -u 'quetzal@*' HTTP_STATUS=500` finds them.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* After log.h: its <syslog.h> defines LOG_ERR..LOG_DEBUG as macros with
 * the values of our enum, which is declared by then. */
#include <systemd/sd-journal.h>

#include "http.h"

static int log_max = LOG_INFO;
static bool to_journal;		/* stderr is our journal stream */

/* This thread's request lines not written yet (log.h). */
static _Thread_local struct {
	char	 buf[8192];
	size_t	 len;
	int64_t	 since;		/* log_now_us() of the oldest line */
} batch;

static const char *const level_names[] = {
	[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug"
};

int
log_level_parse(const char *s)
{
	for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

/* JOURNAL_STREAM is "device:inode" of the stream systemd connected to
 * stdout/stderr; it is inherited, so check that stderr is still it. */
static bool
stderr_is_journal(void)
{
	const char		*e = getenv("JOURNAL_STREAM");
	unsigned long long	 dev, ino;
	struct stat		 st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_flush(void)
{
	ssize_t n;

	if (batch.len == 0)
		return;
	/* A short write to stderr is not worth a retry loop. */
	n = write(STDERR_FILENO, batch.buf, batch.len);
	(void)n;
	batch.len = 0;
}

bool
log_pending(void)
{
	return batch.len > 0;
}

void
log_init(int level)
{
	static bool registered;

	log_max = level;
	to_journal = stderr_is_journal();
	if (!registered && atexit(log_flush) == 0)
		registered = true;	/* the main thread's lines */
}

int64_t
log_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* snprintf at buf+at, never moving `at` past the end. */
static size_t
put_fmt(char *buf, size_t len, size_t at, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (at >= len - 1)
		return len - 1;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
	if (n < 0)
		return at;
	at += (size_t)n;
	return at >= len - 1 ? len - 1 : at;
}

/* Appends `s` as a logfmt value: quoted when it holds a space, '=' or
 * '"'; control characters become '?', so a line stays one line. */
static size_t
put_value(char *buf, size_t len, size_t at, const char *s)
{
	bool quote = *s == '\0' || strpbrk(s, " =\"\\") != NULL;

	if (quote && at < len)
		buf[at++] = '"';
	for (; *s != '\0' && at + 2 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf[at++] = '\\';
		buf[at++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (quote && at < len)
		buf[at++] = '"';
	return at;
}

static void
put_line(char *buf, size_t at, size_t len)
{
	if (at >= len)
		at = len - 1;
	buf[at++] = '\n';
	log_flush();		/* this thread's lines stay in order */
	/* A short write to stderr is not worth a retry loop. */
	if (write(STDERR_FILENO, buf, at) < 0)
		return;
}

/* A request line into the batch (log.h). */
static void
batch_line(char *buf, size_t at, size_t len)
{
	int64_t now = log_now_us();

	if (at >= len)
		at = len - 1;
	buf[at++] = '\n';
	if (batch.len + at > sizeof(batch.buf) ||
	    (batch.len > 0 && now - batch.since >= LOG_BATCH_US))
		log_flush();
	if (batch.len == 0)
		batch.since = now;
	memcpy(batch.buf + batch.len, buf, at);
	batch.len += at;
}

/* Appends s as it is (bounded like put_fmt). */
static size_t
put_str(char *buf, size_t len, size_t at, const char *s)
{
	size_t n = strlen(s);

	if (at >= len - 1)
		return len - 1;
	if (n > len - 1 - at)
		n = len - 1 - at;
	memcpy(buf + at, s, n);
	buf[at + n] = '\0';
	return at + n;
}

/* Appends v in decimal. */
static size_t
put_int(char *buf, size_t len, size_t at, long long v)
{
	char		 t[24];
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v :
			    (unsigned long long)v;
	int		 n = 0;

	do
		t[n++] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		t[n++] = '-';
	while (n > 0 && at < len - 1)
		buf[at++] = t[--n];
	buf[at] = '\0';
	return at;
}

/* "ts=...Z level=..."; the text up to the second is kept per thread and
 * made again only when the second changes (strftime and printf were a
 * tenth of a request's instructions). */
static size_t
put_head(char *buf, size_t len, int level)
{
	static __thread time_t	 sec = -1;
	static __thread char	 text[40];
	struct timespec		 ts;
	struct tm		 tm;
	long			 ms;
	size_t			 at;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != sec) {
		gmtime_r(&ts.tv_sec, &tm);
		if (strftime(text, sizeof(text), "ts=%Y-%m-%dT%H:%M:%S",
		    &tm) == 0)
			text[0] = '\0';
		sec = ts.tv_sec;
	}
	at = put_str(buf, len, 0, text);
	ms = ts.tv_nsec / 1000000;
	if (at + 4 < len) {
		buf[at++] = '.';
		buf[at++] = (char)('0' + ms / 100);
		buf[at++] = (char)('0' + ms / 10 % 10);
		buf[at++] = (char)('0' + ms % 10);
		buf[at] = '\0';
	}
	at = put_str(buf, len, at, "Z level=");
	return put_str(buf, len, at, level_names[level]);
}

void
log_msg(int level, const char *fmt, ...)
{
	char	buf[2048], msg[1024];
	size_t	at;
	va_list	ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to_journal) {
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level,
		    "SYSLOG_IDENTIFIER=%s", program_invocation_short_name,
		    NULL);
		return;
	}
	at = put_head(buf, sizeof(buf), level);
	at = put_fmt(buf, sizeof(buf), at, " msg=");
	at = put_value(buf, sizeof(buf), at, msg);
	put_line(buf, at, sizeof(buf));
}

/* One iovec "NAME=value" in buf; values are binary-safe in the journal's
 * native protocol, so no quoting. */
static void
put_field(struct iovec *iov, int *n, char *buf, size_t len,
    const char *fmt, ...)
{
	va_list	ap;
	int	w;

	va_start(ap, fmt);
	w = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	iov[*n].iov_base = buf;
	iov[*n].iov_len = (size_t)w < len ? (size_t)w : len - 1;
	(*n)++;
}

/* The fields of SPEC 6 for one answered request. */
static void
journal_request(const struct req *r, int level, int64_t duration_us)
{
	struct iovec	 iov[12];
	char		 f[12][640];
	const char	*method = r->is_head ? "HEAD" : r->method;
	const char	*path = r->path ? r->path : "";
	int		 n = 0;

	put_field(iov, &n, f[n], sizeof(f[n]), "MESSAGE=%s %s %d %lldus",
	    method, path, r->status, (long long)duration_us);
	put_field(iov, &n, f[n], sizeof(f[n]), "PRIORITY=%d", level);
	put_field(iov, &n, f[n], sizeof(f[n]), "SYSLOG_IDENTIFIER=%s",
	    program_invocation_short_name);
	put_field(iov, &n, f[n], sizeof(f[n]), "REQUEST_ID=%s",
	    r->request_id);
	put_field(iov, &n, f[n], sizeof(f[n]), "HTTP_METHOD=%s", method);
	put_field(iov, &n, f[n], sizeof(f[n]), "HTTP_PATH=%s", path);
	put_field(iov, &n, f[n], sizeof(f[n]), "HTTP_STATUS=%d", r->status);
	put_field(iov, &n, f[n], sizeof(f[n]), "DURATION_US=%lld",
	    (long long)duration_us);
	if (r->user_id != NULL)
		put_field(iov, &n, f[n], sizeof(f[n]), "USER_ID=%s",
		    r->user_id);
	if (r->err_detail != NULL && r->status >= 400)
		put_field(iov, &n, f[n], sizeof(f[n]), "ERROR_DETAIL=%s",
		    r->err_detail);
	sd_journal_sendv(iov, n);
}

void
log_request(const struct req *r, int64_t duration_us)
{
	char	buf[2048];
	size_t	at;
	int	level = r->status >= 500 ? LOG_ERR : LOG_INFO;

	if (level > log_max)
		return;
	if (to_journal) {
		journal_request(r, level, duration_us);
		return;
	}
	at = put_head(buf, sizeof(buf), level);
	at = put_str(buf, sizeof(buf), at, " msg=request request_id=");
	at = put_str(buf, sizeof(buf), at, r->request_id);
	at = put_str(buf, sizeof(buf), at, " method=");
	at = put_str(buf, sizeof(buf), at, r->is_head ? "HEAD" : r->method);
	at = put_str(buf, sizeof(buf), at, " path=");
	at = put_value(buf, sizeof(buf), at, r->path ? r->path : "");
	at = put_str(buf, sizeof(buf), at, " status=");
	at = put_int(buf, sizeof(buf), at, r->status);
	at = put_str(buf, sizeof(buf), at, " duration_us=");
	at = put_int(buf, sizeof(buf), at, (long long)duration_us);
	at = put_str(buf, sizeof(buf), at, " user_id=");
	at = put_str(buf, sizeof(buf), at, r->user_id ? r->user_id : "-");
	if (r->err_detail != NULL && r->status >= 400 &&
	    at < sizeof(buf) - 64) {
		at = put_fmt(buf, sizeof(buf), at, " detail=");
		at = put_value(buf, sizeof(buf), at, r->err_detail);
	}
	batch_line(buf, at, sizeof(buf));
}
