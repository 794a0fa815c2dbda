#!/bin/sh
# The management story through the preload transport, against one daemon with a state
# directory (docs/dpt-protocol.md §Management): raidutil's configuration commands
# (Tests/DPT/dpt-client.c -c, the tool's frames) change the controller, and after each step the
# whole `-L all` listing of the live daemon is checked against the expectations made from its
# own `ctl snapshot` — the LCT, LOG 0x36, the LAP and PAP pages, INQUIRY and READ CAPACITY
# agree. Story: a RAID-1 created and deleted; a RAID-5 from three free disks built; a hot spare;
# a member failed, the rebuild onto the spare advancing with `ctl clock --advance` and
# finishing; the failed drive pulled and a new one plugged in as a hot spare (`ctl drive
# --state removed`, `ctl insert-drive`); write-back; the event log read and cleared; a fault
# rule failing a member as a frame goes by; a restart from the state directory in the middle. Then kill -9 during a create and during a rebuild loses nothing acknowledged and
# leaves no half-made array.
#
#   Tests/DPT/test-dpt-story.sh [I2OSIM] [ROUNDS]   (default: SwiftPM's debug i2osim, 8 kill rounds)
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"
find_i2osim "${1:-}"
rounds=${2:-8}
work=$(mktemp -d /tmp/i2osim-dpt-story.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

build_preload
"$repo/Tests/DPT/build.sh" "$work" >/dev/null || bail
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
fixture=$repo/Tests/DPT/fixtures/six-disks.yaml
sock=$work/i2o.sock ctl=$work/i2o.ctl state=$work/state

# start [ARGS…]: the daemon on the state directory, the clock stopped unless ARGS say otherwise.
start() {
    rm -f "$sock"
    serve_socket --fixture "$fixture" --socket "$sock" --preload-dir "$bindir" --state-dir "$state" \
        --control "$ctl" --clock-speed 0 "$@"
}
stop() { [ -n "$pid" ] && { kill -TERM "$pid"; wait "$pid" 2>/dev/null; pid=""; }; }
kill9() { [ -n "$pid" ] && { kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=""; }; }
client() { env LD_PRELOAD="$preload" I2OSIM_SOCKET="$sock" "$work/dpt-client32" "$@"; }
ctl() { "$i2osim" ctl "$ctl" "$@"; }

# do NAME COMMAND…: one configuration command, acknowledged.
do_() {
    name=$1; shift
    out=$(client -c "$@" 2>&1); rc=$?
    if [ $rc -eq 0 ]; then ok "$name"; else printf '%s\n' "$out" | sed 's/^/# /'; fail "$name (rc $rc)"; fi
}
# agrees NAME: the live listing agrees with the daemon's own snapshot.
agrees() {
    ctl snapshot --path "$work/snap.yaml" >/dev/null || { fail "$1: snapshot"; return; }
    "$i2osim" show --json "$work/snap.yaml" | "$repo/Tests/DPT/expect.py" >"$work/now.x" || { fail "$1: expectations"; return; }
    out=$(client -x "$work/now.x" 2>&1); rc=$?
    last=$(printf '%s\n' "$out" | tail -1)
    if [ $rc -eq 0 ]; then ok "$1: listing agrees ($last)"; else printf '%s\n' "$out" | grep -v '^ok' | sed 's/^/# /'; fail "$1: $last"; fi
}
# status ADDR: "MAIN PERCENT" from the LAP.
status() { client -c status "$1" 2>/dev/null | awk '/^status/ { print $3, $4 }'; }
expect_status() {
    s=$(status "$2")
    case "$s" in $3) ok "$1: $2 is $s";; *) fail "$1: $2 is '$s', expected $3";; esac
}

