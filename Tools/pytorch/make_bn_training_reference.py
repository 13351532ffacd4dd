"""Five Adam steps of a small torchvision-layout ResNet in train mode: the BatchNorm training reference.

    python3 make_bn_training_reference.py [--output DIR]

The network is built from torchvision's own pieces, with torchvision's module names: the stem
conv1 (7x7, stride 2, padding 3, no bias), bn1, relu, maxpool (3, stride 2, padding 1); layer1,
layer2, layer3 made by torchvision's own `ResNet._make_layer` (one `BasicBlock` each, widths 8, 16,
32; layer2 and layer3 downsample with stride 2 through `downsample` = conv1x1 + BatchNorm2d);
avgpool (adaptive 1x1) and fc (32 -> 4 classes). The forward pass is torchvision's
`ResNet._forward_impl` without layer4. Input 3x32x32: 16x16 after conv1, 8x8 after maxpool,
then 8x8, 4x4, 2x2.

Initial parameters: camlab-formula/1 (formula_weights.py); the BatchNorm buffers are PyTorch's
initial ones (running_mean 0, running_var 1, num_batches_tracked 0).

Training: `model.train()`, torch.optim.Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0),
for t = 0..4 one step on batch t: images = formula values of the key `batch{t}.images`, shape
[8, 3, 32, 32], range [0, 1) (no normalization); labels[n] = (3n + t) % 4; loss = cross-entropy,
mean over the batch. BatchNorm in train mode normalizes with the batch's biased variance and
updates running_mean / running_var (unbiased variance) with momentum 0.1, num_batches_tracked + 1.

Writes into DIR (default Tests/CamlabNNTests/Fixtures/bn-training):
- before.safetensors: the initial state dict (parameters and buffers; num_batches_tracked I64 0-d);
- after.safetensors: the state dict after the five steps;
- batches.safetensors: `batch{t}.images` (F32) and `batch{t}.labels` (I64), the formula's values,
  for tests that do not have the formula at hand;
- expected.json: the architecture, the batches' formula keys, shapes and labels, the optimizer, the
  loss of each step (computed before that step's update), the train-mode logits of each step, and
  the eval-mode logits of batch 0 after training (which use the updated running statistics);
- info.json: versions and seconds.
Floats in expected.json are the float32 values written exactly (shortest repr of the float64 that
equals them); the safetensors files are written byte-for-byte deterministically.
"""
import argparse
import importlib.metadata
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock, ResNet

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import formula_weights as formula  # noqa: E402
import stable_safetensors  # noqa: E402

DEFAULT_OUTPUT = os.path.join(HERE, "..", "..", "Tests", "CamlabNNTests", "Fixtures", "bn-training")
WIDTHS = (8, 16, 32)
CLASSES = 4
STEPS = 5
BATCH = 8
IMAGE_SHAPE = [3, 32, 32]
ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}


