#!/bin/sh
# The preload transport through the real CLI: `i2osim run` and `i2osim serve --socket`.
#
#   Tests/preload/test-preload.sh [I2OSIM]      (default: SwiftPM's debug i2osim)
#
# Builds the preload libraries next to the binary (Sources/CPreload/build.sh), the C suite
# (Tests/CSuite/build.sh) and a small stat probe, then checks the node, exit statuses, signal
# forwarding, cleanup, a missing daemon, serve --socket, and runs the C suite 64- and 32-bit
# (also with process_vm_* refused by seccomp: Tests/preload/nopvm.c, the pipe fallback),
# also as the unprivileged user nobody when we are root. Prints "N passed, N failed".
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"
find_i2osim "${1:-}"
work=$(mktemp -d /tmp/i2osim-preload-sh.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

build_preload
"$repo/Tests/CSuite/build.sh" "$work/csuite" >/dev/null 2>&1 || echo "# C suite not built"
cat >"$work/probe.c" <<'EOF'
#include <stdio.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
int main(int argc, char **argv) {
    struct stat st;
    const char *dev = argc > 1 ? argv[1] : "/dev/i2o/ctl";
    if (stat(dev, &st) != 0) { printf("stat: %s\n", strerror(errno)); return 1; }
    int fd = open(dev, O_RDWR);
    printf("%s %u:%u %d\n", S_ISCHR(st.st_mode) ? "chr" : "other", major(st.st_rdev), minor(st.st_rdev),
           fd >= 0 ? 0 : errno);
    return 0;
}
EOF
cc -o "$work/probe64" "$work/probe.c" && cc -m32 -o "$work/probe32" "$work/probe.c" 2>/dev/null
chmod -R a+rX "$work"

export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
chmod 1777 "$TMPDIR"

cc -I"$repo/include" -o "$work/smallbuf" "$repo/Tests/preload/smallbuf.c"
check "PARMGET into a small buffer at the end of a mapping (the 64 KiB reservation is not probed)" \
    sh -c "'$i2osim' run -- '$work/smallbuf' | grep -q '^ok '"

check "64-bit process sees a character device 10:166 and opens it" \
    test "$("$i2osim" run -- "$work/probe64")" = "chr 10:166 0"
if [ -x "$work/probe32" ]; then
    check "32-bit process too (no 'wrong ELF class' message)" \
        test "$("$i2osim" run -- "$work/probe32" 2>&1)" = "chr 10:166 0"
fi
check "/dev/i2octl is served as well" test "$("$i2osim" run -- "$work/probe64" /dev/i2octl)" = "chr 10:166 0"
check "--device serves another path" \
    test "$("$i2osim" run --device /tmp/my-i2o -- "$work/probe64" /tmp/my-i2o)" = "chr 10:166 0"
check "ls -l shows the node without complaint" \
    sh -c "'$i2osim' run -- ls -l /dev/i2o/ctl 2>&1 | grep -q '^crw-rw-rw- 1 root root 10, 166'"
check "other files untouched" test "$("$i2osim" run -- cat /etc/passwd | md5sum)" = "$(md5sum </etc/passwd)"
# A statically linked program never loads the preload library: run says so (and why, and what
# to use instead) before it starts it; a dynamically linked one gets no such word.
if cc -static -o "$work/probe-static" "$work/probe.c" 2>/dev/null; then
    out=$(cd "$work" && PATH="$work:$PATH" "$i2osim" run -- probe-static 2>&1)
    if printf '%s' "$out" | grep -q "warning: $work/probe-static is statically linked" \
        && printf '%s' "$out" | grep -q 'i2osim serve' && printf '%s' "$out" | grep -q 'scripts/cuse-vm'; then
        ok "a statically linked COMMAND (found in PATH): a warning that names CUSE"
    else fail "a statically linked COMMAND: no clear warning: $out"; fi
else
    echo "skip - a statically linked COMMAND (no static libc to build one)"
fi
check "no warning for a dynamically linked COMMAND" test -z "$("$i2osim" run -- "$work/probe64" 2>&1 >/dev/null)"
"$i2osim" run -- sh -c 'exit 42'
check "exit status of COMMAND" test $? = 42
"$i2osim" run -- sh -c 'kill -KILL $$'
check "128+signal when COMMAND is killed" test $? = 137
"$i2osim" run -- no-such-command-here 2>/dev/null
check "127 when COMMAND is not found" test $? = 127
# 125: i2osim itself could not start (docs/preload-protocol.md), whatever the cause.
printf 'machine: x\niops: [\n' >"$work/broken.yaml"
"$i2osim" run --fixture "$work/broken.yaml" -- true 2>/dev/null
check "125 for a fixture that does not load" test $? = 125
"$i2osim" run --control /proc/version/ctl -- true 2>/dev/null
check "125 for a control socket that cannot be made" test $? = 125
"$i2osim" run --state-dir /proc/version/state -- true 2>/dev/null
check "125 for a state directory that cannot be used" test $? = 125
"$i2osim" replay "$work/no-such.trace" -- true 2>/dev/null
check "125 for replay's trace that cannot be read" test $? = 125
"$i2osim" run -- sh -c 'trap "exit 9" TERM; sleep 20 & wait' &
runpid=$!
sleep 1
kill -TERM $runpid
wait $runpid
check "SIGTERM is passed on to COMMAND" test $? = 9
check "nothing left behind in TMPDIR" test -z "$(ls -A "$TMPDIR")"

start=$(date +%s%N)
out=$(LD_PRELOAD="$preload" I2OSIM_SOCKET="$work/none.sock" "$work/probe64")
elapsed=$((($(date +%s%N) - start) / 1000000))
check "no daemon: open fails at once with ENOENT (${elapsed} ms)" test "$out" = "chr 10:166 2" -a "$elapsed" -lt 2000

"$i2osim" serve --socket "$work/serve.sock" --ready-file "$work/serve.ready" >"$work/serve.out" 2>"$work/serve.err" &
servepid=$!
await 5 "$servepid" test -e "$work/serve.ready"
check "serve --socket --ready-file: the file appears, naming the socket, which listens" \
    sh -c "test \"\$(cat '$work/serve.ready')\" = '$work/serve.sock' && test -S '$work/serve.sock'"
line=$(head -1 "$work/serve.out")
check "serve --socket prints the export line" sh -c "echo \"\$1\" | grep -q '^export LD_PRELOAD=.*I2OSIM_SOCKET='" sh "$line"
check "… then 'ready: SOCKET', as CUSE mode prints 'ready: NODE'" grep -qx "ready: $work/serve.sock" "$work/serve.out"
check "a shell with that line sees the device" sh -c "$line; test \"\$('$work/probe64')\" = 'chr 10:166 0'"
check "serve --socket's socket is 0600" test "$(stat -c %a "$work/serve.sock" 2>/dev/null)" = 600
kill -INT $servepid
wait $servepid
check "serve --socket stops on SIGINT and removes its socket" test ! -e "$work/serve.sock"
check "… and its ready file" test ! -e "$work/serve.ready"

suite_run() {   # name, suite binary, [user prefix...]
    name=$1; suite=$2; shift 2
    [ -x "$suite" ] || { echo "skip - $name (C suite not built)"; return; }
    out=$("$@" "${runner:-$i2osim}" run -- "$suite" -t 60 2>&1)
    st=$?
    echo "$out" | grep -E '^(FAIL|#)' | sed 's/^/    /' | head -20
    summary=$(echo "$out" | tail -1)
    check "$name: $summary" test $st = 0
}
suite_run "C suite, 64-bit" "$work/csuite/i2o-suite"
suite_run "C suite, 32-bit" "$work/csuite/i2o-suite32"
# Where seccomp refuses process_vm_readv/writev the library copies through pipes instead.
if cc -O2 -Wall -Wextra -Werror -o "$work/nopvm" "$repo/Tests/preload/nopvm.c" 2>/dev/null; then
    for bits in 64 32; do
        suite=$work/csuite/i2o-suite; [ $bits = 32 ] && suite=$work/csuite/i2o-suite32
        [ -x "$suite" ] || { echo "skip - C suite without process_vm_*, $bits-bit (C suite not built)"; continue; }
        out=$("$i2osim" run -- "$work/nopvm" "$suite" -t 60 2>&1)
        st=$?
        echo "$out" | grep -E '^FAIL' | sed 's/^/    /' | head -20
        check "C suite with process_vm_* refused (pipe fallback), $bits-bit: $(echo "$out" | tail -1)" test $st = 0
    done
else
    echo "skip - C suite without process_vm_* (nopvm not built)"
fi
# The kernel personalities: served with --personality P, judged by the suite's column P.
for p in linux-2.6.18 linux-2.6.18-i386 linux-2.4; do
    for bits in 64 32; do
        suite=$work/csuite/i2o-suite; [ $bits = 32 ] && suite=$work/csuite/i2o-suite32
        [ -x "$suite" ] || { echo "skip - C suite $p, $bits-bit (C suite not built)"; continue; }
        out=$("$i2osim" run --personality "$p" -- "$suite" -p "$p" -t 60 2>&1)
        st=$?
        echo "$out" | grep -E '^FAIL' | sed 's/^/    /' | head -20
        check "C suite --personality $p, $bits-bit: $(echo "$out" | tail -1)" test $st = 0
    done
done
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    # As nobody the whole thing runs unprivileged: daemon and client are both nobody, the
    # socket is in nobody's own private directory under TMPDIR (1777 here).
    nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups"
    # nobody must reach i2osim and the preload libraries beside it: a checkout under a home of mode
    # 0700 (Debian's /root) is out of its reach, so both are staged in the work directory (0755).
    runner=$work/nobody/i2osim
    mkdir -p "$work/nobody" && cp "$i2osim" "$runner" && cp -RL "$bindir/i2osim-preload" "$work/nobody/" &&
        chmod -R a+rX "$work/nobody"
    check "as nobody: the node is there" test "$($nobody "$runner" run -- "$work/probe64")" = "chr 10:166 0"
    suite_run "C suite as nobody, 64-bit" "$work/csuite/i2o-suite" $nobody
    suite_run "C suite as nobody, 32-bit" "$work/csuite/i2o-suite32" $nobody
    runner=
fi

summary
