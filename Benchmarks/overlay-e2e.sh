#!/usr/bin/env bash
# Benchmarks/overlay-e2e.sh — host to host over VXLAN: two Swivel hosts beside two Linux hosts using the
# kernel's vxlan device and a bridge, on the same namespaces in the same run, alternating repetition by
# repetition.
#
# usage: sudo Benchmarks/overlay-e2e.sh
# Topology: host namespaces ovlA and ovlB joined by a veth underlay (192.168.251.1 / .2, MTU 1500, its
# UDP-tunnel segmentation offload off as a NIC's wire would be), workload namespaces ovlw1 (behind A)
# and ovlw2 (behind B) on 10.96.0.0/24 with MTU 1450, VNI 5001.
#   swivel: a swiveld in each host namespace (--overlay local_ip=…, --network blue,vni=5001,…).
#   kernel: vx0 (vxlan id 5001 dstport 4789) and br0 in each host namespace, the workload veth on br0.
# Tests: udp64 (trafgen, 60-byte frames w1 -> w2, received frames per second at w2), tcp1 (iperf3, one
# stream, offloads on at the workloads), ping (avg and p99 of PING_COUNT pings at 1 ms).
# Environment: REPS [3], DURATION [5], PING_COUNT [500], OUT [/tmp/swivel-overlay-DATE.txt]. Two
# switches share the machine's 2 cores with the generator: compare the ratio, not the absolute numbers.
# Output: "RESULT suite=overlay switch=… test=… value=… unit=… min=… max=… reps=… failed_runs=…" and one
# "RATIO" line per test. Installs what it needs, removes everything it made (also on Ctrl-C), and sends
# traffic only between its own namespaces.
set -uo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}; DURATION=${DURATION:-5}; PING_COUNT=${PING_COUNT:-500}
OUT=${OUT:-/tmp/swivel-overlay-$(date +%Y%m%d-%H%M%S).txt}
P=ovl; NET=10.96.0; UNDER=192.168.251
WORK=$(mktemp -d /tmp/swivel-overlay.XXXXXX)
PIDS=()

