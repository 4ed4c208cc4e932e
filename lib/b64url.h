/* SPDX-License-Identifier: MIT */
/*
 * b64url.h - unpadded base64url (RFC 4648 section 5), canonical only.
 *
 * The list cursors are base64url of a key PostgreSQL writes; a client
 * hands them back.  b64url_decode() accepts exactly the strings
 * b64url_encode() can write: the 64 letters of the URL alphabet, no
 * padding, no blanks, no length of 1 modulo 4, and zero bits in the unused
 * low bits of the last letter (so one key has one spelling).
 */
#ifndef LIB_B64URL_H
#define LIB_B64URL_H

#include <stddef.h>
#include <sys/types.h>

/* Decodes the n letters of s into out (room for cap bytes).  Returns the
 * number of bytes written, or -1 for anything not canonical or too long. */
ssize_t	b64url_decode(const char *s, size_t n, unsigned char *out,
	    size_t cap);

/* Writes base64url of the n bytes of in to out (room for at least
 * b64url_len(n) + 1) with a NUL; returns the number of letters. */
size_t	b64url_encode(const unsigned char *in, size_t n, char *out);

#define b64url_len(n)	(((n) * 4 + 2) / 3)

#endif
