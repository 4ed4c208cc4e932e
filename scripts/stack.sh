#!/usr/bin/env bash
# stack.sh: the whole local stack, PostgreSQL -> quetzal workers -> nginx,
# for `make run` (scripts/run.sh) and the tests (tests/support/with-stack.sh).
#
# usage:
#   QUETZAL_BIN=build/quetzal STACK_DIR=DIR PG_DIR=DIR PORT=N [WORKERS=4] \
#       [QUETZAL_THREADS=1] [KEEPALIVE=auto|K] [KEEPALIVE_TIMEOUT=60] \
#       scripts/stack.sh [start]
#   STACK_DIR=DIR scripts/stack.sh stop
#   STACK_DIR=DIR scripts/stack.sh status
#
# start: pg.sh init + start, `quetzal migrate`, `quetzal check-config`,
# WORKERS `quetzal serve` on STACK_DIR/fcgi.sock, nginx on 127.0.0.1:PORT
# with kept FastCGI connections when the pool is threaded: upstream
# keepalive K with W x K below the pool's accept loops (W = nproc nginx
# workers, loops = WORKERS x QUETZAL_THREADS; KEEPALIVE=auto, the default,
# takes the largest such K when QUETZAL_THREADS > 1 and none otherwise; a
# number asks for that many, up to the largest; SPEC 7),
# then waits (at most STACK_TIMEOUT seconds, default 30) until GET /healthz
# answers 200. It returns once all is up; the processes run on, each in its
# own session, so a Ctrl-C meant for the caller does not reach them. If any
# step fails, what start already started is stopped again. Exit 1 with
# one clear line when PORT is taken (checked before anything starts).
# The workers inherit the caller's QUETZAL_* variables;
# QUETZAL_DATABASE_URL is set to the private cluster's, QUETZAL_RUNTIME_DIR
# to STACK_DIR.
#
# stop: stops nginx, then the workers (SIGTERM, SIGKILL after 10 s), then
# PostgreSQL if start started it. Safe to repeat.
#
# Files in STACK_DIR:
#   pids        one line per process: ROLE PID STARTTIME (ROLE is nginx,
#               worker or postgres; STARTTIME is field 22 of /proc/PID/stat,
#               so stop never signals a recycled PID)
#   stack.env   PG_DIR, PORT, QUETZAL_DATABASE_URL, ... (shell syntax)
#   workers.log the workers' stderr (logfmt); nginx-error.log,
#               nginx-access.log, nginx.conf (rendered nginx/dev.conf.in)
#   fcgi.sock   the workers' socket (mode 0600)
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd -- "$here/.." && pwd -P)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

cmd=${1:-start}
[[ -n ${STACK_DIR:-} ]] || die "STACK_DIR is not set"
check_safe_path "$STACK_DIR"
if [[ $cmd == start ]]; then
	mkdir -p "$STACK_DIR"
	chmod 0700 "$STACK_DIR" # logs and the socket: ours only
elif [[ ! -d $STACK_DIR ]]; then
	echo "not running"
	[[ $cmd == stop ]] && exit 0
	exit 3
fi
STACK_DIR=$(abs_dir "$STACK_DIR")
pids_file=$STACK_DIR/pids
env_file=$STACK_DIR/stack.env
sock=$STACK_DIR/fcgi.sock
timeout=${STACK_TIMEOUT:-30}

# nginx lives in /usr/sbin, which is not on a normal user's PATH
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

record() { # record ROLE PID
	local start
	start=$(proc_start "$2") || return 1
	printf '%s %s %s\n' "$1" "$2" "$start" >>"$pids_file"
}

# alive_recorded: true when any process in the pids file still runs
alive_recorded() {
	local role pid start
	[[ -f $pids_file ]] || return 1
	while read -r -u 3 role pid start; do
		[[ $role == postgres ]] && continue
		proc_alive "$pid" "$start" && return 0
	done 3<"$pids_file"
	return 1
}

# children PID: the current children of PID (nginx's worker processes)
children() {
	ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true
}

