#!/usr/bin/python3
"""Turns Benchmarks/e2e.sh output into tables and plots.

  e2e_report.py RESULTS.txt [--docs DIR]

Writes DIR/bench-results/e2e-DATE.txt (the raw lines), DIR/bench-plots/e2e-{ports,flows}.png, and replaces
the part of DIR/benchmarks.md between <!-- e2e-report:start --> and <!-- e2e-report:end --> with the
tables (DIR defaults to Docs/ next to this script's repository). Results with failed_runs > 0 or TCP
checksum errors are shown but marked and never used for ratios.
"""
import os, re, shutil, sys

args = sys.argv[1:]
if not args:
    sys.exit(__doc__)
source = args[0]
docs = args[args.index("--docs") + 1] if "--docs" in args else os.path.join(os.path.dirname(__file__), "..", "..", "Docs")
docs = os.path.normpath(docs)

def parse(line):
    out, key = {}, None
    for m in re.finditer(r'(\w[\w/.-]*)=("[^"]*"|\S+)', line):
        out[m.group(1)] = m.group(2).strip('"')
    return out

results, ratios, machine = [], [], {}
for line in open(source):
    if line.startswith("RESULT "): results.append(parse(line))
    elif line.startswith("RATIO "): ratios.append(parse(line))
    elif line.startswith("MACHINE "): machine = parse(line)

def ok(r):
    return r.get("failed_runs") == "0" and r.get("csum_errors", "0") == "0"

def num(r, k):
    try:
        v = float(r.get(k, "nan"))
        return v
    except ValueError:
        return float("nan")

def fmt(r, k, digits=3):
    v = num(r, k)
    if v != v or v < 0: return "n/a"
    s = f"{v:.{digits}f}"
    # The range of the repetitions, where the runner kept it.
    lo_hi = r.get(f"{k}_minmax", "")
    if "," in lo_hi and lo_hi.split(",")[0] and lo_hi.split(",")[0] != lo_hi.split(",")[1]:
        lo, hi = (float(x) for x in lo_hi.split(","))
        s += f" ({lo:.{digits}f}–{hi:.{digits}f})"
    return s if ok(r) else s + " (failed runs: %s)" % r.get("failed_runs")

def find(**kw):
    return [r for r in results if all(r.get(k) == v for k, v in kw.items())]

def ratio_of(suite, test, keys, peer):
    for q in ratios:
        if q.get("suite") == suite and q.get("test") == test and all(q.get(k) == v for k, v in keys.items()):
            return q.get(f"swivel/{peer}", "n/a")
    return "n/a"

date = machine.get("date", "unknown")
lines = []
w = lines.append
w(f"Run of `{os.path.basename(source)}` on {date}: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
  f"Linux {machine.get('kernel', '?')}, Swift {machine.get('swift', '?')}, Open vSwitch {machine.get('ovs', '?')}; "
  f"{machine.get('reps', '?')} repetitions of {machine.get('duration', '?')} s, medians (min–max); generator pinned to CPU "
  f"{machine.get('gen_cpu', '?')}, switch to CPU {machine.get('switch_cpu', '?')}. Raw lines: "
  f"[bench-results/e2e-{date[:10]}.txt](bench-results/e2e-{date[:10]}.txt).")
w("")

def side_by_side(suite, title, switches, rows):
    """One row per (test, offloads, metric): each switch's median and swivel's ratio to each peer."""
    peers = [p for p in switches if p != "swivel"]
    short = {"linux-bridge": "bridge", "ovs-netdev": "ovs"}
    w(f"#### {title}")
    w("")
    w("| test | offloads | " + " | ".join(switches) + " | " + " | ".join(f"swivel / {short[p]}" for p in peers) + " |")
    w("| --- | --- | " + " | ".join("---:" for _ in switches + peers) + " |")
    for test, off, metric, unit in rows:
        cells = []
        for sw in switches:
            r = find(suite=suite, switch=sw, test=test, offloads=off)
            cells.append(fmt(r[0], metric, 1 if metric.startswith("rtt") else 3) if r else "—")
        ratios = [ratio_of(suite, test, {"offloads": off}, p) if metric != "rtt_p99_us" else "—" for p in peers]
        w(f"| {test} ({unit}) | {off} | " + " | ".join(cells + ratios) + " |")
    w("")

if find(suite="compare"):
    side_by_side("compare", "Side by side (2 ports)", ["swivel", "linux-bridge", "ovs-netdev"],
                 [("udp64", "off", "mpps", "M frames/s"), ("tcp1", "off", "gbps", "Gbit/s"), ("tcp4", "off", "gbps", "Gbit/s"),
                  ("tcp1", "on", "gbps", "Gbit/s"), ("tcp4", "on", "gbps", "Gbit/s"), ("ping", "off", "rtt_avg_us", "µs avg"),
                  ("ping", "off", "rtt_p99_us", "µs p99")])
    w("| udp64, offloads off | delivered M frames/s | switch CPU % | M frames per switch CPU-second |")
    w("| --- | ---: | ---: | ---: |")
    for sw in ["swivel", "linux-bridge", "ovs-netdev"]:
        for r in find(suite="compare", switch=sw, test="udp64"):
            w(f"| {sw} | {fmt(r, 'mpps')} | {fmt(r, 'switch_cpu_pct', 0)} | {fmt(r, 'mframes_per_cpu_s')} |")
    w("")

