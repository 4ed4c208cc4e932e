#!/usr/bin/env bash
# bench-conduit.sh: the Conduit API (SPEC 4.5) under wrk, through nginx.
#
# usage: scripts/bench-conduit.sh
#
# Starts a throwaway stack (tests/support/with-stack.sh: PostgreSQL,
# WORKERS quetzal workers, nginx with its micro-cache), fills the database
# as issue 9 says (USERS users, ARTICLES articles with two tags each out of
# TAGS, a reader registered through POST /api/users who follows 500
# authors), ANALYZEs, then runs wrk with THREADS threads and CONNECTIONS
# connections for DURATION each:
#   list-token   GET /api/articles?limit=20      with the reader's token
#   get-token    GET /api/articles/{slug}        with the reader's token
#   get-anon     GET /api/articles/{slug}        anonymous (micro-cached)
#   list-anon    GET /api/articles?limit=20      anonymous (micro-cached)
#   feed         GET /api/articles/feed          with the reader's token
#   tag          GET /api/articles?tag=T         with the reader's token
#   tags         GET /api/tags                   with the reader's token
# and prints one line each: requests/s, p50, p99, non-2xx answers, and the
# CPU time per request of PostgreSQL, the workers and nginx (from /proc:
# ratios that hold on a busy machine too).  ONLY="list-token get-token"
# runs only those.
# The goals (issue 9): list-token >= 4,000 req/s, get-* >= 10,000 req/s.
#
# Environment (defaults): WORKERS (4), THREADS (2), CONNECTIONS (32),
# DURATION (10s), USERS (10000), ARTICLES (100000), TAGS (5000), ONLY,
# QUETZAL_LOG_LEVEL (info).  Needs wrk and a build (make).  Everything it
# starts is stopped at the end.
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
USERS=${USERS:-10000} ARTICLES=${ARTICLES:-100000} TAGS=${TAGS:-5000}
url=$QUETZAL_TEST_URL
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-conduit.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
psql() {
	"${PG_BINDIR:-/usr/lib/postgresql/15/bin}/psql" -X -q -A -t \
		-v ON_ERROR_STOP=1 -d "$QUETZAL_DATABASE_URL" "$@"
}

note "filling: $USERS users, $ARTICLES articles, $TAGS tags"
psql -v users="$USERS" -v articles="$ARTICLES" -v tags="$TAGS" <<'SQL'
INSERT INTO users (email, username, password_hash)
SELECT 'bench_' || i || '@bench.example', 'bench_' || i, 'x'
FROM generate_series(1, :users) i;
CREATE TEMP TABLE bu AS SELECT row_number() OVER (ORDER BY id) AS n, id
FROM users WHERE username ~ '^bench_[0-9]+$';
CREATE INDEX ON bu (n);
INSERT INTO tags (name) SELECT 'tag' || i FROM generate_series(0, :tags - 1) i;
INSERT INTO articles (slug, author_id, title, description, body, tag_list,
    created_at)
SELECT 'bench-' || i, bu.id, 'Bench article ' || i, 'About ' || i,
    repeat('The body of article ' || i || '. ', 40),
    ARRAY(SELECT DISTINCT unnest(ARRAY['tag' || (i % :tags),
	'tag' || ((i % :tags + 1 + i % 7) % :tags)]) ORDER BY 1),
    now() - (:articles - i) * interval '1 second'
FROM generate_series(1, :articles) i JOIN bu ON bu.n = i % :users + 1;
INSERT INTO article_tags (tag_id, article_id)
SELECT t.id, a.id FROM articles a, unnest(a.tag_list) n
JOIN tags t ON t.name = n WHERE a.slug LIKE 'bench-%';
INSERT INTO favorites (user_id, article_id)
SELECT bu.id, a.id FROM articles a JOIN bu ON bu.n = (a.id * 31) % :users + 1
WHERE a.slug LIKE 'bench-%' ON CONFLICT DO NOTHING;
VACUUM ANALYZE;
SQL

