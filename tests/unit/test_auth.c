/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_auth.c - lib/auth.c at a fixed clock: what libjwt 1.10
 * lets through (alg none, other HMAC algs, alg case, missing or non-numeric
 * exp, over-long tokens) is refused, and issued tokens verify.
 */
#include <criterion/criterion.h>

#include <jwt.h>
#include <openssl/hmac.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "auth.h"

#define NOW	1800000000L
#define TTL	1800L

static const char		 secret[] =
    "0123456789abcdef0123456789abcdef-test-key";
static const struct auth_key	 key = {
	(const unsigned char *)secret, sizeof(secret) - 1, TTL, NULL
};
static struct arena		*a;
static struct auth_claims	 c;
static const char		*why;

static void setup(void) { a = arena_new(4096); }
static void teardown(void) { arena_free(a); }
TestSuite(auth, .init = setup, .fini = teardown);

/* A token signed by libjwt with `alg` and `k` (NULL: none) whose payload
 * is the JSON object `claims`.  Arena-owned. */
static const char *
sign(jwt_alg_t alg, const char *k, const char *claims)
{
	jwt_t	*jwt;
	char	*s;
	const char *out;

	cr_assert_eq(jwt_new(&jwt), 0);
	cr_assert_eq(jwt_add_grants_json(jwt, claims), 0, "%s", claims);
	cr_assert_eq(jwt_set_alg(jwt, alg, (const unsigned char *)k,
	    k ? (int)strlen(k) : 0), 0);
	s = jwt_encode_str(jwt);
	cr_assert_not_null(s);
	out = arena_strdup(a, s);
	free(s);
	jwt_free(jwt);
	return out;
}

/* Claims as we issue them, at NOW, with `extra` members appended. */
static const char *
claims(const char *extra)
{
	return arena_printf(a, "{\"sub\":\"42\",\"iat\":%ld,\"exp\":%ld,"
	    "\"jti\":\"abc\",\"role\":\"user\",\"ver\":3%s}", NOW, NOW + TTL,
	    extra);
}

