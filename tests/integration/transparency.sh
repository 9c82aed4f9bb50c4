#!/usr/bin/env bash
# transparency.sh CASE - run a real program natively and under `lscactl run`,
# each in its own identical copy of a tree: stdout, stderr, exit status and
# the resulting files must match byte for byte, and the calls the case names
# must really have been proxied.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

case=${1:?usage: transparency.sh CASE}
scratch

# The command (run by bash -c inside the tree) and what it must proxy.
case $case in
cat) cmd='cat small.txt tree/a.txt big.bin | sha256sum; cat tree/a.txt missing.txt' ops='openat read' ;;
cp) cmd='cp big.bin copy.bin && cp -r tree tree2 && cmp big.bin copy.bin' ops='openat fstat newfstatat' ;;
sha256sum) cmd='sha256sum big.bin small.txt tree/a.txt tree/sub/b.txt' ops='lseek' ;;
tar) cmd='tar cf t.tar tree && mkdir out && tar xf t.tar -C out && tar tvf t.tar' ops='openat newfstatat' ;;
ls) cmd='ls -lR tree; ls -la --time-style=+%s tree/sub' ops='statx' ;;
find) cmd='find tree; find tree -type f -size +0 -name "*.txt"; find . -newer big.bin' ops='openat newfstatat fchdir' ;;
mkdir_rm) cmd='mkdir -p a/b/c/d e/f && touch a/b/c/d/x && rm -r a && mkdir e && ls -R e' ops='mkdirat unlinkat openat' ;;
python_threads) cmd="python3 $LSCA_SRC/tests/integration/io_threads.py" ops='openat write read' ;;
*) fail "unknown case $case" ;;
esac

# One seed tree, copied with everything preserved into both runs' places.
seed=$WORK/seed
mkdir -p "$seed/tree/sub/deeper"
printf 'small file\n' >"$seed/small.txt"
printf 'alpha\nbeta\n' >"$seed/tree/a.txt"
seq 1 5000 >"$seed/tree/sub/b.txt"
: >"$seed/tree/sub/empty.txt"
ln -s ../a.txt "$seed/tree/sub/link-to-a"
ln -s nowhere "$seed/tree/dangling"
ln "$seed/tree/sub/b.txt" "$seed/tree/sub/deeper/hard-b.txt"
chmod 600 "$seed/tree/sub/empty.txt"
head -c $((100 << 20)) /dev/urandom >"$seed/big.bin"
find "$seed" -exec touch -h -d @1700000000 {} +
for side in native lsca; do
	cp -a "$seed" "$WORK/$side"
	find "$WORK/$side" -exec touch -h -d @1700000000 {} +
done

set +e
(cd "$WORK/native" && bash -c "$cmd") >"$WORK/out.native" 2>"$WORK/err.native"
rc_native=$?
(cd "$WORK/lsca" && "$LSCACTL" run --summary-file "$WORK/summary" -- bash -c "$cmd") \
	>"$WORK/out.lsca" 2>"$WORK/err.lsca"
rc_lsca=$?
set -e

[ "$rc_native" = "$rc_lsca" ] || fail "exit status $rc_lsca under LSCA, $rc_native natively"
diff -u "$WORK/out.native" "$WORK/out.lsca" || fail "stdout differs"
diff -u "$WORK/err.native" "$WORK/err.lsca" || fail "stderr differs"
snapshot "$WORK/native" >"$WORK/tree.native"
snapshot "$WORK/lsca" >"$WORK/tree.lsca"
diff -u "$WORK/tree.native" "$WORK/tree.lsca" || fail "resulting files differ"
# shellcheck disable=SC2086
assert_proxied "$WORK/summary" $ops
echo "ok: $case (exit $rc_native, $(awk '$1 == "total" { print $4 " proxied, " $5 " observed, " $6 " direct" }' "$WORK/summary"))"
