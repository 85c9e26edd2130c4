#!/usr/bin/env bash
# Benchmarks/e2e.sh — swiveld end to end, beside the Linux bridge and Open vSwitch's userspace datapath,
# on the same namespaces in the same run, alternating the switches repetition by repetition.
#
# usage: sudo Benchmarks/e2e.sh [SUITE ...]            (default: compare ports flows tables engines tap)
#   compare   swivel, linux-bridge, ovs-netdev on 2 ports: udp64, tcp1, tcp4, ping; offloads off, and
#             tcp1/tcp4 with offloads on
#   ports     udp64 from one sender to all the others with 2, 8 and 32 ports (swivel, bridge, ovs-netdev)
#   flows     udp64 with 1, 1 000 and ~100 000 concurrent flows (source x destination ports): swivel,
#             swivel with security groups on both ports (every flow a tracked connection), ovs-netdev
#   tables    swivel udp64 switched, routed with 1 000 routes installed, and through 10 000 ACL rules
#   engines   swivel's --io-engine ring, ring-v3 and mmsg with 2 and 32 ports: udp64 and ping
#   observe   what reading the switch costs forwarding: both ports guarded, the connection table full
#             (262 144 tracked UDP flows), udp64 and ping quiet, with a loop scraping /metrics ten times a
#             second (scraped), and with the whole table dumped (paged) once a second (dumped); RATIO lines
#             scraped/quiet and dumped/quiet
#   tap       TAP ports instead of veths (the way VMs attach): swivel's own TAPs and OVS userspace's
#             (internal ports of its netdev bridge), each moved into its namespace: udp64, tcp1, ping
#             with offloads off, tcp1 with offloads on (the Linux bridge needs a process holding each TAP,
#             so it has no TAP row)
#
# Environment: REPS [3] repetitions (medians reported, min and max alongside); DURATION [5] seconds per
# udp64/tcp run; PING_COUNT [1000]; GEN_CPU [0] and SWITCH_CPU [1]: the generator and the switch are
# pinned apart on this 2-core machine; OUT [/tmp/swivel-e2e-DATE.txt] the RESULT lines; SWIFT_BUILD_DIR.
#
# Output (stdout and OUT): one "RESULT key=value ..." line per (suite, switch, setting, test) and one
# "RATIO ..." line per test comparing swivel with each peer. A result counts only with failed_runs=0
# (every repetition ran and delivered) and, for TCP, csum_errors=0. Make the report and plots with
#   Benchmarks/Tools/e2e_report.py OUT        (writes Docs/bench-results/e2e-*.md and Docs/bench-plots/*.png)
# Installs what it needs (apt-get), cleans up every namespace, interface and process it made (also on
# Ctrl-C), and sends traffic only between its own namespaces (10.98.0.0/24, 10.97.0.0/24).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
REPS=${REPS:-3}; DURATION=${DURATION:-5}; PING_COUNT=${PING_COUNT:-1000}
GEN_CPU=${GEN_CPU:-0}; SWITCH_CPU=${SWITCH_CPU:-1}
OUT=${OUT:-/tmp/swivel-e2e-$(date +%Y%m%d-%H%M%S).txt}
SUITES=("$@"); [ ${#SUITES[@]} -gt 0 ] || SUITES=(compare ports flows tables engines tap)
NS=e2e; VETH=e2ev; NET=10.98.0; RNET=10.97.0
WORK=$(mktemp -d /tmp/swivel-e2e.XXXXXX)
SOCK=$WORK/swiveld.sock
SWITCH_PID=""; OVS_UP=0; NPORTS=0

log() { echo "# $*" >&2; }
die() { echo "e2e: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"

need() {   # need CMD:PACKAGE ...
    local missing=() pair
    for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null || die "cannot install ${missing[*]}"
    fi
}
need trafgen:netsniff-ng iperf3:iperf3 ovs-vswitchd:openvswitch-switch ethtool:ethtool nstat:iproute2 taskset:util-linux \
     ping:iputils-ping jq:jq
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || need matplotlib-missing:python3-matplotlib

log "building swiveld (release)"
swift build -c release --product swiveld >/dev/null && swift build -c release --product swivelctl >/dev/null || die "build failed"
BIN=$(swift build -c release --show-bin-path)

# MARK: topology

topo_down() {
    local i
    for i in $(seq 1 40); do
        ip netns pids "$NS$i" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$NS$i" 2>/dev/null; ip link del "$VETH$i" 2>/dev/null
    done
    ip link del e2ebr 2>/dev/null
    true
}

# topo_up N OFFLOADS(on|off): namespaces e2e1..N, each eth0 10.98.0.i/24 <-> e2evi in the root namespace.
topo_up() {
    local n=$1 off=$2 i
    topo_down
    for i in $(seq 1 "$n"); do
        ip netns add "$NS$i" || return 1
        ip -n "$NS$i" link set lo up
        ip netns exec "$NS$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        [ "${TAP:-0}" = 1 ] && continue   # TAP ports: the switch makes the device, attach_taps moves it in
        ip link add "$VETH$i" type veth peer name eth0 netns "$NS$i" || return 1
        sysctl -qw "net.ipv6.conf.$VETH$i.disable_ipv6=1"
        ip -n "$NS$i" addr add "$NET.$i/24" dev eth0
        ip -n "$NS$i" link set eth0 up
        ip link set "$VETH$i" up
        if [ "$off" = off ]; then
            ethtool -K "$VETH$i" tx off sg off tso off gso off gro off >/dev/null 2>&1
            ip netns exec "$NS$i" ethtool -K eth0 tx off sg off tso off gso off gro off >/dev/null 2>&1
        fi
    done
    NPORTS=$n
    OFFLOADS=$off
    # An unread UDP socket on every port the generator sends to swallows the frames cheaply (no ICMP).
    for i in $(seq 2 "$n"); do
        ip netns exec "$NS$i" /usr/bin/python3 -c '
import socket, time
socks = []
for port in [9] + list(range(2000, 2101)):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("0.0.0.0", port))
    socks.append(s)
time.sleep(1e9)' >/dev/null 2>&1 &
    done
}

mac_of() { ip netns exec "$NS$1" cat /sys/class/net/eth0/address; }

# attach_taps: the TAP devices a switch made in the root namespace (e2evI) become eth0 of namespace I, as a
# container runtime hands a TAP to its container.
attach_taps() {
    local i t
    for i in $(seq 1 "$NPORTS"); do
        for t in $(seq 1 100); do ip link show "$VETH$i" >/dev/null 2>&1 && break; sleep 0.1; done
        ip link set "$VETH$i" netns "$NS$i" || return 1
        ip -n "$NS$i" link set "$VETH$i" name eth0 || return 1
        ip -n "$NS$i" addr add "$NET.$i/24" dev eth0
        ip -n "$NS$i" link set eth0 up
        if [ "$OFFLOADS" = off ]; then ip netns exec "$NS$i" ethtool -K eth0 tx off sg off tso off gso off gro off >/dev/null 2>&1; fi
    done
}

# MARK: switches

# start_switch KIND [ENGINE] [CONFIG]: swivel | swivel-sg | swivel-routed | swivel-acl | linux-bridge | ovs-netdev
start_switch() {
    local kind=$1 engine=${2:-ring} config=${3:-} i ports=()
    case "$kind" in
    swivel*)
        for i in $(seq 1 "$NPORTS"); do ports+=(--port "$([ "${TAP:-0}" = 1 ] && echo tap || echo afpacket):$VETH$i"); done
        if [ -n "$config" ]; then ports=(--config "$config"); fi
        # shellcheck disable=SC2086  # SWIVEL_ARGS: extra options, word-split on purpose
        taskset -c "${SWITCH_TASKSET:-$SWITCH_CPU}" "$BIN/swiveld" "${ports[@]}" --io-engine "$engine" --socket "$SOCK" --state-file none ${SWIVEL_ARGS:-} \
            --log-level warning >"$WORK/swiveld.log" 2>&1 &
        SWITCH_PID=$!
        ;;
    linux-bridge)
        ip link add e2ebr type bridge && ip link set e2ebr up
        for i in $(seq 1 "$NPORTS"); do ip link set "$VETH$i" master e2ebr; done
        SWITCH_PID=""
        ;;
    ovs-netdev)
        local d=$WORK/ovs schema=/usr/share/openvswitch/vswitch.ovsschema
        mkdir -p "$d"; rm -f "$d"/*
        ovsdb-tool create "$d/conf.db" "$schema" || return 1
        ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" --pidfile="$d/ovsdb.pid" --unixctl="$d/ovsdb.ctl" \
            --log-file="$d/ovsdb.log" -vconsole:off --detach --no-chdir || return 1
        ovs-vsctl --db="unix:$d/db.sock" --no-wait init
        taskset -c "$SWITCH_CPU" ovs-vswitchd "unix:$d/db.sock" --pidfile="$d/vswitchd.pid" --unixctl="$d/vswitchd.ctl" \
            --log-file="$d/vswitchd.log" -vconsole:off --detach --no-chdir || return 1
        OVS_UP=1
        SWITCH_PID=$(cat "$d/vswitchd.pid")
        ovs-vsctl --db="unix:$d/db.sock" --timeout=20 add-br e2ebr -- set bridge e2ebr datapath_type=netdev \
            -- set Open_vSwitch . other_config:pmd-cpu-mask=$((1 << SWITCH_CPU)) || return 1
        for i in $(seq 1 "$NPORTS"); do
            # On TAP: OVS's own TAP devices (internal ports of a netdev bridge), moved into the namespaces.
            ovs-vsctl --db="unix:$d/db.sock" --timeout=20 add-port e2ebr "$VETH$i" \
                $([ "${TAP:-0}" = 1 ] && echo "-- set interface $VETH$i type=internal") || return 1
        done
        ip link set e2ebr up 2>/dev/null
        ;;
    esac
    [ "${TAP:-0}" = 1 ] && { attach_taps || return 1; }
    # Ready when the sender reaches the last namespace (and the switches have learned both MACs).
    local t target="$NET.$NPORTS" back="$NET.1"
    [ "${ROUTED:-0}" = 1 ] && target="$RNET.2"
    for t in $(seq 1 150); do
        if ip netns exec "${NS}1" ping -c 1 -W 1 "$target" >/dev/null 2>&1; then
            local pings=()
            for i in $(seq 2 "$NPORTS"); do ip netns exec "$NS$i" ping -c 1 -W 1 "$back" >/dev/null 2>&1 & pings+=($!); done
            wait "${pings[@]}"
            return 0
        fi
        sleep 0.2
    done
    log "switch $kind did not become ready"; [ -f "$WORK/swiveld.log" ] && tail -5 "$WORK/swiveld.log" >&2
    return 1
}

stop_switch() {
    if [ -n "$SWITCH_PID" ] && [ "$OVS_UP" = 0 ]; then kill "$SWITCH_PID" 2>/dev/null; wait "$SWITCH_PID" 2>/dev/null; fi
    if [ "$OVS_UP" = 1 ]; then
        local d=$WORK/ovs
        ovs-vsctl --db="unix:$d/db.sock" --timeout=5 del-br e2ebr 2>/dev/null
        ovs-appctl -t "$d/vswitchd.ctl" exit 2>/dev/null; ovs-appctl -t "$d/ovsdb.ctl" exit 2>/dev/null
        sleep 0.3
        for p in "$d/vswitchd.pid" "$d/ovsdb.pid"; do [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null; done
        OVS_UP=0
    fi
    ip link del e2ebr 2>/dev/null
    SWITCH_PID=""
    rm -f "$SOCK"
}

cleanup() { stop_switch; pkill -f "trafgen --dev eth0 --conf $WORK" 2>/dev/null; topo_down; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

# MARK: measurements

cpu_ticks() { [ -n "${1:-}" ] && awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rx() { ip netns exec "$NS$1" cat /sys/class/net/eth0/statistics/rx_packets; }
tx() { ip netns exec "$NS$1" cat /sys/class/net/eth0/statistics/tx_packets; }
host_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }

# trafgen config: 60-byte UDP frames from ns1 to every other namespace in turn; FLOWS distinct
# (source port, destination port) pairs per destination (source ports over 1 000 values, destination ports
# over FLOWS/1 000 + 1, coprime periods).
trafgen_conf() {
    local flows=$1 f=$WORK/trafgen.cfg i smac dmac daddr sp dp
    smac=$(mac_of 1)
    : > "$f"
    for i in $(seq 2 "$NPORTS"); do
        dmac=$(mac_of "$i"); daddr=$NET.$i
        if [ "${ROUTED:-0}" = 1 ]; then   # to the router's MAC, for the other subnet
            dmac=$(ip -n "${NS}1" neigh show "$NET.254" | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'); daddr=$RNET.$i
        fi
        if [ "$flows" -le 1 ]; then sp=1024; dp=9
        elif [ "$flows" -le 1000 ]; then sp="dinc(1024, $((1023 + flows)))"; dp=9
        else sp="dinc(1024, 2023)"; dp="dinc(2000, $((2000 + flows / 1000)))"; fi
        echo "{ eth(da=$dmac, sa=$smac), ipv4(saddr=$NET.1, daddr=$daddr, ttl=64), udp(sport=$sp, dport=$dp), fill(0, 18) }" >> "$f"
    done
    echo "$f"
}

# udp64 FLOWS -> "mpps offered_mpps cpu_pct host_busy_pct"
udp64_once() {
    local flows=$1 conf t0 t1 r0=0 r1=0 o0 o1 c0 c1 h0 h1 i
    conf=$(trafgen_conf "$flows")
    for i in $(seq 2 "$NPORTS"); do r0=$((r0 + $(rx "$i"))); done
    o0=$(tx 1); c0=$(cpu_ticks "$SWITCH_PID"); read -r h0b h0t <<<"$(host_busy)"
    t0=$(date +%s.%N)
    timeout "$DURATION" taskset -c "$GEN_CPU" ip netns exec "${NS}1" trafgen --dev eth0 --conf "$conf" --cpus 1 --no-sock-mem --notouch-irq --no-cpu-stats >/dev/null 2>&1
    t1=$(date +%s.%N)
    sleep 0.2
    for i in $(seq 2 "$NPORTS"); do r1=$((r1 + $(rx "$i"))); done
    o1=$(tx 1); c1=$(cpu_ticks "$SWITCH_PID"); read -r h1b h1t <<<"$(host_busy)"
    awk -v r=$((r1 - r0)) -v o=$((o1 - o0)) -v c=$((c1 - c0)) -v t0="$t0" -v t1="$t1" -v hb=$((h1b - h0b)) -v ht=$((h1t - h0t)) \
        -v hz="$(getconf CLK_TCK)" -v pid="${SWITCH_PID:-}" \
        'BEGIN { d = t1 - t0; cpu = pid == "" ? -1 : 100 * c / hz / d;
                 printf "%.4f %.4f %.1f %.1f\n", r / d / 1e6, o / d / 1e6, cpu, (ht > 0 ? 100 * hb / ht : 0) }'
}

# tcp STREAMS -> "gbps csum_errors"
tcp_once() {
    local streams=$1 e0 e1 json gbps
    ip netns exec "${NS}2" iperf3 -s -1 -D -p 5201 >/dev/null 2>&1; sleep 0.3
    e0=$(ip netns exec "${NS}2" nstat -az TcpInCsumErrors 2>/dev/null | awk '/TcpInCsumErrors/{print $2}')
    json=$(taskset -c "$GEN_CPU" ip netns exec "${NS}1" iperf3 -c "$NET.2" -p 5201 -t "$DURATION" -P "$streams" -J 2>/dev/null)
    e1=$(ip netns exec "${NS}2" nstat -az TcpInCsumErrors 2>/dev/null | awk '/TcpInCsumErrors/{print $2}')
    gbps=$(echo "$json" | jq -r '.end.sum_received.bits_per_second // 0' 2>/dev/null)
    awk -v b="${gbps:-0}" -v e=$(( ${e1:-0} - ${e0:-0} )) 'BEGIN { printf "%.3f %d\n", b / 1e9, e }'
}

# ping -> "avg_us p99_us"
ping_once() {
    ip netns exec "${NS}1" ping -c "$PING_COUNT" -i 0.001 -W 1 "$NET.2" 2>/dev/null | awk -F'time=' '/time=/{split($2, a, " "); print a[1] * 1000}' \
        | sort -n | awk '{v[NR] = $1; s += $1} END { if (NR == 0) { print "0 0 0"; exit } i = int(NR * 0.99); if (i < 1) i = 1;
                                                     printf "%.1f %.1f %d\n", s / NR, v[i], NR }'
}

median() { sort -g | awk '{v[NR] = $1} END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%s %s", lo, hi}'; }

emit() { echo "$*" | tee -a "$OUT"; }

# run SUITE LABEL KIND ENGINE CONFIG FLOWS TESTS... : REPS repetitions of each test on a fresh switch each time.
declare -A SAMPLES
run() {
    local suite=$1 label=$2 kind=$3 engine=$4 config=$5 flows=$6; shift 6
    local test rep line
    for rep in $(seq 1 "$REPS"); do
        start_switch "$kind" "$engine" "$config" || { for test in "$@"; do SAMPLES["$label|$test|fail"]+="x"; done; stop_switch; continue; }
        for test in "$@"; do
            case "$test" in
            udp64) line=$(udp64_once "$flows") ;;
            tcp1) line=$(tcp_once 1) ;;
            tcp4) line=$(tcp_once 4) ;;
            ping) line=$(ping_once) ;;
            esac
            SAMPLES["$label|$test"]+="$line"$'\n'
            log "$suite $label $test rep $rep: $line"
        done
        stop_switch
    done
}

# result SUITE LABEL SWITCH KEYS TEST: one RESULT line from the samples.
result() {
    local suite=$1 label=$2 sw=$3 keys=$4 test=$5 s fails good
    s=${SAMPLES["$label|$test"]:-}
    case "$test" in
    udp64)
        good=$(echo -n "$s" | awk '$1 > 0' )
        fails=$((REPS - $(echo -n "$good" | grep -c .)))
        local mpps cpu
        mpps=$(echo -n "$good" | awk '{print $1}' | median)
        cpu=$(echo -n "$good" | awk '{print $3}' | median)
        emit "RESULT suite=$suite switch=$sw $keys test=udp64 reps=$REPS failed_runs=$fails mpps=$mpps" \
             "mpps_minmax=$(echo -n "$good" | awk '{print $1}' | minmax | tr ' ' ',')" \
             "offered_mpps=$(echo -n "$good" | awk '{print $2}' | median) switch_cpu_pct=$cpu" \
             "mframes_per_cpu_s=$(awk -v m="$mpps" -v c="$cpu" 'BEGIN { printf "%.3f", (c > 0 ? m / (c / 100) : -1) }')" \
             "host_busy_pct=$(echo -n "$good" | awk '{print $4}' | median)"
        ;;
    tcp1|tcp4)
        good=$(echo -n "$s" | awk '$1 > 0 && $2 == 0')
        fails=$((REPS - $(echo -n "$good" | grep -c .)))
        emit "RESULT suite=$suite switch=$sw $keys test=$test reps=$REPS failed_runs=$fails" \
             "gbps=$(echo -n "$good" | awk '{print $1}' | median) gbps_minmax=$(echo -n "$good" | awk '{print $1}' | minmax | tr ' ' ',')" \
             "csum_errors=$(echo -n "$s" | awk '{e += $2} END {print e + 0}')"
        ;;
    ping)
        good=$(echo -n "$s" | awk '$3 > 0.9 * '"$PING_COUNT")
        fails=$((REPS - $(echo -n "$good" | grep -c .)))
        emit "RESULT suite=$suite switch=$sw $keys test=ping reps=$REPS failed_runs=$fails" \
             "rtt_avg_us=$(echo -n "$good" | awk '{print $1}' | median) rtt_avg_us_minmax=$(echo -n "$good" | awk '{print $1}' | minmax | tr ' ' ',')" \
             "rtt_p99_us=$(echo -n "$good" | awk '{print $2}' | median)"
        ;;
    esac
}

# ratio SUITE KEYS TEST METRIC: swivel / each peer, from the RESULT lines just written.
ratio() {
    local suite=$1 keys=$2 test=$3 metric=$4 line out mine peer peer_v
    out="RATIO suite=$suite $keys test=$test metric=$metric"
    mine=$(grep "^RESULT suite=$suite switch=swivel $keys test=$test " "$OUT" | tail -1 | grep -o " $metric=[0-9.]*" | cut -d= -f2)
    for peer in linux-bridge ovs-netdev; do
        line=$(grep "^RESULT suite=$suite switch=$peer $keys test=$test " "$OUT" | tail -1)
        [ -n "$line" ] || continue
        peer_v=$(echo "$line" | grep -o " $metric=[0-9.]*" | cut -d= -f2)
        out+=" swivel/$peer=$(awk -v a="${mine:-0}" -v b="${peer_v:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "na" }')"
    done
    emit "$out"
}

# Interleaved: every repetition runs each switch once, so slow drifts of the shared machine hit all alike.
compare_round() {   # compare_round SUITE KEYS PORTS OFFLOADS FLOWS TESTS...: swivel, bridge, ovs
    local suite=$1 keys=$2 ports=$3 off=$4 flows=$5; shift 5
    local sw reps=$REPS
    topo_up "$ports" "$off" || die "topology"
    declare -gA SAMPLES=()
    REPS=1
    local switches=${SWITCHES:-swivel linux-bridge ovs-netdev}
    for _ in $(seq 1 "$reps"); do
        for sw in $switches; do run "$suite" "$sw" "$sw" ring "" "$flows" "$@"; done
    done
    REPS=$reps
    for sw in $switches; do for t in "$@"; do result "$suite" "$sw" "$sw" "$keys" "$t"; done; done
    for t in "$@"; do
        case "$t" in udp64) ratio "$suite" "$keys" "$t" mpps ;; tcp*) ratio "$suite" "$keys" "$t" gbps ;;
                     ping) ratio "$suite" "$keys" "$t" rtt_avg_us ;; esac
    done
}

machine() {
    emit "MACHINE cpu=\"$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)\" cores=$(nproc) kernel=$(uname -r)" \
         "swift=\"$(swift --version 2>&1 | head -1 | sed 's/.*version \([0-9.]*\).*/\1/')\" ovs=$(ovs-vswitchd --version | awk 'NR==1{print $NF}')" \
         "date=$(date -u +%Y-%m-%dT%H:%MZ) reps=$REPS duration=$DURATION gen_cpu=$GEN_CPU switch_cpu=$SWITCH_CPU"
}

