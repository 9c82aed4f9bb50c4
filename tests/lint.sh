#!/usr/bin/env bash
# lint.sh - every C file is clang-formatted, and cppcheck and clang-tidy
# (default checks, see .clang-tidy) report nothing. Skips (77) where the
# tools are missing or of another major version than the style was set with.
set -euo pipefail
src=${LSCA_SRC:?}
build=${LSCA_BUILD:?}
cd "$src"
for tool in clang-format cppcheck clang-tidy; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
clang-format --version | grep -q 'version 14\.' ||
	{ echo "SKIP: .clang-format was set with clang-format 14"; exit 77; }
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find src tests include -name '*.[ch]')
failed=0
for f in "${files[@]}"; do
	clang-format --dry-run -Werror "$f" 2>/dev/null || { echo "not formatted: $f"; failed=1; }
done
cppcheck --quiet --enable=warning,performance,portability --std=c11 -D_GNU_SOURCE -Iinclude \
	-Isrc/common --suppress=missingIncludeSystem --error-exitcode=1 src tests || failed=1
mapfile -t cfiles < <(printf '%s\n' "${files[@]}" | grep '\.c$' | grep -v '^bench/')
out=$(clang-tidy -p "$build" --quiet "${cfiles[@]}" 2>/dev/null | grep -E 'warning:|error:' || true)
[ -z "$out" ] || { echo "$out"; failed=1; }
if [ "$failed" != 0 ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
