"""Open a camlab-model/1 file in PyTorch and print each image's logits as one JSON line.

    python3 check_model_roundtrip.py MODEL.safetensors IMAGE.png [IMAGE.png ...]
                                     [--expected expected.json] [--tolerance 1e-4]

With --expected, the logits are compared with those recorded for the same image names in a
camlab/pytorch-grad-cam expected.json ({"cases": [{"image", "logits", ...}]}); the exit status
is 1 if any differs by more than the tolerance. This proves files camlab writes open in PyTorch.
"""
import argparse
import json
import os
import sys

import torch

from camlab_torch import load_image, load_model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("images", nargs="+")
    parser.add_argument("--expected", help="expected.json holding logits per image name")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    torch.set_num_threads(1)
    model = load_model(args.model)
    expected = {}
    if args.expected:
        with open(args.expected) as handle:
            for case in json.load(handle)["cases"]:
                if "logits" in case:
                    expected[os.path.basename(case["image"])] = case["logits"]

    worst = 0.0
    for path in args.images:
        with torch.no_grad():
            logits = model(load_image(path, model.architecture))[0].tolist()
        line = {"image": path, "logits": logits}
        reference = expected.get(os.path.basename(path))
        if args.expected:
            if reference is None:
                print(f"{path}: no logits recorded in {args.expected}", file=sys.stderr)
                worst = float("inf")
            else:
                difference = max(abs(a - b) for a, b in zip(logits, reference))
                line["max_abs_difference"] = difference
                worst = max(worst, difference)
        print(json.dumps(line))
    if args.expected:
        verdict = "agree" if worst <= args.tolerance else "DISAGREE"
        print(f"logits {verdict} with {args.expected}: largest difference {worst:.3g} "
              f"(tolerance {args.tolerance:g})", file=sys.stderr)
        sys.exit(0 if worst <= args.tolerance else 1)


if __name__ == "__main__":
    main()
