#!/usr/bin/env bash
# Installs what the web tier needs, if it is missing (idempotent; .ci/run and the tier call it):
#   chromium            Debian's browser, driven headless (no browser is downloaded)
#   python3-venv        a virtualenv for Playwright, in .build/web-venv (nothing installed system-wide)
#   playwright (PyPI)   the Python driver only; it is pointed at /usr/bin/chromium, never `playwright install`
# Prints the venv's python on its last line.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$root/.build/web-venv
want=(chromium python3-venv)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "web setup: installing ${missing[*]} (apt)" >&2
  $sudo apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi
[ -x /usr/bin/chromium ] || { echo "web setup: /usr/bin/chromium is missing after installing chromium" >&2; exit 1; }
if ! "$venv/bin/python" -c 'import playwright' 2>/dev/null; then
  echo "web setup: installing playwright into $venv (pip)" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q playwright >&2
fi
echo "$venv/bin/python"
