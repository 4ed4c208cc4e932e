/* SPDX-License-Identifier: MIT */
/*
 * db_stub.c - lib/db.h without PostgreSQL, linked only into the fuzz
 * targets (never into quetzal or the test suites, which run against a real
 * PostgreSQL).  The fuzzers exercise the code that reads client bytes, up
 * to the db_ boundary; what a query answers is scripted by the input
 * (fuzz_db_script): per call one byte chooses a row, no row, or an error
 * that lib/db.c could record (503 for a lost server, 409 for a unique
 * violation, on the statements that can have one).  Rows have the shape
 * and NULLs that the queries in sql/queries can return (and no "no row"
 * from a statement that always returns one), so a handler that trusts its
 * SQL is not a false finding.
 *
 * The stub checks the boundary itself: every query gets the number of
 * parameters sql/gen.awk counted, every parameter is valid UTF-8 without
 * NUL bytes, and a parameter the SQL casts ("$3::bigint", "::date",
 * "::integer[]", ...) is a value of that type: PostgreSQL would refuse
 * anything else with a 22xxx error, a vague 422 for what should have been
 * a clear answer naming the field.
 */
#include "db.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fuzz.h"
#include "fuzz_db.h"
#include "http.h"
#include "jsonx.h"
#include "queries.h"

static const uint8_t	*script;
static size_t		 script_len, script_pos;
static bool		 in_tx;
static const char	*good_hash;
unsigned		 fuzz_db_calls, fuzz_db_writes;
bool			 fuzz_db_last_wrote;

void
fuzz_db_script(const uint8_t *s, size_t len)
{
	script = s;
	script_len = len;
	script_pos = 0;
	fuzz_db_calls = fuzz_db_writes = 0;
	fuzz_db_last_wrote = false;
}

void
fuzz_db_hash(const char *hash)
{
	good_hash = hash;
}

static unsigned
next_byte(void)
{
	if (script_pos < script_len)
		return script[script_pos++];
	return 0;		/* a found row, token good */
}

/*
 * What each named query returns, by name (so that a new query is a
 * missing line here, reported at start-up by fuzz_db_check(), not a build
 * error).  Column kinds, from the queries in sql/queries:
 *   o ok (t, f or NULL)   b boolean   i id   c count (0/1)   E ETag and
 *   J JSON (both NULL when the row was not found)   j JSON   h bcrypt hash
 *   r role   v token version   m migration number   f family (uuid)
 *   n a count or a number of seconds (0 by default: not locked)
 *   s an article slug
 *   I H B R V  i, h, b, r and v of a LEFT JOINed row: NULL when it was
 *   not found
 * ONE: exactly one row whenever it succeeds; W: it writes; U: a unique
 * index can refuse it (409); P: its J is NULL only when a precondition
 * failed, so a "not found" row has its first boolean (the precondition)
 * false.
 */
#define ONE	0x1
#define W	0x2
#define U	0x4
#define P	0x8

