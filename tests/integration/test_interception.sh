#!/usr/bin/env bash
# test_interception.sh - complete interception (Syscall User Dispatch):
# libc-internal and raw syscalls reach lscad, output stays byte-identical to
# native, fork/exec/threads/signals behave, the shim's own calls are never
# caught, io_uring_setup can be refused; entry-points mode does not see them.
# Skips (77) only where the kernel has no Syscall User Dispatch.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

scratch
passed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
cc -O2 -o "$WORK/icpt" "$LSCA_SRC/tests/integration/interception.c" -lpthread ||
	fail "cannot build the test program"
ICPT=$WORK/icpt
cat >"$WORK/complete.yaml" <<EOF
daemon:
  interception: complete
EOF

# run MODE NAME CMD...: CMD under lscactl run with MODE (complete, or
# entry-points); stdout to NAME.out, the summary to NAME.sum
run() {
	local mode=$1 name=$2
	shift 2
	LSCA_INTERCEPTION=$mode "$LSCACTL" run --summary-file "$WORK/$name.sum" -- "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" || {
		cat "$WORK/$name.err" >&2
		fail "$name: $* exited $?"
	}
}
same() { # NAME NATIVE
	cmp -s "$WORK/$1.out" "$2" || { diff "$2" "$WORK/$1.out" >&2 || true; fail "$1: output differs from native"; }
}
mode_line() { grep '^interception:' "$1" || echo "no interception line"; }

# --- 0. the kernel must have it, or complete falls back to entry points ---
mkdir -p "$WORK/d0"
"$LSCACTL" run --config "$WORK/complete.yaml" --summary-file "$WORK/cfg.sum" -- \
	"$ICPT" stdio "$WORK/d0" >/dev/null 2>"$WORK/cfg.err"
if ! grep -q '^interception: complete (1 process)' "$WORK/cfg.sum"; then
	grep -q '^interception: complete (0 processes), entry-points (1 process)' "$WORK/cfg.sum" ||
		fail "no fallback to entry points: $(mode_line "$WORK/cfg.sum")"
	skip "this kernel ($(uname -r)) has no Syscall User Dispatch; complete fell back to entry-points"
fi
ok "config 'interception: complete' gives complete mode: $(mode_line "$WORK/cfg.sum")"

# --- 1. sha256sum reads through fread: unseen by entry points ---
head -c 300000 /dev/urandom >"$WORK/data"
sha256sum "$WORK/data" >"$WORK/sha.native"
run entry-points sha_e sha256sum "$WORK/data"
run complete sha_c sha256sum "$WORK/data"
same sha_e "$WORK/sha.native"
same sha_c "$WORK/sha.native"
[ "$(proxied "$WORK/sha_e.sum" read)" = 0 ] || fail "entry points saw sha256sum's fread"
assert_proxied "$WORK/sha_c.sum" read openat close
ok "sha256sum: reads proxied only in complete mode ($(proxied "$WORK/sha_c.sum" read) reads)"

# --- 2. ls -l: getpwnam and friends read /etc/passwd inside libc ---
mkdir -p "$WORK/tree/sub" && touch "$WORK/tree/a" "$WORK/tree/sub/b"
ls -l --time-style=+ "$WORK/tree" >"$WORK/ls.native"
run entry-points ls_e ls -l --time-style=+ "$WORK/tree"
run complete ls_c ls -l --time-style=+ "$WORK/tree"
same ls_e "$WORK/ls.native"
same ls_c "$WORK/ls.native"
oe=$(proxied "$WORK/ls_e.sum" openat)
oc=$(proxied "$WORK/ls_c.sum" openat)
[ "$oc" -gt "$oe" ] || fail "ls -l: complete proxied $oc openat, entry points $oe"
ok "ls -l: $oc openat proxied in complete mode, $oe with entry points; same output"

# --- 3. python: open().read() ---
PY=$(python3 -c 'import sys; print(sys.executable)') # not a wrapper script
printf 'python data\n' >"$WORK/py.txt"
prog="print(open('$WORK/py.txt').read(), end='')"
"$PY" -c "$prog" >"$WORK/py.native"
run complete py_c "$PY" -c "$prog"
same py_c "$WORK/py.native"
assert_proxied "$WORK/py_c.sum" openat read
ok "python open().read(): same output, $(proxied "$WORK/py_c.sum" openat) openat proxied"

