#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/placement.sh - the audit plugin's cost in "observe" and in "proxy"
# placement beside native: (a) small files created, written, stat'ed, read
# back and unlinked (bench/smallfiles.c), (b) sha256sum of a large file,
# (b') cat of the same file. Every audited run must log every call: its
# audit lines are checked against lscactl's summary. Prints one table.
# A benchmark, not a test: a missed target is printed, never an exit status
# (a wrong result - a failed workload, a hash that differs - is: exit 1).
#
# Environment: BUILD (build dir, default ./build), NO_BUILD=1 (use as is),
# CC, FILES_N (20000), BIG_MIB (256), RUNS_A (5), RUNS_B (5), WORKLOADS
# ("a b c": which of (a), (b), (b') to run; c is (b') cat),
# COUNT_PLUGIN (path of a counting plugin, e.g. the tests' testplug.so: adds
# an "observe, counting plugin" column), KEEP=1 (keep the scratch directory).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FILES_N=${FILES_N:-20000}
BIG_MIB=${BIG_MIB:-256}
RUNS_A=${RUNS_A:-5}
RUNS_B=${RUNS_B:-5}
COUNT_PLUGIN=${COUNT_PLUGIN:-}
WORKLOADS=${WORKLOADS:-a b c}

LSCACTL=$BUILD/bin/lscactl
SMALL=$BUILD/bench/smallfiles

# the syscalls lscad handles: forced to "proxy" for the proxy variant
HANDLED=(read write pread64 pwrite64 readv writev preadv pwritev lseek close fstat
	newfstatat statx openat faccessat faccessat2 unlinkat mkdirat renameat2 fsync
	fdatasync truncate ftruncate chdir fchdir)

DIR=$(mktemp -d "${TMPDIR:-/tmp}/lsca-placement.XXXXXX")
NAME=placement.sh
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
FAILED=0

cleanup() {
	if [[ ${KEEP:-0} == 1 ]]; then
		say "scratch directory kept: $DIR"
	else
		rm -rf "$DIR"
	fi
}
trap cleanup EXIT

build() {
	build_lsca
	[[ -x $LSCACTL ]] || { say "no $LSCACTL"; exit 1; }
	[[ -f $BUILD/lib/lsca/plugins/audit.so ]] || {
		say "no $BUILD/lib/lsca/plugins/audit.so (the audit plugin)"
		exit 1
	}
	mkdir -p "$BUILD/bench"
	if [[ ! -x $SMALL || $ROOT/bench/smallfiles.c -nt $SMALL ]]; then
		quiet "${CC:-cc}" -std=gnu11 -O2 -Wall -Wextra -Werror \
			-o "$SMALL" "$ROOT/bench/smallfiles.c"
	fi
}

write_configs() {
	printf 'plugins:\n  - name: audit\n    config: {output: "%s"}\n' "$DIR/audit.log" \
		>"$DIR/observe.yaml"
	{
		cat "$DIR/observe.yaml"
		echo "placement:"
		printf '  %s: proxy\n' "${HANDLED[@]}"
	} >"$DIR/proxy.yaml"
	if [[ -n $COUNT_PLUGIN ]]; then
		printf 'plugins:\n  - name: count\n    path: "%s"\n    config: {count: "%s"}\n' \
			"$COUNT_PLUGIN" "$DIR/count.out" >"$DIR/count.yaml"
	fi
}

# A workload: the command (smallfiles times itself, or times CMD with -x)
# and where its stdout goes.
workload_cmd() {
	OUT=$DIR/run.out
	case $1 in
	a) CMD=("$SMALL" -n "$FILES_N" "$DIR/files") ;;
	b) CMD=("$SMALL" -x sha256sum "$DIR/big") ;;
	c)
		CMD=("$SMALL" -x cat "$DIR/big")
		OUT=/dev/null
		;;
	esac
}

# CPU ms (user + system) of the waited-for descendants, from the output of
# `times` (its second line) in FILE.
children_cpu() {
	awk 'NR == 2 {
		t = 0
		for (i = 1; i <= 2; i++) {
			split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2]
		}
		printf "%d", t * 1000
	}' "$1"
}