static const struct shape {
	const char	*name;
	const char	*columns;
	unsigned	 flags;
} shape_table[] = {
	{ "refresh_insert",		"i",		ONE | W },
	{ "refresh_claim",		"ifbbbibrv",	0 },
	{ "refresh_rotate",		"i",		ONE | W },
	{ "refresh_revoke_family",	"",		W },
	{ "refresh_revoke_user",	"",		W },
	{ "migration_latest",		"m",		ONE },
	{ "metrics_pg",			"nnn",		ONE },
	{ "throttle_locked_for",	"n",		ONE },
	{ "throttle_failed",		"n",		ONE | W },
	{ "throttle_clear",		"",		W },
	{ "pg_connection_limits",	"nn",		ONE },
	/* Conduit (RealWorld) */
	{ "article_list",		"j",		ONE },
	{ "article_list_tag",		"j",		ONE },
	{ "article_list_author",	"j",		ONE },
	{ "article_list_favorited",	"j",		ONE },
	{ "article_list_filtered",	"j",		ONE },
	{ "article_feed",		"oj",		ONE },
	{ "article_get",		"j",		0 },
	{ "article_insert",		"osj",		ONE | W | U },
	{ "article_update",		"obbJ",		ONE | W | P },
	{ "article_delete",		"obbc",		ONE | W },
	{ "article_favorite",		"oJ",		ONE | W },
	{ "article_unfavorite",		"oJ",		ONE | W },
	{ "tag_list",			"j",		ONE },
	{ "comment_insert",		"obJ",		ONE | W | P },
	{ "comment_list",		"j",		0 },
	{ "comment_delete",		"obbbc",	ONE | W },
	{ "conduit_user_insert",	"irvj",		ONE | W | U },
	{ "conduit_user_login",		"IRVJHBnb",	ONE },
	{ "conduit_user_get",		"irvj",		0 },
	{ "conduit_user_update",	"irvj",		W | U },
	{ "profile_get",		"j",		0 },
	{ "profile_follow",		"oJb",		ONE | W },
	{ "profile_unfollow",		"oJ",		ONE | W },
	{ "task_get",			"oEJ",		ONE },
	{ "task_insert",		"iEj",		W },
	/* never run here: db_one_grouped below runs task_insert alone */
	{ "task_insert_batch",		"niEj",		W },
	{ "task_replace",		"oEJb",		ONE | W },
	{ "task_update",		"oEJb",		ONE | W },
	{ "task_delete",		"ocb",		ONE | W },
	{ "task_list",			"oj",		ONE },
	{ "task_list_done",		"oj",		ONE },
	{ "task_list_q",		"oj",		ONE },
	{ "user_insert",		"ij",		ONE | W | U },
	{ "user_upsert_admin",		"ib",		ONE | W | U },
	{ "user_auth_check",		"r",		0 },
	{ "user_login",			"IHBRVnb",	ONE },
	{ "user_get_self",		"j",		0 },
	{ "user_get",			"j",		0 },
	{ "user_password_hash",		"h",		0 },
	{ "user_update_self",		"j",		W | U },
	{ "user_delete_self",		"i",		W },
	{ "user_update",		"j",		W },
	{ "user_delete",		"i",		W },
	{ "user_list",			"j",		ONE },
};

static const struct shape *
shape_of(int q)
{
	if (q < 0 || q >= (int)nqueries)
		return NULL;
	for (size_t i = 0; i < sizeof(shape_table) / sizeof(shape_table[0]);
	    i++)
		if (strcmp(shape_table[i].name, queries[q].name) == 0)
			return &shape_table[i];
	return NULL;
}

void
fuzz_db_check(void)
{
	bool ok = true;

	for (size_t q = 0; q < nqueries; q++)
		if (shape_of((int)q) == NULL) {
			fprintf(stderr, "tests/fuzz/db_stub.c: query %s has no "
			    "shape: add it to shape_table\n", queries[q].name);
			ok = false;
		}
	if (!ok)
		abort();
}

static const char *
value(int kind, unsigned v, bool found)
{
	switch (kind) {
	case 'o':
		return v % 5 == 3 ? NULL : v % 5 == 4 ? "f" : "t";
	case 'b':
		return v % 2 ? "f" : "t";
	case 'i':
		return v % 2 ? "9223372036854775807" : "42";
	case 'c':
		return found ? "1" : "0";
	case 'E':
		return found ? "\"42.1\"" : NULL;
	case 'J':
		return found ? "{\"id\":42}" : NULL;
	case 'j':
		return "{\"id\":42,\"items\":[]}";
	case 'h':
		return good_hash;
	case 'r':
		return v % 2 ? "admin" : "user";
	case 'v':
		return v % 2 ? "2147483647" : "1";
	case 'm':
		return v % 2 ? "0" : "999999";
	case 'f':
		return "3f8e0e0c-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
	case 's':
		return v % 2 ? "how-to-train-your-dragon-42" : "a";
	case 'n':
		return v % 2 ? "3600" : "0";
	case 'I':
	case 'H':
	case 'B':
	case 'R':
	case 'V':
		return found ? value(kind - 'A' + 'a', v, found) : NULL;
	default:
		abort();
	}
}

/* An integer PostgreSQL reads as one of [lo, hi], written plainly. */
static bool
int_in(const char *s, long long lo, long long hi)
{
	char		*end;
	long long	 v;

	if (!(*s == '-' || (*s >= '0' && *s <= '9')))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && end != s && v >= lo && v <= hi;
}

