"""A second, independent pytorch-grad-cam reference: a model of another shape.

    python3 make_reference2.py [--output DIR] [--retrain]

The tiny32 fixture has a square 32x32 input, mean 0 / std 1, stride 1 everywhere and integer
up-sampling factors. This one differs on purpose:

- input [3, 40, 48] (height 40, width 48: non-square), ImageNet mean/std (not 0/1);
- 3 classes (circle, square, triangle);
- a stride-2 convolution, a maxpool, an unpadded 3x3 convolution and a 1x1 convolution, so the
  last ReLU is 8x10 and the maps are up-sampled by 5 (height) and 4.8 (width): non-integer;
- cases at the default target layer (the last ReLU, `features.8`, 8x10) and at the second ReLU
  (`features.3`, 20x24, followed by a maxpool), for the predicted class and a non-argmax class,
  and at a convolution's output before its ReLU (`features.7`, negative values) for the predicted class.

Without --retrain and with DIR/model.safetensors present, the model and images are kept and only
expected.json is recomputed. With --retrain (or no model yet), the model is trained for a few
hundred Adam steps on synthetic shapes drawn with numpy (seeded), and the test images are drawn.

Everything except CAM comes from pytorch-grad-cam (1.5.x) itself, with its defaults
(ClassifierOutputTarget, default batch sizes, AblationLayer, no aug_smooth / eigen_smooth):

- `map` is the library's returned `grayscale_cam[0]` ([H, W]).
- `raw` is the return value of the CAM object's own `get_cam_image(...)`, captured by wrapping the
  bound method on the instance (BaseCAM.compute_cam_per_layer calls it, then applies
  `np.maximum(cam, 0)` and `scale_cam_image`): the combination before the ReLU, at the layer's
  resolution. For Score-CAM and Ablation-CAM this is BaseCAM.get_cam_image, i.e. their
  get_cam_weights times the activations, summed.
- counterfactual: GradCAM with the custom target `lambda out: -out[c]`.
- guided: GuidedBackpropReLUModel(fresh model)(x, target_category=c), HWC transposed to CHW.
- guided-gradcam: that gradient times GradCAM's grayscale_cam at the case's layer.
- fullgrad: FullGrad(model, []) (it finds every conv bias itself); map only.
- cam (not in the library): plain PyTorch, raw = sum_k w_k^c A^k at the last ReLU, with
  `gap` = the GAP outputs and `weights` = classifier.weight[c]; its `map` uses the library's
  own `scale_cam_image` twice exactly as BaseCAM does (relu, scale + resize, scale).

A fresh model is loaded from the file for every call (GuidedBackpropReLUModel and AblationCAM
swap modules in place). Floats are written with 7 significant digits relative to the largest
magnitude of their array (raw, logits, gap, weights), input gradients with 6, maps with 4 decimals:
all far below the test tolerances (1e-3 relative, 2e-3 absolute for maps), and expected.json < 3 MB.
"""
import argparse
import importlib.metadata
import json
import math
import os
import sys
import time

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from camlab_torch import CamlabNet, load_image, load_model  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, "..", "..", "Tests", "CamlabMethodsTests", "Fixtures", "other")

HEIGHT, WIDTH = 40, 48
ARCHITECTURE = {
    "input": [3, HEIGHT, WIDTH],
    "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225],
    "classes": ["circle", "square", "triangle"],
    "layers": [
        {"name": "features.0", "type": "conv2d", "in": 3, "out": 8, "kernel": 3, "stride": 1, "padding": 1},
        {"name": "features.1", "type": "relu"},
        {"name": "features.2", "type": "conv2d", "in": 8, "out": 16, "kernel": 3, "stride": 2, "padding": 1},
        {"name": "features.3", "type": "relu"},
        {"name": "features.4", "type": "maxpool2d", "kernel": 2, "stride": 2},
        {"name": "features.5", "type": "conv2d", "in": 16, "out": 24, "kernel": 3, "stride": 1, "padding": 0},
        {"name": "features.6", "type": "relu"},
        {"name": "features.7", "type": "conv2d", "in": 24, "out": 32, "kernel": 1, "stride": 1, "padding": 0},
        {"name": "features.8", "type": "relu"},
        {"name": "gap", "type": "global_avg_pool"},
        {"name": "classifier", "type": "linear", "in": 32, "out": 3},
    ],
    "target_layer": "features.8",
}
EARLY_LAYER = "features.3"
# A convolution's output (before its ReLU): negative activations, so Ablation-CAM's AblationLayer
# takes its `min - 1e7` branch, and sums of activations can be small or negative (XGrad-CAM, Grad-CAM++).
CONV_LAYER = "features.7"

