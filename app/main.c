/* SPDX-License-Identifier: MIT */
/*
 * main.c - the command line of SPEC 2.  Configuration is read once, here,
 * before anything else; a bad value stops the process with one line.
 */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "hashgate.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "queries.h"
#include "worker.h"

extern const struct migration	migrations[];
extern const size_t		nmigrations;

struct config app_config;

static const char usage[] =
"usage: quetzal <command> [options]\n"
"\n"
"commands:\n"
"  serve [--listen PATH|HOST:PORT]  run a FastCGI worker (default: the socket\n"
"                                   from systemd, else fd 0 as spawn-fcgi gives)\n"
"  migrate [--status]               apply pending migrations, or list them\n"
"  check-config [--hosts H] [--loops L]\n"
"                                   validate the configuration and the database;\n"
"                                   warn when PostgreSQL takes fewer connections\n"
"                                   than H app hosts x L accept loops each need\n"
"                                   (default 1 x 2)\n"
"  create-admin --email E           create an admin, or promote the user with\n"
"                                   that email; the password is read from stdin\n"
"  --help, --version\n"
"\n"
"configuration comes from QUETZAL_* environment variables: see README.md\n";

static const char *
env_get(const char *name)
{
	return getenv(name);
}

static int
load_config(void)
{
	char err[512];

	if (config_load(&app_config, env_get, err, sizeof(err)) < 0) {
		fprintf(stderr, "quetzal: %s\n", err);
		return -1;
	}
	log_init(app_config.log_level);
	return 0;
}

static int
cmd_serve(int argc, char **argv)
{
	struct worker_app	 app = { 0 };
	const char		*listen = NULL;
	char			 err[512];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			listen = argv[++i];
		else {
			fprintf(stderr, "quetzal: serve: unknown argument "
			    "\"%s\"\n%s", argv[i], usage);
			return 2;
		}
	}
	if (config_need_key(&app_config, err, sizeof(err)) < 0) {
		fprintf(stderr, "quetzal: %s\n", err);
		return 1;
	}
	db_init(app_config.database_url, app_config.statement_timeout_ms,
	    queries, nqueries);
	app.routes = app_routes;
	app.nroutes = app_nroutes;
	app.max_body = app_config.max_body;
	app.loops = app_config.threads;
	app.spare_loops = app_config.spare_loops;
	app.autogroup_nice = app_config.autogroup_nice;
	if (app_auth_init(&app_config) < 0 || hashgate_init_env() < 0)
		return 1;
	app.authenticate = app_authenticate;
	app.loop_init = app_auth_loop_init;
	app.loop_fini = app_auth_loop_fini;
	/* The pool's shared counters, in QUETZAL_RUNTIME_DIR (make run, the
	 * tests), else systemd's RuntimeDirectory= (quetzal-pool). */
	if (metrics_open(getenv("QUETZAL_RUNTIME_DIR") != NULL ?
	    getenv("QUETZAL_RUNTIME_DIR") : getenv("RUNTIME_DIRECTORY"),
	    getenv("QUETZAL_METRICS"), err, sizeof(err)) < 0) {
		fprintf(stderr, "quetzal: %s\n", err);
		return 1;
	}
	return worker_serve(&app, listen);
}

static int
cmd_migrate(int argc, char **argv)
{
	int status_only = 0, n;

	if (argc == 1 && strcmp(argv[0], "--status") == 0)
		status_only = 1;
	else if (argc != 0) {
		fprintf(stderr, "quetzal: migrate: unknown argument \"%s\"\n",
		    argv[0]);
		return 2;
	}
	n = migrate_run(app_config.database_url, migrations, nmigrations,
	    status_only, stdout);
	if (n < 0)
		return 1;
	return 0;
}

/*
 * Every accept loop holds one connection for its life, migrations and
 * the backup one each: H hosts x L loops + 2 must fit in what the server
 * takes (max_connections less the superuser-reserved ones) and in the
 * role's own connection limit.  A shortfall is a warning: the config is
 * valid, but the last loops to start would answer 503 for ever.
 */
static void
check_connections(long hosts, long loops)
{
	struct arena	*a = arena_new(4096);
	struct req	 r;
	const char	*row[2];
	long		 need = hosts * loops + 2, take, role;

	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "check-config";
	if (db_one(&r, Q_PG_CONNECTION_LIMITS, DB_NOARGS, DB_ROW(row)) == 1 &&
	    row[0] != NULL) {
		take = atol(row[0]);
		role = row[1] != NULL ? atol(row[1]) : -1;
		if (role >= 0 && role < take)
			take = role;
		printf("connections    %ld host(s) x %ld loop(s) + 2 = %ld "
		    "needed, the server takes %ld\n", hosts, loops, need, take);
		if (take < need)
			printf("WARNING        max_connections is too low for "
			    "%ld hosts x %ld accept loops: raise it to at least "
			    "%ld (plus the superuser-reserved ones), or run "
			    "fewer loops\n", hosts, loops, need);
	}
	arena_free(a);
}

