#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/run.sh: deploy.sh under a real systemd (SPEC 7, 8).
#
# Boots systemd in its own pid/mount/net/cgroup namespaces on an overlay
# of this machine's root (tests/system/ns.sh), copies the checkout into it,
# runs ./deploy.sh there and proves what SPEC 6 and 7 promise. Nothing it
# does reaches the real root; the namespace, its cgroup and the overlay
# are removed on every exit. Needs root and the packages of `make deps`
# already installed (the namespace has no network).
#
#   tests/system/run.sh [-v] [TEST...]    TEST: names below, default all
#
# Prints one line per test and ends with "N passed, N failed"; exits 1 on
# any failure, 0 (after saying why) when the machine cannot run it.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
NS_LIB_DIR=$HERE
# shellcheck source=tests/system/ns.sh
. "$HERE/ns.sh"
# shellcheck source=tests/system/lib.sh
. "$HERE/lib.sh"

VERBOSE=0
if [ "${1:-}" = -v ]; then VERBOSE=1; shift; fi
ONLY=" $* "

PASSED=0 FAILED=0 SKIPPED=0
SRC_IN=/opt/quetzal-src		# the checkout, inside
LOG=				# this run's scratch dir on the host

say() { printf 'system: %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }

# ns CMD...: run inside the namespace.
ns() { ns_exec "$@"; }

# http ARGS...: curl inside the namespace, bounded.
http() { ns curl -s --max-time 10 "$@"; }

# unit_prop UNIT PROP
unit_prop() { ns systemctl show -P "$2" "$1" 2>/dev/null; }

# Predicates for wait_for.
restarted_since() { [ "$(unit_prop "$1" NRestarts)" -gt "$2" ] && ns systemctl is-active -q "$1"; }
not_active() { ! ns systemctl is-active -q "$1"; }
journal_has() { ns journalctl -q --no-pager -u "$1" | grep -q "$2"; }
all_workers_active()
{
	local i
	for i in 1 2 3; do ns systemctl is-active -q "quetzal@$i.service" || return 1; done
}

restarts_total()
{
	local i n=0
	for i in 1 2 3; do n=$((n + $(unit_prop "quetzal@$i.service" NRestarts))); done
	echo "$n"
}

workers() { ns systemctl list-units --plain --no-legend --state=active 'quetzal@*.service' | awk '{print $1}'; }

# deploy ARGS...: ./deploy.sh inside, output in $LOG/deploy.out; its status.
deploy()
{
	local rc
	ns timeout 300 "$SRC_IN/deploy.sh" "$@" >"$LOG/deploy.out" 2>&1
	rc=$?
	[ "$VERBOSE" = 1 ] && sed 's/^/    | /' "$LOG/deploy.out"
	return $rc
}
show_deploy() { tail -n 25 "$LOG/deploy.out" | sed 's/^/    | /'; }

# ---------------------------------------------------------------- tests

t_deploy_first_run()
{
	deploy --workers 3 && grep -q 'serving with 3 workers' "$LOG/deploy.out" ||
	    { note "deploy.sh failed:"; show_deploy; return 1; }
}

t_units_active()
{
	local u bad=0
	for u in quetzal.socket quetzal.target quetzal@1.service quetzal@2.service \
	    quetzal@3.service quetzal-migrate.service quetzal-backup.timer \
	    nginx.service postgresql@15-main.service; do
		if ! ns systemctl is-active -q "$u"; then
			note "$u: $(ns systemctl is-active "$u")"; bad=1
		fi
	done
	for u in quetzal.socket quetzal.target quetzal@1.service quetzal@3.service \
	    quetzal-backup.timer nginx.service; do
		ns systemctl is-enabled -q "$u" || { note "$u not enabled"; bad=1; }
	done
	[ "$(ns systemctl show -P Type quetzal@1.service)" = notify ] || { note "not Type=notify"; bad=1; }
	return $bad
}

# Each worker (User=quetzal, unprivileged: the kernel takes one autogroup
# change per 100 ms from it, so workers started together retry in turn)
# leads its own session and gives its autogroup the nice value 3.
workers_reniced()
{
	local i pid
	for i in 1 2 3; do
		pid=$(unit_prop "quetzal@$i.service" MainPID)
		ns cat "/proc/$pid/autogroup" 2>/dev/null | grep -q ' nice 3$' || return 1
	done
}
t_workers_autogroup_nice()
{
	local i pid
	wait_for 10 workers_reniced && return 0
	for i in 1 2 3; do
		pid=$(unit_prop "quetzal@$i.service" MainPID)
		note "quetzal@$i (pid $pid): $(ns cat "/proc/$pid/autogroup" 2>&1)"
	done
	return 1
}

t_socket_only_for_nginx()
{
	local st
	st=$(ns stat -c '%a %U %G' /run/quetzal/quetzal.sock)
	[ "$st" = "660 root www-data" ] || { note "socket is '$st'"; return 1; }
	# A user outside www-data cannot connect.
	# curl exits 7 when it cannot connect; anything else means it could.
	ns setpriv --reuid=nobody --regid=nogroup --clear-groups curl -s --max-time 3 \
	    --unix-socket /run/quetzal/quetzal.sock http://x/ >/dev/null 2>&1
	[ $? = 7 ] || { note "nobody can connect to the FastCGI socket"; return 1; }
	ns setpriv --reuid=www-data --regid=www-data --init-groups curl -s --max-time 3 \
	    --unix-socket /run/quetzal/quetzal.sock http://x/ >/dev/null 2>&1
	[ $? != 7 ] || { note "www-data cannot connect to the FastCGI socket"; return 1; }
}

t_readyz_through_nginx()
{
	local out
	out=$(http -i http://127.0.0.1/readyz) || { note "curl failed"; return 1; }
	echo "$out" | head -n1 | grep -q ' 200' || { note "readyz: $(echo "$out" | head -n1)"; return 1; }
	out=$(http -o /dev/null -w '%{http_code}' http://127.0.0.1/healthz)
	[ "$out" = 200 ] || { note "healthz: $out"; return 1; }
	out=$(http http://127.0.0.1/)
	echo "$out" | grep -q '"name" *: *"quetzal"' || { note "/: $out"; return 1; }
}

t_nginx_headers_and_errors()
{
	local h body bad=0 big
	h=$(http -D - -o /dev/null http://127.0.0.1/no-such-thing)
	for want in 'X-Content-Type-Options: nosniff' 'X-Frame-Options: DENY' \
	    'Content-Security-Policy:' 'Referrer-Policy: no-referrer' 'X-Request-ID: '; do
		echo "$h" | grep -qi "^$want" || { note "missing $want"; bad=1; }
	done
	[ "$(echo "$h" | grep -ci '^X-Request-ID:')" = 1 ] || { note "X-Request-ID not exactly once"; bad=1; }
	echo "$h" | grep -i '^Server:' | grep -q '[0-9]' && { note "server version shown"; bad=1; }
	# nginx's own 413, with the headers and a JSON body.
	big=$(http -D "/tmp/h413" -o /tmp/b413 -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' --data-binary @/usr/bin/bash \
	    http://127.0.0.1/api/v1/tasks)
	body=$(ns cat /tmp/b413); h=$(ns cat /tmp/h413)
	[ "$big" = 413 ] || { note "big body: $big"; bad=1; }
	echo "$body" | grep -q '"status":413' || { note "413 body: $body"; bad=1; }
	echo "$h" | grep -qi '^Content-Type: application/problem+json' || { note "413 type"; bad=1; }
	echo "$h" | grep -qi '^X-Content-Type-Options: nosniff' || { note "413 without security headers"; bad=1; }
	# /openapi.json and /docs are served by nginx.
	[ "$(http -o /dev/null -w '%{http_code}' http://127.0.0.1/openapi.json)" = 200 ] ||
	    { note "openapi.json not served"; bad=1; }
	if ns test -f /opt/quetzal/current/share/quetzal/swagger-ui/index.html; then
		for u in /docs /docs/; do
			[ "$(http -o /dev/null -w '%{http_code}' "http://127.0.0.1$u")" = 200 ] ||
			    { note "$u not served"; bad=1; }
		done
	fi
	return $bad
}

# Issue 11 item 1 under systemd: the hash gate is one file shared by every
# worker (RuntimeDirectory=quetzal-pool). With its places held from outside
# (POSIX locks conflict with the workers' OFD locks), every worker refuses
# a login at once with 503 + Retry-After; released, the login works.
HG_PROBE='
import fcntl, os, subprocess, sys
email, pw = sys.argv[1], sys.argv[2]
def login():
    return subprocess.run(["curl", "-s", "--max-time", "10", "-D", "-", "-o", "/dev/null",
        "-d", "grant_type=password&username=%s&password=%s" % (email, pw),
        "http://127.0.0.1/api/v1/auth/token"], capture_output=True, text=True).stdout
fd = os.open("/run/quetzal-pool/hash-slots", os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 64, 0)
held = [login() for _ in range(3)]
fcntl.lockf(fd, fcntl.LOCK_UN, 64, 0)
free = login()
for h in held:
    print("held", h.split(" ")[1], "ra" if "\nretry-after:" in h.lower() else "-")
print("free", free.split(" ")[1])
'

t_hash_gate_shared_by_the_pool()
{
	local email out
	ns test -f /run/quetzal-pool/hash-slots || { note "no /run/quetzal-pool/hash-slots"; return 1; }
	if ns journalctl -q --no-pager -u 'quetzal@*' | grep -q 'hash gate: no runtime directory'; then
		note "a worker runs without the shared gate"; return 1
	fi
	email="hg$$-$RANDOM@example.com"
	[ "$(http -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d "{\"email\":\"$email\",\"username\":\"hg$$$RANDOM\",\"password\":\"hash gate 12\"}" \
	    http://127.0.0.1/api/v1/users)" = 201 ] || { note "cannot register"; return 1; }
	out=$(ns python3 -c "$HG_PROBE" "$email" "hash+gate+12" 2>&1)
	note "$(echo "$out" | tr '\n' ' ')"
	[ "$(echo "$out" | grep -c '^held 503 ra$')" = 3 ] && echo "$out" | grep -q '^free 200$'
}

# Issue 11 item 5: writers create tasks through nginx while a worker is
# killed with SIGKILL and PostgreSQL is restarted. Every 201 is a task in
# the database with its title; every other answer is a 502, or a 503 with
# Retry-After; no request hangs (each is bounded by curl --max-time 15, and
# a timeout shows as 000); and writes succeed again afterwards.
AW_WRITER='
set -u
k=$1 token=$2 stop=$3 out=$4
end=$(($(date +%s) + 60))
i=0
: >"$out"
while [ ! -e "$stop" ] && [ "$(date +%s)" -lt "$end" ]; do
	i=$((i + 1))
	title="aw-$k-$i-$$"
	code=$(curl -s --max-time 15 -D "/tmp/aw-h.$k" -o /dev/null -w "%{http_code}" \
	    -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
	    -d "{\"title\":\"$title\"}" http://127.0.0.1/api/v1/tasks)
	ra=-
	grep -qi "^Retry-After: *[0-9]" "/tmp/aw-h.$k" 2>/dev/null && ra=ra
	echo "$code $ra $title" >>"$out"
done
'

t_acknowledged_writes()
{
	local email token uid victim pid n0 bad=0 lines created missing k after
	email="aw$$-$RANDOM@example.com"
	[ "$(http -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d "{\"email\":\"$email\",\"username\":\"aw$$$RANDOM\",\"password\":\"acked writes 1\"}" \
	    http://127.0.0.1/api/v1/users)" = 201 ] || { note "cannot register"; return 1; }
	token=$(http -d "grant_type=password&username=$email&password=acked+writes+1" \
	    http://127.0.0.1/api/v1/auth/token | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
	[ -n "$token" ] || { note "cannot log in"; return 1; }
	uid=$(ns runuser -u postgres -- psql -d quetzal -XAtc "SELECT id FROM users WHERE email = '$email'")
	ns rm -f /tmp/aw.stop
	for k in 1 2 3 4; do
		ns sh -c "$AW_WRITER" writer "$k" "$token" /tmp/aw.stop "/tmp/aw.$k" &
		eval "AW_PID_$k=\$!"
	done
	LOAD_PID="$AW_PID_1 $AW_PID_2 $AW_PID_3 $AW_PID_4"
	sleep 2
	victim=$(workers | head -n1)
	pid=$(unit_prop "$victim" MainPID)
	n0=$(unit_prop "$victim" NRestarts)
	ns kill -KILL "$pid"
	sleep 2
	ns timeout 60 systemctl restart postgresql@15-main.service || { note "PostgreSQL did not restart"; bad=1; }
	wait_for 20 restarted_since "$victim" "$n0" || { note "$victim not restarted"; bad=1; }
	sleep 4
	ns touch /tmp/aw.stop
	# shellcheck disable=SC2086 # the four writers' PIDs
	wait $LOAD_PID
	LOAD_PID=
	lines=$(ns sh -c 'cat /tmp/aw.1 /tmp/aw.2 /tmp/aw.3 /tmp/aw.4')
	note "answers: $(echo "$lines" | awk '{print $1 ($1 == 503 ? "/" $2 : "")}' | sort | uniq -c | tr '\n' ' ' | tr -s ' ')"
	# Nothing but 201, 502, and 503 with Retry-After.
	if echo "$lines" | awk '!($1 == 201 || $1 == 502 || ($1 == 503 && $2 == "ra"))' | grep -q .; then
		note "other answers: $(echo "$lines" | awk '!($1 == 201 || $1 == 502 || ($1 == 503 && $2 == "ra")) {print $1 "/" $2}' | sort | uniq -c | tr '\n' ' ')"
		bad=1
	fi
	# Every 201 is in the database with its title.
	echo "$lines" | awk '$1 == 201 {print $3}' | sort >"$LOG/aw-acked"
	ns runuser -u postgres -- psql -d quetzal -XAtc "SELECT title FROM tasks WHERE owner_id = $uid" |
	    sort >"$LOG/aw-stored"
	created=$(grep -c . "$LOG/aw-acked")
	missing=$(comm -23 "$LOG/aw-acked" "$LOG/aw-stored" | grep -c .)
	note "$created acknowledged, $(grep -c . "$LOG/aw-stored") stored, $missing acknowledged but missing"
	[ "$missing" = 0 ] || { note "missing: $(comm -23 "$LOG/aw-acked" "$LOG/aw-stored" | head -n 5 | tr '\n' ' ')"; bad=1; }
	[ "$created" -gt 20 ] || { note "too few writes went through"; bad=1; }
	# Writes work again after both events: each writer's last answer is 201.
	for k in 1 2 3 4; do
		after=$(ns tail -n 1 "/tmp/aw.$k" | awk '{print $1}')
		[ "$after" = 201 ] || { note "writer $k ended on $after"; bad=1; }
	done
	# The disturbance was seen: some answers were not 201.
	echo "$lines" | awk '$1 != 201' | grep -q . || note "(no 502/503 seen: the events fell between requests)"
	return $bad
}

t_rate_limit_on_token()
{
	local codes n429 body
	codes=$(ns sh -c 'for i in $(seq 25); do curl -s -o /dev/null -w "%{http_code}\n" \
	    --max-time 10 -X POST -d "username=a&password=b" http://127.0.0.1/token; done')
	n429=$(echo "$codes" | grep -c '^429$')
	[ "$n429" -ge 10 ] || { note "429s: $n429 of 25 ($(echo "$codes" | sort | uniq -c | tr '\n' ' '))"; return 1; }
	body=$(http -X POST -d 'username=a&password=b' http://127.0.0.1/api/v1/auth/token)
	echo "$body" | grep -q '"status":429' || { note "429 body: $body"; return 1; }
	# Other routes are not limited.
	[ "$(http -o /dev/null -w '%{http_code}' http://127.0.0.1/healthz)" = 200 ]
}

t_journald_fields()
{
	local path rid ent i
	path=/systest-$$-$RANDOM
	rid=$(http -D - -o /dev/null "http://127.0.0.1$path" | sed -n 's/^X-Request-ID: *\([0-9a-f]*\).*/\1/Ip')
	[ -n "$rid" ] || { note "no request id"; return 1; }
	for i in $(seq 25); do
		ent=$(ns journalctl -q --no-pager -o export -u 'quetzal@*' HTTP_STATUS=404 "REQUEST_ID=$rid")
		[ -n "$ent" ] && break
		sleep 0.2
	done
	[ -n "$ent" ] || { note "no journal entry with HTTP_STATUS=404 REQUEST_ID=$rid"; return 1; }
	for f in "PRIORITY=" "HTTP_METHOD=GET" "HTTP_PATH=$path" "HTTP_STATUS=404" \
	    "DURATION_US=" "MESSAGE="; do
		echo "$ent" | grep -q "^$f" || { note "field $f missing:"; echo "$ent" | sed 's/^/    | /'; return 1; }
	done
	# nginx's access log reaches the journal too, with the same id.
	wait_for 5 ns sh -c "journalctl -q --no-pager -t quetzal_nginx | grep -q '$rid'" ||
	    { note "nginx access log line with $rid not in the journal"; return 1; }
}

t_units_verify_and_exposure()
{
	local out score
	out=$(ns systemd-analyze security --no-pager --threshold=20 quetzal@1.service 2>&1)
	score=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	note "exposure of quetzal@1.service: $score"
	echo "$out" | tail -n1 | grep -q 'Overall' || { echo "$out" | tail -n 5; return 1; }
	ns systemd-analyze security --no-pager --threshold=20 quetzal@1.service >/dev/null 2>&1 ||
	    { note "above threshold 20"; return 1; }
	ns systemd-analyze security --no-pager --offline=true --threshold=20 \
	    /etc/systemd/system/quetzal@.service >/dev/null 2>&1 || { note "offline check failed"; return 1; }
	# The installed units verify cleanly (the binary exists by now).
	out=$(ns sh -c 'cd /etc/systemd/system && systemd-analyze verify quetzal.socket quetzal@.service \
	    quetzal.target quetzal-migrate.service quetzal-backup.service quetzal-backup.timer 2>&1')
	[ -z "$out" ] || { note "systemd-analyze verify:"; echo "$out" | sed 's/^/    | /'; return 1; }
}

have_wrk() { ns sh -c 'command -v wrk' >/dev/null 2>&1; }

# wrk_ok FILE: wrk's summary shows requests and no error of any kind.
wrk_ok()
{
	grep -E 'requests in|Non-2xx|Socket errors' "$1" | sed 's/^ */    wrk: /'
	grep -q 'requests in' "$1" || { sed 's/^/    | /' "$1"; return 1; }
	! grep -qE 'Non-2xx|Socket errors' "$1"
}

# load_start NAME URL: a bounded curl loop inside (until load_stop or 90 s).
load_start()
{
	ns rm -f "/tmp/load-$1.stop"
	ns sh -c "end=\$((\$(date +%s) + 90)); while [ ! -e /tmp/load-$1.stop ] && [ \$(date +%s) -lt \$end ]; do
	    curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 '$2'; done" >"$LOG/load-$1" 2>&1 &
	LOAD_PID=$!
}
# load_stop NAME: stops it; prints "total failures" and returns 1 on any non-200.
load_stop()
{
	local total bad
	ns touch "/tmp/load-$1.stop"
	wait "$LOAD_PID"
	total=$(grep -c . "$LOG/load-$1")
	bad=$(grep -vc '^200$' "$LOG/load-$1")
	note "$total requests, $bad not 200$( [ "$bad" -gt 0 ] && echo ": $(grep -v '^200$' "$LOG/load-$1" | sort | uniq -c | tr '\n' ' ')")"
	[ "$total" -gt 20 ] && [ "$bad" = 0 ]
}

t_kill9_worker_restarts()
{
	local pid n0 n1 newpid out
	pid=$(unit_prop quetzal@2.service MainPID)
	n0=$(unit_prop quetzal@2.service NRestarts)
	# Under load, so that the killed worker most likely dies mid-request:
	# nginx retries that GET on another worker.
	if ! have_wrk; then
		load_start kill9 http://127.0.0.1/readyz
		sleep 1
		ns kill -KILL "$pid"
		wait_for 15 restarted_since quetzal@2.service "$n0" || { note "quetzal@2 not restarted"; load_stop kill9; return 1; }
		load_stop kill9 || return 1
	else
		ns timeout 60 wrk -t2 -c6 -d6s --timeout 5s http://127.0.0.1/readyz >"$LOG/wrk-kill" 2>&1 &
		LOAD_PID=$!
		sleep 2
		ns kill -KILL "$pid"
		wait_for 15 restarted_since quetzal@2.service "$n0" || { note "quetzal@2 not restarted"; wait "$LOAD_PID"; return 1; }
		wait "$LOAD_PID"
		wrk_ok "$LOG/wrk-kill" || return 1
	fi
	newpid=$(unit_prop quetzal@2.service MainPID)
	n1=$(unit_prop quetzal@2.service NRestarts)
	note "quetzal@2: pid $pid -> $newpid, NRestarts $n0 -> $n1"
	[ "$newpid" != "$pid" ] && [ "$newpid" != 0 ]
}

# json_get KEY: the string or number value of KEY in the JSON on stdin.
json_get() { sed -n 's/.*"'"$1"'" *: *"\{0,1\}\([^",}]*\).*/\1/p' | head -n1; }

# api_user BASE: registers a fresh user through BASE (nginx) and prints
# its access token.
api_user()
{
	local base=$1 email
	email="sys$$-$RANDOM@example.com"
	ns curl -s --max-time 10 -o /dev/null -X POST -H 'Content-Type: application/json' \
	    -d "{\"email\":\"$email\",\"password\":\"systest-password\"}" "$base/api/v1/users"
	ns curl -s --max-time 10 -X POST --data-urlencode "username=$email" \
	    -d password=systest-password "$base/api/v1/auth/token" | json_get access_token
}

# A DELETE whose worker died after PostgreSQL committed it must not be
# sent again (the retry would answer 404 for a delete that happened): the
# DELETE waits on a row lock, every worker is killed, the lock goes; the
# old backend commits, and nginx answers 502, not 404.
t_delete_is_never_sent_twice()
{
	local tok id code gone
	tok=$(api_user http://127.0.0.1)
	[ -n "$tok" ] || { note "no token"; return 1; }
	id=$(http -X POST -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	    -d '{"title":"delete me once"}' http://127.0.0.1/api/v1/tasks | json_get id)
	[ -n "$id" ] || { note "no task"; return 1; }
	ns runuser -u postgres -- psql -XAtq -d quetzal -c "BEGIN; SELECT 1 FROM tasks WHERE id = $id FOR UPDATE; SELECT pg_sleep(4); COMMIT" >/dev/null 2>&1 &
	local lpid=$!
	sleep 0.5
	ns curl -s -o /dev/null -w '%{http_code}' --max-time 20 -X DELETE \
	    -H "Authorization: Bearer $tok" "http://127.0.0.1/api/v1/tasks/$id" >"$LOG/delete.code" 2>&1 &
	local cpid=$!
	sleep 1
	ns systemctl kill -s KILL 'quetzal@*.service'
	wait "$cpid"; wait "$lpid"
	code=$(cat "$LOG/delete.code")
	wait_for 15 all_workers_active || { note "workers not back"; return 1; }
	gone=$(http -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "http://127.0.0.1/api/v1/tasks/$id")
	note "DELETE answered $code; then GET answered $gone"
	[ "$gone" = 404 ] || { note "the DELETE did not commit (test setup)"; return 1; }
	[ "$code" = 502 ] || { note "the DELETE was sent again (nginx retried it)"; return 1; }
}

# metric NAME [TEXT]: the sum of family NAME's samples (whose series
# contains TEXT) in /metrics, read through nginx from loopback inside.
metric()
{
	http http://127.0.0.1/metrics | awk -v n="$1" -v m="${2:-}" '
		(index($1, n "{") == 1 || $1 == n) && index($1, m) { s += $2 }
		END { printf "%d\n", s }'
}

# The pool's numbers under systemd (RuntimeDirectory=quetzal-pool, the
# sandbox): every worker counted, and a worker killed with SIGKILL and
# restarted by systemd keeps its counts.
t_metrics_pool_wide()
{
	local before after s0 s1 pid n0 i
	[ "$(metric quetzal_metrics_pool_wide)" = 1 ] || { note "/metrics is not pool-wide"; return 1; }
	# 3 workers x (1 loop + 6 spare loops, the defaults)
	[ "$(metric quetzal_worker_accept_loops)" = 21 ] || { note "accept loops: $(metric quetzal_worker_accept_loops)"; return 1; }
	before=$(metric quetzal_http_requests_total 'route="/healthz"')
	for i in $(seq 30); do http -o /dev/null http://127.0.0.1/healthz; done
	s0=$(metric quetzal_worker_starts_total)
	pid=$(unit_prop quetzal@3.service MainPID)
	n0=$(unit_prop quetzal@3.service NRestarts)
	ns kill -KILL "$pid"
	wait_for 15 restarted_since quetzal@3.service "$n0" || { note "quetzal@3 not restarted"; return 1; }
	after=$(metric quetzal_http_requests_total 'route="/healthz"')
	s1=$(metric quetzal_worker_starts_total)
	note "GET /healthz counted $before -> $after; worker starts $s0 -> $s1"
	[ $((after - before)) = 30 ] || return 1
	[ "$s1" -gt "$s0" ] || return 1
	[ "$(metric quetzal_worker_accept_loops)" = 21 ] || return 1
	[ "$(metric quetzal_pool_cpu_seconds_total)" -ge 0 ] || return 1
	[ "$(metric quetzal_pool_resident_memory_bytes)" -gt 0 ] || { note "no memory read from /proc"; return 1; }
}

# snapshot: what a deploy could change, as one text.
snapshot()
{
	ns sh -c 'cd / && { find etc/quetzal etc/systemd/system/quetzal* etc/systemd/system/*.wants/quetzal* \
	    etc/nginx/sites-enabled etc/nginx/sites-available/quetzal opt/quetzal usr/local/bin/quetzal \
	    -printf "%p %m %u %l %T@\n" 2>/dev/null | sort;
	    find etc/quetzal etc/systemd/system/quetzal* etc/nginx/sites-available/quetzal opt/quetzal \
	    -type f -exec sha256sum {} + 2>/dev/null | sort; }'
	for u in quetzal@1 quetzal@2 quetzal@3 nginx postgresql@15-main quetzal.socket; do
		echo "$u $(unit_prop "$u" MainPID) $(unit_prop "$u" NRestarts) $(unit_prop "$u" ActiveEnterTimestampMonotonic)"
	done
}

t_second_deploy_changes_nothing()
{
	local before after
	before=$(snapshot)
	deploy || { note "second deploy.sh failed:"; show_deploy; return 1; }
	grep -q 'nothing changed' "$LOG/deploy.out" || { note "deploy.sh says it changed something:"; show_deploy; return 1; }
	after=$(snapshot)
	if [ "$before" != "$after" ]; then
		note "the host changed:"; diff <(echo "$before") <(echo "$after") | sed 's/^/    | /' | head -n 20
		return 1
	fi
}

t_redeploy_under_load_fails_nothing()
{
	local pids0 pids1 rc t0 t1
	pids0=$(for i in 1 2 3; do unit_prop "quetzal@$i.service" MainPID; done | tr '\n' ' ')
	if have_wrk; then
		# wrk runs until the deploy is over (SIGINT: it stops and reports).
		ns timeout 300 wrk -t2 -c8 -d240s --timeout 10s http://127.0.0.1/readyz >"$LOG/wrk" 2>&1 &
		LOAD_PID=$!
		sleep 2
		t0=$(date +%s)
		deploy --restart; rc=$?
		t1=$(date +%s)
		sleep 1
		ns sh -c 'kill -INT $(pidof wrk)'
		wait "$LOAD_PID"
		[ "$rc" = 0 ] || { note "deploy.sh --restart failed"; show_deploy; return 1; }
		note "deploy.sh --restart took $((t1 - t0)) s under load"
		wrk_ok "$LOG/wrk" || return 1
	else
		load_start redeploy http://127.0.0.1/readyz
		sleep 1
		deploy --restart; rc=$?
		sleep 1
		load_stop redeploy || return 1
		[ "$rc" = 0 ] || { note "deploy.sh --restart failed"; show_deploy; return 1; }
	fi
	pids1=$(for i in 1 2 3; do unit_prop "quetzal@$i.service" MainPID; done | tr '\n' ' ')
	note "worker pids: $pids0-> $pids1"
	for p in $pids0; do
		case " $pids1 " in *" $p "*) note "worker $p was not restarted"; return 1;; esac
	done
}

t_sigterm_idle_exits_at_once()
{
	local t0 t1 res
	t0=$(date +%s%N)
	ns systemctl stop quetzal@3.service 2>/dev/null
	t1=$(date +%s%N)
	res=$(unit_prop quetzal@3.service Result)
	ns systemctl start quetzal@3.service
	note "idle stop took $(( (t1 - t0) / 1000000 )) ms, result $res"
	[ "$res" = success ] && [ $(( (t1 - t0) / 1000000 )) -lt 3000 ]
}

# backends_of_quetzal SIG: signal the PostgreSQL backends of role quetzal.
signal_backends()
{
	ns sh -c "for p in \$(runuser -u postgres -- psql -XAtc \"SELECT pid FROM pg_stat_activity WHERE usename = 'quetzal'\"); do kill -$1 \$p; done"
}

t_sigterm_busy_finishes_request()
{
	local code res
	# One worker, its database backend frozen: the next request hangs.
	ns systemctl stop quetzal@2.service quetzal@3.service 2>/dev/null
	signal_backends STOP
	ns curl -s -o /dev/null -w '%{http_code}' --max-time 30 http://127.0.0.1/readyz >"$LOG/busy.code" 2>&1 &
	local cpid=$!
	sleep 1
	ns systemctl stop --no-block quetzal@1.service 2>/dev/null
	sleep 2
	res=$(ns systemctl is-active quetzal@1.service)
	signal_backends CONT
	wait "$cpid"
	code=$(cat "$LOG/busy.code")
	wait_for 10 not_active quetzal@1.service || true
	local result
	result=$(unit_prop quetzal@1.service Result)
	ns systemctl start quetzal@1.service quetzal@2.service quetzal@3.service
	note "while busy: $res; the request got $code; result $result"
	[ "$res" = deactivating ] && [ "$code" = 200 ] && [ "$result" = success ]
}

t_watchdog_restarts_stuck_worker()
{
	local n0 n1 i stuck=0
	# A short watchdog for this test only.
	ns mkdir -p /run/systemd/system/quetzal@.service.d
	ns sh -c 'printf "[Service]\nWatchdogSec=4s\n" >/run/systemd/system/quetzal@.service.d/watchdog.conf'
	ns systemctl daemon-reload
	ns systemctl restart quetzal@1.service quetzal@2.service quetzal@3.service
	n0=$(restarts_total)
	# Idle workers keep pinging: nobody restarted after 2 watchdog periods.
	sleep 9
	n1=$(restarts_total)
	if [ "$n1" != "$n0" ]; then
		note "idle workers were restarted ($n0 -> $n1)"; stuck=1
	fi
	# A request stuck on a frozen database backend stops the pings.
	signal_backends STOP
	ns curl -s -o /dev/null --max-time 20 http://127.0.0.1/readyz >/dev/null 2>&1 &
	local cpid=$!
	wait_for 20 journal_has 'quetzal@*' 'Watchdog timeout' 
	i=$?
	signal_backends CONT
	wait "$cpid"
	ns rm -f /run/systemd/system/quetzal@.service.d/watchdog.conf
	ns systemctl daemon-reload
	wait_for 15 all_workers_active
	ns systemctl restart quetzal@1.service quetzal@2.service quetzal@3.service
	[ "$i" = 0 ] || { note "no watchdog timeout for the stuck worker"; return 1; }
	return $stuck
}

t_database_down_503_then_recovers()
{
	local pids0 pids1 h body n
	pids0=$(for i in 1 2 3; do echo "$(unit_prop "quetzal@$i.service" MainPID)/$(unit_prop "quetzal@$i.service" NRestarts)"; done | tr '\n' ' ')
	ns systemctl stop postgresql@15-main.service
	h=$(http -D - -o /tmp/b503 http://127.0.0.1/readyz); body=$(ns cat /tmp/b503)
	ns systemctl start postgresql@15-main.service
	echo "$h" | head -n1 | grep -q ' 503' || { note "readyz with the database down: $(echo "$h" | head -n1)"; return 1; }
	echo "$h" | grep -qi '^Retry-After:' || { note "503 without Retry-After"; return 1; }
	echo "$h" | grep -qi '^Content-Type: application/problem+json' || { note "503 not problem+json"; return 1; }
	echo "$body" | grep -q '"status" *: *503' || { note "503 body: $body"; return 1; }
	# Back: every worker reconnects (9 answers in a row are 200).
	n=0
	for i in $(seq 100); do
		if [ "$(http -o /dev/null -w '%{http_code}' http://127.0.0.1/readyz)" = 200 ]; then
			n=$((n + 1)); [ "$n" -ge 9 ] && break
		else
			n=0
		fi
		sleep 0.2
	done
	[ "$n" -ge 9 ] || { note "readyz did not recover"; return 1; }
	pids1=$(for i in 1 2 3; do echo "$(unit_prop "quetzal@$i.service" MainPID)/$(unit_prop "quetzal@$i.service" NRestarts)"; done | tr '\n' ' ')
	[ "$pids0" = "$pids1" ] || { note "workers restarted: $pids0-> $pids1"; return 1; }
}

t_backup_restores()
{
	local f n a b
	q() { ns env PGOPTIONS='-c client_min_messages=warning' runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 "$@"; }
	q -d quetzal -c "SET ROLE quetzal; CREATE TABLE IF NOT EXISTS systest_rows (id int PRIMARY KEY, v text);
	    INSERT INTO systest_rows SELECT g, md5(g::text) FROM generate_series(1, 500) g ON CONFLICT DO NOTHING;" ||
	    { note "cannot make rows"; return 1; }
	# Eight old dumps: after one run, the seven newest remain.
	ns sh -c 'mkdir -p /var/lib/quetzal/backups && for i in 1 2 3 4 5 6 7 8; do
	    f=/var/lib/quetzal/backups/quetzal-2020010${i}T000000Z.dump; echo old >$f; touch -d "2020-01-0$i" $f; done;
	    chown -R quetzal:quetzal /var/lib/quetzal/backups'
	ns systemctl start quetzal-backup.service || { ns journalctl -q --no-pager -u quetzal-backup | tail -n 5; return 1; }
	n=$(ns sh -c 'ls /var/lib/quetzal/backups/quetzal-*.dump | wc -l')
	[ "$n" = 7 ] || { note "$n dumps kept, not 7"; return 1; }
	f=$(ns sh -c 'ls -1t /var/lib/quetzal/backups/quetzal-*.dump | head -n1')
	ns sh -c "ls /var/lib/quetzal/backups/quetzal-20200101* 2>/dev/null" && { note "oldest dump kept"; return 1; }
	q -c 'DROP DATABASE IF EXISTS systest_restore' -c 'CREATE DATABASE systest_restore' || return 1
	# The dump is the quetzal user's (0600): root reads it for postgres.
	ns sh -c "runuser -u postgres -- pg_restore --no-owner -d systest_restore <'$f'" ||
	    { note "pg_restore $f failed"; return 1; }
	a=$(q -d quetzal -c "SELECT count(*), md5(string_agg(id || v, ',' ORDER BY id)) FROM systest_rows;
	    SELECT count(*), md5(string_agg(version::text, ',' ORDER BY version)) FROM schema_migrations")
	b=$(q -d systest_restore -c "SELECT count(*), md5(string_agg(id || v, ',' ORDER BY id)) FROM systest_rows;
	    SELECT count(*), md5(string_agg(version::text, ',' ORDER BY version)) FROM schema_migrations")
	q -c 'DROP DATABASE systest_restore'
	note "dump ${f##*/}: $(echo "$a" | head -n1 | cut -d'|' -f1) rows"
	[ -n "$a" ] && [ "$a" = "$b" ] || { note "restored rows differ: $a vs $b"; return 1; }
}

t_broken_binary_rolls_back()
{
	local cur0 cur1 rc
	cur0=$(ns readlink /opt/quetzal/current)
	# A build whose `serve` dies at once; `migrate` still works.
	ns cp -p "$SRC_IN/build/quetzal" /root/quetzal.good
	ns sh -c "printf '#!/bin/sh\ncase \"\$1\" in serve) echo \"broken build\" >&2; exit 3;; esac\nexec /root/quetzal.good \"\$@\"\n' >$SRC_IN/build/quetzal"
	ns chmod 755 "$SRC_IN/build/quetzal"
	deploy; rc=$?
	ns cp -p /root/quetzal.good "$SRC_IN/build/quetzal"
	cur1=$(ns readlink /opt/quetzal/current)
	[ "$rc" != 0 ] || { note "deploy.sh succeeded with a broken binary"; show_deploy; return 1; }
	grep -q 'rolled back to' "$LOG/deploy.out" || { note "no rollback:"; show_deploy; return 1; }
	[ "$cur0" = "$cur1" ] || { note "current is $cur1, was $cur0"; return 1; }
	for i in 1 2 3; do
		ns systemctl is-active -q "quetzal@$i.service" || { note "quetzal@$i not active"; return 1; }
	done
	[ "$(http -o /dev/null -w '%{http_code}' http://127.0.0.1/readyz)" = 200 ] || { note "not ready after rollback"; return 1; }
	# And the good build deploys again (its release already exists).
	deploy || { note "redeploy of the good build failed"; show_deploy; return 1; }
}

t_scale_down_and_up()
{
	deploy --workers 2 || { show_deploy; return 1; }
	ns systemctl is-active -q quetzal@3.service && { note "quetzal@3 still active"; return 1; }
	ns systemctl is-enabled -q quetzal@3.service && { note "quetzal@3 still enabled"; return 1; }
	deploy --workers 3 || { show_deploy; return 1; }
	ns systemctl is-active -q quetzal@3.service || { note "quetzal@3 not back"; return 1; }
}

t_cors_from_configuration()
{
	local h bad=0
	ns sh -c 'echo QUETZAL_CORS_ORIGINS=https://app.example.com >>/etc/quetzal/quetzal.env'
	deploy || { show_deploy; return 1; }
	grep -q 'configuration changed' "$LOG/deploy.out" || { note "edited quetzal.env not noticed"; bad=1; }
	h=$(http -D - -o /dev/null -X OPTIONS -H 'Origin: https://app.example.com' \
	    -H 'Access-Control-Request-Method: POST' http://127.0.0.1/api/v1/tasks)
	echo "$h" | head -n1 | grep -q ' 204' || { note "preflight: $(echo "$h" | head -n1)"; bad=1; }
	echo "$h" | grep -qi '^Access-Control-Allow-Origin: https://app.example.com' || { note "preflight without ACAO"; bad=1; }
	echo "$h" | grep -qi '^Access-Control-Allow-Methods: .*PATCH' || { note "preflight without methods"; bad=1; }
	h=$(http -D - -o /dev/null -H 'Origin: https://app.example.com' http://127.0.0.1/healthz)
	[ "$(echo "$h" | grep -ci '^Access-Control-Allow-Origin: https://app.example.com')" = 1 ] ||
	    { note "GET from an allowed origin: no single ACAO"; bad=1; }
	h=$(http -D - -o /dev/null -H 'Origin: https://evil.example' http://127.0.0.1/healthz)
	echo "$h" | grep -qi '^Access-Control-Allow-Origin' && { note "ACAO for a foreign origin"; bad=1; }
	ns sed -i '/^QUETZAL_CORS_ORIGINS=/d' /etc/quetzal/quetzal.env
	deploy || { show_deploy; return 1; }
	return $bad
}

t_database_over_tcp()
{
	local out score bad=0
	local local_url='postgresql:///quetzal?host=/var/run/postgresql'
	ns runuser -u postgres -- psql -XAtqc "ALTER ROLE quetzal PASSWORD 'systest-pw'" || return 1
	deploy --database-url 'postgresql://quetzal:systest-pw@127.0.0.1:5432/quetzal' ||
	    { note "deploy with a TCP database failed"; show_deploy; return 1; }
	ns test -f /etc/systemd/system/quetzal@.service.d/50-database-network.conf ||
	    { note "no network drop-in"; bad=1; }
	[ "$(http -o /dev/null -w '%{http_code}' http://127.0.0.1/readyz)" = 200 ] || { note "not ready over TCP"; bad=1; }
	ns sh -c 'ss -tnp 2>/dev/null | grep -q "quetzal"' || { note "workers not connected over TCP"; bad=1; }
	out=$(ns systemd-analyze security --no-pager quetzal@1.service 2>&1 | tail -n1)
	score=$(echo "$out" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')
	note "exposure with network: $score"
	ns systemd-analyze security --no-pager --threshold=20 quetzal@1.service >/dev/null 2>&1 ||
	    { note "above 2.0 with the network drop-in"; bad=1; }
	deploy --database-url "$local_url" || { show_deploy; return 1; }
	ns test -f /etc/systemd/system/quetzal@.service.d/50-database-network.conf &&
	    { note "drop-in not removed"; bad=1; }
	[ "$(http -o /dev/null -w '%{http_code}' http://127.0.0.1/readyz)" = 200 ] || { note "not ready back on the socket"; bad=1; }
	ns runuser -u postgres -- psql -XAtqc "ALTER ROLE quetzal PASSWORD NULL"
	return $bad
}

t_nginx_502_json_without_workers()
{
	local h body bad=0
	# Stopping the socket stops every worker (Requires=quetzal.socket).
	ns systemctl stop quetzal.socket
	h=$(http -D - -o /tmp/b502 http://127.0.0.1/api/v1/tasks); body=$(ns cat /tmp/b502)
	ns systemctl start quetzal.socket quetzal.target
	echo "$h" | head -n1 | grep -q ' 502' || { note "no workers: $(echo "$h" | head -n1)"; bad=1; }
	echo "$h" | grep -qi '^Content-Type: application/problem+json' || { note "502 not problem+json"; bad=1; }
	echo "$body" | grep -q '"status":502' || { note "502 body: $body"; bad=1; }
	wait_for 15 all_workers_active || { note "workers not back"; bad=1; }
	[ "$(http -o /dev/null -w '%{http_code}' http://127.0.0.1/readyz)" = 200 ] || { note "not ready again"; bad=1; }
	return $bad
}

t_tls_site()
{
	local h bad=0
	ns openssl req -x509 -newkey rsa:2048 -nodes -keyout /root/tls.key -out /root/tls.crt \
	    -days 2 -subj /CN=quetzal.test -addext subjectAltName=DNS:quetzal.test >/dev/null 2>&1 ||
	    { note "openssl failed"; return 1; }
	deploy --server-name quetzal.test --tls-cert /root/tls.crt --tls-key /root/tls.key ||
	    { show_deploy; return 1; }
	h=$(http -D - -o /dev/null --cacert /root/tls.crt --resolve quetzal.test:443:127.0.0.1 https://quetzal.test/readyz)
	echo "$h" | head -n1 | grep -q ' 200' || { note "https readyz: $(echo "$h" | head -n1)"; bad=1; }
	echo "$h" | grep -qi '^Strict-Transport-Security:' || { note "no HSTS"; bad=1; }
	h=$(http -D - -o /dev/null -H 'Host: quetzal.test' http://127.0.0.1/readyz)
	echo "$h" | head -n1 | grep -q ' 301' && echo "$h" | grep -qi '^Location: https://quetzal.test/readyz' ||
	    { note "http is not redirected: $(echo "$h" | head -n1)"; bad=1; }
	# A plain re-run keeps TLS and changes nothing.
	deploy || { note "plain re-run with TLS failed"; show_deploy; return 1; }
	grep -q 'nothing changed' "$LOG/deploy.out" || { note "plain re-run changed something"; show_deploy; bad=1; }
	deploy --no-tls --server-name _ || { show_deploy; return 1; }
	[ "$(http -o /dev/null -w '%{http_code}' http://127.0.0.1/readyz)" = 200 ] || { note "plain http not back"; bad=1; }
	return $bad
}

# ---------------------------------------------------------------- main

cleanup()
{
	# shellcheck disable=SC2086 # one PID or several
	[ -n "${LOAD_PID:-}" ] && kill $LOAD_PID 2>/dev/null
	ns_down
	[ -n "$LOG" ] && rm -rf "$LOG"
}

reason=$(ns_skip_reason)
if [ -n "$reason" ]; then
	say "SKIPPED: $reason"
	echo "0 passed, 0 failed"
	exit 0
fi
if ! command -v curl >/dev/null; then
	say "SKIPPED: needs curl (make deps)"; echo "0 passed, 0 failed"; exit 0
fi

trap cleanup EXIT
trap 'exit 130' INT TERM
LOG=$(mktemp -d /tmp/quetzal-system-log.XXXXXX)

[ -x "$ROOT/build/quetzal" ] || make -C "$ROOT" -s >/dev/null || { say "make failed"; exit 1; }

say "booting systemd in namespaces"
ns_up 60 || { echo "0 passed, 1 failed"; exit 1; }
# The checkout, with its build (so deploy.sh's make has nothing to do),
# through the namespace: the overlay is mounted only in there.
ns mkdir -p "$SRC_IN"
tar -C "$ROOT" --exclude=./.git --exclude=./var --exclude=./build/asan \
    --exclude=./build/tests -cf - . | ns tar -C "$SRC_IN" -xpf - ||
    { say "cannot copy the checkout in"; echo "0 passed, 1 failed"; exit 1; }

run_test deploy_first_run
if [ "$FAILED" = 0 ]; then
	run_test units_active
	run_test workers_autogroup_nice
	run_test socket_only_for_nginx
	run_test readyz_through_nginx
	run_test nginx_headers_and_errors
	run_test journald_fields
	run_test units_verify_and_exposure
	run_test kill9_worker_restarts
	run_test delete_is_never_sent_twice
	run_test metrics_pool_wide
	run_test second_deploy_changes_nothing
	run_test redeploy_under_load_fails_nothing
	run_test sigterm_idle_exits_at_once
	run_test sigterm_busy_finishes_request
	run_test watchdog_restarts_stuck_worker
	run_test database_down_503_then_recovers
	run_test backup_restores
	run_test broken_binary_rolls_back
	run_test scale_down_and_up
	run_test cors_from_configuration
	run_test database_over_tcp
	run_test nginx_502_json_without_workers
	run_test tls_site
	run_test acknowledged_writes
	run_test hash_gate_shared_by_the_pool
	run_test rate_limit_on_token
else
	say "first deploy failed: the other tests cannot run"
	ns journalctl -q --no-pager -n 30 -u 'quetzal*' 2>/dev/null | sed 's/^/    | /'
fi

cleanup
trap - EXIT
# Nothing left behind: no mount, no cgroup, no process of the namespace.
if [ "$NS_LEFTOVERS" != 0 ] || grep -q quetzal-system /proc/self/mounts; then
	say "LEFT BEHIND: mounts, cgroups or files of the namespace"; FAILED=$((FAILED + 1))
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
