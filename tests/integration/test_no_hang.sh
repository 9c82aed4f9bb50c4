#!/usr/bin/env bash
# test_no_hang.sh - daemon death and restart never leave a client waiting:
# with the default on_failure (passthrough) a client whose daemon is killed
# goes on with direct calls, and re-attaches to a restarted daemon.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

scratch
pass=0

# 1. SIGKILL mid-run, then a new daemon on the same socket
start_lscad
env LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" "$TESTBIN/probe" statloop:3000:1000 \
	>"$WORK/out" 2>&1 &
client=$!
sleep 0.7
kill -9 "$LSCAD_PID"
wait "$LSCAD_PID" 2>/dev/null || true
LSCAD_PID=
sleep 0.5
rm -f "$LSCA_SOCK"
start_lscad --stats-out "$WORK/stats"
# the client must finish on its own, well within its 3.3 s of work
for _ in $(seq 200); do kill -0 "$client" 2>/dev/null || break; sleep 0.1; done
kill -0 "$client" 2>/dev/null && fail "client still running 20 s later: it hangs"
wait "$client" || fail "client failed: $(cat "$WORK/out")"
stop_lscad
grep -q 'statloop 3000 -> 0 failed' "$WORK/out" || fail "client: $(cat "$WORK/out")"
read -r _ calls _ direct _ < <(grep '^newfstatat ' "$WORK/stats")
[ "$calls" -gt "$direct" ] || fail "client did not re-attach to the new daemon ($calls/$direct)"
echo "ok: survived SIGKILL of lscad and re-attached ($((calls - direct)) calls proxied by the new daemon)"
pass=$((pass + 1))

# 2. SIGTERM while clients are attached: they are told and go direct at once
start_lscad
env LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" "$TESTBIN/probe" statloop:1000:1000 \
	>"$WORK/out2" 2>&1 &
client=$!
sleep 0.3
stop_lscad
for _ in $(seq 100); do kill -0 "$client" 2>/dev/null || break; sleep 0.1; done
kill -0 "$client" 2>/dev/null && fail "client still running after lscad stopped"
wait "$client" || fail "client failed: $(cat "$WORK/out2")"
grep -q 'statloop 1000 -> 0 failed' "$WORK/out2" || fail "client: $(cat "$WORK/out2")"
echo "ok: survived lscad's orderly stop"
pass=$((pass + 1))

echo "$pass passed, 0 failed"
