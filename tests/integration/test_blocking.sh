#!/usr/bin/env bash
# test_blocking.sh - a call that would wait never holds lscad: 200 clients
# blocked in read() on empty pipes (each handed back to wait in its own
# kernel call) do not delay another client's 10 000 proxied writes, and
# each completes once its pipe is written. on_failure: deny makes every
# client's calls fail unless lscad really serves it.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

N=200
scratch
ulimit -n 4096 2>/dev/null || true
start_lscad
export LSCA_SOCKET=$LSCA_SOCK LSCA_ON_FAILURE=deny
declare -a wfd pids
for i in $(seq "$N"); do
	mkfifo "$WORK/p$i"
	exec {fd}<>"$WORK/p$i" # a writer that never writes (yet)
	wfd[i]=$fd
	LD_PRELOAD=$SHIM "$TESTBIN/families" blockread <"$WORK/p$i" >"$WORK/r$i" 2>&1 &
	pids[i]=$!
done
# every reader is in read(), in its own kernel call
for _ in $(seq 200); do
	n=0
	for i in $(seq "$N"); do
		w=
		read -r w <"/proc/${pids[i]}/wchan" 2>/dev/null || true
		case $w in *pipe_read) n=$((n + 1)) ;; esac
	done
	[ "$n" = "$N" ] && break
	sleep 0.1
done
[ "$n" = "$N" ] || fail "only $n of $N readers wait in pipe_read"

start=$(date +%s)
LD_PRELOAD=$SHIM timeout 60 "$TESTBIN/families" writes 10000 "$WORK/w" >"$WORK/writer" ||
	fail "the writer did not finish within 60 s: $(cat "$WORK/writer")"
took=$(($(date +%s) - start))
[ "$(stat -c %s "$WORK/w")" = 10000 ] || fail "the writer's file is short"
for i in $(seq "$N"); do
	kill -0 "${pids[i]}" 2>/dev/null || fail "reader $i ended before its pipe was written"
done
for i in $(seq "$N"); do
	echo x >&"${wfd[i]}"
done
for i in $(seq "$N"); do
	wait "${pids[i]}" || fail "reader $i failed: $(cat "$WORK/r$i")"
	[ "$(cat "$WORK/r$i")" = "read 2" ] || fail "reader $i: $(cat "$WORK/r$i")"
done
echo "$(cat "$WORK/writer") beside $N blocked readers (${took}s)"
echo "3 passed, 0 failed"
