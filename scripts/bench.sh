#!/usr/bin/env bash
# bench.sh: what `make bench` runs. Measures the main endpoints through
# nginx with wrk and prints, per endpoint, requests/s, p50, p99, non-2xx
# answers and the CPU split between the groups of the stack (quetzal
# workers, PostgreSQL, nginx, wrk), in percent of one core and in CPU
# microseconds per request (the figure that survives a busy machine), plus
# the workers' memory (PSS): what a user runs to size a host.
#
# usage: scripts/bench.sh            (or: make bench)
#
# With a stack already running in STACK_DIR (default var/run, i.e. `make
# run`), it measures that one (its nginx limits the password routes, so
# token then measures that limit: the script says so); otherwise it
# starts a throwaway one (tests/support/with-stack.sh, but with fsync and
# durable commits, one loop a worker plus the spare ones, no limit on the
# password routes and QUETZAL_HASH_SLOTS = WORKERS) and stops it at the
# end. It registers a
# user through the API, gives it TASKS tasks (POST /api/v1/tasks, as a
# client would), then runs, for DURATION each after a 2 s warm-up:
#   get_task   GET /api/v1/tasks/{id}  (a random one of the user's tasks)
#   list       GET /api/v1/tasks?limit=20
#   users_me   GET /api/v1/users/me
#   post_task  POST /api/v1/tasks
#   token      POST /token (form login; bcrypt at QUETZAL_BCRYPT_COST)
# Environment (defaults): THREADS (2), CONNECTIONS (32), DURATION (10s),
# TASKS (1000), ENDPOINTS (all five, space separated), WORKERS and
# QUETZAL_THREADS for a stack it starts (4 and the worker's default).
# Needs wrk and a build (make).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd -- "$here/.." && pwd -P)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
if [[ -z ${QUETZAL_TEST_URL:-} ]]; then
	run_dir=${STACK_DIR:-$root/var/run}
	if [[ -f $run_dir/stack.env && -f $run_dir/pids ]] &&
		STACK_DIR=$run_dir "$here/stack.sh" status >/dev/null 2>&1; then
		# a running `make run`: measure it
		# shellcheck disable=SC1091 # written by stack.sh
		. "$run_dir/stack.env"
		export QUETZAL_TEST_URL=http://127.0.0.1:$PORT
		export QUETZAL_TEST_STACK_DIR=$run_dir
		note "measuring the running stack on $QUETZAL_TEST_URL"
	else
		# A throwaway stack as production runs it, not as the tests
		# do: PostgreSQL with fsync and durable commits, the worker's
		# default loops.  But token measures logins, not the limits
		# that refuse them: no rate limit on the password routes, and
		# a place in the hash gate for each worker.
		export WORKERS=${WORKERS:-4} QUETZAL_THREADS=${QUETZAL_THREADS:-1}
		export QUETZAL_PG_FAST=${QUETZAL_PG_FAST:-0}
		export AUTH_RATE=${AUTH_RATE:-1000000r/s} AUTH_BURST=${AUTH_BURST:-100000}
		export QUETZAL_HASH_SLOTS=${QUETZAL_HASH_SLOTS:-$WORKERS}
		exec "$root/tests/support/with-stack.sh" "$0" "$@"
	fi
fi

THREADS=${THREADS:-2} CONNECTIONS=${CONNECTIONS:-32} DURATION=${DURATION:-10s}
TASKS=${TASKS:-1000}
ENDPOINTS=${ENDPOINTS:-get_task list users_me post_task token}
url=$QUETZAL_TEST_URL
pids_file=$QUETZAL_TEST_STACK_DIR/pids
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
hz=$(getconf CLK_TCK)

# tree PID...: the PIDs and all their descendants
tree() {
	local p
	for p in "$@"; do
		[[ -d /proc/$p ]] || continue
		echo "$p"
		# shellcheck disable=SC2046 # one PID a word
		tree $(ps -o pid= --ppid "$p" 2>/dev/null | tr -d ' ')
	done
}

# ticks PID...: utime+stime+cutime+cstime summed over the PIDs
ticks() {
	local p sum=0 f
	for p in "$@"; do
		f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		f=${f##*) } # fields from 3 on; the name may hold spaces
		read -r -a a <<<"$f"
		sum=$((sum + a[11] + a[12] + a[13] + a[14]))
	done
	echo "$sum"
}

role_pids() { awk -v r="$1" '$1 == r { print $2 }' "$pids_file"; }

# the groups, as PID lists: workers, postgres (postmaster and backends),
# nginx (master and workers)
group_pids() {
	# shellcheck disable=SC2046
	case $1 in
	app) tree $(role_pids worker) ;;
	pg) tree $(role_pids postgres) ;;
	nginx) tree $(role_pids nginx) ;;
	esac
}

