/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/test_password.c - lib/password.c: bcrypt $2b$ through
 * libxcrypt, the 8..72-byte rule (never truncated), hashes made by
 * Python's bcrypt (as passlib makes them in the original app), and the
 * dummy hash for unknown users.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "password.h"

TestSuite(password);

Test(password, a_hash_is_2b_and_verifies)
{
	char h[PASSWORD_HASH_SIZE];

	cr_assert_eq(password_hash("correct horse", 4, h), 0);
	cr_assert_eq(strncmp(h, "$2b$04$", 7), 0, "%s", h);
	cr_assert_eq(strlen(h), 60);
	cr_assert(password_verify("correct horse", h));
	cr_assert_not(password_verify("correct horsE", h));
	cr_assert_not(password_verify("", h));
}

Test(password, the_cost_is_the_configured_one)
{
	char h[PASSWORD_HASH_SIZE];

	cr_assert_eq(password_hash("password", 5, h), 0);
	cr_assert_eq(strncmp(h, "$2b$05$", 7), 0, "%s", h);
	cr_assert_eq(password_hash("password", 3, h), -1, "cost below 4");
	cr_assert_eq(password_hash("password", 32, h), -1, "cost above 31");
}

Test(password, every_hash_has_its_own_salt)
{
	char h1[PASSWORD_HASH_SIZE], h2[PASSWORD_HASH_SIZE];

	cr_assert_eq(password_hash("same password", 4, h1), 0);
	cr_assert_eq(password_hash("same password", 4, h2), 0);
	cr_assert_str_neq(h1, h2);
	cr_assert(password_verify("same password", h1));
	cr_assert(password_verify("same password", h2));
}

Test(password, seventy_two_bytes_work_and_seventy_three_are_refused)
{
	char	pw[80], h[PASSWORD_HASH_SIZE];

	memset(pw, 'p', 72);
	pw[72] = '\0';
	cr_assert_eq(password_hash(pw, 4, h), 0);
	cr_assert(password_verify(pw, h));
	/* bcrypt would read only the first 72 bytes of this: a 73-byte
	 * password must not match the hash of its 72-byte prefix. */
	pw[72] = 'p';
	pw[73] = '\0';
	cr_assert_not(password_verify(pw, h));
	cr_assert_eq(password_hash(pw, 4, h), -1, "73 bytes are not hashed");
	cr_assert_eq(password_hash("", 4, h), -1);
}

Test(password, the_rules_count_bytes)
{
	const char	*code = NULL;
	char		 pw[80];

	cr_assert_not(password_acceptable("1234567", 7, &code));
	cr_assert_str_eq(code, "too_short");
	cr_assert(password_acceptable("12345678", 8, &code));
	memset(pw, 'x', 73);
	cr_assert(password_acceptable(pw, 72, &code));
	cr_assert_not(password_acceptable(pw, 73, &code));
	cr_assert_str_eq(code, "too_long");
	/* 24 characters of 3 bytes each: 72 bytes, accepted; one more
	 * character is 75 bytes, refused. */
	pw[0] = '\0';
	for (int i = 0; i < 25; i++)
		strcat(pw, "\xe2\x82\xac");	/* EURO SIGN */
	cr_assert(password_acceptable(pw, 72, &code));
	cr_assert_not(password_acceptable(pw, 75, &code));
	cr_assert_str_eq(code, "too_long");
	/* "äää" is 3 characters but 6 bytes: too short all the same. */
	cr_assert_not(password_acceptable("\xc3\xa4\xc3\xa4\xc3\xa4", 6,
	    &code));
	cr_assert_not(password_acceptable("abcd\0efgh", 9, &code));
	cr_assert_str_eq(code, "invalid_characters");
}

/* Made with Debian 12's python3-bcrypt 3.2.2, which passlib's bcrypt
 * handler uses: bcrypt.hashpw(pw, bcrypt.gensalt(cost, prefix)). */
static const struct {
	const char *password, *hash;
} python_hashes[] = {
	{ "correct horse battery staple",
	  "$2b$12$m.81yTBuwTqIjgaUO2Fv5OBJmC3d1F19QJAklNCcpKzZ7XhFrOQjm" },
	{ "p\xc3\xa4ssw\xc3\xb6rd-migrated",
	  "$2b$04$LNflcwq68wCs0aozrcq.KukxWoKI6sC8lRafJDT35/G3Jr8yBRt8S" },
	{ "legacy-2a-password",
	  "$2a$05$MwFqGprjobzSNhkjpn1l.u3Zac4FmRZPJl9feoD.LcpFD8BQQe3k6" },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	  "$2b$04$YqGecLUwt9YoDXm35amCvulkIdMN.MXr.NmRocsep5mwcedN2FgV2" },
};

Test(password, hashes_made_by_python_bcrypt_verify)
{
	for (size_t i = 0; i < sizeof(python_hashes) /
	    sizeof(python_hashes[0]); i++) {
		cr_assert(password_verify(python_hashes[i].password,
		    python_hashes[i].hash), "%s", python_hashes[i].hash);
		cr_assert_not(password_verify("wrong password",
		    python_hashes[i].hash));
	}
}

Test(password, malformed_and_foreign_hashes_never_verify)
{
	const char *bad[] = { "", "*0", "*1", "$2b$04$short",
	    "$1$saltsalt$abcdefghijklmnopqrstuv",
	    "$y$j9T$abcdefghijklmnopqrstu.$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
	    /* a valid bcrypt hash with its cost digits broken */
	    "$2b$0x$LNflcwq68wCs0aozrcq.KukxWoKI6sC8lRafJDT35/G3Jr8yBRt8S",
	    "$2b$99$LNflcwq68wCs0aozrcq.KukxWoKI6sC8lRafJDT35/G3Jr8yBRt8S",
	    "$2c$04$LNflcwq68wCs0aozrcq.KukxWoKI6sC8lRafJDT35/G3Jr8yBRt8S",
	    "plaintext-password" };

	cr_assert_not(password_verify("p\xc3\xa4ssw\xc3\xb6rd-migrated", NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(password_verify("plaintext-password", bad[i]),
		    "%s", bad[i]);
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
median3(double a, double b, double c)
{
	if ((a <= b && b <= c) || (c <= b && b <= a))
		return b;
	if ((b <= a && a <= c) || (c <= a && a <= b))
		return a;
	return c;
}

Test(password, an_unknown_user_costs_one_hash_like_a_known_one)
{
	char	h[PASSWORD_HASH_SIZE];
	double	real[3], dummy[3], t;

	cr_assert_eq(password_hash("the user's password", 8, h), 0);
	cr_assert_eq(password_init(8), 0);
	for (int i = 0; i < 3; i++) {
		t = seconds();
		cr_assert_not(password_verify("a wrong guess", h));
		real[i] = seconds() - t;
		t = seconds();
		cr_assert_not(password_verify_dummy("a wrong guess"));
		dummy[i] = seconds() - t;
	}
	t = median3(real[0], real[1], real[2]) /
	    median3(dummy[0], dummy[1], dummy[2]);
	cr_assert(t > 0.5 && t < 2.0, "known/unknown time ratio %.2f", t);
	/* The dummy never accepts its own password. */
	cr_assert_not(password_verify_dummy("dummy password for unknown users"));
}
