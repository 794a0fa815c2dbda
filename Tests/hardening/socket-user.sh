#!/bin/sh
# `serve --socket PATH --user nobody` (as root): the daemon runs as nobody, its socket is
# nobody's and 0600. Prints "N passed, N failed".
#   socket-user.sh I2OSIM
set -u
i2osim=$1
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/Tests/lib/tap.sh"
if [ "$(id -u)" != 0 ]; then echo "skip - not root"; summary; exit; fi
w=$(mktemp -d /tmp/i2osim-user.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$w"' EXIT   # also when interrupted
chmod 1777 "$w"
"$i2osim" serve --socket "$w/sock" --user nobody >"$w/out" 2>"$w/err" &
pid=$!
await 10 $pid test -S "$w/sock"
uid=$(id -u nobody)
[ "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/$pid/status)" = "$uid $uid $uid $uid" ] \
	&& ok "serve --socket --user nobody runs as nobody" || fail "uids: $(grep Uid /proc/$pid/status) $(cat "$w/err")"
[ "$(stat -c '%a %U' "$w/sock" 2>/dev/null)" = "600 nobody" ] && ok "its socket is nobody's, 0600" \
	|| fail "socket: $(stat -c '%a %U' "$w/sock" 2>&1)"
kill -INT $pid
wait $pid
pid=""
[ ! -e "$w/sock" ] && ok "SIGINT removes the socket" || fail "socket left behind"
summary
