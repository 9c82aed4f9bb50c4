#!/usr/bin/env bash
# build.sh - configure and build into ./build (warnings are errors).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build" -DLSCA_WERROR=ON >/dev/null
cmake --build "$root/build" -j"$(nproc)"
