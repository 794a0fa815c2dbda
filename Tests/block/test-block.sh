#!/bin/sh
# Block storage through the preload transport: data written through BsaBlockWrite (PASSTHRU)
# reads back, lands in the disks' image files, survives a restart and kill -9 (write-through),
# loses only unflushed data in write-back mode, and a mirror still serves it with either member
# failed.
#
#   Tests/block/test-block.sh [I2OSIM] [TRIALS]     (default: SwiftPM's debug i2osim; 20 kill -9 trials)
#
# Uses fixtures/promise-supertrak100-l2.yaml: RAID device TID 14 (decimal), a mirror of the disks
# ide0 (TID 10) and ide1 (TID 15). Prints "N passed, N failed".
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"
find_i2osim "${1:-}"
trials=${2:-20}
work=$(mktemp -d /tmp/i2osim-block.XXXXXX)
daemon=
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; rm -rf "$work"' EXIT

build_preload
"$repo/Tests/block/build.sh" "$work" >/dev/null || bail "block client not built"
client=$work/block-client
fixture=$repo/fixtures/promise-supertrak100-l2.yaml
sed 's/storage: {raid: 1, members: \[10, 15\], blocks: 2503872}/storage: {raid: 1, members: [10, 15], blocks: 2503872, cache: write-back}/' \
    "$fixture" >"$work/writeback.yaml"
sed 's/storage: {disk: ide1, blocks: 2503872}/storage: {disk: ide1, blocks: 2503872, failed: true}/' "$fixture" >"$work/ide1-failed.yaml"
sed 's/storage: {disk: ide0, blocks: 2611200}/storage: {disk: ide0, blocks: 2611200, failed: true}/' "$fixture" >"$work/ide0-failed.yaml"

# The self-test in one `run`.
out=$("$i2osim" run --fixture "$fixture" -- "$client" 14 check 2>&1)
check "block client self-test through run (RAID 1, TID 14): $(echo "$out" | tail -1)" sh -c "echo \"\$1\" | tail -1 | grep -q ' 0 failed'" sh "$out"
echo "$out" | grep '^FAIL' | sed 's/^/#   /'

start() {   # fixture, disk dir
    rm -f "$work/ready"
    "$i2osim" serve --socket "$work/s.sock" --control "$work/c.sock" --fixture "$1" --disk-dir "$2" --ready-file "$work/ready" >"$work/serve.out" 2>&1 &
    daemon=$!
    await 5 "$daemon" test -e "$work/ready" && return 0
    echo "# daemon did not start:"; sed 's/^/#   /' "$work/serve.out"; return 1
}
stop() { kill "$1" $daemon 2>/dev/null; wait $daemon 2>/dev/null; daemon=; }
cl() { LD_PRELOAD="$preload" I2OSIM_SOCKET="$work/s.sock" "$client" "$@"; }

disks=$work/disks
start "$fixture" "$disks"
check "write 256 KiB at LBA 4096" cl 14 write 4096 512 7
check "… reads back" cl 14 verify 4096 512 7
stop -TERM
check "the disks are image files of their capacity (ide0 1275 MB)" test "$(stat -c %s "$disks/iop0-ide0.img")" = $((2611200 * 512))
check "… sparse: ide0 takes under 16 MiB" test "$(($(stat -c %b "$disks/iop0-ide0.img") * 512))" -lt $((16 << 20))
start "$fixture" "$disks"
check "after a restart the data is there" cl 14 verify 4096 512 7
stop -TERM

start "$work/ide1-failed.yaml" "$disks"
check "mirror with ide1 failed: the data reads from ide0" cl 14 verify 4096 512 7
check "… and a write while degraded succeeds" cl 14 write 8192 64 9
stop -TERM
start "$work/ide0-failed.yaml" "$disks"
check "mirror with ide0 failed: the first data reads from ide1 (both members had it)" cl 14 verify 4096 512 7
stop -TERM

# Media errors through the control channel: the disk answers MEDIUM ERROR, the mirror reads the other copy.
start "$fixture" "$disks"
check "ctl media-error on ide0 (TID 10), blocks 4100+4" "$i2osim" ctl "$work/c.sock" media-error --tid 10 --lba 4100 --blocks 4
bad_read() { ! cl 10 verify 4096 512 7 2>"$work/bad.err" && grep -q 'status 0x06 detail 0x0001' "$work/bad.err"; }
check "… a read of ide0 across them: ERROR_PARTIAL_TRANSFER, MEDIA_ERROR" bad_read
check "… the mirror still serves the data from ide1" cl 14 verify 4096 512 7
check "ctl media-error on the mirror itself is refused (bad blocks are a disk's)" sh -c "! '$i2osim' ctl '$work/c.sock' media-error --tid 14 --lba 0 2>/dev/null"
check "ctl media-clear: ide0 reads again" sh -c "'$i2osim' ctl '$work/c.sock' media-clear --tid 10 >/dev/null"
check "… and its data is there" cl 10 verify 4096 512 7
stop -TERM

# kill -9 mid-stream, write-through: nothing acknowledged is lost (Tests/block/kill9.sh).
out=$("$repo/Tests/block/kill9.sh" "$i2osim" "$client" "$trials" 2>&1)
check "$(echo "$out" | grep '^# .*trials' | tail -1 | sed 's/^# //')" sh -c "echo \"\$1\" | tail -1 | grep -q ' 0 failed'" sh "$out"
echo "$out" | grep '^FAIL' | head -5 | sed 's/^/#   /'

# Write-back: flushed data survives kill -9; unflushed data is lost, as on a card without battery.
wb=$work/wb-disks
start "$work/writeback.yaml" "$wb"
write_flushed() { cl 14 write 100 64 1 wb && cl 14 flush; }
write_unflushed() { cl 14 write 300 64 2 wb && cl 14 verify 300 64 2; }
unflushed_lost() { ! cl 14 verify 300 64 2 2>/dev/null; }
check "write-back: write A and flush" write_flushed
check "write-back: write B, not flushed, reads back before the crash" write_unflushed
stop -KILL
start "$work/writeback.yaml" "$wb"
check "after kill -9: the flushed write A survived" cl 14 verify 100 64 1
check "… the unflushed write B is lost" unflushed_lost
stop -TERM

summary
