#!/bin/sh
# `serve --socket PATH --user nobody` (as root): the daemon runs as nobody, its socket is
# nobody's and 0600. Prints "N passed, N failed".
#   socket-user.sh I2OSIM
set -u
i2osim=$1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "FAIL - $1"; }
if [ "$(id -u)" != 0 ]; then echo "skip - not root"; echo "0 passed, 0 failed"; exit 0; fi
w=$(mktemp -d /tmp/i2osim-user.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$w"' EXIT   # also when interrupted
chmod 1777 "$w"
"$i2osim" serve --socket "$w/sock" --user nobody >"$w/out" 2>"$w/err" &
pid=$!
i=0
while [ ! -S "$w/sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
uid=$(id -u nobody)
[ "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/$pid/status)" = "$uid $uid $uid $uid" ] \
	&& ok "serve --socket --user nobody runs as nobody" || bad "uids: $(grep Uid /proc/$pid/status) $(cat "$w/err")"
[ "$(stat -c '%a %U' "$w/sock" 2>/dev/null)" = "600 nobody" ] && ok "its socket is nobody's, 0600" \
	|| bad "socket: $(stat -c '%a %U' "$w/sock" 2>&1)"
kill -INT $pid
wait $pid
pid=""
[ ! -e "$w/sock" ] && ok "SIGINT removes the socket" || bad "socket left behind"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