# MARK: suites

suite_compare() {
    compare_round compare "offloads=off ports=2 flows=1" 2 off 1 udp64 tcp1 tcp4 ping
    compare_round compare "offloads=on ports=2 flows=1" 2 on 1 tcp1 tcp4
}

suite_tap() {
    TAP=1 SWITCHES="swivel ovs-netdev" compare_round tap "offloads=off ports=2 flows=1 kind=tap" 2 off 1 udp64 tcp1 ping
    TAP=1 SWITCHES="swivel ovs-netdev" compare_round tap "offloads=on ports=2 flows=1 kind=tap" 2 on 1 tcp1
}

suite_ports() {
    local n
    for n in 2 8 32; do compare_round ports "offloads=off ports=$n flows=1" "$n" off 1 udp64; done
}

sg_config() {   # sg_config RULES: both bench ports guarded; the receiver admits udp from the sender among RULES rules
    local rules=$1 f=$WORK/sg.yaml i
    {
        echo "security_groups:"
        echo "  - name: sender"
        echo "    rules: []"
        echo "  - name: receiver"
        echo "    rules:"
        echo "      - {direction: ingress, protocol: udp, remote_group: sender}"
        echo "      - {direction: ingress, protocol: icmp, remote_group: sender}"
        for i in $(seq 1 $((rules - 2))); do
            echo "      - {direction: ingress, protocol: tcp, ports: $((6000 + i % 100)), remote: 172.16.$((i / 250)).$((i % 250))/32}"
        done
        echo "ports:"
        for i in $(seq 1 "$NPORTS"); do
            echo "  - {name: p$i, kind: afpacket, device: $VETH$i, addresses: [{mac: \"$(mac_of "$i")\", ips: [$NET.$i]}], security_groups: [$([ "$i" = 1 ] && echo sender || echo receiver)]}"
        done
    } > "$f"
    echo "$f"
}

