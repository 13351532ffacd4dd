"""The tutorial's recipe on the reference ResNet-50 of Fixtures/torchvision (formula weights and
its stored BatchNorm buffers), for camlab's TutorialRecipeTests: photo_320x240.png read as the
tutorial reads its photo, cv2.resize to 300×300, /255, preprocess_image (mean = std = 0.5),
GradCAM and GradCAMPlusPlus at model.layer4 for class 1 (goldfish). Writes tutorial.json: the
FNV-1a hash of the resized 8-bit image, the logits, and both 300×300 maps quantized to 16 bits.

    python3 Tools/pytorch/make_tutorial_fixture.py Tests/CamlabMethodsTests/Fixtures/torchvision
"""
import json, os, sys
import numpy as np, cv2, torch
from PIL import Image
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from pytorch_grad_cam.utils.image import preprocess_image

sys.path.insert(0, os.path.dirname(__file__))
from make_torchvision_reference import ModelFactory
from make_resize_fixture import fnv1a

folder = sys.argv[1]
torch.set_num_threads(2)
model = ModelFactory("resnet50", os.path.join(folder, "resnet50.bn.safetensors")).fresh()
target_layers = [model.layer4]
img = np.array(Image.open(os.path.join(folder, "photo_320x240.png")).convert("RGB"))
img = cv2.resize(img, (300, 300))
resized_hash = fnv1a(img)
img = np.float32(img) / 255
input_tensor = preprocess_image(img)
targets = [ClassifierOutputTarget(1)]
result = {"photo": "photo_320x240.png", "class": 1, "resized_fnv1a": resized_hash}
with torch.no_grad():
    result["logits_top5"] = [[int(i), float(v)] for v, i in zip(*torch.topk(model(input_tensor)[0], 5))]
for name, method in (("gradcam", GradCAM), ("gradcampp", GradCAMPlusPlus)):
    with method(model=model, target_layers=target_layers) as cam:
        grayscale = cam(input_tensor=input_tensor, targets=targets)[0]
    result[name] = np.rint(np.clip(grayscale, 0, 1) * 65535).astype(int).flatten().tolist()
with open(os.path.join(folder, "tutorial.json"), "w") as handle:
    json.dump(result, handle, separators=(",", ":"))
    handle.write("\n")
