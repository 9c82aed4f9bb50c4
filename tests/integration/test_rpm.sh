#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_rpm.sh - lsca.spec builds with `rpmbuild -ba` (scripts/rpm.sh); the
# lsca and lsca-devel packages hold exactly the intended files, with the
# intended modes and %config flags; the scriptlets are valid POSIX sh
# (dash); rpmlint reports no error that lsca.rpmlintrc does not explain; and
# `systemd-analyze verify --man=no --root=...` prints nothing for every
# shipped unit and for the per-service drop-in on a unit (after checking
# that it does print something for a bad key, so silence means something).
#
# Exit: 0 pass, 1 fail, 77 cannot run here.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v rpmbuild >/dev/null || skip "rpmbuild missing (scripts/deps.sh installs the rpm package)"
command -v rpm2cpio >/dev/null && command -v cpio >/dev/null ||
	skip "rpm2cpio or cpio missing (scripts/deps.sh installs them)"
scratch

out=$LSCA_BUILD/rpm-test
"$LSCA_SRC/scripts/rpm.sh" "$out" >"$WORK/built" || fail "scripts/rpm.sh failed"
main=$(grep -E '/lsca-[0-9][^/]*\.rpm$' "$WORK/built" | grep -v '\.src\.rpm$' || true)
devel=$(grep -E '/lsca-devel-[0-9][^/]*\.rpm$' "$WORK/built" || true)
srpm=$(grep -E '\.src\.rpm$' "$WORK/built" || true)
[ -f "$main" ] && [ -f "$devel" ] && [ -f "$srpm" ] ||
	{ cat "$WORK/built"; fail "rpmbuild -ba did not make lsca, lsca-devel and the source RPM"; }
grep -q '100% tests passed' "$out/rpmbuild.log" || fail "%check did not run the unit tests"

# ---- exactly the intended files ----
libdir=$(rpm --eval '%{_libdir}')
unitdir=$(rpm --eval '%{?_unitdir}%{!?_unitdir:/usr/lib/systemd/system}')
# Left out of the comparison: build-id links (their names are hashes), the
# compression suffix of man pages (openEuler compresses, Debian's rpm does
# not) and the version in doc directories (Debian's rpm names them N-V).
normalise() {
	rpm -qlp "$1" | grep -v '^/usr/lib/\.build-id' |
		sed -E -e 's/\.(gz|bz2|xz|zst)$//' \
			-e 's#^/usr/share/(doc|licenses)/(lsca(-devel)?)-[0-9][^/]*#/usr/share/\1/\2#' |
		LC_ALL=C sort
}
expect_main() {
	cat <<EOF
/etc/lsca
/etc/lsca/lscad.yaml
/usr/bin/lscactl
$unitdir/lscad.service
$unitdir/lscad.socket
$libdir/liblsca-shim.so
$libdir/lsca
$libdir/lsca/ld.so.preload.d
$libdir/lsca/ld.so.preload.d/lsca.conf
$libdir/lsca/plugins
$libdir/lsca/plugins/audit.so
$libdir/lsca/plugins/example.so
$libdir/lsca/plugins/fault.so
$libdir/lsca/plugins/policy.so
$libdir/lsca/systemd
$libdir/lsca/systemd/50-lsca.conf
/usr/sbin/lscad
/usr/share/doc/lsca
/usr/share/doc/lsca/README.md
/usr/share/doc/lsca/admin-guide.md
/usr/share/doc/lsca/interception.md
/usr/share/doc/lsca/plugins
/usr/share/doc/lsca/plugins/audit.md
/usr/share/doc/lsca/plugins/example.md
/usr/share/doc/lsca/plugins/fault.md
/usr/share/doc/lsca/plugins/policy.md
/usr/share/licenses/lsca
/usr/share/licenses/lsca/LICENSE
/usr/share/man/man5/lscad.yaml.5
/usr/share/man/man8/lscactl.8
/usr/share/man/man8/lscad.8
/var/log/lsca
EOF
}
expect_devel() {
	cat <<EOF
/usr/include/lsca
/usr/include/lsca/plugin.h
$libdir/pkgconfig/lsca-plugin.pc
/usr/share/doc/lsca-devel
/usr/share/doc/lsca-devel/example.c
/usr/share/doc/lsca-devel/plugin-guide.md
/usr/share/man/man3/lsca-plugin.3
EOF
}
for pkg in main devel; do
	rpmfile=$main
	[ "$pkg" = devel ] && rpmfile=$devel
	normalise "$rpmfile" >"$WORK/$pkg.got"
	"expect_$pkg" | LC_ALL=C sort >"$WORK/$pkg.want"
	diff -u "$WORK/$pkg.want" "$WORK/$pkg.got" ||
		fail "$(basename "$rpmfile") does not hold exactly the intended files (- intended, + packaged); update lsca.spec or this list"
done

# modes, owners and %config flags that matter
attrs() {
	rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]' "$1"
}
attrs "$main" >"$WORK/attrs"
attrs "$devel" >>"$WORK/attrs"
has_attr() { # REGEX WHY
	grep -Eq "$1" "$WORK/attrs" || { cat "$WORK/attrs" >&2; fail "$2"; }
}
has_attr '^-rw-r--r-- root:root cn /etc/lsca/lscad\.yaml$' "lscad.yaml is not %config(noreplace) 0644"
has_attr "^drwxr-x--- root:root +/var/log/lsca$" "/var/log/lsca is not root's 0750 directory"
has_attr "^-rwxr-xr-x root:root +$libdir/liblsca-shim\\.so$" "the shim is not 0755"
has_attr "^-rwxr-xr-x root:root +/usr/sbin/lscad$" "lscad is not 0755"
has_attr "^-rw-r--r-- root:root +/usr/include/lsca/plugin\\.h$" "plugin.h is not 0644"
if grep -E '^[-d]' "$WORK/attrs" | grep -Ev ' root:root ' | grep -v '/usr/lib/\.build-id'; then
	fail "files not owned by root"