class SmallResNet(torch.nn.Module):
    """torchvision's ResNet layout with three one-block stages of widths 8/16/32."""

    def __init__(self, widths=WIDTHS, num_classes=CLASSES):
        super().__init__()
        # The attributes torchvision's ResNet._make_layer reads.
        self._norm_layer = torch.nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = widths[0], 1, 1, 64
        self.conv1 = torch.nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(self.inplanes)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = ResNet._make_layer(self, BasicBlock, widths[0], 1)
        self.layer2 = ResNet._make_layer(self, BasicBlock, widths[1], 1, stride=2)
        self.layer3 = ResNet._make_layer(self, BasicBlock, widths[2], 1, stride=2)
        self.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
        self.fc = torch.nn.Linear(widths[2] * BasicBlock.expansion, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def batch(t):
    key = f"batch{t}.images"
    count = BATCH * int(np.prod(IMAGE_SHAPE))
    images = torch.from_numpy(formula.uniform(key, count, 0.0, 1.0).reshape([BATCH] + IMAGE_SHAPE))
    labels = torch.tensor([(3 * n + t) % CLASSES for n in range(BATCH)], dtype=torch.int64)
    return key, images, labels


def exact(values):
    """float32 values as JSON numbers that read back to the same float32 (and float64)."""
    array = np.asarray(values, dtype=np.float32)
    return [exact(row) for row in array] if array.ndim > 1 else [float(v) for v in array]


def state_entries(state):
    """The state-dict keys in PyTorch's order; formula entries say whether they are BatchNorm's."""
    entries = []
    for key, value in state.items():
        entry = {"key": key, "shape": list(value.shape), "dtype": "int64" if value.dtype == torch.int64 else "float32"}
        if formula.is_buffer(key):
            entry["source"] = "buffer"
        else:
            entry.update({"source": "formula", "batchnorm": formula.is_batchnorm_parameter(key, set(state))})
        entries.append(entry)
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    output = os.path.abspath(args.output)
    os.makedirs(output, exist_ok=True)
    torch.set_num_threads(1)
    started = time.time()

    model = formula.load_formula(SmallResNet())
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    batches = [batch(t) for t in range(STEPS)]
    optimizer = torch.optim.Adam(model.parameters(), **ADAM)
    model.train()
    steps = []
    for t, (key, images, labels) in enumerate(batches):
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        steps.append({"step": t, "batch": key, "loss": float(loss.detach()), "logits": exact(logits.detach())})
        print(f"step {t}: loss {loss.item():.6f}", file=sys.stderr)
    after = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.eval()
    with torch.no_grad():
        eval_logits = model(batches[0][1])

    metadata = {"format": "pytorch-state-dict", "formula": formula.FORMULA}
    stable_safetensors.save(os.path.join(output, "before.safetensors"), before,
                            {**metadata, "source": "make_bn_training_reference.py: initial (formula, PyTorch's initial buffers)"})
    stable_safetensors.save(os.path.join(output, "after.safetensors"), after,
                            {**metadata, "source": f"make_bn_training_reference.py: after {STEPS} Adam steps in train mode"})
    batch_tensors = {}
    for key, images, labels in batches:
        batch_tensors[key] = images
        batch_tensors[key.replace(".images", ".labels")] = labels
    stable_safetensors.save(os.path.join(output, "batches.safetensors"), batch_tensors,
                            {"format": "camlab-formula-batches/1", "formula": formula.FORMULA})

    defaults = optimizer.defaults
    expected = {
        "format": "camlab-bn-training-reference/1",
        "formula": formula.FORMULA,
        "architecture": {
            "description": "torchvision ResNet layout (BasicBlock, ResNet._make_layer), three one-block stages",
            "input": IMAGE_SHAPE, "classes": CLASSES, "widths": list(WIDTHS),
            "stem": {"conv1": {"kernel": 7, "stride": 2, "padding": 3, "bias": False},
                     "maxpool": {"kernel": 3, "stride": 2, "padding": 1}},
            "stages": [{"name": f"layer{i + 1}", "blocks": 1, "width": w, "stride": 1 if i == 0 else 2,
                        "downsample": i > 0} for i, w in enumerate(WIDTHS)],
            "batchnorm": {"eps": 1e-5, "momentum": 0.1},
            "state_dict": state_entries(before),
        },
        "initial": "before.safetensors",
        "final": "after.safetensors",
        "batches_file": "batches.safetensors",
        "batches": [{"step": t, "images": {"key": key, "shape": list(images.shape), "low": 0.0, "high": 1.0},
                     "labels": labels.tolist(), "labels_rule": "(3 * n + step) % 4"}
                    for t, (key, images, labels) in enumerate(batches)],
        "loss": "cross_entropy, mean over the batch",
        "optimizer": {"name": "Adam", "lr": defaults["lr"], "betas": list(defaults["betas"]), "eps": defaults["eps"],
                      "weight_decay": defaults["weight_decay"], "amsgrad": defaults["amsgrad"],
                      "maximize": defaults["maximize"], "implementation": "torch.optim.Adam single-tensor (CPU)",
                      "update": "m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g * g; "
                                "p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps), t = 1, 2, ..."},
        "mode": "train",
        "steps": steps,
        "eval_logits_after_on_batch0": exact(eval_logits),
    }
    with open(os.path.join(output, "expected.json"), "w") as handle:
        json.dump(expected, handle, indent=1)
        handle.write("\n")
    seconds = round(time.time() - started, 2)
    info = {"versions": {p: importlib.metadata.version(p) for p in ("torch", "torchvision", "numpy", "safetensors")},
            "python": sys.version.split()[0], "seconds": seconds, "steps": STEPS,
            "parameters": int(sum(v.numel() for k, v in before.items() if not formula.is_buffer(k)))}
    with open(os.path.join(output, "info.json"), "w") as handle:
        json.dump(info, handle, indent=1)
        handle.write("\n")
    print(f"losses {[round(s['loss'], 4) for s in steps]}, {seconds} s", file=sys.stderr)


if __name__ == "__main__":
    main()
