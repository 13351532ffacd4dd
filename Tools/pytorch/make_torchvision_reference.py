"""pytorch-grad-cam on real torchvision networks: the reference for camlab's state-dict models.

    python3 make_torchvision_reference.py [--output DIR] [--only resnet18,...] [--threads 1]

Writes, into DIR (default Tests/CamlabMethodsTests/Fixtures/torchvision):

- photo_224.png, photo_300.png, photo_320x240.png: synthetic 8-bit RGB "photos" (synthetic_photos.py,
  seeds 101, 102, 103): a textured background and eight shaded objects, three of them small.
- MODEL.bn.safetensors for resnet18, resnet50 and vgg11_bn: only the BatchNorm buffers
  (running_mean, running_var as F32, num_batches_tracked as a 0-d I64). Every other tensor of the
  state dict is camlab-formula/1 (formula_weights.py), computed from its key and shape.
- expected.json: the models' state-dict key lists, formula check values, and the cases (below).
- info.json: versions, seconds, case counts, and sanity measures (how much the BatchNorm buffers
  matter, which target layers' outputs torchvision modifies in place).

The models are torchvision's own constructors (weights=None, 1000 classes), loaded with the formula
parameters and the stored buffers (strict), in eval mode. The buffers are calibrated: the
formula-weighted network runs in train mode with momentum=None (a plain average) over four other
synthetic photos (224x224, seeds 1001-1004, one batch), then every buffer is perturbed with the
formula's u on the key `<key>#perturb`: mean += 0.3 * sqrt(var) * (2u - 1) (var the calibrated
one), then var *= 0.6 + 0.8u, in float64, rounded to float32. So neither skipping BatchNorm nor
using batch statistics nor leaving PyTorch's initial buffers can reproduce the logits.

The input is the image at its own size (no resize or crop): 8-bit / 255, then (x - mean) / std with
ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), in float32.

Every value comes from pytorch-grad-cam 1.5.7 as make_reference2.py records it (its Captured wrapper
for `raw`, its custom target for counterfactual, GuidedBackpropReLUModel for guided, guided times the
Grad-CAM map for guided-gradcam, FullGrad(model, []) for fullgrad, plain PyTorch for cam, and its
precision rules), with a fresh copy of the model for every call, and two additions:

- class omitted: cases with "class_omitted": true were computed without a class (targets=None, or
  target_category=None for guided backprop: the library takes the argmax itself); "class" is then
  the predicted class it used. camlab should be run without --class for them. Counterfactual and cam
  have no library default: they use the argmax explicitly.
- in-place guard: torchvision's blocks modify some layer outputs in place (`out += identity`, ReLU
  with inplace=True after a BatchNorm), and pytorch-grad-cam keeps a view of the target layer's
  output, so at e.g. `layer3.1.bn2` it would see relu(bn2 + identity) instead of the layer's output.
  A forward hook registered after the library's hooks returns `output.clone()`, so the network goes
  on with a copy and the library keeps the layer's true output; its gradient hook is unaffected
  (PyTorch gives a tensor hook registered before an in-place change the gradient of the value it was
  registered on). Numerically the network is unchanged. info.json lists for each target layer how
  far the unguarded view would be off. FullGrad needs no guard (it uses gradients only).

Robustness: a float32 network's gradients are only piecewise smooth; a ReLU whose input lies within
rounding of 0 passes or blocks the gradient depending on the summation order. In ResNet-50 a few of
its ~10^7 ReLUs are that close on every image, so its gradients below layer4 differ by 0.1-4 % between
float32 and float64, beyond what camlab (float32, other summation orders) could be asked to match.
So every case is computed again with the model and input in float64 and four times in float32 with
the input perturbed by up to 2^-23 relative (about one ulp; seeded), and recorded only if all differ
by at most 6.5e-4 relative to the largest magnitude (1.3e-3 absolute for maps), over the values the
fixture stores: two thirds of the tests' tolerances (1e-3, 2e-3). A flip changes a result by a fixed
amount (the gradient through that unit), so a case whose flips stay below the tolerance passes
whether or not camlab's rounding flips the same units. Guided backprop is the most sensitive (its
mask also depends on the sign of the gradient): on resnet18 one unit of photo_224 flips in about
half the perturbed runs and moves the guided gradient by 6e-4 of its largest value.
Each place in the plan (`Slot`) lists alternatives (the other classes); the first robust one is used;
the optional ones (ResNet-50's gradients below layer4, its FullGrad) are left out if none is. Score-CAM
and Ablation-CAM are only checked with --conditioning (their float64 runs take ten minutes; measured
once: 6e-7 and 2e-5). info.json lists what was measured, rejected and left out.

Maps and input gradients wider or taller than 96 are stored subsampled: "map_stride": s means
map[::s, ::s] of the full H x W map, "input_grad_stride": s means input_grad[:, ::s, ::s]. The stride
is the smallest s with ceil(max(H, W) / s) <= 96. `raw` is always complete.

Precision (make_reference2.py's rules): raw, logits (all 1000), gap and weights with 7 significant
digits relative to their array's largest magnitude, input gradients with 6, maps with 4 decimals.
torch runs on --threads threads (default 1) so that reruns give identical bytes.
--only MODEL,... runs some models only (for trying: expected.json then has only those).
"""
import argparse
import copy
import importlib.metadata
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import formula_weights as formula  # noqa: E402
import stable_safetensors  # noqa: E402
from make_reference2 import (Captured, dump, gradient_numbers, library_method, map_numbers,  # noqa: E402
                             numbers, targets_for)
