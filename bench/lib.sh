# SPDX-License-Identifier: MIT
# bench/lib.sh - what the benchmark scripts share (sourced, not run).
# The sourcing script sets ROOT, BUILD, DIR (a scratch directory) and NAME
# (its name, for messages).
# shellcheck shell=bash

say() {
	printf '%s: %s\n' "$NAME" "$*" >&2
}

# Run a build step quietly; show its output only when it fails.
quiet() {
	if ! "$@" >"$DIR/build.log" 2>&1; then
		cat "$DIR/build.log" >&2
		say "build failed: $*"
		exit 1
	fi
}

# Build LSCA in $BUILD unless NO_BUILD=1.
build_lsca() {
	if [[ ${NO_BUILD:-0} != 1 ]]; then
		say "building LSCA in $BUILD"
		if [[ ! -f $BUILD/CMakeCache.txt ]]; then
			quiet cmake -S "$ROOT" -B "$BUILD" -DLSCA_WERROR=ON
		fi
		quiet cmake --build "$BUILD" -j2
	fi
}
