#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_plugin_policy.sh - the policy plugin (plugins/policy, docs/plugins/
# policy.md) under `lscactl run --config`: a denied tree stays denied however
# the path is spelled (.., a relative path, //, a symlink, a symlinked
# directory, a dirfd), unlink and rename are judged on the right object,
# renaming an ancestor of the denied tree is denied, errno EPERM, access,
# globs with **, exe, a uid rule (as root), default: deny, a bad rule fails
# --check-config with FILE:LINE:COLUMN, and (last) the process's own magic
# links /proc/self/cwd and /dev/fd/N. Every python3 case of section 3 also
# runs natively first, where it must succeed: a denial under LSCA is the
# policy's, not the file system's.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "needs python3"
scratch
PLUGIN_DIR=$LSCA_BUILD/lib/lsca/plugins
[ -f "$PLUGIN_DIR/policy.so" ] || fail "no $PLUGIN_DIR/policy.so (build lsca_plugin_policy)"
T=${LSCA_TEST_TIMEOUT:-120}
passed=0
ok() {
	echo "ok: $*"
	passed=$((passed + 1))
}

# The tree the rules protect: built twice, once for the native run.
make_tree() { # DIR
	local d=$1
	mkdir -p "$d/secret/sub" "$d/public/dir/deep" "$d/keep/sub" "$d/public/notnobody" "$d/ro"
	echo "key" >"$d/public/dir/deep/a.key"
	echo "key" >"$d/public/top.key"
	echo "txt" >"$d/public/dir/deep/a.txt"
	echo "no python" >"$d/public/nopython"
	for f in r w c u t; do echo "$f" >"$d/ro/$f"; done
	mkdir -p "$d/other/d"
	echo "the secret" >"$d/secret/x"
	echo "the secret too" >"$d/secret/r"
	echo "public data" >"$d/public/y"
	echo "eperm" >"$d/public/eperm"
	for f in a b m; do echo "$f" >"$d/public/$f"; done
	echo "kept" >"$d/keep/f"
	echo "kept r" >"$d/keep/r"
	echo "kept too" >"$d/keep/g"
	echo "not for nobody" >"$d/public/notnobody/f"
	ln -s ../secret/x "$d/public/link"
	ln -s ../secret "$d/public/sdir"
	ln -s ../keep/f "$d/public/keeplink"
	ln -s ../keep/g "$d/public/keeplink2"
	chmod -R go+rX "$d"
}
make_tree "$WORK/t"
make_tree "$WORK/native"
W=$WORK/t

CFG=$WORK/lscad.yaml
cat >"$CFG" <<EOF
plugin_dir: $PLUGIN_DIR
plugins:
  - name: policy
    config:
      default: allow
      rules:
        - { action: deny, syscalls: [unlinkat, renameat2], prefix: $W/keep }
        - { action: deny, errno: EPERM, path: $W/public/eperm }
        - { action: deny, uids: [nobody], prefix: $W/public/notnobody }
        - { action: deny, glob: "$W/public/**/*.key" }
        - { action: deny, exe: "*/python3*", path: $W/public/nopython }
        - { action: deny, access: write, prefix: $W/ro }
        # before the deny on purpose: a lexical check of public/../secret,
        # public/link or public/sdir/x would stop here and allow
        - { action: allow, prefix: $W/public }
        - { action: deny, prefix: $W/secret }
EOF

"$LSCAD" --check-config "$CFG" >"$WORK/check.out" 2>&1 ||
	{ cat "$WORK/check.out" >&2; fail "lscad --check-config rejects a valid policy"; }
ok "--check-config accepts the policy"

lrun() { # CMD...: under lscactl run with the policy
	timeout "$T" "$LSCACTL" run --config "$CFG" --summary-file "$WORK/summary" -- "$@"
}

# --- 1. coreutils: cat ---
out=$(lrun cat "$W/public/y") || fail "cat of an allowed file failed under the policy"
[ "$out" = "public data" ] || fail "cat public/y printed '$out'"
assert_proxied "$WORK/summary" openat
ok "cat public/y is allowed (openat proxied)"

