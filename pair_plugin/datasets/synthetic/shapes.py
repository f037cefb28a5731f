"""Drawing primitives of the synthetic scenes, in a group's local units.

A group (a person and the objects they use, or one stand-alone object) is built in local
units: 1 = a standing person's height, y up, x along the person's facing direction,
ground at y = 0. :class:`Placement` maps local units to image pixels (scale, mirror,
translation); :func:`draw_shape` rasterises one primitive with PIL, onto any image mode
(the RGB picture, the int32 owner map, a binary silhouette).
"""
from dataclasses import dataclass, field
from typing import List, Tuple

import numpy as np
from PIL import ImageDraw


@dataclass
class Shape:
    """One filled primitive in local units.

    ``kind`` is ``'poly'`` (``points`` (K, 2)), ``'circle'`` (``points`` [centre],
    ``radius``), ``'capsule'`` (``points`` [p0, p1], ``radius``: a thick segment with
    round ends) or ``'ring'`` (``points`` [centre], ``radius``, ``width``).

    ``label`` is the body part id (1..17) of a person's shape, 0 for an object's;
    ``layer`` orders drawing within a group (low first); ``color`` is RGB.
    """
    kind: str
    points: np.ndarray
    color: Tuple[int, int, int]
    label: int = 0
    layer: int = 0
    radius: float = 0.0
    width: float = 0.0

    def bounds(self) -> np.ndarray:
        """(x1, y1, x2, y2) in local units."""
        pts = np.asarray(self.points, dtype=np.float64).reshape(-1, 2)
        pad = self.radius if self.kind != 'poly' else 0.0
        return np.array([
            pts[:, 0].min() - pad, pts[:, 1].min() - pad, pts[:, 0].max() + pad,
            pts[:, 1].max() + pad
        ])


@dataclass
class Placement:
    """Local units → image pixels: ``x = x0 + scale * mirror * x_local``,
    ``y = ground_y - scale * y_local``."""
    scale: float
    x0: float
    ground_y: float
    mirrored: bool = False

    def points(self, pts) -> np.ndarray:
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        sign = -1.0 if self.mirrored else 1.0
        return np.stack(
            [self.x0 + self.scale * sign * pts[:, 0], self.ground_y - self.scale * pts[:, 1]],
            axis=1)

    def box(self, bounds) -> np.ndarray:
        """Local (x1, y1, x2, y2) → image (x1, y1, x2, y2)."""
        corners = self.points([[bounds[0], bounds[1]], [bounds[2], bounds[3]]])
        return np.array(
            [corners[:, 0].min(), corners[:, 1].min(), corners[:, 0].max(), corners[:, 1].max()])


def draw_shape(draw: ImageDraw.ImageDraw, shape: Shape, placement: Placement, fill) -> None:
    """Rasterise ``shape`` placed by ``placement`` with ``fill`` (a colour or a code)."""
    pts = placement.points(shape.points)
    r = shape.radius * placement.scale
    if shape.kind == 'poly':
        draw.polygon([tuple(p) for p in pts], fill=fill)
    elif shape.kind == 'circle':
        (cx, cy), = pts
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif shape.kind == 'ring':
        (cx, cy), = pts
        w = max(1, int(round(shape.width * placement.scale)))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=fill, width=w)
    elif shape.kind == 'capsule':
        p0, p1 = pts
        d = p1 - p0
        n = np.hypot(*d)
        if n > 1e-6:
            normal = np.array([-d[1], d[0]]) / n * r
            quad = [p0 + normal, p1 + normal, p1 - normal, p0 - normal]
            draw.polygon([tuple(p) for p in quad], fill=fill)
        for cx, cy in (p0, p1):
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    else:
        raise ValueError(f'unknown shape kind {shape.kind!r}')


def union_bounds(shapes: List[Shape]) -> np.ndarray:
    """(x1, y1, x2, y2) in local units of a list of shapes."""
    b = np.stack([s.bounds() for s in shapes])
    return np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])


def shade(color, factor: float) -> Tuple[int, int, int]:
    """``color`` scaled by ``factor`` (darker below 1), clipped to 0..255."""
    return tuple(int(np.clip(c * factor, 0, 255)) for c in color)


@dataclass
class Group:
    """A person (or none) and the objects of one placement, with its interactions.

    ``person`` holds the person's shapes (labels 1..17, canonical: the person faces +x
    and their right side is the near side); ``objects`` one shape list per object with
    its class name; ``interactions`` one dict per pair: ``object`` (index into
    ``objects``), ``actions`` (names), ``allowed_parts`` and ``required_parts`` (part
    ids that may / must be in contact, canonical side).
    """
    person: List[Shape] = field(default_factory=list)
    objects: List[Tuple[str, List[Shape]]] = field(default_factory=list)
    interactions: List[dict] = field(default_factory=list)

    def shapes(self) -> List[Shape]:
        out = list(self.person)
        for _, obj in self.objects:
            out.extend(obj)
        return out

    def bounds(self) -> np.ndarray:
        return union_bounds(self.shapes())