# one WORKLOAD VARIANT TIMED: one run, recorded if TIMED is 1. Appends
#   WORKLOAD VARIANT ns calls lines e2e_ns ok cpu_ms
# to $DIR/results (calls, lines: "-" where there is no summary, no audit;
# ok: 1, or 0 for a wrong result).
one() {
	local w=$1 v=$2 timed=$3 err=$DIR/run.err
	local rc=0 ns e2e calls=- lines=- c0 c1 ok=1 sum=$DIR/summary
	local -a pre=()

	workload_cmd "$w"
	rm -f "$DIR/audit.log" "$sum"
	# the last audited run left ~40 MB of dirty pages: written back now,
	# not during this run
	sync
	case $v in
	native) ;;
	plain) pre=("$LSCACTL" run --summary-file "$sum" --) ;;
	*) pre=("$LSCACTL" run --config "$DIR/$v.yaml" --summary-file "$sum" --) ;;
	esac
	# `times` in this shell, not in $(...): a forked shell starts from zero.
	# Its CPU: the command's, lscactl's and lscad's (each waited for).
	times >"$DIR/times0"
	# the outer smallfiles -x times it all: its RESULT line comes last
	timeout -k 5 600 "$SMALL" -x "${pre[@]}" "${CMD[@]}" >"$OUT" 2>"$err" || rc=$?
	times >"$DIR/times1"
	c0=$(children_cpu "$DIR/times0")
	c1=$(children_cpu "$DIR/times1")
	if ((rc)); then
		say "warning: $w/$v exited with status $rc:"
		sed 's/^/  /' "$err" >&2
		ok=0
	fi
	if [[ $w == b && $ok == 1 && -f $DIR/big.sha256 ]] && ! cmp -s "$OUT" "$DIR/big.sha256"; then
		say "warning: $w/$v: sha256sum printed $(cat "$OUT"), natively $(cat "$DIR/big.sha256")"
		ok=0
	fi
	ns=$(awk '$1 == "RESULT" { n++; if (n == 1) v = $3 } END { print v + 0 }' "$err")
	e2e=$(awk '$1 == "RESULT" { v = $3 } END { print v + 0 }' "$err")
	if [[ -f $sum ]]; then
		calls=$(awk '$1 == "total" { print $2 }' "$sum")
		[[ -n $calls ]] || calls=0
	fi
	if [[ $v == observe || $v == proxy ]]; then
		if [[ -f $DIR/audit.log ]]; then
			lines=$(wc -l <"$DIR/audit.log")
		else
			lines=0
		fi
	fi
	((ok)) || FAILED=1
	if [[ $timed == 1 ]]; then
		printf '%s %s %s %s %s %s %s %s\n' "$w" "$v" "$ns" "$calls" "$lines" "$e2e" "$ok" \
			"$((c1 - c0))" >>"$DIR/results"
	fi
}

