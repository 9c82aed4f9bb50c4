#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_plugin_example.sh - the example plugin (plugins/example) counts, per
# syscall, exactly the calls the run summary says lscad saw (calls minus
# direct ones) and their errors; its syscalls: list limits what it counts;
# an unknown key is refused with file:line:column.
#
# Exit: 0 pass, 1 fail, 77 cannot run here.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$LSCACTL" ] || skip "no lscactl in $LSCA_BUILD"
[ -e "$LSCA_BUILD/lib/lsca/plugins/example.so" ] || skip "example.so not built"
command -v python3 >/dev/null || skip "no python3"
scratch
timeout_s=${LSCA_TEST_TIMEOUT:-120}

# run_example NAME 'PLUGIN CONFIG' CMD...: leaves $WORK/NAME.{yaml,sum,out,err}
run_example() {
	local name=$1 section=$2 rc=0
	shift 2
	cat >"$WORK/$name.yaml" <<EOF
plugin_dir: $LSCA_BUILD/lib/lsca/plugins
plugins:
  - name: example
    config: $section
EOF
	timeout "$timeout_s" "$LSCACTL" run --config "$WORK/$name.yaml" \
		--summary-file "$WORK/$name.sum" -- "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
	[ "$rc" != 124 ] || fail "$name: lscactl run did not end within ${timeout_s}s"
	return "$rc"
}

# compare COUNTS SUMMARY [SYSCALL...]: the plugin's "NAME CALLS ERRORS" lines
# against the summary (only the syscalls named, when any are).
compare() {
	python3 - "$@" <<'EOF' || { cat "$2" "$1" >&2; fail "counts differ from the summary"; }
import sys
counts, summary, only = sys.argv[1], sys.argv[2], set(sys.argv[3:])
got, bad = {}, []
for line in open(counts):
    f = line.split()
    if len(f) != 3 or not f[1].isdigit() or not f[2].isdigit():
        sys.exit(f"not NAME CALLS ERRORS: {line!r}")
    got[f[0]] = (int(f[1]), int(f[2]))
cols, want = None, {}
for row in open(summary):
    f = row.split()
    if f and f[0] == "syscall":
        cols = f[: f.index("total")]
    elif cols and f and f[0] != "total" and f[1:2] and f[1].isdigit():
        v = dict(zip(cols[1:], map(int, f[1:len(cols)])))
        seen = v["calls"] - v["direct"]
        if seen and (not only or f[0] in only):
            # errors of direct calls are not seen: exact only without them
            want[f[0]] = (seen, v["errors"], v["direct"] == 0)
if not cols:
    sys.exit("no summary header")
for name in sorted(set(got) | set(want)):
    g, w = got.get(name), want.get(name)
    if not g or not w or g[0] != w[0] or (g[1] != w[1] if w[2] else g[1] > w[1]):
        bad.append(f"{name}: plugin {g}, summary (seen, errors) {w and w[:2]}")
if not want:
    bad.append("the summary shows no call lscad saw")
print("\n".join(bad) or f"{len(got)} syscalls match")
sys.exit(1 if bad else 0)
EOF
}

seq 1 20000 >"$WORK/data"
mkdir "$WORK/dir"
touch "$WORK/dir/x" "$WORK/dir/y"
# shellcheck disable=SC2016 # expanded by the inner bash
cmd=(bash -c 'cat "$1" >/dev/null; cat /nonexistent 2>/dev/null; ls -l "$2" >/dev/null
	mkdir "$2/new" && rmdir "$2/new"; exit 0' _ "$WORK/data" "$WORK/dir")

# 1. Every syscall.
run_example all "{ output: $WORK/all.counts }" "${cmd[@]}" ||
	fail "run 1 exited $?: $(head -c 600 "$WORK/all.err")"
[ -s "$WORK/all.counts" ] || fail "no counts written to $WORK/all.counts"
compare "$WORK/all.counts" "$WORK/all.sum"
awk '$1 == "openat" && $3 >= 1 { ok = 1 } END { exit !ok }' "$WORK/all.counts" ||
	fail "cat /nonexistent: no openat error counted"
ls "$WORK"/all.counts.* >/dev/null 2>&1 && fail "a temporary file was left behind"
echo "ok: counts match the summary"

# 2. Only openat and read.
run_example some "{ output: $WORK/some.counts, syscalls: [openat, read] }" "${cmd[@]}" ||
	fail "run 2 exited $?: $(head -c 600 "$WORK/some.err")"
[ "$(cut -d' ' -f1 "$WORK/some.counts" | sort | tr '\n' ' ')" = "openat read " ] ||
	fail "syscalls: [openat, read] counted: $(cat "$WORK/some.counts")"
compare "$WORK/some.counts" "$WORK/some.sum" openat read
echo "ok: the syscalls list"

# 3. A typo is refused where it is (lscad --check-config loads strictly).
cat >"$WORK/bad.yaml" <<EOF
plugin_dir: $LSCA_BUILD/lib/lsca/plugins
plugins:
  - name: example
    config: { output: $WORK/bad.counts, sycalls: [read] }
EOF
if "$LSCAD" --check-config "$WORK/bad.yaml" >"$WORK/bad.err" 2>&1; then
	fail "an unknown key was accepted"
fi
grep -Eq 'bad\.yaml:4:[0-9]+:.*sycalls: unknown key' "$WORK/bad.err" ||
	fail "no 'bad.yaml:4:COLUMN: ... sycalls: unknown key' in: $(head -c 600 "$WORK/bad.err")"
echo "ok: unknown key refused"
echo "all passed"
