#!/usr/bin/env bash
# Benchmarks/compare-commits.sh BEFORE AFTER: the micro-benchmarks of two commits, five runs each,
# alternating (before, after, before, ...), so slow spells of this shared machine fall on both. Each
# commit is checked out in a worktree under /tmp/swivel-compare/ and built in release; the runs' text
# output lands in /tmp/swivel-compare/micro-{before,after}-N.txt, and Benchmarks/Tools/compare_micro.py
# prints the table (median and min-max of each run's p50, and the ratios of medians and of minima).
set -u
BEFORE=${1:?usage: compare-commits.sh BEFORE AFTER}; AFTER=${2:?usage: compare-commits.sh BEFORE AFTER}
RUNS=${RUNS:-5}
FILTER=${FILTER:-'^(Pipeline\..*batch-64|Stage\..*|Conntrack\..*|FDB\.1024-(lookups|learn-refresh)\.entries-65536|LPM\.1024-lookups\.prefixes-1000)$'}
OUT=/tmp/swivel-compare
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
for c in before after; do
  rev=$([ $c = before ] && echo "$BEFORE" || echo "$AFTER")
  git worktree add -f "$OUT/$c" "$rev" -q 2>/dev/null || git -C "$OUT/$c" checkout -q "$rev"
  (cd "$OUT/$c/Benchmarks" && swift build -c release >/dev/null) || { echo "build of $rev failed"; exit 1; }
done
for run in $(seq 1 "$RUNS"); do
  for c in before after; do
    (cd "$OUT/$c/Benchmarks" && swift package benchmark --filter "$FILTER" --no-progress --time-units nanoseconds \
        --metric wallClock --metric mallocCountTotal) > "$OUT/micro-$c-$run.txt" 2>&1
    echo "$(date +%T) run $run $c done"
  done
done
/usr/bin/python3 Benchmarks/Tools/compare_micro.py "$OUT"
