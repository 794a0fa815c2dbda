#!/bin/sh
# kill -9 of the daemon while a client writes (write-through): after every restart, every write the
# daemon acknowledged reads back. Each trial starts the daemon on the same disk directory, checks
# all writes acknowledged so far, starts a client writing fresh 8-block patterns, and kills the
# daemon with SIGKILL a random 0–29 ms after the first write was acknowledged, mid-stream.
#
#   Tests/block/kill9.sh I2OSIM CLIENT TRIALS
#
# Prints "N passed, N failed" (one check per trial, and one for the final count).
set -u
client=$2; trials=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"
find_i2osim "$1"
work=$(mktemp -d /tmp/i2osim-kill9.XXXXXX)
daemon=
trap '[ -n "$daemon" ] && kill -9 $daemon 2>/dev/null; rm -rf "$work"' EXIT
fixture=$repo/fixtures/promise-supertrak100-l2.yaml
log=$work/acked     # every acknowledged write; $log.T the writes of trial T
cl() { LD_PRELOAD="$preload" I2OSIM_SOCKET="$work/s.sock" "$client" "$@"; }
start() {
    rm -f "$work/ready"
    "$i2osim" serve --socket "$work/s.sock" --fixture "$fixture" --disk-dir "$work/disks" --ready-file "$work/ready" \
        >"$work/serve.out" 2>&1 &
    daemon=$!
    await 4 "$daemon" test -e "$work/ready"
}
next=0; acked=0; started=$(date +%s)
for t in $(seq "$trials"); do
    if ! start; then fail "trial $t: the daemon did not start"; sed 's/^/#   /' "$work/serve.out"; break; fi
    prev=$log.$((t - 1)); [ -e "$prev" ] || : >"$prev"
    if ! out=$(cl 14 check-log "$prev" 2>&1); then
        fail "trial $t: $(echo "$out" | tail -1)"; echo "$out" | head -5 | sed 's/^/#   /'
    else
        ok
    fi
    cl 14 torture "$log.$t" $next $t 2>/dev/null &
    writer=$!
    # Once it writes (its first acknowledged write logged), let it run a random 0–29 ms more.
    for _ in $(seq 100); do [ -s "$log.$t" ] && break; sleep 0.02; done
    sleep "$(printf '0.%03d' $(( (t * 7919) % 30 )))"
    kill -9 $daemon; wait $daemon 2>/dev/null; daemon=
    wait $writer
    touch "$log.$t"; cat "$log.$t" >>"$log"
    acked=$(wc -l <"$log")
    # On past the last acknowledged write and the one in flight: no write ever lands on another's blocks.
    [ -s "$log.$t" ] && next=$(( $(tail -1 "$log.$t" | cut -d' ' -f1) + 64 ))
    [ $((t % 100)) = 0 ] && echo "# $t trials, $acked acknowledged writes so far ($(( $(date +%s) - started )) s)"
done
touch "$log"
start && out=$(cl 14 check-log "$log" 2>&1) && ok || fail "final check: $out"
kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; daemon=
echo "# $trials kill -9 trials: $(echo "$out" | tail -1)"
summary
