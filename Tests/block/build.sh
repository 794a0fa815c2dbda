#!/bin/sh
# Builds the block client into DIR (default .build/block): 64-bit, without PIE so its static
# buffers lie below 4 GiB (a simple SGL element carries a 32-bit address).
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$repo/.build/block}
mkdir -p "$out"
cc -O2 -Wall -Wextra -Werror -no-pie -I"$repo/include" -o "$out/block-client" "$repo/Tests/block/block-client.c"
echo "built $out/block-client"