# denied: each spelling of secret/x; stdout must not carry the content
denied_cat() { # LABEL DIR ARG
	local label=$1 dir=$2 arg=$3 rc=0
	(cd "$dir" && cat "$arg") >/dev/null 2>&1 || fail "$label: cat fails natively"
	(cd "$dir" && lrun cat "$arg") >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" != 0 ] || fail "$label: cat $arg succeeded under the policy"
	grep -q "Permission denied" "$WORK/err" || { cat "$WORK/err" >&2; fail "$label: no EACCES"; }
	! grep -q "the secret" "$WORK/out" || fail "$label: the secret was printed"
	ok "$label: cat $arg -> Permission denied"
}
denied_cat "plain path" "$WORK" "$W/secret/x"
denied_cat "dot-dot" "$WORK" "$W/public/../secret/x"
denied_cat "relative from public" "$W/public" "../secret/x"
denied_cat "symlink to the file" "$WORK" "$W/public/link"
denied_cat "symlinked directory" "$WORK" "$W/public/sdir/x"
denied_cat "relative through symlinked dir" "$W/public" "sdir/x"
denied_cat "doubled slashes" "$WORK" "${W//\//\/\/}//secret//x"
denied_cat "dots" "$WORK" "$W/./public/./../secret/./x"

# chdir into the tree is denied too (bash's cd is chdir())
rc=0
out=$(lrun bash -c "cd '$W/secret' && cat x" 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "cd into secret and cat x succeeded: $out"
case $out in *"the secret"*) fail "cd secret && cat x printed the secret" ;; esac
ok "cd secret && cat x is denied"

# --- 2. rm and mv (coreutils) ---
rc=0
lrun rm -f "$W/keep/f" 2>"$WORK/err" || rc=$?
[ "$rc" != 0 ] || fail "rm keep/f succeeded"
[ -f "$W/keep/f" ] || fail "keep/f was removed"
ok "rm keep/f fails and the file stays ($(grep -m1 '^rm:' "$WORK/err"))"
lrun rm "$W/public/keeplink2" || fail "rm of a symlink to keep/g (the link is in public) failed"
[ ! -L "$W/public/keeplink2" ] || fail "the symlink public/keeplink2 is still there"
[ "$(cat "$W/keep/g")" = "kept too" ] || fail "keep/g changed"
ok "rm public/keeplink2 (-> keep/g) removes the link, keeps the target"
rc=0
lrun mv "$W/public/m" "$W/secret/m" 2>/dev/null || rc=$?
[ "$rc" != 0 ] && [ -f "$W/public/m" ] && [ ! -e "$W/secret/m" ] || fail "mv public/m into secret"
rc=0
lrun mv "$W/secret/x" "$W/public/x" 2>/dev/null || rc=$?
[ "$rc" != 0 ] && [ -f "$W/secret/x" ] && [ ! -e "$W/public/x" ] || fail "mv secret/x out"
ok "mv into and out of secret fail, nothing moved"

# --- 3. exact errnos with python3, natively (all ok) and under the policy ---
cat >"$WORK/ops.py" <<'EOF'
import errno, os, sys

W = sys.argv[1]


def t(label, f, *a, **kw):
    try:
        r = f(*a, **kw)
        if isinstance(r, int) and label.startswith("open"):
            os.close(r)
        print(label, "ok")
    except OSError as e:
        print(label, errno.errorcode[e.errno])