if find(suite="tap"):
    side_by_side("tap", "TAP ports (2 ports; the way VMs attach)", ["swivel", "ovs-netdev"],
                 [("udp64", "off", "mpps", "M frames/s"), ("tcp1", "off", "gbps", "Gbit/s"), ("tcp1", "on", "gbps", "Gbit/s"),
                  ("ping", "off", "rtt_avg_us", "µs avg"), ("ping", "off", "rtt_p99_us", "µs p99")])

def scale_table(suite, key, title, switches):
    rows = sorted({int(r[key]) for r in find(suite=suite) if key in r})
    if not rows: return
    w(f"#### {title}")
    w("")
    w(f"| {key} | " + " | ".join(f"{s} M frames/s | {s} CPU % | {s} M frames per CPU-s" for s in switches) + " |")
    w("| ---: | " + " | ".join("---: | ---: | ---:" for _ in switches) + " |")
    for v in rows:
        cells = []
        for s in switches:
            r = [x for x in find(suite=suite, switch=s, test="udp64") if x.get(key) == str(v) and "engine" not in x]
            cells += [fmt(r[0], "mpps"), fmt(r[0], "switch_cpu_pct", 0), fmt(r[0], "mframes_per_cpu_s")] if r else ["—"] * 3
        w(f"| {v} | " + " | ".join(cells) + " |")
    w("")

scale_table("ports", "ports", "Ports: one sender to all the others (udp64, offloads off)", ["swivel", "linux-bridge", "ovs-netdev"])
scale_table("flows", "flows", "Flows: concurrent (source, destination port) pairs (udp64, offloads off, 2 ports)",
            ["swivel", "swivel-sg", "ovs-netdev"])

if find(suite="tables"):
    w("#### Tables installed (swivel, udp64, offloads off, 2 ports)")
    w("")
    w("| setting | M frames/s | switch CPU % | M frames per CPU-s |")
    w("| --- | ---: | ---: | ---: |")
    for r in find(suite="tables"):
        w(f"| {r.get('setting')} | {fmt(r, 'mpps')} | {fmt(r, 'switch_cpu_pct', 0)} | {fmt(r, 'mframes_per_cpu_s')} |")
    w("")

if find(suite="engines"):
    w("#### I/O engines (swivel, offloads off)")
    w("")
    w("| engine | ports | M frames/s | switch CPU % | M frames per CPU-s | ping avg µs | ping p99 µs |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in sorted({int(r["ports"]) for r in find(suite="engines")}):
        for e in ["ring", "ring-v3", "mmsg"]:
            u = find(suite="engines", engine=e, ports=str(n), test="udp64")
            p = find(suite="engines", engine=e, ports=str(n), test="ping")
            if not u: continue
            w(f"| {e} | {n} | {fmt(u[0], 'mpps')} | {fmt(u[0], 'switch_cpu_pct', 0)} | {fmt(u[0], 'mframes_per_cpu_s')} | "
              f"{fmt(p[0], 'rtt_avg_us', 1) if p else '—'} | {fmt(p[0], 'rtt_p99_us', 1) if p else '—'} |")
    w("")

# Plots.
plots = os.path.join(docs, "bench-plots")
os.makedirs(plots, exist_ok=True)
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for suite, key, switches, xlabel, logx in [("ports", "ports", ["swivel", "linux-bridge", "ovs-netdev"], "ports", False),
                                               ("flows", "flows", ["swivel", "swivel-sg", "ovs-netdev"], "concurrent flows", True)]:
        if not find(suite=suite): continue
        fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
        for s in switches:
            pts = sorted((int(r[key]), num(r, "mpps")) for r in find(suite=suite, switch=s, test="udp64") if ok(r) and "engine" not in r)
            if pts: ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=s)
        ax.set_xlabel(xlabel); ax.set_ylabel("delivered M frames/s (64 B)")
        if logx: ax.set_xscale("log")
        ax.set_ylim(bottom=0); ax.grid(alpha=0.3); ax.legend()
        ax.set_title(f"udp64 vs {xlabel} ({date[:10]})")
        fig.tight_layout()
        fig.savefig(os.path.join(plots, f"e2e-{suite}.png"))
        plt.close(fig)
        w(f"![udp64 vs {xlabel}](bench-plots/e2e-{suite}.png)")
        w("")
except ImportError:
    w("(plots skipped: python3-matplotlib is not installed)")

raw_dir = os.path.join(docs, "bench-results")
os.makedirs(raw_dir, exist_ok=True)
shutil.copyfile(source, os.path.join(raw_dir, f"e2e-{date[:10]}.txt"))

report = "\n".join(lines)
bench = os.path.join(docs, "benchmarks.md")
text = open(bench).read()
start, end = "<!-- e2e-report:start -->", "<!-- e2e-report:end -->"
if start in text and end in text:
    text = text[:text.index(start) + len(start)] + "\n" + report + "\n" + text[text.index(end):]
    open(bench, "w").write(text)
    print(f"updated {bench}")
else:
    print(report)