from synthetic_photos import photo  # noqa: E402

DEFAULT_OUTPUT = os.path.join(HERE, "..", "..", "Tests", "CamlabMethodsTests", "Fixtures", "torchvision")

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
# name: (width, height, seed)
IMAGES = {
    "photo_224.png": (224, 224, 101),
    "photo_300.png": (300, 300, 102),
    "photo_320x240.png": (320, 240, 103),
}
CALIBRATION = [(224, 224, seed) for seed in (1001, 1002, 1003, 1004)]
MODELS = ["resnet18", "resnet50", "vgg11_bn"]
NUM_CLASSES = 1000
MAX_STORED = 96           # maps and input gradients above this in a dimension are subsampled
CHECKSUM_LIMIT = 1 << 22  # state-dict entries with more values carry no checksum (the Swift test's budget)
PERTURB_MEAN, PERTURB_VAR_LOW, PERTURB_VAR_SPAN = 0.3, 0.6, 0.8

DEFAULT_LAYER = {"resnet18": "layer4", "resnet50": "layer4", "vgg11_bn": "features.27"}

ALL_METHODS = ["gradcam", "counterfactual", "gradcampp", "hirescam", "gradcam-elementwise", "xgradcam",
               "layercam", "eigencam", "eigengradcam", "ablationcam", "scorecam", "fullgrad", "guided",
               "guided-gradcam", "cam"]
P = None  # the predicted class, with the class omitted
TUTORIAL_CLASSES = [1, 250, 947, P]


class Slot:
    """A place in the plan: the first of `alternatives` (model, image, layer, method, class) that
    passes the robustness check is recorded. A required slot with no robust alternative stops the
    script; an optional one is left out (info.json says why)."""

    def __init__(self, alternatives, optional=False):
        self.alternatives, self.optional = list(alternatives), optional