email=reader-$$@bench.example pass=bench-password-$$
token=$(curl -fsS --noproxy '*' -H 'Content-Type: application/json' \
	-d "{\"user\":{\"username\":\"reader_$$\",\"email\":\"$email\",\"password\":\"$pass\"}}" \
	"$url/api/users" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[[ -n $token ]] || die "cannot register the reader"
psql -c "INSERT INTO follows (follower_id, followee_id)
	SELECT r.id, u.id FROM users r, users u
	WHERE r.username = 'reader_$$' AND u.username ~ '^bench_[0-9]+$'
	ORDER BY u.id LIMIT 500"
slug=bench-$((ARTICLES / 2))

# tree PID...: those processes and their children
tree() {
	local p
	for p in "$@"; do
		echo "$p"
		ps -o pid= --ppid "$p" 2>/dev/null || true
	done
}

# cpu: clock ticks (user + system) used so far by this stack's
# PostgreSQL, workers and nginx: "pg worker nginx"
cpu() {
	local pgpid f t pg=0 wk=0 ng=0
	pgpid=$("$root/scripts/pg.sh" pid "$QUETZAL_TEST_PGDIR")
	for f in pg wk ng; do
		t=0
		case $f in
		pg) set -- $(tree "$pgpid") ;;
		wk) set -- $QUETZAL_TEST_WORKER_PIDS ;;
		ng) set -- $(tree "$QUETZAL_TEST_NGINX_PID") ;;
		esac
		for p in "$@"; do
			# utime and stime: fields 14 and 15 (comm has no spaces)
			t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" \
			    2>/dev/null || echo 0)))
		done
		printf -v "$f" %s "$t"
	done
	echo "$pg $wk $ng"
}

# run NAME TOKEN PATH: one wrk run, one summary line (TOKEN - : anonymous)
# with the CPU time per request of PostgreSQL, the workers and nginx.
run() {
	local name=$1 token=$2 path=$3 out=$tmp/$1.out hdr=() before after
	[[ $token == - ]] || hdr=(-H "Authorization: Token $token")
	# a warm-up, so prepared statements and caches are hot
	wrk -t1 -c4 -d2s "${hdr[@]}" "$url$path" >/dev/null
	before=$(cpu)
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
		"${hdr[@]}" "$url$path" >"$out"
	after=$(cpu)
	awk -v name="$name" -v before="$before" -v after="$after" \
	    -v hz="$(getconf CLK_TCK)" '
		/^ +50%/ { p50 = $2 } /^ +90%/ { p90 = $2 } /^ +99%/ { p99 = $2 }
		/Requests\/sec/ { rps = $2 }
		/requests in/ { n = $1 }
		/Non-2xx/ { bad = $NF }
		END {
			split(before, b); split(after, a)
			us = 1e6 / hz / (n ? n : 1)
			printf "%-11s %9s req/s  p50 %8s  p99 %8s  non-2xx %s" \
			    "  cpu/req pg %.0fus worker %.0fus nginx %.0fus\n",
			    name, rps, p50, p99, bad ? bad : 0,
			    (a[1] - b[1]) * us, (a[2] - b[2]) * us,
			    (a[3] - b[3]) * us }' "$out"
}

echo "quetzal $("$QUETZAL_BIN" --version | cut -d' ' -f2), $WORKERS workers," \
	"wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores," \
	"load before: $(cut -d' ' -f1-3 /proc/loadavg)"
want() { [[ -z ${ONLY:-} || " $ONLY " == *" $1 "* ]]; }
want list-token && run list-token "$token" "/api/articles?limit=20"
want get-token && run get-token "$token" "/api/articles/$slug"
want get-anon && run get-anon - "/api/articles/$slug"
want list-anon && run list-anon - "/api/articles?limit=20"
want feed && run feed "$token" "/api/articles/feed"
want tag && run tag "$token" "/api/articles?tag=tag42"
want tags && run tags "$token" "/api/tags"
exit 0
