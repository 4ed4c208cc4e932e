/* SPDX-License-Identifier: MIT */
/*
 * bcrypt.h - bcrypt verification ($2b$, $2y$) without libxcrypt's
 * per-call self-test.
 *
 * libxcrypt hashes a fixed test vector after every hash to catch a
 * miscompiled Blowfish: about 75 us of the ~815 us a cost-4 check takes
 * on these machines.  Here the same check runs once, at start-up
 * (bcrypt_selftest against known answers); verification then costs the
 * hash alone.  Hashing new passwords (salts, gensalt) stays with
 * libxcrypt (lib/password.c), and so do $2a$ hashes, whose handling of
 * 8-bit passwords differs.  tests/unit/test_bcrypt.c holds this code to
 * libxcrypt's answers for random passwords, salts and costs.
 */
#ifndef LIB_BCRYPT_H
#define LIB_BCRYPT_H

#include <stdbool.h>

/*
 * Computes bcrypt of `pw` with the setting of `hash` ("$2b$" or "$2y$",
 * cost 04..31, 22 salt characters, then 31 hash characters) and writes
 * the whole 60-character string to out (61 bytes with the NUL).  Returns
 * 0, or -1 when `hash` is not such a setting.  Only the first 72 bytes of
 * pw count, as in every bcrypt.
 */
int	bcrypt_compute(const char *pw, const char *hash, char out[61]);

/* Runs the known-answer tests once; true when this build computes
 * bcrypt right (lib/password.c then uses it for $2b$/$2y$ checks). */
bool	bcrypt_selftest(void);

#endif /* LIB_BCRYPT_H */
