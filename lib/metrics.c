/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - the shared counters of the pool and their exposition.
 *
 * Layout of <runtime dir>/metrics.v1 (a sparse file on tmpfs, mapped
 * MAP_SHARED by every worker): a header with a route directory, then
 * M_SLOTS slots.  A slot belongs to one accept loop at a time (owner =
 * its pid, claimed with a compare-and-swap); only that thread writes its
 * counters, so an increment is a relaxed load and store (plain moves on
 * x86-64: no lock prefix, no system call) and readers see each 64-bit
 * word whole.  A slot is never cleared: a worker that exits, or is
 * killed, leaves its counts, and whoever claims the slot next counts on
 * from them.  So the sum over all slots, which any worker computes for
 * /metrics, never goes backwards.  The route directory maps "METHOD
 * pattern" to a column of every slot; it is only appended to (under
 * flock, at start-up), so binaries with other route tables, during a
 * rolling deploy, share one file.  A change of this layout is a new file
 * name (metrics.v2): never reinterpret an old file.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "http.h"
#include "log.h"
#include "prom.h"
#include "route.h"

#ifndef QUETZAL_VERSION
#define QUETZAL_VERSION "unknown"
#endif

#define M_MAGIC		UINT64_C(0x31766d6c7a746571)	/* "quetzlm v1" */
#define M_FILE		"metrics.v1"
#define M_SLOTS		256	/* accept loops, alive or gone */
#define M_ROUTES	128	/* directory entries: routes + unmatched */
#define M_CODES		256	/* 2xx..5xx, 64 codes each; last: other */
#define M_CODE_OTHER	(M_CODES - 1)
#define M_BOUNDS	13
#define M_METHOD_LEN	16
#define M_ROUTE_LEN	112

/* Latency buckets: 0.5 ms to 5 s (upper bounds, microseconds). */
static const int64_t bounds_us[M_BOUNDS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	500000, 1000000, 2500000, 5000000
};
static const double bounds_s[M_BOUNDS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5
};

/* Methods of requests that matched no route; any other is "other". */
static const char *const unmatched_methods[] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"
};
#define M_UNMATCHED	(sizeof(unmatched_methods) / sizeof(*unmatched_methods))
#define M_UNMATCHED_ROUTE	"unmatched"

typedef _Atomic uint64_t counter;

struct m_route {
	counter		codes[M_CODES];
	counter		buckets[M_BOUNDS + 1];
	counter		sum_us;
	counter		pad;
};

struct m_slot {
	_Atomic int32_t	 owner;		/* pid, 0 when free */
	int32_t		 tid;
	counter		 inflight;
	counter		 starts;
	counter		 reconnects;
	counter		 db_unavailable;
	counter		 db_errors[METRICS_DB_NKINDS];
	counter		 hashes, hash_us;
	counter		 hash_waits, hash_wait_us, hash_refused;
	counter		 cpu_ticks;	/* owner's CPU as last seen */
	char		 version[32];
	uint64_t	 pad[7];
	struct m_route	 routes[M_ROUTES];
};

struct m_dir {
	char	method[M_METHOD_LEN];
	char	route[M_ROUTE_LEN];
};

struct m_file {
	uint64_t		 magic;
	uint32_t		 slot_size;
	uint32_t		 nslots;
	_Atomic uint32_t	 nroutes;	/* directory entries in use */
	_Atomic uint32_t	 slots_hw;	/* slots ever claimed: [0, hw) */
	counter			 retired_cpu_ticks;
	uint64_t		 pad[4];
	struct m_dir		 dir[M_ROUTES];
	struct m_slot		 slots[];
};

#define M_SIZE	(sizeof(struct m_file) + M_SLOTS * sizeof(struct m_slot))

static struct {
	struct m_file		*file;
	int			 fd;		/* -1: anonymous mapping */
	bool			 enabled;
	bool			 shared;
	pthread_mutex_t		 lock;
	const struct route	*routes;	/* the registered table */
	size_t			 nroutes;
	uint16_t		*route_col;	/* table index -> column */
	uint16_t		 unmatched_col[M_UNMATCHED];
	int			 primary;	/* first slot of this process */
} m = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER, .primary = -1 };

