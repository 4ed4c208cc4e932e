# SPDX-License-Identifier: MIT
# tests/system/lib.sh: what the system suites (run.sh, multihost.sh) share
# to run their tests; sourced, bash only.  The caller sets ONLY (" NAME... "
# or "  " for all) and PASSED, FAILED, SKIPPED (0), defines t_NAME for each
# test, and prints the totals.

# wait_for SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
wait_for()
{
	local limit=$1 i
	shift
	for i in $(seq $((limit * 5))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# run_test NAME: runs t_NAME, counts, times it (an exit status of 77 is a
# skip). Not run when ONLY names other tests.
run_test()
{
	local name=$1 t0 t1 rc
	if [ "$ONLY" != "  " ] && [[ $ONLY != *" $name "* ]]; then
		return
	fi
	t0=$(date +%s%N)
	"t_$name"
	rc=$?
	t1=$(date +%s%N)
	t1=$(( (t1 - t0) / 100000000 ))	# tenths of a second
	t1="$((t1 / 10)).$((t1 % 10))s"
	case $rc in
	0) PASSED=$((PASSED + 1)); printf 'ok    %-40s %6s\n' "$name" "$t1";;
	77) SKIPPED=$((SKIPPED + 1)); printf 'skip  %-40s %6s\n' "$name" "$t1";;
	*) FAILED=$((FAILED + 1)); printf 'FAIL  %-40s %6s\n' "$name" "$t1";;
	esac
}
