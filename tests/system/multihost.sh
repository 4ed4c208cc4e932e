#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/system/multihost.sh: quetzal on five hosts (issue 13, README
# "Scaling out"): `front` (nginx, deploy.sh --role front), `app1` and
# `app2` (workers, --role app, FastCGI over TCP), `pg1` (PostgreSQL
# primary) and `pg2` (a hot standby made with pg_basebackup -R -C -S).
#
# Each host is a real systemd booted in namespaces of its own on an overlay
# of this machine's root (tests/system/ns.sh); their eth0 are veth pairs
# on one bridge, which lives in a namespace of its own too.  Nothing is
# added to the machine's network; every namespace, cgroup and overlay goes
# on every exit.  Needs root and the packages of `make deps`.
#
#   tests/system/multihost.sh [-v] [TEST...]    TEST: names below, default all
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
SRC_IN=/opt/quetzal-src
LOG=
LOAD_PID=

S=$NSH_SUBNET
FRONT=$S.10 APP1=$S.11 APP2=$S.12 PG1=$S.21 PG2=$S.22
DB_PW=mh-db-pw-not-a-secret
DB_URL="postgresql://quetzal:$DB_PW@$PG1:5432,$PG2:5432/quetzal?target_session_attrs=read-write"

say() { printf 'multihost: %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }

# http ARGS...: curl on the front host, bounded.
http() { nsh front curl -s --max-time 60 "$@"; }
code_of() { http -o /dev/null -w '%{http_code}' "$@"; }

psql_on() { local h=$1; shift; nsh "$h" runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 "$@"; }

# served HOST: requests that host's workers logged so far.
served() { nsh "$1" journalctl -q --no-pager -o cat -u 'quetzal@*' HTTP_STATUS=200 2>/dev/null | wc -l; }

json_get() { sed -n 's/.*"'"$1"'" *: *"\{0,1\}\([^",}]*\).*/\1/p' | head -n1; }

TOKEN=
# new_user: registers a user through the front, sets TOKEN.
new_user()
{
	local email="mh$$-$RANDOM@example.com"
	http -o /dev/null -X POST -H 'Content-Type: application/json' \
	    -d "{\"email\":\"$email\",\"password\":\"multihost-pw\"}" http://127.0.0.1/api/v1/users
	TOKEN=$(http -X POST --data-urlencode "username=$email" -d password=multihost-pw \
	    http://127.0.0.1/api/v1/auth/token | json_get access_token)
	[ -n "$TOKEN" ]
}

# load_start NAME URL [CONCURRENCY]: GETs with TOKEN through the front until
# load_stop; every status goes to $LOG/load-NAME.
load_start()
{
	local c=${3:-4}
	nsh front rm -f "/tmp/load-$1.stop"
	nsh front sh -c "end=\$((\$(date +%s) + 300)); for j in \$(seq $c); do
	    (while [ ! -e /tmp/load-$1.stop ] && [ \$(date +%s) -lt \$end ]; do
	    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 90 -H 'Authorization: Bearer $TOKEN' '$2'; done) &
	    done; wait" >"$LOG/load-$1" 2>&1 &
	LOAD_PID=$!
}
# load_stop NAME: 0 when more than 20 requests were made and all got 200;
# LOAD_MAX is then the longest one, in whole seconds.
LOAD_MAX=0
load_stop()
{
	local total bad
	nsh front touch "/tmp/load-$1.stop"
	wait "$LOAD_PID"; LOAD_PID=
	total=$(grep -c . "$LOG/load-$1")
	bad=$(grep -vc '^200 ' "$LOG/load-$1")
	LOAD_MAX=$(awk '$2 > m { m = $2 } END { printf "%d", m }' "$LOG/load-$1")
	note "$total requests, $bad not 200, the longest took ${LOAD_MAX} s$( [ "$bad" -gt 0 ] && echo ": $(awk '$1 != 200 { print $1 }' "$LOG/load-$1" | sort | uniq -c | tr '\n' ' ')")"
	[ "$total" -gt 20 ] && [ "$bad" = 0 ]
}

# deploy HOST ARGS...: ./deploy.sh on HOST, output in $LOG/deploy-HOST.
deploy()
{
	local h=$1 rc
	shift
	nsh "$h" timeout 300 "$SRC_IN/deploy.sh" "$@" >"$LOG/deploy-$h" 2>&1
	rc=$?
	[ "$VERBOSE" = 1 ] && sed "s/^/    $h| /" "$LOG/deploy-$h"
	[ "$rc" = 0 ] || { note "deploy.sh on $h failed:"; tail -n 25 "$LOG/deploy-$h" | sed "s/^/    $h| /"; }
	return $rc
}

# ---------------------------------------------------------------- setup

# The cluster's configuration, the same on both database hosts (pg2 takes
# the writes after its promotion).
pg_configure()
{
	nsh "$1" sh -c "cat >/etc/postgresql/15/main/conf.d/multihost.conf <<'EOF'
listen_addresses = '*'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
EOF
	cat >>/etc/postgresql/15/main/pg_hba.conf <<'EOF'
host quetzal quetzal $S.0/24 scram-sha-256
host replication replicator $S.0/24 scram-sha-256
EOF"
}

setup_primary()
{
	pg_configure pg1
	nsh pg1 systemctl restart postgresql@15-main.service || return 1
	wait_for 30 nsh pg1 pg_isready -q -h /var/run/postgresql || return 1
	psql_on pg1 -c "DROP DATABASE IF EXISTS quetzal" 2>/dev/null &&
	psql_on pg1 -c "DROP ROLE IF EXISTS quetzal" -c "DROP ROLE IF EXISTS replicator" 2>/dev/null &&
	psql_on pg1 -c "CREATE ROLE quetzal LOGIN PASSWORD '$DB_PW'" \
	    -c "CREATE ROLE replicator REPLICATION LOGIN PASSWORD 'mh-repl-pw'" &&
	psql_on pg1 -c "CREATE DATABASE quetzal OWNER quetzal"
}

# The README's standby recipe: pg_basebackup -R -C -S.
setup_standby()
{
	pg_configure pg2
	nsh pg2 systemctl stop postgresql@15-main.service
	nsh pg2 sh -c 'rm -rf /var/lib/postgresql/15/main && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/15/main'
	nsh pg2 runuser -u postgres -- env PGPASSWORD=mh-repl-pw pg_basebackup -h "$PG1" -U replicator \
	    -D /var/lib/postgresql/15/main -R -C -S pg2 -X stream -c fast >"$LOG/basebackup" 2>&1 ||
	    { sed 's/^/    pg2| /' "$LOG/basebackup"; return 1; }
	nsh pg2 systemctl start postgresql@15-main.service || return 1
	wait_for 30 nsh pg2 pg_isready -q -h /var/run/postgresql || return 1
	[ "$(psql_on pg2 -c 'SELECT pg_is_in_recovery()')" = t ] || { note "pg2 is not a standby"; return 1; }
}

setup()
{
	local h o
	nsh_switch_up || return 1
	for h in front:10 app1:11 app2:12 pg1:21 pg2:22; do
		nsh_up "${h%:*}" "${h#*:}" 90 || { note "host ${h%:*} did not boot"; return 1; }
	done
	# This machine's enabled units start in every host: keep what each needs.
	for h in front app1 app2; do nsh "$h" systemctl disable -q --now postgresql.service 'postgresql@15-main.service'; done
	for h in app1 app2 pg1 pg2; do nsh "$h" systemctl disable -q --now nginx.service; done
	for h in front app1 app2; do
		nsh "$h" mkdir -p "$SRC_IN"
		tar -C "$ROOT" --exclude=./.git --exclude=./var --exclude=./build/asan \
		    --exclude=./build/tests -cf - . | nsh "$h" tar -C "$SRC_IN" -xpf - || return 1
	done
	setup_primary || { note "primary setup failed"; return 1; }
	setup_standby || { note "standby setup failed"; return 1; }
	# One key for the service, the same file on both app hosts.
	o=$(head -c 48 /dev/urandom | base64 -w0)
	for h in app1 app2; do nsh "$h" sh -c "umask 077; echo '$o' >/root/jwt_secret"; done
	deploy app1 --role app --listen "$APP1:9000" --allow-from "$FRONT" --workers 2 \
	    --jwt-secret-file /root/jwt_secret --database-url "$DB_URL" || return 1
	deploy app2 --role app --listen "$APP2:9000" --allow-from "$FRONT" --workers 2 \
	    --jwt-secret-file /root/jwt_secret --database-url "$DB_URL" \
	    --migrate skip --backups off || return 1
	deploy front --role front --app-servers "$APP1:9000,$APP2:9000" || return 1
	new_user || { note "cannot register and log in through the front"; return 1; }
}

# ---------------------------------------------------------------- tests

t_roles_installed_what_they_should()
{
	local bad=0
	nsh app2 test -e /etc/systemd/system/quetzal-migrate.service && { note "app2 has the migrate unit"; bad=1; }
	nsh app2 systemctl is-enabled -q quetzal-backup.timer && { note "app2 runs backups"; bad=1; }
	nsh app1 systemctl is-enabled -q quetzal-backup.timer || { note "app1 runs no backups"; bad=1; }
	nsh app1 systemctl is-active -q nginx.service && { note "nginx on app1"; bad=1; }
	nsh front systemctl is-active -q quetzal.socket && { note "workers on the front"; bad=1; }
	nsh front grep -q "least_conn" /etc/nginx/sites-available/quetzal || { note "no least_conn"; bad=1; }
	nsh front grep -q "server $APP2:9000 max_fails=3 fail_timeout=10s" /etc/nginx/sites-available/quetzal ||
	    { note "no upstream server for app2"; bad=1; }
	nsh app1 ss -Hltn "sport = :9000" | grep -q "$APP1:9000" || { note "app1 does not listen on $APP1:9000"; bad=1; }
	return $bad
}

t_exposure_of_app_workers()
{
	local out score
	out=$(nsh app1 systemd-analyze security --no-pager quetzal@1.service 2>&1 | tail -n1)
	score=$(echo "$out" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')
	note "exposure of quetzal@1.service on app1: $score"
	nsh app1 systemd-analyze security --no-pager --threshold=20 quetzal@1.service >/dev/null 2>&1 ||
	    { note "above 2.0"; return 1; }
	# Egress: the database hosts, nothing else.
	out=$(nsh app1 systemctl show -P IPAddressAllow quetzal@1.service)
	note "the workers may reach: $out"
	[ -n "$(nsh app1 systemctl show -P IPAddressDeny quetzal@1.service)" ] ||
	    { note "the workers may reach any address"; return 1; }
	case " $out " in *" $PG1"[/\ ]*) ;; *) note "not the primary"; return 1;; esac
	case " $out " in *" $PG2"[/\ ]*) ;; *) note "not the standby"; return 1;; esac
	case " $out " in *"$FRONT"*|*"$APP2"*) note "more than the database"; return 1;; esac
}

