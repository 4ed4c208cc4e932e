#!/bin/bash
# SPDX-License-Identifier: MIT
# deploy.sh: install or upgrade quetzal on a Debian 12 host run by systemd
# (SPEC 7). Run as root from a checkout: sudo ./deploy.sh [options].
#
# What it does, each step skipped when already done (a second run with the
# same options changes nothing and succeeds):
#   packages     apt-get only for what is missing (no network otherwise)
#   build        `make`, then `make install` into a staging directory
#   release      /opt/quetzal/releases/<content hash>, /opt/quetzal/current
#                and /opt/quetzal/previous links, /usr/local/bin/quetzal
#   user         the `quetzal` system user
#   config       /etc/quetzal/quetzal.env, /etc/quetzal/jwt_secret (random,
#                passed to the workers as a systemd credential)
#   database     when local: PostgreSQL, its `quetzal` role and database
#   units        systemd/* -> /etc/systemd/system, quetzal.socket,
#                quetzal.target with quetzal@1..N, quetzal-backup.timer
#   nginx        the site from nginx/quetzal.conf
#   migrations   quetzal-migrate.service
#   workers      restarted one at a time, each ready before the next, so a
#                redeploy under load fails no request
#   check        /readyz through nginx; on failure, back to the previous
#                release and exit 1
#
# Roles (README, Scaling out): --role all is all of the above on one host;
# --role front is nginx only, balancing over --app-servers; --role app is
# the workers only, on a TCP socket that only the front hosts may reach,
# with the shared key of --jwt-secret-file; its check is /readyz spoken
# in FastCGI to its own socket.
set -euo pipefail
umask 022

usage()
{
	cat <<'EOF'
usage: sudo ./deploy.sh [options]
  --workers N            worker processes (default: as before, else 2)
  --database-url URL     libpq URI of an existing database; without it a
                         local PostgreSQL, role and database are set up
  --server-name NAME     nginx server_name (default: as before, else _)
  --tls-cert F --tls-key F
                         serve HTTPS on 443 (HTTP redirects to it)
  --no-tls               back to plain HTTP on port 80
  --restart              roll the workers even when nothing changed
  --print-nginx-site     print the nginx site these options give, change nothing
  --role all|front|app   all: one host (default); front: nginx only, in front
                         of --app-servers; app: workers only (see README,
                         Scaling out)
  --app-servers H:P,...  front: the app hosts' FastCGI addresses
  --listen ADDR:PORT     app: the TCP address of quetzal.socket
  --allow-from A[,...]   app: the front host(s) allowed to connect to it
  --jwt-secret-file F    the HS256 key shared by every app host (required for
                         --role app); a new key keeps the old one as the
                         previous key until the tokens it signed expire
  --backups on|off       the daily backup timer on this host (default on)
  --migrate first|skip   run migrations before the workers (default), or
                         never on this host (another host runs them)
  -h, --help             this text
Settings are remembered in /etc/quetzal/deploy.conf.
EOF
}

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ETC=/etc/quetzal
OPT=/opt/quetzal
UNITDIR=/etc/systemd/system
SITE=/etc/nginx/sites-available/quetzal
SOCKET=/run/quetzal/quetzal.sock
LOCAL_DB_URL='postgresql:///quetzal?host=/var/run/postgresql'
READY_TIMEOUT=${QUETZAL_DEPLOY_READY_TIMEOUT:-30}

say() { printf 'deploy: %s\n' "$*"; }
die() { printf 'deploy: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- options
opt_workers='' opt_db='' opt_name='' opt_cert='' opt_key='' opt_restart=0 opt_print_site=0 opt_no_tls=0
opt_role='' opt_app_servers='' opt_listen='' opt_allow_from='' opt_jwt_file='' opt_backups='' opt_migrate=''
while [ $# -gt 0 ]; do
	case $1 in
	--workers) opt_workers=${2:?--workers needs N}; shift 2;;
	--workers=*) opt_workers=${1#*=}; shift;;
	--database-url) opt_db=${2:?--database-url needs a URL}; shift 2;;
	--database-url=*) opt_db=${1#*=}; shift;;
	--server-name) opt_name=${2:?--server-name needs a name}; shift 2;;
	--server-name=*) opt_name=${1#*=}; shift;;
	--tls-cert) opt_cert=${2:?--tls-cert needs a file}; shift 2;;
	--tls-cert=*) opt_cert=${1#*=}; shift;;
	--tls-key) opt_key=${2:?--tls-key needs a file}; shift 2;;
	--tls-key=*) opt_key=${1#*=}; shift;;
	--no-tls) opt_no_tls=1; shift;;
	--restart) opt_restart=1; shift;;
	--print-nginx-site) opt_print_site=1; shift;;
	--role|--app-servers|--listen|--allow-from|--jwt-secret-file|--backups|--migrate)
		[ $# -ge 2 ] || die "$1 needs a value"
		o=${1#--}; o=opt_${o//-/_}; [ "$o" = opt_jwt_secret_file ] && o=opt_jwt_file
		printf -v "$o" '%s' "$2"; shift 2;;
	--role=*|--app-servers=*|--listen=*|--allow-from=*|--jwt-secret-file=*|--backups=*|--migrate=*)
		o=${1%%=*}; o=${o#--}; o=opt_${o//-/_}; [ "$o" = opt_jwt_secret_file ] && o=opt_jwt_file
		printf -v "$o" '%s' "${1#*=}"; shift;;
	-h|--help) usage; exit 0;;
	*) usage >&2; die "unknown option: $1";;
	esac
done

if ! grep -qs '^VERSION_ID="12"' /etc/os-release; then
	say "warning: made for Debian 12, this is $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}")"
fi

