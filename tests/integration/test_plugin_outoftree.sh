#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_plugin_outoftree.sh - a plugin author's path (docs/plugin-guide.md):
# copy plugins/example/example.c somewhere else, build it against the
# build tree's lsca-plugin-uninstalled.pc with nothing but cc and
# pkg-config, load it under another name with `path:`, and see it count.
#
# Exit: 0 pass, 1 fail, 77 cannot run here.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$LSCACTL" ] || skip "no lscactl in $LSCA_BUILD"
command -v cc >/dev/null || skip "no cc"
command -v pkg-config >/dev/null || skip "no pkg-config"
scratch
timeout_s=${LSCA_TEST_TIMEOUT:-120}

src=$WORK/myplugin
mkdir "$src"
cp "$LSCA_SRC/plugins/example/example.c" "$src/"
export PKG_CONFIG_PATH=$LSCA_BUILD/lib/pkgconfig
cflags=$(pkg-config --cflags lsca-plugin) || fail "pkg-config does not know lsca-plugin"
inc=$(echo "${cflags#-I}" | tr -d ' ')
[ -e "$inc/lsca/plugin.h" ] || fail "pkg-config --cflags gave '$cflags', which has no lsca/plugin.h"
# exactly the guide's command line
# shellcheck disable=SC2046 # word splitting of the flags is the point
(cd "$src" && cc -shared -fPIC $(pkg-config --cflags lsca-plugin) -o example2.so example.c) ||
	fail "the example does not build out of tree"
# and it is clean C11 with every warning
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -fsyntax-only $cflags "$src/example.c" ||
	fail "the example is not warning-free C11"

cat >"$WORK/lscad.yaml" <<EOF
plugins:
  - name: example2
    path: $src/example2.so
    config: { output: $WORK/counts.txt, syscalls: [openat, read, close] }
EOF
seq 1 1000 >"$WORK/data"
rc=0
timeout "$timeout_s" "$LSCACTL" run --config "$WORK/lscad.yaml" --summary-file "$WORK/sum" \
	-- wc -l "$WORK/data" >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" = 0 ] || fail "lscactl run exited $rc: $(head -c 600 "$WORK/err")"
[ "$(cat "$WORK/out")" = "1000 $WORK/data" ] || fail "wc's output changed: $(cat "$WORK/out")"
[ -s "$WORK/counts.txt" ] || fail "example2 wrote no counts: $(head -c 600 "$WORK/err")"
for op in openat read close; do
	got=$(awk -v op="$op" '$1 == op { print $2 }' "$WORK/counts.txt")
	want=$(awk -v op="$op" '$1 == op { print $2 - $6 }' "$WORK/sum")
	[ "${got:-0}" -gt 0 ] || fail "example2 counted no $op: $(cat "$WORK/counts.txt")"
	[ "$got" = "$want" ] || { cat "$WORK/sum"; fail "example2 counted $got $op calls, the summary $want"; }
done
echo "ok: built out of tree, loaded by path, counted $(tr '\n' ' ' <"$WORK/counts.txt")"
