#!/usr/bin/env bash
# test_hostile.sh - a client writing garbage into its ring and socket gets
# errors, never a daemon crash, hang or busy loop; lscad serves others after.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

scratch
start_lscad --stats-out "$WORK/stats"
printf 'still served\n' >"$WORK/file"
timeout 120 "$TESTBIN/hostile" "$LSCA_SOCK" || fail "the daemon left garbage unanswered"
kill -0 "$LSCAD_PID" || fail "lscad died"
# a detached hostile client must leave lscad idle, not spinning
sleep 0.5
cpu() { awk '{ print $14 + $15 }' "/proc/$LSCAD_PID/stat"; }
before=$(cpu)
sleep 1
after=$(cpu)
[ $((after - before)) -lt 20 ] || fail "lscad burns CPU after the hostile client left ($((after - before)) ticks/s)"
out=$(env LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" "$TESTBIN/probe" "read:$WORK/file")
stop_lscad
[ "$out" = "read $WORK/file -> 13" ] || fail "next client got: $out"
grep -q '^clients 2$' "$WORK/stats" || fail "stats: $(head -2 "$WORK/stats")"
echo "ok: garbage answered, lscad alive and idle, next client served"
echo "1 passed, 0 failed"