def case_plan():
    """[Slot] in the order the cases are written."""
    plan = []

    def add(model, image, layer, method, category):
        """A required slot: this class, or else the other tutorial classes in turn."""
        others = [c for c in TUTORIAL_CLASSES if c != category]
        plan.append(Slot([(model, image, layer, method, c) for c in [category] + others]))

    either = lambda *cases, optional=False: plan.append(Slot(cases, optional))  # noqa: E731
    # resnet18 at 224: every method at layer4 for the predicted class ...
    for method in ALL_METHODS:
        add("resnet18", "photo_224.png", None if method == "fullgrad" else "layer4", method, P)
    # ... a second class for the class-dependent ones, guided and fullgrad for others ...
    for method in ("gradcam", "counterfactual", "cam", "guided-gradcam"):
        add("resnet18", "photo_224.png", "layer4", method, 250)
    add("resnet18", "photo_224.png", "layer4", "guided", 947)
    add("resnet18", "photo_224.png", None, "fullgrad", 1)
    # ... and the gradient methods at other layers: a stage, blocks, a conv, BatchNorms (inside a
    # block, before `out += identity`; and the downsample branch's), three methods each, with the
    # classes and methods rotating (another class where one is not robust).
    layers = ["layer3", "layer4.1", "layer3.1", "layer4.0.conv2", "layer3.1.bn2", "layer2.0.downsample.1"]
    methods = ["gradcam", "hirescam", "layercam", "xgradcam"]
    for j, layer in enumerate(layers):
        for k in range(3):
            method, first = methods[(j + k) % 4], (2 * j + k) % 4
            either(*[("resnet18", "photo_224.png", layer, method, TUTORIAL_CLASSES[(first + n) % 4]) for n in range(4)])
    add("resnet18", "photo_224.png", "layer3.1.bn2", "gradcampp", 250)
    add("resnet18", "photo_224.png", "layer3", "eigencam", P)

    # resnet50 at all three sizes: Grad-CAM and Grad-CAM++ at layer4 for the tutorial-like classes.
    for image in IMAGES:
        for method in ("gradcam", "gradcampp"):
            for category in TUTORIAL_CLASSES:
                add("resnet50", image, "layer4", method, category)
    add("resnet50", "photo_300.png", "layer4", "cam", P)
    add("resnet50", "photo_224.png", "layer4", "guided-gradcam", 250)
    # (No plain guided backprop on resnet50: on every image and class, one-ulp input changes flip
    # units that move it by 0.2-1.5 % of its largest value.)
    # Activations inside the Bottleneck blocks (forward only: Eigen-CAM) ...
    add("resnet50", "photo_224.png", "layer3", "eigencam", P)
    add("resnet50", "photo_300.png", "layer2.0.downsample.1", "eigencam", P)
    add("resnet50", "photo_224.png", "layer3.1.bn2", "eigencam", P)
    # ... and gradients there, where robust: ResNet-50's gradients below layer4 change with a few
    # ReLUs whose inputs are within float32 rounding of 0 (see info.json), so these are optional.
    for layer, image in (("layer4.0.conv2", "photo_224.png"), ("layer4.1", "photo_224.png"),
                         ("layer3", "photo_320x240.png"), ("layer3.1.bn2", "photo_224.png"),
                         ("layer2.0.downsample.1", "photo_300.png")):
        either(*[("resnet50", image, layer, method, category) for method, category in
                 (("gradcam", P), ("hirescam", 1), ("layercam", 250), ("gradcam", 947))], optional=True)
    either(*[("resnet50", image, None, "fullgrad", category) for image, category in
             (("photo_320x240.png", P), ("photo_224.png", P), ("photo_300.png", 250))], optional=True)

    # vgg11_bn at 224 (features 7x7 before the adaptive pooling) and at 320x240 (10x7 -> 7x7:
    # non-divisible pooling windows). The last ReLU is features.27; features.18/19/20 are an
    # earlier conv, its BatchNorm and its ReLU (in place).
    last = DEFAULT_LAYER["vgg11_bn"]
    for method, category in (("gradcam", P), ("counterfactual", P), ("gradcampp", 250), ("hirescam", 1),
                             ("eigencam", P), ("eigengradcam", 1)):
        add("vgg11_bn", "photo_224.png", last, method, category)
    add("vgg11_bn", "photo_224.png", "features.18", "gradcam", 250)
    add("vgg11_bn", "photo_224.png", "features.19", "hirescam", P)
    add("vgg11_bn", "photo_224.png", "features.20", "layercam", 1)
    add("vgg11_bn", "photo_224.png", None, "fullgrad", P)
    # Guided backprop at 224 moves by 1e-3 of its largest value with one-ulp input changes for three
    # of the four classes; 320x240 is robust.
    either(("vgg11_bn", "photo_320x240.png", last, "guided", P), ("vgg11_bn", "photo_224.png", last, "guided", 947),
           ("vgg11_bn", "photo_300.png", last, "guided", P))
    add("vgg11_bn", "photo_224.png", last, "guided-gradcam", 947)
    for method, category in (("gradcam", P), ("gradcampp", 947), ("gradcam-elementwise", 250), ("eigengradcam", P)):
        add("vgg11_bn", "photo_320x240.png", last, method, category)
    either(*[("vgg11_bn", "photo_320x240.png", "features.19", "xgradcam", c) for c in (1, P, 250)])
    add("vgg11_bn", "photo_320x240.png", last, "guided-gradcam", P)
    either(*[("vgg11_bn", "photo_320x240.png", None, "fullgrad", c) for c in (250, P, 1)])
    return plan


# ---------------------------------------------------------------------------------------------
# Images and input


