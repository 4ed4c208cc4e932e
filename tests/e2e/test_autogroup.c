/* SPDX-License-Identifier: MIT */
/*
 * tests/e2e/test_autogroup.c - QUETZAL_AUTOGROUP_NICE (lib/worker.c,
 * autogroup_nice()): a worker that leads its session gives its autogroup
 * the nice value; a worker started inside someone else's session (a shell,
 * this test) leaves that session's autogroup alone.  Two real workers on a
 * socket of their own, with the stack's database and secret.
 */
#include <criterion/criterion.h>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

TestSuite(autogroup, .init = test_need_stack, .timeout = 60);

/* /proc/PID/autogroup ("/autogroup-17 nice 0"), without its newline. */
static void
autogroup_of(pid_t pid, char *buf, size_t size)
{
	char	 path[64];
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%d/autogroup", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	if (fgets(buf, (int)size, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

struct worker {
	pid_t	pid;
	pid_t	shell;	/* the session leader it runs under, or 0 */
	int	err;	/* read end of its standard error */
};

static void
worker_exec(int fd, int err)
{
	const char *bin = getenv("QUETZAL_BIN");

	if (bin == NULL || dup2(fd, 0) < 0 || dup2(err, 2) < 0)
		_exit(126);
	close(fd);
	close(err);
	setenv("QUETZAL_AUTOGROUP_NICE", "3", 1);
	setenv("QUETZAL_THREADS", "1", 1);
	unsetenv("LISTEN_FDS");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	execl(bin, bin, "serve", (char *)NULL);
	_exit(127);
}

/*
 * A worker serving on the listening socket fd, in a session of its own.
 * leader: it leads that session, as systemd and spawn-fcgi start it;
 * otherwise a "shell" leads it and waits for the worker, its child.
 */
static struct worker
worker_start(int fd, int leader)
{
	struct worker	 w = { 0, 0, -1 };
	int		 p[2], q[2];
	pid_t		 pid, test = getpid();

	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(pipe(q), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		pid_t	child, shell = getpid();
		int	status;

		close(p[0]);
		close(q[0]);
		/* A test that fails half-way leaves no worker behind. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 ||
		    getppid() != test || setsid() < 0)
			_exit(126);
		if (leader)
			worker_exec(fd, p[1]);
		if ((child = fork()) == 0) {
			if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 ||
			    getppid() != shell)
				_exit(126);
			worker_exec(fd, p[1]);
		}
		if (child < 0 || write(q[1], &child, sizeof(child)) !=
		    (ssize_t)sizeof(child))
			_exit(126);
		waitpid(child, &status, 0);
		_exit(0);
	}
	close(p[1]);
	close(q[1]);
	w.err = p[0];
	if (leader)
		w.pid = pid;
	else {
		w.shell = pid;
		cr_assert_eq(read(q[0], &w.pid, sizeof(w.pid)),
		    (ssize_t)sizeof(w.pid));
	}
	close(q[0]);
	return w;
}

/* Reads its log until "worker ready" (or 30 s, or its end). */
static int
worker_ready(struct worker *w)
{
	char	 log[16384];
	size_t	 len = 0;
	time_t	 end = time(NULL) + 30;

	while (time(NULL) < end && len < sizeof(log) - 1) {
		struct pollfd	pf = { .fd = w->err, .events = POLLIN };
		ssize_t		n;

		if (poll(&pf, 1, 1000) <= 0)
			continue;
		n = read(w->err, log + len, sizeof(log) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		log[len] = '\0';
		if (strstr(log, "worker ready") != NULL)
			return 1;
	}
	log[len] = '\0';
	cr_log_error("worker %d did not start: %s", (int)w->pid, log);
	return 0;
}

static void
worker_stop(struct worker *w)
{
	int status;

	kill(w->pid, SIGTERM);
	close(w->err);	/* nobody reads its last words: never block them */
	waitpid(w->shell != 0 ? w->shell : w->pid, &status, 0);
}

static int
listen_unix(char *path, size_t size)
{
	struct sockaddr_un	 sa = { .sun_family = AF_UNIX };
	int			 fd = socket(AF_UNIX, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	snprintf(path, size, "/tmp/quetzal-autogroup-%d.sock", (int)getpid());
	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
	    "bind %s: %s", path, strerror(errno));
	cr_assert_eq(listen(fd, 16), 0);
	unlink(path);	/* the workers get the socket itself, not its name */
	return fd;
}

Test(autogroup, only_a_worker_that_leads_its_session_renices)
{
	const char	*bin = getenv("QUETZAL_BIN");
	char		 sock[108], led[64], shell[64], inside[64];
	struct worker	 a, b;
	int		 fd, reniced = 0;

	/* Under valgrind the workers start in seconds and the question is
	 * the kernel's, not memory's: the plain and ASan runs answer it. */
	if (bin != NULL && strstr(bin, "valgrind") != NULL)
		cr_skip_test("workers under valgrind");
	fd = listen_unix(sock, sizeof(sock));
	a = worker_start(fd, 1);
	b = worker_start(fd, 0);
	close(fd);
	cr_assert(worker_ready(&a));
	cr_assert(worker_ready(&b));

	/* The leader: nice 3 (root is not limited to one change per 100 ms;
	 * others retry, so give it a few seconds). */
	for (int i = 0; i < 100 && !reniced; i++) {
		autogroup_of(a.pid, led, sizeof(led));
		reniced = strstr(led, " nice 3") != NULL;
		if (!reniced)
			usleep(50 * 1000);
	}
	cr_expect(reniced, "the session leader's autogroup: %s", led);

	/* The other: its shell's autogroup, untouched, even after a retry's
	 * time has passed. */
	usleep(400 * 1000);
	autogroup_of(b.shell, shell, sizeof(shell));
	autogroup_of(b.pid, inside, sizeof(inside));
	cr_expect_str_eq(inside, shell, "not the autogroup of its session");
	cr_expect_not_null(strstr(shell, " nice 0"), "the shell's session "
	    "was reniced: %s", shell);
	cr_expect_str_neq(led, shell, "two sessions, one autogroup");

	worker_stop(&a);
	worker_stop(&b);
}
