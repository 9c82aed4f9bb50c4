#!/usr/bin/env bash
# test_metadata.sh - issue #4's last families: utimensat (futimens, utimes,
# lutimes, futimes, utime), statfs/fstatfs and the xattr calls with their l
# and f forms (metadata.c). Each as natively, errno cases included, and
# proxied; as nobody, a root-owned file's times and trusted.*/user.* xattrs
# stay out of reach exactly as natively; the audit plugin writes a line per
# call (observed, and proxied next to a pre-handler); a plugin built for
# plugin ABI 1.0 still loads and sees utimensat.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$LSCACTL" ] || skip "no lscactl in $LSCA_BUILD"
scratch
M=$TESTBIN/metadata
pass=0
ALL="utimensat statfs fstatfs getxattr lgetxattr fgetxattr setxattr lsetxattr fsetxattr
	listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr"

# a directory that takes user.* xattrs (tmpfs needs Linux >= 6.6 for them)
D=$WORK
if ! "$M" xattrok "$D"; then
	D=$(mktemp -d /dev/shm/lsca-meta.XXXXXX) || skip "no directory here takes user.* xattrs"
	chmod 755 "$D"
	trap 'stop_lscad; rm -rf "$WORK" "$D"' EXIT
	"$M" xattrok "$D" || skip "neither $WORK nor /dev/shm takes user.* xattrs"
fi

# calls: every call as natively, and proxied
mkdir "$D/n" "$D/l"
rn=0 rl=0
"$M" calls "$D/n" >"$WORK/calls.native" 2>&1 || rn=$?
"$LSCACTL" run --summary-file "$WORK/sum" -- "$M" calls "$D/l" >"$WORK/calls.lsca" 2>&1 || rl=$?
[ "$rn" = 0 ] && [ "$rl" = 0 ] || fail "calls: exit $rl under lsca, $rn natively"
diff -u "$WORK/calls.native" "$WORK/calls.lsca" || fail "calls: differ from native"
# shellcheck disable=SC2086
assert_proxied "$WORK/sum" $ALL
# none runs in the process (a 1-byte value or link target is no exception)
for op in $ALL; do
	[ "$(direct "$WORK/sum" "$op")" = 0 ] || { cat "$WORK/sum"; fail "$op: direct calls"; }
done
pass=$((pass + $(wc -l <"$WORK/calls.native")))

# nobody: a root-owned file's times and xattrs, as natively
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir "$D/nn" "$D/nl"
	chmod 755 "$D/nn" "$D/nl"
	rn=0 rl=0
	"$M" nobody "$D/nn" >"$WORK/nobody.native" 2>&1 || rn=$?
	"$LSCACTL" run --summary-file "$WORK/sumn" -- "$M" nobody "$D/nl" >"$WORK/nobody.lsca" 2>&1 ||
		rl=$?
	[ "$rn" = 0 ] && [ "$rl" = 0 ] || fail "nobody: exit $rl under lsca, $rn natively"
	diff -u "$WORK/nobody.native" "$WORK/nobody.lsca" || fail "nobody: differs from native"
	grep -q '^setxattr("rootf", "trusted.t", "x", 1, 0): -1 EPERM' "$WORK/nobody.lsca" ||
		fail "nobody set a trusted.* xattr"
	grep -q '^utimensat(AT_FDCWD, "rootf", ts, 0): -1 EPERM' "$WORK/nobody.lsca" ||
		fail "nobody set the times of root's file"
	for op in utimensat setxattr fsetxattr getxattr removexattr; do
		[ "$(direct "$WORK/sumn" "$op")" = 0 ] || { cat "$WORK/sumn"; fail "nobody: $op direct"; }
	done
	assert_proxied "$WORK/sumn" utimensat setxattr fsetxattr getxattr listxattr removexattr \
		fremovexattr statfs
	pass=$((pass + $(wc -l <"$WORK/nobody.native")))
else
	echo "test_metadata: not root or no user nobody: the unprivileged run is skipped"
fi

# audit: a line per call, with the right name; observed (audit only) ...
if [ -e "$LSCA_BUILD/lib/lsca/plugins/audit.so" ]; then
	mkdir "$D/a"
	"$LSCACTL" run --audit "$WORK/audit.log" --summary-file "$WORK/suma" -- "$M" calls "$D/a" \
		>/dev/null
	for op in $ALL; do
		want=$(awk -v op="$op" '$1 == op { print $2 - $6 }' "$WORK/suma")
		got=$(grep -c "\"syscall\":\"$op\"" "$WORK/audit.log" || true)
		[ "$got" = "${want:-0}" ] && [ "$got" -gt 0 ] ||
			fail "audit: $got $op lines, the summary says ${want:-0}"
	done
	grep -q '"syscall":"getxattr","args":{"path":"f","name":"user.a","size":512}' \
		"$WORK/audit.log" || fail "audit: no getxattr line with its name"
	grep -q '"syscall":"utimensat","args":{"dirfd":[0-9]*,"path":null,"flags":0}' \
		"$WORK/audit.log" || fail "audit: no futimens line"
	pass=$((pass + 1))
	# ... and proxied, next to a pre-handler of a plugin built for ABI 1.0
	cat >"$WORK/abi10.yaml" <<EOF
plugins:
  - name: audit
    path: $LSCA_BUILD/lib/lsca/plugins/audit.so
    config: { output: $WORK/audit10.log, syscalls: [utimensat, fsetxattr] }
  - name: abi10
    path: $LSCA_BUILD/tests/plugins/abi10.so
EOF
	touch "$D/abi10-deny" "$D/other"
	rc=0
	"$LSCACTL" run --config "$WORK/abi10.yaml" --summary-file "$WORK/sum10" -- \
		touch -h -d @5 "$D/abi10-deny" 2>"$WORK/abi10.err" || rc=$?
	[ "$rc" = 1 ] && grep -q "Read-only file system" "$WORK/abi10.err" ||
		fail "the ABI 1.0 plugin did not refuse utimensat ($rc: $(cat "$WORK/abi10.err"))"
	"$LSCACTL" run --config "$WORK/abi10.yaml" --summary-file "$WORK/sum10" -- \
		touch -h -d @5 "$D/other"
	[ "$(stat -c %Y "$D/other")" = 5 ] || fail "touch under the ABI 1.0 plugin"
	assert_proxied "$WORK/sum10" utimensat
	grep -q '"syscall":"utimensat",.*"errno":30,"error":"EROFS",.*"placement":"proxy"' \
		"$WORK/audit10.log" || fail "audit: no proxied utimensat line"
	pass=$((pass + 1))
fi

echo "$pass passed, 0 failed"
