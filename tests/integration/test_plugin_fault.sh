#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_plugin_fault.sh - the fault plugin (plugins/fault, docs/plugins/
# fault.md) under `lscactl run --config`, driven by python3 (exact errnos):
#   nth     exactly the 3rd write of each process fails with EIO (a forked
#           child counts on its own, the parent's 6th+ never fail), and the
#           failed write wrote nothing;
#   every   every 2nd pwrite fails, errno given as a number (28, ENOSPC);
#   filters path_prefix (through a symlink too) and comm;
#   rate    the same seed injects the same sequence twice, another seed
#           another one;
#   delay   delay_ms makes the call take at least that long (no upper bound
#           is asserted);
#   config  a bad errno fails --check-config with FILE:LINE:COLUMN.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "needs python3"
scratch
PLUGIN_DIR=$LSCA_BUILD/lib/lsca/plugins
[ -f "$PLUGIN_DIR/fault.so" ] || fail "no $PLUGIN_DIR/fault.so (build lsca_plugin_fault)"
T=${LSCA_TEST_TIMEOUT:-120}
passed=0
ok() {
	echo "ok: $*"
	passed=$((passed + 1))
}
mkdir -p "$WORK/flaky" "$WORK/other"
ln -s ../flaky "$WORK/other/fl"

config() { # FILE SEED RULE-LINES...: a config with the fault plugin
	local f=$1 seed=$2
	shift 2
	{
		printf 'plugin_dir: %s\nplugins:\n  - name: fault\n    config:\n' "$PLUGIN_DIR"
		printf '      seed: %s\n      rules:\n' "$seed"
		printf '        - %s\n' "$@"
	} >"$f"
	"$LSCAD" --check-config "$f" >"$WORK/check.out" 2>&1 ||
		{ cat "$f" "$WORK/check.out" >&2; fail "lscad --check-config rejects $f"; }
}
lrun() { # CONFIG CMD...
	local cfg=$1
	shift
	timeout "$T" "$LSCACTL" run --config "$cfg" --summary-file "$WORK/summary" -- "$@"
}
PY=("$(python3 -c 'import sys; print(sys.executable)')" -B -I) # not a wrapper script

# --- 1. nth, every, path_prefix, comm, delay in one config ---
config "$WORK/c1.yaml" 42 \
	"{ syscall: write, errno: EIO, nth: 3 }" \
	"{ syscall: pwrite64, errno: 28, every: 2 }" \
	"{ syscall: openat, errno: ENOSPC, path_prefix: $WORK/flaky }" \
	"{ syscall: unlinkat, errno: EBUSY, comm: nomatch }" \
	"{ syscall: mkdirat, errno: EXDEV, comm: 'python3*' }" \
	"{ syscall: fsync, delay_ms: 300 }" \
	"{ syscall: truncate, delay_ms: 200, errno: EROFS }"

cat >"$WORK/nth.py" <<'EOF'
import errno, os, sys, time

W = sys.argv[1]
lines = []


def say(*a):
    lines.append(" ".join(str(x) for x in a))


def res(f, *a):
    try:
        f(*a)
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]


def writes(fd, n):
    return " ".join(res(os.write, fd, b"x") for _ in range(n))


