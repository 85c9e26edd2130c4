#!/usr/bin/env bash
# Whole-process allocation check: forwards 100 000 and then 900 000 more real frames through a release
# swiveld between two namespaces and compares the process's malloc count (LD_PRELOAD counter) after each.
# The fast path allocates nothing per packet, so the count must not grow with the number of frames.
# Usage: sudo Benchmarks/alloc-growth.sh [ENGINE]   (needs root; prints ALLOC lines and exits non-zero on growth)
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/setup-deps.sh
ENGINE=${1:-mmsg}
CONFIG=${SWIVEL_BUILD:-release}
swift build -c "$CONFIG" --product swiveld >/dev/null
BIN=$(swift build -c "$CONFIG" --show-bin-path)
WORK=$(mktemp -d)
gcc -O2 -shared -fPIC -o "$WORK/malloc_count.so" Benchmarks/Tools/malloc_count.c -ldl
T=swag$$; PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    for i in 1 2; do ip netns del "${T}n$i" 2>/dev/null || true; ip link del "${T}v$i" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
for i in 1 2; do
    ip netns add "${T}n$i"
    ip link add "${T}v$i" type veth peer name eth0 netns "${T}n$i"
    ip -n "${T}n$i" addr add "10.251.0.$i/24" dev eth0
    ip -n "${T}n$i" link set eth0 up
    ip link set "${T}v$i" up
done
MALLOC_COUNT_FILE="$WORK/count" LD_PRELOAD="$WORK/malloc_count.so" \
    "$BIN/swiveld" --port "afpacket:${T}v1" --port "afpacket:${T}v2" --io-engine "$ENGINE" --socket "$WORK/sock" \
    --log-level warning &
PID=$!
for _ in $(seq 100); do [ -S "$WORK/sock" ] && break; sleep 0.1; done
ip netns exec "${T}n1" ping -c 2 -i 0.2 -W 1 10.251.0.2 >/dev/null
MAC2=$(ip netns exec "${T}n2" cat /sys/class/net/eth0/address)
mallocs() { od -An -t u8 -N 8 "$WORK/count" | tr -d ' '; }
delivered() { ip netns exec "${T}n2" cat /sys/class/net/eth0/statistics/rx_packets; }
send() { ip netns exec "${T}n1" /usr/bin/python3 Benchmarks/Tools/send_frames.py eth0 "$MAC2" 10.251.0.1 10.251.0.2 "$1" >/dev/null; sleep 1; }
send 100000
m1=$(mallocs); d1=$(delivered)
send 900000
m2=$(mallocs); d2=$(delivered)
echo "ALLOC engine=$ENGINE frames_delivered_1=$d1 mallocs_1=$m1 frames_delivered_2=$d2 mallocs_2=$m2 growth=$((m2 - m1)) frames_between=$((d2 - d1))"
if [ $((d2 - d1)) -lt 500000 ]; then echo "too few frames forwarded to judge" >&2; exit 1; fi
# The datapath allocates nothing; the control plane's HTTP server allocates ~13 times a second for its
# date timer whatever the traffic. So judge per frame: fewer than 1 allocation per 1000 frames forwarded.
if [ $(( (m2 - m1) * 1000 )) -ge $((d2 - d1)) ]; then echo "allocations grew with traffic" >&2; exit 1; fi
echo "ok: no allocation growth with traffic"
