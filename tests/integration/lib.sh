# lib.sh - shared helpers of the integration scripts (sourced, not run).
# Environment (set by ctest): LSCA_BUILD, the build tree; LSCA_SRC, the source.
# shellcheck shell=bash

LSCA_BUILD=${LSCA_BUILD:?LSCA_BUILD must name the build tree}
LSCA_SRC=${LSCA_SRC:?LSCA_SRC must name the source tree}
# shellcheck disable=SC2034 # used by the scripts that source this file
{
LSCACTL=$LSCA_BUILD/bin/lscactl
LSCAD=$LSCA_BUILD/bin/lscad
SHIM=$LSCA_BUILD/lib/liblsca-shim.so
TESTBIN=$LSCA_BUILD/tests
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# A scratch directory removed at exit (world-searchable for tests that drop
# to nobody).
scratch() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/lsca-test.XXXXXX")
	chmod 755 "$WORK"
	# a failing check must not leave its daemon behind
	trap 'stop_lscad; rm -rf "$WORK"' EXIT
}

# proxied SUMMARY SYSCALL: how many calls of SYSCALL ran in lscad.
proxied() {
	awk -v op="$2" '$1 == op { print $4; found = 1 } END { if (!found) print 0 }' "$1"
}

observed() {
	awk -v op="$2" '$1 == op { print $5; found = 1 } END { if (!found) print 0 }' "$1"
}

direct() {
	awk -v op="$2" '$1 == op { print $6; found = 1 } END { if (!found) print 0 }' "$1"
}

# assert_proxied SUMMARY SYSCALL...: each really went through the daemon, so
# a passing comparison is not a run that never touched LSCA.
assert_proxied() {
	local sum=$1 op n
	shift
	for op in "$@"; do
		n=$(proxied "$sum" "$op")
		[ "$n" -gt 0 ] || { cat "$sum" >&2; fail "no $op call was proxied"; }
	done
}

# snapshot DIR: everything about a tree that must not differ: types, modes,
# owners, link counts, sizes, link targets, contents.
snapshot() {
	(
		cd "$1" || exit 1
		find . -mindepth 1 ! -type d -printf '%y %m %u:%g %n %s %p %l\n' | LC_ALL=C sort
		find . -mindepth 1 -type d -printf '%y %m %u:%g %p\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
	)
}

# A private lscad for tests that drive processes by hand.
start_lscad() { # [LSCAD OPTION...]
	LSCA_SOCK=$WORK/lscad.sock
	"$LSCAD" --socket "$LSCA_SOCK" --control-socket "$WORK/lscad.ctl" "$@" &
	LSCAD_PID=$!
	for _ in $(seq 100); do
		[ -S "$LSCA_SOCK" ] && return 0
		sleep 0.05
	done
	fail "lscad did not start"
}

stop_lscad() {
	[ -n "${LSCAD_PID:-}" ] || return 0
	kill "$LSCAD_PID" 2>/dev/null || true
	wait "$LSCAD_PID" 2>/dev/null || true
	LSCAD_PID=
}
