#!/usr/bin/env bash
# with-stack.sh: run a command against a throwaway stack (PostgreSQL ->
# quetzal workers -> nginx), then tear it all down. Used by `make test`.
#
# usage: tests/support/with-stack.sh CMD [ARGS...]
#
# The stack lives in a fresh temp dir, on a free TCP port on 127.0.0.1,
# with QUETZAL_BCRYPT_COST=4 and a random JWT secret. CMD sees:
#   QUETZAL_TEST_URL         http://127.0.0.1:PORT (nginx)
#   QUETZAL_TEST_DSN         conninfo of superuser "postgres", database
#                            postgres (may create and drop databases)
#   QUETZAL_DATABASE_URL     conninfo of role quetzal, database quetzal
#                            (what the workers use; migrated)
#   QUETZAL_TEST_PGDIR       for scripts/pg.sh stop|start "$QUETZAL_TEST_PGDIR"
#   QUETZAL_TEST_ROOT        the repository
#   QUETZAL_TEST_STACK_DIR   logs (workers.log, nginx-*.log), pids, stack.env
#   QUETZAL_TEST_WORKER_PIDS the workers' PIDs, space separated
#   QUETZAL_TEST_NGINX_PID   nginx's master PID
#   QUETZAL_JWT_SECRET       the workers' secret; QUETZAL_BCRYPT_COST=4
#   QUETZAL_METRICS_ALLOW    127.0.0.3 unless set (nginx's /metrics readers)
# The exit status is CMD's. On EXIT, INT or TERM: CMD is stopped (if it
# still runs), the stack is stopped, the temp dir removed. When CMD fails,
# the last lines of the logs are printed first, then the failed tests'
# lines of CMD's standard error.
# Environment: QUETZAL_BIN (default build/quetzal), WORKERS (default 4),
# QUETZAL_THREADS (default 2), KEEPALIVE (default auto: the largest safe K,
# see stack.sh),
# KEEPALIVE_TIMEOUT (default 3 s), QUETZAL_PG_FAST (default 1: PostgreSQL
# without fsync, for speed; make bench sets 0), AUTH_RATE and AUTH_BURST
# (default 50r/s and 500), QUETZAL_HASH_SLOTS (default 64).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd -- "$here/../.." && pwd -P)
# shellcheck source=scripts/common.sh
. "$root/scripts/common.sh"

(($# > 0)) || {
	echo "usage: ${0##*/} CMD [ARGS...]" >&2
	exit 2
}
bin=${QUETZAL_BIN:-$root/build/quetzal}
[[ -x $bin ]] || die "$bin not found: build it first (make)"

# pick_port: a port nobody listens on, below the kernel's ephemeral range
# (32768-60999) so an outgoing connection cannot take it meanwhile.
pick_port() {
	local p i
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 12000))
		port_in_use "$p" || {
			echo "$p"
			return 0
		}
	done
	die "no free TCP port found"
}

