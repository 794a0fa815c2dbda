#!/usr/bin/env bash
# The web tier: `i2osim web` through the preload library, in Debian's chromium (headless,
# Playwright from PyPI in .build/web-venv; Tests/web/setup.sh installs both when missing).
#
#   Tests/web/test-web.sh [I2OSIM]         (default: SwiftPM's debug i2osim)
#
# One `i2osim run` holds the machine; inside it `i2osim web --listen 127.0.0.1:PORT` serves the
# front end and Tests/web/test-web.py drives the browser (the browser itself without the preload
# library; parmget.py, which checks the device through I2OPARMGET, with it). Screenshots of the
# overview and a device page go to .build/web/ (docs/ holds copies). Fails loudly when the
# browser or Playwright cannot be set up.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
i2osim=${1:-$repo/.build/debug/i2osim}
out=$repo/.build/web
mkdir -p "$out"
[ -x "$i2osim" ] || { echo "web: no i2osim at $i2osim (swift build first)"; exit 1; }
"$repo/Sources/CPreload/build.sh" "$(dirname "$i2osim")" >/dev/null || { echo "web: the preload library did not build"; exit 1; }
python=$("$repo/Tests/web/setup.sh" | tail -n 1) || { echo "web: cannot set up chromium and Playwright (Tests/web/setup.sh failed)"; exit 1; }
[ -x "$python" ] || { echo "web: Tests/web/setup.sh gave no python ('$python')"; exit 1; }

# Inside `i2osim run`: start the front end on a free port, wait for its address, run the browser test.
inner=$(cat <<'INNER'
set -u
python=$1 i2osim=$2 out=$3 repo=$4
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$i2osim" web --listen "127.0.0.1:$port" >"$out/web.log" 2>&1 &
web=$!
for _ in $(seq 1 100); do grep -q '^web: http' "$out/web.log" && break; sleep 0.1; done
address=$(sed -n 's/^web: \(http[^ ]*\).*/\1/p' "$out/web.log")
if [ -z "$address" ]; then echo "web: i2osim web printed no address:"; cat "$out/web.log"; kill $web; exit 1; fi
echo "# $address"
I2OSIM_WEB_PRELOAD=$LD_PRELOAD env -u LD_PRELOAD "$python" "$repo/Tests/web/test-web.py" "$address" "$out"
rc=$?
kill -INT $web; wait $web
exit $rc
INNER
)
"$i2osim" run -- bash -c "$inner" web "$python" "$i2osim" "$out" "$repo"