# Remembered settings: a plain re-run keeps what the last run chose.
WORKERS='' SERVER_NAME='' TLS=0
ROLE='' APP_SERVERS='' LISTEN='' ALLOW_FROM='' JWT_SECRET_FILE='' BACKUPS='' MIGRATE=''
if [ -f "$ETC/deploy.conf" ]; then
	# shellcheck source=/dev/null
	. "$ETC/deploy.conf"
fi
[ -n "$opt_workers" ] && WORKERS=$opt_workers
[ -n "$opt_name" ] && SERVER_NAME=$opt_name
[ -n "$opt_role" ] && ROLE=$opt_role
[ -n "$opt_app_servers" ] && APP_SERVERS=$opt_app_servers
[ -n "$opt_listen" ] && LISTEN=$opt_listen
[ -n "$opt_allow_from" ] && ALLOW_FROM=$opt_allow_from
[ -n "$opt_jwt_file" ] && JWT_SECRET_FILE=$(realpath -m -- "$opt_jwt_file")
[ -n "$opt_backups" ] && BACKUPS=$opt_backups
[ -n "$opt_migrate" ] && MIGRATE=$opt_migrate
ROLE=${ROLE:-all} BACKUPS=${BACKUPS:-on} MIGRATE=${MIGRATE:-first}
case $ROLE in all|front|app) ;; *) die "--role: all, front or app, got '$ROLE'";; esac
case $BACKUPS in on|off) ;; *) die "--backups: on or off, got '$BACKUPS'";; esac
case $MIGRATE in first|skip) ;; *) die "--migrate: first or skip, got '$MIGRATE'";; esac
# is_ip A: an IPv4 or IPv6 address (no host names: they go into unit files
# and nginx's upstream, where a name would be resolved once, or not at all).
is_ip()
{
	case $1 in
	*[!0-9.]*) ;;
	*.*.*.*) return 0;;
	esac
	case $1 in *:*) [[ $1 =~ ^[0-9A-Fa-f:.]+$ ]] && return 0;; esac
	return 1
}
# hostport A: "ADDR:PORT" or "[V6]:PORT" with a port 1..65535.
hostport()
{
	local h=${1%:*} p=${1##*:}
	h=${h#[}; h=${h%]}
	case $p in ''|*[!0-9]*) return 1;; esac
	[ "$p" -ge 1 ] && [ "$p" -le 65535 ] && is_ip "$h"
}
case $ROLE in
front)
	[ -n "$APP_SERVERS" ] || die "--role front needs --app-servers HOST:PORT,..."
	for a in ${APP_SERVERS//,/ }; do
		hostport "$a" || die "--app-servers: not an IP:PORT: '$a'"
	done;;
app)
	[ -n "$LISTEN" ] || die "--role app needs --listen ADDR:PORT"
	hostport "$LISTEN" || die "--listen: not an IP:PORT: '$LISTEN'"
	[ -n "$ALLOW_FROM" ] || die "--role app needs --allow-from FRONT[,...]"
	for a in ${ALLOW_FROM//,/ }; do
		is_ip "${a%/*}" || die "--allow-from: not an address: '$a'"
	done
	[ -n "$JWT_SECRET_FILE" ] || die "--role app needs --jwt-secret-file F: every app host must sign and verify with the same key";;
esac
if [ -n "$JWT_SECRET_FILE" ] && [ "$opt_print_site" = 0 ]; then
	[ -r "$JWT_SECRET_FILE" ] || die "--jwt-secret-file: cannot read $JWT_SECRET_FILE"
	[ "$(tr -d '\r\n' <"$JWT_SECRET_FILE" | wc -c)" -ge 32 ] ||
	    die "--jwt-secret-file: $JWT_SECRET_FILE holds fewer than 32 bytes"
fi
WORKERS=${WORKERS:-2}
SERVER_NAME=${SERVER_NAME:-_}
case $WORKERS in
''|*[!0-9]*|0) die "--workers: must be a positive integer, got '$WORKERS'";;
esac
[ "$WORKERS" -le 64 ] || die "--workers: at most 64, got $WORKERS"
case $SERVER_NAME in
*[!A-Za-z0-9._*~-]*) die "--server-name: not a host name: '$SERVER_NAME'";;
esac
[ "$opt_no_tls" = 1 ] && TLS=0
if [ -n "$opt_cert$opt_key" ]; then
	[ "$opt_no_tls" = 1 ] && die "--no-tls and --tls-cert/--tls-key contradict each other"
	if [ -z "$opt_cert" ] || [ -z "$opt_key" ]; then die "--tls-cert and --tls-key go together"; fi
	[ -r "$opt_cert" ] || die "--tls-cert: cannot read $opt_cert"
	[ -r "$opt_key" ] || die "--tls-key: cannot read $opt_key"
	TLS=1
fi
case $opt_db in
*[[:space:]\'\"]*) die "--database-url: no spaces or quotes, please (use a URI)";;
esac

# env_get NAME: a value from quetzal.env (last assignment wins, as systemd).
env_get()
{
	[ -r "$ETC/quetzal.env" ] || return 0
	sed -n "s/^$1=//p" "$ETC/quetzal.env" | tail -n1 | sed 's/^"\(.*\)"$/\1/'
}

# keepalive: "K" for the upstream, with W x K below the accept loops left
# while one worker restarts (SPEC 7); W is nginx's worker_processes.  None
# with one loop per worker: there kept connections measured slower
# (docs/decisions.md).
keepalive()
{
	local threads w
	threads=$(env_get QUETZAL_THREADS)
	threads=${threads:-1}
	case $threads in ''|*[!0-9]*) die "QUETZAL_THREADS: not a number: $threads";; esac
	# A front knows neither the app hosts' pools nor their threads: no
	# kept connections across hosts (docs/decisions.md, Scaling out).
	if [ "$threads" -le 1 ] || [ "$ROLE" = front ]; then
		echo 0
		return
	fi
	w=$(sed -n 's/^[[:space:]]*worker_processes[[:space:]]\{1,\}\([0-9a-z]*\);.*/\1/p' \
	    /etc/nginx/nginx.conf 2>/dev/null | tail -n1)
	case $w in ''|auto|*[!0-9]*) w=$(nproc);; esac
	[ "$w" -gt 0 ] || w=1
	echo $(( ((WORKERS - 1) * threads - 1) / w ))
}

