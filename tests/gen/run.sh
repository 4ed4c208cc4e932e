#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/gen/run.sh: sql/gen.awk gives the same bytes under every awk.
#
# Runs the Makefile's generator rules with each awk on this machine (mawk,
# Debian's default, is always there; gawk, original-awk and busybox awk
# when installed) on the real sql/ files and on tests/gen/fixtures (every
# byte a C string literal must escape), and requires:
#   1. every awk's build/gen/* byte-identical to the first's;
#   2. the fixtures' output identical to tests/gen/expected/ (so a lone
#      awk is still checked against a known answer);
#   3. each compiled-in migration, real and fixture, equal byte for byte to
#      its file, with migrate_sha256() equal to sha256sum of the file.
# Called by `make test-gen` with CC, ARCHIVE and LDLIBS set.  Prints one
# line per check, exits 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
: "${CC:=cc}" "${ARCHIVE:=build/libquetzal.a}" "${LDLIBS:=}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
ok() { echo "gen: ok   $*"; }
bad() { echo "gen: FAIL $*"; fails=$((fails + 1)); }

fq=$(echo tests/gen/fixtures/queries/*.sql)
fm=$(echo tests/gen/fixtures/migrations/*.sql)
gen() {	# gen NAME AWK [VAR=VALUE...]: the Makefile's rules into $tmp/NAME
	dir=$tmp/$1 awk_cmd=$2
	shift 2
	make -s --no-print-directory AWK="$awk_cmd" BUILD="$dir" "$@" \
	    "$dir/gen/queries.h" "$dir/gen/queries.c" "$dir/gen/migrations.c" \
	    >"$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; return 1; }
}

awks=
for a in mawk gawk original-awk; do
	command -v "$a" >/dev/null 2>&1 && awks="$awks $a"
done
busybox awk 'BEGIN {}' >/dev/null 2>&1 && awks="$awks busybox"
[ -n "$awks" ] || { bad "no awk found"; exit 1; }
echo "gen: awks on this machine:$awks"

first=
for a in $awks; do
	cmd=$a
	[ "$a" = busybox ] && cmd="busybox awk"
	if ! gen "real-$a" "$cmd" ||
	    ! gen "fixture-$a" "$cmd" QUERIES="$fq" MIGRATIONS="$fm"; then
		bad "$a: the generator failed"
		continue
	fi
	for f in queries.h queries.c migrations.c; do
		if ! cmp -s "$tmp/fixture-$a/gen/$f" "tests/gen/expected/$f"; then
			bad "$a: fixture $f differs from tests/gen/expected/$f"
			diff "tests/gen/expected/$f" "$tmp/fixture-$a/gen/$f" | head -n 10
		elif [ -z "$first" ] || cmp -s "$tmp/real-$a/gen/$f" "$tmp/real-$first/gen/$f"; then
			ok "$a: $f"
		else
			bad "$a: sql/ gives a $f different from $first's"
			diff "$tmp/real-$first/gen/$f" "$tmp/real-$a/gen/$f" | head -n 10
		fi
	done
	[ -n "$first" ] || first=$a
done

# The compiled-in text of each migration is its file, byte for byte.
roundtrip() {	# roundtrip NAME SRCDIR
	out=$tmp/rt-$1
	mkdir -p "$out"
	if ! $CC -std=c11 -Ilib -o "$tmp/rt-$1.bin" tests/gen/roundtrip.c \
	    "$tmp/$1-$first/gen/migrations.c" "$ARCHIVE" $LDLIBS ||
	    ! "$tmp/rt-$1.bin" "$out" >"$out.sums"; then
		bad "$1: roundtrip program failed"
		return
	fi
	n=0
	while read -r file sum; do
		n=$((n + 1))
		if ! cmp -s "$2/$file" "$out/$file"; then
			bad "$1: $file compiled in differs from $2/$file"
		elif [ "$sum" != "$(sha256sum <"$2/$file" | cut -d' ' -f1)" ]; then
			bad "$1: $file migrate_sha256 differs from sha256sum"
		else
			ok "$1: $file round-trips, sha256 $(echo "$sum" | cut -c1-12)"
		fi
	done <"$out.sums"
	[ "$n" -eq "$(ls "$2"/*.sql | wc -l)" ] || bad "$1: $n migrations compiled in"
}
[ -n "$first" ] && roundtrip real sql/migrations
[ -n "$first" ] && roundtrip fixture tests/gen/fixtures/migrations

echo "gen: $fails failed"
[ "$fails" -eq 0 ]
