#!/bin/sh
# Runs inside the cuse-vm guest (root, real CUSE): `i2osim serve --trace` on /dev/i2o/ctl, the
# C suite against it (a trace written through CUSE); `i2osim serve --name i2o/rec --record-from
# /dev/i2o/ctl --trace` records the statically linked suite (which no preload library reaches)
# through a second CUSE node passing to the first, standing in for a card; `i2osim run
# --record-from /dev/i2o/ctl --trace` records the suite through preload. Then, without the
# node: the traces replay through preload (`i2osim replay`), a CUSE recording through the other
# transport, and the static suite's and the PASSTHRU client's CUSE recordings through CUSE
# (`serve --replay`, both modes).
#   vm-record-from.sh I2OSIM SUITE_DIR
# The suite's watchdog is 300 s per check here (-t): through two daemons in a TCG guest, with
# debug builds, its concurrency section takes most of the default 60 s.
set -u
i2osim=$1
suite=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"

"$i2osim" serve --trace /tmp/cuse.trace >/tmp/serve.out 2>/tmp/serve.err &
serve_pid=$!
await 30 "$serve_pid" grep -q '^ready: /dev/i2o/ctl' /tmp/serve.out
[ -c /dev/i2o/ctl ] && ok "serve --trace: /dev/i2o/ctl is there" || fail "serve did not start: $(cat /tmp/serve.err)"

if "$suite/i2o-suite" -t 300 -d /dev/i2o/ctl >/tmp/suite-cuse.out 2>&1; then ok "C suite through CUSE, traced ($(wc -l </tmp/cuse.trace) requests)"
else fail "C suite through CUSE: $(tail -3 /tmp/suite-cuse.out)"; fi
cp /tmp/cuse.trace /tmp/cuse-suite.trace   # the suite's requests only (every line is written whole)
# The statically linked suite through the same traced node: its part of the trace on its own.
n=$(wc -l </tmp/cuse.trace)
if "$suite/i2o-suite-static" -t 300 >/tmp/suite-static.out 2>&1; then
	tail -n +$((n + 1)) /tmp/cuse.trace >/tmp/cuse-static.trace
	ok "the static suite through CUSE, traced by serve --trace ($(wc -l </tmp/cuse-static.trace) requests)"
else fail "static suite through CUSE: $(tail -3 /tmp/suite-static.out)"; fi
# A PASSTHRU client with a heap pointer in its TransactionContext and fresh buffers each run.
n=$(wc -l </tmp/cuse.trace)
if [ -x "$suite/passthru-client" ] && "$suite/passthru-client" normal >/tmp/pc.out 2>&1; then
	tail -n +$((n + 1)) /tmp/cuse.trace >/tmp/cuse-pc.trace
	ok "passthru-client through CUSE, traced ($(wc -l </tmp/cuse-pc.trace) requests)"
else fail "passthru-client through CUSE: $(tail -3 /tmp/pc.out 2>&1)"; fi

# A second CUSE node recording a static client on its way to the first (a card's stand-in).
"$i2osim" serve --name i2o/rec --record-from /dev/i2o/ctl --trace /tmp/rec.trace >/tmp/rec.out 2>/tmp/rec.err &
rec_pid=$!
await 30 "$rec_pid" grep -q '^ready: /dev/i2o/rec' /tmp/rec.out
if "$suite/i2o-suite-static" -t 300 -d /dev/i2o/rec >/tmp/suite-rec.out 2>&1; then
	ok "the static suite through serve --record-from (CUSE to CUSE), recorded ($(wc -l </tmp/rec.trace) requests)"
else fail "static suite through serve --record-from: $(grep FAIL /tmp/suite-rec.out | head -5; tail -2 /tmp/suite-rec.out; tail -3 /tmp/rec.err)"; fi
kill -INT $rec_pid
wait $rec_pid && [ ! -e /dev/i2o/rec ] && ok "serve --record-from stops on SIGINT, its node gone" || fail "serve --record-from did not stop cleanly"

# The daemon opens the real node; the client sees its own (preloaded) /dev/i2o/ctl.
if "$i2osim" run --record-from /dev/i2o/ctl --trace /tmp/real.trace -- "$suite/i2o-suite" -t 300 >/tmp/suite-pt.out 2>&1; then
	ok "C suite recorded through --record-from /dev/i2o/ctl ($(wc -l </tmp/real.trace) requests)"
else fail "C suite through --record-from: $(grep FAIL /tmp/suite-pt.out | head -5; tail -2 /tmp/suite-pt.out)"; fi

kill -INT $serve_pid
wait $serve_pid
[ ! -e /dev/i2o/ctl ] && ok "the node is gone: replays run without it" || fail "the node is still there"

for t in real cuse-suite cuse-static; do
	if "$i2osim" replay --strict /tmp/$t.trace -- "$suite/i2o-suite" -t 300 >/tmp/replay-$t.out 2>&1 \
		&& grep -q " 0 failed" /tmp/replay-$t.out && grep -q "followed the recording" /tmp/replay-$t.out; then
		ok "the $t trace replays --strict without the card"
	else fail "replay of the $t trace: $(grep -v '^ok\|^#' /tmp/replay-$t.out | tail -5)"; fi
done
# The PASSTHRU client's CUSE recording replayed through preload: its own contexts and buffers.
for m in strict keyed; do
	if "$i2osim" replay --$m /tmp/cuse-pc.trace -- "$suite/passthru-client" normal >/tmp/pc-replay.out 2>&1 \
		&& grep -q "followed the recording" /tmp/pc-replay.out; then
		ok "passthru-client's CUSE recording replays --$m through preload, with other contexts and SGL addresses"
	else fail "passthru-client replay --$m: $(tail -4 /tmp/pc-replay.out)"; fi
done

# A CUSE recording answered through CUSE: `serve --replay TRACE --MODE` is /dev/i2o/ctl; CLIENT…
# runs against it and must pass, and serve must report that the client followed the recording.
#   serve_replay LABEL TRACE MODE CLIENT...
serve_replay() {
	label=$1 trace=$2 m=$3
	shift 3
	"$i2osim" serve --replay "$trace" --$m >/tmp/sr.out 2>/tmp/sr.err &
	sr_pid=$!
	await 30 "$sr_pid" grep -q '^ready: /dev/i2o/ctl' /tmp/sr.out
	"$@" >/tmp/sr-client.out 2>&1
	rc=$?
	kill -INT $sr_pid
	wait $sr_pid
	src=$?
	if [ $rc -eq 0 ] && [ $src -eq 0 ] && grep -q "followed the recording" /tmp/sr.err && [ ! -e /dev/i2o/ctl ]; then
		ok "$label's CUSE recording replays --$m through CUSE (serve --replay): $(tail -1 /tmp/sr-client.out)"
	else fail "serve --replay --$m of $label (client $rc, serve $src): $(grep FAIL /tmp/sr-client.out | head -3; tail -1 /tmp/sr-client.out; grep -v 'failed: E[A-Z]*$' /tmp/sr.err | tail -6)"; fi
}
# The static suite, bad-pointer checks included (requests the kernel ends with EFAULT at a retry,
# or when it copies the reply out); the PASSTHRU client, with a heap pointer in its
# TransactionContext and fresh SGL buffers this run too.
for m in strict keyed; do
	serve_replay "the static suite" /tmp/cuse-static.trace $m "$suite/i2o-suite-static" -t 300
	serve_replay "passthru-client" /tmp/cuse-pc.trace $m "$suite/passthru-client" normal
done

summary