/* The slot of the accept loop running in this thread. */
static _Thread_local struct m_slot *my;

static inline void
bump(counter *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

static inline uint64_t
get(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* Whether process pid runs: it exists and is not a zombie (a killed
 * worker whose parent has not reaped it yet has stopped counting).  Only
 * when a slot is claimed and at a scrape, never per request. */
static bool
pid_alive(int32_t pid)
{
	char	path[64], buf[256], *p;
	ssize_t	n;
	int	fd;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return true;	/* hidden from us: believe kill() */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p == NULL || (p[1] != ' ' || (p[2] != 'Z' && p[2] != 'X'));
}

int
metrics_open(const char *dir, const char *setting, char *err, size_t errlen)
{
	char		 path[4096];
	struct stat	 st;
	void		*p;
	size_t		 dlen;

	if (setting == NULL || *setting == '\0' ||
	    strcmp(setting, "on") == 0)
		m.enabled = true;
	else if (strcmp(setting, "off") == 0)
		return 0;
	else {
		snprintf(err, errlen, "QUETZAL_METRICS: must be on or off, "
		    "not \"%s\"", setting);
		return -1;
	}
	if (dir != NULL && *dir != '\0') {
		/* RUNTIME_DIRECTORY may list several, colon-separated. */
		dlen = strcspn(dir, ":");
		snprintf(path, sizeof(path), "%.*s/" M_FILE, (int)dlen, dir);
		m.fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0600);
		if (m.fd < 0 || flock(m.fd, LOCK_EX) < 0 ||
		    fstat(m.fd, &st) < 0)
			goto private;
		if (st.st_size == 0 && ftruncate(m.fd, (off_t)M_SIZE) < 0)
			goto private;
		if (st.st_size != 0 && st.st_size != (off_t)M_SIZE) {
			errno = EINVAL;
			goto private;
		}
		p = mmap(NULL, M_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    m.fd, 0);
		if (p == MAP_FAILED)
			goto private;
		m.file = p;
		/* magic 0: a creator killed between ftruncate and here (we
		 * hold the lock it held). */
		if (st.st_size == 0 || m.file->magic == 0) {
			m.file->slot_size = sizeof(struct m_slot);
			m.file->nslots = M_SLOTS;
			m.file->magic = M_MAGIC;
		} else if (m.file->magic != M_MAGIC ||
		    m.file->slot_size != sizeof(struct m_slot) ||
		    m.file->nslots != M_SLOTS) {
			munmap(p, M_SIZE);
			m.file = NULL;
			errno = EINVAL;
			goto private;
		}
		flock(m.fd, LOCK_UN);
		m.shared = true;
		return 0;
	}
	path[0] = '\0';
private:
	if (path[0] != '\0') {
		/* Metrics never keep a worker from serving: this worker
		 * counts alone, and says so. */
		log_msg(LOG_ERR, "metrics: cannot use %s (%s): /metrics of "
		    "this worker shows only its own numbers", path,
		    strerror(errno));
		if (m.fd >= 0)
			close(m.fd);
		m.fd = -1;
	}
	p = mmap(NULL, M_SIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "metrics: mmap: %s", strerror(errno));
		return -1;
	}
	m.file = p;
	m.file->slot_size = sizeof(struct m_slot);
	m.file->nslots = M_SLOTS;
	m.file->magic = M_MAGIC;
	return 0;
}

bool
metrics_enabled(void)
{
	return m.enabled;
}

void
metrics_close(void)
{
	if (m.file != NULL)
		munmap(m.file, M_SIZE);
	if (m.fd >= 0)
		close(m.fd);
	free(m.route_col);
	m.file = NULL;
	m.fd = -1;
	m.enabled = m.shared = false;
	m.routes = NULL;
	m.route_col = NULL;
	m.nroutes = 0;
	m.primary = -1;
	my = NULL;
}

