# Shell functions of the scripts that run inside the cuse-vm guest (sourced, POSIX sh).

best() { sort -n | head -1; }
kv() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p"; }

# A daemon's CPU time (all its threads) in clock ticks, from /proc/PID/stat: user, system.
ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# TICKS over N operations, in ns per operation.
per_op() { awk -v t="$1" -v hz="$hz" -v n="${2:-0}" 'BEGIN { if (n > 0) printf "%.0f", t * 1e9 / hz / n; else print 0 }'; }

wait_ready() {   # FILE PID: until the daemon writing FILE prints its `ready:` line
	i=0
	while [ $i -lt 600 ]; do
		grep -q '^ready:' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05; i=$((i + 1))
	done
	return 1
}

# start_daemons I2OSIM CLIENT BASELINE: `i2osim serve` on /dev/i2o/ctl (counting its calls in
# /tmp/i2osim.stats) and the C server on /dev/i2obase, answering PARMGET with as many result bytes
# as i2osim does (counting in /tmp/base.stats). Sets serve_pid, base_pid and parmget_bytes.
start_daemons() {
	I2OSIM_CUSE_STATS=/tmp/i2osim.stats "$1" serve >/tmp/serve.out 2>/tmp/serve.err &
	serve_pid=$!
	wait_ready /tmp/serve.out $serve_pid || { echo "error serve not ready: $(cat /tmp/serve.err)"; exit 2; }
	parmget_bytes=$("$2" reslen /dev/i2o/ctl | kv reslen)
	"$3" i2obase "${parmget_bytes:-0}" /tmp/base.stats >/tmp/base.out 2>/tmp/base.err &
	base_pid=$!
	wait_ready /tmp/base.out $base_pid || { echo "error baseline not ready: $(cat /tmp/base.err)"; exit 2; }
}