start || bail "daemon did not start: $(cat "$work/err")"
agrees "the six-disk machine"
do_ "create RAID-1 from b0t2, b1t0" raid 1 b0t2d0,b1t0d0
expect_status "new RAID-1" b0t2d0 "Building*"
agrees "RAID-1 created"
do_ "delete the RAID-1" delete b0t2d0
agrees "RAID-1 deleted"
do_ "create RAID-5 from b0t2, b1t0, b1t1" raid 5 b0t2d0,b1t0d0,b1t1d0
agrees "RAID-5 building"
ctl clock --advance 3600 >/dev/null
expect_status "after an hour" b0t2d0 "Optimal*"
do_ "hot spare b1t2" hotspare b1t2d0
agrees "hot spare added"
do_ "fail b1t0" fail b1t0d0
expect_status "the spare took over" b0t2d0 "Reconstruct 0"
agrees "member failed, rebuilding onto the spare"
ctl clock --advance 600 >/dev/null
before=$(status b0t2d0)
case "$before" in "Reconstruct "[1-9]*) ok "the rebuild advances: $before";; *) fail "rebuild progress: '$before'";; esac
stop
start || fail "restart: $(cat "$work/err")"
after=$(status b0t2d0)
[ "$after" = "$before" ] && ok "after a restart: $after" || fail "after a restart: '$after', was '$before'"
agrees "restarted mid-rebuild"
ctl clock --advance 3600 >/dev/null
expect_status "the rebuild finished" b0t2d0 "Optimal*"
agrees "rebuilt"
ctl drive --at b1t0d0 --state removed >/dev/null && ok "the failed drive pulled" || fail "pull b1t0"
agrees "b1t0 pulled"
ctl insert-drive --at b1t0d0 >/dev/null && ok "a new drive plugged in at b1t0" || fail "insert b1t0"
agrees "b1t0 plugged in"
do_ "the new drive as a hot spare" hotspare b1t0d0
agrees "new hot spare"
do_ "write-back on" writeback b0t2d0 on
c=$(client -c cache b0t2d0 2>/dev/null | awk '/^cache/ { print $3 }')
[ "$c" = on ] && ok "page 8 reads write-back" || fail "page 8: '$c'"
log=$(client -c log 2>&1)
if printf '%s\n' "$log" | grep -q "drive b1t0d0 failed" && printf '%s\n' "$log" | grep -q "rebuilt"; then ok "the event log has the failure and the rebuild"
else printf '%s\n' "$log" | sed 's/^/# /'; fail "event log"; fi
printf '%s\n' "$log" | grep -q '^event 4 ' && ok "a critical event (severity 4)" || fail "no severity-4 event"
do_ "clear the event log" logclear
[ "$(client -c log 2>/dev/null | awk '/^events/ { print $2 }')" = 0 ] && ok "the log is empty" || fail "the log is not empty"
# A fault rule fails a member when a frame goes by (the next SCB to TID 0): the new spare takes over.
ctl fault-add --function 0xFF --tid 0 --action firmware --firmware "drive b1t1d0 failed" --count once >/dev/null \
    && ok "fault rule: fail b1t1 on the next SCB to TID 0" || fail "fault-add firmware"
client -c log >/dev/null 2>&1
expect_status "the fault rule failed b1t1, the spare rebuilds" b0t2d0 "Reconstruct 0"
agrees "after the fault rule"
stop
start || fail "second restart: $(cat "$work/err")"
agrees "after a second restart"
c=$(client -c cache b0t2d0 2>/dev/null | awk '/^cache/ { print $3 }')
[ "$c" = on ] && ok "write-back kept" || fail "write-back after restart: '$c'"
stop

# --- kill -9 during a create and during a rebuild ---------------------------------------
# kill_rounds ROUND: the function ROUND $rounds times, each on a fresh state directory, the round
# number in r; ROUND counts in lost the acknowledged changes the restart lost.
kill_rounds() {
    lost=0 half=0 r=0
    while [ $r -lt "$rounds" ]; do
        r=$((r + 1))
        rm -rf "$state"
        "$1"
        stop
    done
}
# consistent NAME: after a restart, the listing agrees; shown, and counted in half, only when not.
consistent() {
    agrees "$1" >"$work/k.out"
    grep -q '^ok' "$work/k.out" || { half=$((half + 1)); cat "$work/k.out"; }
}
create_round() {
    start || { fail "round $r: start"; return; }
    client -c raid 1 b0t2d0,b1t0d0 >/dev/null 2>&1 &
    cpid=$!
    sleep "0.0$(( $(od -An -N1 -tu1 /dev/urandom) % 5 ))"
    kill9
    wait "$cpid"; acked=$?
    start || { fail "round $r: restart"; return; }
    s=$(status b0t2d0)
    [ $acked -eq 0 ] && [ -z "$s" ] && lost=$((lost + 1))
    consistent "kill -9 during a create, round $r (acknowledged: $([ $acked -eq 0 ] && echo yes || echo no), now: ${s:-none})"
}
kill_rounds create_round
[ $lost -eq 0 ] && ok "kill -9 during a create: no acknowledged array lost ($rounds rounds)" || fail "$lost acknowledged arrays lost"
[ $half -eq 0 ] && ok "kill -9 during a create: never a half-made array" || fail "$half inconsistent machines"
rebuild_round() {
    start --clock-speed 200 || { fail "round $r: start"; return; }
    client -c hotspare b1t2d0 >/dev/null 2>&1
    client -c fail b0t1d0 >/dev/null 2>&1; acked=$?
    sleep "0.$(( $(od -An -N1 -tu1 /dev/urandom) % 9 + 1 ))"
    kill9
    start || { fail "round $r: restart"; return; }
    s=$(status b0t0d0)
    case "$s" in "Reconstruct "*|"Optimal "*) ;; *) [ $acked -eq 0 ] && lost=$((lost + 1)); echo "# round $r: $s";; esac
    consistent "kill -9 during a rebuild, round $r (now: $s)"
}
kill_rounds rebuild_round
[ $lost -eq 0 ] && ok "kill -9 during a rebuild: the failure and the takeover kept ($rounds rounds)" || fail "$lost rounds lost the failure"
[ $half -eq 0 ] && ok "kill -9 during a rebuild: the machine always consistent" || fail "$half inconsistent machines"

summary