suite_flows() {
    local flows sw reps=$REPS
    topo_up 2 off || die "topology"
    for flows in 1 1000 100000; do
        declare -gA SAMPLES=()
        REPS=1
        for _ in $(seq 1 "$reps"); do
            run flows swivel swivel ring "" "$flows" udp64
            run flows swivel-sg swivel-sg ring "$(sg_config 2)" "$flows" udp64
            run flows ovs-netdev ovs-netdev ring "" "$flows" udp64
        done
        REPS=$reps
        for sw in swivel swivel-sg ovs-netdev; do result flows "$sw" "$sw" "offloads=off ports=2 flows=$flows" udp64; done
        ratio flows "offloads=off ports=2 flows=$flows" udp64 mpps
    done
}

routed_config() {   # two namespaces on two subnets through a router with 1 000 extra routes
    local f=$WORK/routed.yaml i
    ip -n "${NS}2" addr flush dev eth0; ip -n "${NS}2" addr add "$RNET.2/24" dev eth0
    ip -n "${NS}1" route replace default via "$NET.254"; ip -n "${NS}2" route replace default via "$RNET.254"
    {
        echo "networks:"
        echo "  - {name: a, subnets: [{cidr: $NET.0/24, gateway: $NET.254}]}"
        echo "  - {name: b, subnets: [{cidr: $RNET.0/24, gateway: $RNET.254}]}"
        echo "routers:"
        echo "  - name: r"
        echo "    networks: [a, b]"
        echo "    routes:"
        for i in $(seq 0 999); do echo "      - {to: 10.$((100 + i / 250)).$((i % 250)).0/24, via: $RNET.200}"; done
        echo "ports:"
        echo "  - {name: p1, kind: afpacket, device: ${VETH}1, network: a}"
        echo "  - {name: p2, kind: afpacket, device: ${VETH}2, network: b}"
    } > "$f"
    echo "$f"
}

