#!/bin/sh
# Builds the client suite for both ABIs:
#   Tests/CSuite/build.sh [BUILD_DIR]      (default /tmp/i2osim-csuite)
# -> BUILD_DIR/i2o-suite (x86_64, I2OPASSTHRU) and BUILD_DIR/i2o-suite32 (i386, I2OPASSTHRU32),
# each from every .c file here (the program, the harness, the shared state, the sections), and
# BUILD_DIR/i2o-suite-static (x86_64, statically linked: a client the preload library cannot
# reach, served only through CUSE).
# Run from anywhere; needs gcc (or $CC) with multilib for -m32.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-/tmp/i2osim-csuite}
cc=${CC:-cc}
flags="-std=gnu11 -O1 -Wall -Wextra -Werror -pthread -I$root/include"
mkdir -p "$out"
$cc $flags -m64 -o "$out/i2o-suite" "$here"/*.c
$cc $flags -m32 -o "$out/i2o-suite32" "$here"/*.c
$cc $flags -m64 -static -o "$out/i2o-suite-static" "$here"/*.c
echo "built $out/i2o-suite $out/i2o-suite32 $out/i2o-suite-static"
