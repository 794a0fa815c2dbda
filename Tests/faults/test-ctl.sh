#!/bin/sh
# `i2osim ctl` against a running daemon (docs/control.md), end to end through the preload
# transport: hot-plug seen by a client through an event and a fresh LCT, fault rules seen by a
# client, stats, the socket's mode, snapshot/restore, errors.
#
#   Tests/faults/test-ctl.sh [I2OSIM]      (default: SwiftPM's debug i2osim)
#
# Prints "N passed, N failed".
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"
find_i2osim "${1:-}"
work=$(mktemp -d /tmp/i2osim-ctl.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

build_preload
cc -O2 -Wall -o "$work/hotplug-client" "$repo/Tests/faults/hotplug-client.c" || bail

sock=$work/i2o.sock
ctl=$work/private/ctl.sock
# The daemon runs in a directory of its own: relative paths given to ctl are the caller's.
mkdir "$work/daemon-cwd" "$work/caller-cwd"
(cd "$work/daemon-cwd" && exec "$i2osim" serve --socket "$sock" --control "$ctl" --preload-dir "$bindir") >"$work/out" 2>"$work/err" &
pid=$!
await 10 "$pid" sh -c "test -S '$ctl' && grep -q '^export' '$work/out'" || bail "daemon did not start: $(cat "$work/err")"
client() { env LD_PRELOAD="$preload" I2OSIM_SOCKET="$sock" "$work/hotplug-client" "$@"; }
c() { "$i2osim" ctl "$ctl" "$@"; }

check "the control socket is 0600" test "$(stat -c %a "$ctl")" = 600
check "its directory was created 0700" test "$(stat -c %a "$work/private")" = 700
check "list shows the LCT" sh -c "'$i2osim' ctl '$ctl' list | grep -q 'TID 0x203 RANDOM_BLOCK_STORAGE'"

# Hot-plug, seen by a client waiting for events.
client watch 0x210 >"$work/watch" 2>&1 &
wpid=$!
await 5 "$wpid" grep -q registered "$work/watch"
check "add-device answers with the new change indicator" sh -c "'$i2osim' ctl '$ctl' add-device --iop 0 --tid 0x210 --class 0x10 | grep -q 'added TID 0x210'"
wait "$wpid"
check "the client got NEW_LCT_ENTRY for TID 0x210" grep -q "event 0x100 tid 0x210" "$work/watch"
check "and a fresh LCT with TID 0x210" grep -q "lct has 0x210" "$work/watch"

client watch 0x210 >"$work/watch2" 2>&1 &
wpid=$!
await 5 "$wpid" grep -q registered "$work/watch2"
c remove-device --iop 0 --tid 0x210 >/dev/null
wait "$wpid"
check "remove-device: MODIFIED_LCT, and the LCT lacks it" sh -c "grep -q 'event 0x200 tid 0x210' '$work/watch2' && grep -q 'lct lacks 0x210' '$work/watch2'"

# Faults.
c fault-add --ioctl I2OGETIOPS --action errno --errno ENODEV --count once >/dev/null
check "an errno rule fires once" test "$(client getiops) $(client getiops)" = "getiops ENODEV getiops 0"
check "fault-list shows it spent" sh -c "'$i2osim' ctl '$ctl' fault-list | grep -q 'matched 1, fired 1 (spent)'"
check "serve --socket prints 'ready: SOCKET' as CUSE mode prints 'ready: NODE'" grep -qx "ready: $sock" "$work/out"
check "… and logs the failed request on standard error, as CUSE mode does" \
    grep -q "^i2osim: $sock: ioctl I2OGETIOPS.* failed: ENODEV" "$work/err"
c fail-iop --iop 0 >/dev/null
check "list shows a failed IOP" sh -c "'$i2osim' ctl '$ctl' list | grep -q 'FAILED (injected)'"
c recover-iop --iop 0 >/dev/null
# A hang: the IOP does not answer; the client waits the post-wait (10 s) until `release` ends it,
# then gets the documented no-reply answer with *reslen as it left it.
c fault-add --ioctl I2OPARMGET --action hang --count once >/dev/null
client parmget >"$work/hung" &
hpid=$!
check "a hung PARMGET waits (stats: hung now 1)" await 5 "$hpid" sh -c "'$i2osim' ctl '$ctl' stats | grep -q 'hung now 1'"
check "… and the daemon logs that it waits" \
    grep -q "^i2osim: no reply from the IOP (hung or failed): a request waits its post-wait, 10 s, unless released" "$work/err"
check "release ends the wait" sh -c "'$i2osim' ctl '$ctl' release | grep -q 'released 1 hung request$'"
wait "$hpid"
check "the hung PARMGET gets ETIMEDOUT, *reslen untouched" grep -q 'parmget ETIMEDOUT reslen 4096' "$work/hung"
check "… and the daemon logs that it let go" grep -q "^i2osim: no reply from the IOP: a waiting request released" "$work/err"
client parmget >"$work/after"
check "the next PARMGET is answered" grep -q 'parmget 0 reslen' "$work/after"
check "stats --json counts requests and the injected fault" \
    sh -c "'$i2osim' ctl '$ctl' stats --json | grep -q '\"errno\":1'"
check "stats (human) lists I2OGETIOPS" sh -c "'$i2osim' ctl '$ctl' stats | grep -q 'I2OGETIOPS'"

# Parameters, snapshot, restore.
check "set-param" c set-param --iop 0 --tid 0x203 --group 0xF102 --field DeviceName --value "From ctl"
c snapshot --path "$work/snap.yaml" >/dev/null
check "the snapshot is a valid fixture" "$i2osim" validate "$work/snap.yaml"
check "it holds the value set" grep -q '"DeviceName": {hex: "46 72 6f 6d 20 63 74 6c' "$work/snap.yaml"
check "restore loads it" sh -c "'$i2osim' ctl '$ctl' restore --path '$work/snap.yaml' | grep -q restored"
out=$(cd "$work/caller-cwd" && "$i2osim" ctl "$ctl" snapshot --path rel.yaml 2>&1)
check "snapshot --path with a relative path writes in the caller's directory" test -s "$work/caller-cwd/rel.yaml"
check "… not the daemon's" test ! -e "$work/daemon-cwd/rel.yaml"
check "… and says where: '$out'" test "$out" = "wrote $work/caller-cwd/rel.yaml"
out=$(cd "$work/caller-cwd" && "$i2osim" ctl "$ctl" restore --path ./rel.yaml 2>&1)
check "restore --path with a relative path reads the caller's file and says which: '$out'" \
    test "$out" = "restored $work/caller-cwd/rel.yaml: 1 IOP"

# Errors.
out=$("$i2osim" ctl "$ctl" frobnicate 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'unknown command'; then ok "an unknown command: a message and a non-zero status"; else fail "unknown command: rc $rc, '$out'"; fi
# refused: what was wrong and what is valid; name what it names, exit non-zero, add no rule.
refused() {  # NAME EXPECTED-TEXT… -- CTL-ARGS…
    name=$1; shift
    wants=""
    while [ "$1" != "--" ]; do wants="$wants
$1"; shift; done
    shift
    out=$("$i2osim" ctl "$ctl" "$@" 2>&1); rc=$?
    missing=$(printf '%s\n' "$wants" | while IFS= read -r w; do [ -z "$w" ] || printf '%s' "$out" | grep -qF -- "$w" || echo "$w"; done)
    if [ $rc -ne 0 ] && [ -z "$missing" ]; then ok "$name"; else fail "$name: rc $rc, '$out' lacks '$missing'"; fi
}
c fault-remove >/dev/null
refused "a misspelt key is refused by the parser, with the nearest option and the help to see (--ioclt)" \
    "Unknown option '--ioclt'. Did you mean '--ioctl'?" "i2osim ctl fault-add --help" -- fault-add --ioclt I2OSWDL --errno ENODEV
refused "a misspelt --count is refused, not taken for 'always'" "Unknown option '--cout'" -- fault-add --ioctl I2OSWDL --cout once
refused "a key of another count is refused before it is sent" '"n" goes with count every or times, not always' \
    -- fault-add --ioctl I2OSWDL --n 3
check "neither made a rule" sh -c "'$i2osim' ctl '$ctl' fault-list | grep -qx 'no fault rules'"
check "ctl VERB SOCKET is the same request as ctl SOCKET VERB" sh -c "'$i2osim' ctl fault-list '$ctl' | grep -qx 'no fault rules'"
check "each verb has its own --help, listing the names its options take" sh -c "'$i2osim' ctl fault-add --help | grep -q 'BAD_KEY_ABORT'"
refused "an unknown action names the actions" "unknown action 'erno' (did you mean errno?)" 'block-status, delay, hang' \
    -- fault-add --action erno
refused "an unknown event indicator names the indicators" "unknown event indicator 'NOPE'" 'ADAPTER_FAULT' \
    -- event --iop 0 --indicator NOPE
out=$("$i2osim" ctl "$ctl" event --iop 0 --indicator NOPE 2>&1)
if printf '%s' "$out" | grep -q 'is not a number'; then fail "… and does not say 'is not a number': $out"; else ok "… and does not say 'is not a number'"; fi
refused "raw with text that is not JSON: a clear message" 'raw takes one JSON object' -- raw 'not json'
out=$("$i2osim" ctl "$ctl" raw 'not json' 2>&1)
if printf '%s' "$out" | grep -qi 'data'; then fail "… not Foundation's: $out"; else ok "… not Foundation's words"; fi
refused "raw with a misspelt key: refused by the daemon" 'unknown key "ioclt"' -- raw '{"command": "fault-add", "ioclt": "I2OSWDL"}'
out=$("$i2osim" ctl "$work/nothing.sock" list 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'cannot connect'; then ok "no daemon: a clear message"; else fail "no daemon: rc $rc, '$out'"; fi

kill "$pid"; wait "$pid" 2>/dev/null; pid=""
check "serve --socket logs its stop, as CUSE mode does" grep -qx "i2osim: stopped by signal 15; $sock removed" "$work/err"
summary