/* The column of (method, route), appended when new; the file is locked. */
static uint16_t
column(const char *method, const char *route)
{
	uint32_t n = atomic_load(&m.file->nroutes);

	for (uint32_t i = 0; i < n; i++)
		if (strcmp(m.file->dir[i].method, method) == 0 &&
		    strcmp(m.file->dir[i].route, route) == 0)
			return (uint16_t)i;
	if (n >= M_ROUTES || strlen(method) >= M_METHOD_LEN ||
	    strlen(route) >= M_ROUTE_LEN) {
		log_msg(LOG_ERR, "metrics: no room for route %s %s: counted "
		    "as unmatched", method, route);
		return UINT16_MAX;
	}
	snprintf(m.file->dir[n].method, M_METHOD_LEN, "%s", method);
	snprintf(m.file->dir[n].route, M_ROUTE_LEN, "%s", route);
	atomic_store(&m.file->nroutes, n + 1);	/* entry first, then count */
	return (uint16_t)n;
}

static void
register_routes(const struct route *routes, size_t nroutes)
{
	if (m.fd >= 0)
		flock(m.fd, LOCK_EX);
	for (size_t i = 0; i < M_UNMATCHED; i++) {
		m.unmatched_col[i] = column(unmatched_methods[i],
		    M_UNMATCHED_ROUTE);
		if (m.unmatched_col[i] == UINT16_MAX)
			m.unmatched_col[i] = 0;	/* a full old file */
	}
	m.route_col = calloc(nroutes ? nroutes : 1, sizeof(*m.route_col));
	if (m.route_col == NULL)
		die("metrics: out of memory");
	for (size_t i = 0; i < nroutes; i++) {
		m.route_col[i] = column(routes[i].method, routes[i].pattern);
		if (m.route_col[i] == UINT16_MAX)
			m.route_col[i] = m.unmatched_col[M_UNMATCHED - 1];
	}
	m.routes = routes;
	m.nroutes = nroutes;
	if (m.fd >= 0)
		flock(m.fd, LOCK_UN);
}

/* Adds the CPU time last seen of a slot's previous owner to the retired
 * total, once: the slot now counts for its new owner. */
static void
retire_cpu(struct m_slot *s)
{
	uint64_t t = atomic_exchange(&s->cpu_ticks, 0);

	atomic_fetch_add(&m.file->retired_cpu_ticks, t);
}

/* This process's CPU time in clock ticks from /proc/PID/stat, or 0. */
static uint64_t
proc_cpu_ticks(int32_t pid)
{
	char		 path[64], buf[1024], *p;
	unsigned long	 ut, st;
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip to the
	 * last ')'. utime and stime are fields 14 and 15. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1,
	    " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return 0;
	return (uint64_t)ut + st;
}

/* Raises a slot's CPU time seen to `t`, never lowers it. */
static void
see_cpu(struct m_slot *s, uint64_t t)
{
	uint64_t old = atomic_load(&s->cpu_ticks);

	while (t > old && !atomic_compare_exchange_weak(&s->cpu_ticks, &old,
	    t))
		;
}

void
metrics_loop_start(const struct route *routes, size_t nroutes)
{
	int32_t	 pid = (int32_t)getpid();
	uint32_t hw;

	if (!m.enabled || m.file == NULL)
		return;
	pthread_mutex_lock(&m.lock);
	if (m.routes == NULL)
		register_routes(routes, nroutes);
	pthread_mutex_unlock(&m.lock);
	for (int i = 0; i < M_SLOTS; i++) {
		struct m_slot	*s = &m.file->slots[i];
		int32_t		 o = atomic_load(&s->owner);

		if (o == pid || (o != 0 && pid_alive(o)))
			continue;
		if (!atomic_compare_exchange_strong(&s->owner, &o, pid))
			continue;	/* another worker was quicker */
		retire_cpu(s);
		s->tid = (int32_t)gettid();
		snprintf(s->version, sizeof(s->version), "%s",
		    QUETZAL_VERSION);
		atomic_store(&s->inflight, 0);
		atomic_fetch_add(&s->starts, 1);
		hw = atomic_load(&m.file->slots_hw);
		while (hw < (uint32_t)i + 1 && !atomic_compare_exchange_weak(
		    &m.file->slots_hw, &hw, (uint32_t)i + 1))
			;
		pthread_mutex_lock(&m.lock);
		if (m.primary < 0)
			m.primary = i;
		pthread_mutex_unlock(&m.lock);
		my = s;
		return;
	}
	log_msg(LOG_ERR, "metrics: all %d slots are taken by live accept "
	    "loops: this one is not counted", M_SLOTS);
}

