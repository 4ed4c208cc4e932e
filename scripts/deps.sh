#!/usr/bin/env bash
# deps.sh - installs the Debian 12 packages quetzal needs to build, run and
# test.  A no-op without network when everything is present; uses sudo when
# not root.
set -euo pipefail

pkgs=(
	gcc make pkg-config openssl curl ca-certificates
	libfcgi-dev libpq-dev libjson-c-dev libjwt-dev libssl-dev
	libsystemd-dev libcrypt-dev libcriterion-dev libcurl4-openssl-dev
	postgresql-15 postgresql-client-15 nginx-light spawn-fcgi
	python3-bcrypt wrk util-linux iproute2 systemd valgrind
	clang-14 libclang-rt-14-dev
)

missing=()
for p in "${pkgs[@]}"; do
	# nginx-light, -core, -full and -extras all give the nginx binary.
	if [ "$p" = nginx-light ] && command -v nginx >/dev/null 2>&1; then
		continue
	fi
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
# Try the local package lists first; refresh them only when that fails.
if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
	"${sudo[@]}" apt-get update
	"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
