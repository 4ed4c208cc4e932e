/* SPDX-License-Identifier: MIT */
/*
 * password.h - bcrypt password hashes through libxcrypt.
 *
 * Hashes are "$2b$" strings as passlib and Python's bcrypt make them, so
 * accounts migrate with their passwords ("$2a$" and "$2y$" verify too).
 * bcrypt reads at most 72 bytes: longer passwords are refused, never cut.
 * The module keeps one process-lifetime dummy hash, made by
 * password_init(), so that a login for an unknown user costs as much as a
 * login for a known one.
 */
#ifndef LIB_PASSWORD_H
#define LIB_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MIN		8	/* bytes */
#define PASSWORD_MAX		72	/* bytes: bcrypt's limit */
#define PASSWORD_HASH_SIZE	64	/* a bcrypt hash is 60 characters */
#define PASSWORD_COST_MIN	4
#define PASSWORD_COST_MAX	31

/* Whether `pw` (len bytes) is an acceptable new password: 8..72 bytes, no
 * NUL byte.  Sets *code ("too_short", "too_long", "invalid_characters")
 * when it is not. */
bool	password_acceptable(const char *pw, size_t len, const char **code);

/* Hashes `pw` (NUL-terminated, 1..72 bytes) with a fresh random salt at
 * `cost` (4..31) into out.  0, or -1 (logged) when the password is out of
 * bounds or libxcrypt fails. */
int	password_hash(const char *pw, int cost, char out[PASSWORD_HASH_SIZE]);

/* Whether `pw` matches `hash` (a bcrypt string).  False for a malformed
 * hash, a non-bcrypt hash and a password over 72 bytes.  The comparison
 * is constant-time. */
bool	password_verify(const char *pw, const char *hash);

/* Makes the dummy hash at `cost`.  0, or -1 when libxcrypt fails.  Called
 * once at start-up; password_verify_dummy() makes it on first use
 * otherwise. */
int	password_init(int cost);

/* Spends the time of one password_verify() against the dummy hash, for an
 * unknown user.  Always false. */
bool	password_verify_dummy(const char *pw);

#endif /* LIB_PASSWORD_H */
