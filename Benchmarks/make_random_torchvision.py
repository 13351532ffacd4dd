#!/usr/bin/env python3
"""Random-weight torchvision state dicts for the network benchmarks (speed does not depend on the
values; no pretrained weights can be downloaded on the machines these run on).

    python3 Benchmarks/make_random_torchvision.py OUT_DIR [ARCH ...]    # default: resnet50 resnet18

Each ARCH is a torchvision constructor, built with weights=None (torchvision's own initialization,
seed 0), its BatchNorm running statistics set to mean U(-0.1, 0.1) and variance U(0.5, 1.5) so
that they are not the identity, and saved as OUT_DIR/ARCH.safetensors.
"""
import os
import sys

import torch
import torchvision
from safetensors.torch import save_file

out = sys.argv[1]
torch.manual_seed(0)
for name in sys.argv[2:] or ["resnet50", "resnet18"]:
    model = getattr(torchvision.models, name)(weights=None).eval()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    path = os.path.join(out, f"{name}.safetensors")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    print(path)
