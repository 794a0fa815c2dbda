#!/bin/sh
# Runs inside the cuse-vm guest (root, host fs read-only): `i2osim serve` on the real CUSE
# driver as /dev/i2octl (raidutil's node), then the DPT client (i386, PASSTHRU32 through
# CUSE's unrestricted-ioctl retries) against the default and the two-array fixtures, and the
# 'D' ioctls in both ABIs; then the same machines as /dev/dpti0 alone (dpt_i2o's node: the
# DPT_SIGNATURE probe, I2OUSRCMD through CUSE, the dpti ioctls in both ABIs); then the management
# story (Tests/DPT/test-dpt-story.sh, shortened): raidutil's configuration commands through CUSE, each
# step's listing checked against the daemon's own snapshot, a restart from the state directory in the
# middle of a rebuild.
#   dpt-in-guest.sh I2OSIM CLIENT_DIR FIXTURES_DIR
# CLIENT_DIR holds dpt-client32, dpt-client, default.x and two-arrays.x (Tests/DPT/build.sh,
# Tests/DPT/expect.py). Prints one line per check and `N passed, N failed`.
set -u
i2osim=$1 dir=$2 fixtures=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"

# serve FIXTURE [NAME [--name NAME …]]: NAME defaults to i2octl; waits for a ready line per node.
serve() {
	f=$1; shift
	[ $# -eq 0 ] && set -- i2octl
	n=$(( 1 + $(printf '%s\n' "$@" | grep -c '^--name$') ))   # the nodes: the first name, and one per --name
	"$i2osim" serve --fixture "$f" --name "$@" >/tmp/dpt-serve.out 2>/tmp/dpt-serve.err &
	serve_pid=$!
	await 30 $serve_pid sh -c "[ \"\$(grep -c '^ready:' /tmp/dpt-serve.out)\" -ge $n ]"
}
stop() { kill -TERM $serve_pid; wait $serve_pid; }

for case in default:default.yaml two-arrays:adaptec-2-arrays.yaml; do
	name=${case%%:*} file=${case#*:}
	if ! serve "$fixtures/$file"; then fail "$name: serve did not start: $(cat /tmp/dpt-serve.err)"; continue; fi
	out=$("$dir/dpt-client32" -d /dev/i2octl -x "$dir/$name.x" 2>&1); rc=$?
	last=$(printf '%s\n' "$out" | tail -1)
	if [ $rc -eq 0 ]; then ok "$name through CUSE: $last"; else printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; fail "$name through CUSE: $last"; fi
	if [ "$name" = default ]; then
		for c in dpt-client32 dpt-client; do
			last=$("$dir/$c" -d /dev/i2octl -e 2>&1 | tail -1)
			[ "$last" = "4 passed, 0 failed" ] && ok "'D' ioctls EINVAL through CUSE ($c)" || fail "'D' ioctls through CUSE ($c): $last"
		done
	fi
	stop
	# A machine driven by dpt_i2o: /dev/dpti0 alone, found by the DPT_SIGNATURE probe, listed through I2OUSRCMD.
	if ! serve "$fixtures/$file" dpti0; then fail "$name: serve dpti0 did not start: $(cat /tmp/dpt-serve.err)"; continue; fi
	out=$("$dir/dpt-client32" -D -n -x "$dir/$name.x" 2>&1); rc=$?
	last=$(printf '%s\n' "$out" | tail -1)
	if [ $rc -eq 0 ]; then ok "$name through CUSE /dev/dpti0: $last"; else printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; fail "$name through CUSE /dev/dpti0: $last"; fi
	if [ "$name" = default ]; then
		for c in dpt-client32 dpt-client; do
			out=$("$dir/$c" -D -n -e 2>&1); last=$(printf '%s\n' "$out" | tail -1)
			if [ "$last" = "9 passed, 0 failed" ]; then ok "dpti0 ioctls through CUSE ($c)"
			else printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; fail "dpti0 ioctls through CUSE ($c): $last"; fi
		done
	fi
	stop
done
# Both kinds of node from one daemon: /dev/i2octl and /dev/dpti0 over one machine.
if serve "$fixtures/default.yaml" i2octl --name dpti0; then
	a=$("$dir/dpt-client32" -d /dev/i2octl -x "$dir/default.x" 2>&1 | tail -1)
	b=$("$dir/dpt-client32" -D -x "$dir/default.x" 2>&1 | tail -1)
	if [ "$a|$b" = "31 passed, 0 failed|34 passed, 0 failed" ]; then ok "/dev/i2octl and /dev/dpti0 from one CUSE daemon: $a; $b"
	else fail "/dev/i2octl and /dev/dpti0 from one CUSE daemon: $a; $b"; fi
	stop
else fail "serve i2octl + dpti0 did not start: $(cat /tmp/dpt-serve.err)"; fi
# --- the management story through CUSE ----------------------------------------------------
here=$(cd "$(dirname "$0")" && pwd)
story() {
	"$i2osim" serve --fixture "$here/fixtures/six-disks.yaml" --name i2octl --control /tmp/dpt.ctl \
		--state-dir /tmp/dpt-state --clock-speed 0 >/tmp/dpt-serve.out 2>/tmp/dpt-serve.err &
	serve_pid=$!
	await 30 $serve_pid grep -q '^ready:' /tmp/dpt-serve.out
}
client() { "$dir/dpt-client32" -d /dev/i2octl "$@"; }
step() {
	name=$1; shift
	out=$(client -c "$@" 2>&1) && ok "$name through CUSE" || { printf '%s\n' "$out" | sed 's/^/# /'; fail "$name through CUSE"; }
}
agrees() {   # NAME: the live listing agrees with the daemon's own snapshot
	"$i2osim" ctl /tmp/dpt.ctl snapshot --path /tmp/dpt-snap.yaml >/dev/null \
		&& "$i2osim" show --json /tmp/dpt-snap.yaml | "$here/expect.py" >/tmp/dpt-now.x || { fail "$1: snapshot"; return; }
	out=$(client -x /tmp/dpt-now.x 2>&1); rc=$?
	last=$(printf '%s\n' "$out" | tail -1)
	[ $rc -eq 0 ] && ok "$1: listing agrees through CUSE ($last)" || { printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; fail "$1: $last"; }
}
status() { client -c status "$1" 2>/dev/null | awk '/^status/ { print $3, $4 }'; }
if story; then
	step "create RAID-5" raid 5 b0t2d0,b1t0d0,b1t1d0
	agrees "RAID-5 building"
	"$i2osim" ctl /tmp/dpt.ctl clock --advance 3600 >/dev/null
	step "hot spare" hotspare b1t2d0
	step "fail b1t0" fail b1t0d0
	"$i2osim" ctl /tmp/dpt.ctl clock --advance 600 >/dev/null
	before=$(status b0t2d0)
	case "$before" in "Reconstruct "[1-9]*) ok "rebuild onto the spare advances: $before";; *) fail "rebuild: '$before'";; esac
	agrees "rebuilding"
	stop
	if story; then
		after=$(status b0t2d0)
		[ "$after" = "$before" ] && ok "restart keeps the rebuild: $after" || fail "restart: '$after', was '$before'"
		"$i2osim" ctl /tmp/dpt.ctl clock --advance 3600 >/dev/null
		case "$(status b0t2d0)" in "Optimal "*) ok "rebuilt";; *) fail "not rebuilt: $(status b0t2d0)";; esac
		step "write-back" writeback b0t2d0 on
		client -c log 2>/dev/null | grep -q "drive b1t0d0 failed" && ok "event log through CUSE" || fail "event log"
		agrees "after the story"
		stop
	else fail "story restart: $(cat /tmp/dpt-serve.err)"; fi
