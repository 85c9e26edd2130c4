#!/usr/bin/env bash
# The Swivel demo: builds swiveld, then switches between three namespaces, two on veth ports (AF_PACKET)
# and one on a TAP port that swiveld creates and the script moves into its namespace, as a container
# runtime would. Pings every pair, shows ports, the FDB and the flow table, then cleans up. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/setup-deps.sh
CONFIG=${SWIVEL_BUILD:-release}
echo "== building ($CONFIG)"
swift build -c "$CONFIG" --product swiveld >/dev/null
swift build -c "$CONFIG" --product swivelctl >/dev/null
BIN=$(swift build -c "$CONFIG" --show-bin-path)
SOCK=/tmp/swivel-demo.$$.sock
NET=10.250.0
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    for i in 1 2 3; do ip netns del "swdemo$i" 2>/dev/null || true; done
    for i in 1 2; do ip link del "swdemo-v$i" 2>/dev/null || true; done
    rm -f "$SOCK"
}
trap cleanup EXIT
cleanup

echo "== topology: swdemo1, swdemo2 on veth; swdemo3 on a TAP"
for i in 1 2; do
    ip netns add "swdemo$i"
    ip link add "swdemo-v$i" type veth peer name eth0 netns "swdemo$i"
    ip -n "swdemo$i" addr add "$NET.$i/24" dev eth0
    ip -n "swdemo$i" link set eth0 up
    ip -n "swdemo$i" link set lo up
    ip link set "swdemo-v$i" up
done
ip netns add swdemo3

echo "== starting swiveld"
"$BIN/swiveld" --port afpacket:swdemo-v1 --port afpacket:swdemo-v2 --port tap:swdemo-t3 --socket "$SOCK" &
PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && ip link show swdemo-t3 >/dev/null 2>&1 && break; sleep 0.1; done
ip link set swdemo-t3 netns swdemo3
ip -n swdemo3 link set swdemo-t3 name eth0
ip -n swdemo3 addr add "$NET.3/24" dev eth0
ip -n swdemo3 link set eth0 up
ip -n swdemo3 link set lo up

echo "== pings"
status=0
for pair in "1 2" "1 3" "2 3" "3 1"; do
    set -- $pair
    if ip netns exec "swdemo$1" ping -c 3 -i 0.2 -W 2 "$NET.$2" >/dev/null; then
        echo "swdemo$1 -> swdemo$2 ($NET.$2): ok"
    else
        echo "swdemo$1 -> swdemo$2 ($NET.$2): FAILED"; status=1
    fi
done

echo; echo "== swivelctl port show"; "$BIN/swivelctl" port show --socket "$SOCK"
echo; echo "== swivelctl fdb show"; "$BIN/swivelctl" fdb show --socket "$SOCK"
echo; echo "== swivelctl flows dump (unicast)"; "$BIN/swivelctl" flows dump --socket "$SOCK" | grep -v 'actions:flood' || true
MAC3=$(ip netns exec swdemo3 cat /sys/class/net/eth0/address)
echo; echo "== swivelctl trace --port swdemo-v1 'eth_dst=$MAC3,ip_dst=$NET.3,tcp,tcp_dst=80'"
"$BIN/swivelctl" trace --port swdemo-v1 "eth_dst=$MAC3,ip_dst=$NET.3,tcp,tcp_dst=80" --socket "$SOCK"
echo; echo "== swivelctl trace live --port swdemo-v2 --filter icmp (during a ping from swdemo2)"
(sleep 0.3; ip netns exec swdemo2 ping -c 1 -W 2 "$NET.1" >/dev/null) &
PINGER=$!
"$BIN/swivelctl" trace live --port swdemo-v2 --count 1 --filter icmp --timeout 5 --socket "$SOCK"
wait "$PINGER" || true
exit $status
