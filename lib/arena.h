/* SPDX-License-Identifier: MIT */
/*
 * arena.h - per-request memory: the one ownership rule of quetzal.
 *
 * What a request acquires belongs to the request: it is allocated here, or
 * registered here with arena_defer().  arena_reset() runs the deferred
 * cleanups in reverse order and frees every block but the first, which is
 * kept for the next request.  Allocation never returns NULL: out of memory
 * the process aborts and its supervisor restarts it.
 */
#ifndef LIB_ARENA_H
#define LIB_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* A new arena whose first block holds `size` bytes. Free it with arena_free. */
struct arena	*arena_new(size_t size);
void		 arena_free(struct arena *a);

/* Runs the deferred cleanups (last registered first) and forgets every
 * allocation; the first block stays for reuse. */
void		 arena_reset(struct arena *a);

/* `n` bytes aligned for any type; never NULL.  arena_zalloc zeroes them. */
void		*arena_alloc(struct arena *a, size_t n);
void		*arena_zalloc(struct arena *a, size_t n);

/* NUL-terminated copies, arena-owned. */
char		*arena_strdup(struct arena *a, const char *s);
char		*arena_strndup(struct arena *a, const char *s, size_t n);
char		*arena_printf(struct arena *a, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
char		*arena_vprintf(struct arena *a, const char *fmt, va_list ap)
		    __attribute__((format(printf, 2, 0)));

/* Calls fn(ptr) at the next arena_reset or arena_free. */
void		 arena_defer(struct arena *a, void (*fn)(void *), void *ptr);

/* Bytes handed out since the last reset (for tests and logs). */
size_t		 arena_used(const struct arena *a);

/* Prints "quetzal: <msg>" to stderr and aborts: for broken invariants. */
void		 die(const char *fmt, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));

#endif /* LIB_ARENA_H */
