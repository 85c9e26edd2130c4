#!/usr/bin/env bash
# The Swivel demo: builds swiveld, then switches between three namespaces, two on veth ports (AF_PACKET)
# and one on a TAP port that swiveld creates and the script moves into its namespace, as a container
# runtime would; a router in the switch joins them to a fourth namespace on another subnet. Pings every
# pair, shows ports, the FDB, routes, neighbours and the flow table, then cleans up. Needs root.
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
RED=10.251.0
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    for i in 1 2 3 4; do ip netns del "swdemo$i" 2>/dev/null || true; done
    for i in 1 2 4; do ip link del "swdemo-v$i" 2>/dev/null || true; done
    rm -f "$SOCK"
}
trap cleanup EXIT
cleanup

echo "== topology: swdemo1, swdemo2 on veth and swdemo3 on a TAP in $NET.0/24 (network default);"
echo "   swdemo4 on veth in $RED.0/24 (network red); router edge between them ($NET.254, $RED.1)"
for i in 1 2 4; do
    ip netns add "swdemo$i"
    ip link add "swdemo-v$i" type veth peer name eth0 netns "swdemo$i"
    ip -n "swdemo$i" link set eth0 up
    ip -n "swdemo$i" link set lo up
    ip link set "swdemo-v$i" up
done
for i in 1 2; do
    ip -n "swdemo$i" addr add "$NET.$i/24" dev eth0
    ip -n "swdemo$i" route add default via "$NET.254"
done
ip -n swdemo4 addr add "$RED.4/24" dev eth0
ip -n swdemo4 route add default via "$RED.1"
ip netns add swdemo3

echo "== starting swiveld"
"$BIN/swiveld" --network "default,subnet=$NET.0/24,gateway=$NET.254" --network "red,subnet=$RED.0/24,gateway=$RED.1" \
    --router edge,networks=default+red \
    --port afpacket:swdemo-v1 --port afpacket:swdemo-v2 --port tap:swdemo-t3 --port afpacket:swdemo-v4,network=red \
    --socket "$SOCK" --state-file none &
PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && ip link show swdemo-t3 >/dev/null 2>&1 && break; sleep 0.1; done
ip link set swdemo-t3 netns swdemo3
ip -n swdemo3 link set swdemo-t3 name eth0
ip -n swdemo3 addr add "$NET.3/24" dev eth0
ip -n swdemo3 link set eth0 up
ip -n swdemo3 link set lo up
ip -n swdemo3 route add default via "$NET.254"

echo "== pings"
status=0
addr() { if [ "$1" = 4 ]; then echo "$RED.4"; else echo "$NET.$1"; fi; }
for pair in "1 2" "1 3" "2 3" "3 1" "1 4" "4 3"; do
    set -- $pair
    how=switched; [ "$1" = 4 ] || [ "$2" = 4 ] && how=routed
    if ip netns exec "swdemo$1" ping -c 3 -i 0.2 -W 2 "$(addr "$2")" >/dev/null; then
        echo "swdemo$1 -> swdemo$2 ($(addr "$2"), $how): ok"
    else
        echo "swdemo$1 -> swdemo$2 ($(addr "$2"), $how): FAILED"; status=1
    fi
done

echo
echo "== security group 'web-server' on swdemo4: tcp/80 and ping from $NET.0/24, nothing else in"
MAC4=$(ip netns exec swdemo4 cat /sys/class/net/eth0/address)
SG=/tmp/swivel-demo.$$.sg.yaml
cat > "$SG" <<YAML
security_groups:
  - name: web-server
    rules:
      - {direction: ingress, protocol: tcp, ports: 80, remote: $NET.0/24}
      - {direction: ingress, protocol: icmp, icmp_type: 8, remote: $NET.0/24}
ports:
  - name: swdemo-v4
    kind: afpacket
    device: swdemo-v4
    network: red
    addresses: [{mac: "$MAC4", ips: [$RED.4]}]
    security_groups: [web-server]
YAML
"$BIN/swivelctl" apply -f "$SG" --socket "$SOCK"
rm -f "$SG"
# A one-line web server (no name lookups: nothing leaves the demo's namespaces).
ip netns exec swdemo4 python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('$RED.4', 80)); s.listen(8)
while True:
    c, _ = s.accept(); c.recv(1000); c.sendall(b'HTTP/1.0 200 OK\\r\\n\\r\\nhello\\n'); c.close()
" &
WEB=$!
for _ in $(seq 50); do ip netns exec swdemo4 ss -ltn | grep -q ":80 " && break; sleep 0.1; done
if ip netns exec swdemo1 curl -s -o /dev/null --max-time 3 "http://$RED.4/"; then echo "swdemo1 -> swdemo4 tcp/80: allowed, ok"; else echo "swdemo1 -> swdemo4 tcp/80: FAILED"; status=1; fi
if ip netns exec swdemo1 curl -s -o /dev/null --max-time 1 "http://$RED.4:22/"; then echo "swdemo1 -> swdemo4 tcp/22: answered: FAILED"; status=1; else echo "swdemo1 -> swdemo4 tcp/22: no answer (denied), ok"; fi
kill "$WEB" 2>/dev/null || true
echo; echo "== swivelctl acl show --port swdemo-v4"; "$BIN/swivelctl" acl show --port swdemo-v4 --socket "$SOCK"
echo; echo "== swivelctl conntrack show --port swdemo-v4"; "$BIN/swivelctl" conntrack show --port swdemo-v4 --socket "$SOCK"

echo; echo "== swivelctl port show"; "$BIN/swivelctl" port show --socket "$SOCK"
echo; echo "== swivelctl fdb show"; "$BIN/swivelctl" fdb show --socket "$SOCK"
echo; echo "== swivelctl route show"; "$BIN/swivelctl" route show --socket "$SOCK"
echo; echo "== swivelctl neighbor show"; "$BIN/swivelctl" neighbor show --socket "$SOCK"
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
