#!/usr/bin/env bash
# test_fidelity.sh - fd numbers, new fds, cwd, umask and transfers larger
# than a slot behave as natively (fidelity.c), with the calls proxied.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

scratch
mkdir "$WORK/native" "$WORK/lsca"
"$TESTBIN/fidelity" "$WORK/native" >"$WORK/out.native"
"$LSCACTL" run --summary-file "$WORK/sum" -- "$TESTBIN/fidelity" "$WORK/lsca" >"$WORK/out.lsca"
diff -u "$WORK/out.native" "$WORK/out.lsca" || fail "differs from native"
# entry points only (no Syscall User Dispatch: kernels before 5.11)
mkdir "$WORK/entry"
LSCA_INTERCEPTION=entry-points "$LSCACTL" run --summary-file "$WORK/sum.entry" -- \
	"$TESTBIN/fidelity" "$WORK/entry" >"$WORK/out.entry"
grep -q '^interception: complete (0 processes), entry-points' "$WORK/sum.entry" ||
	fail "LSCA_INTERCEPTION=entry-points did not give entry-point mode"
diff -u "$WORK/out.native" "$WORK/out.entry" || fail "differs from native (entry points)"
assert_proxied "$WORK/sum" openat read write pread64 readv writev preadv pwritev faccessat2 fstat \
	fchdir chdir
n=$(wc -l <"$WORK/out.native")
echo "$n passed, 0 failed"
