#!/usr/bin/env bash
# test_secure_exec.sh - in a setuid program (AT_SECURE) the shim ignores every
# LSCA_* variable: it never connects to a socket the invoking user named.
# The shim reaches a setuid program only through /etc/ld.so.preload; that is
# done in a private mount namespace, so no other process on the machine sees it.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (setuid binary, mount namespace)"
for tool in unshare setpriv; do
	command -v "$tool" >/dev/null || skip "needs $tool (util-linux)"
done
unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"
scratch
chmod 755 "$WORK"
mkdir -m 1777 "$WORK/run"
cp "$SHIM" "$WORK/shim.so"
chmod 755 "$WORK/shim.so"
cp "$TESTBIN/probe" "$WORK/suid-probe"
chmod 4755 "$WORK/suid-probe"
echo "$WORK/shim.so" >"$WORK/preload"
printf 'x\n' >"$WORK/file"
# a bind mount needs a file to cover; an empty one preloads nothing
if [ ! -e /etc/ld.so.preload ]; then
	: >/etc/ld.so.preload
	trap 'stop_lscad; rm -f /etc/ld.so.preload; rm -rf "$WORK"' EXIT
fi

# the invoking user (nobody) runs a listener and names it in LSCA_SOCKET
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$TESTBIN/proto_peer" daemon "$WORK/run/evil.sock" 1 >"$WORK/peer.out" 2>&1 &
peer=$!
for _ in $(seq 100); do [ -S "$WORK/run/evil.sock" ] && break; sleep 0.05; done
[ -S "$WORK/run/evil.sock" ] || fail "listener did not start"

run_in_ns() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare -m bash -c '
		set -e
		mount --bind "$1" /etc/ld.so.preload
		shift
		exec "$@"' _ "$WORK/preload" "$@"
}

# control: a non-setuid program with the same environment does connect
ctl=$(run_in_ns setpriv --reuid=65534 --regid=65534 --clear-groups env \
	LSCA_SOCKET="$WORK/run/evil.sock" "$TESTBIN/probe" "read:$WORK/file" 2>&1)
wait "$peer" || true
grep -q 'hello version' "$WORK/peer.out" || fail "control: the shim never connected ($ctl)"
echo "ok: a plain program follows LSCA_SOCKET ($ctl)"

setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$TESTBIN/proto_peer" daemon "$WORK/run/evil.sock" 1 >"$WORK/peer.out" 2>&1 &
peer=$!
for _ in $(seq 100); do [ -S "$WORK/run/evil.sock" ] && break; sleep 0.05; done
out=$(run_in_ns setpriv --reuid=65534 --regid=65534 --clear-groups env \
	LSCA_SOCKET="$WORK/run/evil.sock" "$WORK/suid-probe" "read:$WORK/file" 2>&1)
sleep 0.5
kill "$peer" 2>/dev/null || true
wait "$peer" 2>/dev/null || true
[ "$out" = "read $WORK/file -> 2" ] || fail "setuid probe: $out"
if grep -q 'hello version' "$WORK/peer.out"; then
	fail "the setuid program connected to the socket its invoker named"
fi
echo "ok: a setuid program ignores LSCA_SOCKET ($out)"
echo "2 passed, 0 failed"
