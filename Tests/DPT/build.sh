#!/bin/sh
# Builds the DPT test client for both ABIs:
#   Tests/DPT/build.sh [BUILD_DIR]     (default /tmp/i2osim-dpt)
# -> BUILD_DIR/dpt-client32 (i386: the raidutil sequence through PASSTHRU32) and
#    BUILD_DIR/dpt-client (x86_64: only the 'D' ioctls, -e).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/i2osim-dpt}
cc=${CC:-cc}
flags="-std=gnu11 -O1 -Wall -Wextra -Werror"
mkdir -p "$out"
$cc $flags -m32 -o "$out/dpt-client32" "$here/dpt-client.c"
$cc $flags -m64 -o "$out/dpt-client" "$here/dpt-client.c"
echo "built $out/dpt-client32 $out/dpt-client"
