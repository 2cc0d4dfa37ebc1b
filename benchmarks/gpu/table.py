#!/usr/bin/env python3
"""Reads the RESULT (and BREAKDOWN) lines of torch_reference.py and dbn4j.bench.GpuBench (stdin) and prints one
table: per workload PyTorch eager, PyTorch + CUDA graph, dbn4j (FP32 eager; a CUDA graph, TF32, BF16, the models'
fit() loops and the RBM step with unfused column sums or serial forks where measured) and the ratios of dbn4j's best
FP32 number (eager or graph) to PyTorch's. A missing measurement is '-'; GpuBench's GRAPH lines (the CUDA graphs'
work nodes and longest paths) follow as a table, and the measurements that failed are listed below it."""
import re
import sys

results = {}
breakdown = {}  # op -> {workload: microseconds}
workloads = []
failed = []  # GpuBench's "FAILED what: exception" lines: the measurements that did not give a number
graphs = []  # (peer, workload, work nodes, the most of them on one path) of the CUDA graphs measured
for line in sys.stdin:
    if line.startswith("FAILED "):
        failed.append(line.strip())
        continue
    g = re.match(r"GRAPH peer=(\S+) workload=(\S+) nodes=(\S+) depth=(\S+)", line.strip())
    if g:
        graphs.append(g.groups())
        continue
    b = re.match(r"BREAKDOWN workload=(\S+) op=(\S+) us=(\S+)", line.strip())
    if b:
        w, op, us = b.groups()
        breakdown.setdefault(op, {})[w] = float(us)
        if w not in workloads:
            workloads.append(w)
        continue
    m = re.match(r"RESULT peer=(\S+) workload=(\S+) value=(\S+) unit=(\S+)", line.strip())
    if m:
        peer, workload, value, unit = m.groups()
        results.setdefault(workload, {"unit": unit})[peer] = float(value)

def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "samples/s" and v >= 1e5:
        return f"{v / 1e6:.3g} M"
    if unit == "samples/s" and v >= 1e3:
        return f"{v / 1e3:.3g} k"
    return f"{v:.4g}"

# dbn4j-unfused[-graph]: the RBM step with each activation and its column sums as two kernels (what the fused
# kernels gain); dbn4j-serial[-graph]: with its forks in order on one stream (what the overlap gains). Neither is
# counted in the ratios.
cols = ["torch-eager", "torch-graph", "dbn4j", "dbn4j-graph", "dbn4j-tf32", "dbn4j-bf16", "dbn4j-fit",
        "dbn4j-unfused", "dbn4j-unfused-graph", "dbn4j-serial", "dbn4j-serial-graph"]
print()
print("| workload | unit | " + " | ".join(cols) + " | dbn4j/eager | dbn4j/graph |")
print("|---" * (len(cols) + 4) + "|")
for workload, r in results.items():
    unit = r["unit"]
    # dbn4j's best FP32 number (eager, or a CUDA graph where measured) against PyTorch's.
    d = max((r[p] for p in ("dbn4j", "dbn4j-graph") if p in r), default=None)
    e, g = r.get("torch-eager"), r.get("torch-graph")
    ratio = lambda a, b: f"{a / b:.2f}" if a and b else "-"
    print(f"| {workload} | {unit} | " + " | ".join(fmt(r.get(c), unit) for c in cols)
          + f" | {ratio(d, e)} | {ratio(d, g)} |")

if breakdown:
    # Each operation of dbn4j's RBM CD-1 step timed alone (GpuBench): where the step's time goes.
    print()
    print("| RBM CD-1 step, op alone (us) | " + " | ".join(workloads) + " |")
    print("|---" * (len(workloads) + 1) + "|")
    for op, r in breakdown.items():
        print(f"| {op} | " + " | ".join(f"{r[w]:.1f}" if w in r else "-" for w in workloads) + " |")

if graphs:
    # The graphs' sizes: their work nodes (kernels, copies, memsets; a GEMM may be more than one kernel) and the
    # most of them on one path, which a replay runs one after another.
    print()
    print("| graph | workload | work nodes | longest path |")
    print("|---|---|---|---|")
    for peer, workload, nodes, depth in graphs:
        print(f"| {peer} | {workload} | {nodes} | {depth} |")

if failed:
    print()
    for f in failed:
        print(f)
