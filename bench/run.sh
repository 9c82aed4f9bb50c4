#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/run.sh - build LSCA and lsca_bench, run every mode natively, under
# the shim against a private lscad, and against the seccomp peer; print one
# table. A benchmark, not a test: a slow number never fails it.
#
# Environment: BUILD (build dir, default ./build), NO_BUILD=1 (use as is),
# CC, HOT_N, SECCOMP_N, COLD_N, COLD_US, IDLE_S (see bench/README.md).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
HOT_N=${HOT_N:-200000}
SECCOMP_N=${SECCOMP_N:-20000}
COLD_N=${COLD_N:-2000}
COLD_US=${COLD_US:-1000}
IDLE_S=${IDLE_S:-10}

SHIM=$BUILD/lib/liblsca-shim.so
LSCAD=$BUILD/bin/lscad
BENCH=$BUILD/bench/lsca_bench

DIR=$(mktemp -d "${TMPDIR:-/tmp}/lsca-bench.XXXXXX")
NAME=run.sh
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
LSCAD_PID=

cleanup() {
	if [[ -n $LSCAD_PID ]]; then
		kill "$LSCAD_PID" 2>/dev/null || true
		wait "$LSCAD_PID" 2>/dev/null || true
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT

build() {
	build_lsca
	[[ -x $LSCAD && -f $SHIM ]] || { say "no $LSCAD or $SHIM"; exit 1; }
	mkdir -p "$BUILD/bench"
	if [[ ! -x $BENCH || $ROOT/bench/lsca_bench.c -nt $BENCH ]]; then
		quiet "${CC:-cc}" -std=gnu11 -O2 -Wall -Wextra -Werror \
			-o "$BENCH" "$ROOT/bench/lsca_bench.c"
	fi
}

# A private daemon: ours to start, measure and stop.
start_lscad() {
	"$LSCAD" --socket "$DIR/s.sock" --stats-out "$DIR/stats" 2>"$DIR/lscad.log" &
	LSCAD_PID=$!
	for _ in $(seq 100); do
		[[ -S $DIR/s.sock ]] && break
		sleep 0.05
	done
	if [[ ! -S $DIR/s.sock ]]; then
		cat "$DIR/lscad.log" >&2
		say "lscad did not create $DIR/s.sock"
		exit 1
	fi
	sleep 0.1 # the socket exists at bind(); give it time to listen()
}

# SIGTERM makes lscad write its per-syscall summary (--stats-out).
stop_lscad() {
	kill -TERM "$LSCAD_PID"
	wait "$LSCAD_PID" || true
	LSCAD_PID=
}

# run LABEL CMD...: keep the command's RESULT/IDLE lines, tagged LABEL.
run() {
	local label=$1 out rc=0

	shift
	out=$(timeout -k 5 200 "$@" 2>>"$DIR/bench.err") || rc=$?
	if ((rc)); then
		say "warning: '$label' exited with status $rc (wrong results or a hang, see below)"
	fi
	printf '%s\n' "$out" | awk -v l="$label" '$1 == "RESULT" || $1 == "IDLE" { print l, $0 }' \
		>>"$DIR/results"
}

# Prefix: the command under the shim, served by our lscad.
SHIMMED=(env "LD_PRELOAD=$SHIM" "LSCA_SOCKET=$DIR/s.sock")

measure_all() {
	local f=$DIR/data

	say "calls: native, then proxied (${HOT_N} per call)"
	run native "$BENCH" calls -n "$HOT_N" -f "$f.native"
	run lsca "${SHIMMED[@]}" "$BENCH" calls -n "$HOT_N" -f "$f.lsca"
	say "pingpong floor, bare and carrying an lseek"
	run pp "$BENCH" pingpong -n "$HOT_N" -f "$f.replica"
	say "seccomp user-notification peer (${SECCOMP_N} per call and configuration)"
	run sc "$BENCH" seccomp -n "$SECCOMP_N" -f "$f.seccomp"
	say "cold path: native, then proxied (${COLD_N} calls, one per ${COLD_US} us)"
	run cold_native "$BENCH" cold -n "$COLD_N" -i "$COLD_US" -f "$f.cold"
	run cold_lsca "${SHIMMED[@]}" "$BENCH" cold -n "$COLD_N" -i "$COLD_US" -f "$f.cold"
	say "idle daemon: ${IDLE_S} s with one attached, idle client"
	run idle "${SHIMMED[@]}" "$BENCH" idle -p "$LSCAD_PID" -t "$IDLE_S"
}

# The daemon's own count of what it served: proof the LSCA column is proxied.
served_line() {
	[[ -f $DIR/stats ]] || { echo "lscad wrote no summary"; return; }
	awk '$1 ~ /^(lseek|fstat|pread64|openat|close)$/ {
		s = s sprintf(", %s %d (%d direct)", $1, $2, $4) }
		END { print "lscad served" substr(s, 2) }' "$DIR/stats"
}

