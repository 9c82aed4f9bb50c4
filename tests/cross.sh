#!/usr/bin/env bash
# cross.sh - aarch64 (Kunpeng) is first-class: the shim and the daemon's data
# plane build from the target's own syscall headers (only the *at forms
# exist there), the shim exports the same symbols, and the ring's stress runs
# under qemu-aarch64. Skips (77) without the cross compiler or qemu-user.
# qemu on an x86 host does not reproduce aarch64's weak memory ordering: this
# proves the code builds and runs there, not that its ordering is right.
set -euo pipefail
src=${LSCA_SRC:?}
build=${LSCA_BUILD:?}
cc=aarch64-linux-gnu-gcc
for tool in "$cc" aarch64-linux-gnu-nm qemu-aarch64; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
out=$build/aarch64
mkdir -p "$out"
cd "$src"
flags=(-std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -fPIC -pthread -Iinclude -Isrc/common)
common=(src/common/fdpass.c src/common/req.c src/common/ring.c src/common/sysdesc.c)
failed=0

"$cc" "${flags[@]}" -shared -fvisibility=hidden -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0 \
	-ftls-model=initial-exec -Wl,--version-script="$build/liblsca-shim.map" -Wl,-z,now \
	-o "$out/liblsca-shim.so" src/shim/*.c "${common[@]}" -ldl
if diff <(aarch64-linux-gnu-nm -D --defined-only "$out/liblsca-shim.so" | awk '{ print $3 }' | sort) \
	<(nm -D --defined-only "$build/lib/liblsca-shim.so" | awk '{ print $3 }' | sort); then
	echo "ok: aarch64 shim builds and exports the same symbols"
else
	echo "FAIL: aarch64 shim exports differ"
	failed=1
fi
for f in src/daemon/{client,creds,dispatch,exec,host,log,resolve,worker}.c; do
	"$cc" "${flags[@]}" -c -o "$out/$(basename "$f" .c).o" "$f" || failed=1
done
[ "$failed" = 0 ] && echo "ok: aarch64 daemon data plane builds"
"$cc" "${flags[@]}" -o "$out/ring_stress" tests/unit/ring_stress.c tests/unit/ring_stress_main.c \
	src/common/ring.c
if timeout 300 qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/ring_stress"; then
	echo "ok: ring stress under qemu-aarch64"
else
	echo "FAIL: ring stress under qemu-aarch64"
	failed=1
fi
if [ "$failed" != 0 ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "3 passed, 0 failed"