t_tokens_work_across_hosts_and_both_serve()
{
	local a0 b0 a1 b1 i code bad=0
	new_user || { note "no token"; return 1; }
	a0=$(served app1) b0=$(served app2)
	for i in $(seq 20); do
		code=$(code_of -H "Authorization: Bearer $TOKEN" http://127.0.0.1/api/v1/users/me)
		[ "$code" = 200 ] || { note "request $i: $code"; bad=1; }
	done
	a1=$(served app1) b1=$(served app2)
	note "app1 served $((a1 - a0)), app2 $((b1 - b0)) of 20 with the one token"
	[ $((a1 - a0)) -gt 0 ] && [ $((b1 - b0)) -gt 0 ] || { note "one host served nothing"; bad=1; }
	return $bad
}

# FastCGI to app1 from pg1 (not a front) must not get through.
t_fastcgi_only_from_the_front()
{
	local from_front from_pg
	# shellcheck disable=SC2016
	from_front=$(nsh front timeout 5 bash -c 'exec 3<>/dev/tcp/$0/9000 && echo connected' "$APP1" 2>/dev/null)
	# shellcheck disable=SC2016
	from_pg=$(nsh pg1 timeout 5 bash -c 'exec 3<>/dev/tcp/$0/9000 && echo connected' "$APP1" 2>/dev/null)
	[ "$from_front" = connected ] || { note "the front cannot connect to app1:9000"; return 1; }
	if [ "$from_pg" = connected ]; then
		if nsh app1 journalctl -q --no-pager -b | grep -qiE 'BPF.*(not supported|unavailable)|firewall.*not supported'; then
			note "SKIP: systemd has no eBPF firewall here (IPAddressAllow is not enforced)"
			return 77
		fi
		note "pg1 connected to app1's FastCGI socket"
		return 1
	fi
	note "from the front: connected; from pg1: dropped"
}

t_app2_killed_under_load_no_failed_get()
{
	local ok=0
	back_in_pool app2 || { note "app2 is not serving before the test"; return 1; }
	load_start kill "http://127.0.0.1/api/v1/users/me"
	sleep 2
	# Every worker of app2 at once, twice, then its socket gone for 3 s
	# (connections refused: a dead host).
	nsh app2 systemctl kill -s KILL 'quetzal@*.service'
	sleep 2
	nsh app2 systemctl kill -s KILL 'quetzal@*.service'
	nsh app2 systemctl stop quetzal.socket
	sleep 3
	nsh app2 systemctl start quetzal.socket quetzal.target
	sleep 2
	load_stop kill || ok=1
	wait_for 20 nsh app2 systemctl is-active -q quetzal@2.service || { note "app2 not back"; ok=1; }
	return $ok
}

# back_in_pool HOST: requests through the front until HOST serves one
# (a host that failed is out of the pool for fail_timeout, 10 s).
back_in_pool()
{
	local n0 i
	n0=$(served "$1")
	for i in $(seq 60); do
		code_of -H "Authorization: Bearer $TOKEN" http://127.0.0.1/api/v1/users/me >/dev/null
		[ "$(served "$1")" -gt "$n0" ] && return 0
		sleep 0.5
	done
	return 1
}

t_app2_stopped_workers_gets_succeed_after_timeout()
{
	local pids slow bad=0
	back_in_pool app2 || { note "app2 is not serving before the test"; return 1; }
	pids=$(nsh app2 systemctl show -P MainPID quetzal@1.service quetzal@2.service | grep -v '^$' | tr '\n' ' ')
	nsh app2 kill -STOP $pids
	# Eight GETs at once: the ones sent to app2 wait, for the read
	# timeout (30 s, then app1 answers) or for systemd's watchdog
	# (WatchdogSec=30s, counted from the last ping: 15-30 s after the
	# stop) to restart app2's workers, which then take them from the
	# socket's queue.  Either way seconds, where app1 answers in ms.
	nsh front sh -c "for i in 1 2 3 4 5 6 7 8; do curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 90 \
	    -H 'Authorization: Bearer $TOKEN' http://127.0.0.1/api/v1/users/me & done; wait" >"$LOG/stop.codes"
	nsh app2 kill -CONT $pids 2>/dev/null	# the watchdog may have restarted them
	slow=$(awk '$2 >= 5 { n++ } END { print n + 0 }' "$LOG/stop.codes")
	note "answers: $(awk '{ print $1 }' "$LOG/stop.codes" | sort | uniq -c | tr '\n' ' '); $slow waited for the stopped host ($(awk '{ print $2 }' "$LOG/stop.codes" | sort -n | tail -n 1) s at most)"
	[ "$(grep -c '^200 ' "$LOG/stop.codes")" = 8 ] || bad=1
	[ "$slow" -ge 1 ] || { note "no GET went to the stopped host (test setup)"; bad=1; }
	return $bad
}

t_network_cut_and_return()
{
	local b0 b1 ok=0
	back_in_pool app2 || { note "app2 is not serving before the test"; return 1; }
	load_start cut "http://127.0.0.1/api/v1/users/me"
	sleep 1
	nsh_link app2 down
	sleep 5
	nsh_link app2 up
	sleep 1
	load_stop cut || ok=1
	# A host that does not answer costs a 1 s connect timeout and one
	# retry, not a hang (order of magnitude: the read timeout is 30 s).
	[ "$LOAD_MAX" -lt 10 ] || { note "a GET waited ${LOAD_MAX} s for the cut host"; ok=1; }
	# Back in the pool after fail_timeout (10 s).
	b0=$(served app2)
	for i in $(seq 60); do
		code_of -H "Authorization: Bearer $TOKEN" http://127.0.0.1/api/v1/users/me >/dev/null
		b1=$(served app2)
		[ "$b1" -gt "$b0" ] && break
		sleep 0.5
	done
	note "app2 served $((b1 - b0)) after the cable came back"
	[ "$b1" -gt "$b0" ] || { note "no traffic to app2 after the cut"; ok=1; }
	return $ok
}

t_rolling_deploy_under_load()
{
	local ok=0 p0 p1
	back_in_pool app2 || { note "app2 is not serving before the test"; return 1; }
	p0=$(for h in app1 app2; do nsh "$h" systemctl show -P MainPID quetzal@1.service quetzal@2.service; done | grep -v '^$' | tr '\n' ' ')
	load_start roll "http://127.0.0.1/api/v1/users/me"
	# And writes, which nginx never retries: none may fail either.
	nsh front rm -f /tmp/rollw.stop
	nsh front sh -c "end=\$((\$(date +%s) + 300)); while [ ! -e /tmp/rollw.stop ] && [ \$(date +%s) -lt \$end ]; do
	    curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 -X POST -H 'Authorization: Bearer $TOKEN' \
	    -H 'Content-Type: application/json' -d '{\"title\":\"rolling\"}' http://127.0.0.1/api/v1/tasks; done" \
	    >"$LOG/rollw" 2>&1 &
	local wpid=$!
	sleep 1
	deploy app1 --restart || ok=1
	deploy app2 --restart || ok=1
	sleep 1
	nsh front touch /tmp/rollw.stop
	wait "$wpid"
	load_stop roll || ok=1
	note "writes: $(sort "$LOG/rollw" | uniq -c | tr '\n' ' ')"
	[ "$(grep -c . "$LOG/rollw")" -gt 10 ] && [ "$(grep -vc '^201$' "$LOG/rollw")" = 0 ] ||
	    { note "a write failed during the rolling deploy"; ok=1; }
	p1=$(for h in app1 app2; do nsh "$h" systemctl show -P MainPID quetzal@1.service quetzal@2.service; done | grep -v '^$' | tr '\n' ' ')
	note "worker pids: $p0-> $p1"
	for p in $p0; do
		case " $p1 " in *" $p "*) note "worker $p was not restarted"; ok=1;; esac
	done
	return $ok
}

