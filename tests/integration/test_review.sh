#!/usr/bin/env bash
# test_review.sh - the security review's proofs of concept, as regressions
# (helpers review_*.c; each exits 0 when the attack failed, 1 when it
# worked). A private root lscad; every attack runs as nobody:
#  1. a client execs a setuid-root program; a child that kept the ring reads
#     the program's fds (/etc/shadow) through lscad
#  2. the same child bumps cred_epoch: lscad must not act as root for it
#     (mkdir in a root-owned directory, open /etc/shadow)
#  3. an unaligned event-log head: lscad must not read past the ring
#  4. a FIFO swapped in under an O_CREAT open: no worker stuck for ever
#  5. a Landlock-sandboxed process gets no fd through lscad
# usage: test_review.sh [CHECK...]: only these of exec root evlog fifo landlock
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to run lscad as root and the attacks as nobody"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
for prog in review_setuid review_suidhelper review_evlog review_fifo review_landlock; do
	[ -x "$TESTBIN/$prog" ] || fail "$TESTBIN/$prog is not built"
done
scratch
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
pass=0

# kill_fail MESSAGE: lscad may be wedged (a stuck worker); do not wait on it
kill_fail() {
	kill -KILL "$LSCAD_PID" 2>/dev/null || true
	wait "$LSCAD_PID" 2>/dev/null || true
	LSCAD_PID=
	fail "$@"
}

# attack NAME HELPER ARGS...: run the helper as nobody; sets out and rc
attack() {
	local name=$1 prog=$TESTBIN/$2
	shift 2
	rc=0
	out=$(timeout 120 "${NOBODY[@]}" "$prog" "$@" 2>&1) || rc=$?
	printf '%s:\n%s\n' "$name" "$out" | sed 's/^/  /'
}

# nothing of /etc/shadow in what the attacker printed, nothing made in /
shadow_line=$(head -n 1 /etc/shadow)
assert_clean() {
	if [ -n "$shadow_line" ] && grep -qF -- "$shadow_line" <<<"$out"; then
		kill_fail "$1: /etc/shadow reached the attacker"
	fi
	if compgen -G '/lsca-review-*' >/dev/null; then
		kill_fail "$1: a /lsca-review-* directory exists"
	fi
}

# 1. exec of a setuid program (a scratch copy of the helper made setuid)
check_exec() {
	start_lscad 2>>"$WORK/lscad.log"
	attack "exec of a setuid program" review_setuid exec "$LSCA_SOCK" "$WORK/suid/helper"
	grep -q 'suidhelper: euid 0 opened /etc/shadow as fd [0-9]' <<<"$out" ||
		kill_fail "the setuid helper did not run as root with /etc/shadow open"
	assert_clean "exec of a setuid program"
	kill -0 "$LSCAD_PID" 2>/dev/null || fail "lscad died"
	[ "$rc" = 0 ] ||
		kill_fail "exec of a setuid program: the child read its fds through lscad (exit $rc)"
	stop_lscad
	echo "ok: a child that kept the ring reads nothing of the setuid program's fds"
	pass=$((pass + 1))
}

# 2. the same, the child bumps cred_epoch: lscad re-reads the root credentials
check_root() {
	local target=$WORK/rootonly/lsca-review-pwned

	start_lscad 2>>"$WORK/lscad.log"
	attack "setuid program, cred_epoch bumped" review_setuid root "$LSCA_SOCK" \
		"$WORK/suid/helper" "$target"
	grep -q 'suidhelper: euid 0 opened /etc/shadow' <<<"$out" ||
		kill_fail "the setuid helper did not run as root"
	assert_clean "setuid program, cred_epoch bumped"
	[ ! -e "$target" ] || kill_fail "lscad created $target as root for nobody"
	kill -0 "$LSCAD_PID" 2>/dev/null || fail "lscad died"
	[ "$rc" = 0 ] || kill_fail "setuid program, cred_epoch bumped: lscad acted as root (exit $rc)"
	stop_lscad
	echo "ok: re-identification after a setuid exec gives the child no root"
	pass=$((pass + 1))
}

