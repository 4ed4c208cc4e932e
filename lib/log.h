/* SPDX-License-Identifier: MIT */
/*
 * log.h - one line per event: logfmt on stderr (SPEC 6).  Never pass
 * secrets, passwords, tokens or request bodies to these functions.
 */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include <stdbool.h>
#include <stdint.h>

struct req;

/* syslog priorities, as journald's PRIORITY field. */
enum log_level {
	LOG_ERR = 3,
	LOG_WARNING = 4,
	LOG_NOTICE = 5,
	LOG_INFO = 6,
	LOG_DEBUG = 7
};

/* "debug".."err" -> level, or -1. */
int	log_level_parse(const char *s);

/* Events at a priority above `level` are dropped.  Call once at start. */
void	log_init(int level);

/* An event: `msg` is free text, quoted as needed. */
void	log_msg(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The line for one answered request. */
void	log_request(const struct req *r, int64_t duration_us);

/*
 * On stderr, request lines are batched per thread: log_request() appends
 * to the thread's buffer, which goes out with one write(2) when it fills,
 * when a line is LOG_BATCH_US old at the next request, before any other
 * log line of the thread, at exit, or when the caller flushes it (an
 * accept loop does before it blocks).  The journal gets each line at once.
 * log_pending() says whether this thread holds unwritten lines.
 */
#define LOG_BATCH_US	200000
void	log_flush(void);
bool	log_pending(void);

/* Microseconds on the monotonic clock. */
int64_t	log_now_us(void);

#endif /* LIB_LOG_H */
