#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each one, checking libFuzzer's own output (a fuzzer that links the
# empty Swift main, or a build with ASan but no coverage, exits 0 and finds nothing: see
# shared/fuzzing-notes.md).
#
#   Fuzz/run.sh                 short run (CI): each target SECONDS [30] from its corpus; new inputs go to a
#                               scratch directory, so the committed corpus does not change
#   Fuzz/run.sh --long          long run: each target SECONDS [3600], new inputs added to Fuzz/corpus/TARGET
#                               (then minimize with --merge before committing)
#   Fuzz/run.sh --merge         minimizes each committed corpus (libFuzzer -merge=1), keeping the coverage
#   Fuzz/run.sh --replay FILE   runs one input (a crash-* file) through its target: TARGET=FuzzPipeline ...
#
# A crash, once fixed, goes into Fuzz/regressions/CORPUS/NAME (never merged away); the ordinary test run
# replays the corpora and the regressions (Tests/SwivelFuzzingTests).
#
# Leak detection is off (-detect_leaks=0): the datapath allocates its tables once for the life of the
# process and never frees them, which LeakSanitizer reports at exit; ASan still catches every bad access.
# Environment: SECONDS_PER_TARGET, TARGETS ["FuzzPipeline FuzzModel FuzzPacketSpec FuzzCNI"], RUNS (stop a
# target after this many inputs, whichever comes first with the time: RUNS=10000000 for the long-run goal).
# Prints one line per target: "FUZZ target=T executions=N cov=C new_inputs=K crashes=0 seconds=S".
set -uo pipefail
cd "$(dirname "$0")"
export PATH=/opt/swift/usr/bin:$PATH
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
MODE=short; [ "${1:-}" = --long ] && MODE=long; [ "${1:-}" = --merge ] && MODE=merge; [ "${1:-}" = --replay ] && MODE=replay
SECS=${SECONDS_PER_TARGET:-$([ "$MODE" = long ] && echo 3600 || echo 30)}
TARGETS=${TARGETS:-FuzzPipeline FuzzModel FuzzPacketSpec FuzzCNI}
corpus_of() { case "$1" in FuzzPipeline) echo corpus/pipeline ;; FuzzModel) echo corpus/model ;; FuzzPacketSpec) echo corpus/packet-spec ;; FuzzCNI) echo corpus/cni ;; esac; }
runs_flag() { [ -n "${RUNS:-}" ] && echo "-runs=$RUNS"; }
dict_of() { [ -f "dict/$1.dict" ] && echo "-dict=dict/$1.dict"; }

# Resolve with the root package's versions, then build every target with coverage and ASan in one flag.
[ -f ../Package.resolved ] && cp ../Package.resolved Package.resolved
for t in $TARGETS; do
    swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --product "$t" 2>&1 \
        | grep -E "error|warning: unre|Compiling|Build" | grep -v "^\[" | tail -3
    [ -x ".build/release/$t" ] || { echo "FUZZ target=$t build failed"; exit 1; }
done

if [ "$MODE" = replay ]; then
    ".build/release/${TARGET:?TARGET=FuzzPipeline|FuzzModel|FuzzPacketSpec}" "$2"
    exit $?
fi

status=0
for t in $TARGETS; do
    c=$(corpus_of "$t"); log=$(mktemp /tmp/swivel-fuzz-$t.XXXXXX.log)
    crashes_before=$(ls crash-* leak-* timeout-* oom-* 2>/dev/null | wc -l); inputs_before=$(ls "$c" | wc -l)
    case "$MODE" in
    merge)
        tmp=$(mktemp -d); ".build/release/$t" -merge=1 "$tmp" "$c" >"$log" 2>&1
        rm -f "$c"/*; cp "$tmp"/* "$c"/; rm -rf "$tmp"
        echo "FUZZ target=$t merged=$(ls "$c" | wc -l)"; continue ;;
    long)
        ".build/release/$t" $(dict_of "$t") $(runs_flag) -max_total_time="$SECS" -print_final_stats=1 -rss_limit_mb=4096 -detect_leaks=0 "$c" >"$log" 2>&1 ;;
    short)
        scratch=$(mktemp -d); cp "$c"/* "$scratch"/ 2>/dev/null
        ".build/release/$t" $(dict_of "$t") -max_total_time="$SECS" -print_final_stats=1 -rss_limit_mb=4096 -detect_leaks=0 "$scratch" >"$log" 2>&1 ;;
    esac
    rc=$?
    # A fuzzer that fuzzed: libFuzzer's main ran, coverage counters were loaded, executions were counted.
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    new=$(( $(ls "$([ "$MODE" = short ] && echo "$scratch" || echo "$c")" | wc -l) - inputs_before ))
    loaded=$(grep -c 'INFO: Loaded 1 modules' "$log")
    crashes=$(( $(ls crash-* leak-* timeout-* oom-* 2>/dev/null | wc -l) - crashes_before ))
    echo "FUZZ target=$t executions=${execs:-0} cov=${cov:-0} new_inputs=${new:-0} crashes=$crashes seconds=$SECS exit=$rc"
    if [ "$rc" != 0 ] || [ "$crashes" != 0 ] || [ "$loaded" = 0 ] || [ -z "$cov" ] || [ "${execs:-0}" -lt 100 ]; then
        echo "FUZZ target=$t FAILED (exit $rc, modules loaded: $loaded, cov: ${cov:-none}); log: $log"
        grep -E "Violation|ERROR|Fatal|SUMMARY" "$log" | head -5
        status=1
    fi
    [ "$MODE" = short ] && rm -rf "$scratch"
done
exit $status