do_stop() {
	local role pid start c cstart
	local -a workers=() kids=()
	if [[ -f $pids_file ]]; then
		# nginx first: no new requests reach the workers
		while read -r -u 3 role pid start; do
			[[ $role == nginx ]] || continue
			# if the master has to be killed its workers would be
			# orphaned and keep the port: note them to check after
			if proc_alive "$pid" "$start"; then
				for c in $(children "$pid"); do
					cstart=$(proc_start "$c") && kids+=("$c $cstart")
				done
			fi
			stop_proc nginx "$pid" "$start" TERM 10 || true
		done 3<"$pids_file"
		for c in ${kids[@]+"${kids[@]}"}; do
			# shellcheck disable=SC2086 # "pid start" pairs
			stop_proc "nginx worker" $c TERM 5 || true
		done
		# workers: SIGTERM to all at once, then wait for each
		while read -r -u 3 role pid start; do
			[[ $role == worker ]] || continue
			workers+=("$pid $start")
			if proc_alive "$pid" "$start"; then
				kill -TERM "$pid" 2>/dev/null || true
			fi
		done 3<"$pids_file"
		for c in ${workers[@]+"${workers[@]}"}; do
			# shellcheck disable=SC2086 # "pid start" pairs
			stop_proc worker $c TERM 10 || true
		done
	fi
	if [[ -f $env_file ]]; then
		local PG_DIR="" PG_STOP=0
		# shellcheck disable=SC1090 # written by do_start
		. "$env_file"
		if [[ $PG_STOP == 1 && -n $PG_DIR ]]; then
			"$here/pg.sh" stop "$PG_DIR" || true
		fi
	fi
	rm -f -- "$pids_file" "$sock" "$STACK_DIR/workers.pid"
}

do_status() {
	local role pid start rc=0
	[[ -f $pids_file ]] || {
		echo "not running"
		return 3
	}
	while read -r -u 3 role pid start; do
		if proc_alive "$pid" "$start"; then
			echo "$role $pid running"
		else
			echo "$role $pid gone"
			[[ $role == postgres ]] || rc=1
		fi
	done 3<"$pids_file"
	return "$rc"
}

# keepalive_k LOOPS W: the largest K with W x K < LOOPS (SPEC 7: every
# idle kept connection pins an accept loop, so at least one loop stays free
# for new connections), 0 when even K = 1 would break that.
keepalive_k() {
	echo $((($1 - 1) / $2))
}

# metrics_allow_lines: QUETZAL_METRICS_ALLOW as nginx "allow" lines
# (addresses or CIDRs that may read /metrics besides loopback).
metrics_allow_lines() {
	local o out="" list
	IFS=, read -r -a list <<<"${QUETZAL_METRICS_ALLOW:-}"
	for o in ${list[@]+"${list[@]}"}; do
		o=$(printf '%s' "$o" | tr -d '[:space:]')
		[[ -z $o ]] && continue
		[[ $o =~ ^[0-9A-Fa-f.:]+(/[0-9]{1,3})?$ ]] ||
			die "QUETZAL_METRICS_ALLOW: not an address or CIDR: $o"
		out+='\t\t\tallow '"$o"';\n'
	done
	printf '%s' "$out" # escapes: awk -v expands them
}

render_nginx_conf() {
	local user_directive="" allow w k max keepalive="" keep_conn=""
	w=$(nproc)
	max=$(keepalive_k $((WORKERS * ${QUETZAL_THREADS:-1})) "$w")
	# The default (as deploy.sh): the largest safe K for a threaded pool,
	# none with one loop per worker, where kept connections measured
	# slower (docs/decisions.md).
	k=${KEEPALIVE:-auto}
	if [[ $k == auto ]]; then
		k=0
		((${QUETZAL_THREADS:-1} > 1)) && k=$max
	fi
	if [[ ! $k =~ ^[0-9]+$ ]] || ((k > max)); then
		die "KEEPALIVE=$k: at most $max with $WORKERS workers x ${QUETZAL_THREADS:-1} threads and $w nginx workers (SPEC 7)"
	fi
	if ((k > 0)); then
		keepalive="keepalive $k;"
		keep_conn="fastcgi_keep_conn on;"
	fi
	# As root, nginx would run its workers as "nobody", who can neither
	# reach our socket nor write our temp dirs: keep them as root, like
	# the quetzal workers (a dev/test stack on loopback only).
	((EUID == 0)) && user_directive="user root;"
	# paths passed check_safe_path: no '|', '&' or '\' to escape
	sed -e "s|@RUN@|$STACK_DIR|g" \
		-e "s|@PORT@|$PORT|g" \
		-e "s|@SOCK@|$sock|g" \
		-e "s|@ROOT@|$root|g" \
		-e "s|@USER_DIRECTIVE@|$user_directive|g" \
		-e "s|@NGINX_WORKERS@|$w|g" \
		-e "s|@KEEPALIVE@|$keepalive|g" \
		-e "s|@KEEP_CONN@|$keep_conn|g" \
		-e "s|@KEEPALIVE_TIMEOUT@|${KEEPALIVE_TIMEOUT:-60}|g" \
		-e "s|@AUTH_RATE@|${AUTH_RATE:-10r/m}|g" \
		-e "s|@AUTH_BURST@|${AUTH_BURST:-10}|g" \
		"$root/nginx/dev.conf.in" >"$STACK_DIR/nginx.conf"
	# QUETZAL_METRICS_ALLOW: the /metrics location's "allow" lines
	allow=$(metrics_allow_lines)
	awk -v allow="$allow" '/^@METRICS_ALLOW@$/ { printf "%s", allow; next } { print }' \
		"$STACK_DIR/nginx.conf" >"$STACK_DIR/nginx.conf.tmp"
	mv -f -- "$STACK_DIR/nginx.conf.tmp" "$STACK_DIR/nginx.conf"
	if grep -n '@[A-Z_]*@' "$STACK_DIR/nginx.conf" >&2; then
		die "placeholder left in $STACK_DIR/nginx.conf (see above)"
	fi
}

