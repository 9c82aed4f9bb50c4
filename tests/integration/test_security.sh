#!/usr/bin/env bash
# test_security.sh - no privilege gain through the daemon. lscad runs as
# root; every probe is run natively and under LSCA and must answer the same,
# with its calls proxied (so the daemon, not the client, made them).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to run lscad as root and clients as nobody"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
scratch
PROBE=$TESTBIN/probe
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
pass=0

mkdir -m 700 "$WORK/rootonly"
mkdir -m 1777 "$WORK/public"
mkdir -m 1777 "$WORK/public-native"

# same NAME [AS...] -- ACTIONS...: the probe, run as AS (a setpriv prefix or
# nothing), must answer the same natively and under a root lscad, and its
# openat calls must all have run in the daemon, at least one refused there.
same() {
	local name=$1 native lsca as=()
	shift
	while [ "$1" != -- ]; do as+=("$1"); shift; done
	shift
	native=$("${as[@]}" "$PROBE" "$@" 2>&1) || true
	start_lscad --stats-out "$WORK/stats"
	lsca=$("${as[@]}" env LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" "$PROBE" "$@" 2>&1) || true
	stop_lscad
	if [ "$native" != "$lsca" ]; then
		printf 'native:\n%s\nunder LSCA:\n%s\n' "$native" "$lsca" >&2
		fail "$name: differs from native"
	fi
	# stats rows: NAME CALLS ERRORS DIRECT NS
	read -r _ calls errors direct _ < <(grep '^openat ' "$WORK/stats")
	if [ "$calls" = 0 ] || [ "$direct" != 0 ]; then
		fail "$name: openat not proxied ($calls calls, $direct direct)"
	fi
	[ "$errors" -gt 0 ] || fail "$name: the daemon refused nothing"
	echo "ok: $name: $(echo "$lsca" | tr '\n' ';')"
	pass=$((pass + 1))
}

# 1. nobody cannot read /etc/shadow through the daemon
same "nobody reads /etc/shadow" "${NOBODY[@]}" -- read:/etc/shadow
grep -q 'EACCES' <<<"$("${NOBODY[@]}" "$PROBE" read:/etc/shadow)" || fail "nobody read /etc/shadow"

# 2. nobody cannot create a file in a root-only directory
same "nobody creates in a root-only dir" "${NOBODY[@]}" -- "creat:$WORK/rootonly/x"
[ ! -e "$WORK/rootonly/x" ] || fail "a file appeared in the root-only directory"

# 3. a file nobody creates belongs to nobody (created by the daemon as nobody)
out=$("$LSCACTL" run --summary-file "$WORK/sum" -- "${NOBODY[@]}" "$PROBE" \
	"creat:$WORK/public/mine" 2>&1)
[ "$(stat -c %u:%g "$WORK/public/mine")" = 65534:65534 ] ||
	fail "nobody's file is owned by $(stat -c %u:%g "$WORK/public/mine"): $out"
assert_proxied "$WORK/sum" openat
echo "ok: nobody's new file is nobody's ($out)"
pass=$((pass + 1))

# 4. root drops to nobody (through libc): /etc/shadow is closed afterwards
same "root, setuid(nobody), reads /etc/shadow" -- read:/etc/shadow setuid:65534 read:/etc/shadow

# 5. the same drop behind the shim's back (raw syscall): the daemon notices
same "root, raw setuid(nobody), reads /etc/shadow" -- read:/etc/shadow rawsetuid:65534 \
	read:/etc/shadow

# 6. nobody in a user namespace of its own holds "all capabilities" there;
# the daemon must not lend them in the initial namespace. The shim itself
# already refuses the daemon from in there, so this uses a raw client (as
# code injected into a process would).
if "${NOBODY[@]}" unshare -Ur true 2>/dev/null; then
	start_lscad --stats-out "$WORK/stats"
	out=$("${NOBODY[@]}" unshare -Ur "$TESTBIN/hostile" "$LSCA_SOCK" read /etc/shadow 2>&1) || true
	stop_lscad
	case $out in
	"read /etc/shadow -> not served" | "read /etc/shadow -> EACCES") ;;
	*) fail "a client in its own user namespace: $out" ;;
	esac
	echo "ok: a client in its own user namespace gains nothing ($out)"
	pass=$((pass + 1))
