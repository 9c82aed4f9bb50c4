#!/usr/bin/env bash
# rpm.sh - build the lsca and lsca-devel RPMs (and the source RPM) with
# `rpmbuild -ba lsca.spec` from a tarball of the git tree.
#
#   scripts/rpm.sh [--head] [OUTDIR]     (default OUTDIR: build/rpm)
#
# The tarball holds the files git knows of: tracked ones as they are in the
# work tree, plus untracked ones that are not ignored (so an uncommitted
# change is what gets packaged, as `cmake --build` would build it); with
# --head, exactly the committed HEAD (`git archive HEAD`). RPMs land in
# OUTDIR/RPMS/ARCH/, the source RPM in OUTDIR/SRPMS/. On a system whose rpm
# database does not hold the build dependencies (Debian), rpmbuild runs with
# --nodeps. Prints the built packages' paths.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
head=0
if [ "${1:-}" = --head ]; then
	head=1
	shift
fi
out=$(mkdir -p "${1:-$root/build/rpm}" && cd "${1:-$root/build/rpm}" && pwd)
command -v rpmbuild >/dev/null || { echo "rpm.sh: rpmbuild missing (package rpm, or rpm-build)" >&2; exit 1; }
spec=$root/lsca.spec
name=$(sed -n 's/^Name:[[:space:]]*//p' "$spec")
version=$(sed -n 's/^Version:[[:space:]]*//p' "$spec")
prefix=$name-$version

rm -rf "$out"/{BUILD,BUILDROOT,RPMS,SRPMS,SOURCES,SPECS}
mkdir -p "$out"/{BUILD,BUILDROOT,RPMS,SRPMS,SOURCES,SPECS}
tarball=$out/SOURCES/$prefix.tar.gz
cd "$root"
if [ "$head" = 1 ]; then
	git archive --format=tar.gz --prefix="$prefix/" -o "$tarball" HEAD
else
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir "$stage/$prefix"
	# files git knows of that exist (a tracked file may be deleted)
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$stage/$prefix"
	tar -C "$stage" --owner=0 --group=0 -czf "$tarball" "$prefix"
fi
cp "$spec" "$out/SPECS/"

# the package builds and tests itself: no test harness settings leak in
for v in $(compgen -e | grep '^LSCA_' || true); do unset "$v"; done
nodeps=()
# Debian's rpm database is empty: BuildRequires cannot be satisfied there.
if ! rpm -q --whatprovides cmake >/dev/null 2>&1; then
	nodeps=(--nodeps)
fi
rpmbuild -ba "${nodeps[@]}" --define "_topdir $out" "$out/SPECS/lsca.spec" >"$out/rpmbuild.log" 2>&1 || {
	tail -n 60 "$out/rpmbuild.log" >&2
	echo "rpm.sh: rpmbuild failed; the whole log is $out/rpmbuild.log" >&2
	exit 1
}
find "$out/RPMS" "$out/SRPMS" -name '*.rpm' | sort
