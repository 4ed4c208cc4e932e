/* SPDX-License-Identifier: MIT */
/*
 * auth.c - libjwt 1.10 made safe to use: it checks the signature with the
 * algorithm the token names and nothing else, so every rule of SPEC 4.3
 * about the token is enforced here, after jwt_decode().  A jwt_t is not on
 * the arena: one exit frees it.
 */
#include "auth.h"

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "log.h"
#include "route.h"

static void
hex(char *dst, const unsigned char *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 15];
	}
	dst[2 * n] = '\0';
}

int
auth_issue(const struct auth_key *key, const char *sub, const char *role,
    long ver, time_t now, long ttl, struct arena *a, const char **token)
{
	jwt_t		*jwt = NULL;
	unsigned char	 raw[16];
	char		 jti[33], *s = NULL;
	int		 ret = -1;

	if (key->len < AUTH_KEY_MIN)
		die("auth_issue: the key is shorter than %d bytes",
		    AUTH_KEY_MIN);
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		die("RAND_bytes failed");
	hex(jti, raw, sizeof(raw));
	if (jwt_new(&jwt) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_HS256, key->bytes, (int)key->len) != 0 ||
	    jwt_add_grant(jwt, "sub", sub) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)now) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)now + ttl) != 0 ||
	    jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_add_grant(jwt, "role", role) != 0 ||
	    jwt_add_grant_int(jwt, "ver", ver) != 0 ||
	    (s = jwt_encode_str(jwt)) == NULL) {
		log_msg(LOG_ERR, "cannot sign a token: %s", strerror(errno));
		goto cleanup;
	}
	*token = arena_strdup(a, s);
	ret = 0;
cleanup:
	free(s);
	if (jwt != NULL)
		jwt_free(jwt);
	return ret;
}

/* Three non-empty base64url parts: anything else never reaches libjwt,
 * whose decoder puts a copy of each part on the stack. */
static bool
well_formed(const char *token, size_t len)
{
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t	part = 0, dots = 0;

	if (len == 0 || len > AUTH_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (token[i] == '.') {
			if (part == 0)
				return false;
			dots++;
			part = 0;
		} else if (memchr(b64url, token[i], sizeof(b64url) - 1) ==
		    NULL)
			return false;
		else
			part++;
	}
	return dots == 2 && part > 0;
}

/* An integer claim: 0 with *v set, -1 when absent.  libjwt 1.10 gives 0
 * with errno 0 for a string or a float, so callers range-check *v. */
static int
int_claim(jwt_t *jwt, const char *name, long *v)
{
	errno = 0;
	*v = jwt_get_grant_int(jwt, name);
	return errno == 0 ? 0 : -1;
}

/* jwt_decode with the key before the last rotation, when there is one. */
static int
decode_previous(jwt_t **jwt, const char *token, const struct auth_key *prev)
{
	*jwt = NULL;
	if (prev == NULL || prev->len < AUTH_KEY_MIN)
		return -1;
	return jwt_decode(jwt, token, prev->bytes, (int)prev->len);
}

int
auth_verify(const struct auth_key *key, const char *token, time_t now,
    struct arena *a, struct auth_claims *out, const char **why)
{
	jwt_t		*jwt = NULL;
	const char	*alg, *sub, *role, *jti;
	long		 exp, iat, nbf, ver;
	int		 ret = -1;

	memset(out, 0, sizeof(*out));
	if (key->len < AUTH_KEY_MIN)
		die("auth_verify: the key is shorter than %d bytes",
		    AUTH_KEY_MIN);
	if (token == NULL || !well_formed(token, strlen(token))) {
		*why = "malformed or over-long token";
		return -1;
	}
	/* With a key, libjwt refuses "none"; it takes any HS alg.  A token
	 * signed before the last rotation carries the previous key's
	 * signature. */
	if (jwt_decode(&jwt, token, key->bytes, (int)key->len) != 0 &&
	    decode_previous(&jwt, token, key->previous) != 0) {
		*why = "bad signature or format";
		goto cleanup;
	}
	/* libjwt 1.10 matches alg case-insensitively: check the text too. */
	alg = jwt_get_header(jwt, "alg");
	if (jwt_get_alg(jwt) != JWT_ALG_HS256 || alg == NULL ||
	    strcmp(alg, "HS256") != 0) {
		*why = "alg is not HS256";
		goto cleanup;
	}
	if (int_claim(jwt, "exp", &exp) < 0 || exp <= 0) {
		*why = "no numeric exp";
		goto cleanup;
	}
	if (exp <= (long)now) {
		*why = "expired";
		goto cleanup;
	}
	if (int_claim(jwt, "iat", &iat) < 0 || iat <= 0 ||
	    iat > (long)now + AUTH_SKEW || exp <= iat ||
	    exp - iat > key->max_ttl) {
		*why = "no numeric iat, iat in the future, or lifetime too long";
		goto cleanup;
	}
	if (int_claim(jwt, "nbf", &nbf) < 0)
		nbf = 0;
	else if (nbf > (long)now + AUTH_SKEW) {
		*why = "not valid yet (nbf)";
		goto cleanup;
	}
	sub = jwt_get_grant(jwt, "sub");
	role = jwt_get_grant(jwt, "role");
	jti = jwt_get_grant(jwt, "jti");
	if (sub == NULL || !route_is_id(sub) || role == NULL ||
	    *role == '\0' || jti == NULL || *jti == '\0') {
		*why = "sub, role or jti missing or malformed";
		goto cleanup;
	}
	/* users.token_version is an integer column. */
	if (int_claim(jwt, "ver", &ver) < 0 || ver < 1 || ver > INT32_MAX) {
		*why = "no numeric ver";
		goto cleanup;
	}
	/* The jwt's strings die with it below. */
	out->sub = arena_strdup(a, sub);
	out->role = arena_strdup(a, role);
	out->jti = arena_strdup(a, jti);
	out->ver = ver;
	out->iat = iat;
	out->exp = exp;
	out->nbf = nbf;
	ret = 0;
cleanup:
	if (jwt != NULL)
		jwt_free(jwt);
	return ret;
}

