#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_errno.sh - every interposed call of src/shim/entries.def gives the
# same results and errnos through lscad as natively.
#
# Runs errno_check (tests/integration/errno_check.c) natively and under
# `lscactl run`, on two fresh scratch trees, and diffs the outputs: one line
# per case, `<case> ret=<value> errno=<ENAME|0> [details]`. Then checks from
# the run's summary that the calls really went through the daemon (the
# `proxied` column of openat, read and newfstatat is > 0). As root, it does
# both again as `nobody`, where the EACCES cases really fail.
#
# Usage: test_errno.sh [ERRNO_CHECK [LSCACTL [SCRATCH_BASE]]]
#   ERRNO_CHECK   the built program   (default $LSCA_BUILD/tests/errno_check)
#   LSCACTL       lscactl             (default $LSCA_BUILD/bin/lscactl)
#   SCRATCH_BASE  a directory for the scratch trees (default: a new one in
#                 ${TMPDIR:-/tmp}, removed at the end; one given is kept, only
#                 what this script made in it is removed; as root it must be
#                 searchable by nobody)
# Environment: LSCA_BUILD (set by ctest); LSCA_KEEP=1 keeps every output;
# LSCA_TEST_TIMEOUT seconds one run may take (default 120).
# Exit: 0 all passed, 1 something failed, 77 cannot run here (ctest: skip).
set -euo pipefail

prog=${1:-${LSCA_BUILD:+$LSCA_BUILD/tests/errno_check}}
lscactl=${2:-${LSCA_BUILD:+$LSCA_BUILD/bin/lscactl}}
base=${3:-}
timeout_s=${LSCA_TEST_TIMEOUT:-120}

if [[ -z $prog || -z $lscactl ]]; then
	sed -n '/^# Usage/,/^# Exit/p' "$0" >&2
	exit 77
fi
for f in "$prog" "$lscactl"; do
	if [[ ! -x $f ]]; then
		echo "test_errno: $f: not an executable" >&2
		exit 77
	fi
done
prog=$(realpath "$prog")
lscactl=$(realpath "$lscactl")

own_base=0
if [[ -z $base ]]; then
	base=$(mktemp -d "${TMPDIR:-/tmp}/lsca-errno.XXXXXX")
	chmod 755 "$base" # searchable by nobody
	own_base=1
fi
mkdir -p "$base"
base=$(realpath "$base")
# each run gets its own directory below this one
work=$(mktemp -d "$base/run.XXXXXX")
chmod 755 "$work"

cleanup() {
	if [[ ${LSCA_KEEP:-0} == 1 ]]; then
		echo "test_errno: outputs kept in $work" >&2
		return
	fi
	chmod -R u+rwx "$work" 2>/dev/null || true
	rm -rf "$work"
	if ((own_base)); then
		rmdir "$base" 2>/dev/null || true
	fi
}
trap cleanup EXIT

passed=0
failed=0

pass() {
	echo "PASS: $*"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

# run_as USER CMD...: CMD as USER ("" = as we are)
run_as() {
	local user=$1
	shift
	if [[ -z $user ]]; then
		timeout "$timeout_s" "$@"
	else
		timeout "$timeout_s" setpriv --reuid="$user" --regid=nogroup --clear-groups -- "$@"
	fi
}

# kill_daemons DIR: lscad runs in its own session, so a timeout that stops
# lscactl leaves it behind; ours are those whose runtime directory is in DIR.
kill_daemons() {
	local cmd pid
	for cmd in /proc/[0-9]*/cmdline; do
		pid=${cmd#/proc/}
		pid=${pid%/cmdline}
		if tr '\0' ' ' <"$cmd" 2>/dev/null | grep -qF -- "--socket $1/"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
}

# proxied COUNT of syscall NAME in summary file F (0 when it has no row)
proxied() {
	awk -v n="$1" '$1 == n { p = $4 } END { print p + 0 }' "$2"
}

# check_user LABEL USER: the native run and the shim run of USER agree
check_user() {
	local label=$1 user=$2 d="$work/$1" rc_native=0 rc_shim=0 name n
	local native="$d/native.out" shim="$d/shim.out" summary="$d/shim/summary"

	mkdir -p "$d/native" "$d/shim" "$d/rt"
	if [[ -n $user ]]; then
		chown "$user:nogroup" "$d/native" "$d/shim" "$d/rt"
		if ! run_as "$user" test -w "$d/native" -a -x "$d/native"; then
			fail "$label: cannot use $d/native (is every directory above it searchable?)"
			return
		fi
	fi
	run_as "$user" "$prog" "$d/native" >"$native" 2>"$d/native.err" || rc_native=$?
	# lscactl makes its runtime directory (and lscad's socket) in $d/rt
	XDG_RUNTIME_DIR=$d/rt run_as "$user" "$lscactl" run --summary-file "$summary" \
		-- "$prog" "$d/shim" >"$shim" 2>"$d/shim.err" || rc_shim=$?
	if ((rc_shim == 124)); then
		kill_daemons "$d/rt"
	fi

	if ((rc_native != 0)); then
		fail "$label: native run exited $rc_native: $(head -c 400 "$d/native.err")"
		return
	fi
	if ((rc_shim == 124)); then
		fail "$label: run under lscactl did not end within ${timeout_s}s (lscad hung?)"
	elif ((rc_shim != 0)); then
		fail "$label: run under lscactl exited $rc_shim: $(head -c 400 "$d/shim.err")"
	else
		pass "$label: run under lscactl exited 0"
	fi
	if diff -u --label "native ($label)" --label "lscactl run ($label)" \
		"$native" "$shim" >"$d/diff"; then
		pass "$label: $(wc -l <"$native") cases, native and proxied outputs are identical"
	else
		fail "$label: native and proxied outputs differ:"
		cat "$d/diff"
	fi
	if [[ ! -s $summary ]]; then
		fail "$label: lscactl wrote no summary to $summary"
		return
	fi
	for name in openat read newfstatat; do
		n=$(proxied "$name" "$summary")
		if ((n > 0)); then
			pass "$label: $name proxied $n times"
		else
			fail "$label: $name never proxied; summary:"
			cat "$summary"
		fi
	done
}

check_user "$(id -un)" ""
if (($(id -u) == 0)); then
	if id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null; then
		check_user nobody nobody
	else
		echo "test_errno: no user nobody or group nogroup, the unprivileged runs are skipped"
	fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
