/* SPDX-License-Identifier: MIT */
/*
 * fuzz_jwt.c - access-token verification (lib/auth.c over libjwt 1.10)
 * with the real key and with garbage.  Input: one mode byte, then
 *   mode 0: a raw token (garbage, truncated, re-encoded, anything);
 *   mode 1: "<header JSON>\n<claims JSON>", encoded and signed HS256 with
 *           the real key here, so the claim checks see any claims;
 *   mode 2: the same signed with another key (the bytes before the first
 *           '\n', or a fixed one): must never verify;
 *   mode 3: "<sub>\n<role>" issued by auth_issue() and verified back.
 * An input is up to 8 such records separated by NUL bytes, verified in
 * turn through one cache made for the input (so that a finding that
 * depends on the cache's state replays from its one file).  Each token
 * goes through auth_verify() and auth_verify_cached() twice (the second
 * time from the cache): the three answers must agree, and whatever
 * verifies must satisfy every documented check at `now`.
 */
#include "fuzz.h"

#include <openssl/hmac.h>

#include <string.h>

#include "arena.h"
#include "auth.h"
#include "route.h"

#define NOW	1750000000L

#define MAX_RECORDS	8

static struct auth_cache *cache;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_app_init();
	return 0;
}

static char *
b64url(struct arena *a, const unsigned char *s, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char	*out = arena_alloc(a, n / 3 * 4 + 5), *o = out;
	size_t	 i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = al[s[i] >> 2];
		*o++ = al[(s[i] & 3) << 4 | s[i + 1] >> 4];
		*o++ = al[(s[i + 1] & 15) << 2 | s[i + 2] >> 6];
		*o++ = al[s[i + 2] & 63];
	}
	if (n - i == 1) {
		*o++ = al[s[i] >> 2];
		*o++ = al[(s[i] & 3) << 4];
	} else if (n - i == 2) {
		*o++ = al[s[i] >> 2];
		*o++ = al[(s[i] & 3) << 4 | s[i + 1] >> 4];
		*o++ = al[(s[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

/* header.claims.signature, HS256 with `key`. */
static const char *
sign(struct arena *a, const char *hdr, size_t hlen, const char *claims,
    size_t clen, const unsigned char *key, size_t klen)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 mlen = 0;
	const char	*input;

	input = arena_printf(a, "%s.%s",
	    b64url(a, (const unsigned char *)hdr, hlen),
	    b64url(a, (const unsigned char *)claims, clen));
	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)input,
	    strlen(input), mac, &mlen) == NULL)
		abort();
	return arena_printf(a, "%s.%s", input, b64url(a, mac, mlen));
}

static void
check_claims(const struct auth_claims *c)
{
	FUZZ_CHECK(c->sub != NULL && route_is_id(c->sub));
	FUZZ_CHECK(c->role != NULL && c->role[0] != '\0');
	FUZZ_CHECK(c->jti != NULL && c->jti[0] != '\0');
	FUZZ_CHECK(c->ver >= 1 && c->ver <= INT32_MAX);
	FUZZ_CHECK(c->exp > NOW && c->iat > 0 && c->iat <= NOW + AUTH_SKEW);
	FUZZ_CHECK(c->exp > c->iat && c->exp - c->iat <= fuzz_key()->max_ttl);
	FUZZ_CHECK(c->nbf <= NOW + AUTH_SKEW);
}

static bool
same(const struct auth_claims *x, const struct auth_claims *y)
{
	return strcmp(x->sub, y->sub) == 0 && strcmp(x->role, y->role) == 0 &&
	    strcmp(x->jti, y->jti) == 0 && x->ver == y->ver &&
	    x->iat == y->iat && x->exp == y->exp && x->nbf == y->nbf;
}

/* Verifies `token` three ways; returns whether it verified. */
static bool
verify(struct arena *a, const char *token)
{
	struct auth_claims	 c1, c2, c3;
	const char		*why = NULL;
	int			 rc1, rc2, rc3;

	rc1 = auth_verify(fuzz_key(), token, NOW, a, &c1, &why);
	FUZZ_CHECK(rc1 == 0 || (rc1 == -1 && why != NULL));
	rc2 = auth_verify_cached(cache, token, NOW, a, &c2, &why);
	rc3 = auth_verify_cached(cache, token, NOW, a, &c3, &why);
	FUZZ_CHECK(rc1 == rc2 && rc2 == rc3);
	if (rc1 < 0)
		return false;
	check_claims(&c1);
	FUZZ_CHECK(same(&c1, &c2) && same(&c1, &c3));
	return true;
}

/* One record: a mode byte and its text. */
static void
record(const uint8_t *data, size_t size)
{
	static const unsigned char other[] = "another-key-0123456789abcdef-0123";
	struct arena	*a = fuzz_arena();
	char		*s, *nl;
	const char	*token;
	int		 mode;

	if (size < 1)
		return;
	mode = data[0] & 3;
	s = fuzz_cstr(data + 1, size - 1);
	nl = strchr(s, '\n');
	switch (mode) {
	case 0:
		(void)verify(a, s);
		break;
	case 1:
		if (nl == NULL)
			break;
		token = sign(a, s, (size_t)(nl - s), nl + 1, strlen(nl + 1),
		    fuzz_key()->bytes, fuzz_key()->len);
		(void)verify(a, token);
		break;
	case 2: {
		const unsigned char	*k = other;
		size_t			 klen = sizeof(other) - 1;
		char			*claims = nl ? nl + 1 : s;

		if (nl != NULL && nl > s) {
			k = (const unsigned char *)s;
			klen = (size_t)(nl - s);
		}
		if (klen == fuzz_key()->len &&
		    memcmp(k, fuzz_key()->bytes, klen) == 0)
			break;	/* the real key after all */
		token = sign(a, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27,
		    claims, strlen(claims), k, klen);
		FUZZ_CHECK(!verify(a, token));
		break;
	}
	case 3: {
		const char	*role = nl ? nl + 1 : "user", *t;
		long		 ver = 1 + (long)(size % 7);

		if (nl != NULL)
			*nl = '\0';
		if (auth_issue(fuzz_key(), s, role, ver, NOW, 900, a, &t) < 0)
			break;
		FUZZ_CHECK(verify(a, t) == (route_is_id(s) && *role != '\0' &&
		    strlen(t) <= AUTH_TOKEN_MAX));
		break;
	}
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*end = data + size, *rec = data, *nul;

	cache = auth_cache_new(fuzz_key());
	for (int i = 0; i < MAX_RECORDS && rec < end; i++) {
		nul = memchr(rec, '\0', (size_t)(end - rec));
		record(rec, nul ? (size_t)(nul - rec) : (size_t)(end - rec));
		rec = nul ? nul + 1 : end;
	}
	auth_cache_free(cache);
	arena_reset(fuzz_arena());
	return 0;
}
