# Shared by the shell tests: one line per check ("ok - NAME", "FAIL - NAME") and the last line
# "N passed, N failed" that scripts/test and the CI read. POSIX sh (dash); bash sources it too.
# Sourced, with $repo the checkout (in the cuse-vm guest the same path, read-only):
#
#   repo=$(cd "$(dirname "$0")/../.." && pwd)
#   . "$repo/Tests/lib/tap.sh"
#   find_i2osim "${1:-}"; build_preload       # host tests of the preload transport
#   check "NAME" COMMAND…; ok "NAME"; fail "NAME"
#   summary                                   # the last command: its status is the script's
passed=0
failed=0
# ok [NAME]: a check passed; without a NAME it only counts (scripts of hundreds of rounds).
ok() { passed=$((passed + 1)); [ $# -eq 0 ] || echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
# check NAME COMMAND…: ok when COMMAND succeeds, else FAIL.
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
summary() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; }
# bail [MESSAGE]: a set-up step failed, the script cannot go on; counts as one more failure.
bail() { [ $# -eq 0 ] || echo "$1"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }

# find_i2osim [I2OSIM]: sets i2osim (default: SwiftPM's debug build), made absolute as daemons and
# some checks run in other directories; bindir, its directory; and preload, the LD_PRELOAD value
# for 64- and 32-bit clients of the library build_preload puts there. Bails when i2osim is not there.
find_i2osim() {
    i2osim=${1:-$(cd "$repo" && swift build --show-bin-path)/i2osim}
    [ -x "$i2osim" ] || bail "no i2osim at $i2osim (swift build first)"
    bindir=$(cd "$(dirname "$i2osim")" && pwd)
    i2osim=$bindir/$(basename "$i2osim")
    preload="$bindir/i2osim-preload/\$PLATFORM/libi2osim-preload.so"
}
# build_preload: the preload library next to i2osim (Sources/CPreload/build.sh), where `i2osim run`
# and `serve --preload-dir` look for it.
build_preload() {
    "$repo/Sources/CPreload/build.sh" "$bindir" >/dev/null || bail "cannot build the preload library"
}

# await SECONDS PID COMMAND…: polls COMMAND (its complaints hidden: the file it reads may not be
# there yet) every 0.02 s until it succeeds. Fails after about SECONDS, or at once when the
# process PID (none if empty) has exited — a daemon that will never be ready.
await() {
    tries=$(($1 * 50)) apid=$2
    shift 2
    while [ "$tries" -gt 0 ]; do
        "$@" 2>/dev/null && return 0
        [ -z "$apid" ] || kill -0 "$apid" 2>/dev/null || return 1
        tries=$((tries - 1))
        sleep 0.02
    done
    return 1
}
# serve_socket ARGS…: `i2osim serve ARGS…` in the background, its output in $work/out and $work/err,
# its pid in $pid; waits for its export line (printed once the socket listens: the socket file
# alone appears at bind, before listen). Fails when it exited instead (pid then empty) or after 20 s.
serve_socket() {
    : >"$work/out"   # now, not in the background job: an old export line must be gone
    "$i2osim" serve "$@" >"$work/out" 2>"$work/err" &
    pid=$!
    await 20 "$pid" grep -q '^export' "$work/out" && return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; pid=""; }
    return 1
}