void
metrics_loop_stop(void)
{
	struct m_slot *s = my;

	if (s == NULL)
		return;
	if (s == &m.file->slots[m.primary])
		see_cpu(s, proc_cpu_ticks((int32_t)getpid()));
	atomic_store(&s->inflight, 0);
	my = NULL;
	atomic_store(&s->owner, 0);	/* its counters stay */
}

void
metrics_accepted(void)
{
	if (my != NULL)
		atomic_store_explicit(&my->inflight, 1, memory_order_relaxed);
}

static inline unsigned
code_index(int status)
{
	if (status < 200 || status > 599 || status % 100 >= 63)
		return M_CODE_OTHER;
	return (unsigned)(status / 100 - 2) * 64 + (unsigned)(status % 100);
}

static unsigned
unmatched_index(const char *method)
{
	for (unsigned i = 0; i < M_UNMATCHED - 1; i++)
		if (strcmp(method, unmatched_methods[i]) == 0)
			return i;
	return M_UNMATCHED - 1;
}

void
metrics_request(const struct req *r)
{
	struct m_slot	*s = my;
	struct m_route	*c;
	int64_t		 us;
	unsigned	 col, b;
	size_t		 i;

	if (s == NULL)
		return;
	i = r->route != NULL ? (size_t)(r->route - m.routes) : SIZE_MAX;
	col = i < m.nroutes ? m.route_col[i] :
	    m.unmatched_col[unmatched_index(r->method)];
	us = log_now_us() - r->started_us;
	if (us < 0)
		us = 0;
	for (b = 0; b < M_BOUNDS && us > bounds_us[b]; b++)
		;
	c = &s->routes[col];
	bump(&c->codes[code_index(r->status)], 1);
	bump(&c->buckets[b], 1);
	bump(&c->sum_us, (uint64_t)us);
	atomic_store_explicit(&s->inflight, 0, memory_order_relaxed);
}

void
metrics_db_error(enum metrics_db_kind kind)
{
	if (my != NULL && (unsigned)kind < METRICS_DB_NKINDS)
		bump(&my->db_errors[kind], 1);
}

void
metrics_db_reconnect(void)
{
	if (my != NULL)
		bump(&my->reconnects, 1);
}

void
metrics_db_unavailable(void)
{
	if (my != NULL)
		bump(&my->db_unavailable, 1);
}

enum metrics_db_kind
metrics_db_kind_of(const char *st)
{
	if (st == NULL)
		return METRICS_DB_LOST;
	if (strcmp(st, "57014") == 0)
		return METRICS_DB_TIMEOUT;
	if (strcmp(st, "23505") == 0 || strcmp(st, "23503") == 0)
		return METRICS_DB_CONFLICT;
	if (strncmp(st, "22", 2) == 0 || strcmp(st, "23502") == 0 ||
	    strcmp(st, "23514") == 0)
		return METRICS_DB_INVALID;
	if (strncmp(st, "53", 2) == 0)
		return METRICS_DB_RESOURCES;
	if (strncmp(st, "57P", 3) == 0 || strncmp(st, "08", 2) == 0)
		return METRICS_DB_SHUTDOWN;
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
		return METRICS_DB_SERIALIZATION;
	return METRICS_DB_OTHER;
}

void
metrics_hash_done(int64_t us)
{
	if (my == NULL)
		return;
	bump(&my->hashes, 1);
	bump(&my->hash_us, us > 0 ? (uint64_t)us : 0);
}

void
metrics_hash_waited(int64_t waited_us)
{
	if (my == NULL)
		return;
	bump(&my->hash_waits, 1);
	bump(&my->hash_wait_us, waited_us > 0 ? (uint64_t)waited_us : 0);
}

void
metrics_hash_refused(void)
{
	if (my != NULL)
		bump(&my->hash_refused, 1);
}

