# shellcheck shell=bash
# Helpers shared by scripts/*.sh and tests/support/*.sh. Source it; it
# defines functions only and changes no shell options.

# die MSG...: one clear line on stderr, then exit 1.
die() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

note() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# abs_dir DIR: absolute, symlink-free path of an existing directory.
abs_dir() {
	(cd -- "$1" && pwd -P)
}

# check_safe_path PATH: the path ends up unquoted in nginx.conf,
# postgresql.conf, libpq conninfo and a shell -c string, so allow only
# characters that mean nothing to any of them (no spaces, quotes, $ or ;).
check_safe_path() {
	if [[ ! $1 =~ ^[A-Za-z0-9._/+,@:=~-]+$ ]]; then
		die "unsupported path '$1': use only letters, digits and ._/+,@:=~-"
	fi
}

# check_socket_path PATH: sun_path holds 108 bytes including the NUL.
check_socket_path() {
	if ((${#1} > 107)); then
		die "socket path too long (${#1} > 107 bytes): $1; use a shorter directory"
	fi
}

# port_in_use PORT: true when something listens on TCP PORT (any address).
# ss sees every listener; without iproute2 a connect to 127.0.0.1 is the
# next best test, since that is the address nginx binds.
port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		[[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

# proc_start PID: the start time of a live (not zombie) process (clock ticks since boot, field 22
# of /proc/PID/stat). PID plus start time names a process uniquely, so a
# recycled PID is never signalled by mistake.
proc_start() {
	local stat
	local -a f
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# comm (field 2) may contain spaces and ')': cut after the last ')',
	# so f[0] is field 3 and field 22 is f[19]
	read -r -a f <<<"${stat##*) }"
	# a zombie has finished: it only waits for its parent to reap it
	[[ ${f[0]} != Z ]] || return 1
	printf '%s\n' "${f[19]}"
}

# proc_alive PID START: true when PID still is the process that started at START.
proc_alive() {
	local now
	now=$(proc_start "$1") || return 1
	[[ $now == "$2" ]]
}

# stop_proc NAME PID START SIG TIMEOUT: send SIG, wait up to TIMEOUT
# seconds, then SIGKILL. Does nothing when the process is already gone.
stop_proc() {
	local name=$1 pid=$2 start=$3 sig=$4 timeout=$5 i
	proc_alive "$pid" "$start" || return 0
	kill "-$sig" "$pid" 2>/dev/null || return 0
	for ((i = 0; i < timeout * 10; i++)); do
		proc_alive "$pid" "$start" || return 0
		sleep 0.1
	done
	note "$name (pid $pid) ignored SIG$sig for ${timeout}s, sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		proc_alive "$pid" "$start" || return 0
		sleep 0.1
	done
	note "$name (pid $pid) is still alive after SIGKILL"
	return 1
}

# pg_os_user: the account PostgreSQL runs as. initdb and postgres refuse
# root, so root uses an unprivileged account (QUETZAL_PG_OS_USER, default
# postgres, which the postgresql package creates).
pg_os_user() {
	if ((EUID != 0)); then
		id -un
	else
		printf '%s\n' "${QUETZAL_PG_OS_USER:-postgres}"
	fi
}

# pg_dir_reachable DIR USER: true when USER can search every existing
# ancestor of DIR (needed when root hands the cluster to USER). Prints the
# first blocking directory on stdout otherwise.
pg_dir_reachable() {
	local dir=$1 user=$2 p=""
	local -a parts
	((EUID == 0)) || return 0
	IFS=/ read -r -a parts <<<"${dir#/}"
	for part in "${parts[@]}"; do
		p="$p/$part"
		[[ -d $p ]] || break
		# a dir the user will own (DIR itself once chowned) is fine
		[[ $(stat -c %U "$p") == "$user" ]] && continue
		if ! runuser -u "$user" -- test -x "$p" 2>/dev/null; then
			printf '%s\n' "$p"
			return 1
		fi
	done
	return 0
}