fail_with_log() { # fail_with_log FILE MSG
	note "$2; last lines of $1:"
	tail -n 20 "$1" >&2 || true
	exit 1
}

# adopt_started: record what start has started but not yet recorded. A
# signal may end start between a fork and its record line; the EXIT trap
# calls this first, so nothing started escapes stop.
nginx_pid=""
adopt_started() {
	local pid
	if [[ -n $nginx_pid ]] && ! is_recorded "$nginx_pid"; then
		record nginx "$nginx_pid" || true
	fi
	[[ -f $STACK_DIR/workers.pid ]] || return 0
	# (spawn-fcgi leaves no newline after the last PID)
	while read -r pid || [[ -n $pid ]]; do
		if [[ -z $pid ]] || is_recorded "$pid"; then
			continue
		fi
		# the file is fresh (removed before spawn-fcgi); still, only a
		# "quetzal serve" (or its sh wrapper, just before exec) is ours
		# shellcheck disable=SC2016 # literal text of the wrapper
		grep -qz -e '^serve$' -e '^exec "$0" serve' "/proc/$pid/cmdline" \
			2>/dev/null || continue
		record worker "$pid" || true
	done <"$STACK_DIR/workers.pid"
}

is_recorded() {
	[[ -f $pids_file ]] && awk -v p="$1" '$2 == p { f = 1 } END { exit !f }' "$pids_file"
}

start_workers() {
	local pid n=0
	# Variables meant for a systemd-managed worker must not leak in from
	# the caller: with LISTEN_FDS a worker ignores fd 0, with
	# JOURNAL_STREAM it logs to the journal instead of workers.log.
	unset LISTEN_FDS LISTEN_PID LISTEN_FDNAMES JOURNAL_STREAM NOTIFY_SOCKET \
		WATCHDOG_USEC WATCHDOG_PID
	# spawn-fcgi binds the socket, forks WORKERS children that share it as
	# fd 0, writes their PIDs to -P one a line, and exits. The children
	# are in their own session. It points their stdout and stderr at
	# /dev/null, hence the sh wrapper (exec: same PID) that sends them to
	# workers.log. SIGINT is ignored so that a Ctrl-C cannot end it between
	# a fork and writing that PID down.
	rm -f "$STACK_DIR/workers.pid"
	# shellcheck disable=SC2016 # $0 and $1 are for that sh
	if ! (
		trap '' INT
		exec spawn-fcgi -s "$sock" -M 0600 -F "$WORKERS" \
			-P "$STACK_DIR/workers.pid" \
			-- /bin/sh -c 'exec "$0" serve >>"$1" 2>&1' \
			"$QUETZAL_BIN" "$STACK_DIR/workers.log"
	) >"$STACK_DIR/spawn-fcgi.log" 2>&1; then
		cat "$STACK_DIR/spawn-fcgi.log" >&2
		fail_with_log "$STACK_DIR/workers.log" "workers did not start"
	fi
	adopt_started
	n=$(grep -c '^worker ' "$pids_file" || true)
	((n == WORKERS)) ||
		fail_with_log "$STACK_DIR/workers.log" "only $n of $WORKERS workers are running"
}

check_workers() {
	local role pid start
	while read -r -u 3 role pid start; do
		[[ $role == worker ]] || continue
		proc_alive "$pid" "$start" ||
			fail_with_log "$STACK_DIR/workers.log" "worker $pid has exited"
	done 3<"$pids_file"
}

start_nginx() {
	local out
	render_nginx_conf
	mkdir -p "$STACK_DIR/nginx"
	local -a args=(-p "$STACK_DIR/" -e "$STACK_DIR/nginx-error.log"
		-c "$STACK_DIR/nginx.conf")
	out=$("$NGINX" -t -q "${args[@]}" 2>&1) || {
		printf '%s\n' "$out" >&2
		die "nginx rejected $STACK_DIR/nginx.conf"
	}
	# setsid: no terminal signals. Without job control this shell's child
	# is no group leader, so setsid execs nginx in place: $! is nginx.
	setsid "$NGINX" "${args[@]}" </dev/null >>"$STACK_DIR/nginx-error.log" 2>&1 &
	nginx_pid=$!
	record nginx "$nginx_pid" ||
		fail_with_log "$STACK_DIR/nginx-error.log" "nginx exited at once"
}

