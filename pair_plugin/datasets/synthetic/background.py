"""Backgrounds of the synthetic scenes: gradients, smooth noise, wall-and-floor, clutter."""
import cv2
import numpy as np
from PIL import Image, ImageDraw


def _color(rng, low=40, high=230) -> np.ndarray:
    return rng.uniform(low, high, size=3)


def gradient(rng, height: int, width: int) -> np.ndarray:
    """A linear gradient between two colours at a random angle."""
    a = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    t = (np.cos(a) * xx / width + np.sin(a) * yy / height)
    t = (t - t.min()) / max(t.max() - t.min(), 1e-6)
    c0, c1 = _color(rng), _color(rng)
    return c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]


def smooth_noise(rng, height: int, width: int) -> np.ndarray:
    """Low-frequency coloured noise around a base colour."""
    cells = int(rng.integers(3, 9))
    grid = rng.normal(0, rng.uniform(15, 45), size=(cells, cells, 3))
    noise = cv2.resize(grid.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    return _color(rng, 60, 200)[None, None] + noise


def wall_and_floor(rng, height: int, width: int) -> np.ndarray:
    """A wall above a horizon line and a floor below, each lightly textured."""
    horizon = int(height * rng.uniform(0.45, 0.8))
    img = np.empty((height, width, 3), dtype=np.float32)
    img[:horizon] = _color(rng, 90, 235)
    img[horizon:] = _color(rng, 40, 180)
    shade = np.linspace(1.0, rng.uniform(0.75, 1.0), height - horizon)
    img[horizon:] *= shade[:, None, None]
    if rng.random() < 0.5:  # floor boards or tiles
        step = int(rng.integers(12, 40))
        img[horizon:, ::step] *= 0.85
    return img


def clutter(rng, img: np.ndarray, count: int) -> np.ndarray:
    """Blend ``count`` muted rectangles and ellipses (windows, frames, rugs) in."""
    height, width = img.shape[:2]
    layer = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(layer)
    for _ in range(count):
        w, h = rng.uniform(0.08, 0.35) * width, rng.uniform(0.06, 0.3) * height
        x, y = rng.uniform(-0.1, 1.0) * width, rng.uniform(-0.1, 0.9) * height
        color = tuple(int(v) for v in _color(rng, 50, 220))
        if rng.random() < 0.6:
            draw.rectangle([x, y, x + w, y + h], fill=color)
        else:
            draw.ellipse([x, y, x + w, y + h], fill=color)
    alpha = rng.uniform(0.25, 0.55)
    return img * (1 - alpha) + np.asarray(layer, dtype=np.float32) * alpha


def random_background(rng, height: int, width: int) -> np.ndarray:
    """One background, (H, W, 3) uint8 RGB."""
    kind = rng.integers(3)
    img = (gradient, smooth_noise, wall_and_floor)[kind](rng, height, width)
    img = clutter(rng, img, int(rng.integers(0, 5)))
    return np.clip(img, 0, 255).astype(np.uint8)
