#!/usr/bin/env bash
# Record round trip, for every fixture F in fixtures/ (through the preload transport):
#   serve F → record F′ (+ dump D of every ioctl record made and its answer)
#   serve F′ → record F″ (+ dump D′)
# Checks: F′ loads (validate), F′ and F″ are byte-identical, D and D′ are identical (F′
# answers every ioctl of the recording — HRT, LCT, each parameter group, pages, modules,
# failures — exactly as F does).
# Also: a recording killed by SIGINT leaves no file behind.
# Usage: Tests/trace/roundtrip.sh I2OSIM_BINARY
set -uo pipefail
bin=${1:?usage: roundtrip.sh I2OSIM_BINARY}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for f in "$root"/fixtures/*.yaml; do
  n=$(basename "$f" .yaml)
  "$bin" run --fixture "$f" -- "$bin" record -o "$work/$n.1.yaml" --dump "$work/$n.d1" 2>"$work/$n.log1" \
    || { echo "FAIL $n: record of the fixture failed"; tail -5 "$work/$n.log1"; fail=1; continue; }
  "$bin" validate "$work/$n.1.yaml" >/dev/null 2>&1 \
    || { echo "FAIL $n: the recorded fixture does not load"; "$bin" validate "$work/$n.1.yaml" | head; fail=1; continue; }
  "$bin" run --fixture "$work/$n.1.yaml" -- "$bin" record -o "$work/$n.2.yaml" --dump "$work/$n.d2" 2>"$work/$n.log2" \
    || { echo "FAIL $n: record of the recorded fixture failed"; tail -5 "$work/$n.log2"; fail=1; continue; }
  if ! cmp -s "$work/$n.1.yaml" "$work/$n.2.yaml"; then
    echo "FAIL $n: F′ and F″ differ"; diff "$work/$n.1.yaml" "$work/$n.2.yaml" | head -20; fail=1; continue
  fi
  if ! cmp -s "$work/$n.d1" "$work/$n.d2"; then
    echo "FAIL $n: F′ answers differently from F"; diff "$work/$n.d1" "$work/$n.d2" | head -20; fail=1; continue
  fi
  echo "ok - $n: round trip byte-identical ($(wc -l <"$work/$n.d1") ioctl answers identical)"
done

# Ctrl-C in the middle of a recording: never a half-written fixture nor a temporary file. The
# SIGINT goes to `i2osim run`, which passes it on to record; at several delays, at least one must
# land in the middle (no file at all), and a recording that finished is the complete one.
interrupted=0
for delay in 0.05 0.1 0.15 0.2 0.3; do
  rm -rf "$work/int"; mkdir -p "$work/int"
  "$bin" run --fixture "$root/fixtures/adaptec-3210s.yaml" -- "$bin" record -o "$work/int/x.yaml" 2>/dev/null &
  pid=$!
  sleep "$delay"
  kill -INT "$pid" 2>/dev/null
  wait "$pid"
  left=$(ls -A "$work/int")
  if [ -z "$left" ]; then interrupted=$((interrupted + 1))
  elif [ "$left" != x.yaml ] || ! cmp -s "$work/int/x.yaml" "$work/adaptec-3210s.1.yaml"; then
    echo "FAIL interrupted record (after ${delay}s) left: $left"; fail=1
  fi
done
if [ $interrupted -eq 0 ]; then echo "FAIL no recording was interrupted in the middle"; fail=1
else echo "ok - $interrupted interrupted recordings left nothing behind"; fi
exit $fail