/* "{}" or "{1,2}": int4 elements. */
static bool
int_array(const char *s)
{
	char	buf[24];
	size_t	n;

	if (*s++ != '{')
		return false;
	if (strcmp(s, "}") == 0)
		return true;
	for (;;) {
		n = strcspn(s, ",}");
		if (n == 0 || n >= sizeof(buf))
			return false;
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (!int_in(buf, INT32_MIN, INT32_MAX))
			return false;
		s += n;
		if (strcmp(s, "}") == 0)
			return true;
		if (*s++ != ',')
			return false;
	}
}

/* What the handlers send as a timestamptz: the cursor's key. */
static bool
timestamp_ok(const char *s)
{
	int y, mo, d, h, mi, sec, us, n = 0;

	if (strcmp(s, "infinity") == 0)
		return true;
	if (strlen(s) != 29 || sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d.%6d+00%n",
	    &y, &mo, &d, &h, &mi, &sec, &us, &n) != 7 || n != 29)
		return false;
	return jsonx_is_date(strndupa(s, 10)) && h < 24 && mi < 60 &&
	    sec < 60;
}

/* Whether PostgreSQL takes `v` for a parameter cast to `type`. */
static bool
type_ok(const char *type, size_t tlen, const char *v)
{
#define IS(t) (tlen == sizeof(t) - 1 && memcmp(type, t, tlen) == 0)
	if (IS("bigint"))
		return int_in(v, INT64_MIN, INT64_MAX);
	if (IS("integer"))
		return int_in(v, INT32_MIN, INT32_MAX);
	if (IS("integer[]"))
		return int_array(v);
	if (IS("boolean"))
		return strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ||
		    strcmp(v, "t") == 0 || strcmp(v, "f") == 0;
	if (IS("date"))
		return jsonx_is_date(v);
	if (IS("timestamptz"))
		return timestamp_ok(v);
	return true;	/* text, and types the stub does not know */
#undef IS
}

/* Every "$n::type" of the query's SQL: the argument must be one. */
static void
check_types(int q, const char *const *args, int nargs)
{
	const char *p = queries[q].sql;

	while ((p = strchr(p, '$')) != NULL) {
		char		*end;
		long		 n;
		const char	*type;
		size_t		 tlen;

		p++;
		n = strtol(p, &end, 10);
		if (end == p || strncmp(end, "::", 2) != 0)
			continue;
		type = end + 2;
		tlen = strspn(type, "abcdefghijklmnopqrstuvwxyz_");
		if (strncmp(type + tlen, "[]", 2) == 0)
			tlen += 2;
		if (n < 1 || n > nargs || args[n - 1] == NULL)
			continue;
		if (!type_ok(type, tlen, args[n - 1])) {
			fprintf(stderr, "db_stub: %s $%ld::%.*s gets \"%s\"\n",
			    queries[q].name, n, (int)tlen, type, args[n - 1]);
			FUZZ_CHECK(!"a parameter PostgreSQL would refuse");
		}
	}
}

static void
check_args(int q, const char *const *args, int nargs)
{
	FUZZ_CHECK(q >= 0 && q < (int)nqueries);
	FUZZ_CHECK(nargs == queries[q].nparams);
	for (int i = 0; i < nargs; i++)
		if (args[i] != NULL)
			FUZZ_CHECK(http_utf8_ok(args[i], strlen(args[i])));
	check_types(q, args, nargs);
}

static bool
has(int q, unsigned flag)
{
	const struct shape *sh = shape_of(q);

	return sh != NULL && (sh->flags & flag) != 0;
}

/* What this call answers: 1 a row, 0 none, -1 an error (recorded). */
static int
outcome(struct req *r, int q, unsigned b)
{
	fuzz_db_calls++;
	fuzz_db_last_wrote = has(q, W);
	if (fuzz_db_last_wrote)
		fuzz_db_writes++;
	if (((b & 7) == 7 && !has(q, U)) || ((b & 7) == 5 && has(q, ONE)))
		b &= ~7u;
	switch (b & 7) {
	case 5:
		return 0;
	case 6:
		return http_error(r, 503, "the database is unavailable");
	case 7:
		r->err_sqlstate = "23505";
		r->err_constraint = b & 8 ? "users_email_key" :
		    "users_username_key";
		return http_error(r, 409, "conflict");
	default:
		return 1;
	}
}

