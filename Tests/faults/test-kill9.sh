#!/bin/sh
# Persistent state survives kill -9 at any moment (docs/control.md, "Persistent state").
#
#   Tests/faults/test-kill9.sh [I2OSIM] [SECONDS]     (default: SwiftPM's debug i2osim, 90 s)
#
# Runs `i2osim serve --socket S --state-dir D` with a client (state-client.c) that stores
# permanent modules, deletes them and sets a parameter, logging every acknowledged change with
# fsync; kills the daemon with SIGKILL after a random delay, restarts it on the same state
# directory and checks that every acknowledged change is there (and the state file loads).
# Repeats for SECONDS (hundreds of kills; at least 10 for every 9 seconds). Also: a second daemon on a locked directory is
# refused; a damaged state file is reported by name and --fresh-state moves it aside.
# Prints "N passed, N failed".
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"   # ok here takes no name: hundreds of rounds, only failures are shown
find_i2osim "${1:-}"
seconds=${2:-90}
work=$(mktemp -d /tmp/i2osim-kill9.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

build_preload
cc -O2 -Wall -o "$work/state-client" "$repo/Tests/faults/state-client.c" || bail

sock=$work/i2o.sock
state=$work/state
journal=$work/journal

# Starts the daemon and waits for its export line; non-zero when it exited instead.
start() {
    rm -f "$sock"
    serve_socket --socket "$sock" --preload-dir "$bindir" --state-dir "$state" "$@"
}
client() { env LD_PRELOAD="$preload" I2OSIM_SOCKET="$sock" "$work/state-client" "$@"; }

# --- a locked directory, a damaged file -------------------------------------------------
start || bail "daemon did not start: $(cat "$work/err")"
first=$pid
if "$i2osim" serve --socket "$work/other.sock" --preload-dir "$bindir" --state-dir "$state" >/dev/null 2>"$work/err2"; then
    fail "a second daemon on the same state directory was not refused"
elif grep -q "in use by another i2osim" "$work/err2"; then ok; else fail "second daemon: unclear message: $(cat "$work/err2")"; fi
kill -9 "$first"; wait "$first" 2>/dev/null; pid=""
echo '{"version": 1, "iops": [ {"unit": 0, "modules": [' >"$state/state.json"
if start; then fail "a damaged state file was accepted"; kill -9 "$pid"; pid=""
elif grep -q "state file $state/state.json is damaged" "$work/err"; then ok; else fail "damaged file: unclear message: $(cat "$work/err")"; fi
if start --fresh-state && ls "$state"/state.json.damaged-* >/dev/null 2>&1; then ok; else fail "--fresh-state did not move the file aside"; fi
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""

# --- kill -9 at random moments -----------------------------------------------------------
: >"$journal"
end=$(( $(date +%s) + seconds ))
round=0
kills=0
start || bail "daemon did not start: $(cat "$work/err")"
while [ "$(date +%s)" -lt "$end" ]; do
    round=$((round + 1))
    client write "$journal" "$round" >/dev/null 2>&1 &
    cpid=$!
    # 0–60 ms of changes, then SIGKILL wherever the daemon is.
    sleep "0.0$(( $(od -An -N1 -tu1 /dev/urandom) % 60 / 10 ))$(( $(od -An -N1 -tu1 /dev/urandom) % 10 ))"
    kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=""
    kills=$((kills + 1))
    wait "$cpid" 2>/dev/null
    if ! start; then
        fail "round $round: the daemon did not start on the state left by kill -9: $(cat "$work/err")"
        cp "$state/state.json" "$work/../i2osim-kill9-state.json" 2>/dev/null
        break
    fi
    if out=$(client verify "$journal" 2>&1) && [ "$out" = ok ]; then ok; else fail "round $round: $out"; fi
done
[ -n "$pid" ] && { kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=""; }
echo "# $kills kills in $round rounds; journal: $(wc -l <"$journal") entries now"
# At least 100 in the default 90 s, as many for shorter or longer runs (a loaded 2-core machine
# manages about 10 a second).
minimum=$(( (seconds * 10 + 8) / 9 ))
[ "$kills" -ge "$minimum" ] && ok || fail "only $kills kills in $seconds s (at least $minimum expected)"
summary
