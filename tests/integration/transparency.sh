#!/usr/bin/env bash
# transparency.sh CASE - run a real program natively and under `lscactl run`,
# each in its own identical copy of a tree: stdout, stderr, exit status and
# the resulting files must match byte for byte, and the calls the case names
# must really have been proxied. The last line gives the summary's proxied,
# observed and direct totals and the wall time against the native run.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

case=${1:?usage: transparency.sh CASE}
scratch

# The real interpreter, not a version manager's shell wrapper around it: a
# wrapper adds processes and calls of its own.
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || command -v python3)

# Seeds: each fills $seed, the tree both runs get an identical copy of.
seed_files() { # small files, links, a 100 MiB one
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
}

seed_many() { # 2 000 files in 20 directories, a few of them 64 KiB
	mkdir -p "$seed"/tree/d{00..19} "$seed/home"
	awk -v root="$seed/tree" 'BEGIN {
		for (d = 0; d < 20; d++)
			for (f = 0; f < 100; f++) {
				p = sprintf("%s/d%02d/f%03d.txt", root, d, f)
				n = (f % 50 == 7) ? 4000 : 1 + (d * 100 + f) % 23
				for (i = 0; i < n; i++)
					printf "file %d/%d line %d %s\n", d, f, i, substr("abcdefghij", 1 + i % 10) > p
				close(p)
			}
	}'
	chmod 755 "$seed"/tree/d0{0..4}/f00*.txt
}

