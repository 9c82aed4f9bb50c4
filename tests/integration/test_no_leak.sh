#!/usr/bin/env bash
# test_no_leak.sh - clients that come and go, or die mid-call by SIGKILL,
# leave no fd, worker thread or mapping behind in lscad.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

scratch
# shellcheck disable=SC2119 # no extra options
start_lscad
count() {
	echo "fds=$(find "/proc/$LSCAD_PID/fd" -mindepth 1 | wc -l)" \
		"threads=$(awk '/^Threads:/ { print $2 }' "/proc/$LSCAD_PID/status")" \
		"maps=$(grep -c lsca-ring "/proc/$LSCAD_PID/maps" || true)"
}
# (run as commands, not shell functions: $! must be the client itself)
client=(env LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" "$TESTBIN/probe")
before=$(count)
for _ in $(seq 40); do
	"${client[@]}" statloop:50:0 >/dev/null
done
for _ in $(seq 20); do
	"${client[@]}" statloop:10000000:0 >/dev/null &
	victim=$!
	sleep 0.05
	kill -9 "$victim"
	wait "$victim" 2>/dev/null || true
done
# 8 at once, killed together
pids=()
for _ in $(seq 8); do
	"${client[@]}" statloop:10000000:0 >/dev/null &
	pids+=($!)
done
sleep 0.2
kill -9 "${pids[@]}"
wait "${pids[@]}" 2>/dev/null || true
after=""
for _ in $(seq 50); do
	after=$(count)
	[ "$after" = "$before" ] && break
	sleep 0.1
done
stop_lscad
[ "$after" = "$before" ] || fail "lscad kept resources: before '$before', after '$after'"
echo "ok: 68 clients (28 killed mid-call) left nothing behind: $after"
echo "1 passed, 0 failed"