tmp=""
cmd_pid=""
started=0
# shellcheck disable=SC2317 # run by the traps
cleanup() {
	local rc=$? f n
	trap - EXIT INT TERM
	if [[ -n $cmd_pid ]] && kill -0 "$cmd_pid" 2>/dev/null; then
		kill -TERM "$cmd_pid" 2>/dev/null || true
		wait "$cmd_pid" 2>/dev/null || true
	fi
	if [[ -n $tmp ]]; then
		if ((rc != 0 && started)); then
			for f in workers.log nginx-error.log; do
				[[ -s $tmp/run/$f ]] || continue
				echo "--- last lines of $f ---" >&2
				# nginx's 429s to the flood are expected: count them
				grep -v 'limiting requests' "$tmp/run/$f" | tail -n 30 >&2 || true
				n=$(grep -c 'limiting requests' "$tmp/run/$f" || true)
				((n == 0)) || echo "(and $n \"limiting requests\" lines)" >&2
			done
		fi
		# Last, so that a report that keeps only the end of the output
		# still says which test failed and why.
		if ((rc != 0)) && [[ -e $tmp/cmd.err ]]; then
			sleep 0.2 # tee's last write
			echo "--- what failed (the tests' own report) ---" >&2
			grep -E '^\[(FAIL|----|WARN)\]|CRASH|[Tt]imed out|[Ss]ignal' \
				"$tmp/cmd.err" | grep -Ev '^\[----\] *$' |
				tail -n 40 >&2 || true
		fi
		STACK_DIR=$tmp/run "$root/scripts/stack.sh" stop || rc=1
		# A sanitized worker that found a bug (or leaked at exit) has
		# said so in its log: that fails the run even if every test
		# passed.
		if [[ -s $tmp/run/workers.log ]] && grep -Eq \
			'ERROR: (Address|Leak)Sanitizer|runtime error:|^==[0-9]+== [A-Z]' \
			"$tmp/run/workers.log"; then
			echo "--- sanitizer reports in workers.log ---" >&2
			grep -E -A 30 'ERROR: (Address|Leak)Sanitizer|runtime error:|^==[0-9]+== [A-Z]' \
				"$tmp/run/workers.log" | head -n 80 >&2
			rc=1
		fi
		# stack.sh stops PostgreSQL when it started it; this covers a
		# start that died before it could record that
		"$root/scripts/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
		rm -rf -- "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tmp=$(mktemp -d "${TMPDIR:-/tmp}/quetzal-test.XXXXXX")
# as root, PostgreSQL runs as "postgres" and must be able to enter it
((EUID == 0)) && chmod 0711 "$tmp"

export QUETZAL_BIN=$bin STACK_DIR=$tmp/run PG_DIR=$tmp/pg
export WORKERS=${WORKERS:-4}
# two accept loops per worker, so every suite runs the threaded loop; nginx
# drops idle kept connections after 3 s, so tests/e2e/test_keepconn.c can
# outlast that timeout
export QUETZAL_THREADS=${QUETZAL_THREADS:-2} KEEPALIVE_TIMEOUT=${KEEPALIVE_TIMEOUT:-3}
export QUETZAL_PG_FAST=${QUETZAL_PG_FAST:-1} QUETZAL_BCRYPT_COST=4
# The hash gate (production default 2 places) refuses a password check
# that finds every place taken: with criterion running one test a core,
# a machine with more than two cores would see 503s that say nothing about
# the test.  The suites get places to spare; the storm of wrong logins,
# which is about the gate, runs on a stack of its own with 2 (Makefile).
export QUETZAL_HASH_SLOTS=${QUETZAL_HASH_SLOTS:-64}
# nginx's limit on the password routes (production: 10r/m, burst 10): the
# suites log in from 127.0.0.1 many times a second; tests/e2e/test_throttle.c
# floods it from 127.0.0.2 to see the 429s.
export AUTH_RATE=${AUTH_RATE:-50r/s} AUTH_BURST=${AUTH_BURST:-500}
QUETZAL_JWT_SECRET=$(openssl rand -hex 32)
export QUETZAL_JWT_SECRET
# the file would win over QUETZAL_JWT_SECRET (SPEC 3)
unset QUETZAL_JWT_SECRET_FILE CREDENTIALS_DIRECTORY

# /metrics: nginx admits loopback and this address (tests/e2e/test_metrics.c)
export QUETZAL_METRICS_ALLOW=${QUETZAL_METRICS_ALLOW-127.0.0.3}
# libcurl in the tests honours http_proxy; loopback must stay direct
export no_proxy=127.0.0.1,localhost${no_proxy:+,$no_proxy}
export NO_PROXY=127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}

# Another run may take the port between the check and nginx's bind:
# then try another one.
for attempt in 1 2 3; do
	PORT=$(pick_port)
	export PORT
	if "$root/scripts/stack.sh" start; then
		started=1
		break
	fi
	if ((attempt == 3)) || ! port_in_use "$PORT"; then
		exit 1 # a real failure: stack.sh said why
	fi
	note "port $PORT was taken meanwhile, trying another"
done

QUETZAL_DATABASE_URL=$("$root/scripts/pg.sh" url "$PG_DIR")
QUETZAL_TEST_DSN=$("$root/scripts/pg.sh" admin-url "$PG_DIR")
QUETZAL_TEST_WORKER_PIDS=$(awk '$1 == "worker" { print $2 }' "$STACK_DIR/pids" | paste -sd ' ' -)
QUETZAL_TEST_NGINX_PID=$(awk '$1 == "nginx" { print $2 }' "$STACK_DIR/pids")
export QUETZAL_DATABASE_URL QUETZAL_TEST_DSN QUETZAL_TEST_WORKER_PIDS \
	QUETZAL_TEST_NGINX_PID
export QUETZAL_TEST_URL=http://127.0.0.1:$PORT
export QUETZAL_TEST_PGDIR=$PG_DIR QUETZAL_TEST_ROOT=$root QUETZAL_TEST_STACK_DIR=$STACK_DIR

# In the background so a TERM to this script is handled at once (bash
# runs traps only between commands); <&0 keeps stdin, which a background
# command would otherwise lose to /dev/null.
status=0
# Its standard error is kept too (cmd.err), for the report at the end.
"$@" <&0 2> >(tee "$tmp/cmd.err" >&2) &
cmd_pid=$!
wait "$cmd_pid" || status=$?
cmd_pid=""
exit "$status"
