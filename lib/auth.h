/* SPDX-License-Identifier: MIT */
/*
 * auth.h - access tokens (HS256 JWT through libjwt) and opaque refresh
 * tokens.
 *
 * Debian 12's libjwt 1.10 takes the algorithm from the token, accepts
 * "none" without a key, and checks no claim at all
 * (shared/notes/dependencies.md).  auth_verify() therefore pins HS256,
 * caps the token's length before libjwt sees it, and checks exp, iat, nbf,
 * sub, ver and jti itself against a `now` the caller passes, so tests run
 * on a fixed clock.  The key lives for the process; every string handed
 * back is arena-owned.  Whether the user behind a valid token still exists,
 * is active and has this token version is the application's question.
 */
#ifndef LIB_AUTH_H
#define LIB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct arena;

#define AUTH_KEY_MIN	32	/* bytes, RFC 7518 3.2 */
#define AUTH_TOKEN_MAX	4096	/* longer tokens are refused unread */
#define AUTH_SKEW	60	/* seconds of clock skew allowed for iat, nbf */

struct auth_key {
	const unsigned char	*bytes;	/* borrowed: lives for the process */
	size_t			 len;	/* at least AUTH_KEY_MIN */
	long			 max_ttl;	/* exp - iat may not exceed it */
	/* The key before the last rotation, or NULL: auth_verify also
	 * accepts its signature (every other check is the same), so tokens
	 * issued before a rotation live until they expire.  auth_issue
	 * never signs with it. */
	const struct auth_key	*previous;
};

/* What a verified token says.  Strings are arena-owned. */
struct auth_claims {
	const char	*sub;	/* the user id: a positive decimal integer */
	const char	*role;	/* non-empty; its meaning is the app's */
	const char	*jti;
	long		 ver;	/* the user's token version, 1..INT32_MAX */
	long		 iat;
	long		 exp;
	long		 nbf;	/* 0 when absent */
};

/*
 * Signs a token for user `sub` with `role` and token version `ver`, issued
 * at `now` and valid for `ttl` seconds, with a fresh random jti.  Returns
 * 0 with *token set (arena-owned), or -1 (logged) when libjwt fails.
 */
int		 auth_issue(const struct auth_key *key, const char *sub,
		    const char *role, long ver, time_t now, long ttl,
		    struct arena *a, const char **token);

/*
 * Verifies `token` at time `now`: at most AUTH_TOKEN_MAX bytes of
 * base64url in three parts, an HS256 signature by `key` (any other alg,
 * "none" included, is refused), a numeric exp after now, a numeric iat not
 * in the future with exp - iat within key->max_ttl (a signature by
 * key->previous is accepted too), no nbf in the future,
 * a numeric string sub, a string role and jti, and an integer ver from 1
 * to INT32_MAX.
 * Returns 0 with *out filled, or -1 with a short reason in *why (static
 * text, for the log: never for the client).
 */
int		 auth_verify(const struct auth_key *key, const char *token,
		    time_t now, struct arena *a, struct auth_claims *out,
		    const char **why);

/*
 * The token in an Authorization header value: "Bearer <t>" or
 * "Token <t>", the scheme case-insensitive (RFC 9110 11.1).  Returns a
 * pointer into `header`, or NULL for a missing header, another scheme or
 * an empty token.
 */
const char	*auth_bearer(const char *header);

/* A new opaque token: 32 random bytes as 43 base64url characters,
 * arena-owned.  Refresh tokens are these. */
char		*auth_opaque_new(struct arena *a);

/* The SHA-256 of `token` as 64 lowercase hex digits, arena-owned: what is
 * stored instead of a refresh token. */
char		*auth_opaque_hash(struct arena *a, const char *token);

/*
 * A small per-process cache of verified tokens.  A token that is byte for
 * byte one verified before has the same signature check and claims, so
 * only exp is checked again against `now`; this saves libjwt's parse and
 * HMAC (about 6 us) on every request of a client that reuses its token.
 * The cache is tied to one key.
 */
struct auth_cache;

/* A cache for `key` (borrowed, must outlive it); auth_cache_free frees. */
struct auth_cache *auth_cache_new(const struct auth_key *key);
void		 auth_cache_free(struct auth_cache *c);

/* auth_verify through the cache: same contract, same answers. */
int		 auth_verify_cached(struct auth_cache *c, const char *token,
		    time_t now, struct arena *a, struct auth_claims *out,
		    const char **why);

#endif /* LIB_AUTH_H */