wait_healthy() {
	local url=http://127.0.0.1:$PORT/healthz deadline=$((SECONDS + timeout))
	local npid nstart
	read -r _ npid nstart < <(grep '^nginx ' "$pids_file")
	while ((SECONDS < deadline)); do
		proc_alive "$npid" "$nstart" ||
			fail_with_log "$STACK_DIR/nginx-error.log" "nginx has exited"
		check_workers
		# --noproxy: an http_proxy in the caller's environment must not
		# send a loopback request elsewhere
		if curl -fsS --noproxy '*' --max-time 2 -o /dev/null "$url" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	note "GET $url did not answer 200 within ${timeout}s"
	tail -n 10 "$STACK_DIR/nginx-error.log" >&2 || true
	fail_with_log "$STACK_DIR/workers.log" "stack not healthy"
}

start_ok=0
on_start_exit() {
	local rc=$?
	((start_ok)) && return 0
	note "start failed: stopping what it started"
	adopt_started
	do_stop
	exit "$rc"
}

do_start() {
	local pg_stop=0 out
	: "${QUETZAL_BIN:?QUETZAL_BIN is not set}" "${PG_DIR:?PG_DIR is not set}" \
		"${PORT:?PORT is not set}"
	WORKERS=${WORKERS:-4}
	if [[ ! $PORT =~ ^[1-9][0-9]{0,4}$ ]] || ((PORT < 1 || PORT > 65535)); then
		die "bad PORT: $PORT"
	fi
	if [[ ! $WORKERS =~ ^[1-9][0-9]{0,2}$ ]] || ((WORKERS < 1 || WORKERS > 256)); then
		die "bad WORKERS: $WORKERS"
	fi
	# pg.sh and stop need the same absolute path whatever the cwd
	[[ $PG_DIR == /* ]] || PG_DIR=$PWD/$PG_DIR
	check_safe_path "$PG_DIR"
	[[ -x $QUETZAL_BIN ]] || die "QUETZAL_BIN $QUETZAL_BIN is not an executable (run make)"
	QUETZAL_BIN=$(abs_dir "$(dirname -- "$QUETZAL_BIN")")/$(basename -- "$QUETZAL_BIN")
	check_safe_path "$QUETZAL_BIN"
	check_safe_path "$root"
	check_socket_path "$sock"
	command -v spawn-fcgi >/dev/null || die "spawn-fcgi not found (apt-get install spawn-fcgi)"
	[[ -x $NGINX ]] || die "nginx not found (apt-get install nginx-light)"
	command -v curl >/dev/null || die "curl not found (apt-get install curl)"

	# checks before anything starts
	if alive_recorded; then
		die "a stack is already running in $STACK_DIR (stop it: STACK_DIR=$STACK_DIR ${0##*/} stop)"
	fi
	if port_in_use "$PORT"; then
		die "port $PORT is already in use on this machine; stop what uses it or choose another PORT"
	fi
	rm -f -- "$pids_file"

	trap on_start_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	"$here/pg.sh" status "$PG_DIR" >/dev/null 2>&1 || pg_stop=1
	# written before PG starts, so a failure below stops PG again
	{
		printf 'PG_DIR=%q\n' "$PG_DIR"
		printf 'PG_STOP=%q\n' "$pg_stop"
		printf 'PORT=%q\n' "$PORT"
	} >"$env_file"
	"$here/pg.sh" init "$PG_DIR"
	"$here/pg.sh" start "$PG_DIR"
	record postgres "$("$here/pg.sh" pid "$PG_DIR")" || true
	QUETZAL_DATABASE_URL=$("$here/pg.sh" url "$PG_DIR")
	export QUETZAL_DATABASE_URL
	printf 'QUETZAL_DATABASE_URL=%q\n' "$QUETZAL_DATABASE_URL" >>"$env_file"

	"$QUETZAL_BIN" migrate >&2 || die "quetzal migrate failed"
	# after migrate: check-config also wants a migrated database. A bad
	# setting stops here with its one line, not in a worker's log.
	if ! out=$("$QUETZAL_BIN" check-config 2>&1); then
		printf '%s\n' "$out" >&2
		die "quetzal check-config failed"
	fi

	# The pool's shared files (the hash gate, lib/hashgate.h) live with it.
	export QUETZAL_RUNTIME_DIR=$STACK_DIR
	start_workers
	start_nginx
	wait_healthy
	check_workers
	start_ok=1
	note "up: http://127.0.0.1:$PORT/ ($WORKERS workers x ${QUETZAL_THREADS:-1} threads, logs in $STACK_DIR)"
}

case $cmd in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
*)
	echo "usage: ${0##*/} [start|stop|status] (settings in the environment, see the header)" >&2
	exit 2
	;;
esac