def to_input(pixels):
    """uint8 [H, W, 3] -> the normalized input [1, 3, H, W] (float32)."""
    x = torch.from_numpy(pixels.astype(np.float32) / np.float32(255.0)).permute(2, 0, 1)[None]
    mean = torch.tensor(MEAN, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float32).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def write_images(output):
    from PIL import Image
    inputs = {}
    for name, (width, height, seed) in IMAGES.items():
        path = os.path.join(output, name)
        Image.fromarray(photo(width, height, seed), "RGB").save(path)
        with Image.open(path) as reread:  # the input is what the PNG holds
            pixels = np.asarray(reread.convert("RGB"))
        assert pixels.shape == (height, width, 3)
        inputs[name] = to_input(pixels)
    return inputs


# ---------------------------------------------------------------------------------------------
# Models: formula parameters, calibrated and perturbed BatchNorm buffers


def construct(name):
    return torchvision.models.get_model(name, weights=None, num_classes=NUM_CLASSES)


def batchnorm_prefixes(state):
    return [key[: -len("running_mean")] for key in state if key.endswith("running_mean")]


def calibrated_buffers(name):
    """{key: tensor} of the BatchNorm buffers: calibrated in train mode (momentum=None), perturbed."""
    model = formula.load_formula(construct(name))
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None
    batch = torch.cat([to_input(photo(w, h, seed)) for w, h, seed in CALIBRATION])
    model.train()
    with torch.no_grad():
        model(batch)
    state = model.state_dict()
    buffers = {}
    for prefix in batchnorm_prefixes(state):
        mean = state[prefix + "running_mean"].double().numpy()
        var = state[prefix + "running_var"].double().numpy()
        u_mean = formula.unit_uniforms(prefix + "running_mean#perturb", mean.size)
        u_var = formula.unit_uniforms(prefix + "running_var#perturb", var.size)
        buffers[prefix + "running_mean"] = torch.from_numpy(
            (mean + PERTURB_MEAN * np.sqrt(var) * (2 * u_mean - 1)).astype(np.float32))
        buffers[prefix + "running_var"] = torch.from_numpy(
            (var * (PERTURB_VAR_LOW + PERTURB_VAR_SPAN * u_var)).astype(np.float32))
        buffers[prefix + "num_batches_tracked"] = state[prefix + "num_batches_tracked"].clone()
    return buffers


class ModelFactory:
    """A pristine eval-mode model (formula + stored buffers); `fresh()` gives a deep copy, since
    GuidedBackpropReLUModel and AblationCAM swap modules in place."""

    def __init__(self, name, buffers_path):
        from safetensors.torch import load_file
        self.name = name
        model = construct(name)
        state = formula.formula_state_dict(model)
        stored = load_file(buffers_path)
        assert set(stored) == {k for k in state if formula.is_buffer(k)}, f"{buffers_path}: not the model's buffers"
        for key, value in stored.items():
            assert value.dtype == state[key].dtype and value.shape == state[key].shape, key
            state[key] = value
        model.load_state_dict(state, strict=True)
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.pristine = model.eval()

    def fresh(self):
        return copy.deepcopy(self.pristine).eval()

    def wide(self):
        """The same in float64 (for the robustness check): an object with the factory's interface."""
        outer = self

        class Wide:
            name = outer.name

            def fresh(self):
                return copy.deepcopy(outer.pristine).double().eval()

        return Wide()


def state_dict_entries(factory):
    """The full state-dict key list, in PyTorch's order, with shapes, sources and checksums."""
    keys = set(factory.state)
    entries = []
    for key, value in factory.state.items():
        entry = {"key": key, "shape": list(value.shape),
                 "dtype": "int64" if value.dtype == torch.int64 else "float32"}
        if formula.is_buffer(key):
            entry["source"] = "bn_buffers"
        else:
            entry["source"] = "formula"
            entry["batchnorm"] = formula.is_batchnorm_parameter(key, keys)
        if value.dtype == torch.float32 and value.numel() <= CHECKSUM_LIMIT:
            entry["checksum"] = formula.checksum(value.numpy())
        elif value.dtype == torch.int64:
            entry["value"] = int(value.item())
        entries.append(entry)
    return entries


FORMULA_CHECKS = {
    "resnet18": ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                 "layer2.0.downsample.1.bias", "layer4.1.conv2.weight", "fc.weight", "fc.bias",
                 "bn1.running_mean", "layer4.1.bn2.running_var", "bn1.num_batches_tracked"],
    "resnet50": ["layer1.0.conv1.weight", "layer4.2.conv3.weight", "layer4.2.bn3.weight", "fc.weight",
                 "layer3.5.bn3.running_mean"],
    "vgg11_bn": ["features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                 "classifier.0.weight", "classifier.0.bias", "classifier.3.weight", "classifier.6.weight",
                 "classifier.6.bias", "features.26.running_var"],
}


