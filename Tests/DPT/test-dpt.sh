#!/bin/sh
# Adaptec/DPT firmware through the preload transport: the raidutil-style client
# (Tests/DPT/dpt-client.c, i386, PASSTHRU32) against the default fixture, the two-array
# fixture, a degraded array and a controller whose every message fails; the 'D' ioctls in
# both ABIs; and a mismatch the client must catch. Prints "N passed, N failed".
#
#   Tests/DPT/test-dpt.sh [I2OSIM]      (default: SwiftPM's debug i2osim)
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
i2osim=${1:-$(cd "$repo" && swift build --show-bin-path)/i2osim}
bindir=$(dirname "$i2osim")
work=$(mktemp -d /tmp/i2osim-dpt.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }

[ -x "$i2osim" ] || { echo "no i2osim at $i2osim (swift build first)"; echo "0 passed, 1 failed"; exit 1; }
"$repo/Sources/CPreload/build.sh" "$bindir" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
"$repo/Tests/DPT/build.sh" "$work" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

# run NAME FIXTURE: expectations from `show --json`, then the client under `i2osim run`.
run() {
    name=$1 fixture=$2
    "$i2osim" show --json "$fixture" | "$repo/Tests/DPT/expect.py" >"$work/$name.x" || { fail "$name: expectations"; return; }
    out=$("$i2osim" run --fixture "$fixture" -- "$work/dpt-client32" -x "$work/$name.x" 2>&1)
    rc=$?
    last=$(printf '%s\n' "$out" | tail -1)
    if [ $rc -eq 0 ] && printf '%s' "$last" | grep -q ' 0 failed$'; then ok "$name: $last"
    else printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; fail "$name: rc $rc, $last"; fi
}

run default "$repo/fixtures/default.yaml"
run two-arrays "$repo/fixtures/adaptec-2-arrays.yaml"
run degraded "$repo/Tests/DPT/fixtures/degraded.yaml"
run failing "$repo/Tests/DPT/fixtures/failing.yaml"

for abi in 32 64; do
    client="$work/dpt-client"; [ $abi = 32 ] && client="$work/dpt-client32"
    last=$("$i2osim" run -- "$client" -e 2>&1 | tail -1)
    if [ "$last" = "4 passed, 0 failed" ]; then ok "'D' ioctls 72/75/79 give EINVAL ($abi-bit)"
    else fail "'D' ioctls ($abi-bit): $last"; fi
done

# The client must notice when the controller is not what the expectations say.
"$i2osim" run --fixture "$repo/fixtures/default.yaml" -- "$work/dpt-client32" -x "$work/two-arrays.x" >"$work/mismatch.out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q 'FAIL - controller' "$work/mismatch.out"; then ok "a mismatching fixture is caught"
else fail "mismatch not caught (rc $rc)"; fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
