"""Synthetic "photos" drawn with numpy (seeded): a textured background and several coloured,
shaded objects of various sizes, some small. Used as test and calibration images by
make_torchvision_reference.py; the same seed and size always give the same pixels."""
import numpy as np


def _value_noise(rng, height, width, cells):
    """Smooth noise in [-1, 1]: a random (cells+1)^2 grid, bilinearly interpolated."""
    grid = rng.uniform(-1, 1, size=(cells + 1, cells + 1))
    ys = np.linspace(0, cells, height, endpoint=False) + cells / (2 * height)
    xs = np.linspace(0, cells, width, endpoint=False) + cells / (2 * width)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    y1, x1 = np.minimum(y0 + 1, cells), np.minimum(x0 + 1, cells)
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x1] * fx
    bottom = grid[y1][:, x0] * (1 - fx) + grid[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def _background(rng, height, width):
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    t = yy / height
    horizon = rng.uniform(0.35, 0.6)
    sky = rng.uniform(120, 230, size=3)
    ground = rng.uniform(30, 140, size=3)
    blend = np.clip((t - horizon) * 8 + 0.5, 0, 1)[..., None]
    image = sky * (1 - blend) + ground * blend
    # Texture: smooth blotches at two scales, ripples, and sensor noise.
    for cells, amplitude in ((4, 28.0), (16, 14.0)):
        image += amplitude * _value_noise(rng, height, width, cells)[..., None] * rng.uniform(0.6, 1.2, size=3)
    angle = rng.uniform(0, np.pi)
    frequency = rng.uniform(0.15, 0.35)
    ripple = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * frequency) * blend[..., 0]
    image += 10.0 * ripple[..., None]
    return image


def _shape_mask(kind, xx, yy, cx, cy, size, angle, aspect):
    c, s = np.cos(angle), np.sin(angle)
    u = (xx - cx) * c + (yy - cy) * s
    v = -(xx - cx) * s + (yy - cy) * c
    if kind == "ellipse":
        return (u / size) ** 2 + (v / (size * aspect)) ** 2 <= 1
    if kind == "rectangle":
        return (np.abs(u) <= size) & (np.abs(v) <= size * aspect)
    if kind == "ring":
        r = np.hypot(u, v / aspect)
        return (r <= size) & (r >= 0.55 * size)
    if kind == "triangle":
        top = -size
        half_width = (v - top) / (2 * size) * size * 1.1
        return (v >= top) & (v <= size) & (np.abs(u) <= half_width)
    raise ValueError(kind)


KINDS = ("ellipse", "rectangle", "ring", "triangle")


def photo(width, height, seed, objects=8, small=3):
    """uint8 [height, width, 3]: `objects` shapes of which `small` have a size of 3-8 pixels."""
    rng = np.random.default_rng(seed)
    image = _background(rng, height, width)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    scale = min(width, height)
    for index in range(objects):
        kind = KINDS[int(rng.integers(len(KINDS)))]
        size = rng.uniform(3, 8) if index >= objects - small else rng.uniform(0.08, 0.22) * scale
        cx = rng.uniform(size, width - size)
        cy = rng.uniform(size, height - size)
        angle, aspect = rng.uniform(0, np.pi), rng.uniform(0.5, 1.0)
        mask = _shape_mask(kind, xx, yy, cx, cy, size, angle, aspect)
        colour = rng.uniform(0, 255, size=3)
        colour[int(rng.integers(3))] = rng.choice([rng.uniform(0, 40), rng.uniform(215, 255)])
        # Shading: lighter towards a light direction, darker at the far side.
        light = rng.uniform(0, 2 * np.pi)
        shade = ((xx - cx) * np.cos(light) + (yy - cy) * np.sin(light)) / max(size, 1.0)
        shaded = colour[None, None, :] * (1.0 + 0.25 * np.clip(shade, -1.5, 1.5))[..., None]
        image[mask] = shaded[mask]
    image += rng.normal(0, 6.0, size=image.shape)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)
