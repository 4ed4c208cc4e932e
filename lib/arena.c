/* SPDX-License-Identifier: MIT */
/*
 * arena.c - a chain of blocks with a bump pointer, plus a stack of deferred
 * cleanups for what is not memory (PGresult, json_object, FILE).  With
 * ARENA_DEBUG every allocation is its own malloc, so AddressSanitizer and
 * valgrind see overruns and use after reset.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN	16

struct block {
	struct block	*next;
	size_t		 size;		/* bytes usable after the header */
	size_t		 used;
	max_align_t	 data[];
};

struct deferred {
	struct deferred	*next;
	void		(*fn)(void *);
	void		*ptr;
};

struct arena {
	struct block	*head;		/* current block */
	struct block	*first;		/* kept across resets */
	struct deferred	*defers;
	size_t		 block_size;
	size_t		 used;
#ifdef ARENA_DEBUG
	struct dbg	*allocs;
#endif
};

#ifdef ARENA_DEBUG
struct dbg {
	struct dbg	*next;
	max_align_t	 data[];
};
#endif

void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("quetzal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		die("out of memory allocating %zu bytes", n);
	return p;
}

static struct block *
block_new(size_t size)
{
	struct block *b = xmalloc(sizeof(*b) + size);

	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct arena *
arena_new(size_t size)
{
	struct arena *a = xmalloc(sizeof(*a));

	memset(a, 0, sizeof(*a));
	a->block_size = size < 256 ? 256 : size;
	a->first = a->head = block_new(a->block_size);
	return a;
}

static void
run_defers(struct arena *a)
{
	struct deferred *d;

	/* A cleanup may not defer more work: take the list first. */
	while ((d = a->defers) != NULL) {
		a->defers = d->next;
		d->fn(d->ptr);
		free(d);
	}
}

void
arena_reset(struct arena *a)
{
	struct block *b, *next;

	run_defers(a);
#ifdef ARENA_DEBUG
	for (struct dbg *p = a->allocs, *n; p != NULL; p = n) {
		n = p->next;
		free(p);
	}
	a->allocs = NULL;
#endif
	for (b = a->first->next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->first->next = NULL;
	a->first->used = 0;
	a->head = a->first;
	a->used = 0;
}

void
arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	arena_reset(a);
	free(a->first);
	free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct block	*b;
	size_t		 need;
	void		*p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		die("arena allocation of %zu bytes", n);
	need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	a->used += need;
#ifdef ARENA_DEBUG
	{
		struct dbg *d = xmalloc(sizeof(*d) + n);

		d->next = a->allocs;
		a->allocs = d;
		return d->data;
	}
#endif
	b = a->head;
	if (b->size - b->used < need) {
		/* Big requests get a block of their own. */
		b = block_new(need > a->block_size ? need : a->block_size);
		b->next = a->head->next;
		a->head->next = b;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	return p;
}

void *
arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);

	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list	 cp;
	char	*p;
	int	 n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		die("bad format \"%s\"", fmt);
	p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_defer(struct arena *a, void (*fn)(void *), void *ptr)
{
	struct deferred *d;

	/* The record itself is malloc'd so that arena_reset can free blocks
	 * before or after running it without caring about order. */
	d = xmalloc(sizeof(*d));
	d->fn = fn;
	d->ptr = ptr;
	d->next = a->defers;
	a->defers = d;
}

size_t
arena_used(const struct arena *a)
{
	return a->used;
}
