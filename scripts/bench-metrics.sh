#!/usr/bin/env bash
# bench-metrics.sh: what recording metrics costs on the hot path
# (issue 12): GET /api/v1/tasks/{id} with QUETZAL_METRICS=on and =off.
#
# usage: scripts/bench-metrics.sh [throughput|callgrind]
#
# throughput (default): two throwaway stacks side by side (each
#   tests/support/with-stack.sh: PostgreSQL, WORKERS workers, nginx), one
#   with metrics on, one off; ROUNDS rounds of wrk (THREADS threads,
#   CONNECTIONS connections, DURATION) on each in turn, the order swapped
#   every round; prints each round (requests/s, and the workers' CPU per
#   request from /proc) and the median on/off ratios.  Only one stack is
#   loaded at a time; the machine's noise hits both alike.
# callgrind: one worker under valgrind --tool=callgrind per mode, N1 then
#   N2 requests (curl, one kept connection); instructions per request =
#   (Ir(N2) - Ir(N1)) / (N2 - N1), and metrics_request's own inclusive
#   cost per call.  Deterministic: the machine's load does not matter.
#
# Environment (defaults): WORKERS (4), THREADS (2), CONNECTIONS (32),
# DURATION (10s), ROUNDS (5), N1 (200), N2 (1200).  Needs wrk, valgrind
# and a build (make).  Everything it starts is stopped at the end.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd -- "$here/.." && pwd -P)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

mode=${1:-throughput}
stack=$root/tests/support/with-stack.sh
export QUETZAL_BIN=${QUETZAL_BIN:-$root/build/quetzal}

# setup: registers a user, makes one task; prints "TOKEN TASK_ID"
setup() {
	local url=$QUETZAL_TEST_URL email=bench-$$-$RANDOM@bench.example
	local pass=bench-password-$$ token id
	curl -fsS --noproxy '*' -o /dev/null -H 'Content-Type: application/json' \
		-d "{\"email\":\"$email\",\"password\":\"$pass\"}" "$url/api/v1/users"
	token=$(curl -fsS --noproxy '*' --data-urlencode "username=$email" \
		--data-urlencode "password=$pass" "$url/api/v1/auth/token" |
		sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
	id=$(curl -fsS --noproxy '*' -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' -d '{"title":"bench"}' \
		"$url/api/v1/tasks" | sed -n 's/.*"id" *: *\([0-9]*\).*/\1/p')
	[[ -n $token && -n $id ]] || die "cannot set up a user and a task"
	printf '%s %s\n' "$token" "$id"
}

# cpu_ticks PIDS...: user + system CPU of those processes, clock ticks
cpu_ticks() {
	local p t=0 f
	for p in "$@"; do
		f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		# fields 14 and 15 of stat are 12 and 13 after "pid (comm) "
		t=$((t + $(echo "$f" | awk '{ print $12 + $13 }')))
	done
	echo "$t"
}

# measure URL TOKEN PIDS...: one wrk run; prints "REQ/S US_CPU_PER_REQUEST"
# (the CPU of the stack's workers, which is what recording could cost)
measure() {
	local url=$1 token=$2 c0 c1 out
	shift 2
	c0=$(cpu_ticks "$@")
	out=$(wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-32}" -d"${DURATION:-10s}" \
		-H "Authorization: Bearer $token" "$url")
	c1=$(cpu_ticks "$@")
	echo "$out" | awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" '
		/requests in/ { n = $1 } /Requests\/sec/ { rps = $2 }
		/Non-2xx/ { print "non-2xx: " $0 > "/dev/stderr" }
		END { printf "%s %.2f\n", rps, c * 1e6 / hz / n }'
}

case $mode in
throughput-inner)
	# inside both stacks: ON_URL/ON_TOKEN/ON_TASK from the outer one
	read -r off_token off_task < <(setup)
	on=$ON_URL/api/v1/tasks/$ON_TASK off=$QUETZAL_TEST_URL/api/v1/tasks/$off_task
	wrk -t1 -c4 -d2s -H "Authorization: Bearer $ON_TOKEN" "$on" >/dev/null
	wrk -t1 -c4 -d2s -H "Authorization: Bearer $off_token" "$off" >/dev/null
	echo "quetzal $("$QUETZAL_BIN" --version | cut -d' ' -f2), $WORKERS workers" \
		"per stack, wrk -t${THREADS:-2} -c${CONNECTIONS:-32} -d${DURATION:-10s}," \
		"$(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	# shellcheck disable=SC2086 # PID lists
	read -r -a on_pids <<<"$ON_PIDS"
	read -r -a off_pids <<<"$QUETZAL_TEST_WORKER_PIDS"
	rr=() cr=()
	for ((i = 1; i <= ${ROUNDS:-5}; i++)); do
		if ((i % 2)); then
			read -r a ac < <(measure "$on" "$ON_TOKEN" "${on_pids[@]}")
			read -r b bc < <(measure "$off" "$off_token" "${off_pids[@]}")
		else
			read -r b bc < <(measure "$off" "$off_token" "${off_pids[@]}")
			read -r a ac < <(measure "$on" "$ON_TOKEN" "${on_pids[@]}")
		fi
		r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", a / b }')
		c=$(awk -v a="$ac" -v b="$bc" 'BEGIN { printf "%.4f", a / b }')
		rr+=("$r") cr+=("$c")
		printf 'round %2d: on %9s req/s %6s us CPU/req   off %9s req/s %6s us CPU/req   on/off %s %s\n' \
			"$i" "$a" "$ac" "$b" "$bc" "$r" "$c"
	done
	median() {
		sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
			printf "%.4f (%+.2f%%)", m, (m - 1) * 100 }'
	}
	echo "median on/off: throughput $(printf '%s\n' "${rr[@]}" | median)," \
		"worker CPU per request $(printf '%s\n' "${cr[@]}" | median)"
	;;
