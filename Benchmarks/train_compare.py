"""Trains the tiny32 network with camlab and with PyTorch alternately, ROUNDS times each, on the
same PNGs, and prints a Markdown table: median epoch time, held-out accuracy after the last
epoch, and peak memory (`/usr/bin/time -v`, maximum resident set size). The machine is shared,
so only alternating runs in one session are comparable.

    swift build -c release -j 2
    .build/release/camlab data make shapes --count 5000 --seed 1 --out /tmp/shapes
    python3 Benchmarks/train_compare.py /tmp/shapes [ROUNDS]

The dataset's train/ split (4,000 images) trains, its test/ split (1,000) is held out.
The architecture is Benchmarks/tiny32.json (the reference model's).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
data = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
epochs, batch, lr = 6, 64, "2e-3"
arch = os.path.join(root, "Benchmarks", "tiny32.json")
camlab = os.path.join(root, ".build", "release", "camlab")


def timed(command):
    """Runs command under /usr/bin/time -v; returns its JSON lines, peak RSS in MiB and CPU seconds."""
    result = subprocess.run(["/usr/bin/time", "-v"] + command, cwd=root, capture_output=True, text=True, check=True)
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) / 1024
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([0-9.]+)", result.stderr).group(1)) for kind in ("User", "System"))
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")], peak, cpu


rows = {"camlab": [], "pytorch": []}
with tempfile.TemporaryDirectory() as scratch:
    model = os.path.join(scratch, "model.safetensors")
    for seed in range(1, rounds + 1):  # round r uses seed r in both trainers
        lines, peak, cpu = timed([camlab, "train", "--data", f"{data}/train", "--arch", arch, "--epochs", str(epochs),
                             "--batch", str(batch), "--lr", lr, "--optimizer", "adam", "--seed", str(seed),
                             "--out", model, "--json"])
        evaluation = subprocess.run([camlab, "eval", "--model", model, "--data", f"{data}/test", "--json"],
                                    capture_output=True, text=True, check=True)
        rows["camlab"].append(([l["seconds"] for l in lines], json.loads(evaluation.stdout)["accuracy"], peak, cpu))
        lines, peak, cpu = timed([sys.executable, os.path.join(root, "Benchmarks", "train_pytorch.py"), "--data",
                             f"{data}/train", "--test", f"{data}/test", "--arch", arch, "--epochs", str(epochs),
                             "--batch", str(batch), "--lr", lr, "--seed", str(seed), "--threads", "2"])
        seconds = [l["seconds"] for l in lines if "epoch" in l]
        accuracy = [l["accuracy"] for l in lines if "accuracy" in l][0]
        rows["pytorch"].append((seconds, accuracy, peak, cpu))

print(f"tiny32, 4,000 32×32 PNGs, batch {batch}, Adam lr {lr}, {epochs} epochs; {rounds} alternating runs "
      f"each, run r with seed r\n")
print("| trainer | median epoch s | epoch s per run (median of its epochs) | held-out accuracy per run (seed 1, 2, …) "
      "| peak RSS MiB | CPU s per run (whole process) |")
print("| --- | ---: | --- | --- | ---: | --- |")
medians = {}
for name, runs in rows.items():
    per_run = [statistics.median(r[0]) for r in runs]
    medians[name] = statistics.median(s for run in runs for s in run[0])
    print(f"| {name} | **{medians[name]:.2f}** | {', '.join(f'{x:.2f}' for x in per_run)} "
          f"| {', '.join(f'{100 * r[1]:.1f} %' for r in runs)} | {statistics.median(r[2] for r in runs):.0f} "
          f"| {', '.join(f'{r[3]:.1f}' for r in runs)} |")
print(f"\ncamlab / PyTorch epoch time: {medians['camlab'] / medians['pytorch']:.2f}")
