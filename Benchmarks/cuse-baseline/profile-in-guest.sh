#!/bin/sh
# Where the CUSE daemons' CPU goes, per ioctl: runs inside the cuse-vm guest.
#   scripts/cuse-vm -- sh Benchmarks/cuse-baseline/profile-in-guest.sh OP [SECONDS]
# (after `scripts/bench` or a release build: it uses .build/release/i2osim, .build/bench/bench-client
# and .build/bench/cuse-baseline). OP: getiops, parmget or validate (the ioctls the C server answers).
#
# For `i2osim serve` on /dev/i2o/ctl and the C server on /dev/i2obase in turn, one thread of
# `bench-client lat` calls OP for SECONDS while `perf record -e cpu-clock` samples the daemon
# (no PMU under TCG: cpu-clock only). Prints the daemon's CPU per ioctl (/proc/PID/stat) split
# by object (kernel, libc, libfuse, i2osim, the Swift runtime), then the hottest symbols.
# Sampling in the guest is coarse: compare the two daemons within one boot, and run it twice.
set -u
op=${1:-parmget}
secs=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
i2osim=$root/.build/release/i2osim
client=$root/.build/bench/bench-client
base=$root/.build/bench/cuse-baseline
for f in "$i2osim" "$client" "$base"; do
	[ -x "$f" ] || { echo "profile-in-guest: $f is missing: run scripts/bench (or build it) first" >&2; exit 2; }
done
command -v perf >/dev/null || { echo "profile-in-guest: no perf in the guest" >&2; exit 2; }
cd /tmp

. "$root/Benchmarks/cuse-baseline/guest-lib.sh"
start_daemons "$i2osim" "$client" "$base"

for who in "i2osim $serve_pid /dev/i2o/ctl" "C-server $base_pid /dev/i2obase"; do
	set -- $who
	name=$1 pid=$2 dev=$3
	"$client" lat "$dev" 0.5 1 "$op" >/dev/null   # warm up
	perf record -q -e cpu-clock -F 5000 -g -o /tmp/p.$pid -p "$pid" 2>/dev/null &
	rec=$!
	sleep 0.5
	t0=$(ticks "$pid" | awk '{ print $1 + $2 }')
	l=$("$client" lat "$dev" "$secs" 1 "$op")
	t1=$(ticks "$pid" | awk '{ print $1 + $2 }')
	kill -INT $rec; wait $rec 2>/dev/null
	ops=$(echo "$l" | kv ops)
	cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="${ops:-0}" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print 0 }')
	echo "== $name ($dev), $op: p50 $(echo "$l" | kv p50_ns) ns, daemon CPU $cpu µs/ioctl"
	perf report -i /tmp/p.$pid --no-children --sort dso -q -g none 2>/dev/null |
		awk -v c="$cpu" 'NF >= 2 { p = $1; sub("%", "", p); printf "   %6.1f µs  %5.1f%%  %s\n", p * c / 100, p, $2 }' | head -8
	echo "   hottest symbols:"
	perf report -i /tmp/p.$pid --no-children --sort dso,sym -q -g none 2>/dev/null | head -15 | cut -c1-150
done
kill -INT $serve_pid $base_pid
