/* SPDX-License-Identifier: MIT */
/* tests/unit/test_arena.c - lib/arena.c: allocation, growth, cleanups. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "arena.h"

static int calls[4];
static int ncalls;

static void
on_cleanup(void *p)
{
	calls[ncalls++] = *(int *)p;
}

Test(arena, allocations_are_aligned_and_independent)
{
	struct arena *a = arena_new(256);
	char *p = arena_alloc(a, 3), *q = arena_alloc(a, 5);

	cr_assert_eq((uintptr_t)p % 16, 0);
	cr_assert_eq((uintptr_t)q % 16, 0);
	memset(p, 'x', 3);
	memset(q, 'y', 5);
	cr_assert_eq(p[2], 'x');
	cr_assert_eq(q[0], 'y');
	arena_free(a);
}

Test(arena, grows_past_the_first_block_and_serves_big_requests)
{
	struct arena *a = arena_new(256);
	char *big = arena_alloc(a, 100000);

	memset(big, 1, 100000);
	for (int i = 0; i < 1000; i++)
		memset(arena_alloc(a, 100), 2, 100);
	cr_assert_eq(big[99999], 1);
	cr_assert_geq(arena_used(a), 100000 + 1000 * 100);
	arena_reset(a);
	cr_assert_eq(arena_used(a), 0);
	arena_free(a);
}

Test(arena, strings_are_copied)
{
	struct arena *a = arena_new(256);
	char src[] = "hello";
	char *d = arena_strdup(a, src);

	src[0] = 'j';
	cr_assert_str_eq(d, "hello");
	cr_assert_str_eq(arena_strndup(a, "abcdef", 3), "abc");
	cr_assert_str_eq(arena_printf(a, "%d-%s", 42, "x"), "42-x");
	arena_free(a);
}

Test(arena, reset_runs_cleanups_last_first_once)
{
	struct arena *a = arena_new(256);
	int one = 1, two = 2, three = 3;

	ncalls = 0;
	arena_defer(a, on_cleanup, &one);
	arena_defer(a, on_cleanup, &two);
	arena_defer(a, on_cleanup, &three);
	arena_reset(a);
	cr_assert_eq(ncalls, 3);
	cr_assert_eq(calls[0], 3);
	cr_assert_eq(calls[2], 1);
	arena_reset(a);
	cr_assert_eq(ncalls, 3, "cleanups must not run twice");
	arena_defer(a, on_cleanup, &one);
	arena_free(a);
	cr_assert_eq(ncalls, 4, "arena_free runs pending cleanups");
}

Test(arena, zalloc_zeroes)
{
	struct arena *a = arena_new(256);
	unsigned char *p;

	memset(arena_alloc(a, 64), 0xff, 64);
	arena_reset(a);
	p = arena_zalloc(a, 64);
	for (int i = 0; i < 64; i++)
		cr_assert_eq(p[i], 0);
	arena_free(a);
}
