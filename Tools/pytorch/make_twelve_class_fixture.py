"""Tests/CamlabMethodsTests/Fixtures/resnet-bottleneck/twelve-classes.safetensors: the reference
Bottleneck ResNet's state dict with its classifier replaced by a seeded random one of 12 outputs,
so that the CLI's five-most-probable listing (for more than ten classes) has a model to run on.

    python3 Tools/pytorch/make_twelve_class_fixture.py
"""
import os
import torch
from safetensors.torch import load_file, save_file

folder = os.path.join(os.path.dirname(__file__), "../../Tests/CamlabMethodsTests/Fixtures/resnet-bottleneck")
state = load_file(os.path.join(folder, "model.safetensors"))
generator = torch.Generator().manual_seed(12)
state["fc.weight"] = (torch.randn(12, state["fc.weight"].shape[1], generator=generator) * 0.5).float()
state["fc.bias"] = (torch.randn(12, generator=generator) * 0.1).float()
save_file(state, os.path.join(folder, "twelve-classes.safetensors"), metadata={"format": "pt"})
