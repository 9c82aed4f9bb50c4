#!/usr/bin/env bash
# test_families.sh - issue #4's families (sockets, pipes, the fd table,
# links, modes, owners, flock, getdents64), processes (fork with a thread
# mid-call, exec, posix_spawn, hundreds of threads, pthread_cancel, closing
# every fd) and signals (SIGPIPE, a handler that makes proxied calls): each
# as natively, with the calls proxied (families.c).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

scratch
F=$TESTBIN/families
pass=0

# same [CASE ARGS...]: output and exit status as natively
same() {
	local rn=0 rl=0
	"$F" "$@" >"$WORK/out.native" 2>&1 || rn=$?
	"$LSCACTL" run --summary-file "$WORK/sum" -- "$F" "$@" >"$WORK/out.lsca" 2>&1 || rl=$?
	[ "$rn" = "$rl" ] || fail "$1: exit $rl under lsca, $rn natively"
	diff -u "$WORK/out.native" "$WORK/out.lsca" || fail "$1: differs from native"
	pass=$((pass + 1))
}

mkdir "$WORK/n" "$WORK/l"
rn=0 rl=0
"$F" calls "$WORK/n" >"$WORK/calls.native" 2>&1 || rn=$?
"$LSCACTL" run --summary-file "$WORK/sum" -- "$F" calls "$WORK/l" >"$WORK/calls.lsca" 2>&1 || rl=$?
[ "$rn" = 0 ] && [ "$rl" = 0 ] || fail "calls: exit $rl under lsca, $rn natively"
diff -u <(sed "s#$WORK/n#DIR#g" "$WORK/calls.native") <(sed "s#$WORK/l#DIR#g" "$WORK/calls.lsca") ||
	fail "calls: differ from native"
diff <(snapshot "$WORK/n" | sed "s#$WORK/n#DIR#g") <(snapshot "$WORK/l" | sed "s#$WORK/l#DIR#g") ||
	fail "calls: trees differ"
assert_proxied "$WORK/sum" readlinkat symlinkat linkat fchmodat fchownat mknodat fchmod fchown \
	fallocate flock getdents64 sendto recvfrom shutdown socket socketpair bind listen connect \
	accept pipe2 dup dup3 fcntl ioctl close_range
pass=$((pass + $(wc -l <"$WORK/calls.native")))

same cancel
same threads 300
same sigalrm "$WORK/alarm"
assert_proxied "$WORK/sum" pread64 fstat
same closeall "$WORK/closeall"
# every step after the program closed the shim's socket was proxied again
[ "$(proxied "$WORK/sum" openat)" = 5 ] || { cat "$WORK/sum"; fail "closeall: not re-attached"; }
same fork "$WORK/fork"
same sigpipe ignore
same sigpipe default
assert_proxied "$WORK/sum" write

# SIGPIPE as the kernel sends it: yes dies of it; python3 raises
# BrokenPipeError (it ignores SIGPIPE), or dies once it restores it
sigpipe_case() { # CMD...
	local n l
	n=$(
		set +eo pipefail
		"$@" 2>"$WORK/err.n" | head -c 1 >/dev/null
		echo "${PIPESTATUS[0]}"
	)
	l=$(
		set +eo pipefail
		"$LSCACTL" run --summary-file "$WORK/sp" -- "$@" 2>"$WORK/err.l" | head -c 1 >/dev/null
		echo "${PIPESTATUS[0]}"
	)
	n="$n $(grep -c BrokenPipeError "$WORK/err.n" || true)"
	l="$l $(grep -c BrokenPipeError "$WORK/err.l" || true)"
	[ "$n" = "$l" ] || fail "$* | head -c 1: '$l' under lsca, '$n' natively"
	pass=$((pass + 1))
}
sigpipe_case yes
if command -v python3 >/dev/null; then
	sigpipe_case python3 -c "import sys; sys.stdout.write('x' * 1000000)"
	sigpipe_case python3 -c "import signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
sys.stdout.write('x' * 1000000)"
fi

echo "$pass passed, 0 failed"
