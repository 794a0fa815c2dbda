#!/usr/bin/env bash
# `serve --replay` and `serve --record-from` on the preload socket (their CUSE side runs in the
# guest: vm-record-from.sh). A trace recorded with `run --trace` is served by a long-lived
# `serve --socket S --replay T`, --strict and --keyed, to the C suite started with the export
# line; a client that makes no request is a departure (exit 3 at SIGINT); `serve --socket
# --record-from` records the suite on its way to a node (an outer `i2osim run` serves one to
# the daemon through the preload library) and that recording replays.
#   serve-replay.sh I2OSIM CSUITE_DIR            prints "N passed, N failed"
set -u
bin=$1
csuite=$2
work=$(mktemp -d /tmp/i2osim-serve-replay.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
. "$(cd "$(dirname "$0")/../.." && pwd)/Tests/lib/tap.sh"

# Starts `$@` in the background with stdout to $work/$name.out, waits for its export line.
serve() {
  local name=$1; shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  await 30 $! grep -q '^export ' "$work/$name.out"
}
# Runs the 64-bit C suite with the export line of $1.
suite() { (eval "$(grep '^export ' "$work/$1.out")"; "$csuite/i2o-suite" -t 60) >"$work/$1.suite" 2>&1; }
# SIGINT to the last daemon started; its exit status.
stop() { local p=${pids[-1]}; kill -INT "$p"; wait "$p"; }

"$bin" run --trace "$work/s.trace" -- "$csuite/i2o-suite" >/dev/null 2>&1 || fail "recording the C suite with run --trace"

for m in strict keyed; do
  if serve "r-$m" "$bin" serve --socket "$work/r-$m.sock" --replay "$work/s.trace" --$m; then
    suite "r-$m"; src=$?
    stop; rc=$?
    if [ $src -eq 0 ] && [ $rc -eq 0 ] && grep -q " 0 failed" "$work/r-$m.suite" && grep -q "followed the recording" "$work/r-$m.err"; then
      ok "serve --socket --replay --$m answers the C suite from its trace, exits 0 at SIGINT"
    else fail "serve --replay --$m: suite rc $src, serve rc $rc: $(tail -2 "$work/r-$m.suite"; tail -2 "$work/r-$m.err")"; fi
  else fail "serve --socket --replay --$m printed no export line: $(cat "$work/r-$m.err")"; fi
done

# No request at all: the recording's requests were never made.
if serve idle "$bin" serve --socket "$work/idle.sock" --replay "$work/s.trace"; then
  stop; rc=$?
  [ $rc -eq 3 ] && grep -q "recorded request(s) were not made" "$work/idle.err" \
    && ok "serve --replay with no client: a departure at SIGINT (exit 3)" || fail "idle replay: rc $rc, $(tail -2 "$work/idle.err")"
else fail "serve --replay (idle) did not start"; fi

# The options that configure a machine are refused with --replay.
out=$("$bin" serve --socket "$work/x.sock" --replay "$work/s.trace" --fixture fixtures/default.yaml 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "configures a simulated machine" <<<"$out" && ok "--replay refuses --fixture, saying why" \
  || fail "--replay --fixture: rc $rc: $out"

# serve --socket --record-from, the node served to the daemon by an outer `i2osim run`.
if serve rec "$bin" run -- "$bin" serve --socket "$work/rec.sock" --record-from /dev/i2o/ctl --trace "$work/rec.trace"; then
  suite rec; src=$?
  stop; rc=$?
  if [ $src -eq 0 ] && grep -q " 0 failed" "$work/rec.suite"; then
    ok "serve --socket --record-from passes the C suite to the node, recorded ($(wc -l <"$work/rec.trace") requests; daemon rc $rc)"
  else fail "serve --record-from: suite rc $src: $(tail -2 "$work/rec.suite"; tail -2 "$work/rec.err")"; fi
  out=$("$bin" replay "$work/rec.trace" -- "$csuite/i2o-suite" 2>&1); rc=$?
  [ $rc -eq 0 ] && grep -q " 0 failed" <<<"$out" && ok "the serve --record-from trace replays" \
    || fail "replay of the serve --record-from trace (rc $rc): $(grep -v '^ok\|^#' <<<"$out" | tail -3)"
else fail "serve --socket --record-from printed no export line: $(cat "$work/rec.err")"; fi

summary
