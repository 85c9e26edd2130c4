#!/usr/bin/env python3
"""compare_micro.py DIR: the table of Benchmarks/compare-commits.sh's runs (DIR/micro-{before,after}-N.txt).

For each benchmark: the median and min-max, over the runs, of each run's p50 wall-clock time, and the
after/before ratios of the medians and of the minima. On this machine a benchmark's p50 is bimodal
(runs land in a fast or a slow mode up to 2x apart), so the ratio of minima compares the fast modes.
"""
import collections
import glob
import os
import re
import statistics
import sys

directory = sys.argv[1] if len(sys.argv) > 1 else "/tmp/swivel-compare"
data = collections.defaultdict(lambda: collections.defaultdict(list))
for path in sorted(glob.glob(os.path.join(directory, "micro-*-*.txt"))):
    commit = os.path.basename(path).split("-")[1]
    name = None
    for line in open(path):
        line = line.rstrip()
        if re.match(r"^[A-Z][\w.\-]+$", line):
            name = line
            continue
        m = re.match(r"^│ Time \(wall clock\) \(ns\) \*?\s*│(.*)", line)
        if m and name:
            cols = [c.strip() for c in m.group(1).split("│")]
            data[name][commit].append(float(cols[2].replace(",", "")))
print("| benchmark (p50 of each run, ns) | before: median, min–max | after: median, min–max | median ratio | min ratio |")
print("| --- | --- | --- | --- | --- |")
for name in sorted(data):
    b, a = data[name]["before"], data[name]["after"]
    if not b or not a:
        continue
    print(f"| {name} | {statistics.median(b):.0f}, {min(b):.0f}–{max(b):.0f} | {statistics.median(a):.0f}, "
          f"{min(a):.0f}–{max(a):.0f} | {statistics.median(a) / statistics.median(b):.2f} | {min(a) / min(b):.2f} |")