suite_tables() {
    local reps=$REPS
    topo_up 2 off || die "topology"
    declare -gA SAMPLES=()
    REPS=1
    for _ in $(seq 1 "$reps"); do
        run tables swivel swivel ring "" 1 udp64
        run tables swivel-acl-10000 swivel-acl ring "$(sg_config 10000)" 1 udp64
    done
    REPS=$reps
    result tables swivel swivel "offloads=off ports=2 flows=1 setting=switched" udp64
    result tables swivel-acl-10000 swivel "offloads=off ports=2 flows=1 setting=acl-10000-rules" udp64
    # Routed: the receiver moves to another subnet; trafgen frames go to the router's MAC.
    local cfg
    cfg=$(routed_config)
    REPS=1
    for _ in $(seq 1 "$reps"); do ROUTED=1 run tables swivel-routed swivel-routed ring "$cfg" 1 udp64; done
    REPS=$reps
    result tables swivel-routed swivel "offloads=off ports=2 flows=1 setting=routed-1000-routes" udp64
}

suite_engines() {
    local n engine reps=$REPS
    for n in 2 32; do
        topo_up "$n" off || die "topology"
        declare -gA SAMPLES=()
        REPS=1
        for _ in $(seq 1 "$reps"); do
            for engine in ring ring-v3 mmsg; do run engines "swivel-$engine" swivel "$engine" "" 1 udp64 ping; done
        done
        REPS=$reps
        for engine in ring ring-v3 mmsg; do
            result engines "swivel-$engine" swivel "offloads=off ports=$n flows=1 engine=$engine" udp64
            result engines "swivel-$engine" swivel "offloads=off ports=$n flows=1 engine=$engine" ping
        done
    done
}

