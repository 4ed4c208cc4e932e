#!/usr/bin/env bash
# run.sh: what `make run` runs after the build. Starts the local stack
# (scripts/stack.sh) on http://127.0.0.1:8080, prints the URLs, and stays
# in the foreground; Ctrl-C or SIGTERM stops everything it started.
#
# usage: scripts/run.sh
#   PORT (8080), WORKERS (4), QUETZAL_BIN (build/quetzal) and PG_DIR
#   (var/pg) may be overridden from the environment; other QUETZAL_*
#   variables reach the workers (SPEC 3).
#
# State kept between runs, in var/ (git-ignored): var/pg (the PostgreSQL
# cluster and its data), var/jwt_secret (dev JWT key, made once, mode 0600).
# var/run holds this run's sockets, pids and logs.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd -- "$here/.." && pwd -P)
# shellcheck source=scripts/common.sh
. "$here/common.sh"
cd "$root"

bin=${QUETZAL_BIN:-$root/build/quetzal}
[[ -x $bin ]] || die "$bin not found: build it first (make)"
var=$root/var
mkdir -p "$var"

pg_dir=${PG_DIR:-$var/pg}
# As root, PostgreSQL runs as "postgres", who cannot enter a checkout
# under /root (mode 0700). Rather than change the modes of someone's home,
# keep the cluster in /var/tmp then (still kept between runs).
if [[ -z ${PG_DIR:-} ]] && ((EUID == 0)) && [[ ! -e $pg_dir ]] &&
	! blocker=$(pg_dir_reachable "$pg_dir" "$(pg_os_user)"); then
	pg_dir=/var/tmp/quetzal-$(printf '%s' "$root" | cksum | cut -d ' ' -f 1)/pg
	note "$(pg_os_user) cannot enter $blocker, so the cluster lives in $pg_dir"
	mkdir -p "${pg_dir%/pg}"
	chmod 0755 "${pg_dir%/pg}"
fi

# A dev key, made once. No trailing newline: the file is the key.
secret=$var/jwt_secret
if [[ ! -s $secret ]]; then
	(
		umask 077
		openssl rand -hex 32 | tr -d '\n' >"$secret.tmp"
		mv -f -- "$secret.tmp" "$secret"
	)
fi
chmod 0600 "$secret"
export QUETZAL_JWT_SECRET_FILE=$secret

# /docs is optional: this prints one line and goes on when npm fails
"$here/fetch-swagger.sh" "$root/build/swagger-ui"

export QUETZAL_BIN=$bin STACK_DIR=$var/run PG_DIR=$pg_dir
export PORT=${PORT:-8080} WORKERS=${WORKERS:-4}

starter=""
sleeper=""
# shellcheck disable=SC2317 # run by the traps
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $sleeper ]]; then
		kill "$sleeper" 2>/dev/null || true
	fi
	# a start still under way stops what it started when told to
	if [[ -n $starter ]]; then
		kill -TERM "$starter" 2>/dev/null || true
		wait "$starter" 2>/dev/null || true
	fi
	# (stack.sh start already cleaned up when it failed on its own)
	if [[ -f $STACK_DIR/pids ]]; then
		echo >&2
		note "stopping nginx, workers and PostgreSQL"
		"$here/stack.sh" stop || rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# In the background so that a SIGTERM is handled at once (bash runs traps
# only between commands), not after a start that may take seconds.
"$here/stack.sh" start &
starter=$!
wait "$starter"
starter=""

url=http://127.0.0.1:$PORT
dsn=$("$here/pg.sh" url "$pg_dir")
rel_bin=${bin#"$root"/}
envs="QUETZAL_DATABASE_URL='$dsn' QUETZAL_JWT_SECRET_FILE=var/jwt_secret"
cat <<EOF

quetzal is running. Ctrl-C stops it.

  API           $url/
  Swagger UI    $url/docs
  OpenAPI       $url/openapi.json
  readiness     $url/readyz

Commands against this database (data kept in $pg_dir between runs):
  $envs $rel_bin migrate --status
  $envs $rel_bin create-admin --email admin@example.com
  psql '$dsn'

Logs: var/run/workers.log, var/run/nginx-access.log, var/run/nginx-error.log
EOF

# Stay in the foreground; end (and clean up) if nginx goes away.
read -r _ npid nstart < <(grep '^nginx ' "$STACK_DIR/pids")
while proc_alive "$npid" "$nstart"; do
	sleep 1 &
	sleeper=$!
	wait "$sleeper" || true
	sleeper=""
done
note "nginx has exited; see var/run/nginx-error.log"
exit 1
