#!/bin/sh
# Runs inside the cuse-vm guest (root, host file system read-only, /tmp writable): block storage
# through the real CUSE driver — the block client's self-test on the Promise mirror and on the
# default machine's DPT RAID-1, data kept in image files across a restart and across kill -9 of
# the daemon right after acknowledged writes.
#   block-in-guest.sh I2OSIM CLIENT_DIR FIXTURES_DIR
# Prints one line per check and `N passed, N failed`.
set -u
i2osim=$1; client=$2/block-client; fixtures=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"
serve_pid=
start() {   # fixture (empty: the default machine), disk dir
	rm -f /tmp/block-ready
	if [ -n "$1" ]; then
		"$i2osim" serve --fixture "$1" --disk-dir "$2" --ready-file /tmp/block-ready >/tmp/block.out 2>/tmp/block.err &
	else
		"$i2osim" serve --disk-dir "$2" --ready-file /tmp/block-ready >/tmp/block.out 2>/tmp/block.err &
	fi
	serve_pid=$!
	await 30 $serve_pid test -e /tmp/block-ready
}
stop() { kill "$1" $serve_pid 2>/dev/null; wait $serve_pid 2>/dev/null; serve_pid=; }
run_check() {   # name, TID
	out=$("$client" -d /dev/i2o/ctl "$2" check 2>&1); last=$(printf '%s\n' "$out" | tail -1)
	case "$last" in *" 0 failed") ok "$1: $last" ;; *) printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; fail "$1: $last" ;; esac
}

if start "$fixtures/promise-supertrak100-l2.yaml" /tmp/disks-promise; then
	run_check "block self-test through CUSE, Promise mirror (TID 14)" 14
	"$client" -d /dev/i2o/ctl 14 write 9000 256 5 && ok "write through CUSE" || fail "write through CUSE"
	stop -TERM
	start "$fixtures/promise-supertrak100-l2.yaml" /tmp/disks-promise
	"$client" -d /dev/i2o/ctl 14 verify 9000 256 5 && ok "… reads back after a restart" || fail "… not after a restart"
	"$client" -d /dev/i2o/ctl 14 write 12000 64 6 && kill -9 $serve_pid && wait $serve_pid 2>/dev/null
	serve_pid=
	start "$fixtures/promise-supertrak100-l2.yaml" /tmp/disks-promise
	"$client" -d /dev/i2o/ctl 14 verify 12000 64 6 && ok "an acknowledged write survives kill -9" || fail "a write lost to kill -9"
	stop -TERM
else
	fail "serve (Promise) did not start: $(cat /tmp/block.err)"
fi
if start "" /tmp/disks-default; then
	run_check "block self-test through CUSE, the default machine's DPT RAID-1 (TID 0x203)" 0x203
	stop -TERM
else
	fail "serve (default) did not start: $(cat /tmp/block.err)"
fi
summary
