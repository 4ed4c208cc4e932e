#!/usr/bin/env bash
# bench-tasks.sh: the tasks API under wrk, through nginx (SPEC 4.4, 4.6).
#
# usage: scripts/bench-tasks.sh
#
# Starts a throwaway stack (tests/support/with-stack.sh: PostgreSQL,
# WORKERS quetzal workers, nginx), registers two users through the API and
# logs them in, gives one SMALL tasks and the other BIG (scripts/fill-
# tasks.sh), then runs wrk with THREADS threads and CONNECTIONS connections
# for DURATION each:
#   get        GET /api/v1/tasks/{id}          (the hot path)
#   list-small GET /api/v1/tasks?limit=20      (user with SMALL tasks)
#   list-big   GET /api/v1/tasks?limit=20      (user with BIG tasks)
#   deep-big   GET /api/v1/tasks?limit=20&cursor=  (half way down BIG)
# and prints one line each: requests/s, p50, p90, p99, non-2xx answers.
# The goal (issue 4): list-big within 1.5x of list-small.
#
# Environment (defaults): WORKERS (4), THREADS (2), CONNECTIONS (32),
# DURATION (10s), SMALL (1000), BIG (1000000), QUETZAL_LOG_LEVEL (info,
# as in production: one log line per request).  Needs wrk and a build
# (make).  Everything it starts is stopped at the end.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd -- "$here/.." && pwd -P)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

if [[ -z ${QUETZAL_TEST_URL:-} ]]; then
	command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
	export WORKERS=${WORKERS:-4}
	exec "$root/tests/support/with-stack.sh" "$0" "$@"
fi

THREADS=${THREADS:-2} CONNECTIONS=${CONNECTIONS:-32} DURATION=${DURATION:-10s}
SMALL=${SMALL:-1000} BIG=${BIG:-1000000}
url=$QUETZAL_TEST_URL
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-tasks.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

# user NAME: registers NAME@bench.example, logs in; prints "ID TOKEN"
user() {
	local email=$1-$$@bench.example pass=bench-password-$$ id token
	id=$(curl -fsS --noproxy '*' -H 'Content-Type: application/json' \
		-d "{\"email\":\"$email\",\"password\":\"$pass\"}" \
		"$url/api/v1/users" | sed -n 's/.*"id" *: *\([0-9]*\).*/\1/p')
	token=$(curl -fsS --noproxy '*' --data-urlencode "username=$email" \
		--data-urlencode "password=$pass" "$url/api/v1/auth/token" |
		sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
	[[ -n $id && -n $token ]] || die "cannot register or log in $email"
	printf '%s %s\n' "$id" "$token"
}

# run NAME TOKEN PATH: one wrk run, one summary line
run() {
	local name=$1 token=$2 path=$3 out=$tmp/$1.out
	# a warm-up, so prepared statements and caches are hot
	wrk -t1 -c4 -d2s -H "Authorization: Bearer $token" "$url$path" >/dev/null
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
		-H "Authorization: Bearer $token" "$url$path" >"$out"
	awk -v name="$name" '
		/^ +50%/ { p50 = $2 } /^ +90%/ { p90 = $2 } /^ +99%/ { p99 = $2 }
		/Requests\/sec/ { rps = $2 }
		/Non-2xx/ { bad = $NF }
		END { printf "%-11s %9s req/s  p50 %8s  p90 %8s  p99 %8s  non-2xx %s\n",
			name, rps, p50, p90, p99, bad ? bad : 0 }' "$out"
}

read -r small_id small_token < <(user small)
read -r big_id big_token < <(user big)
note "filling: $SMALL tasks for user $small_id, $BIG for user $big_id"
small_task=$("$here/fill-tasks.sh" "$small_id" "$SMALL")
"$here/fill-tasks.sh" "$big_id" "$BIG" >/dev/null
# the cursor after the task half way down the big user's list
deep=$("${PG_BINDIR:-/usr/lib/postgresql/15/bin}/psql" -X -q -A -t \
	-d "$QUETZAL_DATABASE_URL" -c "SELECT task_cursor(t) FROM tasks t
	    WHERE owner_id = $big_id ORDER BY created_at DESC, id DESC
	    OFFSET $((BIG / 2)) LIMIT 1")

echo "quetzal $("$QUETZAL_BIN" --version | cut -d' ' -f2), $WORKERS workers," \
	"wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores," \
	"load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run get "$small_token" "/api/v1/tasks/$small_task"
run list-small "$small_token" "/api/v1/tasks?limit=20"
run list-big "$big_token" "/api/v1/tasks?limit=20"
run deep-big "$big_token" "/api/v1/tasks?limit=20&cursor=$deep"
