/* SPDX-License-Identifier: MIT */
/*
 * bcrypt.c - bcrypt ("$2b$", Provos and Mazieres 1999, as OpenBSD and
 * libxcrypt compute it) for checking stored hashes; see bcrypt.h.
 *
 * EksBlowfishSetup(cost, salt, key): Blowfish's initial state (the digits
 * of pi, bcrypt_pi.h); ExpandKey(salt, key); then 2^cost times
 * ExpandKey(0, key) and ExpandKey(0, salt).  The key is the password and
 * its NUL, cycled, at most 72 bytes.  "OrpheanBeholderScryDoubt" is then
 * encrypted 64 times in ECB mode; the first 23 bytes of the result, in
 * bcrypt's base64, are the hash.
 */
#include "bcrypt.h"

#include <stdint.h>
#include <string.h>

#include "bcrypt_pi.h"

struct bf {
	uint32_t	S[4][256];
	uint32_t	P[18];
};

static const char itoa64[] =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#define F(s, x) ((((s)->S[0][(x) >> 24] + (s)->S[1][((x) >> 16) & 0xff]) ^ \
	(s)->S[2][((x) >> 8) & 0xff]) + (s)->S[3][(x) & 0xff])
#define ROUND(s, a, b, n)	((a) ^= F(s, b) ^ (s)->P[n])

static inline void
encipher(const struct bf *s, uint32_t *xl, uint32_t *xr)
{
	uint32_t l = *xl, r = *xr;

	l ^= s->P[0];
	ROUND(s, r, l, 1);  ROUND(s, l, r, 2);
	ROUND(s, r, l, 3);  ROUND(s, l, r, 4);
	ROUND(s, r, l, 5);  ROUND(s, l, r, 6);
	ROUND(s, r, l, 7);  ROUND(s, l, r, 8);
	ROUND(s, r, l, 9);  ROUND(s, l, r, 10);
	ROUND(s, r, l, 11); ROUND(s, l, r, 12);
	ROUND(s, r, l, 13); ROUND(s, l, r, 14);
	ROUND(s, r, l, 15); ROUND(s, l, r, 16);
	*xl = r ^ s->P[17];
	*xr = l;
}

/* 4 bytes of data, big-endian, cycling over its n bytes. */
static inline uint32_t
stream_word(const uint8_t *data, size_t n, size_t *j)
{
	uint32_t w = 0;

	for (int i = 0; i < 4; i++) {
		w = w << 8 | data[*j];
		if (++*j >= n)
			*j = 0;
	}
	return w;
}

/* The key's 18 words, XORed into P by every ExpandKey. */
static void
key_words(const uint8_t *key, size_t n, uint32_t out[18])
{
	size_t j = 0;

	for (int i = 0; i < 18; i++)
		out[i] = stream_word(key, n, &j);
}

/* ExpandKey(state, salt, key), the salt given as 4 words. */
static void
expand(struct bf *s, const uint32_t kw[18], const uint32_t salt[4])
{
	uint32_t	l = 0, r = 0;
	int		k = 0;

	for (int i = 0; i < 18; i++)
		s->P[i] ^= kw[i];
	for (int i = 0; i < 18; i += 2) {
		l ^= salt[k];
		r ^= salt[k + 1];
		k ^= 2;
		encipher(s, &l, &r);
		s->P[i] = l;
		s->P[i + 1] = r;
	}
	for (int b = 0; b < 4; b++)
		for (int i = 0; i < 256; i += 2) {
			l ^= salt[k];
			r ^= salt[k + 1];
			k ^= 2;
			encipher(s, &l, &r);
			s->S[b][i] = l;
			s->S[b][i + 1] = r;
		}
}

/* ExpandKey(state, 0, key): the cost loop's, 2^(cost + 1) times. */
static void
expand0(struct bf *s, const uint32_t kw[18])
{
	uint32_t l = 0, r = 0;

	for (int i = 0; i < 18; i++)
		s->P[i] ^= kw[i];
	for (int i = 0; i < 18; i += 2) {
		encipher(s, &l, &r);
		s->P[i] = l;
		s->P[i + 1] = r;
	}
	for (uint32_t *p = &s->S[0][0]; p < &s->S[0][0] + 4 * 256; p += 2) {
		encipher(s, &l, &r);
		p[0] = l;
		p[1] = r;
	}
}

static int
atoi64(unsigned char c)
{
	const char *p = c != '\0' ? strchr(itoa64, c) : NULL;

	return p != NULL ? (int)(p - itoa64) : -1;
}

/* bcrypt's base64 (no padding, its own alphabet) of n bytes. */
static void
encode(char *dst, const uint8_t *src, size_t n)
{
	const uint8_t *end = src + n;

	while (src < end) {
		unsigned c1 = *src++, c2;

		*dst++ = itoa64[c1 >> 2];
		c1 = (c1 & 0x03) << 4;
		if (src >= end) {
			*dst++ = itoa64[c1];
			break;
		}
		c2 = *src++;
		*dst++ = itoa64[c1 | c2 >> 4];
		c1 = (c2 & 0x0f) << 2;
		if (src >= end) {
			*dst++ = itoa64[c1];
			break;
		}
		c2 = *src++;
		*dst++ = itoa64[c1 | c2 >> 6];
		*dst++ = itoa64[c2 & 0x3f];
	}
	*dst = '\0';
}