# ---------------------------------------------------------------------------------------------
# Synthetic images


def draw(rng, shapes, background=None, noise=14.0):
    """An RGB uint8 image [H, W, 3]: a flat noisy background with filled shapes.

    shapes: [(class, cx, cy, size, colour)]; size is the radius (circle), half side (square) or
    circumradius-ish half height (triangle, apex up).
    """
    if background is None:
        background = rng.uniform(20, 235, size=3)
    image = np.empty((HEIGHT, WIDTH, 3), dtype=np.float64)
    image[:] = background
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH] + 0.5
    for kind, cx, cy, size, colour in shapes:
        if kind == 0:
            mask = (xx - cx) ** 2 + (yy - cy) ** 2 <= size ** 2
        elif kind == 1:
            mask = (np.abs(xx - cx) <= size) & (np.abs(yy - cy) <= size)
        else:
            top, bottom = cy - size, cy + size
            half_width = (yy - top) / (2 * size) * size * 1.15
            mask = (yy >= top) & (yy <= bottom) & (np.abs(xx - cx) <= half_width)
        image[mask] = colour
    image += rng.normal(0, noise, size=image.shape)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def contrasting_colour(rng, background):
    while True:
        colour = rng.uniform(0, 255, size=3)
        if np.abs(colour - background).max() > 70:
            return colour


def random_sample(rng):
    kind = int(rng.integers(3))
    size = rng.uniform(5.5, 11.0)
    cx = rng.uniform(size + 1, WIDTH - size - 1)
    cy = rng.uniform(size + 1, HEIGHT - size - 1)
    background = rng.uniform(20, 235, size=3)
    image = draw(rng, [(kind, cx, cy, size, contrasting_colour(rng, background))], background,
                 noise=rng.uniform(4, 20))
    return image, kind


def to_input(images):
    """uint8 [N, H, W, 3] -> the normalized network input [N, 3, H, W]."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0).permute(0, 3, 1, 2)
    mean = torch.tensor(ARCHITECTURE["mean"], dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(ARCHITECTURE["std"], dtype=torch.float32).view(1, -1, 1, 1)
    return (x - mean) / std


TEST_IMAGES = {
    # name: (seed, shapes as (class, cx, cy, size, colour), background, noise)
    "single_circle.png": (11, [(0, 17.0, 22.0, 9.0, (230, 60, 40))], (40, 70, 110), 12.0),
    "single_square.png": (12, [(1, 30.0, 17.0, 8.0, (250, 230, 90))], (90, 40, 120), 12.0),
    "single_triangle.png": (13, [(2, 24.0, 21.0, 10.0, (40, 200, 230))], (160, 150, 60), 12.0),
    "pair_square_triangle.png": (14, [(1, 11.0, 14.0, 7.0, (240, 240, 240)),
                                      (2, 35.0, 25.0, 9.0, (250, 120, 30))], (30, 90, 60), 10.0),
}


def train(output, steps=500, batch=64):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = CamlabNet(ARCHITECTURE)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_function = torch.nn.CrossEntropyLoss()
    started = time.time()
    model.train()
    for step in range(steps):
        images, labels = zip(*(random_sample(rng) for _ in range(batch)))
        x, y = to_input(np.stack(images)), torch.tensor(labels)
        loss = loss_function(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step}: loss {loss.item():.4f}", file=sys.stderr)
    seconds = time.time() - started
    model.eval()
    test_rng = np.random.default_rng(1)
    images, labels = zip(*(random_sample(test_rng) for _ in range(1000)))
    with torch.no_grad():
        predicted = model(to_input(np.stack(images))).argmax(dim=1)
    accuracy = (predicted == torch.tensor(labels)).float().mean().item()
    print(f"test accuracy {accuracy:.4f}", file=sys.stderr)

    os.makedirs(output, exist_ok=True)
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    metadata = {"format": "camlab-model/1", "architecture": json.dumps(ARCHITECTURE)}
    target = os.path.join(output, "model.safetensors")
    save_file(tensors, target + ".tmp", metadata=metadata)
    os.replace(target + ".tmp", target)

    from PIL import Image
    for name, (seed, shapes, background, noise) in TEST_IMAGES.items():
        rng_image = np.random.default_rng(seed)
        pixels = draw(rng_image, [(k, cx, cy, s, np.array(c, dtype=np.float64)) for k, cx, cy, s, c in shapes],
                      np.array(background, dtype=np.float64), noise)
        Image.fromarray(pixels, "RGB").save(os.path.join(output, name))
    return {"train_steps": steps, "batch": batch, "optimizer": "Adam lr 3e-3", "seed": 0,
            "train_seconds": round(seconds, 1), "test_accuracy_1000": accuracy}


# ---------------------------------------------------------------------------------------------
# The reference


class Captured:
    """Wraps a CAM object's get_cam_image to keep what it returns (the raw map, before ReLU)."""

    def __init__(self, cam):
        self.values = []
        original = cam.get_cam_image

        def get_cam_image(*args, **kwargs):
            result = original(*args, **kwargs)
            self.values.append(np.array(result, dtype=np.float32, copy=True))
            return result

        cam.get_cam_image = get_cam_image


