#!/usr/bin/env bash
# Attach latency of swivel-cni beside Debian's bridge CNI plugin (host-local IPAM), on this machine, in
# one run: N ADD/DEL cycles each into a fresh network namespace, timed around the plugin call only.
# Prints one RESULT line per plugin and command (median and p99 in ms) and the ratios. Needs root.
#   sudo Benchmarks/cni-latency.sh [N]      (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/setup-deps.sh
N=${1:-100}
swift build -c release --product swiveld >/dev/null
swift build -c release --product swivel-cni >/dev/null
BIN=$(swift build -c release --show-bin-path)
SOCK=/tmp/swivel-cni-bench.$$.sock
DATA=/tmp/swivel-cni-bench.$$.ipam
NS=swcnibench
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ip link del cnibench0 2>/dev/null || true
    rm -rf "$SOCK" "$DATA"
}
trap cleanup EXIT
cleanup
"$BIN/swiveld" --network "blue,subnet=10.66.0.0/24,gateway=10.66.0.1" --state-file none --socket "$SOCK" --log-level warning &
PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done

SWIVEL='{"cniVersion":"1.0.0","name":"bench","type":"swivel-cni","network":"blue","socket":"'"$SOCK"'","ipam":{"type":"swivel"}}'
BRIDGE='{"cniVersion":"1.0.0","name":"bench","type":"bridge","bridge":"cnibench0","isGateway":true,"ipam":{"type":"host-local","dataDir":"'"$DATA"'","ranges":[[{"subnet":"10.67.0.0/24"}]]}}'

measure() {   # plugin-path config label
    local plugin=$1 conf=$2 label=$3 adds=() dels=()
    for i in $(seq "$N"); do
        ip netns add "$NS"
        local t0 t1 t2
        t0=$(date +%s%N)
        echo "$conf" | CNI_COMMAND=ADD CNI_CONTAINERID="bench$i" CNI_NETNS=/var/run/netns/$NS CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni "$plugin" >/dev/null
        t1=$(date +%s%N)
        echo "$conf" | CNI_COMMAND=DEL CNI_CONTAINERID="bench$i" CNI_NETNS=/var/run/netns/$NS CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni "$plugin" >/dev/null
        t2=$(date +%s%N)
        ip netns del "$NS"
        adds+=($(( (t1 - t0) / 1000 ))); dels+=($(( (t2 - t1) / 1000 )))
    done
    python3 - "$label" "${adds[*]}" "${dels[*]}" <<'PY'
import statistics, sys
label, adds, dels = sys.argv[1], [int(x) for x in sys.argv[2].split()], [int(x) for x in sys.argv[3].split()]
def p99(v): return sorted(v)[max(0, int(len(v) * 0.99) - 1)]
for cmd, v in (("ADD", adds), ("DEL", dels)):
    print(f"RESULT plugin={label} command={cmd} n={len(v)} median_ms={statistics.median(v)/1000:.2f} p99_ms={p99(v)/1000:.2f}")
PY
}
measure "$BIN/swivel-cni" "$SWIVEL" swivel-cni | tee /tmp/cni-bench-swivel.txt
measure /usr/lib/cni/bridge "$BRIDGE" bridge | tee /tmp/cni-bench-bridge.txt
python3 - <<'PY'
import re
def load(p):
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"command=(\w+) n=\d+ median_ms=([\d.]+)", open(p).read())}
s, b = load("/tmp/cni-bench-swivel.txt"), load("/tmp/cni-bench-bridge.txt")
for cmd in ("ADD", "DEL"):
    print(f"RATIO command={cmd} swivel-cni/bridge median={s[cmd]/b[cmd]:.2f}")
PY