t("open-secret", os.open, W + "/secret/x", os.O_RDONLY)
t("open-public", os.open, W + "/public/y", os.O_RDONLY)
t("open-eperm", os.open, W + "/public/eperm", os.O_RDONLY)
t("open-create-secret", os.open, W + "/secret/new", os.O_WRONLY | os.O_CREAT, 0o644)
t("open-nofollow-link", os.open, W + "/public/link", os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_PATH", 0))
d = os.open(W + "/public", os.O_RDONLY | os.O_DIRECTORY)
t("open-dirfd-dotdot", os.open, "../secret/x", os.O_RDONLY, dir_fd=d)
t("open-dirfd-y", os.open, "y", os.O_RDONLY, dir_fd=d)
t("stat-secret", os.stat, W + "/secret/x")
t("stat-link", os.stat, W + "/public/link")
t("mkdir-secret", os.mkdir, W + "/secret/newdir")
t("rmdir-secret-sub", os.rmdir, W + "/secret/sub")
t("rename-into-secret", os.rename, W + "/public/a", W + "/secret/a")
t("rename-out-of-secret", os.rename, W + "/secret/r", W + "/public/r2")
t("read-keep", os.open, W + "/keep/f", os.O_RDONLY)
t("rename-out-of-keep", os.rename, W + "/keep/r", W + "/public/stolen")
t("rename-into-keep", os.rename, W + "/public/b", W + "/keep/b")
t("unlink-keep", os.unlink, W + "/keep/f")
t("rmdir-keep-sub", os.rmdir, W + "/keep/sub")
t("unlink-link-to-keep", os.unlink, W + "/public/keeplink")
t("glob-deep-key", os.open, W + "/public/dir/deep/a.key", os.O_RDONLY)
t("glob-top-key", os.open, W + "/public/top.key", os.O_RDONLY)
t("glob-deep-txt", os.open, W + "/public/dir/deep/a.txt", os.O_RDONLY)
t("exe-python", os.open, W + "/public/nopython", os.O_RDONLY)
t("ro-read", os.open, W + "/ro/r", os.O_RDONLY)
t("ro-stat", os.stat, W + "/ro/r")
t("ro-write", os.open, W + "/ro/w", os.O_WRONLY)
t("ro-create", os.open, W + "/ro/new", os.O_RDONLY | os.O_CREAT, 0o644)
t("ro-rdonly-trunc", os.open, W + "/ro/c", os.O_RDONLY | os.O_TRUNC)
t("ro-unlink", os.unlink, W + "/ro/u")
t("ro-truncate", os.truncate, W + "/ro/t", 0)
t("chdir-secret", os.chdir, W + "/secret")
t("chdir-public", os.chdir, W + "/public")
t("open-relative-dotdot", os.open, "../secret/x", os.O_RDONLY)
t("rename-other-dir", os.rename, W + "/other/d", W + "/other/d2")
# last: natively this moves the whole tree
t("rename-ancestor-of-secret", os.rename, W, W + ".moved")
EOF
python3 -B "$WORK/ops.py" "$WORK/native" >"$WORK/native.out" 2>&1 || fail "ops.py failed natively"
if grep -v ' ok$' "$WORK/native.out"; then
	fail "some operations fail natively (see above): the test tree is wrong"
fi
lrun python3 -B "$WORK/ops.py" "$W" >"$WORK/lsca.out" 2>"$WORK/lsca.err" ||
	{ cat "$WORK/lsca.out" "$WORK/lsca.err" >&2; fail "ops.py failed under the policy"; }
cat >"$WORK/expected" <<EOF
open-secret EACCES
open-public ok
open-eperm EPERM
open-create-secret EACCES
open-nofollow-link ok
open-dirfd-dotdot EACCES
open-dirfd-y ok
stat-secret EACCES
stat-link EACCES
mkdir-secret EACCES
rmdir-secret-sub EACCES
rename-into-secret EACCES
rename-out-of-secret EACCES
read-keep ok
rename-out-of-keep EACCES
rename-into-keep EACCES
unlink-keep EACCES
rmdir-keep-sub EACCES
unlink-link-to-keep ok
glob-deep-key EACCES
glob-top-key EACCES
glob-deep-txt ok
exe-python EACCES
ro-read ok
ro-stat ok
ro-write EACCES
ro-create EACCES
ro-rdonly-trunc EACCES
ro-unlink EACCES
ro-truncate EACCES
chdir-secret EACCES
chdir-public ok
open-relative-dotdot EACCES
rename-other-dir ok
rename-ancestor-of-secret EACCES
EOF
# O_NOFOLLOW|O_PATH on the link itself: the link is in public, so allowed
diff -u "$WORK/expected" "$WORK/lsca.out" || fail "python3 errnos differ from the expected ones"
ok "python3: $(wc -l <"$WORK/expected") operations give the expected errnos"
[ -f "$W/keep/f" ] || fail "keep/f is gone"
[ ! -e "$W/public/keeplink" ] && [ ! -L "$W/public/keeplink" ] || fail "public/keeplink is still there"
[ -f "$W/public/a" ] && [ ! -e "$W/secret/a" ] || fail "public/a was moved into secret"
[ -f "$W/secret/r" ] && [ ! -e "$W/public/r2" ] || fail "secret/r was moved out"
[ -f "$W/keep/r" ] && [ ! -e "$W/public/stolen" ] || fail "keep/r was moved out"
[ -f "$W/public/b" ] && [ ! -e "$W/keep/b" ] || fail "public/b was moved into keep"
[ ! -e "$W/secret/new" ] && [ ! -e "$W/secret/newdir" ] || fail "something was created in secret"
[ -d "$W/secret/sub" ] && [ -d "$W/keep/sub" ] || fail "a directory was removed"
[ -d "$W/other/d2" ] && [ ! -e "$W.moved" ] || fail "the renames of other/d and of the tree"
[ "$(cat "$W/ro/c" "$W/ro/t" "$W/ro/u")" = "c
t
u" ] && [ ! -e "$W/ro/new" ] || fail "a file in ro/ was changed"
ok "the files are where they were (the symlink public/keeplink is gone, keep/f stays)"
out=$(lrun cat "$W/public/nopython") || fail "cat cannot read public/nopython"
[ "$out" = "no python" ] || fail "cat read '$out'"
ok "exe: */python3*: cat reads public/nopython (python3 could not, above)"

# --- 4. default: deny: only the allowed trees; a missing parent is ENOENT ---
CFG2=$WORK/deny.yaml
# the real interpreter and its tree (python3 may be a pyenv shim elsewhere)
read -r PYEXE PYPREFIX < <(python3 -c 'import sys; print(sys.executable, sys.base_prefix)')
cat >"$CFG2" <<EOF
plugin_dir: $PLUGIN_DIR
plugins:
  - name: policy
    config:
      default: deny
      rules:
        - { action: allow, prefix: [/usr, /lib, /lib64, /etc, /proc, /sys, /dev] }
        - { action: allow, prefix: $W/public }
        - { action: allow, prefix: $PYPREFIX }
        - { action: allow, path: $WORK/deny.py }
EOF
cat >"$WORK/deny.py" <<'EOF'
import errno, os, sys

W = sys.argv[1]


def t(label, f, *a):
    try:
        f(*a)
        print(label, "ok")
    except OSError as e:
        print(label, errno.errorcode[e.errno])


t("public", os.stat, W + "/public/y")
t("secret", os.stat, W + "/secret/x")
t("keep", os.open, W + "/keep/f", os.O_RDONLY)
t("public-missing", os.stat, W + "/public/missing")
t("public-missing-parent", os.open, W + "/public/nodir/x", os.O_RDONLY)
t("outside-missing", os.stat, W + "/secret/missing")
t("outside-missing-parent", os.stat, W + "/nodir/x")
t("mkdir-public", os.mkdir, W + "/public/newdir")
t("mkdir-outside", os.mkdir, W + "/newdir")
EOF
timeout "$T" "$LSCACTL" run --config "$CFG2" -- "$PYEXE" -B -I -S "$WORK/deny.py" "$W" \
	>"$WORK/deny.out" 2>"$WORK/deny.err" ||
	{ cat "$WORK/deny.out" "$WORK/deny.err" >&2; fail "deny.py failed under default: deny"; }
cat >"$WORK/deny.expected" <<EOF
public ok
secret EACCES
keep EACCES
public-missing ENOENT
public-missing-parent ENOENT
outside-missing EACCES
outside-missing-parent ENOENT
mkdir-public ok
mkdir-outside EACCES
EOF
diff -u "$WORK/deny.expected" "$WORK/deny.out" || fail "default: deny gives other errnos"
[ -d "$W/public/newdir" ] && [ ! -e "$W/newdir" ] || fail "mkdir results are wrong"
ok "default: deny: $(wc -l <"$WORK/deny.expected") cases (a missing parent stays ENOENT)"

# --- 5. a uid rule: as nobody, notnobody/ is denied; as root it is not ---
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	NOBODY=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
	"${NOBODY[@]}" cat "$W/public/notnobody/f" >/dev/null ||
		fail "nobody cannot read notnobody/f natively"
	out=$(lrun cat "$W/public/notnobody/f") || fail "root cannot cat notnobody/f"
	[ "$out" = "not for nobody" ] || fail "root read '$out'"
	rc=0
	lrun "${NOBODY[@]}" cat "$W/public/notnobody/f" >/dev/null 2>"$WORK/err" || rc=$?
	[ "$rc" != 0 ] && grep -q "Permission denied" "$WORK/err" ||
		{ cat "$WORK/err" >&2; fail "nobody read notnobody/f under the policy"; }
	out=$(lrun "${NOBODY[@]}" cat "$W/public/y") || fail "nobody cannot cat public/y"
	[ "$out" = "public data" ] || fail "nobody read '$out'"
	ok "uids: [nobody]: nobody is denied notnobody/f, root is not, nobody reads public/y"
else
	echo "note: not root (or no setpriv/nobody): the uid rule is not checked"
fi

# --- 6. a bad rule: --check-config fails with FILE:LINE:COLUMN ---
check_bad() { # LABEL PATTERN-OF-THE-BAD-LINE: the config is in $WORK/bad.yaml
	local label=$1 pat=$2 line rc=0
	line=$(grep -n -- "$pat" "$WORK/bad.yaml" | head -1 | cut -d: -f1)
	"$LSCAD" --check-config "$WORK/bad.yaml" >"$WORK/bad.out" 2>&1 || rc=$?
	[ "$rc" != 0 ] || fail "$label: lscad --check-config accepts it"
	grep -qE "$WORK/bad.yaml:$line:[0-9]+" "$WORK/bad.out" ||
		{ cat "$WORK/bad.out" >&2; fail "$label: no $WORK/bad.yaml:$line:COLUMN in the message"; }
	ok "$label: $(grep -m1 "bad.yaml:$line" "$WORK/bad.out")"
}
cat >"$WORK/bad.yaml" <<EOF
plugin_dir: $PLUGIN_DIR
plugins:
  - name: policy
    config:
      rules:
        - { action: allow, prefix: /tmp }
        - action: dney
          prefix: $W/secret
EOF
check_bad "action: dney" "action: dney"
cat >"$WORK/bad.yaml" <<EOF
plugin_dir: $PLUGIN_DIR
plugins:
  - name: policy
    config:
      default: deny
      rules:
        - { action: deny, prefx: $W/secret }
EOF
check_bad "unknown key prefx" "prefx"
cat >"$WORK/bad.yaml" <<EOF
plugin_dir: $PLUGIN_DIR
plugins:
  - name: policy
    config:
      rules:
        - action: deny
          errno: EIO
EOF
check_bad "errno: EIO" "errno: EIO"

# --- 7. the process's own magic links: /proc/self/cwd, /dev/fd/N ---
# Last, so that everything above has run. lscad must show these calls to the
# handlers too (and resolve /proc/self as the client, not as itself).
denied_cat "/proc/self/cwd" "$W" /proc/self/cwd/secret/x
denied_cat "/proc/thread-self/cwd" "$W/public" /proc/thread-self/cwd/../secret/x
for link in /dev/fd/3 /proc/self/fd/3; do
	cat "$link/secret/x" 3<"$W" >/dev/null 2>&1 || fail "cat $link/secret/x fails natively"
	rc=0
	lrun cat "$link/secret/x" 3<"$W" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" != 0 ] && grep -q "Permission denied" "$WORK/err" ||
		fail "cat $link/secret/x (fd 3: $W) was not denied: $(cat "$WORK/out")"
	ok "cat $link/secret/x (fd 3: $W) -> Permission denied"
done

echo "$passed passed, 0 failed"
