#!/usr/bin/env bash
# The package tier: builds the Debian package (scripts/package), installs it with `dpkg -i` into a
# fresh Debian root made by debootstrap, where there is no Swift, and runs inside that root (chroot)
#   i2osim --version, i2osim show, man -w i2osim (and a subcommand's page),
#   i2osim run -- i2o-suite          the rootless form of docs/ci.md, the C suite must pass,
#   i2osim serve --socket … --ready-file …   a script waiting for the ready file, as docs/ci.md does,
# and checks that nothing of a Swift toolchain is in the root.
#
#   Tests/package/test-package.sh
#
# Needs root (debootstrap, chroot, mounts). The base root (Debian bookworm minbase with libfuse3-3
# and man-db) is made once and cached as a tarball in ~/.cache/i2osim; later runs unpack it.
# I2OSIM_DEBIAN_MIRROR picks the mirror (default: deb.debian.org). If debootstrap cannot reach a
# mirror, this fails and says why: it never passes without having installed the package.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
fail() { echo "package tier: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot and mounts); run it as root"

suite=bookworm
mirror=${I2OSIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/i2osim
base=$cache/debian-$suite-minbase-fuse-man.tar
work=$root/.build/package-test
chroot_dir=$work/root

# 1. The package.
scripts/package "$work/out" >"$work.package.log" 2>&1 || { tail -n 40 "$work.package.log"; fail "scripts/package failed (log: $work.package.log)"; }
deb=$(tail -n 1 "$work.package.log")
[ -f "$deb" ] || fail "scripts/package did not name a package (log: $work.package.log)"
echo "package: $deb"
grep -A 3 '^== lintian' "$work.package.log" || true

# 2. The C suite, built here (the root has no compiler).
Tests/CSuite/build.sh "$work/csuite" >/dev/null || fail "the C suite did not build (Tests/CSuite/build.sh)"

# Whatever is mounted below DIR (a debootstrap cut short leaves /proc and /sys), deepest first.
unmount_under() {
    local m
    for m in $(awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m" || true; done
}

# 3. A clean Debian root: made by debootstrap once, then unpacked from the cache.
if [ ! -f "$base" ]; then
    command -v debootstrap >/dev/null || apt-get install -y debootstrap >/dev/null ||
        fail "debootstrap is missing and apt-get could not install it"
    mkdir -p "$cache"
    fresh=$work/debootstrap
    unmount_under "$fresh"; rm -rf --one-file-system "$fresh"
    echo "package: debootstrap $suite from $mirror (once; cached as $base)"
    if ! debootstrap --variant=minbase --include=libfuse3-3,man-db "$suite" "$fresh" "$mirror" >"$work.debootstrap.log" 2>&1; then
        tail -n 15 "$work.debootstrap.log" >&2
        [ -f "$fresh/debootstrap/debootstrap.log" ] && tail -n 15 "$fresh/debootstrap/debootstrap.log" >&2
        unmount_under "$fresh"; rm -rf --one-file-system "$fresh"
        fail "debootstrap could not make a Debian root from $mirror (above; set I2OSIM_DEBIAN_MIRROR for another mirror): the package was NOT tested"
    fi
    tar -C "$fresh" --numeric-owner -cf "$base.tmp" . && mv -f "$base.tmp" "$base"
    unmount_under "$fresh"; rm -rf --one-file-system "$fresh"
fi

cleanup() { unmount_under "$chroot_dir"; rm -rf --one-file-system "$chroot_dir"; }
trap cleanup EXIT
cleanup
mkdir -p "$chroot_dir"
tar -C "$chroot_dir" --numeric-owner -xpf "$base" || fail "cannot unpack $base (delete it to make it anew)"
mount -t proc proc "$chroot_dir/proc" || fail "cannot mount /proc in the root"
mount --bind /dev "$chroot_dir/dev" || fail "cannot bind /dev into the root"
in_root() { chroot "$chroot_dir" env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TMPDIR=/tmp LANG=C.UTF-8 "$@"; }

# 4. No Swift there, before and after the install.
no_swift() {
    local found
    found=$(find "$chroot_dir" -xdev \( -name 'libswift*' -o -name 'swift' -o -name 'swiftc' -o -name 'libFoundation*.so' \) -print | head)
    [ -z "$found" ] || fail "the root holds Swift ($1): $found"
}
no_swift "before the install"

# 5. Install.
cp "$deb" "$chroot_dir/tmp/"
in_root dpkg -i "/tmp/$(basename "$deb")" || fail "dpkg -i $(basename "$deb") failed in the clean root"
no_swift "after the install"
cp "$work/csuite/i2o-suite" "$chroot_dir/usr/local/bin/i2o-suite"

# 6. Use it.
rc=0
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; rc=1; fi; }
check "no missing libraries (ldd)" sh -c "! chroot '$chroot_dir' ldd /usr/bin/i2osim | grep -i 'not found\|swift'"
check "i2osim --version" in_root i2osim --version
check "i2osim show" sh -c "chroot '$chroot_dir' env -i PATH=/usr/bin:/bin i2osim show >/dev/null"
check "man -w i2osim" in_root man -w i2osim
check "man -w i2osim.serve" in_root man -w i2osim.serve
check "the unit and the udev rule" test -f "$chroot_dir/lib/systemd/system/i2osim.service" -a -f "$chroot_dir/lib/udev/rules.d/60-i2osim.rules"
check "bash completion" test -s "$chroot_dir/usr/share/bash-completion/completions/i2osim"
# docs/ci.md's rootless form, word for word but for the client: run the tests with the device, keep a trace.
check "i2osim run --trace i2o.trace -- i2o-suite" in_root sh -c \
    'cd /root && { i2osim run --trace i2o.trace -- i2o-suite >suite.out 2>&1 || { tail -n 30 suite.out; exit 1; }; } && tail -n 1 suite.out'
check "i2osim trace show i2o.trace (a line per request)" sh -c "test \$(chroot '$chroot_dir' env -i PATH=/usr/bin:/bin sh -c 'cd /root && i2osim trace show i2o.trace' | wc -l) -gt 100"
# The ready-file wait of docs/ci.md, with the socket transport (the root has no CUSE).
ready_check() {
    in_root sh -c '
        i2osim serve --socket /tmp/i2o.sock --ready-file /tmp/i2osim.ready >/tmp/serve.out 2>/tmp/serve.err &
        pid=$!
        timeout 30 sh -c "until [ -e /tmp/i2osim.ready ]; do sleep 0.1; done" || { echo "no ready file in 30 s"; cat /tmp/serve.err; kill $pid; exit 1; }
        grep -qx /tmp/i2o.sock /tmp/i2osim.ready || { echo "ready file holds: $(cat /tmp/i2osim.ready)"; kill $pid; exit 1; }
        eval "$(head -n 1 /tmp/serve.out)"
        i2o-suite >/tmp/suite.out 2>&1 || { tail -n 20 /tmp/suite.out; kill $pid; exit 1; }
        unset LD_PRELOAD
        kill $pid; wait $pid
        [ ! -e /tmp/i2osim.ready ] || { echo "the ready file outlived serve"; exit 1; }'
}
check "serve --socket --ready-file, then the suite" ready_check
[ $rc = 0 ] || fail "the installed package failed the checks above"
echo "package tier: the package installs and runs in a Debian root without Swift"
