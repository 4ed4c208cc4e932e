/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_hashgate.c - lib/hashgate.c: the pool-wide bound on
 * password hashing.  Places are shared between processes and threads, a
 * full gate refuses at once, and a process killed inside the gate leaves
 * no place taken.
 */
#include <criterion/criterion.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hashgate.h"

static char dir[] = "/tmp/quetzal-hashgate.XXXXXX";

static void
setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(hashgate_init(dir, 2), 0);
}

static void
teardown(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, HASHGATE_FILE);
	unlink(path);
	rmdir(dir);
}

TestSuite(hashgate, .init = setup, .fini = teardown);

Test(hashgate, a_full_gate_refuses_at_once_and_reopens)
{
	struct hashgate_slot a, b, c;
	struct hashgate_stats st;

	cr_assert(hashgate_enter(&a));
	cr_assert(hashgate_enter(&b));
	cr_assert_neq(a.index, b.index);
	cr_assert_eq(hashgate_in_use(), 2);
	cr_assert_not(hashgate_enter(&c));
	hashgate_leave(&c);	/* a refused place: a no-op */
	hashgate_leave(&a);
	cr_assert_eq(hashgate_in_use(), 1);
	cr_assert(hashgate_enter(&c));
	hashgate_leave(&b);
	hashgate_leave(&c);
	cr_assert_eq(hashgate_in_use(), 0);
	hashgate_stats(&st);
	cr_assert_eq(st.entered, 3);
	cr_assert_eq(st.refused, 1);
}

static void *
take_one(void *arg)
{
	struct hashgate_slot s;

	*(int *)arg = hashgate_enter(&s);
	if (*(int *)arg)
		hashgate_leave(&s);
	return NULL;
}

Test(hashgate, threads_of_one_process_share_the_places)
{
	struct hashgate_slot a, b;
	pthread_t t;
	int got = -1;

	cr_assert(hashgate_enter(&a));
	cr_assert(hashgate_enter(&b));
	pthread_create(&t, NULL, take_one, &got);
	pthread_join(t, NULL);
	cr_assert_eq(got, 0, "a thread got a place in a full gate");
	hashgate_leave(&a);
	pthread_create(&t, NULL, take_one, &got);
	pthread_join(t, NULL);
	cr_assert_eq(got, 1);
	hashgate_leave(&b);
}

Test(hashgate, other_processes_share_them_and_a_killed_one_leaks_none)
{
	struct hashgate_slot s;
	int pipefd[2], status;
	char c;
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct hashgate_slot x, y;

		/* Takes both places and dies inside the gate. */
		if (hashgate_enter(&x) && hashgate_enter(&y))
			(void)!write(pipefd[1], "y", 1);
		else
			(void)!write(pipefd[1], "n", 1);
		pause();
		_exit(0);
	}
	cr_assert_eq(read(pipefd[0], &c, 1), 1);
	cr_assert_eq(c, 'y');
	cr_assert_eq(hashgate_in_use(), 2);
	cr_assert_not(hashgate_enter(&s), "another process's places taken");
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(hashgate_in_use(), 0);
	cr_assert(hashgate_enter(&s));
	hashgate_leave(&s);
	close(pipefd[0]);
	close(pipefd[1]);
}

Test(hashgate, without_a_directory_it_bounds_the_process)
{
	struct hashgate_slot a, b;

	cr_assert_eq(hashgate_init(NULL, 1), 0);
	cr_assert(hashgate_enter(&a));
	cr_assert_not(hashgate_enter(&b));
	hashgate_leave(&a);
	cr_assert(hashgate_enter(&b));
	hashgate_leave(&b);
	cr_assert_eq(hashgate_init(dir, 0), -1);
	cr_assert_eq(hashgate_init(dir, HASHGATE_MAX_SLOTS + 1), -1);
}