# 3. an unaligned event-log head (calls observed: the audit plugin)
check_evlog() {
	cat >"$WORK/audit.yaml" <<YAML
plugins: [{name: audit, config: {output: $WORK/audit.jsonl}}]
YAML
	start_lscad --config "$WORK/audit.yaml" --plugin-dir "$LSCA_BUILD/lib/lsca/plugins" \
		2>"$WORK/evlog.log"
	attack "unaligned event-log head" review_evlog "$LSCA_SOCK" 5
	assert_clean "unaligned event-log head"
	sleep 0.2
	if ! kill -0 "$LSCAD_PID" 2>/dev/null; then
		cat "$WORK/evlog.log" >&2
		fail "lscad died of a crafted event log (helper exit $rc)"
	fi
	[ "$rc" = 0 ] || kill_fail "unaligned event-log head: exit $rc"
	grep -q 'malformed event log' "$WORK/evlog.log" ||
		kill_fail "lscad did not log the malformed event log: $(cat "$WORK/evlog.log")"
	stop_lscad
	echo "ok: a crafted event log is dropped as malformed, lscad lives"
	pass=$((pass + 1))
}

# 4. a FIFO swapped in under an O_CREAT open: lscad's threads after the
# client has gone are those before it came
threads() { awk '/^Threads:/ { print $2 }' "/proc/$LSCAD_PID/status"; }
check_fifo() {
	local base now

	mkdir -m 755 "$WORK/fifo"
	chown 65534:65534 "$WORK/fifo"
	start_lscad 2>>"$WORK/lscad.log"
	sleep 0.3
	base=$(threads)
	attack "FIFO swap" review_fifo "$LSCA_SOCK" "$WORK/fifo" 8
	assert_clean "FIFO swap"
	now=$(threads)
	for _ in $(seq 50); do
		[ "$now" -le "$base" ] && break
		sleep 0.1
		now=$(threads)
	done
	[ "$rc" = 0 ] || kill_fail "FIFO swap: a call stayed unanswered (exit $rc; threads $base, now $now)"
	[ "$now" -le "$base" ] ||
		kill_fail "FIFO swap: lscad has $now threads after the client left, $base before"
	stop_lscad
	echo "ok: a FIFO swap leaves no worker behind ($base threads before and after)"
	pass=$((pass + 1))
}

# 5. Landlock: a sandbox that forbids reading files holds through lscad
check_landlock() {
	printf 'not for the sandbox\n' >"$WORK/landlocked"
	chmod 644 "$WORK/landlocked"
	start_lscad 2>>"$WORK/lscad.log"
	attack "Landlock sandbox" review_landlock "$LSCA_SOCK" "$WORK/landlocked"
	assert_clean "Landlock sandbox"
	stop_lscad
	if [ "$rc" = 3 ]; then
		echo "note: this kernel has no Landlock; that check did not run"
		return 0
	fi
	[ "$rc" = 0 ] || fail "Landlock sandbox: lscad opened the file for it (exit $rc)"
	echo "ok: a Landlock-sandboxed process gets no fd through lscad"
	pass=$((pass + 1))
}

suid=yes
case ",$(findmnt -n -T "$WORK" -o OPTIONS)," in
*,nosuid,*)
	echo "note: $WORK is on a nosuid filesystem; the setuid checks do not run"
	suid=no
	;;
*)
	mkdir -m 755 "$WORK/suid" "$WORK/rootonly"
	cp "$TESTBIN/review_suidhelper" "$WORK/suid/helper"
	chown root:root "$WORK/suid/helper"
	chmod 4755 "$WORK/suid/helper"
	;;
esac

checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(exec root evlog fifo landlock)
for check in "${checks[@]}"; do
	case $check in
	exec | root) [ "$suid" = yes ] || continue ;;
	evlog | fifo | landlock) ;;
	*) fail "no check named $check (exec root evlog fifo landlock)" ;;
	esac
	"check_$check"
done
echo "$pass passed, 0 failed"