def formula_checks(factory, count=4):
    keys = set(factory.state)
    checks = []
    for key in FORMULA_CHECKS[factory.name]:
        value = factory.state[key]
        check = {"model": factory.name, "key": key, "shape": list(value.shape)}
        if value.dtype == torch.int64:
            check.update({"source": "bn_buffers", "value": int(value.item())})
        else:
            flat = value.numpy().ravel()
            if formula.is_buffer(key):
                check["source"] = "bn_buffers"
            else:
                check.update({"source": "formula", "batchnorm": formula.is_batchnorm_parameter(key, keys)})
                # The stored value is the formula's: recompute it independently of the model.
                assert np.array_equal(flat, formula.values(key, list(value.shape), check["batchnorm"])), key
            check.update({"count": int(flat.size), "first_bits": formula.float32_bits(flat[:count]),
                          "last_bits": formula.float32_bits(flat[-count:])})
            if flat.size <= CHECKSUM_LIMIT:
                check["checksum"] = formula.checksum(flat)
        checks.append(check)
    return checks


# ---------------------------------------------------------------------------------------------
# pytorch-grad-cam


def guard_inplace(layer):
    """The in-place guard (see the module docstring): register after the library's hooks."""
    return layer.register_forward_hook(lambda module, inputs, output: output.clone())


def library_targets(method, category, omitted):
    if omitted and method != "counterfactual":
        return None  # the library chooses the argmax
    return targets_for(method, category)


def run_layer_method(factory, x, method, category, layer, omitted):
    model = factory.fresh()
    target = model.get_submodule(layer)
    cam = library_method(method)(model=model, target_layers=[target])
    guard = guard_inplace(target)
    captured = Captured(cam)
    grayscale = cam(input_tensor=x.clone(), targets=library_targets(method, category, omitted))
    guard.remove()
    assert len(captured.values) == 1, f"{method}: get_cam_image ran {len(captured.values)} times"
    if omitted:
        assert int(cam.outputs[0].argmax()) == category, "the library's argmax is not the predicted class"
    return captured.values[0][0], grayscale[0]


def run_guided(factory, x, category, omitted):
    from pytorch_grad_cam import GuidedBackpropReLUModel
    gb = GuidedBackpropReLUModel(model=factory.fresh(), device="cpu")(
        x.clone(), target_category=None if omitted else category)
    return np.ascontiguousarray(gb.transpose(2, 0, 1))


def run_fullgrad(factory, x, category, omitted):
    from pytorch_grad_cam import FullGrad
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    cam = FullGrad(model=factory.fresh(), target_layers=[])
    return cam(input_tensor=x.clone(), targets=None if omitted else [ClassifierOutputTarget(category)])[0]


def run_cam(factory, x, category, layer):
    """CAM in plain PyTorch (ResNets: `layer` then avgpool then fc), the map as BaseCAM scales it."""
    from pytorch_grad_cam.utils.image import scale_cam_image
    model = factory.fresh()
    kept = {}
    handles = [model.get_submodule(name).register_forward_hook(
        lambda module, inputs, output, name=name: kept.__setitem__(name, output.detach().clone()))
        for name in (layer, "avgpool")]
    with torch.no_grad():
        logits = model(x)[0]
    for handle in handles:
        handle.remove()
    activations = kept[layer][0].numpy()
    weights = model.fc.weight[category].detach().numpy()
    bias = float(model.fc.bias[category].detach())
    gap = kept["avgpool"][0].flatten().numpy()
    raw = np.tensordot(weights, activations, axes=(0, 0)).astype(np.float32)
    # CAM's defining identity: the class score is the mean of the raw map plus the bias.
    identity = float(raw.mean()) + bias
    assert abs(identity - float(logits[category])) <= 1e-4 * max(1.0, abs(float(logits[category]))), identity
    height, width = x.shape[-2:]
    per_layer = scale_cam_image(np.maximum(raw, 0)[None], (width, height))[:, None]
    fused = np.mean(np.maximum(per_layer, 0), axis=1)
    return raw, scale_cam_image(fused)[0], gap, weights


def stride_for(height, width):
    return max(1, math.ceil(max(height, width) / MAX_STORED))


