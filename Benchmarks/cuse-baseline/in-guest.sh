#!/bin/sh
# Runs inside the cuse-vm guest (scripts/bench's CUSE part; root, one CPU, host fs read-only):
#   in-guest.sh I2OSIM BENCH_CLIENT CUSE_BASELINE SECONDS SWIFT_BASELINE
# 1. start-up: `i2osim serve` start → its `ready:` line, against `cuse-baseline` start → its
#    `ready:` line, and `i2osim --help` start → exit (best of 3 each);
# 2. per ioctl: latency (bench-client lat, 1 thread; GETIOPS, PARMGET, VALIDATE and the 64 KiB
#    BsaBlockWrite/Read through PASSTHRU the best of three runs per daemon, in turn) and daemon calls per ioctl (the daemons'
#    stats files: I2OSIM_CUSE_STATS for i2osim, the third argument of cuse-baseline) through
#    /dev/i2o/ctl (i2osim) and /dev/i2obase (the C server) in the same boot; and the latency of the
#    C server's code written in Swift (cuse-baseline-swift, /dev/i2oswift): what a Swift process
#    serving through libfuse costs by itself, i2osim's work aside.
# 3. the daemons' CPU time per ioctl (all threads, user and system, from /proc/PID/stat over the run);
# 4. i2osim's own code per ioctl in the guest: `i2osim-bench loop-cuse OP` (CUSEIoctls, the engine
#    and the IOP model through the CUSE retry rounds as the daemon runs them; no kernel, no libfuse),
#    timed around its loop, hot and cold (another process run between its calls).
# Prints key=value lines (`startup who=... ns=...`, `op who=... name=... p50_ns=... cpu_ns=...
# user_ns=... sys_ns=... calls=...`, `model name=... ns_per_op=... cold_ns_per_op=...`) for scripts/bench to turn into rows.
set -u
i2osim=$1
client=$2
base=$3
secs=$4
swift_base=$5

. "$(dirname "$0")/guest-lib.sh"

s=$(for _ in 1 2 3; do "$client" ready -- "$i2osim" serve 2>/dev/null | kv ready_ns; done | best)
b=$(for _ in 1 2 3; do "$client" ready -- "$base" i2obase 64 2>/dev/null | kv ready_ns; done | best)
# The guest's slowness for this very binary: `i2osim --help`, start to exit (scripts/bench times
# the same natively), to scale the guest's start-up to a native estimate.
h=$(for _ in 1 2 3; do "$client" spawn -- "$i2osim" --help 2>/dev/null | tail -1 | kv total_ns; done | best)
echo "startup who=i2osim ns=${s:-0}"
echo "startup who=baseline ns=${b:-0}"
echo "startup who=help ns=${h:-0}"

start_daemons "$i2osim" "$client" "$base"
echo "parmget_result bytes=$parmget_bytes"
"$swift_base" i2oswift "${parmget_bytes:-0}" /tmp/swift.stats >/tmp/swift.out 2>/tmp/swift.err &
swift_pid=$!
wait_ready /tmp/swift.out $swift_pid || { echo "error Swift baseline not ready: $(cat /tmp/swift.err)"; exit 2; }

measure() {   # WHO DEVICE STATS OP PID
	: >"$3"
	set -- "$@" $(ticks "$5")
	l=$("$client" lat "$2" "$secs" 1 "$4")
	set -- "$@" $(ticks "$5")
	i=0
	while [ ! -s "$3" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
	ops=$(echo "$l" | kv ops)
	user=$(per_op $(($8 - $6)) "$ops"); sys=$(per_op $(($9 - $7)) "$ops")
	echo "op who=$1 name=$4 $l cpu_ns=$((user + sys)) user_ns=$user sys_ns=$sys $(tail -1 "$3")"
}
# The ioctls compared with the C server: three rounds, the three daemons in turn, and each daemon's
# run with the lowest p50 kept (one emulated CPU: a run is only ever slowed, by the guest's own
# housekeeping or the host, never helped). The others: one run through i2osim.
for op in getiops parmget validate; do
	for _ in 1 2 3; do
		measure i2osim /dev/i2o/ctl /tmp/i2osim.stats $op $serve_pid >>/tmp/runs.i2osim
		measure baseline /dev/i2obase /tmp/base.stats $op $base_pid >>/tmp/runs.baseline
		measure swift /dev/i2oswift /tmp/swift.stats $op $swift_pid >>/tmp/runs.swift
	done
	for who in i2osim baseline swift; do
		while read -r line; do echo "$(echo "$line" | kv p50_ns) $line"; done </tmp/runs.$who | sort -n | head -1 | cut -d' ' -f2-
		: >/tmp/runs.$who
	done
done
# 64 KiB BsaBlockWrite / BsaBlockRead through PASSTHRU: i2osim (the default machine's RAID-1, its
# data in memory) against the C server moving the same bytes in the same rounds; as above.
for op in bsawrite bsaread; do
	for _ in 1 2 3; do
		measure i2osim /dev/i2o/ctl /tmp/i2osim.stats $op $serve_pid >>/tmp/runs.i2osim
		measure baseline /dev/i2obase /tmp/base.stats $op $base_pid >>/tmp/runs.baseline
	done
	for who in i2osim baseline; do
		while read -r line; do echo "$(echo "$line" | kv p50_ns) $line"; done </tmp/runs.$who | sort -n | head -1 | cut -d' ' -f2-
		: >/tmp/runs.$who
	done
done
for op in lctget hrtget html passthru; do
	measure i2osim /dev/i2o/ctl /tmp/i2osim.stats $op $serve_pid
done
# i2osim's own code in this guest, without kernel or libfuse (2000 ioctls, the loop alone):
# hot (the calls back to back), and cold — with a round trip to another process after each call, as
# the kernel and the client run between a daemon's calls, minus those round trips alone (best of 2).
bench=$(dirname "$i2osim")/i2osim-bench
for op in GETIOPS PARMGET VALIDATE; do
	hot=$("$bench" loop-cuse "$op" 2000 | kv ns_per_op)
	sw=$(for _ in 1 2; do "$bench" loop-cuse "$op" 2000 switch | kv ns_per_op; done | best)
	so=$(for _ in 1 2; do "$bench" loop-cuse "$op" 2000 switch-only | kv ns_per_op; done | best)
	echo "model name=$op ns_per_op=${hot:-0} cold_ns_per_op=$(( ${sw:-0} - ${so:-0} ))"
done
# No wait: libfuse's multithreaded loop may sit in read() after SIGINT; the guest powers off
# when this script exits, which ends both daemons.
kill -INT $serve_pid $base_pid $swift_pid
