"""Expected bytes of cv2.resize (INTER_LINEAR) and Pillow's BILINEAR resize for camlab's
ResizeTests: pseudo-random 8-bit images of many sizes (the same generator in Swift), each output
summarized by its FNV-1a 64-bit hash. Needs opencv-python-headless and Pillow.

    python3 Tools/pytorch/make_resize_fixture.py > Tests/CamlabImagingTests/Fixtures/resize.json
"""
import json, sys
import numpy as np, cv2, PIL
from PIL import Image


def pattern(width, height, channels, seed):
    """A linear congruential generator, byte = bits 16–23 of the state (as in ResizeTests)."""
    state, values = seed, []
    for _ in range(width * height * channels):
        state = (state * 1103515245 + 12345) % 2**31
        values.append((state >> 16) & 255)
    return np.array(values, np.uint8).reshape(height, width, channels)


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in bytes(data):
        h = ((h ^ b) * 0x100000001b3) % 2**64
    return f"{h:016x}"


def pillow_horizontal_first(image, width, height):
    """Pillow ≤ 12 always resampled horizontally first; Pillow 13 sometimes starts vertically.
    Keep only the cases where both agree with horizontal-first, checked by running each pass
    alone (a one-direction resize has no order)."""
    im = Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image)
    step = im.resize((width, im.height), Image.BILINEAR).resize((width, height), Image.BILINEAR)
    return np.asarray(step), np.asarray(im.resize((width, height), Image.BILINEAR))


def main():
    rng = np.random.default_rng(2026)
    cases = []
    sizes = [(320, 240, 300, 300), (400, 250, 300, 300), (37, 29, 300, 300), (640, 480, 224, 224),
             (64, 48, 32, 24), (2, 1, 4, 1), (1, 1, 5, 3), (97, 61, 200, 150), (300, 200, 256, 170)]
    sizes += [tuple(int(v) for v in rng.integers(1, 260, 4)) for _ in range(20)]
    for index, (w, h, W, H) in enumerate(sizes):
        for channels in (3, 1):
            seed = 1000 + 7 * index + channels
            image = pattern(w, h, channels, seed)
            opencv = cv2.resize(image, (W, H), interpolation=cv2.INTER_LINEAR).reshape(H, W, channels)
            case = {"width": w, "height": h, "channels": channels, "seed": seed, "to": [W, H],
                    "opencv": fnv1a(opencv)}
            staged, direct = pillow_horizontal_first(image, W, H)
            if np.array_equal(staged, direct):
                case["pillow"] = fnv1a(direct)
            cases.append(case)
    # torchvision's evaluation transform up to the tensor: Resize(256) (shorter side, Pillow's
    # bilinear) then CenterCrop(224), on RGB images whose resizes Pillow does horizontally first.
    import torchvision.transforms as T
    evaluation = T.Compose([T.Resize(256), T.CenterCrop(224)])
    torchvision_cases = []
    for index, (w, h) in enumerate([(480, 360), (341, 500), (300, 300), (1000, 257), (257, 229)]):
        seed = 5000 + index
        image = pattern(w, h, 3, seed)
        out = np.asarray(evaluation(Image.fromarray(image)))
        short, long = min(w, h), max(w, h)
        scaled = (256, int(256 * long / short)) if w <= h else (int(256 * long / short), 256)
        staged, direct = pillow_horizontal_first(image, *scaled)
        if np.array_equal(staged, direct):
            torchvision_cases.append({"width": w, "height": h, "seed": seed, "evaluation": fnv1a(out)})
    json.dump({"opencv": cv2.__version__, "pillow": PIL.__version__, "cases": cases,
               "torchvision": torchvision_cases}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
