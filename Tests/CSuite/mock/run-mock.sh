#!/bin/sh
# Runs both suite builds against the LD_PRELOAD mock (a development aid, not the simulator):
#   Tests/CSuite/mock/run-mock.sh [BUILD_DIR]     (default /tmp/i2osim-csuite)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:-/tmp/i2osim-csuite}
"$here/../build.sh" "$out"
flags="-std=gnu11 -O1 -Wall -Wextra -Werror -pthread -shared -fPIC -I$root/include"
cc=${CC:-cc}
$cc $flags -m64 -o "$out/i2o-mock.so" "$here/i2o-mock.c" -ldl
$cc $flags -m32 -o "$out/i2o-mock32.so" "$here/i2o-mock.c" -ldl
rc=0
echo "== x86_64"; LD_PRELOAD="$out/i2o-mock.so" "$out/i2o-suite" -d /mock/i2o/ctl -t 20 || rc=1
echo "== i386"; LD_PRELOAD="$out/i2o-mock32.so" "$out/i2o-suite32" -d /mock/i2o/ctl -t 20 || rc=1
exit $rc