else
	echo "note: unprivileged user namespaces are off here; that check did not run"
fi

# 7. paths through magic links (/proc/self/fd/N) would lead into lscad's own
# fds, such as another client's cwd in a root-only directory
# open itself, but reachable only through the root-only directory
mkdir -m 755 "$WORK/rootonly/inner"
printf 'top secret\n' >"$WORK/rootonly/inner/secret"
chmod 644 "$WORK/rootonly/inner/secret"
start_lscad
(cd "$WORK/rootonly/inner" && exec env LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" \
	"$PROBE" statloop:200000:500) >/dev/null &
holder=$!
sleep 0.3
leaked=""
for n in $(seq 3 40); do
	out=$("${NOBODY[@]}" "$TESTBIN/hostile" "$LSCA_SOCK" read "/proc/self/fd/$n/secret" 2>&1) ||
		true
	case $out in *"-> "[0-9]*) leaked="$leaked $n" ;; esac
done
kill "$holder"
wait "$holder" 2>/dev/null || true
stop_lscad
[ -z "$leaked" ] || fail "nobody read a root-only file through lscad's fd(s):$leaked"
echo "ok: no path through /proc/self/fd/N (3..40) reached lscad's own files"
pass=$((pass + 1))

# 8. a worker acting for nobody must not become nobody's to signal: a
# SIGKILL to any of its threads would kill the root daemon
start_lscad
"${NOBODY[@]}" env LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" "$PROBE" statloop:20000:500 \
	>/dev/null &
holder=$!
sleep 0.3
killed=""
for task in /proc/"$LSCAD_PID"/task/*; do
	if "${NOBODY[@]}" kill -KILL "${task##*/}" 2>/dev/null; then
		killed="$killed ${task##*/}"
	fi
done
sleep 0.1
alive=yes
kill -0 "$LSCAD_PID" 2>/dev/null || alive=no
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
stop_lscad
if [ -n "$killed" ] || [ "$alive" != yes ]; then
	fail "nobody could signal lscad (threads:$killed; alive: $alive)"
fi
echo "ok: nobody cannot signal any lscad thread, its worker included"
pass=$((pass + 1))

# 9. a shim pointed at another unprivileged user's daemon refuses it
chmod 755 "$WORK"
mkdir -m 1777 "$WORK/nobody-run"
"${NOBODY[@]}" "$LSCAD" --socket "$WORK/nobody-run/s.sock" --stats-out "$WORK/nobody-run/stats" &
npid=$!
for _ in $(seq 100); do [ -S "$WORK/nobody-run/s.sock" ] && break; sleep 0.05; done
[ -S "$WORK/nobody-run/s.sock" ] || fail "lscad as nobody did not start"
# uid 1 (daemon) is neither root nor nobody
err=$(setpriv --reuid=1 --regid=1 --clear-groups env LD_PRELOAD="$SHIM" \
	LSCA_SOCKET="$WORK/nobody-run/s.sock" "$PROBE" read:/etc/hostname 2>&1 >/dev/null)
kill "$npid"
wait "$npid" || true
grep -q "lsca: refusing the daemon at $WORK/nobody-run/s.sock: it runs as uid 65534" <<<"$err" ||
	fail "the shim did not refuse nobody's daemon: '$err'"
grep -q '^clients 0$' "$WORK/nobody-run/stats" || fail "a client attached to nobody's daemon"
echo "ok: shim refuses another user's daemon ($err)"
pass=$((pass + 1))

echo "$pass passed, 0 failed"