throughput-outer)
	read -r ON_TOKEN ON_TASK < <(setup)
	export ON_URL=$QUETZAL_TEST_URL ON_TOKEN ON_TASK ON_PIDS=$QUETZAL_TEST_WORKER_PIDS
	QUETZAL_METRICS=off exec "$stack" "$0" throughput-inner
	;;
throughput)
	command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
	export WORKERS=${WORKERS:-4}
	QUETZAL_METRICS=on exec "$stack" "$0" throughput-outer
	;;
callgrind-inner)
	read -r token task < <(setup)
	url=$QUETZAL_TEST_URL/api/v1/tasks/$task
	n=$CG_N
	# one curl, n URLs: a kept connection to nginx
	args=()
	for ((i = 0; i < n; i++)); do args+=("$url"); done
	curl -fsS --noproxy '*' -o /dev/null -H "Authorization: Bearer $token" \
		"${args[@]}"
	;;
callgrind)
	command -v valgrind >/dev/null || die "valgrind not found"
	out=$(mktemp -d "${TMPDIR:-/tmp}/bench-metrics.XXXXXX")
	trap 'rm -rf -- "$out"' EXIT
	cat >"$out/cg.sh" <<-EOS
	#!/bin/sh
	exec valgrind --tool=callgrind --log-file=$out/vg.%p --callgrind-out-file=$out/cg.\$QUETZAL_METRICS.\$CG_N.%p "$QUETZAL_BIN" "\$@"
	EOS
	chmod +x "$out/cg.sh"
	n1=${N1:-200} n2=${N2:-1200}
	for m in on off; do
		for n in "$n1" "$n2"; do
			QUETZAL_METRICS=$m CG_N=$n WORKERS=1 QUETZAL_BIN=$out/cg.sh \
				STACK_TIMEOUT=120 "$stack" "$0" callgrind-inner >/dev/null 2>"$out/log.$m.$n" ||
				{ cat "$out/log.$m.$n" >&2; die "run $m $n failed"; }
		done
	done
	ir() { # ir MODE N: total instructions of that run's worker
		# (the worker: the file with the most instructions; migrate and
		# check-config run under callgrind too)
		for f in "$out"/cg."$1"."$2".*; do
			sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f"
		done | sort -n | tail -n1
	}
	for m in on off; do
		a=$(ir "$m" "$n1") b=$(ir "$m" "$n2")
		per=$(((b - a) / (n2 - n1)))
		eval "per_$m=$per"
		printf 'metrics %-3s: %d instructions per GET /api/v1/tasks/{id} (worker, %d-%d requests)\n' \
			"$m" "$per" "$n1" "$n2"
	done
	awk -v a="$per_on" -v b="$per_off" 'BEGIN { printf "on - off: %d instructions per request (%+.2f%%)\n", a - b, (a - b) * 100 / b }'
	f=$(for f in "$out"/cg.on."$n2".*; do echo "$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f") $f"; done | sort -n | tail -n1 | cut -d' ' -f2)
	callgrind_annotate --inclusive=yes "$f" 2>/dev/null |
		grep -E 'metrics_(request|accepted)' | head -n 4
	;;
*)
	die "usage: ${0##*/} [throughput|callgrind]"
	;;
esac
