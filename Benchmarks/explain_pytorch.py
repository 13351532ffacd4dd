#!/usr/bin/env python3
"""Times pytorch-grad-cam on the same images and model as `camlab-bench`'s explanation rows.

    python3 Benchmarks/explain_pytorch.py [MODEL] [IMAGE_DIR]

Reads the first 256 PNGs under IMAGE_DIR (default Datasets/shapes/test), explains them in one call
per method (GradCAM, GradCAMPlusPlus, ScoreCAM; default batch sizes) and prints the median
milliseconds per map over a few repetitions. Needs torch and grad-cam; camlab never does.
"""
import glob, os, statistics, sys, time
import numpy as np
import torch
from PIL import Image
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tools", "pytorch"))
import camlab_torch  # noqa: E402
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, ScoreCAM  # noqa: E402

model_path = sys.argv[1] if len(sys.argv) > 1 else "Models/shapes-tiny32.safetensors"
image_dir = sys.argv[2] if len(sys.argv) > 2 else "Datasets/shapes/test"
torch.set_num_threads(2)
model = camlab_torch.load_model(model_path)
architecture = camlab_torch.read_architecture(model_path)
paths = sorted(glob.glob(os.path.join(image_dir, "**", "*.png"), recursive=True))[:256]
images = np.stack([np.asarray(Image.open(p).convert("RGB"), dtype=np.float32) / 255 for p in paths])
mean = np.array(architecture["mean"], dtype=np.float32)[None, :, None, None]
std = np.array(architecture["std"], dtype=np.float32)[None, :, None, None]
batch = torch.from_numpy((images.transpose(0, 3, 1, 2) - mean) / std)
layer = model.get_submodule(architecture["target_layer"])
print(f"pytorch-grad-cam, torch {torch.__version__}, {torch.get_num_threads()} threads, {len(paths)} images")
for name, method in [("gradcam", GradCAM), ("gradcampp", GradCAMPlusPlus), ("scorecam", ScoreCAM)]:
    times = []
    for repetition in range(4 if name != "scorecam" else 2):
        cam = method(model=model, target_layers=[layer])
        start = time.perf_counter()
        cam(input_tensor=batch, targets=None)
        times.append(time.perf_counter() - start)
    print(f"{name:10s} {1000 * statistics.median(times[1:]) / len(paths):8.3f} ms per map")