/* ---- reading ------------------------------------------------------- */

static const char *const db_kind_names[METRICS_DB_NKINDS] = {
	"connect", "lost", "timeout", "conflict", "invalid", "resources",
	"shutdown", "serialization", "other"
};

/* Sums of every slot. */
struct m_sum {
	uint64_t	 inflight, starts, reconnects, db_unavailable;
	uint64_t	 db_errors[METRICS_DB_NKINDS];
	uint64_t	 hashes, hash_us, hash_waits, hash_wait_us,
			 hash_refused;
	uint64_t	 cpu_ticks;
	unsigned	 loops, processes;
	uint64_t	 rss_bytes, pss_bytes;
	struct {
		uint64_t codes[M_CODES];
		uint64_t buckets[M_BOUNDS + 1];
		uint64_t sum_us;
	}		*cols;
	uint32_t	 ncols;
	const char	*versions[M_SLOTS];
	unsigned	 nversions;
};

/* Resident and proportional set size of a process, bytes. */
static void
proc_memory(int32_t pid, uint64_t *rss, uint64_t *pss)
{
	char			 path[64], line[256];
	unsigned long long	 size, res, kb;
	FILE			*f;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fscanf(f, "%llu %llu", &size, &res) == 2)
			*rss += res * (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if ((f = fopen(path, "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "Pss: %llu kB", &kb) == 1) {
				*pss += kb * 1024;
				break;
			}
		fclose(f);
	}
}

static void
sum_slots(struct m_sum *t)
{
	uint32_t	 hw = atomic_load(&m.file->slots_hw);
	int32_t		 seen[M_SLOTS];
	unsigned	 nseen = 0;

	t->ncols = atomic_load(&m.file->nroutes);
	t->cols = calloc(t->ncols ? t->ncols : 1, sizeof(*t->cols));
	if (t->cols == NULL)
		die("metrics: out of memory");
	t->cpu_ticks = get(&m.file->retired_cpu_ticks);
	for (uint32_t i = 0; i < hw && i < M_SLOTS; i++) {
		struct m_slot	*s = &m.file->slots[i];
		int32_t		 o = atomic_load(&s->owner);
		bool		 alive = o != 0 && pid_alive(o), first = true;

		if (alive) {
			t->loops++;
			t->inflight += get(&s->inflight);
			for (unsigned j = 0; j < nseen; j++)
				if (seen[j] == o)
					first = false;
			/* A process's CPU and memory count once, on the
			 * first slot it holds. */
			if (first) {
				seen[nseen++] = o;
				t->processes++;
				see_cpu(s, proc_cpu_ticks(o));
				proc_memory(o, &t->rss_bytes, &t->pss_bytes);
			}
			bool known = false;
			for (unsigned j = 0; j < t->nversions; j++)
				if (strcmp(t->versions[j], s->version) == 0)
					known = true;
			if (!known && s->version[0] != '\0')
				t->versions[t->nversions++] = s->version;
		}
		t->cpu_ticks += get(&s->cpu_ticks);
		t->starts += get(&s->starts);
		t->reconnects += get(&s->reconnects);
		t->db_unavailable += get(&s->db_unavailable);
		for (int k = 0; k < METRICS_DB_NKINDS; k++)
			t->db_errors[k] += get(&s->db_errors[k]);
		t->hashes += get(&s->hashes);
		t->hash_us += get(&s->hash_us);
		t->hash_waits += get(&s->hash_waits);
		t->hash_wait_us += get(&s->hash_wait_us);
		t->hash_refused += get(&s->hash_refused);
		for (uint32_t c = 0; c < t->ncols; c++) {
			struct m_route *r = &s->routes[c];

			for (int k = 0; k < M_CODES; k++)
				t->cols[c].codes[k] += get(&r->codes[k]);
			for (int k = 0; k <= M_BOUNDS; k++)
				t->cols[c].buckets[k] += get(&r->buckets[k]);
			t->cols[c].sum_us += get(&r->sum_us);
		}
	}
}

static void
code_label(unsigned k, char buf[8])
{
	if (k == M_CODE_OTHER)
		snprintf(buf, 8, "other");
	else
		snprintf(buf, 8, "%u", (k / 64 + 2) * 100 + k % 64);
}

static void
write_counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	prom_family(f, name, "counter", help);
	prom_u64(f, name, NULL, 0, v);
}

