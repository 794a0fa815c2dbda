#!/bin/sh
# Builds the hostile client (Tests/hardening/hostile.c) 64- and 32-bit into DIR.
#   Tests/hardening/build.sh DIR   -> DIR/hostile, DIR/hostile32
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh DIR}
mkdir -p "$out"
cc=${CC:-cc}
flags="-std=gnu11 -O1 -Wall -Wextra -Werror -I$here/../../include"
$cc $flags -m64 -o "$out/hostile" "$here/hostile.c"
$cc $flags -m32 -o "$out/hostile32" "$here/hostile.c"