static char *
b64url(const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char	*out = arena_alloc(a, n * 4 / 3 + 4), *o = out;
	size_t	 i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = t[p[i] >> 2];
		*o++ = t[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = t[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = t[p[i + 2] & 63];
	}
	if (n - i == 1) {
		*o++ = t[p[i] >> 2];
		*o++ = t[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		*o++ = t[p[i] >> 2];
		*o++ = t[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = t[(p[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

/* A token built by hand: any header, HMAC-SHA256 with our key. */
static const char *
handmade(const char *header, const char *payload)
{
	const char	*h = b64url((const unsigned char *)header,
			    strlen(header));
	const char	*p = b64url((const unsigned char *)payload,
			    strlen(payload));
	const char	*input = arena_printf(a, "%s.%s", h, p);
	unsigned char	 mac[32];
	unsigned int	 len = 0;

	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)input, strlen(input), mac, &len);
	return arena_printf(a, "%s.%s", input, b64url(mac, len));
}

static void
refused(const char *token, const char *what)
{
	why = NULL;
	cr_assert_eq(auth_verify(&key, token, NOW, a, &c, &why), -1,
	    "accepted %s: %s", what, token ? token : "(null)");
	cr_assert_not_null(why, "%s", what);
}

Test(auth, an_issued_token_verifies_with_every_claim)
{
	const char *t;

	cr_assert_eq(auth_issue(&key, "42", "admin", 7, NOW, TTL, a, &t), 0);
	cr_assert_eq(strncmp(t, "eyJ", 3), 0);
	cr_assert_eq(auth_verify(&key, t, NOW, a, &c, &why), 0, "%s", why);
	cr_assert_str_eq(c.sub, "42");
	cr_assert_str_eq(c.role, "admin");
	cr_assert_eq(c.ver, 7);
	cr_assert_eq(c.iat, NOW);
	cr_assert_eq(c.exp, NOW + TTL);
	cr_assert_eq(strlen(c.jti), 32, "jti is 128 random bits: %s", c.jti);
	cr_assert_eq(c.nbf, 0);
}

Test(auth, two_tokens_have_different_jti)
{
	const char *t1, *t2, *j1;

	cr_assert_eq(auth_issue(&key, "1", "user", 1, NOW, TTL, a, &t1), 0);
	cr_assert_eq(auth_issue(&key, "1", "user", 1, NOW, TTL, a, &t2), 0);
	cr_assert_str_neq(t1, t2);
	cr_assert_eq(auth_verify(&key, t1, NOW, a, &c, &why), 0);
	j1 = c.jti;
	cr_assert_eq(auth_verify(&key, t2, NOW, a, &c, &why), 0);
	cr_assert_str_neq(j1, c.jti);
}

Test(auth, a_libjwt_token_with_our_claims_verifies)
{
	cr_assert_eq(auth_verify(&key, sign(JWT_ALG_HS256, secret,
	    claims("")), NOW, a, &c, &why), 0, "%s", why);
	cr_assert_eq(auth_verify(&key, handmade("{\"alg\":\"HS256\","
	    "\"typ\":\"JWT\"}", claims("")), NOW, a, &c, &why), 0, "%s", why);
}

Test(auth, alg_none_is_refused)
{
	const char *none = sign(JWT_ALG_NONE, NULL, claims(""));

	/* "header.payload." as libjwt makes it */
	refused(none, "alg none, empty signature");
	/* with a signature part, so that libjwt itself must refuse it */
	refused(arena_printf(a, "%sAAAA", none), "alg none with a signature");
	refused(handmade("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims("")),
	    "alg none signed with HS256");
	refused(handmade("{\"alg\":\"NONE\",\"typ\":\"JWT\"}", claims("")),
	    "alg NONE");
}

Test(auth, hs384_and_hs512_signed_with_our_key_are_refused)
{
	refused(sign(JWT_ALG_HS384, secret, claims("")), "HS384");
	refused(sign(JWT_ALG_HS512, secret, claims("")), "HS512");
}

Test(auth, alg_is_matched_case_sensitively)
{
	refused(handmade("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", claims("")),
	    "alg hs256");
	refused(handmade("{\"alg\":\"Hs256\",\"typ\":\"JWT\"}", claims("")),
	    "alg Hs256");
}

Test(auth, a_header_without_alg_or_with_another_typ_is_refused)
{
	refused(handmade("{\"typ\":\"JWT\"}", claims("")), "no alg");
	refused(handmade("{\"alg\":\"HS256\",\"typ\":\"JWE\"}", claims("")),
	    "typ JWE");
}

Test(auth, a_wrong_key_is_refused)
{
	refused(sign(JWT_ALG_HS256, "another-key-of-32-bytes-or-more!!",
	    claims("")), "wrong key");
}

Test(auth, a_tampered_payload_is_refused)
{
	const char	*t = sign(JWT_ALG_HS256, secret, claims(""));
	const char	*dot1 = strchr(t, '.'), *dot2 = strrchr(t, '.');
	const char	*forged = "{\"sub\":\"42\",\"iat\":1800000000,"
			    "\"exp\":1800001800,\"jti\":\"abc\","
			    "\"role\":\"admin\",\"ver\":3}";
	char		*p = arena_strdup(a, t);

	/* The same claims with role admin, the original signature. */
	refused(arena_printf(a, "%.*s.%s%s", (int)(dot1 - t), t,
	    b64url((const unsigned char *)forged, strlen(forged)), dot2),
	    "role changed to admin");
	/* One flipped character in the payload. */
	p[dot1 - t + 5] = p[dot1 - t + 5] == 'A' ? 'B' : 'A';
	refused(p, "one character changed");
	/* One flipped character in the signature. */
	p = arena_strdup(a, t);
	p[strlen(p) - 3] = p[strlen(p) - 3] == 'A' ? 'B' : 'A';
	refused(p, "signature changed");
}

Test(auth, expiry_is_checked_against_now)
{
	const char *t;

	cr_assert_eq(auth_issue(&key, "42", "user", 1, NOW, TTL, a, &t), 0);
	cr_assert_eq(auth_verify(&key, t, NOW + TTL - 1, a, &c, &why), 0);
	cr_assert_eq(auth_verify(&key, t, NOW + TTL, a, &c, &why), -1);
	cr_assert_str_eq(why, "expired");
	cr_assert_eq(auth_verify(&key, t, NOW + 10 * TTL, a, &c, &why), -1);
}

Test(auth, a_missing_exp_is_refused)
{
	refused(sign(JWT_ALG_HS256, secret, arena_printf(a, "{\"sub\":\"42\","
	    "\"iat\":%ld,\"jti\":\"abc\",\"role\":\"user\",\"ver\":3}", NOW)),
	    "no exp");
}

Test(auth, a_non_numeric_exp_is_refused)
{
	const char *fmt = "{\"sub\":\"42\",\"iat\":%ld,\"exp\":%s,"
	    "\"jti\":\"abc\",\"role\":\"user\",\"ver\":3}";

	refused(sign(JWT_ALG_HS256, secret, arena_printf(a, fmt, NOW,
	    "\"1800001800\"")), "string exp");
	refused(sign(JWT_ALG_HS256, secret, arena_printf(a, fmt, NOW,
	    "1800001800.5")), "float exp");
	refused(sign(JWT_ALG_HS256, secret, arena_printf(a, fmt, NOW,
	    "true")), "boolean exp");
	refused(sign(JWT_ALG_HS256, secret, arena_printf(a, fmt, NOW,
	    "null")), "null exp");
}

Test(auth, iat_must_be_numeric_not_future_and_lifetime_bounded)
{
	refused(sign(JWT_ALG_HS256, secret, arena_printf(a, "{\"sub\":\"42\","
	    "\"exp\":%ld,\"jti\":\"abc\",\"role\":\"user\",\"ver\":3}",
	    NOW + 60)), "no iat");
	refused(sign(JWT_ALG_HS256, secret, arena_printf(a, "{\"sub\":\"42\","
	    "\"iat\":\"%ld\",\"exp\":%ld,\"jti\":\"abc\",\"role\":\"user\","
	    "\"ver\":3}", NOW, NOW + 60)), "string iat");
	refused(sign(JWT_ALG_HS256, secret, arena_printf(a, "{\"sub\":\"42\","
	    "\"iat\":%ld,\"exp\":%ld,\"jti\":\"abc\",\"role\":\"user\","
	    "\"ver\":3}", NOW + 3600, NOW + 3700)), "iat an hour ahead");
	/* A token that lives longer than the configured TTL. */
	refused(sign(JWT_ALG_HS256, secret, arena_printf(a, "{\"sub\":\"42\","
	    "\"iat\":%ld,\"exp\":%ld,\"jti\":\"abc\",\"role\":\"user\","
	    "\"ver\":3}", NOW, NOW + TTL + 1)), "lifetime over the TTL");
	/* A little clock skew is tolerated. */
	cr_assert_eq(auth_verify(&key, sign(JWT_ALG_HS256, secret,
	    arena_printf(a, "{\"sub\":\"42\",\"iat\":%ld,\"exp\":%ld,"
	    "\"jti\":\"abc\",\"role\":\"user\",\"ver\":3}", NOW + 30,
	    NOW + 60)), NOW, a, &c, &why), 0, "%s", why);
}

Test(auth, a_future_nbf_is_refused)
{
	refused(sign(JWT_ALG_HS256, secret, claims(arena_printf(a,
	    ",\"nbf\":%ld", NOW + 600))), "nbf ten minutes ahead");
	cr_assert_eq(auth_verify(&key, sign(JWT_ALG_HS256, secret,
	    claims(arena_printf(a, ",\"nbf\":%ld", NOW - 1))), NOW, a, &c,
	    &why), 0, "%s", why);
	cr_assert_eq(c.nbf, NOW - 1);
}

Test(auth, sub_role_jti_and_ver_are_required_and_typed)
{
	const char *bad[] = {
		"{\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"user\",\"ver\":1}",
		"{\"sub\":42,\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"user\",\"ver\":1}",
		"{\"sub\":\"x42\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"user\",\"ver\":1}",
		"{\"sub\":\"0\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"user\",\"ver\":1}",
		"{\"sub\":\"-1\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"user\",\"ver\":1}",
		"{\"sub\":\"99999999999999999999\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"user\",\"ver\":1}",
		"{\"sub\":\"42\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"ver\":1}",
		"{\"sub\":\"42\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"\",\"ver\":1}",
		"{\"sub\":\"42\",\"iat\":%ld,\"exp\":%ld,\"role\":\"user\",\"ver\":1}",
		"{\"sub\":\"42\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"user\"}",
		"{\"sub\":\"42\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"user\",\"ver\":0}",
		"{\"sub\":\"42\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"user\",\"ver\":\"1\"}",
		"{\"sub\":\"42\",\"iat\":%ld,\"exp\":%ld,\"jti\":\"j\",\"role\":\"user\",\"ver\":2147483648}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(sign(JWT_ALG_HS256, secret, arena_printf(a, bad[i],
		    NOW, NOW + 60)), bad[i]);
}

Test(auth, an_over_long_token_is_refused_before_libjwt)
{
	size_t	 n = 9 * 1024 * 1024;
	char	*big = malloc(n + 1);
	char	*pad = arena_alloc(a, AUTH_TOKEN_MAX + 1);

	/* 9 MB overflowed libjwt 1.10's stack (alloca): must not reach it. */
	memset(big, 'A', n);
	big[100] = '.';
	big[200] = '.';
	big[n] = '\0';
	refused(big, "9 MB token");
	free(big);
	/* A validly signed token just over the cap. */
	memset(pad, 'x', AUTH_TOKEN_MAX);
	pad[AUTH_TOKEN_MAX] = '\0';
	refused(sign(JWT_ALG_HS256, secret, claims(arena_printf(a,
	    ",\"pad\":\"%s\"", pad))), "signed token over 4096 bytes");
}

Test(auth, malformed_tokens_are_refused)
{
	const char *bad[] = { "", "abc", "a.b", "a.b.c.d", "a..c", ".b.c",
	    "a.b.", "eyJ a.b.c", "a.b.c\n", "a+b.c/d.e=f", "a.b.c%00" };

	refused(NULL, "NULL");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i], bad[i]);
}

Test(auth, bearer_and_token_schemes_are_accepted)
{
	cr_assert_str_eq(auth_bearer("Bearer abc.def.ghi"), "abc.def.ghi");
	cr_assert_str_eq(auth_bearer("bearer abc"), "abc");
	cr_assert_str_eq(auth_bearer("BEARER  abc"), "abc");
	cr_assert_str_eq(auth_bearer("Token abc"), "abc");
	cr_assert_str_eq(auth_bearer("token abc"), "abc");
}

Test(auth, other_schemes_and_empty_tokens_are_not_bearer)
{
	const char *bad[] = { "Basic dXNlcjpwYXNz", "Bearer", "Bearer ",
	    "Bearer    ", "Bearerabc", "Tokenabc", "JWT abc", "abc", "",
	    " Bearer abc", "Digest abc" };

	cr_assert_null(auth_bearer(NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_null(auth_bearer(bad[i]), "\"%s\"", bad[i]);
}

Test(auth, opaque_tokens_are_random_base64url)
{
	const char *t1 = auth_opaque_new(a), *t2 = auth_opaque_new(a);

	cr_assert_eq(strlen(t1), 43);
	cr_assert_eq(strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	    "rstuvwxyz0123456789-_"), 43, "%s", t1);
	cr_assert_str_neq(t1, t2);
}

Test(auth, opaque_hash_is_hex_sha256)
{
	cr_assert_str_eq(auth_opaque_hash(a, "abc"), "ba7816bf8f01cfea414140de5d"
	    "ae2223b00361a396177a9cb410ff61f20015ad");
	cr_assert_str_eq(auth_opaque_hash(a, "x"), auth_opaque_hash(a, "x"));
}

Test(auth, the_cache_gives_the_same_answers)
{
	struct auth_cache	*cache = auth_cache_new(&key);
	const char		*t, *other;

	cr_assert_eq(auth_issue(&key, "42", "admin", 5, NOW, TTL, a, &t), 0);
	for (int i = 0; i < 3; i++) {	/* miss, then hits */
		cr_assert_eq(auth_verify_cached(cache, t, NOW + i, a, &c,
		    &why), 0, "%s", why);
		cr_assert_str_eq(c.sub, "42");
		cr_assert_str_eq(c.role, "admin");
		cr_assert_eq(c.ver, 5);
		cr_assert_eq(c.exp, NOW + TTL);
	}
	/* A hit still expires. */
	cr_assert_eq(auth_verify_cached(cache, t, NOW + TTL, a, &c, &why), -1);
	cr_assert_str_eq(why, "expired");
	/* Refused tokens are refused every time. */
	other = sign(JWT_ALG_HS512, secret, claims(""));
	for (int i = 0; i < 2; i++)
		cr_assert_eq(auth_verify_cached(cache, other, NOW, a, &c, &why),
		    -1);
	auth_cache_free(cache);
}

/* Found by tests/fuzz/fuzz_jwt.c: an empty token matched a slot emptied
 * by a token whose claims did not fit, and got the claims left in it. */
Test(auth, an_empty_token_never_hits_the_cache)
{
	struct auth_cache	*cache = auth_cache_new(&key);
	const char		*t;

	/* Every slot filled, then emptied by tokens whose role does not fit
	 * a slot (24 bytes) but whose claims are valid. */
	for (int i = 0; i < 2000; i++) {
		cr_assert_eq(auth_issue(&key, "42", i < 1000 ? "admin" :
		    "a-role-name-longer-than-a-slot", 5, NOW, TTL, a, &t), 0);
		cr_assert_eq(auth_verify_cached(cache, t, NOW, a, &c, &why),
		    0, "%s", why);
	}
	cr_assert_eq(auth_verify_cached(cache, "", NOW, a, &c, &why), -1);
	cr_assert_str_eq(why, "malformed or over-long token");
	cr_assert_null(c.sub);
	auth_cache_free(cache);
}

Test(auth, a_cache_is_tied_to_its_key)
{
	static const char		 s2[] = "a-completely-different-key-of-40-bytes!!";
	const struct auth_key		 k2 = {
		(const unsigned char *)s2, sizeof(s2) - 1, TTL, NULL
	};
	struct auth_cache		*c1 = auth_cache_new(&key);
	struct auth_cache		*c2 = auth_cache_new(&k2);
	const char			*t;

	cr_assert_eq(auth_issue(&key, "42", "user", 1, NOW, TTL, a, &t), 0);
	cr_assert_eq(auth_verify_cached(c1, t, NOW, a, &c, &why), 0);
	cr_assert_eq(auth_verify_cached(c2, t, NOW, a, &c, &why), -1);
	auth_cache_free(c1);
	auth_cache_free(c2);
}

/* Key rotation: the new key signs, the previous one still verifies what
 * it signed until that expires (QUETZAL_JWT_SECRET_PREVIOUS_FILE). */
static const char		 old_secret[] =
    "the-key-before-the-rotation-0123456789";
static const struct auth_key	 old_key = {
	(const unsigned char *)old_secret, sizeof(old_secret) - 1, TTL, NULL
};
static const struct auth_key	 rotated = {
	(const unsigned char *)secret, sizeof(secret) - 1, TTL, &old_key
};

Test(auth, a_token_of_the_previous_key_verifies_until_it_expires)
{
	const char *t;

	cr_assert_eq(auth_issue(&old_key, "42", "user", 3, NOW, TTL, a, &t), 0);
	refused(t, "a token of another key without rotation");
	cr_assert_eq(auth_verify(&rotated, t, NOW, a, &c, &why), 0, "%s", why);
	cr_assert_str_eq(c.sub, "42");
	cr_assert_eq(c.ver, 3);
	cr_assert_eq(auth_verify(&rotated, t, NOW + TTL - 1, a, &c, &why), 0,
	    "%s", why);
	cr_assert_eq(auth_verify(&rotated, t, NOW + TTL, a, &c, &why), -1,
	    "an expired token of the previous key verified");
	cr_assert_str_eq(why, "expired");
}

Test(auth, rotation_still_refuses_other_keys_and_algs)
{
	const char *t;
	struct auth_cache *cache = auth_cache_new(&rotated);

	/* Issued with the new key: verifies, also through the cache. */
	cr_assert_eq(auth_issue(&rotated, "7", "user", 1, NOW, TTL, a, &t), 0);
	cr_assert_eq(auth_verify(&rotated, t, NOW, a, &c, &why), 0, "%s", why);
	cr_assert_eq(auth_verify(&key, t, NOW, a, &c, &why), 0,
	    "auth_issue signed with something else than the current key");
	cr_assert_eq(auth_verify_cached(cache, t, NOW, a, &c, &why), 0);
	/* A third key, alg none, HS512 by the previous key: refused. */
	t = sign(JWT_ALG_HS256, "a-third-key-that-nobody-configured!!", claims(""));
	cr_assert_eq(auth_verify(&rotated, t, NOW, a, &c, &why), -1);
	cr_assert_eq(auth_verify_cached(cache, t, NOW, a, &c, &why), -1);
	t = sign(JWT_ALG_NONE, NULL, claims(""));
	cr_assert_eq(auth_verify(&rotated, t, NOW, a, &c, &why), -1);
	t = sign(JWT_ALG_HS512, old_secret, claims(""));
	cr_assert_eq(auth_verify(&rotated, t, NOW, a, &c, &why), -1);
	cr_assert_str_eq(why, "alg is not HS256");
	/* The previous key's token through the cache, twice (hit). */
	t = sign(JWT_ALG_HS256, old_secret, claims(""));
	cr_assert_eq(auth_verify_cached(cache, t, NOW, a, &c, &why), 0, "%s", why);
	cr_assert_eq(auth_verify_cached(cache, t, NOW, a, &c, &why), 0, "%s", why);
	auth_cache_free(cache);
}
