/* SPDX-License-Identifier: MIT */
/*
 * config.h - the environment of SPEC 3, read once at start-up.
 *
 * config_load() checks every variable and fails on the first bad one with a
 * single line naming it.  The result lives for the process.  The JWT key is
 * loaded but only required by the commands that need it (config_need_key).
 */
#ifndef LIB_CONFIG_H
#define LIB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level;

struct config {
	const char	*database_url;	/* "" when PG* variables apply */
	char		*jwt_key;	/* NULL when none configured */
	size_t		 jwt_key_len;
	const char	*jwt_key_source;	/* "file PATH" or "QUETZAL_JWT_SECRET" */
	char		*jwt_prev_key;	/* QUETZAL_JWT_SECRET_PREVIOUS_FILE, or NULL */
	size_t		 jwt_prev_key_len;
	long		 token_ttl;
	long		 refresh_ttl;
	int		 bcrypt_cost;
	long		 max_body;
	long		 statement_timeout_ms;
	int		 log_level;	/* enum log_level */
	const char	*cors_origins;	/* "" when none */
	int		 threads;	/* accept loops per worker process */
	int		 spare_loops;	/* and spare ones, for writes */
	int		 autogroup_nice; /* the worker's session, 0..19 */
};

#define CONFIG_MIN_KEY	32
/* The largest QUETZAL_MAX_BODY, bytes. */
#define CONFIG_MAX_BODY_MAX	(64L << 20)

/* Reads the variables through `get` (getenv in production).  Returns 0, or
 * -1 with one line in err ("QUETZAL_BCRYPT_COST: must be 4..31, got 40"). */
int	config_load(struct config *c, const char *(*get)(const char *name),
	    char *err, size_t errlen);

/* -1 with a line in err unless a key of at least CONFIG_MIN_KEY bytes is
 * configured. */
int	config_need_key(const struct config *c, char *err, size_t errlen);

/* Frees what config_load allocated. */
void	config_cleanup(struct config *c);

#endif /* LIB_CONFIG_H */
