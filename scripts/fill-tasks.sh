#!/usr/bin/env bash
# fill-tasks.sh: give one user N tasks, fast, straight into PostgreSQL (for
# benchmarks; the API is not involved).
#
# usage: QUETZAL_DATABASE_URL=CONNINFO scripts/fill-tasks.sh USER_ID N
#
# The tasks look like real ones: titles "task <i> <md5 of i>" (so trigrams
# vary), a description on every third, 1% done, due dates over a year on
# half of them, created one millisecond apart and ending now, so the
# newest is task N.  Rows go in batches of 100,000, each its own
# transaction; then the table is analyzed.  It prints the id of the newest
# task.  A million tasks take about a minute on two cores.
# Environment: PG_BINDIR (default /usr/lib/postgresql/15/bin).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=scripts/common.sh
. "$here/common.sh"

(($# == 2)) || {
	echo "usage: QUETZAL_DATABASE_URL=CONNINFO ${0##*/} USER_ID N" >&2
	exit 2
}
user=$1 n=$2
[[ $user =~ ^[1-9][0-9]{0,18}$ ]] || die "bad USER_ID: $user"
[[ $n =~ ^[1-9][0-9]{0,8}$ ]] || die "bad N: $n"
: "${QUETZAL_DATABASE_URL:?QUETZAL_DATABASE_URL is not set}"
psql=${PG_BINDIR:-/usr/lib/postgresql/15/bin}/psql

# sql STATEMENT: runs it, prints the result unaligned. The values put into
# statements below are checked integers or PostgreSQL's own now().
sql() {
	"$psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$QUETZAL_DATABASE_URL" -c "$1"
}

[[ $(sql "SELECT count(*) FROM users WHERE id = $user") == 1 ]] ||
	die "no user with id $user"
t0=$(sql "SELECT now()")
batch=100000
for ((lo = 1; lo <= n; lo += batch)); do
	hi=$((lo + batch - 1 < n ? lo + batch - 1 : n))
	sql "INSERT INTO tasks (owner_id, title, description, done, due_date,
	        created_at, updated_at)
	    SELECT $user, 'task ' || i || ' ' || md5(i::text),
	        CASE WHEN i % 3 = 0 THEN 'description of task ' || i END,
	        i % 100 = 0,
	        CASE WHEN i % 2 = 0 THEN date '2026-01-01' + i % 365 END,
	        '$t0'::timestamptz - ($n - i) * interval '1 millisecond',
	        '$t0'::timestamptz - ($n - i) * interval '1 millisecond'
	    FROM generate_series($lo, $hi) i"
done
sql "ANALYZE tasks"
sql "SELECT max(id) FROM tasks WHERE owner_id = $user"
