/* SPDX-License-Identifier: MIT */
/*
 * b64url.c - unpadded, canonical base64url (see b64url.h).
 */
#include "b64url.h"

#include <stdint.h>

static const char letters[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

ssize_t
b64url_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
	uint32_t	acc = 0;
	int		bits = 0;
	size_t		o = 0;

	if (n % 4 == 1 || n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1) > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = value((unsigned char)s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	/* Left-over bits (2 or 4) must be zero: one spelling per key. */
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (ssize_t)o;
}

size_t
b64url_encode(const unsigned char *in, size_t n, char *out)
{
	size_t	o = 0, i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];

		out[o++] = letters[v >> 18];
		out[o++] = letters[v >> 12 & 63];
		out[o++] = letters[v >> 6 & 63];
		out[o++] = letters[v & 63];
	}
	if (n - i == 1) {
		out[o++] = letters[in[i] >> 2];
		out[o++] = letters[(in[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];

		out[o++] = letters[v >> 10];
		out[o++] = letters[v >> 4 & 63];
		out[o++] = letters[(v & 15) << 2];
	}
	out[o] = '\0';
	return o;
}
