#!/bin/sh
# Adaptec/DPT firmware through the preload transport: the raidutil-style client
# (Tests/DPT/dpt-client.c, i386, PASSTHRU32) against the default fixture, the two-array
# fixture, a degraded array and a controller whose every message fails; the 'D' ioctls in
# both ABIs; the same through dpt_i2o's node /dev/dpti0 alone (DPT_SIGNATURE probe, I2OUSRCMD,
# the dpti ioctls per personality; management through it alone); and a mismatch the client must catch. Prints "N passed, N failed".
#
#   Tests/DPT/test-dpt.sh [I2OSIM]      (default: SwiftPM's debug i2osim)
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"
find_i2osim "${1:-}"
work=$(mktemp -d /tmp/i2osim-dpt.XXXXXX)
trap 'rm -rf "$work"' EXIT

build_preload
"$repo/Tests/DPT/build.sh" "$work" >/dev/null || bail
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

# client_run LABEL ARGS…: the client under `i2osim ARGS…`; ok when it exits 0 and its last line
# says " 0 failed", else its lines other than ok shown as comments and a failure.
client_run() {
    label=$1; shift
    out=$("$i2osim" "$@" 2>&1)
    rc=$?
    last=$(printf '%s\n' "$out" | tail -1)
    if [ $rc -eq 0 ] && printf '%s' "$last" | grep -q ' 0 failed$'; then ok "$label: $last"
    else printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; fail "$label: rc $rc, $last"; fi
}
# run NAME FIXTURE: expectations from `show --json`, then the client under `i2osim run`.
run() {
    name=$1 fixture=$2
    "$i2osim" show --json "$fixture" | "$repo/Tests/DPT/expect.py" >"$work/$name.x" || { fail "$name: expectations"; return; }
    client_run "$name" run --fixture "$fixture" -- "$work/dpt-client32" -x "$work/$name.x"
}

# The machines, NAME:FIXTURE (a path in the repo), listed through each node.
machines="default:fixtures/default.yaml two-arrays:fixtures/adaptec-2-arrays.yaml
    degraded:Tests/DPT/fixtures/degraded.yaml failing:Tests/DPT/fixtures/failing.yaml"
for m in $machines; do run "${m%%:*}" "$repo/${m#*:}"; done

for abi in 32 64; do
    client="$work/dpt-client"; [ $abi = 32 ] && client="$work/dpt-client32"
    last=$("$i2osim" run -- "$client" -e 2>&1 | tail -1)
    if [ "$last" = "4 passed, 0 failed" ]; then ok "'D' ioctls 72/75/79 give EINVAL ($abi-bit)"
    else fail "'D' ioctls ($abi-bit): $last"; fi
done

# A machine driven by dpt_i2o: only /dev/dpti0 is served (no /dev/i2octl); the client finds the
# card by probing /dev/dpti0..17 with DPT_SIGNATURE and lists it through I2OUSRCMD.
rund() {
    client_run "$1 through /dev/dpti0" run --fixture "$2" --device /dev/dpti0 -- "$work/dpt-client32" -D -n -x "$work/$1.x"
}
for m in $machines; do rund "${m%%:*}" "$repo/${m#*:}"; done

# The dpt_i2o ioctls in both ABIs: documented (DPT_TARGET_BUSY answered) and a mainline kernel built
# for i386 (-k: EINVAL); an x86_64 kernel's compat switch knows only the 64-bit numbers, so there
# the 32-bit client finds no card and the 64-bit one does.
for abi in 32 64; do
    client="$work/dpt-client"; [ $abi = 32 ] && client="$work/dpt-client32"
    for p in documented linux-2.6.18-i386 linux-2.6.18; do
        k=; [ $p = documented ] || k=-k
        out=$("$i2osim" run --personality $p --device dpti0 -- "$client" -D -n $k -e 2>&1); last=$(printf '%s\n' "$out" | tail -1)
        want="9 passed, 0 failed"; [ $p = linux-2.6.18 ] && [ $abi = 32 ] && want="0 passed, 1 failed"
        if [ "$last" = "$want" ]; then ok "dpti0 ioctls, $p ($abi-bit): $last"
        else printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; fail "dpti0 ioctls, $p ($abi-bit): $last (expected $want)"; fi
    done
