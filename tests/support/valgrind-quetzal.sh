#!/usr/bin/env bash
# valgrind-quetzal.sh - build/quetzal under valgrind, as a drop-in QUETZAL_BIN
# for with-stack.sh (make test-valgrind).  Reports go to the worker's
# stderr (workers.log), where with-stack.sh looks for them.
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--track-fds=no "${QUETZAL_REAL_BIN:-$here/../../build/quetzal}" "$@"
