/* SPDX-License-Identifier: MIT */
/* tests/unit/test_b64url.c - lib/b64url.c: canonical unpadded base64url. */
#include <criterion/criterion.h>

#include <string.h>

#include "b64url.h"

static ssize_t
dec(const char *s, unsigned char *out, size_t cap)
{
	return b64url_decode(s, strlen(s), out, cap);
}

Test(b64url, round_trips_every_length)
{
	unsigned char	in[40], out[40];
	char		txt[64];

	for (size_t n = 0; n < sizeof(in); n++) {
		for (size_t i = 0; i < n; i++)
			in[i] = (unsigned char)(i * 37 + n * 11 + 0xf0);
		cr_assert_eq(b64url_encode(in, n, txt), b64url_len(n));
		cr_assert_eq(strlen(txt), b64url_len(n));
		cr_assert_eq(dec(txt, out, sizeof(out)), (ssize_t)n, "%zu", n);
		cr_assert(memcmp(in, out, n) == 0);
	}
}

Test(b64url, known_answers_use_the_url_alphabet)
{
	unsigned char	out[8];
	char		txt[16];

	b64url_encode((const unsigned char *)"\xfb\xff\xbf", 3, txt);
	cr_assert_str_eq(txt, "-_-_");
	b64url_encode((const unsigned char *)"12", 2, txt);
	cr_assert_str_eq(txt, "MTI");
	cr_assert_eq(dec("MTI", out, sizeof(out)), 2);
	cr_assert(memcmp(out, "12", 2) == 0);
}

Test(b64url, refuses_everything_but_the_one_spelling)
{
	static const char *bad[] = {
		"MTJ",		/* stray low bits (2 of them) */
		"MR",		/* stray low bits (4 of them): "1" is "MQ" */
		"MTI=", "MQ==",	/* padding */
		" MTI", "MTI ", "M TI", "MT\nI",	/* blanks */
		"MTI+", "MT/I",	/* the other alphabet */
		"M", "MTIzN",	/* a length of 1 modulo 4 */
		"MT\x80I",
	};
	unsigned char out[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(dec(bad[i], out, sizeof(out)), -1, "%s", bad[i]);
	cr_assert_eq(dec("MQ", out, sizeof(out)), 1);
	cr_assert_eq(dec("", out, sizeof(out)), 0);
}

Test(b64url, never_writes_past_the_room_given)
{
	unsigned char out[3];

	cr_assert_eq(dec("MTIz", out, 3), 3);
	cr_assert_eq(dec("MTIzNA", out, 3), -1);
	cr_assert_eq(dec("MTI", out, 1), -1);
}
