"""Runs camlab-bench and numpy_gemm.py alternately, ROUNDS times each, and prints a Markdown table
of per-shape medians over the rounds (the machine is shared: single runs are noisy).
    swift build -c release -j 2 && python3 Benchmarks/compare.py [ROUNDS]
"""
import json
import os
import statistics
import subprocess
import sys

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
numpy_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}


def run(command, env=None):
    output = subprocess.run(command, cwd=root, env=env, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


camlab, numpy = {}, {}
conv = {}
for _ in range(rounds):
    for row in run([os.path.join(root, ".build/release/camlab-bench"), "--json"]):
        if row["kind"] == "gemm":
            camlab.setdefault(row["case"], []).append(row)
        elif row["kind"] == "conv":
            conv.setdefault((row["layer"], row["pass"]), []).append(row)
    for row in run([sys.executable, "Benchmarks/numpy_gemm.py", "--json"], env=numpy_env):
        numpy.setdefault(row["case"], []).append(row)

print(f"GEMM, float32, GFLOP/s: median over {rounds} alternating runs of each (per-run values in brackets)\n")
print("| case | m | n | k | op | camlab | numpy | camlab / numpy |")
print("| --- | ---: | ---: | ---: | :---: | ---: | ---: | ---: |")
for case, rows in camlab.items():
    ours = statistics.median(r["gflops"] for r in rows)
    theirs = statistics.median(r["gflops"] for r in numpy[case])
    ours_runs = ", ".join(f"{r['gflops']:.0f}" for r in rows)
    theirs_runs = ", ".join(f"{r['gflops']:.0f}" for r in numpy[case])
    r = rows[0]
    print(f"| {case} | {r['m']} | {r['n']} | {r['k']} | {r['op']} | **{ours:.0f}** [{ours_runs}] "
          f"| **{theirs:.0f}** [{theirs_runs}] | {ours / theirs:.2f} |")

print(f"\nConvolution (camlab only), tiny32 layers at batch 64: median over {rounds} runs\n")
print("| layer | pass | ms | GFLOP/s |")
print("| --- | --- | ---: | ---: |")
for (layer, kind), rows in conv.items():
    print(f"| {layer} | {kind} | {statistics.median(r['median_ms'] for r in rows):.3f} "
          f"| {statistics.median(r['gflops'] for r in rows):.0f} |")
