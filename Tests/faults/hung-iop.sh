#!/bin/sh
# A failed IOP as each personality's driver saw it (docs/kernels.md §Timeouts, §Personalities),
# through preload or through CUSE: the kernels answer HRTGET from their driver's copy at once;
# PARMGET waits the post-wait (10 s, scaled here by I2OSIM_TIMEOUT_SCALE=0.05: 0.5 s) and gets the
# kernel's no-reply answer with *reslen untouched; after recover-iop the IOP answers again.
#
#   Tests/faults/hung-iop.sh preload [I2OSIM]    (the faults tier)
#   Tests/faults/hung-iop.sh cuse I2OSIM         (in the cuse-vm guest, as root)
#
# Prints one line per check and "N passed, N failed".
set -u
mode=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"
find_i2osim "${2:-}"
work=$(mktemp -d "${TMPDIR:-/tmp}/i2osim-hung.XXXXXX")
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cc -O1 -Wall -o "$work/client" "$repo/Tests/faults/hotplug-client.c" || bail
if [ "$mode" = preload ]; then
    build_preload
    client() { env LD_PRELOAD="$preload" I2OSIM_SOCKET="$work/sock" "$work/client" "$@"; }
else
    client() { I2O_DEVICE=/dev/i2o/hung "$work/client" "$@"; }
fi

# Milliseconds since the epoch.
now() { date +%s%3N; }

for p in documented linux-2.6.18 linux-2.4; do
    if [ "$mode" = preload ]; then
        I2OSIM_TIMEOUT_SCALE=0.05 "$i2osim" serve --socket "$work/sock" --control "$work/ctl" --personality "$p" \
            >"$work/out" 2>"$work/err" &
        pid=$!
        ready_file=$work/sock
    else
        I2OSIM_TIMEOUT_SCALE=0.05 "$i2osim" serve --name i2o/hung --control "$work/ctl" --personality "$p" \
            >"$work/out" 2>"$work/err" &
        pid=$!
        ready_file=/dev/i2o/hung
    fi
    check "$p: serve is ready ($ready_file)" await 10 "$pid" test -e "$ready_file" -a -S "$work/ctl"
    "$i2osim" ctl "$work/ctl" fail-iop --iop 0 >/dev/null
    t0=$(now); got=$(client hrtget); t1=$(now)
    case $p in
    documented) check "$p: a failed IOP's HRTGET waits 20 s x 0.05, then ETIMEDOUT ($got)" \
                    sh -c "[ '$got' = 'hrtget ETIMEDOUT reslen 4096' ] && [ $((t1 - t0)) -ge 950 ]" ;;
    *)          check "$p: a failed IOP's HRTGET comes from the driver's copy at once ($got)" \
                    sh -c "echo '$got' | grep -q '^hrtget 0 reslen [1-9]' && [ $((t1 - t0)) -lt 900 ]" ;;
    esac
    want="parmget ETIMEDOUT reslen 4096"; [ "$p" != documented ] && want="parmget EAGAIN reslen 4096"
    t0=$(now); got=$(client parmget); t1=$(now)
    check "$p: a failed IOP's PARMGET waits 10 s x 0.05, then '$want' ($got, $((t1 - t0)) ms)" \
        sh -c "[ '$got' = '$want' ] && [ $((t1 - t0)) -ge 450 ]"
    "$i2osim" ctl "$work/ctl" recover-iop --iop 0 >/dev/null
    got=$(client parmget)
    check "$p: recovered, PARMGET succeeds ($got)" sh -c "echo '$got' | grep -q '^parmget 0 '"
    kill -INT "$pid"; wait "$pid" 2>/dev/null; pid=""
    rm -f "$work/ctl" "$work/sock"
    if [ "$mode" = cuse ]; then i=0; while [ -e /dev/i2o/hung ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; fi
done
summary
