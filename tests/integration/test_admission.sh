#!/usr/bin/env bash
# test_admission.sh - the configuration decides who is served at all
# (admission rules: silently left alone) and what a client does when lscad
# goes away (on_failure: passthrough or deny).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

scratch
passed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
printf 'data\n' >"$WORK/f"

# --- admission: an excluded executable runs untouched and says nothing ---
cat >"$WORK/adm.yaml" <<'YAML'
admission:
  exclude_executables: ["*/cat"]
YAML
out=$("$LSCACTL" run --config "$WORK/adm.yaml" --summary-file "$WORK/s1" -- cat "$WORK/f" 2>"$WORK/err")
[ "$out" = data ] || fail "excluded cat printed '$out'"
[ ! -s "$WORK/err" ] || fail "an excluded process said something: $(cat "$WORK/err")"
grep -q "^lsca: 0 processes attached" "$WORK/s1" || fail "cat was attached: $(head -1 "$WORK/s1")"
out=$("$LSCACTL" run --config "$WORK/adm.yaml" --summary-file "$WORK/s2" -- head -n1 "$WORK/f")
[ "$out" = data ] && grep -q "^lsca: 1 process attached" "$WORK/s2" ||
	fail "head should be admitted: $(head -1 "$WORK/s2")"
ok "exclude_executables leaves cat alone, silently, and serves head"

me=$(id -u)
printf 'admission:\n  uids: [%s]\n' $((me + 1)) >"$WORK/uid.yaml"
"$LSCACTL" run --config "$WORK/uid.yaml" --summary-file "$WORK/s3" -- cat "$WORK/f" >/dev/null
grep -q "^lsca: 0 processes attached" "$WORK/s3" || fail "a uid outside 'uids' was attached"
printf 'admission:\n  uids: [%s]\n' "$me" >"$WORK/uid.yaml"
"$LSCACTL" run --config "$WORK/uid.yaml" --summary-file "$WORK/s4" -- cat "$WORK/f" >/dev/null
grep -q "^lsca: 1 process attached" "$WORK/s4" || fail "a uid in 'uids' was not attached"
ok "uids admits exactly the listed users"

# --- init is never served: a whole-system preload reaches PID 1 too ---
if [ "$(id -u)" = 0 ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
	start_lscad --verbose 2>"$WORK/v.log"
	out=$(unshare --pid --fork --mount-proc env LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" \
		cat "$WORK/f")
	out2=$(LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" cat "$WORK/f")
	stop_lscad
	[ "$out" = data ] && [ "$out2" = data ] || fail "cat printed '$out' / '$out2'"
	n=$(grep -c "(cat) attached" "$WORK/v.log" || true)
	[ "$n" = 1 ] || fail "$n cat processes attached, want 1 (not the PID 1 one)"
	ok "a process that is PID 1 runs untouched, the same program elsewhere is served"
else
	echo "note: the PID 1 check needs root and unshare --pid; not run"
fi

# --- a file-size limit is the process's: lscad must not write past it ---
fsize='ulimit -f 1; dd if=/dev/zero of="$0" bs=1024 count=4 2>/dev/null; echo "rc=$?"'
nat=$(bash -c "$fsize" "$WORK/fs.native" 2>/dev/null)
lsc=$("$LSCACTL" run --summary-file "$WORK/fs.sum" -- bash -c "$fsize" "$WORK/fs.lsca" 2>/dev/null)
[ "$nat" = "$lsc" ] && [ "$(stat -c %s "$WORK/fs.native")" = "$(stat -c %s "$WORK/fs.lsca")" ] ||
	fail "RLIMIT_FSIZE: native '$nat' $(stat -c %s "$WORK/fs.native") bytes, lsca '$lsc' $(stat -c %s "$WORK/fs.lsca") bytes"
ok "a file-size limit set after attach (ulimit -f) holds as natively ($nat)"

# --- on_failure: what a client does once lscad is gone ---
# Under deny every interposed call fails once lscad is gone (the client's
# own output too), so it waits for a signal (no file calls) before its
# second attempt, and answers with its exit code.
client() {
	LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" python3 - "$WORK" <<'PY'
import errno, os, signal, sys
w = sys.argv[1]
def attempt():
    try:
        with open(os.path.join(w, "f")) as f:
            return f.read().strip()
    except OSError as e:
        return errno.errorcode[e.errno]
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
print(os.getpid(), attempt(), flush=True)
signal.sigwait({signal.SIGUSR1})
# under deny even this process's writes fail: the answer is the exit code
os._exit({"data": 10, "EIO": 11}.get(attempt(), 12))
PY
}
for mode in passthrough deny; do
	printf 'daemon:\n  on_failure: %s\n' "$mode" >"$WORK/of.yaml"
	start_lscad --config "$WORK/of.yaml"
	client >"$WORK/of.$mode" &
	pid=$!
	for _ in $(seq 200); do [ -s "$WORK/of.$mode" ] && break; sleep 0.05; done
	kill -9 "$LSCAD_PID"
	wait "$LSCAD_PID" 2>/dev/null || true
	LSCAD_PID=
	kill -USR1 "$(awk 'NR == 1 { print $1 }' "$WORK/of.$mode")"
	rc=0
	wait "$pid" || rc=$?
	echo "$(awk 'NR == 1 { print $2 }' "$WORK/of.$mode") $rc" >"$WORK/of.$mode"
done
[ "$(cat "$WORK/of.passthrough")" = "data 10" ] ||
	fail "passthrough: before/after (10 = data): $(cat "$WORK/of.passthrough")"
[ "$(cat "$WORK/of.deny")" = "data 11" ] || fail "deny: before/after (11 = EIO): $(cat "$WORK/of.deny")"
ok "on_failure: passthrough runs calls directly, deny fails them with EIO"

echo "$passed passed, 0 failed"
