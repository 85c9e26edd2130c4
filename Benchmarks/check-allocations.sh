#!/usr/bin/env bash
# Runs the micro-benchmarks and compares them with the checked-in thresholds (Benchmarks/Thresholds).
# Only allocations are gated (wall time is reported, never gated: shared machines are noisy). Any
# difference fails: more mallocs is a regression, and fewer on the control benchmark means the malloc
# counter is not working in this build.
set -uo pipefail
cd "$(dirname "$0")"
export PATH=/opt/swift/usr/bin:$PATH
swift package benchmark thresholds check --no-progress 2>&1 | tee /tmp/swivel-benchmark-check.txt | grep -vE '^\s*$' | tail -40
rc=${PIPESTATUS[0]}
case $rc in
    0) echo "allocation thresholds: all benchmarks as recorded" ;;
    2) echo "allocation thresholds: REGRESSION (see above)"; exit 1 ;;
    4) echo "allocation thresholds: fewer allocations than recorded; if the control benchmark moved, malloc counting is broken; otherwise record the improvement with 'swift package --allow-writing-to-package-directory benchmark thresholds update'"; exit 1 ;;
    *) echo "benchmark run failed ($rc)"; exit 1 ;;
esac