const char *
auth_bearer(const char *header)
{
	const char *p;

	if (header == NULL)
		return NULL;
	if (strncasecmp(header, "Bearer ", 7) == 0)
		p = header + 7;
	else if (strncasecmp(header, "Token ", 6) == 0)
		p = header + 6;
	else
		return NULL;
	while (*p == ' ')
		p++;
	return *p != '\0' ? p : NULL;
}

char *
auth_opaque_new(struct arena *a)
{
	unsigned char	 raw[32];
	char		*out = arena_alloc(a, 48);	/* 44 + NUL, rounded */
	int		 n;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		die("RAND_bytes failed");
	n = EVP_EncodeBlock((unsigned char *)out, raw, sizeof(raw));
	/* base64 -> base64url without padding (RFC 4648 5). */
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p != '\0'; p++)
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	return out;
}

char *
auth_opaque_hash(struct arena *a, const char *token)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*out = arena_alloc(a, 2 * sizeof(md) + 1);

	SHA256((const unsigned char *)token, strlen(token), md);
	hex(out, md, sizeof(md));
	return out;
}

/*
 * The cache: direct-mapped by a hash of the token.  An entry holds the
 * whole token and is compared in full, in constant time, so a hit means
 * "this exact string was verified with this key".
 */
#define CACHE_SLOTS	16
#define CACHE_TOKEN	512

struct cache_slot {
	size_t	len;			/* 0: empty */
	char	token[CACHE_TOKEN];
	char	sub[24];
	char	role[24];
	char	jti[48];
	long	ver, iat, exp, nbf;
};

struct auth_cache {
	const struct auth_key	*key;
	struct cache_slot	 slots[CACHE_SLOTS];
};

struct auth_cache *
auth_cache_new(const struct auth_key *key)
{
	struct auth_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		die("out of memory");
	c->key = key;
	return c;
}

void
auth_cache_free(struct auth_cache *c)
{
	if (c == NULL)
		return;
	explicit_bzero(c, sizeof(*c));
	free(c);
}

/* FNV-1a: spreads tokens over slots; not a security boundary. */
static size_t
slot_of(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return (size_t)(h % CACHE_SLOTS);
}

static bool
fits(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

int
auth_verify_cached(struct auth_cache *c, const char *token, time_t now,
    struct arena *a, struct auth_claims *out, const char **why)
{
	struct cache_slot	*s;
	size_t			 len;

	/* An empty token would match any empty slot (len 0), whose claims
	 * may be left from a token evicted without a successor: no cache. */
	if (token == NULL || (len = strlen(token)) == 0 || len >= CACHE_TOKEN)
		return auth_verify(c->key, token, now, a, out, why);
	s = &c->slots[slot_of(token, len)];
	if (s->len == len && CRYPTO_memcmp(s->token, token, len) == 0) {
		/* The same checks auth_verify makes that depend on now. */
		memset(out, 0, sizeof(*out));
		if (s->exp <= (long)now) {
			*why = "expired";
			return -1;
		}
		if (s->iat > (long)now + AUTH_SKEW) {
			*why = "no numeric iat, iat in the future, or "
			    "lifetime too long";
			return -1;
		}
		if (s->nbf > (long)now + AUTH_SKEW) {
			*why = "not valid yet (nbf)";
			return -1;
		}
		out->sub = arena_strdup(a, s->sub);
		out->role = arena_strdup(a, s->role);
		out->jti = arena_strdup(a, s->jti);
		out->ver = s->ver;
		out->iat = s->iat;
		out->exp = s->exp;
		out->nbf = s->nbf;
		return 0;
	}
	if (auth_verify(c->key, token, now, a, out, why) < 0)
		return -1;
	s->len = 0;
	if (fits(s->sub, sizeof(s->sub), out->sub) &&
	    fits(s->role, sizeof(s->role), out->role) &&
	    fits(s->jti, sizeof(s->jti), out->jti)) {
		memcpy(s->token, token, len);
		s->ver = out->ver;
		s->iat = out->iat;
		s->exp = out->exp;
		s->nbf = out->nbf;
		s->len = len;
	}
	return 0;
}