def compute(factory, x, layer, method, category, omitted):
    """{raw, map, input_grad, gap, weights: numpy arrays} as the method gives them (full size)."""
    if method == "cam":
        raw, grayscale, gap, weights = run_cam(factory, x, category, layer)
        return {"raw": raw, "map": grayscale, "gap": gap, "weights": weights}
    if method == "fullgrad":
        return {"map": run_fullgrad(factory, x, category, omitted)}
    if method == "guided":
        return {"input_grad": run_guided(factory, x, category, omitted)}
    if method == "guided-gradcam":
        gb = run_guided(factory, x, category, omitted)
        _, gradcam_map = run_layer_method(factory, x, "gradcam", category, layer, omitted)
        return {"input_grad": gb * gradcam_map[None]}
    raw, grayscale = run_layer_method(factory, x, method, category, layer, omitted)
    return {"raw": raw, "map": grayscale}


def make_case(factory, image, x, logits, layer, method, requested):
    """(the case as written, the full arrays)."""
    omitted = requested is None
    category = int(np.argmax(logits)) if omitted else requested
    case = {"model": factory.name, "image": image, "class": category}
    if omitted:
        case["class_omitted"] = True
    if layer is not None:
        case["layer"] = layer
    case["method"] = method
    case["logits"] = numbers(logits)
    arrays = compute(factory, x, layer, method, category, omitted)
    height, width = x.shape[-2:]
    s = stride_for(height, width)
    if "raw" in arrays:
        case["raw"] = numbers(arrays["raw"])
    if "map" in arrays:
        case["map"] = map_numbers(arrays["map"][::s, ::s])
        if s > 1:
            case["map_stride"] = s
    for key in ("gap", "weights"):
        if key in arrays:
            case[key] = numbers(arrays[key])
    if "input_grad" in arrays:
        case["input_grad"] = gradient_numbers(arrays["input_grad"][:, ::s, ::s])
        if s > 1:
            case["input_grad_stride"] = s
    return case, arrays


# Two thirds of the tests' tolerances (1e-3 relative, 2e-3 absolute for maps): a flip changes the
# result by a fixed amount (it happens or not), so a case whose flips stay below the tolerance passes.
ROBUST_RELATIVE = 6.5e-4  # raw, input_grad, gap, weights: relative to the array's largest magnitude
ROBUST_MAP = 1.3e-3       # maps: absolute
JITTER = 2.0 ** -23       # relative input perturbation of the jittered runs: about one float32 ulp
JITTER_SEEDS = (1, 2, 3, 4)
EXPENSIVE = ("scorecam", "ablationcam")  # checked with --conditioning only (float64 runs take minutes)


def stored(key, value, stride):
    """What the fixture keeps of an array (maps and input gradients subsampled)."""
    value = np.asarray(value, dtype=np.float64)
    if key == "map":
        return value[::stride, ::stride]
    if key == "input_grad":
        return value[:, ::stride, ::stride]
    return value


def differences(method, arrays, other, stride):
    """{key: max |a - b| / max |b|} ({key: max |a - b|} for maps) over the stored values, as the tests
    compare them; Eigen methods up to the sign."""
    arrays = {key: stored(key, value, stride) for key, value in arrays.items()}
    other = {key: stored(key, value, stride) for key, value in other.items()}
    result = {}
    same_sign = True
    if method.startswith("eigen"):
        same_sign = float(np.sum(np.asarray(arrays["raw"], np.float64) * np.asarray(other["raw"], np.float64))) >= 0
    for key, value in arrays.items():
        a, b = np.asarray(value, dtype=np.float64), np.asarray(other[key], dtype=np.float64)
        if key == "raw" and not same_sign:
            b = -b
        if key == "map" and not same_sign:
            continue  # the map of the other sign is another map; `raw` covers the case
        scale = 1.0 if key == "map" else max(float(np.abs(b).max()), 1e-30)
        result[key] = float(np.abs(a - b).max()) / scale
    return result


