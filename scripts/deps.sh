#!/usr/bin/env bash
# deps.sh - install what building and testing LSCA needs and is missing.
# Debian/Ubuntu: apt-get; openEuler/Fedora/RHEL: dnf. Idempotent: installs
# nothing when everything is there.
set -euo pipefail

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "deps.sh: need root (or sudo) to install: $*" >&2
		exit 1
	fi
}

if command -v apt-get >/dev/null; then
	pkgs=(gcc make cmake pkg-config libglib2.0-dev libsystemd-dev check libyaml-dev
		strace python3 util-linux coreutils tar findutils clang-format clang-tidy cppcheck
		gcc-aarch64-linux-gnu qemu-user git curl sqlite3
		rpm rpmlint cpio debootstrap systemd-container) # the RPM and its systemd test
	missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "deps.sh: installing ${missing[*]}"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
elif command -v dnf >/dev/null; then
	pkgs=(gcc make cmake pkgconf-pkg-config glib2-devel systemd-devel check-devel libyaml-devel
		libtsan strace python3 util-linux coreutils tar findutils git curl sqlite
		rpm-build cpio) # the RPM (the systemd e2e test needs debootstrap: skipped here)
	missing=()
	for p in "${pkgs[@]}"; do
		rpm -q "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "deps.sh: installing ${missing[*]}"
		as_root dnf install -y -q "${missing[@]}"
	fi
else
	echo "deps.sh: neither apt-get nor dnf found; install by hand: a C compiler, cmake," \
		"pkg-config, glib2, libsystemd, check, libyaml (development files), strace" >&2
	exit 1
fi
