/* SPDX-License-Identifier: MIT */
/*
 * hashgate.h - a pool-wide bound on concurrent password hashing.
 *
 * A bcrypt at cost 12 holds a worker for about 200 ms; without a bound a
 * burst of logins takes every worker and /healthz waits behind them.  The
 * gate has `slots` places shared by every worker process and thread of the
 * pool: a hash runs only inside one, and a request that finds them all
 * taken is refused at once (the caller answers 503 with Retry-After)
 * rather than queued.
 *
 * A slot is an OFD byte-range lock (F_OFD_SETLK) on byte i of one file in
 * the pool's runtime directory, held by a descriptor opened for that one
 * hash.  The kernel drops the lock when the descriptor closes, so a worker
 * killed by SIGKILL in the middle of a hash cannot leak its slot; two
 * threads of one process get different open file descriptions, so they
 * exclude each other too.  No shared memory, no IPC object to remove.
 *
 * Each refusal is counted for /metrics (metrics_hash_refused; the gate
 * never waits, so quetzal_password_hash_waits_total stays 0).  The counters of
 * hashgate_stats are this process's, and hashgate_in_use() reads the
 * pool-wide occupancy from the locks themselves.
 */
#ifndef LIB_HASHGATE_H
#define LIB_HASHGATE_H

#include <stdbool.h>
#include <stdint.h>

#define HASHGATE_DEFAULT_SLOTS	2
#define HASHGATE_MAX_SLOTS	64
#define HASHGATE_FILE		"hash-slots"

/*
 * Opens (creating it) `dir`/hash-slots with `slots` places (1..64).  With
 * dir NULL the gate counts within this process only, and says so in the
 * log.  Returns 0, or -1 (logged) when the file cannot be made.
 */
int		 hashgate_init(const char *dir, int slots);

/*
 * The gate from the environment: QUETZAL_HASH_SLOTS (default 2), in
 * QUETZAL_RUNTIME_DIR, else systemd's RUNTIME_DIRECTORY.  0 or -1.
 */
int		 hashgate_init_env(void);

/* A place taken by hashgate_enter(); pass it back to hashgate_leave(). */
struct hashgate_slot {
	int		 fd;		/* -1 for the process-local gate */
	int		 index;
	int64_t		 since_us;
};

/*
 * Takes a free place without waiting.  Returns true with *s filled, or
 * false when every place is taken (counted as a refusal).  Thread-safe.
 */
bool		 hashgate_enter(struct hashgate_slot *s);

/* Gives the place back.  Thread-safe; a no-op for s->fd == -2. */
void		 hashgate_leave(struct hashgate_slot *s);

/* This process's counters since start, for /metrics. */
struct hashgate_stats {
	uint64_t	 entered;	/* hashes let through */
	uint64_t	 refused;	/* hashes refused: every place taken */
	uint64_t	 busy_us;	/* time spent inside the gate */
};
void		 hashgate_stats(struct hashgate_stats *out);

/* Places taken right now in the whole pool (reads the locks), or -1. */
int		 hashgate_in_use(void);

/* The number of places (after init). */
int		 hashgate_slots(void);

#endif /* LIB_HASHGATE_H */
