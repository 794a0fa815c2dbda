#!/bin/sh
# Runs inside the cuse-vm guest (as root): `i2osim web --device /dev/i2o/ctl` against a node
# `i2osim serve` made on the real CUSE driver — the front end as a client of a kernel's device
# node, as it would be of a real card's. curl (no browser in the guest): the overview's LCT, a
# field set through the device page's form (with the session's cookie and token), read back
# with I2OPARMGET on the node by parmget.py, and the IOP's own page's form round trip.
#   web-in-guest.sh I2OSIM
# Prints one line per check and `N passed, N failed`.
set -u
i2osim=$1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$repo/Tests/lib/tap.sh"

# The guest has no network; loopback may be down.
ip link set lo up 2>/dev/null || true
"$i2osim" serve >/tmp/serve.out 2>&1 &
await 60 $! grep -q '^ready: /dev/i2o/ctl' /tmp/serve.out || { echo "FAIL - serve did not make /dev/i2o/ctl"; cat /tmp/serve.out; bail; }
"$i2osim" web --device /dev/i2o/ctl --listen 127.0.0.1:8099 >/tmp/web.out 2>&1 &
await 60 $! grep -q '^web: http://127.0.0.1:8099/' /tmp/web.out || { echo "FAIL - web printed no address"; cat /tmp/web.out; bail; }
url=http://127.0.0.1:8099
jar=/tmp/cookies

curl -s -c $jar "$url/" >/tmp/overview.html
n=$(grep -o 'data-tid="0x[0-9A-F]*"' /tmp/overview.html | sort -u | wc -l)
if [ "$n" -eq 8 ]; then ok "the overview through CUSE shows the executive and the 7 LCT entries"; else
	fail "the overview shows $n TIDs, not 8"; curl -sS -o /dev/null "$url/"; head -c 600 /tmp/overview.html; cat /tmp/web.out; fi

token=$(curl -s -b $jar -c $jar "$url/iop/0/tid/515" | grep -o 'name="token" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//')
curl -s -b $jar -H "Origin: $url" --data "token=$token&group=f102&field=DeviceName&value=Over+CUSE" "$url/iop/0/tid/515/set" >/tmp/set.html
grep -q 'class="ok" id="result"' /tmp/set.html && ok "a field set through the device page's form (I2OPARMSET)" || fail "the set was not confirmed"
[ "$(python3 "$here/parmget.py" 0 0x203 0xF102 0 64)" = "Over CUSE" ] && ok "the node shows it (I2OPARMGET)" || fail "the node does not show the new DeviceName"

curl -s --data "F102.ServiceName=via+the+dialog" "$url/frame/$token/iop/0/tid/515/page/0" >/tmp/dialog.html
grep -q 'outcome-ok">User Information: set ServiceName' /tmp/dialog.html && [ "$(python3 "$here/parmget.py" 0 0x203 0xF102 64 64)" = "via the dialog" ] \
	&& ok "the IOP's own page's form (I2OHTML with the query) applied and seen through the node" || fail "the dialog's query was not applied"

summary