def library_method(name):
    from pytorch_grad_cam import (AblationCAM, EigenCAM, EigenGradCAM, GradCAM, GradCAMElementWise,
                                  GradCAMPlusPlus, HiResCAM, LayerCAM, ScoreCAM, XGradCAM)
    return {"gradcam": GradCAM, "counterfactual": GradCAM, "gradcampp": GradCAMPlusPlus,
            "hirescam": HiResCAM, "gradcam-elementwise": GradCAMElementWise, "xgradcam": XGradCAM,
            "layercam": LayerCAM, "scorecam": ScoreCAM, "ablationcam": AblationCAM,
            "eigencam": EigenCAM, "eigengradcam": EigenGradCAM}[name]


LAYER_METHODS = ["gradcam", "gradcampp", "hirescam", "gradcam-elementwise", "xgradcam", "layercam",
                 "scorecam", "ablationcam", "eigencam", "eigengradcam", "counterfactual"]


def targets_for(method, category):
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    if method == "counterfactual":
        return [lambda out: -out[category]]
    return [ClassifierOutputTarget(category)]


def run_layer_method(model_path, x, method, category, layer):
    """(raw [h, w], map [H, W]) from pytorch-grad-cam."""
    model = load_model(model_path)
    cam = library_method(method)(model=model, target_layers=[model.get_submodule(layer)])
    captured = Captured(cam)
    grayscale = cam(input_tensor=x.clone(), targets=targets_for(method, category))
    assert len(captured.values) == 1, f"{method}: get_cam_image ran {len(captured.values)} times"
    return captured.values[0][0], grayscale[0]


def run_guided(model_path, x, category):
    from pytorch_grad_cam import GuidedBackpropReLUModel
    model = load_model(model_path)
    gb = GuidedBackpropReLUModel(model=model, device="cpu")(x.clone(), target_category=category)
    return np.ascontiguousarray(gb.transpose(2, 0, 1))


def run_fullgrad(model_path, x, category):
    from pytorch_grad_cam import FullGrad
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    model = load_model(model_path)
    cam = FullGrad(model=model, target_layers=[])
    return cam(input_tensor=x.clone(), targets=[ClassifierOutputTarget(category)])[0]


def run_cam(model_path, x, category):
    """CAM in plain PyTorch; the map with the library's scale_cam_image as BaseCAM applies it."""
    from pytorch_grad_cam.utils.image import scale_cam_image
    model = load_model(model_path)
    layer = ARCHITECTURE["target_layer"]
    with torch.no_grad():
        logits, kept = model(x, keep=(layer, "gap"))
    activations = kept[layer][0].numpy()
    weights = model.get_submodule("classifier").weight[category].detach().numpy()
    raw = np.tensordot(weights, activations, axes=(0, 0)).astype(np.float32)
    per_layer = scale_cam_image(np.maximum(raw, 0)[None], (WIDTH, HEIGHT))[:, None]
    fused = np.mean(np.maximum(per_layer, 0), axis=1)
    return raw, scale_cam_image(fused)[0], kept["gap"][0].numpy(), weights


# ---------------------------------------------------------------------------------------------
# Writing: numbers with 7 significant digits relative to each array's largest magnitude


class Number(str):
    pass


def numbers(values, significant=7, decimals=None):
    """Nested lists of JSON number texts: `significant` digits relative to the array's largest
    magnitude (absolute precision max|a| * 10^(1 - significant) / 2), or fixed `decimals`."""
    a = np.asarray(values, dtype=np.float64)
    scale = float(np.abs(a).max()) if a.size else 0.0
    if decimals is None:
        decimals = significant if scale == 0 else max(0, significant - 1 - math.floor(math.log10(scale)))

    def text(v):
        s = f"{v:.{decimals}f}"
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        if s in ("-0", ""):
            s = "0"
        return Number(s)

    def nest(b):
        return [nest(r) for r in b] if b.ndim > 1 else [text(v) for v in b]

    return nest(a) if a.ndim > 0 else text(float(a))


