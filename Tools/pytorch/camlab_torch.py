"""The reference PyTorch builder for camlab-model/1 files.

Only fixture generation needs this (and PyTorch); camlab itself never imports it.
A model file's parameters are the state dict of the network built here, so
`load_model` proves a camlab-written file opens in PyTorch unchanged.
"""
import json

import numpy as np
import torch
from torch import nn
from safetensors import safe_open
from safetensors.torch import load_file

FORMAT = "camlab-model/1"


class GlobalAvgPool(nn.Module):
    """[N, C, H, W] -> [N, C]: the mean of each channel over all positions."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class CamlabNet(nn.Module):
    """The layers of an architecture, run in the listed order.

    Not a bare nn.Sequential because layer names contain dots ("features.0"), which
    nn.Module refuses as child names; each dotted name becomes nested containers instead,
    so state-dict keys are exactly "<layer name>.weight" as in the file.
    """

    def __init__(self, architecture):
        super().__init__()
        self.architecture = architecture
        self.layer_names = []
        for spec in architecture["layers"]:
            self._attach(spec["name"], make_layer(spec))
            self.layer_names.append(spec["name"])

    def _attach(self, dotted_name, module):
        *parents, leaf = dotted_name.split(".")
        container = self
        for part in parents:
            if not hasattr(container, part):
                container.add_module(part, nn.Module())
            container = getattr(container, part)
        container.add_module(leaf, module)

    def forward(self, x, keep=()):
        """Logits for x [N, C, H, W]; with `keep`, also a dict of those layers' outputs."""
        kept = {}
        for name in self.layer_names:
            x = self.get_submodule(name)(x)
            if name in keep:
                kept[name] = x
        return (x, kept) if keep else x


def make_layer(spec):
    kind = spec["type"]
    if kind == "conv2d":
        return nn.Conv2d(spec["in"], spec["out"], spec["kernel"],
                         stride=spec.get("stride", 1), padding=spec.get("padding", 0))
    if kind == "relu":
        return nn.ReLU()
    if kind == "maxpool2d":
        return nn.MaxPool2d(spec["kernel"], stride=spec.get("stride", spec["kernel"]))
    if kind == "global_avg_pool":
        return GlobalAvgPool()
    if kind == "linear":
        return nn.Linear(spec["in"], spec["out"])
    raise ValueError(f"layer {spec['name']!r} has the unknown type {kind!r}")


def read_architecture(path):
    with safe_open(path, framework="pt") as handle:
        metadata = handle.metadata() or {}
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: format is {metadata.get('format')!r}, not {FORMAT!r}")
    return json.loads(metadata["architecture"])


def load_model(path):
    """The network of a camlab-model/1 file with its parameters (strict: no missing or extra tensors)."""
    architecture = read_architecture(path)
    model = CamlabNet(architecture)
    model.load_state_dict(load_file(path), strict=True)
    return model.eval()


def load_image(path, architecture):
    """An image as the network's input [1, C, H, W]: 8-bit / 255, then (x - mean) / std per channel."""
    from PIL import Image

    channels, height, width = architecture["input"]
    image = Image.open(path).convert("RGB" if channels == 3 else "L")
    if image.size != (width, height):
        raise ValueError(f"{path} is {image.size[0]}x{image.size[1]}, the model wants {width}x{height}")
    pixels = np.asarray(image, dtype=np.float32).reshape(height, width, channels) / 255.0
    x = torch.from_numpy(pixels.transpose(2, 0, 1).copy())
    mean = torch.tensor(architecture["mean"], dtype=torch.float32).view(-1, 1, 1)
    std = torch.tensor(architecture["std"], dtype=torch.float32).view(-1, 1, 1)
    return ((x - mean) / std).unsqueeze(0)
