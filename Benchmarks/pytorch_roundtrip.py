"""Does a model camlab saved give the same logits in PyTorch? Runs `camlab predict --json` on
the images, opens the model with `safetensors.torch.load_file` (Tools/pytorch/camlab_torch.py)
and prints the largest logit difference; exits 1 above the tolerance.

    python3 Benchmarks/pytorch_roundtrip.py MODEL.safetensors IMAGE.png [IMAGE.png ...] [--tolerance 1e-4]
"""
import argparse
import json
import os
import subprocess
import sys

import torch

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "Tools", "pytorch"))
from camlab_torch import load_image, load_model  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("model")
parser.add_argument("images", nargs="+")
parser.add_argument("--tolerance", type=float, default=1e-4)
args = parser.parse_args()

command = [os.path.join(root, ".build", "release", "camlab"), "predict", "--model", args.model, "--json"]
for image in args.images:
    command += ["--image", image]
camlab = [json.loads(line) for line in subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()]

torch.set_num_threads(1)
model = load_model(args.model)
worst = 0.0
for line in camlab:
    with torch.no_grad():
        logits = model(load_image(line["image"], model.architecture))[0].tolist()
    worst = max(worst, max(abs(a - b) for a, b in zip(logits, line["logits"])))
verdict = "agree" if worst <= args.tolerance else "DISAGREE"
print(f"{len(camlab)} images: camlab and PyTorch logits {verdict}, largest difference {worst:.3g} (tolerance {args.tolerance:g})")
sys.exit(0 if worst <= args.tolerance else 1)