# --- 4. stdio and a raw syscall(SYS_openat) ---
mkdir -p "$WORK/n4" "$WORK/e4" "$WORK/c4"
"$ICPT" stdio "$WORK/n4" >"$WORK/stdio.native"
run entry-points stdio_e "$ICPT" stdio "$WORK/e4"
run complete stdio_c "$ICPT" stdio "$WORK/c4"
same stdio_c "$WORK/stdio.native"
cmp -s "$WORK/n4/stdio.txt" "$WORK/c4/stdio.txt" || fail "the file written with fprintf differs"
[ "$(proxied "$WORK/stdio_e.sum" openat)" = 0 ] || fail "entry points saw fopen or a raw openat"
[ "$(proxied "$WORK/stdio_c.sum" openat)" = 3 ] ||
	fail "complete mode proxied $(proxied "$WORK/stdio_c.sum" openat) openat, not 3"
assert_proxied "$WORK/stdio_c.sum" write read close
ok "fopen/fprintf/fclose and syscall(SYS_openat): 3 openat proxied, none with entry points"

# --- 5. the shim's own calls are never caught: the counts are exact ---
printf 'x' >"$WORK/exact.txt"
run complete exact "$ICPT" exact "$WORK" 200
for op in openat read close; do
	n=$(awk -v op=$op '$1 == op { print $2 }' "$WORK/exact.sum")
	[ "$n" = 200 ] || { cat "$WORK/exact.sum" >&2; fail "$op counted $n times, not 200"; }
done
ok "200 raw openat/read/close counted exactly: none of the shim's own calls was caught"

# --- 6. threads, fork, exec ---
mkdir -p "$WORK/n6" "$WORK/c6"
"$ICPT" procs "$WORK/n6" >"$WORK/procs.native"
run complete procs "$ICPT" procs "$WORK/c6"
same procs "$WORK/procs.native"
grep -q '^interception: complete ([4-9] processes), entry-points (0 processes)' \
	"$WORK/procs.sum" || fail "fork/exec children: $(mode_line "$WORK/procs.sum")"
for f in "$WORK"/n6/*.txt; do
	cmp -s "$f" "$WORK/c6/$(basename "$f")" || fail "$(basename "$f") differs"
done
[ "$(proxied "$WORK/procs.sum" openat)" -ge 19 ] || fail "threads' fopen not all proxied"
ok "8 threads, a fork and an exec: same output and files; $(mode_line "$WORK/procs.sum")"

# --- 7. its own SIGSYS handler, SIGSYS blocked, a handler during read ---
mkdir -p "$WORK/n7" "$WORK/c7"
"$ICPT" signals "$WORK/n7" >"$WORK/sig.native"
run complete sig "$ICPT" signals "$WORK/c7"
same sig "$WORK/sig.native"
ok "signals: $(tr '\n' ';' <"$WORK/sig.out")"

# --- 8. io_uring_setup: a policy can refuse it (complete mode only) ---
cat >"$WORK/uring.yaml" <<EOF
daemon:
  interception: complete
plugin_dir: $LSCA_BUILD/lib/lsca/plugins
plugins:
  - name: policy
    config:
      rules:
        - { action: deny, errno: EPERM, syscalls: [io_uring_setup] }
EOF
"$LSCACTL" run --config "$WORK/uring.yaml" --summary-file "$WORK/uring.sum" -- "$ICPT" uring \
	>"$WORK/uring.out" 2>/dev/null
grep -q 'io_uring_setup: Operation not permitted' "$WORK/uring.out" ||
	fail "io_uring_setup was not refused: $(cat "$WORK/uring.out")"
LSCA_INTERCEPTION=entry-points "$LSCACTL" run --config "$WORK/uring.yaml" --summary-file \
	"$WORK/uring_e.sum" -- "$ICPT" uring >"$WORK/uring_e.out" 2>/dev/null
ok "io_uring_setup refused by policy in complete mode; entry points: $(cat "$WORK/uring_e.out")"

# --- 9. LSCA_INTERCEPTION=entry-points overrides the config; and is reported ---
LSCA_INTERCEPTION=entry-points "$LSCACTL" run --config "$WORK/complete.yaml" \
	--summary-file "$WORK/ovr.sum" -- cat "$WORK/py.txt" >/dev/null 2>&1
grep -q '^interception: complete (0 processes), entry-points (1 process)' "$WORK/ovr.sum" ||
	fail "override not reported: $(mode_line "$WORK/ovr.sum")"
ok "LSCA_INTERCEPTION=entry-points wins over the config, and the summary says so"

echo "$passed passed, 0 failed"