static void
write_gauge(FILE *f, const char *name, const char *help, double v)
{
	prom_family(f, name, "gauge", help);
	prom_double(f, name, NULL, 0, v);
}

static void
write_requests(FILE *f, const struct m_sum *t)
{
	char code[8];

	prom_family(f, "quetzal_http_requests_total", "counter",
	    "Requests answered by the pool, by route template, method and "
	    "status code");
	for (uint32_t c = 0; c < t->ncols; c++)
		for (unsigned k = 0; k < M_CODES; k++) {
			struct prom_label l[3] = {
				{ "route", m.file->dir[c].route },
				{ "method", m.file->dir[c].method },
				{ "status", code },
			};

			if (t->cols[c].codes[k] == 0)
				continue;
			code_label(k, code);
			prom_u64(f, "quetzal_http_requests_total", l, 3,
			    t->cols[c].codes[k]);
		}
	prom_family(f, "quetzal_http_request_duration_seconds", "histogram",
	    "Time from accepting a request to its answer being ready, by "
	    "route template and method");
	for (uint32_t c = 0; c < t->ncols; c++) {
		struct prom_label l[2] = {
			{ "route", m.file->dir[c].route },
			{ "method", m.file->dir[c].method },
		};
		uint64_t n = 0;

		for (int k = 0; k <= M_BOUNDS; k++)
			n += t->cols[c].buckets[k];
		if (n == 0)
			continue;
		prom_histogram(f, "quetzal_http_request_duration_seconds", l,
		    2, bounds_s, t->cols[c].buckets, M_BOUNDS,
		    (double)t->cols[c].sum_us / 1e6);
	}
}

static void
write_extra(FILE *f, const struct metrics_extra *x)
{
	static const char *const states[] = { "active", "reading",
	    "writing", "waiting" };
	const long long v[] = { x->nginx_active, x->nginx_reading,
	    x->nginx_writing, x->nginx_waiting };

	if (x->nginx_active >= 0) {
		prom_family(f, "quetzal_nginx_connections", "gauge",
		    "nginx client connections by state (stub_status)");
		for (int i = 0; i < 4; i++) {
			struct prom_label l = { "state", states[i] };

			if (v[i] >= 0)
				prom_u64(f, "quetzal_nginx_connections", &l, 1,
				    (uint64_t)v[i]);
		}
	}
	if (x->pg_up < 0)
		return;
	write_gauge(f, "quetzal_pg_up", "Whether PostgreSQL answered the "
	    "scrape's query (1) or not (0)", x->pg_up);
	if (x->pg_up == 0)
		return;
	write_gauge(f, "quetzal_pg_connections", "Server processes "
	    "connected to quetzal's database (pg_stat_activity)",
	    (double)x->pg_connections);
	write_gauge(f, "quetzal_pg_connections_active", "Of those, the ones "
	    "running a query now", (double)x->pg_connections_active);
	write_gauge(f, "quetzal_pg_database_size_bytes", "Size of quetzal's "
	    "database on disk (pg_database_size)",
	    (double)x->pg_database_bytes);
}