seed_cproject() { # 20 units and a main, a Makefile with an object directory
	local p=$seed/proj i
	mkdir -p "$p/src" "$p/include"
	printf 'int unit(int which, int x);\n' >"$p/include/units.h"
	for i in $(seq -w 0 19); do
		printf 'int unit_%s(int x);\n' "$i" >>"$p/include/units.h"
		cat >"$p/src/u$i.c" <<-EOF
			#include "units.h"
			static const int table[] = { $((10#$i)), $((10#$i * 3 + 1)), $((10#$i * 7 + 2)) };
			int unit_$i(int x)
			{
				int acc = 0;
				for (int k = 0; k < x + $((10#$i)); k++)
					acc = acc * 31 + table[k % 3];
				return acc & 0xffff;
			}
		EOF
	done
	{
		printf '#include <stdio.h>\n#include "units.h"\nint main(void)\n{\n'
		for i in $(seq -w 0 19); do
			printf '\tprintf("unit %s: %%d\\n", unit_%s(%d));\n' "$i" "$i" "$((10#$i + 5))"
		done
		printf '\treturn 0;\n}\n'
	} >"$p/src/main.c"
	# recipes start with a tab, which <<- would strip
	# shellcheck disable=SC2016 # make's variables, not the shell's
	printf '%s\n' 'CC = cc' 'CFLAGS = -O2 -Iinclude' 'SRCS = $(wildcard src/*.c)' \
		'OBJS = $(patsubst src/%.c,obj/%.o,$(SRCS))' \
		'bin/prog: $(OBJS) | bin' '	$(CC) -o $@ $(OBJS)' \
		'obj/%.o: src/%.c include/units.h | obj' '	$(CC) $(CFLAGS) -c -o $@ $<' \
		'obj bin:' '	mkdir -p $@' >"$p/Makefile"
}

seed_www() { # 100 files of 0 to 106 KiB for the web server
	local i
	mkdir -p "$seed/www"
	for i in $(seq 0 99); do
		head -c $((i * i * 11)) /dev/urandom >"$seed/www/f$i.bin"
	done
}

seed_sqlite() { # the SQL scripts, and a writer to be shut out by a lock
	cat >"$seed/fill.sql" <<-'EOF'
		CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL, b BLOB);
		BEGIN;
		WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
		INSERT INTO t SELECT x, printf('name-%05d', x), x * 1.5, zeroblob(x % 300) FROM c;
		COMMIT;
		CREATE INDEX t_name ON t(name);
		UPDATE t SET v = v * 2 WHERE id % 3 = 0;
		DELETE FROM t WHERE id % 10 = 0;
		INSERT INTO t VALUES (100001, 'one', 1, x'00ff');
		INSERT INTO t VALUES (100002, 'two', 2, NULL);
		INSERT INTO t VALUES (100001, 'dup', 3, NULL);
		SELECT count(*), sum(v), max(length(b)), min(name), max(name) FROM t;
		SELECT id, name, v FROM t WHERE name BETWEEN 'name-01000' AND 'name-01012' ORDER BY v DESC;
		BEGIN EXCLUSIVE;
		INSERT INTO t VALUES (100003, 'three', 3, NULL);
		.shell sh locked.sh
		COMMIT;
		PRAGMA integrity_check;
		VACUUM;
		SELECT count(*) FROM t;
	EOF
	printf '%s\n' 'sqlite3 db.sqlite "INSERT INTO t VALUES (100004, '"'four'"', 4, NULL)"' \
		'echo "locked out: $?"' >"$seed/locked.sh"
	cat >"$seed/wal.sql" <<-'EOF'
		PRAGMA journal_mode=WAL;
		CREATE TABLE k(a, b);
		WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000)
		INSERT INTO k SELECT x, printf('%08x', x * 2654435761 % 4294967296) FROM c;
		SELECT count(*), sum(a) FROM k;
	EOF
}

seed_none() { :; }

# The command (run by bash -c inside the tree), what it must proxy, and
# optionally: the seed, the tools it needs, the least number of processes
# that must have attached, and the files that differ between any two runs
# (checked by the command itself) to leave out of the comparison, and the
# exit status the native run must have (so a broken case cannot pass).
seed_fn=seed_files need='' procs=1 volatile='' want_rc=''
case $case in
cat) cmd='cat small.txt tree/a.txt big.bin | sha256sum; cat tree/a.txt missing.txt' ops='openat read' ;;
cp) cmd='cp big.bin copy.bin && cp -r tree tree2 && cmp big.bin copy.bin' ops='openat fstat newfstatat' ;;
sha256sum) cmd='sha256sum big.bin small.txt tree/a.txt tree/sub/b.txt' ops='lseek' ;;
tar) cmd='tar cf t.tar tree && mkdir out && tar xf t.tar -C out && tar tvf t.tar' ops='openat newfstatat' ;;
ls) cmd='ls -lR tree; ls -la --time-style=+%s tree/sub' ops='statx' ;;
find) cmd='find tree; find tree -type f -size +0 -name "*.txt"; find . -newer big.bin' ops='openat newfstatat fchdir' ;;
mkdir_rm) cmd='mkdir -p a/b/c/d e/f && touch a/b/c/d/x && rm -r a && mkdir e && ls -R e' ops='mkdirat unlinkat openat' ;;
python_threads) cmd="python3 $LSCA_SRC/tests/integration/io_threads.py" ops='openat write read' ;;
git)
	# Fixed identities and dates: both runs' commits must hash alike. The
	# index holds inode numbers and times; `git ls-files -s` stands for it.
	want_rc=0 seed_fn=seed_many need=git procs=10 volatile='tree/.git/index'
	ops='openat read write newfstatat renameat2 mkdirat'
	# shellcheck disable=SC2016 # expanded by the bash -c that runs it
	cmd='export HOME=$PWD/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=LSCA GIT_COMMITTER_NAME=LSCA
	export GIT_AUTHOR_EMAIL=lsca@example.org GIT_COMMITTER_EMAIL=lsca@example.org
	export GIT_AUTHOR_DATE="1700000000 +0000" GIT_COMMITTER_DATE="1700000100 +0000"
	cd tree && git init -q -b main . && git add -A && git commit -q -m "2000 files" &&
	sed -i "s/line/LINE/" d05/f010.txt && rm d07/f003.txt && echo new >d19/new.txt &&
	chmod +x d11/f042.txt && git add -A && git commit -q -m "second" &&
	git log --format="%H %T %P %s" && git cat-file -p HEAD && git cat-file -p HEAD~1 &&
	git cat-file -p HEAD:d05/f010.txt | head -3 && git ls-tree -r HEAD | sha256sum &&
	git ls-files -s | sha256sum && git count-objects -v && git fsck --full --strict &&
	git diff --stat HEAD~1 HEAD && git status --porcelain && echo fsck and status ok &&
	git show HEAD:nope 2>&1; echo "show missing: $?"'
	;;
make)
	# fork/exec heavy: make -j2 runs cc, which runs cc1, as, collect2, ld.
	# The objects and binaries must come out byte-identical; `make -q` says
	# the times they were given still make them up to date.
	want_rc=0 seed_fn=seed_cproject need='make cc' procs=40 ops='openat read newfstatat'
	cmd='cd proj && make -s -j2 && bin/prog && ls obj bin && make -q; echo "up to date: $?" &&
	touch src/u03.c && make -j2 && make -j2 && bin/prog | sha256sum'
	;;
pipeline)
	want_rc=0 seed_fn=seed_many procs=4 ops='openat newfstatat close'
	cmd='find tree -type f | xargs sha256sum | LC_ALL=C sort &&
	find tree -type f -print0 | xargs -0 -n 64 -P 2 sha256sum | LC_ALL=C sort | sha256sum'
	;;