render_site()
{
	local ipv6=0 max_body cors o metrics_allow servers k keepalive="" keep_conn=""

	[ -e /proc/net/if_inet6 ] && ipv6=1
	max_body=$(env_get QUETZAL_MAX_BODY)
	max_body=${max_body:-1048576}
	case $max_body in ''|*[!0-9]*) die "QUETZAL_MAX_BODY: not a number: $max_body";; esac
	cors=
	IFS=, read -r -a origins <<<"$(env_get QUETZAL_CORS_ORIGINS)"
	for o in "${origins[@]}"; do
		o=$(echo "$o" | tr -d '[:space:]')
		[ -z "$o" ] && continue
		case $o in
		http://*|https://*) ;;
		*) die "QUETZAL_CORS_ORIGINS: not an origin: $o";;
		esac
		case $o in *[\"\\\;{}\ ]*) die "QUETZAL_CORS_ORIGINS: bad character in $o";; esac
		cors="$cors	\"$o\" 1;\n"
	done
	# --role front: one upstream server per app host.
	servers=
	if [ "$ROLE" = front ]; then
		for o in ${APP_SERVERS//,/ }; do
			servers="$servers	server $o max_fails=3 fail_timeout=10s;\n"
		done
	fi
	# /metrics readers besides loopback: addresses or CIDRs (SPEC 3)
	metrics_allow=
	IFS=, read -r -a origins <<<"$(env_get QUETZAL_METRICS_ALLOW)"
	for o in "${origins[@]}"; do
		o=$(echo "$o" | tr -d '[:space:]')
		[ -z "$o" ] && continue
		case $o in
		*[!0-9A-Fa-f.:/]*|*/*/*|/*) die "QUETZAL_METRICS_ALLOW: not an address or CIDR: $o";;
		esac
		metrics_allow="$metrics_allow		allow $o;\n"
	done
	k=$(keepalive)
	if [ "$k" -gt 0 ]; then
		keepalive="keepalive $k;"
		keep_conn="fastcgi_keep_conn on;"
	fi
	awk -v tls="$TLS" -v ipv6="$ipv6" -v name="$SERVER_NAME" \
	    -v sock="$SOCKET" -v share="$OPT/current/share/quetzal" \
	    -v body="$max_body" -v cors="$cors" -v metrics="$metrics_allow" \
	    -v front="$([ "$ROLE" = front ] && echo 1 || echo 0)" -v servers="$servers" \
	    -v keepalive="$keepalive" -v keep_conn="$keep_conn" \
	    -v cert="$ETC/tls/cert.pem" -v key="$ETC/tls/key.pem" '
	{
		keep = 1
		if ($0 ~ /#@tls/ && !tls) keep = 0
		if ($0 ~ /#@plain/ && tls) keep = 0
		if ($0 ~ /#@ipv6/ && !ipv6) keep = 0
		if ($0 ~ /#@front/ && !front) keep = 0
		if ($0 ~ /#@local/ && front) keep = 0
		if (!keep) next
		sub(/[ \t]*#@.*$/, "")
		if ($0 ~ /^@CORS_ORIGINS@$/) { printf "%s", cors; next }
		if ($0 ~ /^@APP_SERVERS@$/) { printf "%s", servers; next }
		if ($0 ~ /^@METRICS_ALLOW@$/) { printf "%s", metrics; next }
		gsub(/@SERVER_NAME@/, name); gsub(/@SOCKET@/, sock)
		gsub(/@SHARE@/, share); gsub(/@MAX_BODY@/, body)
		gsub(/@TLS_CERT@/, cert); gsub(/@TLS_KEY@/, key)
		gsub(/@KEEPALIVE@/, keepalive); gsub(/@KEEP_CONN@/, keep_conn)
		print
	}' "$SRC/nginx/quetzal.conf"
}
if [ "$opt_print_site" = 1 ]; then
	render_site
	exit 0
fi
[ "$(id -u)" = 0 ] || die "run as root (sudo ./deploy.sh)"
[ -d /run/systemd/system ] || die "systemd is not running on this host"
[ -f "$SRC/Makefile" ] || die "no Makefile next to deploy.sh ($SRC)"

CHANGED=0	# this run changed something on the host
ROLL=0		# ... that the workers read: restart them one at a time
changed() { CHANGED=1; say "$*"; }

# install_file SRC DEST MODE [OWNER]: copy when different; 0 if it did.
install_file()
{
	if [ -f "$2" ] && cmp -s "$1" "$2"; then
		return 1
	fi
	install -D -m "$3" -o "${4:-root}" -g "${4:-root}" "$1" "$2"
}

# ---------------------------------------------------------------- packages
# Build and run dependencies. apt runs only when one is missing, so a host
# that has them all needs no network.
PKGS="make gcc pkg-config libpq-dev libjson-c-dev libjwt-dev libfcgi-dev
libssl-dev libsystemd-dev libcrypt-dev postgresql-client curl"
[ "$ROLE" = app ] || PKGS="$PKGS nginx"
# The database: --database-url, else the one configured, else a local one.
DB_URL=$opt_db
[ -z "$DB_URL" ] && DB_URL=$(env_get QUETZAL_DATABASE_URL)
DB_URL=${DB_URL:-$LOCAL_DB_URL}
LOCAL_DB=0
if [ "$DB_URL" = "$LOCAL_DB_URL" ] && [ "$ROLE" != front ]; then
	LOCAL_DB=1
	PKGS="$PKGS postgresql"
fi
# One dpkg-query for all; a package counts as present when installed, or
# when what it brings is (the metapackages postgresql and postgresql-client
# are often absent when their versioned packages are in; nginx-light and
# friends give nginx).
# shellcheck disable=SC2086
installed=" $(dpkg-query -W -f='${Package}:${db:Status-Status} ' $PKGS 2>/dev/null || true) "
missing=
for p in $PKGS; do
	case $installed in *" $p:installed "*) continue;; esac
	case $p in
	nginx) [ -x /usr/sbin/nginx ] && continue;;
	postgresql) ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && continue;;
	postgresql-client) command -v pg_dump >/dev/null && command -v psql >/dev/null && continue;;
	esac
	missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

# ---------------------------------------------------------------- build
# The build belongs to the Makefile; as the checkout's owner when sudo'd.
owner=$(stat -c %U "$SRC")
if [ "$owner" != root ] && [ -n "${SUDO_USER:-}" ] && [ "$owner" = "$SUDO_USER" ]; then
	runuser -u "$owner" -- make -C "$SRC" -s
else
	make -C "$SRC" -s
fi
STAGE=$(mktemp -d /tmp/quetzal-deploy.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
make -C "$SRC" -s install DESTDIR="$STAGE" PREFIX=/usr >/dev/null
[ -x "$STAGE/usr/bin/quetzal" ] || die "make install gave no bin/quetzal"

# A release is named by its content: same bytes, same release, no restart.
RELEASE=$(cd "$STAGE/usr" && find . -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum | sha256sum | cut -c1-12)
mkdir -p "$OPT/releases"
if [ ! -d "$OPT/releases/$RELEASE" ]; then
	cp -a "$STAGE/usr" "$OPT/releases/.$RELEASE.tmp"
	chown -R root:root "$OPT/releases/.$RELEASE.tmp"
	chmod -R go-w,a+rX "$OPT/releases/.$RELEASE.tmp"
	mv "$OPT/releases/.$RELEASE.tmp" "$OPT/releases/$RELEASE"
fi
OLD_RELEASE=$(basename "$(readlink "$OPT/current" 2>/dev/null || echo none)")
if [ "$OLD_RELEASE" != "$RELEASE" ]; then
	changed "new release $RELEASE (current: $OLD_RELEASE)"
	ROLL=1
fi

# Keep the five newest releases, never current, previous nor this one.
PREV_RELEASE=$(basename "$(readlink "$OPT/previous" 2>/dev/null || echo none)")
# shellcheck disable=SC2012
ls -1t "$OPT/releases" | tail -n +6 | while read -r r; do
	case $r in "$RELEASE"|"$OLD_RELEASE"|"$PREV_RELEASE") continue;; esac
	rm -rf "${OPT:?}/releases/$r"
done

# ---------------------------------------------------------------- user
if [ "$ROLE" != front ] && ! getent passwd quetzal >/dev/null; then
	adduser --system --group --home /var/lib/quetzal --no-create-home \
	    --shell /usr/sbin/nologin --gecos 'quetzal workers' quetzal >/dev/null
	say "created system user quetzal"
fi
NGINX_GROUP=www-data
[ "$ROLE" = app ] || getent group "$NGINX_GROUP" >/dev/null || die "no group $NGINX_GROUP (nginx's)"

# ---------------------------------------------------------------- config
install -d -m 0755 "$ETC"
if [ "$ROLE" = front ]; then
	:	# no workers here; a quetzal.env, when present, gives CORS and the body limit
elif [ ! -f "$ETC/quetzal.env" ]; then
	cat >"$ETC/quetzal.env.tmp" <<EOF
# quetzal configuration (SPEC 3), read by the quetzal units as
# EnvironmentFile. After a change run ./deploy.sh again: it notices, rewrites
# the nginx site (CORS, body limit) and restarts the workers one at a time.
QUETZAL_DATABASE_URL=${opt_db:-$LOCAL_DB_URL}
# The JWT key is the credential jwt_secret (/etc/quetzal/jwt_secret).
#QUETZAL_TOKEN_TTL=1800
#QUETZAL_REFRESH_TTL=1209600
#QUETZAL_BCRYPT_COST=12
#QUETZAL_MAX_BODY=1048576
#QUETZAL_STATEMENT_TIMEOUT_MS=5000
#QUETZAL_LOG_LEVEL=info
# Accept loops (threads) per worker; nginx keeps FastCGI connections open
# only when there are enough of them (deploy.sh derives the number).
#QUETZAL_THREADS=1
# Spare loops per worker: asleep until a write waits for its commit, then
# taking connections meanwhile (each holds a PostgreSQL connection).
#QUETZAL_SPARE_LOOPS=6
# Browser origins allowed by CORS (nginx answers them), comma-separated.
#QUETZAL_CORS_ORIGINS=https://app.example.com
# Addresses or CIDRs besides loopback that may read /metrics (Prometheus).
#QUETZAL_METRICS_ALLOW=10.0.0.5,192.168.1.0/24
EOF
	chmod 0600 "$ETC/quetzal.env.tmp"
	mv "$ETC/quetzal.env.tmp" "$ETC/quetzal.env"
	changed "wrote $ETC/quetzal.env"; ROLL=1
elif [ -n "$opt_db" ] && ! grep -qxF "QUETZAL_DATABASE_URL=$opt_db" "$ETC/quetzal.env"; then
	grep -v '^QUETZAL_DATABASE_URL=' "$ETC/quetzal.env" >"$ETC/quetzal.env.tmp" || true
	printf 'QUETZAL_DATABASE_URL=%s\n' "$opt_db" >>"$ETC/quetzal.env.tmp"
	chmod 0600 "$ETC/quetzal.env.tmp"
	mv "$ETC/quetzal.env.tmp" "$ETC/quetzal.env"
	changed "database URL set in $ETC/quetzal.env"; ROLL=1
fi

if [ "$ROLE" = front ]; then
	:	# no key: the front only forwards
elif [ -n "$JWT_SECRET_FILE" ]; then
	# The key every app host shares.  A different one is a rotation: the
	# installed key becomes the previous key, which still verifies the
	# tokens it signed until they expire (QUETZAL_TOKEN_TTL).
	if ! [ -s "$ETC/jwt_secret" ] || ! cmp -s "$JWT_SECRET_FILE" "$ETC/jwt_secret"; then
		if [ -s "$ETC/jwt_secret" ]; then
			(umask 077; cp "$ETC/jwt_secret" "$ETC/jwt_secret.previous")
			changed "the JWT key changed: the old one verifies its tokens until they expire"
		fi
		(umask 077; cp "$JWT_SECRET_FILE" "$ETC/jwt_secret.tmp")
		mv "$ETC/jwt_secret.tmp" "$ETC/jwt_secret"
		changed "installed the JWT key from $JWT_SECRET_FILE"; ROLL=1
	fi
elif [ ! -s "$ETC/jwt_secret" ]; then
	# 48 random bytes, base64: 64 characters, above the 32-byte minimum.
	(umask 077; head -c 48 /dev/urandom | base64 -w0 >"$ETC/jwt_secret.tmp")
	mv "$ETC/jwt_secret.tmp" "$ETC/jwt_secret"
	changed "generated a JWT secret in $ETC/jwt_secret"; ROLL=1
fi
[ -f "$ETC/jwt_secret" ] && chmod 0600 "$ETC/jwt_secret"
# The previous key is forgotten once every token it signed has expired.
if [ -f "$ETC/jwt_secret.previous" ]; then
	ttl=$(env_get QUETZAL_TOKEN_TTL); ttl=${ttl:-1800}
	case $ttl in ''|*[!0-9]*) ttl=1800;; esac
	if [ $(( $(date +%s) - $(stat -c %Y "$ETC/jwt_secret.previous") )) -gt $((ttl + 60)) ]; then
		rm -f "$ETC/jwt_secret.previous"
		changed "forgot the previous JWT key: every token it signed has expired"; ROLL=1
	fi
fi

if [ -n "$opt_cert" ]; then
	install -d -m 0700 "$ETC/tls"
	install_file "$opt_cert" "$ETC/tls/cert.pem" 0644 && changed "installed TLS certificate"
	install_file "$opt_key" "$ETC/tls/key.pem" 0600 && changed "installed TLS key"
fi
if [ "$TLS" = 1 ] && { [ ! -s "$ETC/tls/cert.pem" ] || [ ! -s "$ETC/tls/key.pem" ]; }; then
	die "TLS is on but $ETC/tls/{cert,key}.pem are missing: give --tls-cert and --tls-key, or --no-tls"
fi

# What the workers read: when it differs from the last run's, roll them
# (an edited quetzal.env takes effect with a plain ./deploy.sh).
CONFIG_HASH=$({ cat "$ETC/quetzal.env" "$ETC/jwt_secret" 2>/dev/null || true; } | sha256sum | cut -c1-16)
if [ -n "${LAST_CONFIG_HASH:-}" ] && [ "$LAST_CONFIG_HASH" != "$CONFIG_HASH" ]; then
	changed "configuration changed since the last deploy"
	ROLL=1
fi
conf=$(printf '# written by deploy.sh: the settings of its last run\nWORKERS=%s\nSERVER_NAME=%s\nTLS=%s\nLAST_CONFIG_HASH=%s' \
    "$WORKERS" "$SERVER_NAME" "$TLS" "$CONFIG_HASH")
# Roles and their settings, only when not the one-host defaults (so that a
# --role all host keeps the deploy.conf it had).
for v in ROLE:all APP_SERVERS: LISTEN: ALLOW_FROM: JWT_SECRET_FILE: BACKUPS:on MIGRATE:first; do
	n=${v%%:*}
	[ "${!n}" = "${v#*:}" ] || conf=$(printf '%s\n%s=%q' "$conf" "$n" "${!n}")
done
if [ "$(cat "$ETC/deploy.conf" 2>/dev/null)" != "$conf" ]; then
	printf '%s\n' "$conf" >"$ETC/deploy.conf"
	changed "wrote $ETC/deploy.conf"
fi

# ---------------------------------------------------------------- database
if [ "$LOCAL_DB" = 1 ]; then
	if ! systemctl is-active -q postgresql.service ||
	    ! pg_isready -q -h /var/run/postgresql; then
		systemctl enable -q --now postgresql.service
	fi
	for i in $(seq 60); do
		pg_isready -q -h /var/run/postgresql && break
		[ "$i" = 60 ] && die "local PostgreSQL not ready after 30 s"
		sleep 0.5
	done
	psql_pg() { runuser -u postgres -- psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
	if [ -z "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname = 'quetzal'")" ]; then
		psql_pg -c 'CREATE ROLE quetzal LOGIN'
		changed "created PostgreSQL role quetzal"
	fi
	if [ -z "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname = 'quetzal'")" ]; then
		runuser -u postgres -- createdb -O quetzal -E UTF8 quetzal
		changed "created database quetzal"
	fi
	# PostgreSQL's own log keeps no DETAIL of the app's errors (a unique
	# violation's DETAIL names the email); a superuser setting, so here
	# rather than in a migration (docs/decisions.md).
	if [ "$(psql_pg -c "SELECT coalesce((SELECT 'y' FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'quetzal' AND s.setdatabase = 0 AND 'log_error_verbosity=terse' = ANY (s.setconfig)), 'n')")" != y ]; then
		psql_pg -c "ALTER ROLE quetzal SET log_error_verbosity = 'terse'"
		changed "PostgreSQL role quetzal logs its errors tersely"
	fi
fi

# ---------------------------------------------------------------- units
# db_addresses URL: the IP addresses of the URL's TCP hosts, one a line
# (names resolved now, with the name servers when a name is not in
# /etc/hosts); nothing for Unix sockets.
db_addresses()
{
	local u=$1 hosts h x
	case $u in
	postgres://*|postgresql://*)
		hosts=${u#*://}; hosts=${hosts%%[/?]*}; hosts=${hosts##*@}
		x=$(printf '%s' "$u" | sed -n 's/.*[?&]host=\([^&]*\).*/\1/p')
		[ -n "$x" ] && hosts=$x;;
	*)	hosts=$(printf '%s' "$u" | sed -n 's/.*\bhost=\([^ ]*\).*/\1/p');;
	esac
	for h in ${hosts//,/ }; do
		case $h in
		\[*) h=${h#[}; h=${h%%]*};;
		*:*:*) ;;
		*) h=${h%%:*};;
		esac
		case $h in ''|/*|%2F*|%2f*) continue;; esac
		if is_ip "$h"; then
			echo "$h"
		else
			getent ahosts "$h" | awk '{ print $1 }' | sort -u | grep . ||
			    die "--database-url: cannot resolve $h"
			getent -s files hosts "$h" >/dev/null ||
			    awk '$1 == "nameserver" { print $2 }' /etc/resolv.conf
		fi
	done | sort -u
}

UNITS_CHANGED=0
SOCKET_CHANGED=0
# dropin UNIT NAME TEXT: UNIT.d/NAME.conf holds TEXT; removed when TEXT is
# empty.  0 when it changed something.
dropin()
{
	local d=$UNITDIR/$1.d/$2.conf f
	if [ -n "$3" ]; then
		f=$(mktemp "$STAGE/dropin.XXXXXX")
		printf '%s\n' "$3" >"$f"
		if install_file "$f" "$d" 0644; then
			UNITS_CHANGED=1; changed "drop-in $2 for $1"; return 0
		fi
	elif [ -f "$d" ]; then
		rm -f "$d"; rmdir "$UNITDIR/$1.d" 2>/dev/null || true
		UNITS_CHANGED=1; changed "removed drop-in $2 for $1"; return 0
	fi
	return 1
}
if [ "$ROLE" != front ]; then
UNITS="quetzal.socket quetzal@.service quetzal.target quetzal-migrate.service quetzal-backup.service quetzal-backup.timer"
[ "$MIGRATE" = skip ] && UNITS=${UNITS/ quetzal-migrate.service/}
for f in $UNITS; do
	if install_file "$SRC/systemd/$f" "$UNITDIR/$f" 0644; then
		UNITS_CHANGED=1
		changed "installed unit $f"
	fi
done
# --migrate skip: another host migrates; Wants= of a missing unit is a no-op.
if [ "$MIGRATE" = skip ] && [ -f "$UNITDIR/quetzal-migrate.service" ]; then
	systemctl disable -q quetzal-migrate.service 2>/dev/null || true
	rm -rf "$UNITDIR/quetzal-migrate.service" "$UNITDIR/quetzal-migrate.service.d"
	UNITS_CHANGED=1; changed "removed quetzal-migrate.service (--migrate skip)"
fi
# A database reached over TCP needs the network the sandbox takes away.
NET_DROPIN=$(mktemp "$STAGE/net.XXXXXX")
case $DB_URL in
''|*'host=/'*|*'host=%2F'*|*'@/'*|postgres://|postgresql://|postgres:///*|postgresql:///*) ;;
*)	if [ "$ROLE" = app ]; then
		# An app host: egress to the database's addresses only.
		allow=$(db_addresses "$DB_URL" | tr '\n' ' ')
		[ -n "$allow" ] || die "--database-url: no TCP host in it"
		cat >"$NET_DROPIN" <<EOF
# written by deploy.sh --role app: egress to the database only
[Service]
PrivateNetwork=no
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
IPAddressDeny=any
IPAddressAllow=${allow% }
EOF
	else
		cat >"$NET_DROPIN" <<'EOF'
# written by deploy.sh: the database is reached over TCP
[Service]
PrivateNetwork=no
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
IPAddressDeny=
EOF
	fi
	;;
esac
for u in quetzal@.service quetzal-migrate.service quetzal-backup.service; do
	[ "$u" = quetzal-migrate.service ] && [ "$MIGRATE" = skip ] && continue
	d=$UNITDIR/$u.d/50-database-network.conf
	if [ -s "$NET_DROPIN" ]; then
		install_file "$NET_DROPIN" "$d" 0644 && { UNITS_CHANGED=1; changed "network drop-in for $u"; }
	elif [ -f "$d" ]; then
		rm -f "$d"; rmdir "$UNITDIR/$u.d" 2>/dev/null || true
		UNITS_CHANGED=1; changed "removed network drop-in for $u"
	fi
done
# --role app: the socket on TCP, reachable from the front host(s) and this
# host's own address (the readiness check below) only.  systemd applies a
# socket unit's IP access list to its listening socket and to every
# connection accepted on it (eBPF on the socket unit's cgroup).
listen_text=
if [ "$ROLE" = app ]; then
	la=${LISTEN%:*}; la=${la#[}; la=${la%]}
	listen_text="# written by deploy.sh --role app: FastCGI over TCP, for the fronts only
[Socket]
ListenStream=
ListenStream=$LISTEN
FreeBind=yes
NoDelay=yes
IPAddressDeny=any
IPAddressAllow=${ALLOW_FROM//,/ } $la"
fi
if dropin quetzal.socket 50-listen "$listen_text"; then SOCKET_CHANGED=1; fi
# The previous JWT key, while it lives, as a second credential.
prev_text=
if [ -f "$ETC/jwt_secret.previous" ]; then
	prev_text="# written by deploy.sh: the JWT key before the last rotation
[Service]
LoadCredential=jwt_secret_previous:$ETC/jwt_secret.previous
Environment=QUETZAL_JWT_SECRET_PREVIOUS_FILE=%d/jwt_secret_previous"
fi
dropin quetzal@.service 40-jwt-previous "$prev_text" || true
# The socket's group must be nginx's; it is in the unit, check it is so.
grep -qx "SocketGroup=$NGINX_GROUP" "$UNITDIR/quetzal.socket" ||
    die "quetzal.socket: SocketGroup is not $NGINX_GROUP"
if [ "$UNITS_CHANGED" = 1 ]; then
	systemctl daemon-reload
	ROLL=1
fi

# Enable the pool: socket, target, instances 1..N, backup timer; and
# disable instances above N (scale down).
en="quetzal.socket quetzal.target"
[ "$MIGRATE" = first ] && en="$en quetzal-migrate.service"
[ "$BACKUPS" = on ] && en="$en quetzal-backup.timer"
# shellcheck disable=SC2086
systemctl enable -q $en
if [ "$BACKUPS" = off ] && systemctl is-enabled -q quetzal-backup.timer 2>/dev/null; then
	systemctl disable -q --now quetzal-backup.timer
	say "disabled quetzal-backup.timer (--backups off)"
fi
for i in $(seq "$WORKERS"); do
	if ! systemctl is-enabled -q "quetzal@$i.service" 2>/dev/null; then
		systemctl enable -q "quetzal@$i.service"
		say "enabled quetzal@$i"
	fi
done
for l in "$UNITDIR"/quetzal.target.wants/quetzal@*.service; do
	[ -e "$l" ] || [ -L "$l" ] || continue
	i=${l##*/quetzal@}; i=${i%.service}
	case $i in ''|*[!0-9]*) continue;; esac
	if [ "$i" -gt "$WORKERS" ]; then
		systemctl disable -q --now "quetzal@$i.service"
		say "stopped and disabled quetzal@$i"
	fi