pss_kib() { # summed PSS of the workers (and their threads' processes)
	local p sum=0 v
	for p in $(group_pids app); do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

curl_() { curl -fsS --noproxy '*' "$@"; }

email=bench-$$-$RANDOM@bench.example pass=bench-password-$$
curl_ -H 'Content-Type: application/json' -o /dev/null \
	-d "{\"email\":\"$email\",\"password\":\"$pass\"}" "$url/api/v1/users"
token=$(curl_ --data-urlencode "username=$email" --data-urlencode "password=$pass" \
	"$url/token" | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
[[ -n $token ]] || die "cannot log in $email"

# TASKS tasks through the API, over one kept connection
{
	for ((i = 1; i <= TASKS; i++)); do
		((i == 1)) || printf 'next\n'
		printf 'url = "%s/api/v1/tasks"\n' "$url"
		printf 'data = "{\\"title\\":\\"task %d\\",\\"description\\":\\"seeded by bench\\"}"\n' "$i"
		printf 'output = "/dev/null"\n'
		printf 'header = "Content-Type: application/json"\n'
		printf 'header = "Authorization: Bearer %s"\n' "$token"
		printf 'fail\n'
	done
} >"$tmp/seed.curl"
curl -sS --noproxy '*' -K "$tmp/seed.curl" || die "seeding failed"
ids=$(curl_ -H "Authorization: Bearer $token" "$url/api/v1/tasks?limit=100" |
	grep -o '"id" *: *[0-9]*' | tr -dc '0-9\n' | paste -sd, -) || true
[[ -n $ids ]] || die "seeding failed: no task listed"

cat >"$tmp/get_task.lua" <<EOF
local ids = { $ids }
request = function()
	return wrk.format("GET", "/api/v1/tasks/" .. ids[math.random(#ids)])
end
EOF
cat >"$tmp/post_task.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"bench task","description":"posted by wrk"}'
EOF
cat >"$tmp/token.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=password&username=$(printf '%s' "$email" | sed 's/@/%40/')&password=$pass"
EOF
# every script: count non-2xx answers
for f in get_task post_task token none; do
	cat >>"$tmp/$f.lua" <<'EOF'
local bad = 0
response = function(status) if status >= 300 then bad = bad + 1 end end
done = function(summary, latency, requests)
	io.write(string.format("BENCH %d %.0f %.2f %.2f %d\n",
		summary.requests, summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		summary.errors.status))
end
EOF
done

# measure NAME PATH SCRIPT: warm-up, then one measured wrk run
measure() {
	local name=$1 path=$2 script=$3 g before=() after=() w0 w1 pss
	local -a auth=(-H "Authorization: Bearer $token")
	[[ $name == token ]] && auth=()
	wrk -t1 -c4 -d2s ${auth[@]+"${auth[@]}"} -s "$script" "$url$path" >/dev/null
	for g in app pg nginx; do
		# shellcheck disable=SC2046
		before+=("$(ticks $(group_pids "$g"))")
	done
	w0=$(date +%s%N)
	(
		wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" \
			${auth[@]+"${auth[@]}"} -s "$script" "$url$path" >"$tmp/$name.out"
		times >"$tmp/$name.times"
	)
	w1=$(date +%s%N)
	for g in app pg nginx; do
		# shellcheck disable=SC2046
		after+=("$(ticks $(group_pids "$g"))")
	done
	pss=$(pss_kib)
	# wrk's CPU: the subshell's children's user and system time
	awk -v name="$name" -v hz="$hz" -v ns=$((w1 - w0)) \
		-v app=$((after[0] - before[0])) -v pg=$((after[1] - before[1])) \
		-v ngx=$((after[2] - before[2])) -v pss="$pss" '
		function secs(s,  m) { m = s; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", s); sub(/s$/, "", s); return m * 60 + s }
		FILENAME ~ /times$/ && FNR == 2 { wrk = secs($1) + secs($2) }
		/^BENCH / { n = $2; rps = $3; p50 = $4; p99 = $5; bad = $6 }
		END {
			t = ns / 1e9
			if (n < 1) n = 1
			printf "| %s | %s | %.2f | %.2f | %d | %.0f/%.0f/%.0f/%.0f | %.0f/%.0f/%.0f = %.0f | %.1f |\n",
				name, rps, p50, p99, bad,
				100 * app / hz / t, 100 * pg / hz / t, 100 * ngx / hz / t, 100 * wrk / t,
				1e6 * app / hz / n, 1e6 * pg / hz / n, 1e6 * ngx / hz / n,
				1e6 * (app + pg + ngx) / hz / n, pss / 1024
		}' "$tmp/$name.out" "$tmp/$name.times"
}

workers=$(role_pids worker | wc -l)
echo "quetzal $("${QUETZAL_BIN:-$root/build/quetzal}" --version 2>/dev/null | cut -d' ' -f2)," \
	"$workers worker processes (QUETZAL_THREADS=${QUETZAL_THREADS:-default})," \
	"wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores, $TASKS tasks," \
	"load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| endpoint | req/s | p50 ms | p99 ms | non-2xx | CPU % app/pg/nginx/wrk | CPU µs/req app/pg/nginx = stack | workers' PSS MiB |"
echo "| --- | ---: | ---: | ---: | ---: | --- | --- | ---: |"
first=$(echo "$ids" | cut -d, -f1)
for e in $ENDPOINTS; do
	case $e in
	get_task) measure get_task "/api/v1/tasks/$first" "$tmp/get_task.lua" ;;
	list) measure list "/api/v1/tasks?limit=20" "$tmp/none.lua" ;;
	users_me) measure users_me "/api/v1/users/me" "$tmp/none.lua" ;;
	post_task) measure post_task "/api/v1/tasks" "$tmp/post_task.lua" ;;
	token)
		measure token "/token" "$tmp/token.lua"
		bad=$(awk '/^BENCH / { print $6 }' "$tmp/token.out")
		((${bad:-0} == 0)) || limited=$bad
		;;
	*) die "unknown endpoint $e (get_task list users_me post_task token)" ;;
	esac
done
if [[ -n ${limited:-} ]]; then
	echo
	echo "token: $limited answers were not 2xx: nginx's limit on the" \
		"password routes (AUTH_RATE, 429) or a full password-hash gate" \
		"(QUETZAL_HASH_SLOTS, 503) refused them. Without a running" \
		"make run, make bench starts a stack that lifts both."
fi
