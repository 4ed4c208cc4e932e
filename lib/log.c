/* SPDX-License-Identifier: MIT */
/*
 * log.c - logfmt lines written with one write(2) each, so lines from
 * several workers sharing a stderr never interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

static int log_max = LOG_INFO;

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

void
log_init(int level)
{
	log_max = level;
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
	/* A short write to stderr is not worth a retry loop. */
	if (write(STDERR_FILENO, buf, at) < 0)
		return;
}

static size_t
put_head(char *buf, size_t len, int level)
{
	struct timespec	ts;
	struct tm	tm;
	size_t		at;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	at = strftime(buf, len, "ts=%Y-%m-%dT%H:%M:%S", &tm);
	at = put_fmt(buf, len, at, ".%03ldZ level=%s",
	    ts.tv_nsec / 1000000, level_names[level]);
	return at;
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
	at = put_head(buf, sizeof(buf), level);
	at = put_fmt(buf, sizeof(buf), at, " msg=");
	at = put_value(buf, sizeof(buf), at, msg);
	put_line(buf, at, sizeof(buf));
}

void
log_request(const struct req *r, int64_t duration_us)
{
	char	buf[2048];
	size_t	at;
	int	level = r->status >= 500 ? LOG_ERR : LOG_INFO;

	if (level > log_max)
		return;
	at = put_head(buf, sizeof(buf), level);
	at = put_fmt(buf, sizeof(buf), at,
	    " msg=request request_id=%s method=%s path=", r->request_id,
	    r->is_head ? "HEAD" : r->method);
	at = put_value(buf, sizeof(buf), at, r->path ? r->path : "");
	at = put_fmt(buf, sizeof(buf), at,
	    " status=%d duration_us=%lld user_id=%s", r->status,
	    (long long)duration_us, r->user_id ? r->user_id : "-");
	if (r->err_detail != NULL && r->status >= 400 &&
	    at < sizeof(buf) - 64) {
		at = put_fmt(buf, sizeof(buf), at, " detail=");
		at = put_value(buf, sizeof(buf), at, r->err_detail);
	}
	put_line(buf, at, sizeof(buf));
}