def map_numbers(values):
    """Maps lie in [0, 1] and are compared within 2e-3: 4 decimals (error <= 5e-5) keep the file < 3 MB."""
    return numbers(values, decimals=4)


def gradient_numbers(values):
    """Input gradients (C x H x W, the largest arrays): 6 significant digits relative to max|g|."""
    return numbers(values, significant=6)


def dump(value):
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dump(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value)


def make_cases(output):
    """Every method for the predicted class at both layers, and for the least likely class (a
    non-argmax class) at the last layer; at the early layer the least likely class has `raw` and
    `logits` only (no `map`, and no eigencam, which ignores the class), to keep the file < 3 MB.
    The predicted class is also explained at a convolution's output (CONV_LAYER) by every layer
    method: `raw` for every image, `map` for single_circle.png only (size)."""
    model_path = os.path.join(output, "model.safetensors")
    model = load_model(model_path)
    last = ARCHITECTURE["target_layer"]
    cases = []
    for image in TEST_IMAGES:
        x = load_image(os.path.join(output, image), ARCHITECTURE)
        with torch.no_grad():
            logits = model(x)[0].numpy()
        order = list(np.argsort(-logits))
        for category, predicted in ((int(order[0]), True), (int(order[-1]), False)):
            base = {"image": image, "class": category}
            for layer in (last, EARLY_LAYER):
                full = predicted or layer == last
                for method in LAYER_METHODS:
                    if not full and method == "eigencam":
                        continue
                    raw, grayscale = run_layer_method(model_path, x, method, category, layer)
                    case = {**base, "layer": layer, "method": method, "logits": numbers(logits), "raw": numbers(raw)}
                    if full:
                        case["map"] = map_numbers(grayscale)
                    cases.append(case)
                if layer == last:
                    raw, grayscale, gap, weights = run_cam(model_path, x, category)
                    cases.append({**base, "layer": layer, "method": "cam", "logits": numbers(logits),
                                  "raw": numbers(raw), "map": map_numbers(grayscale),
                                  "gap": numbers(gap), "weights": numbers(weights)})
                    cases.append({**base, "layer": layer, "method": "guided", "logits": numbers(logits),
                                  "input_grad": gradient_numbers(run_guided(model_path, x, category))})
                if full:
                    gb = run_guided(model_path, x, category)
                    _, gradcam_map = run_layer_method(model_path, x, "gradcam", category, layer)
                    cases.append({**base, "layer": layer, "method": "guided-gradcam", "logits": numbers(logits),
                                  "input_grad": gradient_numbers(gb * gradcam_map[None])})
            cases.append({**base, "method": "fullgrad", "logits": numbers(logits),
                          "map": map_numbers(run_fullgrad(model_path, x, category))})
            if predicted:
                for method in LAYER_METHODS:
                    raw, grayscale = run_layer_method(model_path, x, method, category, CONV_LAYER)
                    case = {**base, "layer": CONV_LAYER, "method": method, "logits": numbers(logits), "raw": numbers(raw)}
                    if image == "single_circle.png":
                        case["map"] = map_numbers(grayscale)
                    cases.append(case)
        print(f"{image}: logits {np.round(logits, 3).tolist()}", file=sys.stderr)
    return cases


def versions():
    result = {"python": sys.version.split()[0]}
    for package in ("grad-cam", "torch", "numpy", "opencv-python-headless", "ttach", "scipy", "safetensors"):
        try:
            result[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            result[package] = None
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    parser.add_argument("--retrain", action="store_true")
    args = parser.parse_args()
    output = os.path.abspath(args.output)
    torch.set_num_threads(2)
    info_path = os.path.join(output, "info.json")
    info = {}
    if args.retrain or not os.path.exists(os.path.join(output, "model.safetensors")):
        info["training"] = train(output)
    elif os.path.exists(info_path):
        with open(info_path) as handle:
            info = json.load(handle)
    cases = make_cases(output)
    with open(os.path.join(output, "expected.json"), "w") as handle:
        handle.write('{"model":"model.safetensors","cases":[\n')
        handle.write(",\n".join(dump(case) for case in cases))
        handle.write("\n]}\n")
    info.update({"architecture": ARCHITECTURE, "versions": versions(), "cases": len(cases),
                 "early_layer": EARLY_LAYER, "conv_layer": CONV_LAYER})
    with open(info_path, "w") as handle:
        json.dump(info, handle, indent=1)
        handle.write("\n")
    size = os.path.getsize(os.path.join(output, "expected.json"))
    print(f"{len(cases)} cases, expected.json {size / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
