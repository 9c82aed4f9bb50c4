#!/usr/bin/env bash
# test_unprivileged.sh - without root, `lscactl run` works as that user; a
# daemon that is not root serves only its own identity and refuses, with a
# message, a process whose rights differ (here: an extra group).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to switch to nobody"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
su_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
su_nobody test -x "$LSCACTL" || skip "the build tree is not reachable by nobody"
scratch
mkdir -m 1777 "$WORK/n"
printf 'hello from nobody\n' >"$WORK/n/file"

# 1. lscactl run as nobody
out=$(cd "$WORK/n" && su_nobody env HOME="$WORK/n" "$LSCACTL" run \
	--summary-file "$WORK/n/sum" -- sh -c 'cat file && mkdir d && echo x > d/y && ls d')
[ "$out" = "hello from nobody
y" ] || fail "output: $out"
assert_proxied "$WORK/n/sum" openat mkdirat
[ "$(stat -c %U "$WORK/n/d/y")" = nobody ] || fail "file owned by $(stat -c %U "$WORK/n/d/y")"
echo "ok: lscactl run as nobody"

# 2. a nobody daemon refuses a nobody process that holds an extra group
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$LSCAD" --socket "$WORK/n/s.sock" --stats-out "$WORK/n/stats" &
pid=$!
for _ in $(seq 100); do [ -S "$WORK/n/s.sock" ] && break; sleep 0.05; done
err=$(setpriv --reuid=65534 --regid=65534 --groups=1 env LD_PRELOAD="$SHIM" \
	LSCA_SOCKET="$WORK/n/s.sock" cat "$WORK/n/file" 2>&1 >/dev/null)
kill "$pid"
wait "$pid" || true
[ "$err" = "lsca: lscad runs as uid 65534 and serves only that user; running without LSCA" ] ||
	fail "no refusal message: '$err'"
grep -q '^clients 0$' "$WORK/n/stats" || fail "the refused process was served"
echo "ok: a non-root daemon refuses other rights ($err)"
echo "2 passed, 0 failed"