done

# Management through dpt_i2o's node alone: a RAID 5 created, a hot spare, a member failed and
# rebuilt with the firmware clock, the array deleted — all through I2OUSRCMD; the delete asks
# DPT_TARGET_BUSY first, as the tool does, which mainline's driver refuses (EINVAL): the tool stops.
story_dpti() {   # personality, expected last line of the delete
    c=$work/dpt-client32
    "$i2osim" run --personality "$1" --fixture "$repo/Tests/DPT/fixtures/six-disks.yaml" --device /dev/dpti0 --clock-speed 0 \
        --control "$work/dpti.ctl" -- sh -c "
        '$c' -D -c raid 5 b0t2d0,b1t0d0,b1t1d0 >/dev/null && '$c' -D -c hotspare b1t2d0 >/dev/null &&
        '$i2osim' ctl '$work/dpti.ctl' drive --at b1t0d0 --state failed >/dev/null &&
        '$c' -D -c status b0t2d0 | grep -q '^status b0t2d0 Reconstruct' &&
        '$i2osim' ctl '$work/dpti.ctl' clock --advance 3000 >/dev/null &&
        '$c' -D -c status b0t2d0 | grep -q '^status b0t2d0 Optimal' &&
        '$c' -D -c delete b0t2d0 2>&1 | tail -1" 2>&1 | tail -1
}
out=$(story_dpti documented)
[ "$out" = "1 passed, 0 failed" ] && ok "management through /dev/dpti0 alone: create, spare, fail, rebuild, delete" \
    || fail "management through /dev/dpti0 (documented): $out"
out=$(story_dpti linux-2.6.18-i386)
[ "$out" = "0 passed, 2 failed" ] && ok "… with linux-2.6.18-i386 the delete stops at DPT_TARGET_BUSY (EINVAL), as the tool does on mainline" \
    || fail "management through /dev/dpti0 (linux-2.6.18-i386): $out"

# A dpti node the machine lacks is refused.
if ! "$i2osim" run --device /dev/dpti1 -- true 2>"$work/dpti1.err" && grep -q 'dpti1 is the node of IOP unit 1' "$work/dpti1.err"; then
    ok "dpti1 of a one-IOP machine is refused"
else fail "dpti1 of a one-IOP machine: $(cat "$work/dpti1.err")"; fi

# Both kinds of node from one daemon over one machine: the listing through /dev/i2octl (PASSTHRU32)
# and through /dev/dpti0 (I2OUSRCMD) agree with the same expectations.
out=$("$i2osim" run --fixture "$repo/fixtures/default.yaml" --device /dev/i2octl --device /dev/dpti0 -- sh -c \
    "'$work/dpt-client32' -x '$work/default.x' | tail -1; '$work/dpt-client32' -D -x '$work/default.x' | tail -1" 2>&1)
if [ "$(printf '%s\n' "$out" | tr '\n' '|')" = "31 passed, 0 failed|34 passed, 0 failed|" ]; then
    ok "/dev/i2octl and /dev/dpti0 from one daemon: $(printf '%s' "$out" | tr '\n' ' ')"
else fail "/dev/i2octl and /dev/dpti0 from one daemon: $out"; fi

# The client must notice when the controller is not what the expectations say.
"$i2osim" run --fixture "$repo/fixtures/default.yaml" -- "$work/dpt-client32" -x "$work/two-arrays.x" >"$work/mismatch.out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q 'FAIL - controller' "$work/mismatch.out"; then ok "a mismatching fixture is caught"
else fail "mismatch not caught (rc $rc)"; fi

summary