int
metrics_write(FILE *f, const struct metrics_extra *x)
{
	struct m_sum	 t = { 0 };
	double		 tick = (double)sysconf(_SC_CLK_TCK);

	if (m.file == NULL)
		return -1;
	sum_slots(&t);
	write_requests(f, &t);
	write_gauge(f, "quetzal_http_requests_in_flight", "Requests being "
	    "handled by the pool now (this scrape included)",
	    (double)t.inflight);
	prom_family(f, "quetzal_db_errors_total", "counter", "Failed "
	    "database connection attempts and statements, by kind");
	for (int k = 0; k < METRICS_DB_NKINDS; k++) {
		struct prom_label l = { "kind", db_kind_names[k] };

		prom_u64(f, "quetzal_db_errors_total", &l, 1, t.db_errors[k]);
	}
	write_counter(f, "quetzal_db_reconnects_total", "Connections to "
	    "PostgreSQL made again after one was lost", t.reconnects);
	write_counter(f, "quetzal_db_unavailable_total", "Requests answered "
	    "503 because the database was unavailable", t.db_unavailable);
	write_counter(f, "quetzal_password_hashes_total", "bcrypt hashes and "
	    "verifications computed", t.hashes);
	prom_family(f, "quetzal_password_hash_seconds_total", "counter",
	    "Time spent in bcrypt");
	prom_double(f, "quetzal_password_hash_seconds_total", NULL, 0,
	    (double)t.hash_us / 1e6);
	write_counter(f, "quetzal_password_hash_waits_total", "Password "
	    "hashes that waited for their turn (concurrency bound)",
	    t.hash_waits);
	prom_family(f, "quetzal_password_hash_wait_seconds_total", "counter",
	    "Time password hashes spent waiting for their turn");
	prom_double(f, "quetzal_password_hash_wait_seconds_total", NULL, 0,
	    (double)t.hash_wait_us / 1e6);
	write_counter(f, "quetzal_password_hash_refusals_total", "Password "
	    "hashes refused because too many were waiting", t.hash_refused);
	write_counter(f, "quetzal_worker_starts_total", "Accept loops "
	    "started (worker processes or their threads), restarts included",
	    t.starts);
	write_gauge(f, "quetzal_worker_accept_loops", "Accept loops running "
	    "now (the pool size), spare loops included", t.loops);
	write_gauge(f, "quetzal_worker_processes", "Worker processes "
	    "running now", t.processes);
	prom_family(f, "quetzal_build_info", "gauge", "The version of each "
	    "binary running in the pool (several during a rolling deploy)");
	if (t.nversions == 0)
		t.versions[t.nversions++] = QUETZAL_VERSION;
	for (unsigned i = 0; i < t.nversions; i++) {
		struct prom_label l = { "version", t.versions[i] };

		prom_u64(f, "quetzal_build_info", &l, 1, 1);
	}
	prom_family(f, "quetzal_pool_cpu_seconds_total", "counter", "User "
	    "and system CPU time of the worker processes, those gone "
	    "included");
	prom_double(f, "quetzal_pool_cpu_seconds_total", NULL, 0,
	    (double)t.cpu_ticks / tick);
	write_gauge(f, "quetzal_pool_resident_memory_bytes", "Resident set "
	    "size summed over the worker processes (shared pages counted "
	    "in each)", (double)t.rss_bytes);
	write_gauge(f, "quetzal_pool_proportional_memory_bytes",
	    "Proportional set size summed over the worker processes (shared "
	    "pages divided among them)", (double)t.pss_bytes);
	write_gauge(f, "quetzal_metrics_pool_wide", "1 when these numbers "
	    "come from the shared file of the whole pool, 0 when only from "
	    "the answering worker", m.shared ? 1 : 0);
	if (x != NULL)
		write_extra(f, x);
	free(t.cols);
	return 0;
}

uint64_t
metrics_requests_total(void)
{
	struct m_sum	t = { 0 };
	uint64_t	n = 0;

	if (m.file == NULL)
		return 0;
	sum_slots(&t);
	for (uint32_t c = 0; c < t.ncols; c++)
		for (int k = 0; k < M_CODES; k++)
			n += t.cols[c].codes[k];
	free(t.cols);
	return n;
}

uint64_t
metrics_requests_of_dead(void)
{
	uint32_t	hw;
	uint64_t	n = 0;

	if (m.file == NULL)
		return 0;
	hw = atomic_load(&m.file->slots_hw);
	for (uint32_t i = 0; i < hw && i < M_SLOTS; i++) {
		struct m_slot	*s = &m.file->slots[i];
		int32_t		 o = atomic_load(&s->owner);

		if (o == 0 || pid_alive(o))
			continue;
		for (uint32_t c = 0; c < atomic_load(&m.file->nroutes); c++)
			for (int k = 0; k < M_CODES; k++)
				n += get(&s->routes[c].codes[k]);
	}
	return n;
}