def robustness(factory, x, layer, method, category, omitted, arrays):
    """The case again with the model and input in float64, and in float32 with the input perturbed
    by up to JITTER relative (seeded): the largest differences. A float32 implementation that sums
    in another order is off by about as much, mostly where a ReLU's input is within rounding of 0 and
    the gradient's path flips: a case far below camlab's tolerances (1e-3 relative, 2e-3 for maps)
    can be matched, one near them cannot."""
    runs = {"float64": lambda: compute(factory.wide(), x.double(), layer, method, category, omitted)}
    for seed in JITTER_SEEDS:
        generator = torch.Generator().manual_seed(seed)
        noise = torch.empty(x.shape, dtype=torch.float64).uniform_(-1, 1, generator=generator)
        jittered = (x.double() * (1 + JITTER * noise)).float()
        runs[f"jitter{seed}"] = lambda jittered=jittered: compute(factory, jittered, layer, method, category, omitted)
    result, worst = {}, {}
    for name, run in runs.items():
        try:
            found = differences(method, arrays, run(), stride_for(*x.shape[-2:]))
        except AssertionError as error:  # the predicted class changes
            found = {"failed": str(error)}
        result[name] = found
        for key, value in found.items():
            worst[key] = value if key == "failed" else max(worst.get(key, 0.0), value)
    robust = "failed" not in worst and all(
        value <= (ROBUST_MAP if key == "map" else ROBUST_RELATIVE) for key, value in worst.items())
    return robust, {"worst": worst, **result}


# ---------------------------------------------------------------------------------------------
# Sanity measures for info.json


def inplace_aliasing(factory, x, layers):
    """{layer: max |view kept by a forward hook - the layer's output|} after a forward pass."""
    result = {}
    for layer in layers:
        model = factory.fresh()
        kept = {}

        def hook(module, inputs, output):
            kept["view"], kept["copy"] = output, output.detach().clone()

        handle = model.get_submodule(layer).register_forward_hook(hook)
        with torch.no_grad():
            model(x)
        handle.remove()
        result[layer] = float((kept["view"] - kept["copy"]).abs().max())
    return result


def buffer_sensitivity(factory, x):
    """How far the logits move when the BatchNorm buffers are replaced (relative to max |logit|)."""
    with torch.no_grad():
        reference = factory.fresh()(x)[0]
        variants = {}
        initial = factory.fresh()
        for module in initial.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.reset_running_stats()
        variants["pytorch_initial_buffers"] = initial(x)[0]
        batch_stats = factory.fresh().train()
        for module in batch_stats.modules():
            if isinstance(module, torch.nn.Dropout):
                module.eval()
        variants["batch_statistics"] = batch_stats(x)[0]
        unperturbed = factory.fresh()
        calibrated = formula.load_formula(construct(factory.name))
        for module in calibrated.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.reset_running_stats()
                module.momentum = None
        calibrated.train()
        calibrated(torch.cat([to_input(photo(w, h, seed)) for w, h, seed in CALIBRATION]))
        unperturbed.load_state_dict(calibrated.state_dict())
        variants["calibrated_unperturbed"] = unperturbed.eval()(x)[0]
    scale = float(reference.abs().max())
    return {"max_abs_logit": scale, "argmax": int(reference.argmax()),
            "top5": [int(i) for i in reference.topk(5).indices],
            **{name: {"relative_max_difference": float((v - reference).abs().max()) / scale,
                      "argmax": int(v.argmax())} for name, v in variants.items()}}


