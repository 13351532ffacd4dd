"""The tutorial's last section, line by line, on a torchvision ResNet-50 state dict and a photo:
what camlab's `--preprocess tutorial` (cv2.resize to 300×300, /255, preprocess_image with
mean = std = 0.5) must reproduce. Writes the Grad-CAM and Grad-CAM++ maps (300×300, as
pytorch-grad-cam returns them), the overlay and the side-by-side picture, and the largest
difference from camlab's maps when `--camlab` names camlab's `cam --json` output files.

    python3 Tools/pytorch/tutorial_recipe.py MODEL.safetensors PHOTO CLASS OUT_DIR [--arch resnet50]
    camlab cam gradcam   --model MODEL.safetensors --image PHOTO --class CLASS --preprocess tutorial --json > g.json
    camlab cam gradcampp --model MODEL.safetensors --image PHOTO --class CLASS --preprocess tutorial --json > p.json
    python3 Tools/pytorch/tutorial_recipe.py MODEL.safetensors PHOTO CLASS OUT_DIR --camlab g.json p.json
"""
import argparse, json, os
import numpy as np, cv2, torch, torchvision
from PIL import Image
from safetensors.torch import load_file
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from pytorch_grad_cam.utils.image import show_cam_on_image, preprocess_image

parser = argparse.ArgumentParser()
parser.add_argument("model"); parser.add_argument("photo"); parser.add_argument("category", type=int)
parser.add_argument("out"); parser.add_argument("--arch", default="resnet50")
parser.add_argument("--camlab", nargs=2, metavar=("GRADCAM_JSON", "GRADCAMPP_JSON"))
args = parser.parse_args()
torch.set_num_threads(2)
os.makedirs(args.out, exist_ok=True)

# The tutorial's lines (its photo comes from a URL; here from a file).
model = getattr(torchvision.models, args.arch)(weights=None)
model.load_state_dict(load_file(args.model))
model.eval()
target_layers = [model.layer4]
img = np.array(Image.open(args.photo).convert("RGB"))
img = cv2.resize(img, (300, 300))
img = np.float32(img) / 255
input_tensor = preprocess_image(img)
targets = [ClassifierOutputTarget(args.category)]

maps = {}
for name, method in (("gradcam", GradCAM), ("gradcampp", GradCAMPlusPlus)):
    with method(model=model, target_layers=target_layers) as cam:
        grayscale_cams = cam(input_tensor=input_tensor, targets=targets)
        cam_image = show_cam_on_image(img, grayscale_cams[0, :], use_rgb=True)
    maps[name] = grayscale_cams[0]
    np.save(os.path.join(args.out, f"{name}.npy"), grayscale_cams[0])
    images = np.hstack((np.uint8(255 * img), cam_image))
    Image.fromarray(images).save(os.path.join(args.out, f"{name}-side-by-side.png"))

if args.camlab:
    for (name, path) in zip(("gradcam", "gradcampp"), args.camlab):
        with open(path) as f:
            mine = np.array(json.loads(f.readline())["map"], dtype=np.float64)
        print(f"{name}: shape {mine.shape} vs {maps[name].shape}, largest difference {np.abs(mine - maps[name]).max():.2e}")