else fail "story: serve did not start: $(cat /tmp/dpt-serve.err)"; fi

# Management through dpt_i2o's node alone, through CUSE: create, spare, fail, rebuild, delete
# (DPT_TARGET_BUSY answered "not busy" by the documented personality).
if serve "$here/fixtures/six-disks.yaml" dpti0 --control /tmp/dpti.ctl --clock-speed 0; then
	c="$dir/dpt-client32 -D"
	$c -c raid 5 b0t2d0,b1t0d0,b1t1d0 >/dev/null 2>&1 && $c -c hotspare b1t2d0 >/dev/null 2>&1 \
		&& "$i2osim" ctl /tmp/dpti.ctl drive --at b1t0d0 --state failed >/dev/null \
		&& "$i2osim" ctl /tmp/dpti.ctl clock --advance 3000 >/dev/null \
		&& $c -c status b0t2d0 2>/dev/null | grep -q '^status b0t2d0 Optimal' \
		&& $c -c delete b0t2d0 >/dev/null 2>&1 \
		&& ok "management through CUSE /dev/dpti0 alone: RAID-5 created, spare, member failed, rebuilt, deleted" \
		|| fail "management through CUSE /dev/dpti0 alone"
	stop
else fail "serve dpti0 (six disks) did not start: $(cat /tmp/dpt-serve.err)"; fi

summary