def versions():
    result = {"python": sys.version.split()[0]}
    for package in ("torch", "torchvision", "grad-cam", "numpy", "opencv-python-headless", "ttach", "safetensors",
                    "pillow"):
        try:
            result[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            result[package] = None
    return result


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    parser.add_argument("--only", default=None, help="comma-separated model names (a partial run, for trying)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--conditioning", action="store_true",
                        help="run the robustness check on Score-CAM and Ablation-CAM too (their float64 runs take "
                             "about ten minutes)")
    args = parser.parse_args()
    output = os.path.abspath(args.output)
    os.makedirs(output, exist_ok=True)
    torch.set_num_threads(args.threads)
    started = time.time()
    seconds = {}
    models = MODELS if args.only is None else args.only.split(",")

    inputs = write_images(output)
    plan = [slot for slot in case_plan() if slot.alternatives[0][0] in models]
    model_entries, checks, cases, sanity = {}, [], [], {}
    robustness_log, rejected, skipped = [], [], []
    for name in models:
        t0 = time.time()
        buffers_file = f"{name}.bn.safetensors"
        buffers = calibrated_buffers(name)
        metadata = {"format": "camlab-bn-buffers/1", "formula": formula.FORMULA,
                    "model": f"torchvision.models.{name}(weights=None, num_classes={NUM_CLASSES})",
                    "calibration": json.dumps({"images": [{"width": w, "height": h, "seed": s} for w, h, s in CALIBRATION],
                                               "batches": 1, "momentum": None,
                                               "perturbation": "mean += 0.3*sqrt(var)*(2u-1); var *= 0.6+0.8u; "
                                                               "u = formula u of '<key>#perturb'"})}
        stable_safetensors.save(os.path.join(output, buffers_file), buffers, metadata)
        factory = ModelFactory(name, os.path.join(output, buffers_file))
        seconds[f"{name}_build"] = round(time.time() - t0, 1)
        model_entries[name] = {"constructor": f"torchvision.models.{name}(weights=None, num_classes={NUM_CLASSES})",
                               "num_classes": NUM_CLASSES, "default_layer": DEFAULT_LAYER[name],
                               "bn_buffers": buffers_file, "state_dict": state_dict_entries(factory)}
        checks.extend(formula_checks(factory))

        t0 = time.time()
        logits = {}
        for image, x in inputs.items():
            with torch.no_grad():
                logits[image] = factory.fresh()(x)[0].numpy().astype(np.float64)
        mine = [slot for slot in plan if slot.alternatives[0][0] == name]
        used = []
        for slot in mine:
            for _, image, layer, method, category in slot.alternatives:
                t1 = time.time()
                case, arrays = make_case(factory, image, inputs[image], logits[image], layer, method, category)
                label = f"{name} {image} {layer} {method} {case['class']}{' (class omitted)' if category is None else ''}"
                if method in EXPENSIVE and not args.conditioning:
                    robust, measured = True, "not checked (expensive; see --conditioning)"
                else:
                    robust, measured = robustness(factory, inputs[image], layer, method, case["class"],
                                                  category is None, arrays)
                print(f"{label}: {time.time() - t1:.1f} s{'' if robust else ', NOT ROBUST'}", file=sys.stderr)
                if robust:
                    robustness_log.append({"index": len(cases), "case": label, "measured": measured})
                    cases.append(case)
                    used.append(layer)
                    break
                rejected.append({"case": label, "measured": measured})
            else:
                if not slot.optional:
                    raise SystemExit(f"no robust alternative for a required case: {slot.alternatives}")
                skipped.append([f"{m} {i} {l} {me} {c}" for m, i, l, me, c in slot.alternatives])
        seconds[f"{name}_cases"] = round(time.time() - t0, 1)
        target_layers = sorted({layer for layer in used if layer is not None})
        sanity[name] = {"buffers": buffer_sensitivity(factory, inputs["photo_224.png"]),
                        "inplace_aliasing_at_224": inplace_aliasing(factory, inputs["photo_224.png"], target_layers),
                        "predicted": {image: int(np.argmax(v)) for image, v in logits.items()}}
        del factory

    expected = {
        "format": "camlab-torchvision-reference/1",
        "formula": formula.FORMULA,
        "input": {"scale": "8-bit / 255", "mean": MEAN, "std": STD, "resize": None},
        "images": [{"file": name, "width": w, "height": h} for name, (w, h, _) in IMAGES.items()],
        "models": model_entries,
        "formula_checks": checks,
    }
    path = os.path.join(output, "expected.json")
    with open(path + ".tmp", "w") as handle:
        handle.write("{" + ",\n".join(json.dumps(k) + ":" + dump(v) for k, v in expected.items()))
        handle.write(',\n"cases":[\n' + ",\n".join(dump(case) for case in cases) + "\n]}\n")
    os.replace(path + ".tmp", path)
    json.loads(open(path).read())  # well-formed

    counts = {}
    for case in cases:
        key = f"{case['model']} {case['method']}"
        counts[key] = counts.get(key, 0) + 1
    seconds["total"] = round(time.time() - started, 1)
    info = {"versions": versions(), "threads": args.threads, "seconds": seconds, "cases": len(cases),
            "cases_by_model_and_method": counts, "expected_json_bytes": os.path.getsize(path), "sanity": sanity}
    worst = {}
    for entry in robustness_log:
        if isinstance(entry["measured"], dict):
            for key, value in entry["measured"]["worst"].items():
                worst[key] = max(worst.get(key, 0.0), value)
    info["robustness"] = {"what": " ".join(robustness.__doc__.split()),
                          "thresholds": {"relative": ROBUST_RELATIVE, "map": ROBUST_MAP, "jitter": JITTER},
                          "worst_recorded": worst, "rejected": rejected, "skipped_optional": skipped,
                          "by_case": robustness_log}
    with open(os.path.join(output, "info.json"), "w") as handle:
        json.dump(info, handle, indent=1)
        handle.write("\n")
    print(f"{len(cases)} cases, expected.json {os.path.getsize(path) / 1e6:.2f} MB, {seconds['total']} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
