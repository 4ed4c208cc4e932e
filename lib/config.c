/* SPDX-License-Identifier: MIT */
/*
 * config.c - environment parsing.  Numbers must be plain decimal within
 * their range; anything else stops the process before it serves.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int
fail(char *err, size_t errlen, const char *name, const char *what,
    const char *got)
{
	snprintf(err, errlen, "%s: %s, got \"%.40s\"", name, what, got);
	return -1;
}

static int
get_long(const char *(*get)(const char *), const char *name, long def,
    long lo, long hi, long *out, char *err, size_t errlen)
{
	const char	*v = get(name);
	char		*end;
	long		 n;

	if (v == NULL || *v == '\0') {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || v[0] == '+' ||
	    v[0] == '-' || v[0] == ' ' || n < lo || n > hi) {
		char what[96];

		snprintf(what, sizeof(what), "must be an integer from %ld "
		    "to %ld", lo, hi);
		return fail(err, errlen, name, what, v);
	}
	*out = n;
	return 0;
}

/* Reads the key file `path` named by variable `name` into *key, *len. */
static int
read_key_file(const char *name, const char *path, char **key, size_t *len,
    char *err, size_t errlen)
{
	FILE	*f;
	char	 buf[4097];
	size_t	 n;

	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot read %s: %s", name, path,
		    strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n == sizeof(buf)) {
		snprintf(err, errlen, "%s: %s is larger than 4096 bytes",
		    name, path);
		return -1;
	}
	/* A trailing newline from `echo` or an editor is not key material. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	*key = malloc(n + 1);
	if (*key == NULL)
		return fail(err, errlen, name, "out of memory", path);
	memcpy(*key, buf, n);
	(*key)[n] = '\0';
	*len = n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
config_load(struct config *c, const char *(*get)(const char *name),
    char *err, size_t errlen)
{
	const char	*v, *creds;
	long		 n;
	static char	 credpath[4096];

	memset(c, 0, sizeof(*c));
	v = get("QUETZAL_DATABASE_URL");
	c->database_url = v ? v : "";
	v = get("QUETZAL_CORS_ORIGINS");
	c->cors_origins = v ? v : "";

	if (get_long(get, "QUETZAL_TOKEN_TTL", 1800, 60, 86400 * 7,
	    &c->token_ttl, err, errlen) < 0 ||
	    get_long(get, "QUETZAL_REFRESH_TTL", 1209600, 60, 86400 * 365,
	    &c->refresh_ttl, err, errlen) < 0 ||
	    get_long(get, "QUETZAL_MAX_BODY", 1048576, 1024,
	    CONFIG_MAX_BODY_MAX, &c->max_body, err, errlen) < 0 ||
	    get_long(get, "QUETZAL_STATEMENT_TIMEOUT_MS", 5000, 0, 3600000,
	    &c->statement_timeout_ms, err, errlen) < 0 ||
	    get_long(get, "QUETZAL_BCRYPT_COST", 12, 4, 31, &n, err,
	    errlen) < 0)
		return -1;
	c->bcrypt_cost = (int)n;
	if (get_long(get, "QUETZAL_THREADS", 1, 1, 64, &n, err, errlen) < 0)
		return -1;
	c->threads = (int)n;
	if (get_long(get, "QUETZAL_SPARE_LOOPS", 6, 0, 64, &n, err,
	    errlen) < 0)
		return -1;
	c->spare_loops = (int)n;
	if (get_long(get, "QUETZAL_AUTOGROUP_NICE", 3, 0, 19, &n, err,
	    errlen) < 0)
		return -1;
	c->autogroup_nice = (int)n;

	v = get("QUETZAL_LOG_LEVEL");
	if (v == NULL || *v == '\0')
		c->log_level = LOG_INFO;
	else if ((c->log_level = log_level_parse(v)) < 0)
		return fail(err, errlen, "QUETZAL_LOG_LEVEL",
		    "must be debug, info, notice, warning or err", v);

	v = get("QUETZAL_JWT_SECRET_FILE");
	if ((v == NULL || *v == '\0') &&
	    (creds = get("CREDENTIALS_DIRECTORY")) != NULL && *creds != '\0') {
		snprintf(credpath, sizeof(credpath), "%s/jwt_secret", creds);
		v = credpath;
	}
	if (v != NULL && *v != '\0') {
		if (read_key_file("QUETZAL_JWT_SECRET_FILE", v, &c->jwt_key,
		    &c->jwt_key_len, err, errlen) < 0)
			return -1;
		c->jwt_key_source = "file";
	} else if ((v = get("QUETZAL_JWT_SECRET")) != NULL && *v != '\0') {
		c->jwt_key = strdup(v);
		if (c->jwt_key == NULL)
			return fail(err, errlen, "QUETZAL_JWT_SECRET",
			    "out of memory", "");
		c->jwt_key_len = strlen(v);
		c->jwt_key_source = "QUETZAL_JWT_SECRET";
	}
	if (c->jwt_key != NULL && c->jwt_key_len < CONFIG_MIN_KEY) {
		snprintf(err, errlen, "%s: the JWT key must be at least %d "
		    "bytes, it has %zu", strcmp(c->jwt_key_source, "file") ?
		    "QUETZAL_JWT_SECRET" : "QUETZAL_JWT_SECRET_FILE",
		    CONFIG_MIN_KEY, c->jwt_key_len);
		config_cleanup(c);
		return -1;
	}
	/* The key before the last rotation: tokens it signed still verify
	 * until they expire (several hosts, one key: README, Scaling out). */
	v = get("QUETZAL_JWT_SECRET_PREVIOUS_FILE");
	if (v != NULL && *v != '\0') {
		if (read_key_file("QUETZAL_JWT_SECRET_PREVIOUS_FILE", v,
		    &c->jwt_prev_key, &c->jwt_prev_key_len, err, errlen) < 0) {
			config_cleanup(c);
			return -1;
		}
		if (c->jwt_prev_key_len < CONFIG_MIN_KEY) {
			snprintf(err, errlen, "QUETZAL_JWT_SECRET_PREVIOUS_FILE: "
			    "the JWT key must be at least %d bytes, it has %zu",
			    CONFIG_MIN_KEY, c->jwt_prev_key_len);
			config_cleanup(c);
			return -1;
		}
	}
	return 0;
}

int
config_need_key(const struct config *c, char *err, size_t errlen)
{
	if (c->jwt_key != NULL)
		return 0;
	snprintf(err, errlen, "QUETZAL_JWT_SECRET_FILE: no JWT key configured "
	    "(set QUETZAL_JWT_SECRET_FILE, or QUETZAL_JWT_SECRET for "
	    "development)");
	return -1;
}

void
config_cleanup(struct config *c)
{
	if (c->jwt_key != NULL) {
		explicit_bzero(c->jwt_key, c->jwt_key_len);
		free(c->jwt_key);
	}
	c->jwt_key = NULL;
	c->jwt_key_len = 0;
	if (c->jwt_prev_key != NULL) {
		explicit_bzero(c->jwt_prev_key, c->jwt_prev_key_len);
		free(c->jwt_prev_key);
	}
	c->jwt_prev_key = NULL;
	c->jwt_prev_key_len = 0;
}