static int
cmd_check_config(int argc, char **argv)
{
	char	err[512];
	int	ok = 1;
	long	hosts = 1, loops = 2;

	for (int i = 0; i < argc; i++) {
		char		*end;
		long		*v = NULL;

		if (strcmp(argv[i], "--hosts") == 0)
			v = &hosts;
		else if (strcmp(argv[i], "--loops") == 0)
			v = &loops;
		if (v == NULL || i + 1 >= argc) {
			fprintf(stderr, "quetzal: check-config: unknown "
			    "argument \"%s\"\n", argv[i]);
			return 2;
		}
		*v = strtol(argv[++i], &end, 10);
		if (*end != '\0' || *v < 1 || *v > 100000) {
			fprintf(stderr, "quetzal: check-config: %s: a number "
			    "from 1 to 100000\n", argv[i - 1]);
			return 2;
		}
	}
	printf("database       %s\n", app_config.database_url[0] ?
	    "QUETZAL_DATABASE_URL" : "libpq defaults (PG* variables)");
	if (config_need_key(&app_config, err, sizeof(err)) < 0) {
		printf("jwt key        MISSING: %s\n", err);
		ok = 0;
	} else
		printf("jwt key        %zu bytes from %s\n",
		    app_config.jwt_key_len, app_config.jwt_key_source);
	if (app_config.jwt_prev_key != NULL)
		printf("previous key   %zu bytes (tokens it signed still "
		    "verify)\n", app_config.jwt_prev_key_len);
	printf("token ttl      %lds\nrefresh ttl    %lds\nbcrypt cost    "
	    "%d\nmax body       %ld bytes\nstmt timeout   %ldms\n"
	    "cors origins   %s\nthreads        %d per worker, and %d spare "
	    "for writes\nautogroup nice %d\n", app_config.token_ttl,
	    app_config.refresh_ttl, app_config.bcrypt_cost,
	    app_config.max_body, app_config.statement_timeout_ms,
	    app_config.cors_origins[0] ? app_config.cors_origins : "(none)",
	    app_config.threads, app_config.spare_loops,
	    app_config.autogroup_nice);
	{
		char	*text = NULL;
		size_t	 len = 0;
		FILE	*f = open_memstream(&text, &len);
		int	 pending = migrate_run(app_config.database_url,
			    migrations, nmigrations, 1, f);

		fclose(f);
		if (pending < 0) {
			/* The runner's own words: unreachable, or a changed
			 * or missing migration. */
			printf("database       PROBLEM: %s", text);
			ok = 0;
		} else if (pending > 0) {
			printf("database       reachable, %d of %zu migrations "
			    "pending (run quetzal migrate)\n", pending,
			    nmigrations);
			ok = 0;
		} else {
			db_init(app_config.database_url,
			    app_config.statement_timeout_ms, queries,
			    nqueries);
			log_init(LOG_WARNING - 1);
			if (db_connect() < 0) {
				printf("database       migrated, but a query "
				    "does not prepare\n");
				ok = 0;
			} else {
				printf("database       reachable, migrated "
				    "(%zu), %zu queries prepared\n",
				    nmigrations, nqueries);
				check_connections(hosts, loops);
				db_close();
			}
		}
		free(text);
	}
	printf("%s\n", ok ? "ok" : "configuration has problems");
	return ok ? 0 : 1;
}

/* --- create-admin (users and auth, SPEC 2) --- */

/* One line of stdin without its newline into buf; echo off on a
 * terminal.  0, or -1 at end of input, for a NUL byte in the line (which
 * would cut the password short) or a line that does not fit. */
static int
read_password(char *buf, size_t size)
{
	struct termios	 old, quiet;
	int		 tty = isatty(STDIN_FILENO) &&
			    tcgetattr(STDIN_FILENO, &old) == 0;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	int		 ret = -1;

	if (tty) {
		fputs("password: ", stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	n = getline(&line, &cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n >= 0 && (size_t)n < size && memchr(line, '\0', (size_t)n) ==
	    NULL) {
		memcpy(buf, line, (size_t)n);
		buf[n] = '\0';
		ret = 0;
	}
	if (line != NULL) {
		explicit_bzero(line, cap);
		free(line);
	}
	return ret;
}

static int
cmd_create_admin(int argc, char **argv)
{
	struct arena	*a;
	struct req	 r;
	const char	*email = NULL;
	char		 pw[256];
	int		 rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
			email = argv[++i];
		else {
			fprintf(stderr, "quetzal: create-admin: unknown "
			    "argument \"%s\"\n", argv[i]);
			return 2;
		}
	}
	if (email == NULL) {
		fprintf(stderr, "quetzal: create-admin: --email is required\n");
		return 2;
	}
	if (read_password(pw, sizeof(pw)) < 0) {
		fprintf(stderr, "quetzal: create-admin: read no usable password "
		    "line on stdin\n");
		return 1;
	}
	app_auth.bcrypt_cost = app_config.bcrypt_cost;
	db_init(app_config.database_url, app_config.statement_timeout_ms,
	    queries, nqueries);
	a = arena_new(16 * 1024);
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.request_id = "create-admin";
	rc = users_create_admin(&r, email, pw);
	explicit_bzero(pw, sizeof(pw));
	if (rc < 0) {
		for (size_t i = 0; i < r.nerrors; i++)
			fprintf(stderr, "quetzal: create-admin: %s %s\n",
			    r.errors[i].field, r.errors[i].message);
		if (r.nerrors == 0)
			fprintf(stderr, "quetzal: create-admin: %s\n",
			    r.err_status == 409 ? "that username is taken" :
			    r.err_detail ? r.err_detail : "failed");
	} else
		printf("%s admin %s\n", rc == 1 ? "created" : "promoted",
		    email);
	arena_free(a);
	db_close();
	return rc < 0 ? 1 : 0;
}

/* --- end create-admin --- */

static const struct {
	const char	*name;
	int		(*run)(int argc, char **argv);
} commands[] = {
	{ "serve", cmd_serve },
	{ "migrate", cmd_migrate },
	{ "check-config", cmd_check_config },
	{ "create-admin", cmd_create_admin },
};

int
main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("quetzal %s\n", QUETZAL_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			if (load_config() < 0)
				return 1;
			return commands[i].run(argc - 2, argv + 2);
		}
	fprintf(stderr, "quetzal: unknown command \"%s\"\n%s", argv[1],
	    usage);
	return 2;
}
