#!/usr/bin/env bash
# The web front end's overview: time to first byte and full load (the whole body), p50 of N
# requests with curl, against the same page saved to a file and served by a static file server
# (Python's http.server) on the same machine. Prints scripts/bench's ROW lines.
#
#   Benchmarks/web/bench-web.sh I2OSIM [RUNS]      (scripts/bench runs it; it can run alone)
set -euo pipefail
i2osim=$1
runs=${2:-41}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
row() { printf 'ROW\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# p50 of curl's time_starttransfer and time_total over $runs requests, in µs: "ttfb total".
measure() {
	for _ in $(seq "$runs"); do curl -s -o /dev/null -w '%{time_starttransfer} %{time_total}\n' "$1"; done >"$tmp/times"
	echo "$(median 1) $(median 2)"
}
# The median of column $1 of $tmp/times (seconds), in µs.
median() { awk -v c="$1" '{ print $c * 1e6 }' "$tmp/times" | sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] }'; }
ms() { awk -v n="$1" 'BEGIN { printf "%.2f ms", n / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "—" }'; }

if ! command -v curl >/dev/null; then
	row web "overview time to first byte / full load" "not measured: no curl" "—" "—" "—" MISS; exit 0
fi
port=$(free_port)
"$i2osim" run -- "$i2osim" web --listen "127.0.0.1:$port" >"$tmp/web.log" 2>&1 &
for _ in $(seq 100); do grep -q '^web: http' "$tmp/web.log" && break; sleep 0.1; done
url=http://127.0.0.1:$port/
if ! curl -sf -o "$tmp/index.html" "$url"; then
	row web "overview time to first byte / full load" "not measured: i2osim web did not answer ($(tail -1 "$tmp/web.log"))" "—" "—" "—" MISS; exit 0
fi
sport=$(free_port)
(cd "$tmp" && exec python3 -m http.server --bind 127.0.0.1 "$sport" >/dev/null 2>&1) &
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$sport/index.html" && break; sleep 0.1; done
read -r ttfb total < <(measure "$url")
read -r sttfb stotal < <(measure "http://127.0.0.1:$sport/index.html")
bytes=$(wc -c <"$tmp/index.html")
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' && echo ok || echo MISS; }
row web "overview (\`/\`, $bytes B: the LCT, HRT and executive groups read through the preload library: a dozen ioctls for the default machine) time to first byte, p50 of $runs" \
	"$(ms "$ttfb")" "the saved page from python3 -m http.server $(ms "$sttfb")" "$(ratio "$ttfb" "$sttfb")×" "< 10 ms" "$(verdict "$ttfb" 10000)"
row web "overview full load (the whole body), p50 of $runs" \
	"$(ms "$total")" "static file $(ms "$stotal")" "$(ratio "$total" "$stotal")×" "< 20 ms" "$(verdict "$total" 20000)"