log() { echo "# $*" >&2; }
die() { echo "overlay-e2e: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
need() {
    local missing=() pair
    for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
    [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null || die "cannot install ${missing[*]}"
}
need trafgen:netsniff-ng iperf3:iperf3 ethtool:ethtool jq:jq ping:iputils-ping
log "building swiveld (release)"
swift build -c release --product swiveld >/dev/null || die "build failed"
BIN=$(swift build -c release --show-bin-path)

down() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    PIDS=()
    for n in A B w1 w2; do ip netns del "$P$n" 2>/dev/null; done
}
trap 'down; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# up MODE: the two hosts, their underlay and the workloads, then the switches of MODE.
up() {
    local mode=$1 h peer i
    down
    for n in A B w1 w2; do ip netns add "$P$n"; ip -n "$P$n" link set lo up; done
    for n in A B; do ip netns exec "$P$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
    ip -n "${P}A" link add underlay type veth peer name underlay netns "${P}B"
    for i in 1 2; do
        h=$([ $i = 1 ] && echo A || echo B)
        ip -n "$P$h" addr add "$UNDER.$i/24" dev underlay
        ip -n "$P$h" link set underlay up
        ip netns exec "$P$h" ethtool -K underlay tx-udp_tnl-segmentation off tx-udp_tnl-csum-segmentation off >/dev/null 2>&1
        ip -n "$P$h" link add "w$i" type veth peer name eth0 netns "${P}w$i"
        ip -n "$P$h" link set "w$i" up
        ip -n "${P}w$i" link set eth0 mtu 1450 up
        ip -n "${P}w$i" addr add "$NET.$i/24" dev eth0
        ip netns exec "${P}w$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    done
    for i in 1 2; do
        h=$([ $i = 1 ] && echo A || echo B); peer=$([ $i = 1 ] && echo 2 || echo 1)
        if [ "$mode" = swivel ]; then
            ip netns exec "$P$h" "$BIN/swiveld" --overlay "local_ip=$UNDER.$i,device=underlay" \
                --network "blue,vni=5001,remote_vteps=$UNDER.$peer" --port "afpacket:w$i,network=blue" \
                --socket "$WORK/$h.sock" --state-file none >"$WORK/$h.log" 2>&1 &
            PIDS+=($!)
        else
            ip -n "$P$h" link add vx0 type vxlan id 5001 dstport 4789 local "$UNDER.$i" remote "$UNDER.$peer" dev underlay
            ip -n "$P$h" link add br0 type bridge
            ip -n "$P$h" link set vx0 master br0; ip -n "$P$h" link set "w$i" master br0
            ip -n "$P$h" link set vx0 up; ip -n "$P$h" link set br0 up
        fi
    done
    for _ in $(seq 50); do ip netns exec "${P}w1" ping -c 1 -W 0.2 "$NET.2" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

rx() { ip netns exec "${P}w2" cat /sys/class/net/eth0/statistics/rx_packets; }

udp64_once() {
    local conf=$WORK/trafgen.cfg r0 r1 t0 t1
    echo "{ eth(da=$(ip netns exec "${P}w2" cat /sys/class/net/eth0/address), sa=$(ip netns exec "${P}w1" cat /sys/class/net/eth0/address)), ipv4(saddr=$NET.1, daddr=$NET.2, ttl=64), udp(sport=dinc(1024, 2023), dport=9), fill(0, 18) }" > "$conf"
    r0=$(rx); t0=$(date +%s.%N)
    timeout "$DURATION" ip netns exec "${P}w1" trafgen --dev eth0 --conf "$conf" --cpus 1 --no-sock-mem --notouch-irq --no-cpu-stats >/dev/null 2>&1
    t1=$(date +%s.%N); sleep 0.2; r1=$(rx)
    awk -v r=$((r1 - r0)) -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.4f\n", r / (t1 - t0) / 1e6 }'
}

tcp1_once() {
    ip netns exec "${P}w2" iperf3 -s -1 -D -p 5202 >/dev/null 2>&1; sleep 0.3
    ip netns exec "${P}w1" iperf3 -c "$NET.2" -p 5202 -t "$DURATION" -J 2>/dev/null \
        | jq -r '(.end.sum_received.bits_per_second // 0) / 1e9' 2>/dev/null || echo 0
}

ping_once() {
    ip netns exec "${P}w1" ping -c "$PING_COUNT" -i 0.001 -W 1 "$NET.2" 2>/dev/null | awk -F'time=' '/time=/{split($2, a, " "); print a[1] * 1000}' \
        | sort -n | awk '{v[NR] = $1; s += $1} END { if (NR == 0) { print "0 0"; exit } i = int(NR * 0.99); if (i < 1) i = 1; printf "%.1f %.1f\n", s / NR, v[i] }'
}

median() { sort -g | awk '{v[NR] = $1} END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%s %s", lo, hi}'; }

declare -A VALUES FAILS
for mode in swivel kernel; do for t in udp64 tcp1 ping_avg ping_p99; do VALUES[$mode.$t]=""; FAILS[$mode.$t]=0; done; done
for rep in $(seq "$REPS"); do
    for mode in swivel kernel; do
        log "rep $rep: $mode"
        if ! up "$mode"; then
            log "$mode: no connectivity"; for t in udp64 tcp1 ping_avg ping_p99; do FAILS[$mode.$t]=$((FAILS[$mode.$t] + 1)); done; continue
        fi
        v=$(udp64_once); [ "$(awk -v v="$v" 'BEGIN{print (v > 0)}')" = 1 ] && VALUES[$mode.udp64]+="$v " || FAILS[$mode.udp64]=$((FAILS[$mode.udp64] + 1))
        v=$(tcp1_once); [ "$(awk -v v="$v" 'BEGIN{print (v > 0)}')" = 1 ] && VALUES[$mode.tcp1]+="$v " || FAILS[$mode.tcp1]=$((FAILS[$mode.tcp1] + 1))
        read -r avg p99 <<<"$(ping_once)"
        if [ "$(awk -v v="$avg" 'BEGIN{print (v > 0)}')" = 1 ]; then VALUES[$mode.ping_avg]+="$avg "; VALUES[$mode.ping_p99]+="$p99 "
        else FAILS[$mode.ping_avg]=$((FAILS[$mode.ping_avg] + 1)); FAILS[$mode.ping_p99]=$((FAILS[$mode.ping_p99] + 1)); fi
    done
done
down

{
    echo "# overlay-e2e $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(uname -r), REPS=$REPS DURATION=$DURATION PING_COUNT=$PING_COUNT"
    for t in udp64 tcp1 ping_avg ping_p99; do
        unit=$(case $t in udp64) echo mpps ;; tcp1) echo gbps ;; *) echo us ;; esac)
        for mode in swivel kernel; do
            vals=${VALUES[$mode.$t]}
            med=$(tr ' ' '\n' <<<"$vals" | grep . | median); read -r lo hi <<<"$(tr ' ' '\n' <<<"$vals" | grep . | minmax)"
            echo "RESULT suite=overlay switch=$mode test=$t value=$med unit=$unit min=${lo:-0} max=${hi:-0} reps=$REPS failed_runs=${FAILS[$mode.$t]}"
            eval "M_$mode=$med"
        done
        awk -v s="$M_swivel" -v k="$M_kernel" -v t="$t" 'BEGIN { printf "RATIO suite=overlay test=%s swivel/kernel=%.2f\n", t, (k > 0 ? s / k : 0) }'
    done
} | tee -a "$OUT"
