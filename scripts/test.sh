#!/usr/bin/env bash
# test.sh - install what is missing, build, and run every test (ctest ends
# with its "N% tests passed, N tests failed out of N" line).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure --timeout 600 "$@"