# Fills the connection table from ns1 to ns2: 300 000 frames over 1 023 x 257 = 262 911 distinct UDP flows
# (coprime periods), more than the table holds, so it ends full (the oldest unreplied ones are evicted).
observe_fill() {
    local f=$WORK/fill.cfg
    echo "{ eth(da=$(mac_of 2), sa=$(mac_of 1)), ipv4(saddr=$NET.1, daddr=$NET.2, ttl=64), udp(sport=dinc(1024, 2046), dport=dinc(3000, 3256)), fill(0, 18) }" > "$f"
    # Paced below what the switch forwards, so (nearly) every flow arrives.
    taskset -c "$GEN_CPU" ip netns exec "${NS}1" trafgen --dev eth0 --conf "$f" --cpus 1 --num 300000 --rate 120000pps --no-sock-mem --notouch-irq --no-cpu-stats >/dev/null 2>&1
    sleep 0.5
    curl -s --unix-socket "$SOCK" http://localhost/v1/state/conntrack-stats | jq -r '.entries'
}

# Seconds the datapath has spent on control requests so far.
observe_control() { curl -s --unix-socket "$SOCK" http://localhost/v1/state/counters | jq -r '.pipeline.control_seconds // 0'; }

# The reader: MODE scraped: /metrics ten times a second; dumped: the whole connection table (paged by the
# server, 100 000 per request) once a second. Counts the reads in $WORK/scrapes.
observe_scraper() {
    local n=0 after page
    while :; do
        if [ "$MODE" = scraped ]; then
            # As Prometheus scrapes: one kept-alive connection, a GET every 100 ms (a new connection per
            # scrape would cost more than the scrape itself).
            exec /usr/bin/python3 -c '
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
n = 0
while True:
    c.request("GET", "/metrics"); c.getresponse().read()
    n += 1
    open(sys.argv[2], "w").write(str(n))
    time.sleep(0.1)' "$METRICS_PORT" "$WORK/scrapes"
        else
            after=-1
            while :; do
                page=$(curl -s --max-time 20 --unix-socket "$SOCK" "http://localhost/v1/state/conntrack?limit=100000&after=$after" | jq -r 'if length > 0 then .[-1].id else empty end')
                [ -n "$page" ] || break
                after=$page
            done
            n=$((n + 1))
            sleep 1
        fi
        echo "$n" > "$WORK/scrapes"
    done
}

suite_observe() {
    local reps=$REPS rep mode line cfg entries scraper order
    METRICS_PORT=19464
    topo_up 2 off || die "topology"
    cfg=$(sg_config 2)
    declare -gA SAMPLES=()
    for rep in $(seq 1 "$reps"); do
        # The datapath alone on SWITCH_CPU, swiveld's other threads (API, metrics) on the other core, as a
        # deployment keeps control-plane threads off the forwarding cores.
        SWITCH_TASKSET="0-$(( $(nproc) - 1 ))" SWIVEL_ARGS="--conntrack-max 262144 --metrics-listen 127.0.0.1:$METRICS_PORT --datapath-cpu $SWITCH_CPU" \
            start_switch swivel-sg ring "$cfg" \
            || { SAMPLES["fail"]+="x"; stop_switch; continue; }
        # Alternate which mode goes first, so a drift of the shared machine hits both alike.
        order="quiet scraped dumped"; [ $((rep % 2)) = 0 ] && order="dumped scraped quiet"
        for mode in $order; do
            entries=$(observe_fill)
            SAMPLES["observe-$mode|entries"]+="${entries:-0}"$'\n'
            scraper=""
            if [ "$mode" != quiet ]; then
                echo 0 > "$WORK/scrapes"
                # Its own process group, so stopping it also stops a curl it is waiting for.
                taskset -c "$GEN_CPU" setsid bash -c "$(declare -f observe_scraper); MODE=$mode METRICS_PORT=$METRICS_PORT SOCK=$SOCK WORK=$WORK observe_scraper" &
                scraper=$!
                sleep 0.3
            fi
            local c0 t0 c1 t1
            c0=$(observe_control); t0=$(date +%s.%N)
            line=$(udp64_once 1); SAMPLES["observe-$mode|udp64"]+="$line"$'\n'; log "observe $mode udp64 rep $rep (table $entries): $line"
            line=$(ping_once); SAMPLES["observe-$mode|ping"]+="$line"$'\n'; log "observe $mode ping rep $rep: $line"
            c1=$(observe_control); t1=$(date +%s.%N)
            # Datapath time spent on control requests, in ms per second of the run.
            SAMPLES["observe-$mode|control"]+="$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.3f", 1000 * (b - a) / (t1 - t0) }')"$'\n'
            if [ -n "$scraper" ]; then
                kill -- "-$scraper" 2>/dev/null; wait "$scraper" 2>/dev/null
                SAMPLES["observe-$mode|scrapes"]+="$(cat "$WORK/scrapes")"$'\n'
            fi
        done
        SAMPLES["control_max"]+="$(curl -s --unix-socket "$SOCK" http://localhost/v1/state/counters | jq -r '.pipeline.control_max_us')"$'\n'
        stop_switch
    done
    emit "RESULT suite=observe switch=swivel setting=all test=control control_max_us=$(echo -n "${SAMPLES["control_max"]}" | median)" \
         "control_max_us_minmax=$(echo -n "${SAMPLES["control_max"]}" | minmax | tr ' ' ',')"
    for mode in quiet scraped dumped; do
        local keys="offloads=off ports=2 flows=1 setting=$mode conntrack_entries=$(echo -n "${SAMPLES["observe-$mode|entries"]}" | median)"
        keys+=" control_ms_per_s=$(echo -n "${SAMPLES["observe-$mode|control"]}" | median)"
        [ "$mode" != quiet ] && keys+=" reads_per_run=$(echo -n "${SAMPLES["observe-$mode|scrapes"]}" | median)"
        result observe "observe-$mode" swivel "$keys" udp64
        result observe "observe-$mode" swivel "$keys" ping
    done
    local q s mode test metric
    for mode in scraped dumped; do
        for test in udp64:mpps ping:rtt_avg_us ping:rtt_p99_us; do
            metric=${test#*:}; test=${test%%:*}
            q=$(grep "^RESULT suite=observe switch=swivel .*setting=quiet .*test=$test " "$OUT" | tail -1 | grep -o " $metric=[0-9.]*" | cut -d= -f2)
            s=$(grep "^RESULT suite=observe switch=swivel .*setting=$mode .*test=$test " "$OUT" | tail -1 | grep -o " $metric=[0-9.]*" | cut -d= -f2)
            emit "RATIO suite=observe test=$test metric=$metric $mode/quiet=$(awk -v a="${s:-0}" -v b="${q:-0}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "na" }')"
        done
    done
}

machine
for s in "${SUITES[@]}"; do
    case "$s" in
    compare|ports|flows|tables|engines|tap|observe) log "suite $s"; "suite_$s" ;;
    *) die "unknown suite $s (compare ports flows tables engines tap observe)" ;;
    esac
done
log "results in $OUT"