http_server)
	# Server and clients both under the shim; port 0 leaves the choice to the
	# kernel and the server says which. Its own log holds times and ports.
	want_rc=0 seed_fn=seed_www need=curl procs=1000 ops='openat read newfstatat'
	volatile='server.out server.log'
	# shellcheck disable=SC2016
	cmd='"$PY" -u -m http.server --bind 127.0.0.1 --directory www 0 >server.out 2>server.log &
	srv=$!; port=
	for _ in $(seq 200); do
		port=$(sed -n "s/^Serving HTTP on .* port \([0-9][0-9]*\) .*/\1/p" server.out)
		[ -n "$port" ] && break; sleep 0.05
	done
	[ -n "$port" ] || { echo "server did not start"; cat server.log; exit 3; }
	mkdir got
	for i in $(seq 0 999); do
		curl -sS --fail -o got/$i http://127.0.0.1:$port/f$((i % 100)).bin || echo "fetch $i: $?"
	done
	curl -sS -o /dev/null -w "missing: %{http_code}\n" http://127.0.0.1:$port/nope
	kill $srv; wait $srv; echo "server exit $?"
	bad=0; for i in $(seq 0 999); do cmp -s got/$i www/f$((i % 100)).bin || bad=$((bad + 1)); done
	echo "fetched bodies differing from the files: $bad"
	echo "requests served: $(grep -c "\"GET /f[0-9]*\.bin HTTP/1\.1\" 200 -" server.log)"'
	;;
sqlite)
	# Two databases (rollback journal, WAL with its shared-memory index); a
	# writer shut out by another process's exclusive lock.
	want_rc=0 seed_fn=seed_none need=sqlite3 procs=3 ops='openat pread64 pwrite64'
	seed_fn=seed_sqlite need=sqlite3 procs=3 ops='openat pread64 pwrite64'
	cmd='sqlite3 db.sqlite <fill.sql; echo "fill: $?"; sqlite3 wal.sqlite <wal.sql &&
	sqlite3 wal.sqlite "SELECT count(DISTINCT b) FROM k; PRAGMA integrity_check;" &&
	sqlite3 -readonly db.sqlite "SELECT name FROM t WHERE id > 100000; DELETE FROM t"
	echo "read-only delete: $?"; ls'
	;;
fork100)
	want_rc=0 seed_fn=seed_none procs=101 ops='openat write read fstat'
	cmd="$TESTBIN/fork_writers 100"
	;;
threads500)
	want_rc=0 seed_fn=seed_none ops='openat write read pwrite64 pread64 renameat2'
	cmd="$TESTBIN/thread_io 500"
	;;
*) fail "unknown case $case" ;;
esac
for tool in $need; do
	command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/deps.sh installs it)"
done
export PY

# One seed tree, copied with everything preserved into both runs' places.
seed=$WORK/seed
mkdir -p "$seed"
$seed_fn
find "$seed" -exec touch -h -d @1700000000 {} +
for side in native lsca; do
	cp -a "$seed" "$WORK/$side"
	find "$WORK/$side" -exec touch -h -d @1700000000 {} +
done

now_ms() { echo $(($(date +%s%N) / 1000000)); }
set +e
t0=$(now_ms)
(cd "$WORK/native" && bash -c "$cmd") >"$WORK/out.native" 2>"$WORK/err.native"
rc_native=$?
t1=$(now_ms)
(cd "$WORK/lsca" && "$LSCACTL" run --summary-file "$WORK/summary" -- bash -c "$cmd") \
	>"$WORK/out.lsca" 2>"$WORK/err.lsca"
rc_lsca=$?
t2=$(now_ms)
set -e

[ -z "$want_rc" ] || [ "$rc_native" = "$want_rc" ] ||
	{ cat "$WORK/out.native" "$WORK/err.native" >&2; fail "the native run exited $rc_native, not $want_rc"; }
[ "$rc_native" = "$rc_lsca" ] || fail "exit status $rc_lsca under LSCA, $rc_native natively"
diff -u "$WORK/out.native" "$WORK/out.lsca" || fail "stdout differs"
diff -u "$WORK/err.native" "$WORK/err.lsca" || fail "stderr differs"
for f in $volatile; do
	rm -f "$WORK/native/$f" "$WORK/lsca/$f"
done
snapshot "$WORK/native" >"$WORK/tree.native"
snapshot "$WORK/lsca" >"$WORK/tree.lsca"
diff -u "$WORK/tree.native" "$WORK/tree.lsca" || fail "resulting files differ"
# shellcheck disable=SC2086
assert_proxied "$WORK/summary" $ops
attached=$(sed -n 's/^lsca: \([0-9][0-9]*\) process.* attached.*/\1/p' "$WORK/summary")
[ "${attached:-0}" -ge "$procs" ] || { cat "$WORK/summary" >&2; fail "only ${attached:-0} processes attached, $procs at least expected"; }
echo "ok: $case (exit $rc_native, $(awk '$1 == "total" { print $4 " proxied, " $5 " observed, " $6 " direct" }' "$WORK/summary"), $attached processes," \
	"wall $((t1 - t0)) ms native, $((t2 - t1)) ms lsca, ratio $(awk -v n=$((t1 - t0)) -v l=$((t2 - t1)) 'BEGIN { printf "%.2f", l / (n ? n : 1) }'))"
