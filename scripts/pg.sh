#!/usr/bin/env bash
# pg.sh: a private PostgreSQL 15 cluster in one directory, for `make run`
# and the tests. It listens on a Unix socket in DIR/run only (no TCP).
#
# usage: scripts/pg.sh {init|start|stop|status|url|admin-url|pid} DIR
#
#   init       initdb DIR/data, then create role and database "quetzal"
#              (starts the server for that and leaves it as it found it);
#              a no-op on a cluster that init already completed
#   start      start the server and wait until it accepts connections
#   stop       pg_ctl stop -m fast; a no-op when it is not running
#   status     print "running (pid N)" and exit 0, or "stopped" and exit 3
#              (4 when DIR holds no cluster)
#   url        libpq conninfo of the application role, e.g.
#              host=DIR/run port=5432 dbname=quetzal user=quetzal
#   admin-url  conninfo of the superuser "postgres" (database postgres)
#   pid        the postmaster PID, when running
#
# Layout: DIR/data (PGDATA), DIR/run (socket), DIR/postgres.log.
# Authentication is "trust": only the owner of DIR/run (mode 0700) and
# root can reach the socket.
#
# Run as root, PostgreSQL runs as QUETZAL_PG_OS_USER (default postgres),
# who then owns DIR. That user must be able to enter every parent of DIR;
# a checkout under /root (mode 0700) is not, and init says so.
#
# Environment: QUETZAL_PG_FAST=1 at init turns off fsync (throwaway test
# clusters only); QUETZAL_PG_START_TIMEOUT (seconds, default 30);
# PG_BINDIR (default /usr/lib/postgresql/15/bin).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PG_PORT=5432 # only names the socket file; nothing listens on TCP
START_TIMEOUT=${QUETZAL_PG_START_TIMEOUT:-30}

usage() {
	echo "usage: ${0##*/} {init|start|stop|status|url|admin-url|pid} DIR" >&2
	exit 2
}

(($# == 2)) || usage
cmd=$1
check_safe_path "$2"
# DIR may not exist yet (init); make it absolute without resolving it
case $2 in
/*) dir=$2 ;;
*) dir=$PWD/$2 ;;
esac
dir=${dir%/}
data=$dir/data
sock=$dir/run
log=$dir/postgres.log
check_socket_path "$sock/.s.PGSQL.$PG_PORT"

# The cluster's owner: whoever owns the data dir, else the default account.
if [[ -d $data ]]; then
	pguser=$(stat -c %U "$data")
else
	pguser=$(pg_os_user)
fi
if ((EUID == 0)) && [[ $pguser == root ]]; then
	die "$data is owned by root; PostgreSQL cannot run as root"
fi
if ((EUID != 0)) && [[ $pguser != "$(id -un)" ]]; then
	die "$data belongs to $pguser; run this as $pguser or as root"
fi

# as_pg CMD...: run CMD as the cluster's owner. cd / first: the caller's
# directory (say /root) may be closed to that user, and initdb complains.
as_pg() {
	if ((EUID == 0)); then
		(cd / && runuser -u "$pguser" -- "$@")
	else
		"$@"
	fi
}

conninfo() { # conninfo DB USER
	printf 'host=%s port=%s dbname=%s user=%s\n' "$sock" "$PG_PORT" "$1" "$2"
}

is_initdb_done() { [[ -f $data/PG_VERSION ]]; }

is_running() {
	is_initdb_done || return 1
	as_pg "$PG_BINDIR/pg_ctl" status -D "$data" >/dev/null 2>&1
}

require_cluster() {
	is_initdb_done || die "no cluster in $dir: run ${0##*/} init $dir"
}

