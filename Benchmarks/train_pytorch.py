"""Train the same network on the same PNGs with PyTorch (CPU, 2 threads), for comparison with
`camlab train`. Prints one JSON line per epoch in camlab's format, then the held-out accuracy.

    python3 Benchmarks/train_pytorch.py --data DIR/train --test DIR/test --arch ARCH.json \
        --epochs 6 --batch 64 --lr 2e-3 --seed 1 [--threads 2]

Like camlab: images decoded once into one tensor (8-bit / 255, then (x - mean) / std), Adam,
mean cross-entropy, a fresh shuffle each epoch, and `seconds` timing the training loop alone.
Needs torch, numpy and Pillow (see Tools/pytorch/README.md); camlab itself never does.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tools", "pytorch"))
from camlab_torch import CamlabNet  # noqa: E402


def load_folder(directory, architecture):
    channels, height, width = architecture["input"]
    images, labels = [], []
    for index, name in enumerate(architecture["classes"]):
        folder = os.path.join(directory, name)
        for file in sorted(os.listdir(folder)):
            if file.startswith(".") or not file.lower().endswith((".png", ".jpg", ".jpeg")):
                continue
            image = Image.open(os.path.join(folder, file)).convert("RGB" if channels == 3 else "L")
            if image.size != (width, height):
                image = image.resize((width, height), Image.BILINEAR)
            array = np.asarray(image, dtype=np.float32) / 255
            images.append(array.reshape(height, width, channels).transpose(2, 0, 1))
            labels.append(index)
    x = torch.from_numpy(np.stack(images))
    mean = torch.tensor(architecture["mean"], dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(architecture["std"], dtype=torch.float32).view(1, -1, 1, 1)
    return (x - mean) / std, torch.tensor(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--test")
    parser.add_argument("--arch", required=True)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with open(args.arch) as handle:
        architecture = json.load(handle)
    x, y = load_folder(args.data, architecture)
    model = CamlabNet(architecture)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_function = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(y), generator=generator)
        loss_sum, correct = 0.0, 0
        model.train()
        for first in range(0, len(y), args.batch):
            batch = order[first:first + args.batch]
            logits = model(x[batch])
            loss = loss_function(logits, y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(batch)
            correct += (logits.argmax(1) == y[batch]).sum().item()
        seconds = time.perf_counter() - start
        print(json.dumps({"epoch": epoch, "seconds": seconds, "loss": loss_sum / len(y),
                          "train_accuracy": correct / len(y)}), flush=True)
    if args.test:
        tx, ty = load_folder(args.test, architecture)
        with torch.no_grad():
            accuracy = (model(tx).argmax(1) == ty).float().mean().item()
        print(json.dumps({"accuracy": accuracy}), flush=True)


if __name__ == "__main__":
    main()