done
# A socket whose address changed binds again (its workers restart with it).
if [ "$SOCKET_CHANGED" = 1 ] && systemctl is-active -q quetzal.socket; then
	systemctl restart quetzal.socket
fi
systemctl start quetzal.socket
if [ "$BACKUPS" = on ]; then systemctl start quetzal-backup.timer; fi
fi	# ROLE != front

# ---------------------------------------------------------------- nginx
if [ "$ROLE" != app ]; then
SITE_NEW="$STAGE/site.conf"
render_site >"$STAGE/site.raw" || exit 1
awk 'BEGIN{blank=0} /^$/{if(blank++)next; print; next} {blank=0; print}' "$STAGE/site.raw" >"$SITE_NEW"
NGINX_CHANGED=0
install_file "$SITE_NEW" "$SITE" 0644 && { NGINX_CHANGED=1; changed "wrote $SITE"; }
if [ "$(readlink /etc/nginx/sites-enabled/quetzal 2>/dev/null)" != "$SITE" ]; then
	ln -sfn "$SITE" /etc/nginx/sites-enabled/quetzal
	NGINX_CHANGED=1
fi
# Debian's stock default site also claims port 80: step it aside.
if [ "$(readlink /etc/nginx/sites-enabled/default 2>/dev/null)" = /etc/nginx/sites-available/default ]; then
	rm -f /etc/nginx/sites-enabled/default
	NGINX_CHANGED=1
	say "disabled nginx's default site"