void
db_init(const char *conninfo, long statement_timeout_ms,
    const struct db_query *q, size_t n)
{
	(void)conninfo;
	(void)statement_timeout_ms;
	(void)q;
	(void)n;
}

int
db_connect(void)
{
	return 0;
}

bool
db_is_up(void)
{
	return true;
}

int
db_ensure(struct req *r)
{
	(void)r;
	return 0;
}

int
db_one(struct req *r, int q, const char *const *args, int nargs,
    const char **row, int nrow)
{
	unsigned	 b;
	int		 rc;
	const char	*shape;

	check_args(q, args, nargs);
	FUZZ_CHECK(shape_of(q) != NULL);
	shape = shape_of(q)->columns;
	FUZZ_CHECK((int)strlen(shape) == nrow);
	b = next_byte();
	if ((rc = outcome(r, q, b)) != 1)
		return rc;
	for (int i = 0; i < nrow; i++)
		row[i] = value(shape[i], (b >> 3) >> (i % 5), (b & 7) != 4);
	if ((b & 7) == 4 && has(q, P) && strchr(shape, 'b') != NULL)
		row[strchr(shape, 'b') - shape] = "f";
	return 1;
}

/* One request per fuzz input: a grouped insert always runs alone. */
int
db_one_grouped(struct req *r, int q, int batch, const char *const *args,
    int nargs, const char **row, int nrow)
{
	FUZZ_CHECK(shape_of(batch) != NULL);
	return db_one(r, q, args, nargs, row, nrow);
}

int
db_exec(struct req *r, int q, const char *const *args, int nargs)
{
	unsigned	 b;
	int		 rc;

	check_args(q, args, nargs);
	b = next_byte();
	if ((rc = outcome(r, q, b)) != 1)
		return rc;
	return (int)(b >> 3) % 3;
}

int
db_all(struct req *r, int q, const char *const *args, int nargs,
    struct db_result *out)
{
	int rc;

	check_args(q, args, nargs);
	if ((rc = outcome(r, q, next_byte())) < 0)
		return rc;
	out->res = NULL;
	out->nrows = 0;
	out->ncols = 0;
	return 0;
}

const char *
db_value(const struct db_result *res, int row, int col)
{
	FUZZ_CHECK(row >= 0 && row < res->nrows && col >= 0 &&
	    col < res->ncols);
	return NULL;
}

int
db_begin(struct req *r)
{
	FUZZ_CHECK(!in_tx);
	if (outcome(r, -1, next_byte()) < 0)
		return -1;
	in_tx = true;
	return 0;
}

int
db_commit(struct req *r)
{
	FUZZ_CHECK(in_tx);
	in_tx = false;
	if (outcome(r, -1, next_byte()) < 0)
		return -1;
	return 0;
}

void
db_request_end(void)
{
	in_tx = false;
}

void
db_close(void)
{
}

/* The accept loops' connections: the fuzzers have none. */
struct db_conn	*
db_conn_new(void)
{
	return NULL;
}

void
db_conn_free(struct db_conn *c)
{
	(void)c;
}

int
db_conn_connect(struct db_conn *c)
{
	(void)c;
	return 0;
}

void
db_conn_close(struct db_conn *c)
{
	(void)c;
}

void
db_conn_request_end(struct db_conn *c)
{
	(void)c;
	in_tx = false;
}

int
db_conn_fd(const struct db_conn *c, unsigned *gen)
{
	(void)c;
	if (gen != NULL)
		*gen = 0;
	return -1;
}

void
db_conn_quiet(struct db_conn *c)
{
	(void)c;
}

int
db_status_for(const char *sqlstate)
{
	if (sqlstate == NULL)
		return 500;
	if (strcmp(sqlstate, "23505") == 0)
		return 409;
	return 500;
}

void
db_set_write_hooks(bool (*begin)(const struct req *r), void (*end)(void))
{
	(void)begin;
	(void)end;
}