/* The 16 salt bytes from its 22 characters (the last one's low 4 bits are
 * not used, as in libxcrypt and OpenBSD). */
static int
decode_salt(const char *s, uint8_t out[16])
{
	int v[24] = { 0 };
	size_t o = 0;

	for (int i = 0; i < 22; i++)
		if ((v[i] = atoi64((unsigned char)s[i])) < 0)
			return -1;
	for (int i = 0; o < 16; i += 4) {
		out[o++] = (uint8_t)(v[i] << 2 | v[i + 1] >> 4);
		if (o < 16)
			out[o++] = (uint8_t)((v[i + 1] & 0x0f) << 4 |
			    v[i + 2] >> 2);
		if (o < 16)
			out[o++] = (uint8_t)((v[i + 2] & 0x03) << 6 |
			    v[i + 3]);
	}
	return 0;
}

int
bcrypt_compute(const char *pw, const char *hash, char out[61])
{
	static const uint8_t magic[24] = "OrpheanBeholderScryDoubt";
	struct bf	 s;
	uint8_t		 salt[16], ct[24], key[73];
	uint32_t	 sw[4], kw[18], sk[18], cdata[6];
	size_t		 klen = strlen(pw), j = 0;
	int		 cost;

	if (strlen(hash) < 29 || hash[0] != '$' || hash[1] != '2' ||
	    (hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$' ||
	    hash[4] < '0' || hash[4] > '3' || hash[5] < '0' ||
	    hash[5] > '9' || hash[6] != '$')
		return -1;
	cost = (hash[4] - '0') * 10 + (hash[5] - '0');
	if (cost < 4 || cost > 31 || decode_salt(hash + 7, salt) < 0)
		return -1;
	if (klen > 72)
		klen = 72;
	memcpy(key, pw, klen);
	key[klen++] = '\0';		/* the NUL is part of the key */

	for (int i = 0; i < 4; i++)
		sw[i] = stream_word(salt, sizeof(salt), &j);
	key_words(key, klen, kw);
	key_words(salt, sizeof(salt), sk);
	memcpy(s.P, bf_init_p, sizeof(s.P));
	memcpy(s.S, bf_init_s, sizeof(s.S));
	expand(&s, kw, sw);
	for (uint64_t n = (uint64_t)1 << cost; n > 0; n--) {
		expand0(&s, kw);
		expand0(&s, sk);
	}
	j = 0;
	for (int i = 0; i < 6; i++)
		cdata[i] = stream_word(magic, sizeof(magic), &j);
	for (int k = 0; k < 64; k++)
		for (int i = 0; i < 6; i += 2)
			encipher(&s, &cdata[i], &cdata[i + 1]);
	for (int i = 0; i < 6; i++) {
		ct[4 * i] = (uint8_t)(cdata[i] >> 24);
		ct[4 * i + 1] = (uint8_t)(cdata[i] >> 16);
		ct[4 * i + 2] = (uint8_t)(cdata[i] >> 8);
		ct[4 * i + 3] = (uint8_t)cdata[i];
	}
	memcpy(out, hash, 7);
	encode(out + 7, salt, 16);		/* 22 characters */
	encode(out + 29, ct, 23);		/* 31 characters */
	explicit_bzero(&s, sizeof(s));
	explicit_bzero(key, sizeof(key));
	explicit_bzero(kw, sizeof(kw));
	return 0;
}

bool
bcrypt_selftest(void)
{
	/* Answers from libxcrypt 4.4.33 (crypt_rn), checked again against
	 * it by tests/unit/test_bcrypt.c: ASCII, a 72-byte password (no NUL
	 * in the key), one longer than 72 (cut), 8-bit bytes, $2y$. */
	static const struct {
		const char *pw, *hash;
	} kat[] = {
		{ "U*U",
		  "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" },
		{ "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		  "0123456789",
		  "$2b$04$abcdefghijklmnopqrstuuRAip/W0RPQX4QKkqYqXE3GIXWH518Sm" },
		{ "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		  "0123456789chars after 72 do not count",
		  "$2b$04$abcdefghijklmnopqrstuuRAip/W0RPQX4QKkqYqXE3GIXWH518Sm" },
		{ "\xc3\xa9t\xc3\xa9 \xe2\x82\xac\xff",
		  "$2b$04$R9h/cIPz0gi.URNNX3kh2OVZxrDFEeKK5fWX99sTS1OWAafQvX/Di" },
		{ "password",
		  "$2y$04$Zz9.Zz9.Zz9.Zz9.Zz9.ZuwLYiLoDfFlUgrV4.YeYtF36wB/tVjQq" },
	};
	char out[61];

	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++)
		if (bcrypt_compute(kat[i].pw, kat[i].hash, out) < 0 ||
		    strcmp(out, kat[i].hash) != 0)
			return false;
	return true;
}