# measure WORKLOAD RUNS: a warm-up round, then RUNS rounds, each running
# every variant once, in an order that rotates from round to round.
measure() {
	local w=$1 runs=$2 r i n=${#VARIANTS[@]}

	for v in "${VARIANTS[@]}"; do
		one "$w" "$v" 0
	done
	for ((r = 0; r < runs; r++)); do
		for ((i = 0; i < n; i++)); do
			one "$w" "${VARIANTS[(r + i) % n]}" 1
		done
	done
}

print_table() {
	awk -v files_n="$FILES_N" -v big="$BIG_MIB" -v counting="${COUNT_PLUGIN:+1}" \
		-v host="$(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" \
		-v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
	# median of the samples under key k (-1: none)
	function median(k,    n, i, j, t, a) {
		n = cnt[k]
		if (!n)
			return -1
		for (i = 1; i <= n; i++)
			a[i] = val[k, i]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function ms(k,    m) {
		m = median(k)
		return m < 0 ? "n/a" : sprintf("%.1f", m / 1e6)
	}
	function ratio(w, v,    a, b) {
		a = median(w "/" v); b = median(w "/native")
		return a < 0 || b <= 0 ? -1 : a / b
	}
	function rs(r) {
		return r < 0 ? "n/a" : sprintf("%.2fx", r)
	}
	function range(lo, hi) {
		return lo == hi ? lo : lo ".." hi
	}
	function counts(k) {
		return (k in lmin) ? range(lmin[k], lmax[k]) "/" range(cmin[k], cmax[k]) : "n/a"
	}
	function lost(k) {
		return (k in lostsum) ? lostsum[k] : "n/a"
	}
	function add(k, x) {
		val[k, ++cnt[k]] = x
	}
	{
		k = $1 "/" $2
		if ($7 != 1) {
			bad[k] = 1
			next
		}
		add(k, $3)
		add("e2e:" k, $6)
		add("cpu:" k, $8 * 1e6)
		if ($5 != "-") {
			if (!(k in lmin) || $5 + 0 < lmin[k]) lmin[k] = $5 + 0
			if (!(k in lmax) || $5 + 0 > lmax[k]) lmax[k] = $5 + 0
			if (!(k in cmin) || $4 + 0 < cmin[k]) cmin[k] = $4 + 0
			if (!(k in cmax) || $4 + 0 > cmax[k]) cmax[k] = $4 + 0
			lostsum[k] += $4 - $5
		}
		if ($2 == "observe")
			seen[$1] = $4
	}
	END {
		ws = "a b c"
		name["a"] = sprintf("(a) smallfiles %d", files_n)
		name["b"] = sprintf("(b) sha256sum %d MiB", big)
		name["c"] = sprintf("(b\047) cat %d MiB", big)
		target["a"] = 2; target["b"] = 1.05; target["c"] = 1.05
		tname["a"] = "2x"; tname["b"] = "1.05x"; tname["c"] = "1.05x"
		printf "\nLSCA placement benchmark: %s; load average at the end %s.\n", host, load
		printf "Median wall time of the command (ms), ratio = variant / native. lines/calls: audit lines /\n"
		printf "calls in lscactl\047s summary per run (none lost: equal); lost = calls - lines over all runs.\n\n"
		fmt = "%-22s %8s | %8s %6s %-17s | %8s %6s | %8s %6s"
		printf fmt, "workload", "native", "observe", "ratio", "target", "proxy", "ratio", "no-plug", "ratio"
		if (counting)
			printf " | %8s %6s", "count", "ratio"
		printf " | %-13s %4s | %-13s %4s\n", "observe", "lost", "proxy", "lost"
		printf fmt, "", "ms", "ms", "", "", "ms", "", "proxy ms", ""
		if (counting)
			printf " | %8s %6s", "obs. ms", ""
		printf " | %-13s %4s | %-13s %4s\n", "lines/calls", "", "lines/calls", ""
		nw = split(ws, w_, " ")
		for (wi = 1; wi <= nw; wi++) {
			w = w_[wi]
			if (!((w "/native") in cnt))
				continue
			r = ratio(w, "observe")
			verdict = r < 0 ? "" : r <= target[w] ? "met" : "MISSED"
			t = sprintf("<=%s %s", tname[w], verdict)
			if (w == "c")
				t = "(" t ")"
			printf fmt, name[w], ms(w "/native"), ms(w "/observe"), rs(r), t,
				ms(w "/proxy"), rs(ratio(w, "proxy")), ms(w "/plain"), rs(ratio(w, "plain"))
			if (counting)
				printf " | %8s %6s", ms(w "/count"), rs(ratio(w, "count"))
			printf " | %-13s %4s | %-13s %4s\n", counts(w "/observe"), lost(w "/observe"),
				counts(w "/proxy"), lost(w "/proxy")
		}
		printf "\nReference, the issue (these machines): an auditd rule 13.6x on (a), 1.14x on (b); bpftrace\n"
		printf "printing one line per call 4.5x and 1.15x. (b\047) has no target of its own: (b)\047s, in ().\n"
		if ("b" in seen)
			printf "(b) reads through stdio: LSCA saw %d call(s) of sha256sum\047s (libc-internal ones only with complete interception); cat uses read().\n", seen["b"]
		printf "no-plug = lscactl run without a config: no plugin, every handled call proxied.\n"
		printf "\nlscactl run end to end, median ms: wall (adds lscad\047s start, the last drain and the stop)\n"
		printf "/ CPU (user + system of all processes: the command, lscactl, lscad):\n"
		nv = split("native observe proxy plain count", v_, " ")
		for (wi = 1; wi <= nw; wi++) {
			w = w_[wi]
			if (!((w "/native") in cnt))
				continue
			line = ""
			for (i = 1; i <= nv; i++)
				if (("e2e:" w "/" v_[i]) in cnt)
					line = line sprintf("  %s %s / %s", v_[i], ms("e2e:" w "/" v_[i]),
						ms("cpu:" w "/" v_[i]))
			printf "  %-22s%s\n", name[w], line
		}
		for (k in bad)
			printf "WRONG RESULT in a run of %s (see the warnings above): not counted\n", k
	}' "$DIR/results"
}

main() {
	build
	write_configs
	VARIANTS=(native observe proxy plain)
	if [[ -n $COUNT_PLUGIN ]]; then
		VARIANTS+=(count)
	fi
	: >"$DIR/results"
	mkdir "$DIR/files"
	if [[ $WORKLOADS == *[bc]* ]]; then
		say "writing a ${BIG_MIB} MiB random file"
		head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom >"$DIR/big"
		# warm the page cache once (dropping it is not ours to do), and
		# the reference hash every run must reproduce
		sha256sum "$DIR/big" >"$DIR/big.sha256"
	fi
	if [[ $WORKLOADS == *a* ]]; then
		say "(a) smallfiles -n $FILES_N: ${VARIANTS[*]}, $RUNS_A rounds"
		measure a "$RUNS_A"
	fi
	if [[ $WORKLOADS == *b* ]]; then
		say "(b) sha256sum: ${VARIANTS[*]}, $RUNS_B rounds"
		measure b "$RUNS_B"
	fi
	if [[ $WORKLOADS == *c* ]]; then
		say "(b') cat: ${VARIANTS[*]}, $RUNS_B rounds"
		measure c "$RUNS_B"
	fi
	print_table
	if ((FAILED)); then
		say "some runs gave wrong results (see the warnings above)"
		exit 1
	fi
}

main "$@"
