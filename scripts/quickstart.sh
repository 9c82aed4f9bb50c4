#!/usr/bin/env bash
# quickstart.sh - install what is missing, build, and run a real program
# under LSCA with `lscactl run` (a private daemon; nothing is installed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
"$root/scripts/build.sh" >/dev/null
echo "== lscactl run -- sh -c 'cp -r src \$demo && ls -lR \$demo | head && rm -r \$demo'"
cd "$root"
# shellcheck disable=SC2016 # expanded by the inner sh
exec build/bin/lscactl run -- sh -c \
	'demo=$(mktemp -d) && cp -r src "$demo" && ls -lR "$demo" | head -n 12 && rm -r "$demo"'
