/* SPDX-License-Identifier: MIT */
/* tests/unit/test_config.c - lib/config.c: defaults, ranges, the key. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static const char *vars[32][2];

static const char *
get(const char *name)
{
	for (int i = 0; vars[i][0] != NULL; i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1];
	return NULL;
}

static void
set(int i, const char *name, const char *value)
{
	vars[i][0] = name;
	vars[i][1] = value;
	vars[i + 1][0] = NULL;
}

Test(config, defaults)
{
	struct config c;
	char err[256];

	vars[0][0] = NULL;
	cr_assert_eq(config_load(&c, get, err, sizeof(err)), 0);
	cr_assert_eq(c.token_ttl, 1800);
	cr_assert_eq(c.refresh_ttl, 1209600);
	cr_assert_eq(c.bcrypt_cost, 12);
	cr_assert_eq(c.max_body, 1048576);
	cr_assert_eq(c.statement_timeout_ms, 5000);
	cr_assert_eq(c.log_level, LOG_INFO);
	cr_assert_eq(c.autogroup_nice, 3);
	cr_assert_str_eq(c.database_url, "");
	cr_assert_null(c.jwt_key);
	cr_assert_eq(config_need_key(&c, err, sizeof(err)), -1);
}

Test(config, bad_values_name_the_variable)
{
	const char *cases[][2] = {
		{ "QUETZAL_BCRYPT_COST", "3" }, { "QUETZAL_BCRYPT_COST", "32" },
		{ "QUETZAL_BCRYPT_COST", "12x" }, { "QUETZAL_TOKEN_TTL", "-5" },
		{ "QUETZAL_TOKEN_TTL", "1e3" }, { "QUETZAL_MAX_BODY", " 10" },
		{ "QUETZAL_LOG_LEVEL", "verbose" },
		{ "QUETZAL_STATEMENT_TIMEOUT_MS", "99999999999999999999" },
		{ "QUETZAL_JWT_SECRET", "short" },
		{ "QUETZAL_AUTOGROUP_NICE", "-1" },
		{ "QUETZAL_AUTOGROUP_NICE", "20" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char err[256] = "";

		set(0, cases[i][0], cases[i][1]);
		cr_assert_eq(config_load(&c, get, err, sizeof(err)), -1,
		    "%s=%s", cases[i][0], cases[i][1]);
		cr_assert_not_null(strstr(err, cases[i][0]), "%s", err);
		cr_assert_null(strchr(err, '\n'));
	}
}

Test(config, values_are_read)
{
	struct config c;
	char err[256];

	set(0, "QUETZAL_BCRYPT_COST", "4");
	set(1, "QUETZAL_LOG_LEVEL", "debug");
	set(2, "QUETZAL_JWT_SECRET", "0123456789abcdef0123456789abcdef");
	set(3, "QUETZAL_DATABASE_URL", "postgresql:///quetzal");
	set(4, "QUETZAL_AUTOGROUP_NICE", "0");
	cr_assert_eq(config_load(&c, get, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.bcrypt_cost, 4);
	cr_assert_eq(c.autogroup_nice, 0);
	cr_assert_eq(c.log_level, LOG_DEBUG);
	cr_assert_eq(c.jwt_key_len, 32);
	cr_assert_str_eq(c.database_url, "postgresql:///quetzal");
	cr_assert_eq(config_need_key(&c, err, sizeof(err)), 0);
	config_cleanup(&c);
}

Test(config, key_file_wins_and_short_files_are_refused)
{
	struct config c;
	char err[256], path[] = "/tmp/quetzal-key-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "0123456789abcdef0123456789abcdefXY\n", 35), 35);
	close(fd);
	set(0, "QUETZAL_JWT_SECRET_FILE", path);
	set(1, "QUETZAL_JWT_SECRET", "ignored-ignored-ignored-ignored-ignored");
	cr_assert_eq(config_load(&c, get, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.jwt_key_len, 34, "the trailing newline is not key");
	cr_assert_eq(memcmp(c.jwt_key, "0123456789abcdef", 16), 0);
	config_cleanup(&c);

	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "short\n", 6), 6);
	close(fd);
	cr_assert_eq(config_load(&c, get, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "QUETZAL_JWT_SECRET_FILE"), "%s", err);
	unlink(path);

	set(0, "QUETZAL_JWT_SECRET_FILE", "/nonexistent/key");
	cr_assert_eq(config_load(&c, get, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/key"));
}

Test(config, credentials_directory_is_the_default_key_file)
{
	struct config c;
	char err[256], dir[] = "/tmp/quetzal-cred-XXXXXX", path[300];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/jwt_secret", dir);
	f = fopen(path, "w");
	fputs("k0123456789abcdef0123456789abcdef", f);
	fclose(f);
	set(0, "CREDENTIALS_DIRECTORY", dir);
	cr_assert_eq(config_load(&c, get, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.jwt_key_len, 33);
	config_cleanup(&c);
	unlink(path);
	rmdir(dir);
}

Test(config, previous_key_file_is_read_and_checked)
{
	struct config c;
	char err[256], path[] = "/tmp/quetzal-prev-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "previous-0123456789abcdef0123456789\n", 36), 36);
	close(fd);
	set(0, "QUETZAL_JWT_SECRET", "0123456789abcdef0123456789abcdef");
	set(1, "QUETZAL_JWT_SECRET_PREVIOUS_FILE", path);
	cr_assert_eq(config_load(&c, get, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.jwt_prev_key_len, 35);
	cr_assert_eq(memcmp(c.jwt_prev_key, "previous-", 9), 0);
	config_cleanup(&c);
	cr_assert_null(c.jwt_prev_key);

	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "short\n", 6), 6);
	close(fd);
	cr_assert_eq(config_load(&c, get, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "QUETZAL_JWT_SECRET_PREVIOUS_FILE"),
	    "%s", err);
	unlink(path);
	cr_assert_eq(config_load(&c, get, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "QUETZAL_JWT_SECRET_PREVIOUS_FILE: "
	    "cannot read"), "%s", err);

	set(1, "QUETZAL_JWT_SECRET_PREVIOUS_FILE", "");
	cr_assert_eq(config_load(&c, get, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(c.jwt_prev_key);
	config_cleanup(&c);
}
