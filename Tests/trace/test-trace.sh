#!/usr/bin/env bash
# The trace tier: traces, record round trip, replay (through the preload transport).
# Usage: Tests/trace/test-trace.sh I2OSIM_BINARY CSUITE_DIR
set -uo pipefail
bin=${1:?usage: test-trace.sh I2OSIM_BINARY CSUITE_DIR}
csuite=${2:?usage: test-trace.sh I2OSIM_BINARY CSUITE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
ok() { echo "ok - $*"; }
no() { echo "FAIL $*"; fail=1; }

cc=${CC:-cc}
$cc -std=gnu11 -O1 -Wall -Wextra -Werror -I"$root/include" -o "$work/trace-client" "$here/trace-client.c" || { no "cannot build trace-client"; exit 1; }

# 1. A trace of the C suite (64- and 32-bit): one JSON line per request, readable by trace show.
for s in i2o-suite i2o-suite32; do
  out=$("$bin" run --trace "$work/$s.trace" -- "$csuite/$s" 2>&1 | tail -1)
  [[ $out == *" 0 failed" ]] || no "$s under run --trace: $out"
  n=$(wc -l <"$work/$s.trace")
  shown=$("$bin" trace show "$work/$s.trace" | wc -l)
  [ "$n" -gt 1000 ] && [ "$shown" -eq "$n" ] && ok "$s traced: $n requests, trace show prints $shown lines" \
    || no "$s trace: $n lines, trace show $shown"
  "$bin" trace show --json "$work/$s.trace" >"$work/$s.json" && sed -n 2p "$work/$s.json" | grep -q '"op":"ioctl"' || no "trace show --json"

done
grep '"ioctl":"I2OPARMGET"' "$work/i2o-suite.trace" | grep '"frames":\[{"function":"UtilParamsGet"' | grep '"reply":\["0x' >/dev/null \
  && grep -q '"args":\[{"name":"iop","value":"0"},{"name":"tid"' "$work/i2o-suite.trace" \
  && grep -q '"abi":"ilp32"' "$work/i2o-suite32.trace" \
  && grep -q '"pid":[0-9]' "$work/i2o-suite.trace" \
  && ok "records carry decoded args, frames with replies, the ABI and the pid" || no "trace record contents"

# An unknown ioctl is traced with its raw bytes, never dropped.
cat >"$work/unknown.c" <<'C'
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
int main(void) { unsigned char b[8] = {0xde,0xad,0xbe,0xef,1,2,3,4}; int fd = open("/dev/i2o/ctl", O_RDWR);
  return fd < 0 || ioctl(fd, _IOW('i', 99, unsigned char[8]), b) != -1; }
C
$cc -o "$work/unknown" "$work/unknown.c" && "$bin" run --trace "$work/u.trace" -- "$work/unknown" \
  && grep '"ioctl":"unknown"' "$work/u.trace" | grep '"errno":"EINVAL"' | grep '"bytes":"deadbeef01020304"' >/dev/null \
  && ok "an unknown ioctl is traced with its raw bytes" || no "unknown ioctl trace: $(cat "$work/u.trace" 2>/dev/null | tail -1)"

# A traced run stopped by SIGINT: every line written is a whole record.
"$bin" run --trace "$work/int.trace" -- "$csuite/i2o-suite" >/dev/null 2>&1 &
pid=$!; sleep 1; kill -INT $pid 2>/dev/null; wait $pid
"$bin" trace show "$work/int.trace" >/dev/null && ok "an interrupted trace has only whole lines ($(wc -l <"$work/int.trace") requests)" \
  || no "an interrupted trace does not read back"

# 2. Replay of the suite from its trace, --strict and --keyed, 64- and 32-bit.
for s in i2o-suite i2o-suite32; do
  for m in --strict --keyed; do
    out=$("$bin" replay $m "$work/$s.trace" -- "$csuite/$s" 2>&1); rc=$?
    if [ $rc -eq 0 ] && grep -q " 0 failed" <<<"$out" && grep -q "followed the recording" <<<"$out"; then ok "$s replays $m"
    else no "$s replay $m (rc $rc)"; grep -v '^ok\|^#' <<<"$out" | tail -6; fi
  done
done

# 3. Divergence: a changed client is reported at its first divergence; order matters only to --strict.
"$bin" run --trace "$work/c.trace" -- "$work/trace-client" normal >/dev/null || no "trace-client"
"$bin" replay "$work/c.trace" -- "$work/trace-client" normal >/dev/null 2>&1 && ok "trace-client replays" || no "trace-client replay"
out=$("$bin" replay "$work/c.trace" -- "$work/trace-client" changed 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "expected: #4 .*I2OPARMGET" <<<"$out" && grep -q "received: I2OPARMGET" <<<"$out" \
   && grep -q "difference: round 2 read 1 (opbuf): byte 6: 0x01, recorded 0x00" <<<"$out"; then ok "a changed client: first divergence reported (rc $rc)"
else no "changed client (rc $rc): $out"; fi
out=$("$bin" replay --strict "$work/c.trace" -- "$work/trace-client" reordered 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "received: I2OLCTGET" <<<"$out" && ok "--strict refuses another order" || no "strict reordered (rc $rc): $out"
"$bin" replay --keyed "$work/c.trace" -- "$work/trace-client" reordered >/dev/null 2>&1 && ok "--keyed accepts another order" || no "keyed reordered"
out=$("$bin" replay "$work/c.trace" -- true 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "recorded request(s) were not made" <<<"$out" && ok "a client that stops early diverges" || no "early stop (rc $rc): $out"

# 3a. PASSTHRU frames (64- and 32-bit): a tool's contexts (the pid, a heap pointer) and SGL
#     addresses (fresh malloc'd buffers) differ on every run; replay relocates the addresses,
#     gives the client its own contexts back, and still names a byte changed elsewhere.
for bits in 64 32; do
  pc="$work/passthru-client$bits"
  $cc -std=gnu11 -O1 -Wall -Wextra -Werror -m$bits -no-pie -I"$root/include" -o "$pc" "$here/passthru-client.c" \
    || { no "cannot build passthru-client ($bits-bit)"; continue; }
  out=$("$bin" run --trace "$work/p$bits.trace" -- "$pc" normal 2>&1); rc=$?
  if [ $rc -ne 0 ] || ! grep -q " 0 failed" <<<"$out"; then no "passthru-client ($bits-bit) under run --trace (rc $rc): $out"; continue; fi
  recorded=$(grep '^addresses:' <<<"$out")
  for m in --strict --keyed; do
    out=$("$bin" replay $m "$work/p$bits.trace" -- "$pc" normal 2>&1); rc=$?
    replayed=$(grep '^addresses:' <<<"$out")
    if [ $rc -eq 0 ] && grep -q " 0 failed" <<<"$out" && [ -n "$replayed" ] && [ "$replayed" != "$recorded" ]; then
      ok "passthru-client ($bits-bit) replays $m with other contexts and SGL addresses"
    else no "passthru-client ($bits-bit) replay $m (rc $rc; recorded$recorded; replayed$replayed)"; grep -v '^ok\|^#' <<<"$out" | tail -6; fi
  done
  out=$("$bin" replay "$work/p$bits.trace" -- "$pc" changed 2>&1); rc=$?
  if [ $rc -eq 3 ] && grep -q "expected: #[0-9]* .*I2OPASSTHRU" <<<"$out" && grep -q "received: I2OPASSTHRU" <<<"$out" \
     && grep -q "difference: round 3 read 0 (msg): byte 16: 0x01, recorded 0x00" <<<"$out"; then
    ok "passthru-client ($bits-bit) with a changed OperationFlags byte: departure reported (rc $rc)"
  else no "passthru-client ($bits-bit) changed (rc $rc): $out"; fi
done

# 3b. --record-from without a VM: an outer `i2osim run` serves the machine to an inner
#     `i2osim run --record-from`, whose daemon's own open/ioctl calls go through the outer
#     preload library — the same path as a real node. The trace replays without either.
out=$("$bin" run -- "$bin" run --record-from /dev/i2o/ctl --trace "$work/pt.trace" -- "$csuite/i2o-suite" 2>&1 | tail -1)
if [[ $out == *" 0 failed" ]]; then ok "the C suite passes through --record-from ($(wc -l <"$work/pt.trace") requests)"
else no "C suite through --record-from: $out"; fi
out=$("$bin" replay "$work/pt.trace" -- "$csuite/i2o-suite" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q " 0 failed" <<<"$out" && ok "the --record-from trace replays --strict" \
  || { no "replay of the --record-from trace (rc $rc)"; grep -v '^ok\|^#' <<<"$out" | tail -5; }
out=$("$bin" run -- "$bin" run --record-from /dev/i2o/ctl --trace "$work/ppt.trace" -- "$work/passthru-client64" normal 2>&1 | tail -1)
[[ $out == *" 0 failed" ]] && out=$("$bin" replay --keyed "$work/ppt.trace" -- "$work/passthru-client64" normal 2>&1) \
  && grep -q " 0 failed" <<<"$out" && ok "passthru-client through --record-from, replayed --keyed" \
  || no "passthru-client through --record-from: $out"

# 3c. serve --replay and serve --record-from on the preload socket (their CUSE side: section 5).
"$here/serve-replay.sh" "$bin" "$csuite" || fail=1

# 4. Record round trip for every fixture.
"$here/roundtrip.sh" "$bin" || fail=1

# 5. --record-from a real node (CUSE in a VM), and a trace written through CUSE, replayed.
if [[ " ${I2OSIM_SKIP_TIERS:-} " == *" cuse "* ]]; then
  echo "################ SKIPPED trace VM part (cuse skipped) — NOT TESTED ################"
else
  # The PASSTHRU client beside the suite, where the guest sees it (its /tmp is its own).
  $cc -std=gnu11 -O1 -Wall -Wextra -Werror -no-pie -I"$root/include" -o "$csuite/passthru-client" "$here/passthru-client.c" \
    || no "cannot build passthru-client for the guest"
  # Nine runs of the C suite (and three of the PASSTHRU client) through one or two daemons in a
  # TCG guest: more than cuse-vm's 600 s default on a busy host.
  CUSE_VM_TIMEOUT=${CUSE_VM_TIMEOUT:-1800} "$root/scripts/cuse-vm" -- "$here/vm-record-from.sh" "$bin" "$csuite" || fail=1
fi
exit $fail