print_table() {
	awk -v cold_n="$COLD_N" -v cold_us="$COLD_US" -v idle_s="$IDLE_S" \
		-v host="$(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" '
	function has(k) { return k in med }
	function m(k) { return has(k) ? med[k] : "n/a" }
	function mp(k) { return has(k) ? sprintf("%d / %d", med[k], p99[k]) : "n/a" }
	function verdict(ok) { return ok ? "met" : "MISSED" }
	$2 == "RESULT" { med[$1 "/" $3] = $4; p99[$1 "/" $3] = $5 }
	$2 == "IDLE" { idle_ns = $3; idle_win = $4; idle_pct = $5; idle_have = 1 }
	END {
		fmt = "%-13s %11s %15s %9s %16s %9s %10s %15s %15s\n"
		ops[1] = "lseek"; ops[2] = "fstat"; ops[3] = "pread4k"; ops[4] = "openat_close"
		label["lseek"] = "lseek"; label["fstat"] = "fstat"
		label["pread4k"] = "pread 4 KiB"; label["openat_close"] = "openat+close"
		floor = has("pp/pingpong") && has("pp/timer") ? med["pp/pingpong"] - med["pp/timer"] : 0
		printf "\nLSCA benchmark: %s. All numbers from this run, in ns unless noted.\n", host
		printf "Ping-pong floor (shared-memory round trip, CPU 0 <-> 1): %s ns median/p99, minus %s ns clock overhead = %d ns\n\n",
			mp("pp/pingpong"), m("pp/timer"), floor
		printf fmt, "call", "native", "LSCA proxied", "overhead", "overhead /",
			"seccomp", "seccomp", "seccomp same /", "seccomp ovh /"
		printf fmt, "", "med / p99", "med / p99", "median", "floor (<= 1.5x)", "same CPU",
			"cross CPU", "LSCA (>= 5x)", "LSCA ovh (>=5x)"
		for (i = 1; i <= 4; i++) {
			o = ops[i]
			ov = "n/a"; rf = "n/a"; rs = "n/a"; ro = "n/a"
			if (has("native/" o) && has("lsca/" o)) {
				ovn = med["lsca/" o] - med["native/" o]
				ov = ovn
				if (floor > 0)
					rf = sprintf("%.2fx %s", ovn / floor, verdict(ovn / floor <= 1.5))
			}
			if (has("sc/seccomp_same_" o) && has("lsca/" o) && med["lsca/" o] > 0) {
				r = med["sc/seccomp_same_" o] / med["lsca/" o]
				rs = sprintf("%.2fx %s", r, verdict(r >= 5))
				if (has("native/" o) && ovn > 0) {
					r = (med["sc/seccomp_same_" o] - med["native/" o]) / ovn
					ro = sprintf("%.2fx %s", r, verdict(r >= 5))
				}
			}
			printf fmt, label[o], mp("native/" o), mp("lsca/" o), ov, rf,
				m("sc/seccomp_same_" o), m("sc/seccomp_cross_" o), rs, ro
		}
		printf "%-13s %15s   (native reference: one trivial syscall)\n", "getppid", mp("native/getppid")
		if (has("sc/seccomp_sync_lseek"))
			printf "(seccomp same CPU with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: lseek %s, fstat %s, pread %s, openat+close %s)\n",
				m("sc/seccomp_sync_lseek"), m("sc/seccomp_sync_fstat"),
				m("sc/seccomp_sync_pread4k"), m("sc/seccomp_sync_openat_close")
		if (has("pp/replica_lseek") && has("native/lseek") && floor > 0) {
			rov = med["pp/replica_lseek"] - med["native/lseek"]
			printf "\nThe design'"'"'s own floor, for lseek: the ping-pong carrying the request and the answer, the call run by\n"
			printf "a second process on the same open file, nothing else (lsca_bench.c, replica): %s ns, overhead %d ns = %.2fx floor;\n",
				mp("pp/replica_lseek"), rov, rov / floor
			if (has("lsca/lseek") && rov > 0)
				printf "LSCA'"'"'s lseek overhead is %.2fx the replica'"'"'s (what its own code adds: fd tags, stats, handler chain, checks).\n",
					(med["lsca/lseek"] - med["native/lseek"]) / rov
		}
		printf "\nCold path: one lseek every %d us, %d calls (target: pays at most one wake-up, ~25-60 us)\n",
			cold_us, cold_n
		printf "  native %s ns   LSCA %s ns", mp("cold_native/cold_lseek"), mp("cold_lsca/cold_lseek")
		if (has("cold_native/cold_lseek") && has("cold_lsca/cold_lseek")) {
			c = (med["cold_lsca/cold_lseek"] - med["cold_native/cold_lseek"]) / 1000
			printf "   overhead %.1f us   %s", c, verdict(c <= 60)
		}
		printf "\nIdle daemon: lscad CPU over %d s with one attached idle client (target: < 1%% of a CPU)\n", idle_s
		if (idle_have)
			printf "  %.4f %% of one CPU (%.1f us of CPU in %.2f s)   %s\n", idle_pct,
				idle_ns / 1000, idle_win / 1e9, verdict(idle_pct < 1)
		else
			printf "  n/a\n"
	}' "$DIR/results"
}

main() {
	build
	: >"$DIR/results"
	start_lscad
	measure_all
	stop_lscad
	print_table
	served_line
	if [[ -s $DIR/bench.err ]]; then
		echo
		echo "lsca_bench said:"
		sed 's/^/  /' "$DIR/bench.err"
	fi
	BUILD=$BUILD NO_BUILD=1 "$ROOT/bench/placement.sh"
}

main "$@"