t_second_deploy_changes_nothing()
{
	local h bad=0
	for h in app2 front; do
		deploy "$h" || return 1
		grep -q 'nothing changed' "$LOG/deploy-$h" ||
		    { note "a second deploy of $h changed something:"; sed "s/^/    $h| /" "$LOG/deploy-$h"; bad=1; }
	done
	return $bad
}

# A new key on every app host: tokens of the old one keep working on both
# (until they expire), new ones are signed with the new key.
t_key_rotation_keeps_old_tokens()
{
	local old=$TOKEN o h i code bad=0
	o=$(head -c 48 /dev/urandom | base64 -w0)
	for h in app1 app2; do
		nsh "$h" sh -c "umask 077; echo '$o' >/root/jwt_secret.new"
		deploy "$h" --jwt-secret-file /root/jwt_secret.new || return 1
		nsh "$h" test -s /etc/quetzal/jwt_secret.previous || { note "$h kept no previous key"; bad=1; }
	done
	for i in $(seq 10); do
		code=$(code_of -H "Authorization: Bearer $old" http://127.0.0.1/api/v1/users/me)
		[ "$code" = 200 ] || { note "a token of the previous key: $code"; bad=1; break; }
	done
	new_user || { note "no login after the rotation"; return 1; }
	for i in $(seq 10); do
		code=$(code_of -H "Authorization: Bearer $TOKEN" http://127.0.0.1/api/v1/users/me)
		[ "$code" = 200 ] || { note "a token of the new key: $code"; bad=1; break; }
	done
	[ "$TOKEN" != "$old" ] || bad=1
	return $bad
}

t_primary_stopped_503_then_recovers()
{
	local h body n=0 i
	nsh pg1 systemctl stop postgresql@15-main.service
	h=$(http -D - -o /tmp/b503 -H "Authorization: Bearer $TOKEN" http://127.0.0.1/api/v1/users/me)
	body=$(nsh front cat /tmp/b503)
	nsh pg1 systemctl start postgresql@15-main.service
	echo "$h" | head -n1 | grep -q ' 503' || { note "primary down: $(echo "$h" | head -n1) $body"; return 1; }
	echo "$h" | grep -qi '^Retry-After:' || { note "503 without Retry-After"; return 1; }
	echo "$h" | grep -qi '^Content-Type: application/problem+json' || { note "503 not JSON"; return 1; }
	echo "$body" | grep -q '"status" *: *503' || { note "503 body: $body"; return 1; }
	for i in $(seq 100); do
		if [ "$(code_of -H "Authorization: Bearer $TOKEN" http://127.0.0.1/api/v1/users/me)" = 200 ]; then
			n=$((n + 1)); [ "$n" -ge 8 ] && break
		else
			n=0
		fi
		sleep 0.2
	done
	[ "$n" -ge 8 ] || { note "no recovery after the primary came back"; return 1; }
}

# Writes keep coming while pg1 stops, pg2 is promoted by hand and the
# URL's second host takes them: every write that was answered 201 is in
# pg2 afterwards.
t_standby_promoted_no_acknowledged_write_lost()
{
	local acked missing n201 l0 i
	nsh front rm -f /tmp/writes.stop
	nsh front sh -c "end=\$((\$(date +%s) + 120)); i=0; while [ ! -e /tmp/writes.stop ] && [ \$(date +%s) -lt \$end ]; do
	    i=\$((i + 1)); curl -s --max-time 30 -o /tmp/w.body -w '%{http_code} ' -X POST \
	    -H 'Authorization: Bearer $TOKEN' -H 'Content-Type: application/json' \
	    -d \"{\\\"title\\\":\\\"failover \$i\\\"}\" http://127.0.0.1/api/v1/tasks;
	    sed -n 's/.*\"id\" *: *\([0-9]*\).*/\1/p' /tmp/w.body | head -n1; echo; done" >"$LOG/writes" 2>&1 &
	LOAD_PID=$!
	sleep 2
	nsh pg1 systemctl stop postgresql@15-main.service
	sleep 1
	l0=$(grep -c . "$LOG/writes")
	nsh pg2 runuser -u postgres -- psql -XAtqc 'SELECT pg_promote()' >/dev/null ||
	    { note "promotion failed"; nsh front touch /tmp/writes.stop; wait "$LOAD_PID"; LOAD_PID=; return 1; }
	# Until five writes after the promotion were answered 201 (60 s at most).
	for i in $(seq 300); do
		[ "$(awk -v l0="$l0" 'NR > l0 && $1 == 201 { c++ } END { print c + 0 }' "$LOG/writes")" -ge 5 ] && break
		sleep 0.2
	done
	nsh front touch /tmp/writes.stop
	wait "$LOAD_PID"; LOAD_PID=
	n201=$(grep -c '^201 ' "$LOG/writes")
	note "answers: $(awk '{print $1}' "$LOG/writes" | sort | uniq -c | tr '\n' ' ')"
	acked=$(awk '$1 == 201 && $2 != "" { print $2 }' "$LOG/writes" | sort -n)
	[ "$(awk -v l0="$l0" 'NR > l0 && $1 == 201 { c++ } END { print c + 0 }' "$LOG/writes")" -ge 5 ] ||
	    { note "pg2 took no writes after its promotion"; return 1; }
	missing=0
	for id in $acked; do
		[ "$(psql_on pg2 -d quetzal -c "SELECT count(*) FROM tasks WHERE id = $id")" = 1 ] ||
		    { missing=$((missing + 1)); note "task $id was answered 201 and is not in pg2"; }
	done
	note "$n201 writes acknowledged, $missing lost"
	[ "$n201" -gt 5 ] && [ "$missing" = 0 ]
}

# ---------------------------------------------------------------- main

cleanup()
{
	[ -n "${LOAD_PID:-}" ] && kill "$LOAD_PID" 2>/dev/null
	nsh_down_all
	[ -n "$LOG" ] && rm -rf "$LOG"
}

reason=$(ns_skip_reason)
[ -z "$reason" ] && ! command -v curl >/dev/null && reason="needs curl (make deps)"
[ -z "$reason" ] && ! [ -d /etc/postgresql/15/main ] && reason="needs Debian's PostgreSQL 15 cluster (make deps)"
[ -z "$reason" ] && ! unshare --net ip link add qzt-probe type bridge 2>/dev/null && reason="cannot make a bridge in a network namespace"
mem=$(awk '$1 == "MemAvailable:" { print int($2 / 1024) }' /proc/meminfo)
[ -z "$reason" ] && [ "${mem:-0}" -lt 1500 ] && reason="five hosts need 1500 MB of free memory, ${mem:-?} MB are"
if [ -n "$reason" ]; then
	say "SKIPPED: $reason"
	echo "0 passed, 0 failed"
	exit 0
fi

trap cleanup EXIT
trap 'exit 130' INT TERM
LOG=$(mktemp -d /tmp/quetzal-multihost-log.XXXXXX)
[ -x "$ROOT/build/quetzal" ] || make -C "$ROOT" -s >/dev/null || { say "make failed"; exit 1; }

say "booting five hosts: front app1 app2 pg1 pg2"
t0=$(date +%s)
if ! setup; then
	say "setup failed: the tests cannot run"
	cleanup; trap - EXIT
	echo "0 passed, 1 failed"
	exit 1
fi
say "hosts up and deployed in $(( $(date +%s) - t0 )) s"

run_test roles_installed_what_they_should
run_test exposure_of_app_workers
run_test tokens_work_across_hosts_and_both_serve
run_test fastcgi_only_from_the_front
run_test app2_killed_under_load_no_failed_get
run_test app2_stopped_workers_gets_succeed_after_timeout
run_test network_cut_and_return
run_test rolling_deploy_under_load
run_test second_deploy_changes_nothing
run_test key_rotation_keeps_old_tokens
run_test primary_stopped_503_then_recovers
run_test standby_promoted_no_acknowledged_write_lost

cleanup
trap - EXIT
if [ "$NS_LEFTOVERS" != 0 ] || grep -q quetzal-system /proc/self/mounts; then
	say "LEFT BEHIND: mounts, cgroups or files of the namespaces"; FAILED=$((FAILED + 1))
fi
[ "$SKIPPED" -gt 0 ] && say "$SKIPPED skipped (reasons above)"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
