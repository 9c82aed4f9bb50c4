#!/usr/bin/env bash
# test_kernel_entries.sh - while the daemon is awake, a proxied call costs
# the client no kernel entry: 100 000 pwrite()s through LSCA must take the
# client fewer than 1 000 syscalls in all (start-up included), counted by
# strace on the client only.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || skip "needs strace"
scratch
start_lscad --stats-out "$WORK/stats"
strace -f -c -o "$WORK/strace" env LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" \
	"$TESTBIN/probe" "pwrite:$WORK/f:100000" >"$WORK/out"
stop_lscad
grep -q '100000 calls, 0 failed' "$WORK/out" || fail "probe: $(cat "$WORK/out")"
# every pwrite went through the daemon
read -r _ calls _ direct _ < <(grep '^pwrite64 ' "$WORK/stats")
if [ "$calls" != 100000 ] || [ "$direct" != 0 ]; then
	fail "pwrite64: $calls calls, $direct direct"
fi
# strace -c's lines: "% TIME SECONDS USECS/CALL CALLS [ERRORS] SYSCALL"
total=$(awk '$NF == "total" { print $4 }' "$WORK/strace")
pw=$(awk '$NF == "pwrite64" { print $4 }' "$WORK/strace")
echo "client kernel entries for 100000 proxied pwrites: $total (pwrite64 syscalls: ${pw:-0})"
if [ -z "$total" ] || [ "$total" -ge 1000 ]; then
	cat "$WORK/strace"
	fail "$total kernel entries"
fi
echo "1 passed, 0 failed"