# a child process counts on its own: the parent's 3rd write is its first
# after the fork, the child's 3rd is the child's own
fd = os.open(W + "/w.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
before = writes(fd, 2)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    cfd = os.open(W + "/child.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(w, writes(cfd, 5).encode())
    os._exit(0)
os.close(w)
os.waitpid(pid, 0)
say("parent:", before, writes(fd, 3))
say("child:", os.read(r, 1000).decode())
say("parent again:", writes(fd, 3))
os.close(fd)

fd = os.open(W + "/p.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
say("pwrite:", " ".join(res(os.pwrite, fd, b"y", i) for i in range(6)))
say("open flaky:", res(os.open, W + "/flaky/a", os.O_WRONLY | os.O_CREAT, 0o644))
say("open via link:", res(os.open, W + "/other/fl/b", os.O_WRONLY | os.O_CREAT, 0o644))
say("open other:", res(os.open, W + "/other/c", os.O_WRONLY | os.O_CREAT, 0o644))
open(W + "/other/u", "w").close()
say("unlink (comm nomatch):", res(os.unlink, W + "/other/u"))
say("mkdir (comm python3*):", res(os.mkdir, W + "/other/d"))

t = time.monotonic()
os.fsync(fd)
say("fsync slow:", time.monotonic() - t >= 0.3)
t = time.monotonic()
r = res(os.truncate, W + "/p.txt", 0)
say("truncate:", r, time.monotonic() - t >= 0.2)
os.close(fd)
# stdout only now, in one writev: a write to stdout (a pipe) reaches the
# handlers too and would count as a write
os.writev(1, [("\n".join(lines) + "\n").encode()])
EOF
out=$(lrun "$WORK/c1.yaml" "${PY[@]}" "$WORK/nth.py" "$WORK" 2>"$WORK/err1") ||
	{ echo "$out" >&2; cat "$WORK/err1" >&2; fail "nth.py failed under the fault plugin"; }
echo "$out" >"$WORK/out1"
cat >"$WORK/expected1" <<'EOF'
parent: ok ok EIO ok ok
child: ok ok EIO ok ok
parent again: ok ok ok
pwrite: ok ENOSPC ok ENOSPC ok ENOSPC
open flaky: ENOSPC
open via link: ENOSPC
open other: ok
unlink (comm nomatch): ok
mkdir (comm python3*): EXDEV
fsync slow: True
truncate: EROFS True
EOF
diff -u "$WORK/expected1" "$WORK/out1" || { cat "$WORK/err1" >&2; fail "injections differ"; }
assert_proxied "$WORK/summary" write pwrite64 openat
ok "nth/every/path_prefix/comm/delay: $(tr '\n' ';' <"$WORK/out1")"
# the failed writes did not run: 7 bytes of 8, 4 of 5, no ENOSPC pwrite
[ "$(stat -c %s "$WORK/w.txt")" = 7 ] || fail "w.txt has $(stat -c %s "$WORK/w.txt") bytes, not 7"
[ "$(stat -c %s "$WORK/child.txt")" = 4 ] || fail "child.txt is not 4 bytes"
[ ! -e "$WORK/flaky/a" ] && [ ! -e "$WORK/flaky/b" ] || fail "an injected open created its file"
[ ! -e "$WORK/other/d" ] || fail "the injected mkdir made the directory"
[ ! -e "$WORK/other/u" ] || fail "the unlink without injection did not remove the file"
[ "$(stat -c %s "$WORK/p.txt")" = 5 ] || fail "p.txt: the truncate ran or pwrites are wrong"
ok "injected calls did not run (w.txt 7 bytes, no flaky/a, no other/d)"

# --- 2. rate: reproducible for a seed, different for another ---
cat >"$WORK/rate.py" <<'EOF'
import os, sys

fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
bits = []
for _ in range(64):
    try:
        os.write(fd, b"z")
        bits.append("0")
    except OSError:
        bits.append("1")
# writev, not write (print): this output must not draw from the generator
os.writev(1, [("".join(bits) + "\n").encode()])
EOF
rate_run() { # SEED
	config "$WORK/rate$1.yaml" "$1" "{ syscall: write, errno: EIO, rate: 0.5 }"
	lrun "$WORK/rate$1.yaml" "${PY[@]}" "$WORK/rate.py" "$WORK/rate.txt"
}
a=$(rate_run 42) || fail "rate run 1 failed"
b=$(rate_run 42) || fail "rate run 2 failed"
c=$(rate_run 7) || fail "rate run with seed 7 failed"
[ ${#a} = 64 ] || fail "rate run printed '$a'"
case $a in *0*1* | *1*0*) ;; *) fail "rate 0.5 gave no mix of failures and successes: $a" ;; esac
[ "$a" = "$b" ] || fail "seed 42 gave two sequences: $a / $b"
[ "$a" != "$c" ] || fail "seeds 42 and 7 gave the same sequence $a"
ok "rate 0.5: seed 42 twice $a, seed 7 $c"

# --- 3. a bad errno fails --check-config with FILE:LINE:COLUMN ---
cat >"$WORK/bad.yaml" <<EOF
plugin_dir: $PLUGIN_DIR
plugins:
  - name: fault
    config:
      rules:
        - { syscall: write, errno: EIO, nth: 1 }
        - syscall: read
          errno: EBOGUS
EOF
line=$(grep -n EBOGUS "$WORK/bad.yaml" | cut -d: -f1)
rc=0
"$LSCAD" --check-config "$WORK/bad.yaml" >"$WORK/bad.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "--check-config accepts errno: EBOGUS"
grep -qE "$WORK/bad.yaml:$line:[0-9]+" "$WORK/bad.out" ||
	{ cat "$WORK/bad.out" >&2; fail "no $WORK/bad.yaml:$line:COLUMN in the message"; }
ok "errno: EBOGUS: $(grep -m1 "bad.yaml:$line" "$WORK/bad.out")"

echo "$passed passed, 0 failed"
