#!/bin/sh
# Builds the preload library, 64- and 32-bit, into OUTDIR (default: SwiftPM's debug bin dir,
# next to the i2osim binary, where `i2osim run` looks first).
#
#   OUTDIR/libi2osim-preload.so      x86_64 (lp64)
#   OUTDIR/libi2osim-preload32.so    i386 (ilp32) — skipped with a note when -m32 cannot link
#   OUTDIR/i2osim-preload/$PLATFORM/libi2osim-preload.so   links for LD_PRELOAD's $PLATFORM
#       (x86_64, haswell, xeon_phi -> 64-bit; i386..i686 -> 32-bit), so one LD_PRELOAD value
#       serves both kinds of process without the loader's "wrong ELF class" message.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-}
if [ -z "$out" ]; then
    out=$(cd "$here/../.." && swift build --show-bin-path 2>/dev/null || echo "$here/../../.build/debug")
fi
mkdir -p "$out"
cc=${CC:-cc}
flags="-shared -fPIC -O2 -Wall -Wextra -Werror -U_FORTIFY_SOURCE -fvisibility=hidden"
set -- "$here"/*.c   # every .c here is part of the library (preload-internal.h lists them)
$cc $flags -o "$out/libi2osim-preload.so.tmp.$$" "$@" -ldl -lpthread
mv -f "$out/libi2osim-preload.so.tmp.$$" "$out/libi2osim-preload.so"
have32=0
if $cc $flags -m32 -o "$out/libi2osim-preload32.so.tmp.$$" "$@" -ldl -lpthread 2>"$out/.preload32.log"; then
    mv -f "$out/libi2osim-preload32.so.tmp.$$" "$out/libi2osim-preload32.so"
    have32=1
    rm -f "$out/.preload32.log"
else
    echo "note: 32-bit preload library not built (install gcc-multilib); see $out/.preload32.log" >&2
fi
for p in x86_64 haswell xeon_phi; do
    mkdir -p "$out/i2osim-preload/$p"
    ln -sfn ../../libi2osim-preload.so "$out/i2osim-preload/$p/libi2osim-preload.so"
done
if [ $have32 = 1 ]; then
    for p in i386 i486 i586 i686; do
        mkdir -p "$out/i2osim-preload/$p"
        ln -sfn ../../libi2osim-preload32.so "$out/i2osim-preload/$p/libi2osim-preload.so"
    done
fi
echo "$out"