fi
if [ "$NGINX_CHANGED" = 1 ]; then
	nginx -t -q || die "nginx -t failed; the site is $SITE"
fi
systemctl enable -q nginx.service
if ! systemctl is-active -q nginx.service; then
	systemctl start nginx.service
elif [ "$NGINX_CHANGED" = 1 ]; then
	systemctl reload nginx.service
fi
fi	# ROLE != app

# ---------------------------------------------------------------- rollout
# switch_to REL: point /opt/quetzal/current at REL, atomically.
switch_to()
{
	ln -sfn "releases/$1" "$OPT/.current.tmp"
	mv -T "$OPT/.current.tmp" "$OPT/current"
}

# roll: start or restart each wanted worker, one at a time. `systemctl
# restart` of a Type=notify unit returns once the new process said READY=1
# (connected, statements prepared), so the others serve meanwhile.
roll()
{
	local i force=$1

	[ "$ROLE" = front ] && return 0
	for i in $(seq "$WORKERS"); do
		# Only a failed unit: reset-failed also zeroes NRestarts.
		if systemctl is-failed -q "quetzal@$i.service"; then
			systemctl reset-failed "quetzal@$i.service"
		fi
		if systemctl is-active -q "quetzal@$i.service"; then
			[ "$force" = 1 ] || continue
			say "restarting quetzal@$i"
			timeout "$((READY_TIMEOUT + 15))" systemctl restart "quetzal@$i.service" || return 1
		else
			say "starting quetzal@$i"
			timeout "$((READY_TIMEOUT + 15))" systemctl start "quetzal@$i.service" || return 1
		fi
		systemctl is-active -q "quetzal@$i.service" || return 1
	done
}