fi
# the snippet and the drop-in name the installed shim
payload=$WORK/payload
mkdir "$payload"
(cd "$payload" && rpm2cpio "$main" | cpio -idm --quiet && rpm2cpio "$devel" | cpio -idm --quiet)
[ "$(cat "$payload$libdir/lsca/ld.so.preload.d/lsca.conf")" = "$libdir/liblsca-shim.so" ] ||
	fail "the preload snippet does not hold exactly the shim's path"
grep -qxF "Environment=\"LD_PRELOAD=$libdir/liblsca-shim.so\"" "$payload$libdir/lsca/systemd/50-lsca.conf" ||
	fail "the drop-in template does not preload the installed shim"
grep -qxF "ExecStart=/usr/sbin/lscad" "$payload$unitdir/lscad.service" ||
	fail "lscad.service does not start the installed lscad"
grep -q "^plugindir=$libdir/lsca/plugins$" "$payload$libdir/pkgconfig/lsca-plugin.pc" ||
	fail "lsca-plugin.pc does not name the installed plugin directory"

# ---- scriptlets: POSIX sh ----
shell=sh
command -v dash >/dev/null && shell=dash
for tag in PREIN POSTIN PREUN POSTUN; do
	rpm -qp --qf "%{$tag}\n" "$main" >"$WORK/$tag.sh"
	prog=$(rpm -qp --qf "%{${tag}PROG}\n" "$main")
	[ "$(cat "$WORK/$tag.sh")" = "(none)" ] && continue
	[ "$prog" = /bin/sh ] || fail "%$tag runs under $prog, not /bin/sh"
	"$shell" -n "$WORK/$tag.sh" || fail "%$tag is not valid $shell"
	! grep -nE '&>|\[\[|function |\$\{[a-zA-Z_]+//|echo -e' "$WORK/$tag.sh" ||
		fail "%$tag uses a bashism"
done
grep -q 'ld.so.preload' "$WORK/PREUN.sh" || fail "%preun does not clean /etc/ld.so.preload"

# ---- rpmlint: no error lsca.rpmlintrc does not explain ----
if command -v rpmlint >/dev/null; then
	rpmlint --ignore-unused-rpmlintrc -r "$LSCA_SRC/lsca.rpmlintrc" "$LSCA_SRC/lsca.spec" \
		"$main" "$devel" "$srpm" >"$WORK/rpmlint" 2>&1 || true
	if grep -E ': E: ' "$WORK/rpmlint"; then
		fail "rpmlint errors that lsca.rpmlintrc does not explain (above)"
	fi
	grep -E 'errors?, [0-9]+ warnings?' "$WORK/rpmlint" || true
else
	echo "note: rpmlint is not installed; its check was left out"
fi

# ---- systemd-analyze verify: silent on every shipped unit and the drop-in ----
command -v systemd-analyze >/dev/null ||
	skip "systemd-analyze missing (package systemd): the units were not verified"
# A root with the payload, this system's units (targets the units name) and
# the programs they run.
vroot=$WORK/vroot
mkdir -p "$vroot/usr/lib/systemd/system" "$vroot/usr/bin" "$vroot/etc/systemd/system"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$vroot/$d"; done
cp -a "$payload/." "$vroot/"
for d in /usr/lib/systemd/system /lib/systemd/system; do
	[ -d "$d" ] && cp -an "$d/." "$vroot/usr/lib/systemd/system/"
done
kill_bin=$(sed -n 's/^ExecReload=\([^ ]*\).*/\1/p' "$payload$unitdir/lscad.service")
[ -x "$kill_bin" ] || fail "lscad.service's ExecReload= program $kill_bin does not exist here"
cp "$kill_bin" "$vroot/usr/bin/"
# the drop-in on a unit, as `lscactl enable` puts it
printf '[Unit]\nDescription=a served unit\n\n[Service]\nExecStart=/usr/bin/kill -0 1\n' \
	>"$vroot/etc/systemd/system/served.service"
mkdir "$vroot/etc/systemd/system/served.service.d"
cp "$payload$libdir/lsca/systemd/50-lsca.conf" "$vroot/etc/systemd/system/served.service.d/"
verify() {
	systemd-analyze verify --man=no --root="$vroot" "$@" 2>&1 || echo "(exit status $?)"
}
# the verifier speaks up on a bad key, so its silence below counts
cp "$vroot/etc/systemd/system/served.service.d/50-lsca.conf" "$WORK/dropin"
echo 'NoSuchKey=1' >>"$vroot/etc/systemd/system/served.service.d/50-lsca.conf"
[ -n "$(verify served.service)" ] || fail "systemd-analyze verify says nothing about an unknown key"
cp "$WORK/dropin" "$vroot/etc/systemd/system/served.service.d/50-lsca.conf"
for unit in lscad.service lscad.socket served.service; do
	msg=$(verify "$unit")
	[ -z "$msg" ] || { echo "$msg"; fail "systemd-analyze verify $unit is not silent"; }
done
echo "rpm: $(basename "$main") $(basename "$devel") $(basename "$srpm"): files, modes, scriptlets, rpmlint and units checked"
