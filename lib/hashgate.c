/* SPDX-License-Identifier: MIT */
/*
 * hashgate.c - the pool-wide bound on password hashing (see hashgate.h).
 * Linux open file description locks: F_OFD_SETLK never blocks, conflicts
 * between descriptors of one process as between processes, and is dropped
 * by the kernel when the last descriptor of the description closes, that
 * is when the process dies, however it dies.
 */
#include "hashgate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

static char			 gate_path[PATH_MAX];	/* "" = local */
static int			 gate_slots = HASHGATE_DEFAULT_SLOTS;
static pthread_mutex_t		 local_lock = PTHREAD_MUTEX_INITIALIZER;
static int			 local_used;
static _Atomic uint64_t		 n_entered, n_refused, n_busy_us;

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
hashgate_init(const char *dir, int slots)
{
	int fd;

	if (slots < 1 || slots > HASHGATE_MAX_SLOTS) {
		log_msg(LOG_ERR, "hash gate: %d places: must be 1..%d", slots,
		    HASHGATE_MAX_SLOTS);
		return -1;
	}
	gate_slots = slots;
	gate_path[0] = '\0';
	if (dir == NULL || dir[0] == '\0') {
		log_msg(LOG_WARNING, "hash gate: no runtime directory "
		    "(QUETZAL_RUNTIME_DIR): %d hashes at a time per process, "
		    "not per pool", slots);
		return 0;
	}
	if ((size_t)snprintf(gate_path, sizeof(gate_path), "%s/%s", dir,
	    HASHGATE_FILE) >= sizeof(gate_path)) {
		gate_path[0] = '\0';
		log_msg(LOG_ERR, "hash gate: runtime directory path too long");
		return -1;
	}
	fd = open(gate_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_msg(LOG_ERR, "hash gate: cannot open %s: %s", gate_path,
		    strerror(errno));
		gate_path[0] = '\0';
		return -1;
	}
	close(fd);
	return 0;
}

int
hashgate_init_env(void)
{
	const char	*dir = getenv("QUETZAL_RUNTIME_DIR");
	const char	*n = getenv("QUETZAL_HASH_SLOTS");
	long		 slots = HASHGATE_DEFAULT_SLOTS;

	if (dir == NULL || dir[0] == '\0')
		dir = getenv("RUNTIME_DIRECTORY");
	/* systemd lists several directories separated by ':'; the first. */
	if (dir != NULL && strchr(dir, ':') != NULL) {
		static char first[PATH_MAX];

		snprintf(first, sizeof(first), "%.*s",
		    (int)(strchr(dir, ':') - dir), dir);
		dir = first;
	}
	if (n != NULL && n[0] != '\0') {
		char *end;

		errno = 0;
		slots = strtol(n, &end, 10);
		if (errno != 0 || *end != '\0' || slots < 1 ||
		    slots > HASHGATE_MAX_SLOTS) {
			log_msg(LOG_ERR, "QUETZAL_HASH_SLOTS: must be 1..%d, "
			    "got \"%s\"", HASHGATE_MAX_SLOTS, n);
			return -1;
		}
	}
	return hashgate_init(dir, (int)slots);
}

static bool
local_enter(struct hashgate_slot *s)
{
	bool ok;

	pthread_mutex_lock(&local_lock);
	ok = local_used < gate_slots;
	if (ok)
		local_used++;
	pthread_mutex_unlock(&local_lock);
	s->fd = -1;
	s->index = 0;
	return ok;
}

bool
hashgate_enter(struct hashgate_slot *s)
{
	int fd;

	s->fd = -2;
	if (gate_path[0] == '\0') {
		if (!local_enter(s)) {
			s->fd = -2;
			atomic_fetch_add(&n_refused, 1);
			metrics_hash_refused();
			return false;
		}
		goto entered;
	}
	fd = open(gate_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* Fail closed: an unbounded hash is what this prevents. */
		log_msg(LOG_ERR, "hash gate: cannot open %s: %s", gate_path,
		    strerror(errno));
		atomic_fetch_add(&n_refused, 1);
		metrics_hash_refused();
		return false;
	}
	for (int i = 0; i < gate_slots; i++) {
		struct flock fl = {
			.l_type = F_WRLCK, .l_whence = SEEK_SET,
			.l_start = i, .l_len = 1, .l_pid = 0,
		};

		if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
			s->fd = fd;
			s->index = i;
			goto entered;
		}
		if (errno != EAGAIN && errno != EACCES) {
			log_msg(LOG_ERR, "hash gate: lock %s: %s", gate_path,
			    strerror(errno));
			break;
		}
	}
	close(fd);
	atomic_fetch_add(&n_refused, 1);
	metrics_hash_refused();
	return false;
entered:
	s->since_us = mono_us();
	atomic_fetch_add(&n_entered, 1);
	return true;
}

void
hashgate_leave(struct hashgate_slot *s)
{
	if (s->fd == -2)
		return;
	atomic_fetch_add(&n_busy_us, (uint64_t)(mono_us() - s->since_us));
	if (s->fd == -1) {
		pthread_mutex_lock(&local_lock);
		local_used--;
		pthread_mutex_unlock(&local_lock);
	} else
		close(s->fd);	/* drops the lock */
	s->fd = -2;
}

void
hashgate_stats(struct hashgate_stats *out)
{
	out->entered = atomic_load(&n_entered);
	out->refused = atomic_load(&n_refused);
	out->busy_us = atomic_load(&n_busy_us);
}

int
hashgate_in_use(void)
{
	int fd, n = 0;

	if (gate_path[0] == '\0') {
		pthread_mutex_lock(&local_lock);
		n = local_used;
		pthread_mutex_unlock(&local_lock);
		return n;
	}
	if ((fd = open(gate_path, O_RDWR | O_CLOEXEC)) < 0)
		return -1;
	for (int i = 0; i < gate_slots; i++) {
		struct flock fl = {
			.l_type = F_WRLCK, .l_whence = SEEK_SET,
			.l_start = i, .l_len = 1, .l_pid = 0,
		};

		if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
			n = -1;
			break;
		}
		if (fl.l_type != F_UNLCK)
			n++;
	}
	close(fd);
	return n;
}

int
hashgate_slots(void)
{
	return gate_slots;
}