# fcgi_ready ADDR:PORT: GET /readyz spoken in FastCGI (bash's /dev/tcp,
# no client to install) to the app socket, from this host; 0 on a 200.
fcgi_ready()
{
	local h=${1%:*} p=${1##*:}
	h=${h#[}; h=${h%]}
	# shellcheck disable=SC2016
	LC_ALL=C timeout 5 bash -c '
		nv() { printf "\\x$(printf %02x ${#1})\\x$(printf %02x ${#2})%s%s" "$1" "$2"; }
		params=$(nv REQUEST_METHOD GET; nv REQUEST_URI /readyz
		    nv DOCUMENT_URI /readyz; nv SCRIPT_NAME /readyz
		    nv SERVER_PROTOCOL HTTP/1.1; nv GATEWAY_INTERFACE CGI/1.1)
		n=${#params}
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		{ printf "\x01\x01\x00\x01\x00\x08\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
		  printf "\x01\x04\x00\x01\\x$(printf %02x $((n >> 8)))\\x$(printf %02x $((n & 255)))\x00\x00"
		  printf "%s" "$params"
		  printf "\x01\x04\x00\x01\x00\x00\x00\x00\x01\x05\x00\x01\x00\x00\x00\x00"
		} >&3
		cat <&3' "$h" "$p" 2>/dev/null | tr -d '\000' | grep -aq 'Status: 200'
}

# check_ready: /readyz through nginx (on an app host: to its own socket)
# answers 200 within READY_TIMEOUT s.
check_ready()
{
	local url host i code

	if [ "$ROLE" = app ]; then
		for i in $(seq $((READY_TIMEOUT * 2))); do
			fcgi_ready "$LISTEN" && return 0
			sleep 0.5
		done
		say "/readyz on the FastCGI socket $LISTEN did not answer 200"
		return 1
	fi

	if [ "$TLS" = 1 ]; then
		host=$SERVER_NAME; [ "$host" = _ ] && host=localhost
		url=(-k --resolve "$host:443:127.0.0.1" "https://$host/readyz")
	else
		url=(-H "Host: ${SERVER_NAME/#_/localhost}" http://127.0.0.1/readyz)
	fi
	for i in $(seq $((READY_TIMEOUT * 2))); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "${url[@]}" || true)
		[ "$code" = 200 ] && return 0
		sleep 0.5
	done
	say "/readyz through nginx answered ${code:-nothing}"
	return 1
}

# rollback: back to OLD_RELEASE, workers rolled again; exits 1 either way.
rollback()
{
	say "deploy failed: $1"
	if [ "$OLD_RELEASE" = none ] || [ "$OLD_RELEASE" = "$RELEASE" ] ||
	    [ ! -d "$OPT/releases/$OLD_RELEASE" ]; then
		say "no previous release to roll back to"
		journalctl -q -n 20 --no-pager -u 'quetzal@*' -u quetzal-migrate 2>/dev/null || true
		exit 1
	fi
	say "rolling back to release $OLD_RELEASE"
	switch_to "$OLD_RELEASE"
	ln -sfn "releases/$RELEASE" "$OPT/.previous.tmp"
	mv -T "$OPT/.previous.tmp" "$OPT/previous"
	systemctl reset-failed quetzal-migrate.service 'quetzal@*.service' 2>/dev/null || true
	if roll 1 && check_ready; then
		say "rolled back to $OLD_RELEASE; it is serving"
	else
		say "rollback to $OLD_RELEASE is not healthy either"
	fi
	exit 1
}

# The new release becomes current; workers started from now on run it.
if [ "$OLD_RELEASE" != "$RELEASE" ]; then
	if [ "$OLD_RELEASE" != none ]; then
		ln -sfn "releases/$OLD_RELEASE" "$OPT/.previous.tmp"
		mv -T "$OPT/.previous.tmp" "$OPT/previous"
	fi
	switch_to "$RELEASE"
fi
if [ "$(readlink /usr/local/bin/quetzal 2>/dev/null)" != "$OPT/current/bin/quetzal" ]; then
	ln -sfn "$OPT/current/bin/quetzal" /usr/local/bin/quetzal
fi

# Migrations, with the new binary, before any worker runs it (not on a
# host deployed with --migrate skip: another one runs them first).
if [ "$ROLE" != front ] && [ "$MIGRATE" = first ]; then
if systemctl is-failed -q quetzal-migrate.service; then
	systemctl reset-failed quetzal-migrate.service
fi
if ! timeout 600 systemctl restart quetzal-migrate.service; then
	journalctl -q -n 20 --no-pager -u quetzal-migrate 2>/dev/null || true
	rollback "migrations failed (journalctl -u quetzal-migrate)"
fi
fi

force=$opt_restart
[ "$ROLL" = 1 ] && force=1
roll "$force" || rollback "a worker did not become ready (journalctl -u 'quetzal@*')"
[ "$ROLE" = front ] || systemctl start quetzal.target
check_ready || rollback "/readyz did not answer 200"

if [ "$ROLE" = front ]; then
	[ "$CHANGED" = 1 ] || printf 'deploy: nothing changed; '
	say "quetzal front (release $RELEASE) is serving for $APP_SERVERS"
elif [ "$CHANGED" = 1 ] || [ "$force" = 1 ]; then
	say "quetzal release $RELEASE is serving with $WORKERS workers"
else
	say "nothing changed; quetzal release $RELEASE is serving with $WORKERS workers"
fi
