/* SPDX-License-Identifier: MIT */
/*
 * password.c - bcrypt.  New hashes come from libxcrypt: crypt_gensalt_rn()
 * for the salt, crypt_rn() for the hash (it returns NULL, not a "*0"
 * failure token, when a setting is malformed).  Its scratch area, struct
 * crypt_data, is 32 KB: one copy per thread that hashes (a worker may
 * run several threads), allocated on its first use, wiped after each use
 * and freed with the thread.  Stored $2b$ and $2y$ hashes are checked with
 * lib/bcrypt.c, the same function without libxcrypt's self-test after
 * every hash, once its known-answer test passed in this process;
 * anything else (a $2a$ hash, a failed self-test) with libxcrypt.
 */
#include "password.h"

#include <crypt.h>
#include <openssl/crypto.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bcrypt.h"
#include "log.h"
#include "metrics.h"

static _Thread_local struct crypt_data *scratch_mem;
static pthread_key_t		scratch_key;
static pthread_once_t		scratch_once = PTHREAD_ONCE_INIT;
static char			dummy[PASSWORD_HASH_SIZE];
static pthread_once_t		selftest_once = PTHREAD_ONCE_INIT;
static bool			own_bcrypt;	/* lib/bcrypt.c passed */

static void
scratch_free(void *p)
{
	explicit_bzero(p, sizeof(struct crypt_data));
	free(p);
}

static void
scratch_key_make(void)
{
	if (pthread_key_create(&scratch_key, scratch_free) != 0)
		die("pthread_key_create failed");
}

/* This thread's crypt_data, made on first use (out of memory: exit). */
static struct crypt_data *
scratch(void)
{
	if (scratch_mem == NULL) {
		pthread_once(&scratch_once, scratch_key_make);
		if ((scratch_mem = calloc(1, sizeof(*scratch_mem))) == NULL)
			die("out of memory");
		(void)pthread_setspecific(scratch_key, scratch_mem);
	}
	return scratch_mem;
}

static void
run_selftest(void)
{
	own_bcrypt = bcrypt_selftest();
	if (!own_bcrypt)
		log_msg(LOG_ERR, "bcrypt: the known-answer test failed; "
		    "checking passwords with libxcrypt");
}

bool
password_acceptable(const char *pw, size_t len, const char **code)
{
	if (memchr(pw, '\0', len) != NULL)
		*code = "invalid_characters";
	else if (len < PASSWORD_MIN)
		*code = "too_short";
	else if (len > PASSWORD_MAX)
		*code = "too_long";
	else
		return true;
	return false;
}

/* A bcrypt hash: "$2b$" (or 2a, 2y), two cost digits, '$', 53 characters. */
static bool
is_bcrypt(const char *hash)
{
	return strlen(hash) == 60 && hash[0] == '$' && hash[1] == '2' &&
	    (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') &&
	    hash[3] == '$' && hash[6] == '$';
}

int
password_hash(const char *pw, int cost, char out[PASSWORD_HASH_SIZE])
{
	char		 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char	*h;
	size_t		 len = strlen(pw);
	int64_t		 t0;
	int		 ret = -1;

	if (len == 0 || len > PASSWORD_MAX || cost < PASSWORD_COST_MIN ||
	    cost > PASSWORD_COST_MAX) {
		log_msg(LOG_ERR, "password_hash: password of %zu bytes or "
		    "cost %d out of bounds", len, cost);
		return -1;
	}
	/* NULL random bytes: libxcrypt reads them from the kernel. */
	if (crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, setting,
	    sizeof(setting)) == NULL) {
		log_msg(LOG_ERR, "crypt_gensalt_rn failed: %s",
		    strerror(errno));
		return -1;
	}
	memset(scratch(), 0, sizeof(*scratch_mem));
	t0 = log_now_us();
	h = crypt_rn(pw, setting, scratch_mem, sizeof(*scratch_mem));
	metrics_hash_done(log_now_us() - t0);
	if (h == NULL || !is_bcrypt(h))
		log_msg(LOG_ERR, "crypt_rn failed: %s", strerror(errno));
	else {
		snprintf(out, PASSWORD_HASH_SIZE, "%s", h);
		ret = 0;
	}
	explicit_bzero(scratch_mem, sizeof(*scratch_mem));
	return ret;
}

bool
password_verify(const char *pw, const char *hash)
{
	const char	*h;
	char		 own[61];
	int64_t		 t0;
	bool		 ok = false;

	if (hash == NULL || !is_bcrypt(hash) || strlen(pw) > PASSWORD_MAX)
		return false;
	pthread_once(&selftest_once, run_selftest);
	t0 = log_now_us();
	if (own_bcrypt && hash[2] != 'a') {
		if (bcrypt_compute(pw, hash, own) == 0)
			ok = CRYPTO_memcmp(own, hash, 60) == 0;
		metrics_hash_done(log_now_us() - t0);
		explicit_bzero(own, sizeof(own));
		return ok;
	}
	memset(scratch(), 0, sizeof(*scratch_mem));
	h = crypt_rn(pw, hash, scratch_mem, sizeof(*scratch_mem));
	metrics_hash_done(log_now_us() - t0);
	/* Both are 60 bytes once is_bcrypt() passed; compare all of them. */
	if (h != NULL && strlen(h) == 60)
		ok = CRYPTO_memcmp(h, hash, 60) == 0;
	explicit_bzero(scratch_mem, sizeof(*scratch_mem));
	return ok;
}

int
password_init(int cost)
{
	pthread_once(&selftest_once, run_selftest);
	/* Any password will do: nobody can log in with the dummy. */
	return password_hash("dummy password for unknown users", cost,
	    dummy);
}

bool
password_verify_dummy(const char *pw)
{
	if (dummy[0] == '\0' && password_init(12) < 0)
		return false;
	(void)password_verify(pw, dummy);
	return false;
}