do_start() {
	require_cluster
	if is_running; then
		return 0
	fi
	# DIR/run may be gone (someone cleaned it); the server needs it
	as_pg mkdir -p -m 0700 "$sock"
	# -k repeats the socket dir so a moved DIR still works; pg_ctl -w waits
	# (at most -t seconds) until the server accepts connections, and pg_ctl
	# detaches the postmaster into its own session (no Ctrl-C from us).
	if ! as_pg "$PG_BINDIR/pg_ctl" start -D "$data" -l "$log" -w \
		-t "$START_TIMEOUT" -o "-k $sock" >/dev/null; then
		note "PostgreSQL did not start; last lines of $log:"
		tail -n 20 "$log" >&2 || true
		exit 1
	fi
}

do_stop() {
	if ! is_running; then
		return 0
	fi
	as_pg "$PG_BINDIR/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null
}

do_initdb() {
	local blocker
	mkdir -p "$dir"
	if ((EUID == 0)); then
		getent passwd "$pguser" >/dev/null ||
			die "user $pguser does not exist: install postgresql (it creates it) or set QUETZAL_PG_OS_USER"
		if ! blocker=$(pg_dir_reachable "$dir" "$pguser"); then
			die "PostgreSQL runs as $pguser (root may not run it), but $pguser cannot enter $blocker ($(stat -c '%A %U' "$blocker")); put DIR elsewhere (e.g. under /var/tmp) or allow it with: chmod o+x $blocker"
		fi
		chown "$pguser:" "$dir"
	fi
	chmod 0700 "$dir"
	as_pg mkdir -p -m 0700 "$sock"
	# C.UTF-8 always exists on Debian and sorts by code point: the same
	# results on every machine.
	local -a opts=(-D "$data" -U postgres --auth=trust --encoding=UTF8
		--locale=C.UTF-8)
	[[ ${QUETZAL_PG_FAST:-0} == 1 ]] && opts+=(--no-sync)
	if ! as_pg "$PG_BINDIR/initdb" "${opts[@]}" >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	fi
	{
		echo
		echo "# added by scripts/pg.sh: private cluster, Unix socket only"
		echo "listen_addresses = ''"
		echo "port = $PG_PORT"
		echo "unix_socket_directories = '$sock'"
		echo "unix_socket_permissions = 0700"
		echo "log_line_prefix = '%m [%p] %q%u@%d '"
		if [[ ${QUETZAL_PG_FAST:-0} == 1 ]]; then
			# throwaway test cluster: speed over crash safety
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} | as_pg tee -a "$data/postgresql.conf" >/dev/null
}

do_init() {
	local was_running=0
	# the marker is written last, so an init cut short is redone
	[[ -f $dir/.quetzal-init-done ]] && return 0
	is_initdb_done || do_initdb
	is_running && was_running=1
	do_start
	# \gexec keeps it idempotent: CREATE only what is missing
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$(conninfo postgres postgres)" <<-'SQL'
		SELECT 'CREATE ROLE quetzal LOGIN'
		 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'quetzal') \gexec
		SELECT 'CREATE DATABASE quetzal OWNER quetzal'
		 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'quetzal') \gexec
		-- the server log keeps no DETAIL of the app's errors: a unique
		-- violation's DETAIL holds the email (docs/decisions.md)
		ALTER ROLE quetzal SET log_error_verbosity = 'terse';
	SQL
	((was_running)) || do_stop
	as_pg touch "$dir/.quetzal-init-done"
	note "initialised PostgreSQL cluster in $dir (runs as $pguser)"
}

case $cmd in
init) do_init ;;
start) do_start ;;
stop) do_stop ;;
status)
	is_initdb_done || {
		echo "no cluster"
		exit 4
	}
	if is_running; then
		echo "running (pid $(head -n 1 "$data/postmaster.pid"))"
	else
		echo "stopped"
		exit 3
	fi
	;;
pid)
	is_running || die "not running"
	head -n 1 "$data/postmaster.pid"
	;;
url) conninfo quetzal quetzal ;;
admin-url) conninfo postgres postgres ;;
*) usage ;;
esac
