#!/usr/bin/env bash
# test_protocol.sh - shim and daemon of different protocol versions refuse
# each other with a clear message; the program still runs (direct calls).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

scratch
PEER=$TESTBIN/proto_peer
printf 'content\n' >"$WORK/file"
# the version this tree speaks, from the contract header
V=$(awk '$2 == "LSCA_PROTO_VERSION" { print $3 + 0 }' "$LSCA_SRC/src/common/proto.h")
[[ $V =~ ^[0-9]+$ ]] || fail "no LSCA_PROTO_VERSION in proto.h"

# a shim meets a daemon of protocol 99
"$PEER" daemon "$WORK/fake.sock" 99 >"$WORK/peer.out" &
peer=$!
for _ in $(seq 100); do [ -S "$WORK/fake.sock" ] && break; sleep 0.05; done
out=$(LD_PRELOAD="$SHIM" LSCA_SOCKET="$WORK/fake.sock" cat "$WORK/file" 2>"$WORK/err")
wait "$peer"
[ "$out" = content ] || fail "cat printed '$out' next to a daemon of another protocol"
grep -q "hello version $V" "$WORK/peer.out" || fail "the shim did not say hello: $(cat "$WORK/peer.out")"
grep -q "lsca: the daemon speaks protocol 99, this shim $V: fake daemon; running without LSCA" \
	"$WORK/err" || fail "no clear message from the shim: '$(cat "$WORK/err")'"
echo "ok: shim refuses a protocol-99 daemon: $(cat "$WORK/err")"

# a shim of protocol 99 meets lscad
# shellcheck disable=SC2119 # no extra options
start_lscad
reply=$("$PEER" client "$LSCA_SOCK" 99)
[ "$reply" = "status 1 version $V reason lscad speaks protocol $V, the shim 99" ] ||
	fail "lscad answered: $reply"
echo "ok: lscad refuses a protocol-99 shim: $reply"
# a connection that never says hello is closed by lscad after 5 s
silent=$(python3 - "$LSCA_SOCK" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.settimeout(15)
t = time.monotonic()
print("closed" if s.recv(64) == b"" else "data", round(time.monotonic() - t))
PY
)
case $silent in "closed "[4-7]) ;; *) fail "silent connection: $silent" ;; esac
echo "ok: lscad drops a connection that sends no hello ($silent s)"
# and still serves the right one
out=$(LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" cat "$WORK/file" 2>&1)
stop_lscad
[ "$out" = content ] || fail "cat under lscad printed '$out'"
echo "3 passed, 0 failed"
