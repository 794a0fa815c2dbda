#!/bin/sh
# Runs inside the cuse-vm guest (as root): `i2osim serve --user nobody` on the real CUSE driver,
# then checks that the daemon runs as nobody and still serves, the bad-input matrix 64- and
# 32-bit, and a short load run (C clients x N ioctls, events counted, daemon VmRSS).
#   vm-hardening.sh I2OSIM HOSTILE_DIR [CLIENTS N]
# Prints one line per check and `N passed, N failed`.
set -u
i2osim=$1
dir=$2
clients=${3:-8}
n=${4:-1000}
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"

"$i2osim" serve --user nobody --mode 0666 >/tmp/serve.out 2>/tmp/serve.err &
serve_pid=$!
await 60 $serve_pid grep -q 'running as user nobody' /tmp/serve.err
if grep -q '^ready: /dev/i2o/ctl' /tmp/serve.out && grep -q 'running as user nobody' /tmp/serve.err; then
	ok "serve --user nobody: ready, then dropped root"
else
	fail "serve --user nobody did not come up: $(cat /tmp/serve.err)"
fi
uid=$(id -u nobody)
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/$serve_pid/status)
gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' /proc/$serve_pid/status)
groups=$(awk '/^Groups:/ { $1 = ""; print }' /proc/$serve_pid/status | tr -d ' ')
if [ "$uids" = "$uid $uid $uid $uid" ]; then ok "daemon uid is nobody's ($uid) — real, effective, saved, fs"
else fail "daemon Uid line: $uids (nobody is $uid)"; fi
gid=$(id -g nobody)
if [ "$gids" = "$gid $gid $gid $gid" ] && [ "$groups" = "$gid" -o -z "$groups" ]; then ok "daemon gid is nobody's group ($gid), no other groups"
else fail "daemon Gid line: $gids, Groups: $groups"; fi
stat -c '%a %U' /dev/i2o/ctl | grep -q '^666 root' && ok "node is 0666 (set before the drop)" || fail "node: $(stat -c '%a %U' /dev/i2o/ctl)"

echo "# matrix, 64-bit"
if "$dir/hostile" -d /dev/i2o/ctl matrix; then ok "bad-input matrix 64-bit through CUSE"; else fail "matrix 64-bit"; fi
echo "# matrix, 32-bit"
if "$dir/hostile32" -d /dev/i2o/ctl matrix; then ok "bad-input matrix 32-bit through CUSE"; else fail "matrix 32-bit"; fi
echo "# load"
if "$dir/hostile" -d /dev/i2o/ctl -p $serve_pid load "$clients" "$n" 500; then ok "load $clients x $n through CUSE"; else fail "load through CUSE"; fi
kill -0 $serve_pid 2>/dev/null && ok "the daemon is still running" || fail "the daemon died"

kill -TERM $serve_pid
wait $serve_pid
rc=$?
i=0
while [ -e /dev/i2o/ctl ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ $rc -eq 0 ] && [ ! -e /dev/i2o/ctl ]; then ok "SIGTERM stops it as nobody (status 0), node removed"
else fail "after SIGTERM: rc=$rc node exists=$([ -e /dev/i2o/ctl ] && echo yes || echo no)"; fi

if [ $failed -ne 0 ]; then echo "# serve's log (last lines):"; tail -n 30 /tmp/serve.err | sed 's/^/#   /'; fi
summary
