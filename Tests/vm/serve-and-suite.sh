#!/bin/sh
# Runs inside the cuse-vm guest (as root, host file system read-only, /tmp writable):
# starts `i2osim serve` on the real CUSE driver, runs the C client suite (64- and 32-bit)
# against /dev/i2o/ctl, and checks what a user sees: the ready line, the suite through both names,
# a second serve on the same name refused, Ctrl-C removing the node, a restart, a broken
# fixture refused before any node appears, and the suite (64/32) under `serve --personality P`
# for linux-2.6.18, linux-2.6.18-i386 and linux-2.4 (one serve each), and a failed IOP as each
# personality's driver saw it (Tests/faults/hung-iop.sh cuse).
#   serve-and-suite.sh I2OSIM SUITE_DIR
# Prints one line per check and `N passed, N failed`.
set -u
i2osim=$1
suite=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"

start_serve() {
	"$i2osim" serve "$@" >/tmp/serve.out 2>/tmp/serve.err &
	serve_pid=$!
	await 30 $serve_pid grep -q '^ready: /dev/i2o/ctl' /tmp/serve.out
}

if start_serve; then ok "serve prints 'ready: /dev/i2o/ctl'"; else fail "serve did not become ready: $(cat /tmp/serve.err)"; fi
[ -c /dev/i2o/ctl ] && ok "/dev/i2o/ctl is a character device" || fail "/dev/i2o/ctl is not a character device"
[ "$(grep -c '^ready:' /tmp/serve.out)" = 1 ] && ok "the ready line is printed once" || fail "ready line count: $(cat /tmp/serve.out)"

echo "# C suite, 64-bit"
if "$suite/i2o-suite" -d /dev/i2o/ctl; then ok "C suite 64-bit through CUSE"; else fail "C suite 64-bit through CUSE"; fi
echo "# C suite, 32-bit"
if "$suite/i2o-suite32" -d /dev/i2o/ctl; then ok "C suite 32-bit through CUSE"; else fail "C suite 32-bit through CUSE"; fi

# Several processes and threads at once: the suite's own concurrency checks (4 threads and 3
# forked processes on their own open files) ran above through this node.

# A second serve on the same name.
"$i2osim" serve >/tmp/serve2.out 2>/tmp/serve2.err
rc=$?
if [ $rc -ne 0 ] && grep -q 'already exists' /tmp/serve2.err; then ok "a second serve is refused: $(head -1 /tmp/serve2.err)"
else fail "second serve: rc=$rc $(cat /tmp/serve2.err)"; fi

# Ctrl-C removes the node.
kill -INT $serve_pid
wait $serve_pid
rc=$?
i=0
while [ -e /dev/i2o/ctl ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ $rc -eq 0 ] && [ ! -e /dev/i2o/ctl ]; then ok "SIGINT stops serve (status 0) and removes the node"; else fail "after SIGINT: rc=$rc node exists=$([ -e /dev/i2o/ctl ] && echo yes || echo no)"; fi

# Start again, with both names, and a ready file (written once both nodes exist, removed at the stop).
rm -f /tmp/serve.ready
if start_serve --name i2o/ctl --name i2octl --ready-file /tmp/serve.ready && [ -c /dev/i2octl ]; then ok "serve starts again, with /dev/i2octl too"; else fail "restart with two names: $(cat /tmp/serve.err)"; fi
i=0
while [ ! -e /tmp/serve.ready ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ "$(cat /tmp/serve.ready 2>/dev/null)" = "$(printf '/dev/i2o/ctl\n/dev/i2octl')" ] && [ -c /dev/i2o/ctl ] && [ -c /dev/i2octl ]; then ok "--ready-file names both nodes, which exist"
else fail "--ready-file: $(cat /tmp/serve.ready 2>&1)"; fi
if "$suite/i2o-suite" -d /dev/i2octl >/tmp/c.out 2>&1; then ok "C suite through /dev/i2octl"; else fail "C suite through /dev/i2octl: $(tail -5 /tmp/c.out)"; fi
kill -TERM $serve_pid
wait $serve_pid
if [ ! -e /tmp/serve.ready ]; then ok "SIGTERM removes the ready file"; else fail "the ready file outlived serve"; fi

# A broken fixture is refused before any node appears.
printf 'machine: broken\niops:\n  - unit: 0\n    devices:\n      - tid: 0\n        class: NO_SUCH_CLASS\n' >/tmp/broken.yaml
"$i2osim" serve --fixture /tmp/broken.yaml >/tmp/serve3.out 2>/tmp/serve3.err
rc=$?
if [ $rc -ne 0 ] && [ ! -e /dev/i2o/ctl ] && grep -q 'broken.yaml:' /tmp/serve3.err; then ok "a broken fixture is refused before any node: $(head -1 /tmp/serve3.err)"
else fail "broken fixture: rc=$rc $(cat /tmp/serve3.err)"; fi

# The kernel personalities: one serve each, the suite judged by that personality's column.
for p in linux-2.6.18 linux-2.6.18-i386 linux-2.4; do
	if start_serve --personality "$p"; then
		ok "serve --personality $p is ready"
		if "$suite/i2o-suite" -d /dev/i2o/ctl -p "$p" >/tmp/c.out 2>&1; then ok "C suite 64-bit, $p: $(tail -1 /tmp/c.out)"
		else fail "C suite 64-bit, $p: $(grep ^FAIL /tmp/c.out | head -5) $(tail -1 /tmp/c.out)"; fi
		if "$suite/i2o-suite32" -d /dev/i2o/ctl -p "$p" >/tmp/c.out 2>&1; then ok "C suite 32-bit, $p: $(tail -1 /tmp/c.out)"
		else fail "C suite 32-bit, $p: $(grep ^FAIL /tmp/c.out | head -5) $(tail -1 /tmp/c.out)"; fi
		kill -TERM $serve_pid
		wait $serve_pid
		i=0
		while [ -e /dev/i2o/ctl ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	else
		fail "serve --personality $p did not become ready: $(cat /tmp/serve.err)"
	fi
done

# A failed IOP as each personality's driver saw it, through CUSE (Tests/faults/hung-iop.sh).
if sh "$repo/Tests/faults/hung-iop.sh" cuse "$i2osim" >/tmp/hung.out 2>&1; then ok "a failed IOP through CUSE: $(tail -1 /tmp/hung.out)"
else fail "a failed IOP through CUSE: $(grep ^FAIL /tmp/hung.out | head -5) $(tail -1 /tmp/hung.out)"; fi

if [ $failed -ne 0 ]; then echo "# serve's log (last lines):"; grep -v -E "EIO|EINVAL|ENXIO|ENODEV|ENOBUFS" /tmp/serve.err | tail -n 40 | sed 's/^/#   /'; fi
summary
