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
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }

# serve FIXTURE [NAME [--name NAME …]]: NAME defaults to i2octl; waits for a ready line per node.
serve() {
	f=$1; shift
	[ $# -eq 0 ] && set -- i2octl
	n=$(printf '%s\n' "$@" | grep -vc '^--name$')
	"$i2osim" serve --fixture "$f" --name "$@" >/tmp/dpt-serve.out 2>/tmp/dpt-serve.err &
	serve_pid=$!
	i=0
	while [ $i -lt 300 ]; do
		[ "$(grep -c '^ready:' /tmp/dpt-serve.out 2>/dev/null)" -ge "$n" ] && return 0
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
	# A machine driven by dpt_i2o: /dev/dpti0 alone, found by the DPT_SIGNATURE probe, listed through I2OUSRCMD.
	if ! serve "$fixtures/$file" dpti0; then bad "$name: serve dpti0 did not start: $(cat /tmp/dpt-serve.err)"; continue; fi
	out=$("$dir/dpt-client32" -D -n -x "$dir/$name.x" 2>&1); rc=$?
	last=$(printf '%s\n' "$out" | tail -1)
	if [ $rc -eq 0 ]; then ok "$name through CUSE /dev/dpti0: $last"; else printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; bad "$name through CUSE /dev/dpti0: $last"; fi
	if [ "$name" = default ]; then
		for c in dpt-client32 dpt-client; do
			out=$("$dir/$c" -D -n -e 2>&1); last=$(printf '%s\n' "$out" | tail -1)
			if [ "$last" = "9 passed, 0 failed" ]; then ok "dpti0 ioctls through CUSE ($c)"
			else printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; bad "dpti0 ioctls through CUSE ($c): $last"; fi
		done
	fi
	stop
done
# 'D' ioctls in both ABIs; then the same machines as /dev/dpti0 alone (dpt_i2o's node: the
# DPT_SIGNATURE probe, I2OUSRCMD through CUSE, the dpti ioctls in both ABIs); then the management
# story (Tests/DPT/test-dpt-story.sh, shortened): raidutil's configuration commands through CUSE, each
# step's listing checked against the daemon's own snapshot, a restart from the state directory in the
# middle of a rebuild.
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
