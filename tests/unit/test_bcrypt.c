/* SPDX-License-Identifier: MIT */
/* tests/unit/test_bcrypt.c - lib/bcrypt.c gives libxcrypt's answers, and
 * lib/password.c checks every kind of stored hash with one or the other. */
#include <criterion/criterion.h>

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bcrypt.h"
#include "password.h"

static struct crypt_data cd;

/* A password of 0..80 bytes, 1..255 each (a C string has no NUL). */
static void
random_password(char *pw, unsigned *seed)
{
	size_t n = (size_t)(rand_r(seed) % 81);

	for (size_t i = 0; i < n; i++)
		pw[i] = (char)(1 + rand_r(seed) % 255);
	pw[n] = '\0';
}

Test(bcrypt, the_known_answers_pass)
{
	cr_assert(bcrypt_selftest());
}

Test(bcrypt, agrees_with_libxcrypt_on_random_passwords_salts_and_costs)
{
	unsigned seed = 20261130;

	for (int i = 0; i < 120; i++) {
		char		 pw[96], setting[CRYPT_GENSALT_OUTPUT_SIZE];
		char		 want[128], got[61];
		const char	*prefix = i % 3 == 2 ? "$2y$" : "$2b$";
		unsigned long	 cost = i % 10 == 9 ? 6 : i % 5 == 4 ? 5 : 4;
		const char	*h;

		random_password(pw, &seed);
		cr_assert_not_null(crypt_gensalt_rn(prefix, cost, NULL, 0,
		    setting, sizeof(setting)));
		h = crypt_rn(pw, setting, &cd, sizeof(cd));
		cr_assert_not_null(h);
		snprintf(want, sizeof(want), "%s", h);
		/* From the setting alone, and from the whole stored hash. */
		cr_assert_eq(bcrypt_compute(pw, setting, got), 0);
		cr_assert_str_eq(got, want, "password of %zu bytes, %s",
		    strlen(pw), setting);
		cr_assert_eq(bcrypt_compute(pw, want, got), 0);
		cr_assert_str_eq(got, want);
	}
}

Test(bcrypt, only_the_first_72_bytes_count)
{
	char a[100], b[100], ha[61], hb[61];
	const char *set = "$2b$04$abcdefghijklmnopqrstuu";

	memset(a, 'x', 72);
	memcpy(b, a, 72);
	strcpy(a + 72, "one ending");
	strcpy(b + 72, "another");
	cr_assert_eq(bcrypt_compute(a, set, ha), 0);
	cr_assert_eq(bcrypt_compute(b, set, hb), 0);
	cr_assert_str_eq(ha, hb);
	b[71] = 'y';
	cr_assert_eq(bcrypt_compute(b, set, hb), 0);
	cr_assert_str_neq(ha, hb);
}

Test(bcrypt, refuses_what_is_not_a_2b_or_2y_setting)
{
	static const char *bad[] = {
		"", "$2b$", "$2a$04$abcdefghijklmnopqrstuu",	/* left to libxcrypt */
		"$2x$04$abcdefghijklmnopqrstuu", "$2b$03$abcdefghijklmnopqrstuu",
		"$2b$32$abcdefghijklmnopqrstuu", "$2b$4$$abcdefghijklmnopqrstuu",
		"$2b$04$abcdefghijklmnopqrst*u", "$2b$04$abcdefghij",
		"$1$04$abcdefghijklmnopqrstuu",
	};
	char out[61];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(bcrypt_compute("password", bad[i], out), -1, "%s",
		    bad[i]);
}

Test(bcrypt, password_verify_checks_2b_2y_and_2a_hashes)
{
	static const char *prefixes[] = { "$2b$", "$2y$", "$2a$" };

	for (size_t i = 0; i < 3; i++) {
		char		 setting[CRYPT_GENSALT_OUTPUT_SIZE], hash[128];
		const char	*h;

		cr_assert_not_null(crypt_gensalt_rn(prefixes[i], 4, NULL, 0,
		    setting, sizeof(setting)));
		h = crypt_rn("correct horse battery", setting, &cd,
		    sizeof(cd));
		cr_assert_not_null(h);
		snprintf(hash, sizeof(hash), "%s", h);
		cr_assert(password_verify("correct horse battery", hash), "%s",
		    hash);
		cr_assert_not(password_verify("correct horse batterY", hash));
		cr_assert_not(password_verify("", hash));
		/* One character of the hash changed: no longer a match. */
		hash[59] = hash[59] == 'a' ? 'b' : 'a';
		cr_assert_not(password_verify("correct horse battery", hash));
	}
}
