#!/usr/bin/env bash
# test_fdkeep.sh - lscad keeps the files behind a process's fd numbers
# between calls (src/daemon/fdcache.h) and lets go of each when the process
# frees its number: every way of freeing one (close, stdio, dup2/dup3, raw
# dup2, close_range, a task sharing the fd table, io_uring) leaves the
# number meaning what it means natively, and the open file goes with the
# process's close (flock, ETXTBSY, IN_CLOSE_WRITE) or exec. fdkeep.c, run natively
# and under LSCA, must print the same; lscad must take a file once for many
# calls on it.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

scratch
passed=0
for part in main suid exec race sharer io_uring; do
	mkdir "$WORK/native-$part" "$WORK/lsca-$part"
	"$TESTBIN/fdkeep" "$WORK/native-$part" "$part" >"$WORK/$part.native"
	"$LSCACTL" run --summary-file "$WORK/$part.sum" -- \
		"$TESTBIN/fdkeep" "$WORK/lsca-$part" "$part" >"$WORK/$part.lsca"
	diff -u "$WORK/$part.native" "$WORK/$part.lsca" || fail "$part: differs from native"
	case $part in
	suid) [ "$(id -u)" != 0 ] || assert_proxied "$WORK/$part.sum" pwrite64 openat ;;
	*) assert_proxied "$WORK/$part.sum" pread64 openat ;;
	esac
	n=$(wc -l <"$WORK/$part.native")
	echo "ok: $part, $n lines as natively"
	passed=$((passed + n))
done
# a thread started before the shim's constructor (another library's)
mkdir "$WORK/native-early" "$WORK/lsca-early"
"$TESTBIN/fdkeep_early" "$WORK/native-early" >"$WORK/early.native"
"$LSCACTL" run -- "$TESTBIN/fdkeep_early" "$WORK/lsca-early" >"$WORK/early.lsca" 2>/dev/null
diff -u "$WORK/early.native" "$WORK/early.lsca" || fail "early thread: differs from native"
echo "ok: a thread started before the shim, $(wc -l <"$WORK/early.native") lines as natively"
passed=$((passed + $(wc -l <"$WORK/early.native")))
grep -q unavailable "$WORK/io_uring.native" &&
	echo "note: io_uring is unavailable here; that part only ran its fallback"
grep -q "needs root" "$WORK/suid.native" &&
	echo "note: not root; the suid part only printed that"

# Many calls on one number: lscad takes the client's file once (one
# pidfd_getfd), where it used to take it for every call.
command -v strace >/dev/null || { echo "strace is missing (scripts/deps.sh installs it)"; exit 1; }
LSCA_SOCK=$WORK/lscad.sock
strace -f -qq -e trace=pidfd_getfd -o "$WORK/getfd.trace" \
	"$LSCAD" --socket "$LSCA_SOCK" --control-socket "$WORK/lscad.ctl" &
LSCAD_PID=$!
for _ in $(seq 100); do [ -S "$LSCA_SOCK" ] && break; sleep 0.05; done
mkdir "$WORK/repeat"
out=$(LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" "$TESTBIN/fdkeep" "$WORK/repeat" repeat)
pkill -TERM -P "$LSCAD_PID" lscad || true # strace ends with its lscad
wait "$LSCAD_PID" || true
LSCAD_PID=
[ "$out" = "100 preads of a: 100 right" ] || fail "repeat printed: $out"
fetches=$(grep -c 'pidfd_getfd(' "$WORK/getfd.trace" || true)
[ "$fetches" -ge 1 ] || fail "lscad never took the client's file: the preads were not proxied"
[ "$fetches" -le 20 ] || fail "lscad took the client's files $fetches times for 100 preads (and 3 writes)"
echo "ok: 100 preads of one file, lscad took it $fetches time(s)"
passed=$((passed + 2))
echo "$passed passed, 0 failed"
