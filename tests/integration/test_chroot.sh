#!/usr/bin/env bash
# test_chroot.sh - the daemon resolves a client's absolute paths against the
# client's root: a chrooted process reading /etc/hostname gets the file of
# its own tree, exactly as natively, with the call proxied.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to chroot"
command -v ldd >/dev/null || skip "needs ldd"
scratch
root=$WORK/root
mkdir -p "$root/etc" "$root/bin" "$root/lib"
printf 'inside-the-chroot\n' >"$root/etc/hostname"
cp "$TESTBIN/probe" "$root/bin/probe"
cp "$(command -v env)" "$root/bin/env"
cp "$SHIM" "$root/lib/liblsca-shim.so"
# the probe's and the shim's libraries, at the same paths inside
for lib in $(ldd "$TESTBIN/probe" "$SHIM" "$root/bin/env" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\// && $i !~ /:$/) print $i }' | sort -u); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

native=$(chroot "$root" /bin/probe read:/etc/hostname read:/etc/passwd)
# the socket lives inside the tree, so the chrooted client can reach it
LSCA_SOCK=$root/lscad.sock
"$LSCAD" --socket "$LSCA_SOCK" --stats-out "$WORK/stats" &
LSCAD_PID=$!
for _ in $(seq 100); do [ -S "$LSCA_SOCK" ] && break; sleep 0.05; done
lsca=$(chroot "$root" /bin/env LD_PRELOAD=/lib/liblsca-shim.so LSCA_SOCKET=/lscad.sock \
	/bin/probe read:/etc/hostname read:/etc/passwd)
stop_lscad
[ "$native" = "$lsca" ] || fail "native: '$native', under LSCA: '$lsca'"
[ "$native" = "read /etc/hostname -> 16
read /etc/passwd -> ENOENT" ] || fail "unexpected native result: $native"
read -r _ calls _ direct _ < <(grep '^openat ' "$WORK/stats")
if [ "$calls" -lt 2 ] || [ "$direct" != 0 ]; then
	fail "openat not proxied in the chroot ($calls calls, $direct direct)"
fi
echo "ok: chrooted client, paths resolved in its root: $(echo "$lsca" | tr '\n' ';')"
echo "1 passed, 0 failed"
