#!/bin/sh
# Runs inside the cuse-vm guest (root, host fs read-only): `i2osim serve` on the real CUSE
# driver as /dev/i2octl (raidutil's node), then the DPT client (i386, PASSTHRU32 through
# CUSE's unrestricted-ioctl retries) against the default and the two-array fixtures, and the
# 'D' ioctls in both ABIs; then the management story (Tests/DPT/test-dpt-story.sh, shortened):
# raidutil's configuration commands through CUSE, each step's listing checked against the
# daemon's own snapshot, a restart from the state directory in the middle of a rebuild.
#   dpt-in-guest.sh I2OSIM CLIENT_DIR FIXTURES_DIR
# CLIENT_DIR holds dpt-client32, dpt-client, default.x and two-arrays.x (Tests/DPT/build.sh,
# Tests/DPT/expect.py). Prints one line per check and `N passed, N failed`.
set -u
i2osim=$1 dir=$2 fixtures=$3
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

serve() {
	"$i2osim" serve --fixture "$1" --name i2octl >/tmp/dpt-serve.out 2>/tmp/dpt-serve.err &
	serve_pid=$!
	i=0
	while [ $i -lt 300 ]; do
		grep -q '^ready:' /tmp/dpt-serve.out 2>/dev/null && return 0
		kill -0 $serve_pid 2>/dev/null || return 1
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
stop() { kill -TERM $serve_pid; wait $serve_pid; }

for case in default:default.yaml two-arrays:adaptec-2-arrays.yaml; do
	name=${case%%:*} file=${case#*:}
	if ! serve "$fixtures/$file"; then bad "$name: serve did not start: $(cat /tmp/dpt-serve.err)"; continue; fi
	out=$("$dir/dpt-client32" -d /dev/i2octl -x "$dir/$name.x" 2>&1); rc=$?
	last=$(printf '%s\n' "$out" | tail -1)
	if [ $rc -eq 0 ]; then ok "$name through CUSE: $last"; else printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; bad "$name through CUSE: $last"; fi
	if [ "$name" = default ]; then
		for c in dpt-client32 dpt-client; do
			last=$("$dir/$c" -d /dev/i2octl -e 2>&1 | tail -1)
			[ "$last" = "4 passed, 0 failed" ] && ok "'D' ioctls EINVAL through CUSE ($c)" || bad "'D' ioctls through CUSE ($c): $last"
		done
	fi
	stop
done
# --- the management story through CUSE ----------------------------------------------------
here=$(cd "$(dirname "$0")" && pwd)
story() {
	"$i2osim" serve --fixture "$here/fixtures/six-disks.yaml" --name i2octl --control /tmp/dpt.ctl \
		--state-dir /tmp/dpt-state --clock-speed 0 >/tmp/dpt-serve.out 2>/tmp/dpt-serve.err &
	serve_pid=$!
	i=0
	while [ $i -lt 300 ]; do
		grep -q '^ready:' /tmp/dpt-serve.out 2>/dev/null && return 0
		kill -0 $serve_pid 2>/dev/null || return 1
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
client() { "$dir/dpt-client32" -d /dev/i2octl "$@"; }
step() {
	name=$1; shift
	out=$(client -c "$@" 2>&1) && ok "$name through CUSE" || { printf '%s\n' "$out" | sed 's/^/# /'; bad "$name through CUSE"; }
}
check() {
	"$i2osim" ctl /tmp/dpt.ctl snapshot --path /tmp/dpt-snap.yaml >/dev/null \
		&& "$i2osim" show --json /tmp/dpt-snap.yaml | "$here/expect.py" >/tmp/dpt-now.x || { bad "$1: snapshot"; return; }
	out=$(client -x /tmp/dpt-now.x 2>&1); rc=$?
	last=$(printf '%s\n' "$out" | tail -1)
	[ $rc -eq 0 ] && ok "$1: listing agrees through CUSE ($last)" || { printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; bad "$1: $last"; }
}
status() { client -c status "$1" 2>/dev/null | awk '/^status/ { print $3, $4 }'; }
if story; then
	step "create RAID-5" raid 5 b0t2d0,b1t0d0,b1t1d0
	check "RAID-5 building"
	"$i2osim" ctl /tmp/dpt.ctl clock --advance 3600 >/dev/null
	step "hot spare" hotspare b1t2d0
	step "fail b1t0" fail b1t0d0
	"$i2osim" ctl /tmp/dpt.ctl clock --advance 600 >/dev/null
	before=$(status b0t2d0)
	case "$before" in "Reconstruct "[1-9]*) ok "rebuild onto the spare advances: $before";; *) bad "rebuild: '$before'";; esac
	check "rebuilding"
	stop
	if story; then
		after=$(status b0t2d0)
		[ "$after" = "$before" ] && ok "restart keeps the rebuild: $after" || bad "restart: '$after', was '$before'"
		"$i2osim" ctl /tmp/dpt.ctl clock --advance 3600 >/dev/null
		case "$(status b0t2d0)" in "Optimal "*) ok "rebuilt";; *) bad "not rebuilt: $(status b0t2d0)";; esac
		step "write-back" writeback b0t2d0 on
		client -c log 2>/dev/null | grep -q "drive b1t0d0 failed" && ok "event log through CUSE" || bad "event log"
		check "after the story"
		stop
	else bad "story restart: $(cat /tmp/dpt-serve.err)"; fi
else bad "story: serve did not start: $(cat /tmp/dpt-serve.err)"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
