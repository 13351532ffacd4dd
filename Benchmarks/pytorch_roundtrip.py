"""Does a model camlab saved give the same logits in PyTorch? Runs `camlab predict --json` on
the images, opens the model with `safetensors.torch.load_file` (Tools/pytorch/camlab_torch.py),
runs it on the same input tensors and prints the largest logit difference; exits 1 above the tolerance.

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
from camlab_torch import load_model  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def camlab_input(path, architecture):
    """The network input as camlab makes it: RGB / 255, or for one channel the unrounded
    BT.601 luma (0.299 R + 0.587 G + 0.114 B) / 255 in float32 (PIL's "L" mode rounds to
    integers, which alone moves logits by ~1e-3); then (x - mean) / std."""
    channels, height, width = architecture["input"]
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
    if rgb.shape[:2] != (height, width):
        raise ValueError(f"{path} is {rgb.shape[1]}x{rgb.shape[0]}, the model wants {width}x{height}")
    if channels == 1:
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        planes = ((np.float32(0.299) * r + np.float32(0.587) * g + np.float32(0.114) * b) / np.float32(255))[None]
    else:
        planes = rgb.transpose(2, 0, 1) / np.float32(255)
    x = torch.from_numpy(np.ascontiguousarray(planes, dtype=np.float32))
    mean = torch.tensor(architecture["mean"], dtype=torch.float32).view(-1, 1, 1)
    std = torch.tensor(architecture["std"], dtype=torch.float32).view(-1, 1, 1)
    return ((x - mean) / std).unsqueeze(0)

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
        logits = model(camlab_input(line["image"], model.architecture))[0].tolist()
    worst = max(worst, max(abs(a - b) for a, b in zip(logits, line["logits"])))
verdict = "agree" if worst <= args.tolerance else "DISAGREE"
print(f"{len(camlab)} images: camlab and PyTorch logits {verdict}, largest difference {worst:.3g} (tolerance {args.tolerance:g})")
sys.exit(0 if worst <= args.tolerance else 1)
