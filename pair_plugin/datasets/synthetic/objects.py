"""The synthetic object classes, each with a distinctive shape and palette.

Every builder returns the object's shapes in the group's local units (1 = a standing
person's height, y up, ground at 0), positioned from anchor points that the interaction
templates compute from the person's joints, or stand-alone on the ground.
"""
from typing import List

import numpy as np

from .shapes import Shape, shade

CHAIR_COLORS = [(150, 75, 30), (200, 40, 40), (40, 90, 200), (230, 200, 60), (60, 60, 60)]
BENCH_COLORS = [(139, 90, 43), (110, 70, 35), (90, 120, 60), (160, 110, 70)]
BIKE_COLORS = [(220, 30, 30), (30, 120, 220), (30, 170, 80), (240, 150, 0), (140, 40, 170)]
SKATEBOARD_COLORS = [(230, 120, 20), (30, 200, 200), (200, 30, 120), (120, 200, 40)]
CUP_COLORS = [(245, 245, 245), (220, 50, 50), (40, 100, 220), (250, 200, 30)]
UMBRELLA_COLORS = [(220, 30, 60), (30, 60, 200), (250, 180, 0), (20, 160, 120), (150, 50, 200)]
SUITCASE_COLORS = [(60, 60, 70), (20, 40, 110), (120, 20, 30), (40, 90, 60), (150, 110, 60)]

BALL_R = 0.055
CUP_W, CUP_H = 0.05, 0.065
WHEEL_R = 0.17


def _pick(rng, colors):
    return colors[rng.integers(len(colors))]


def _rect(x1, y1, x2, y2):
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float64)


def chair(rng,
          seat_x1: float,
          seat_x2: float,
          seat_top: float,
          back_x: float,
          layer: int,
          with_back: bool = True) -> List[Shape]:
    """A side-view chair: seat from ``seat_x1`` to ``seat_x2`` (top at ``seat_top``),
    two legs to the ground and a backrest whose front face is at ``back_x``."""
    c = _pick(rng, CHAIR_COLORS)
    t = 0.035
    out = [Shape('poly', _rect(seat_x1, seat_top - t, seat_x2, seat_top), c, layer=layer)]
    for x in (seat_x1 + 0.01, seat_x2 - 0.035):
        out.append(
            Shape('poly', _rect(x, 0.0, x + 0.025, seat_top - t), shade(c, 0.8), layer=layer))
    if with_back:
        out.append(
            Shape(
                'poly',
                _rect(back_x - 0.03, seat_top - t, back_x, seat_top + 0.3),
                shade(c, 0.9),
                layer=layer))
    return out


def bench(rng, x1: float, x2: float, top: float, layer: int) -> List[Shape]:
    """A long backless bench (slats) from ``x1`` to ``x2``, seat top at ``top``."""
    c = _pick(rng, BENCH_COLORS)
    t = 0.045
    out = [
        Shape('poly', _rect(x1, top - t, x2, top), c, layer=layer),
        Shape('poly', _rect(x1, top - t * 0.55, x2, top - t * 0.45), shade(c, 0.6), layer=layer)
    ]
    for x in (x1 + 0.03, x2 - 0.07):
        out.append(Shape('poly', _rect(x, 0.0, x + 0.04, top - t), (70, 70, 75), layer=layer))
    return out


def bicycle(rng,
            rear_hub,
            layer: int,
            front_dx: float = 0.6,
            saddle=None,
            handlebar=None,
            crank_angle: float = 0.0) -> dict:
    """A side-view bicycle, wheels on the ground (hubs at ``WHEEL_R``).

    Returns ``shapes`` and the anchor points ``saddle`` (top of the saddle),
    ``handlebar``, ``pedals`` (near, far).
    """
    c = _pick(rng, BIKE_COLORS)
    rx, ry = rear_hub
    rear = np.array([rx, ry])
    front = np.array([rx + front_dx, ry])
    crank = np.array([rx + 0.23, ry - 0.02])
    saddle = np.array(saddle) if saddle is not None else np.array([rx + 0.16, ry + 0.31])
    handlebar = np.array(handlebar) if handlebar is not None else np.array(
        [rx + front_dx - 0.06, ry + 0.36])
    seat_post = saddle - np.array([0.0, 0.02])
    head_tube = handlebar + (front - handlebar) * 0.25
    tire = (35, 35, 35)
    r = 0.013
    shapes = [
        Shape('ring', np.array([rear]), tire, layer=layer, radius=WHEEL_R, width=0.028),
        Shape('ring', np.array([front]), tire, layer=layer, radius=WHEEL_R, width=0.028),
        Shape('capsule', np.array([rear, crank]), c, layer=layer, radius=r),
        Shape('capsule', np.array([rear, seat_post]), c, layer=layer, radius=r),
        Shape('capsule', np.array([crank, seat_post]), c, layer=layer, radius=r),
        Shape('capsule', np.array([crank, head_tube]), c, layer=layer, radius=r),
        Shape('capsule', np.array([seat_post, head_tube]), c, layer=layer, radius=r),
        Shape('capsule', np.array([front, handlebar]), shade(c, 0.8), layer=layer, radius=r),
        Shape(
            'poly',
            np.array([
                saddle + [-0.045, 0.0], saddle + [0.05, 0.0], saddle + [0.03, -0.022],
                saddle + [-0.04, -0.02]
            ]), (25, 25, 25),
            layer=layer),
        Shape(
            'capsule',
            np.array([handlebar + [-0.035, 0.012], handlebar + [0.01, 0.0]]), (30, 30, 30),
            layer=layer,
            radius=0.014),
    ]
    a = np.deg2rad(crank_angle)
    arm = 0.07 * np.array([np.cos(a), np.sin(a)])
    pedals = (crank + arm, crank - arm)
    for p in pedals:
        shapes.append(
            Shape('capsule', np.array([crank, p]), (90, 90, 90), layer=layer, radius=0.008))
        shapes.append(
            Shape(
                'poly',
                _rect(p[0] - 0.03, p[1] - 0.01, p[0] + 0.03, p[1] + 0.005), (20, 20, 20),
                layer=layer))
    return dict(
        shapes=shapes, saddle=saddle, handlebar=handlebar, pedals=pedals, rear=rear, front=front)


def sports_ball(rng, center, layer: int, radius: float = BALL_R) -> List[Shape]:
    """A football (white with dark patches) or a basketball (orange, dark seams)."""
    center = np.asarray(center, dtype=np.float64)
    if rng.random() < 0.5:
        out = [Shape('circle', np.array([center]), (245, 245, 245), layer=layer, radius=radius)]
        for t in np.deg2rad([90, 210, 330]):
            p = center + 0.55 * radius * np.array([np.cos(t), np.sin(t)])
            out.append(
                Shape('circle', np.array([p]), (30, 30, 30), layer=layer, radius=radius * 0.28))
        out.append(
            Shape('circle', np.array([center]), (30, 30, 30), layer=layer, radius=radius * 0.25))
        return out
    out = [Shape('circle', np.array([center]), (235, 110, 25), layer=layer, radius=radius)]
    out.append(
        Shape(
            'poly',
            _rect(center[0] - radius * 0.95, center[1] - 0.004, center[0] + radius * 0.95,
                  center[1] + 0.004), (60, 30, 10),
            layer=layer))
    out.append(
        Shape(
            'poly',
            _rect(center[0] - 0.004, center[1] - radius * 0.95, center[0] + 0.004,
                  center[1] + radius * 0.95), (60, 30, 10),
            layer=layer))
    return out


def skateboard(rng,
               center_x: float,
               bottom: float,
               layer: int,
               vertical: bool = False) -> List[Shape]:
    """A deck with two wheels; lying on ``bottom`` or standing on its tail."""
    c = _pick(rng, SKATEBOARD_COLORS)
    length, t, wr = 0.4, 0.022, 0.022
    if vertical:
        x = center_x
        return [
            Shape(
                'capsule',
                np.array([[x, bottom + t], [x, bottom + length]]),
                c,
                layer=layer,
                radius=t / 2 + 0.004),
            Shape(
                'circle',
                np.array([[x + 0.03, bottom + 0.08]]), (40, 40, 40),
                layer=layer,
                radius=wr),
            Shape(
                'circle',
                np.array([[x + 0.03, bottom + length - 0.08]]), (40, 40, 40),
                layer=layer,
                radius=wr),
        ]
    y = bottom + 2 * wr
    return [
        Shape(
            'circle',
            np.array([[center_x - length * 0.32, bottom + wr]]), (40, 40, 40),
            layer=layer,
            radius=wr),
        Shape(
            'circle',
            np.array([[center_x + length * 0.32, bottom + wr]]), (40, 40, 40),
            layer=layer,
            radius=wr),
        Shape(
            'capsule',
            np.array([[center_x - length / 2, y + t / 2], [center_x + length / 2, y + t / 2]]),
            c,
            layer=layer,
            radius=t / 2 + 0.003),
    ]


def skateboard_top(bottom: float) -> float:
    """The y of a lying skateboard's deck top when it stands on ``bottom``."""
    return bottom + 2 * 0.022 + 0.022 + 0.003


def cup(rng, center, layer: int) -> List[Shape]:
    """A mug: a slightly tapered body and a handle on its rear side."""
    c = _pick(rng, CUP_COLORS)
    x, y = center
    w, h = CUP_W, CUP_H
    body = np.array([[x - w / 2, y + h / 2], [x + w / 2, y + h / 2], [x + w * 0.4, y - h / 2],
                     [x - w * 0.4, y - h / 2]])
    return [
        Shape(
            'ring',
            np.array([[x - w / 2, y + 0.003]]),
            shade(c, 0.8),
            layer=layer,
            radius=0.02,
            width=0.008),
        Shape('poly', body, c, layer=layer),
        Shape(
            'poly',
            _rect(x - w / 2, y + h / 2 - 0.01, x + w / 2, y + h / 2),
            shade(c, 0.75),
            layer=layer),
    ]


def umbrella(rng, hand, layer: int, tilt: float = 0.0, shaft: float = 0.36) -> List[Shape]:
    """An open umbrella held at ``hand``: a shaft up to a scalloped canopy."""
    c = _pick(rng, UMBRELLA_COLORS)
    hand = np.asarray(hand, dtype=np.float64)
    a = np.deg2rad(tilt)
    up = np.array([np.sin(a), np.cos(a)])
    side = np.array([up[1], -up[0]])
    top = hand + up * shaft
    r = 0.24
    ts = np.linspace(0, np.pi, 15)
    arc = [top + r * (np.cos(t) * side + np.sin(t) * up * 0.55) for t in ts]
    scallops = [top + side * (r - 2 * r * k / 4) - up * 0.02 for k in range(5)]
    canopy = np.array(arc + scallops[::-1][1:-1])
    return [
        Shape(
            'capsule', np.array([hand - up * 0.05, top]), (50, 50, 50), layer=layer, radius=0.008),
        Shape(
            'ring',
            np.array([hand - up * 0.05 - side * 0.02]), (50, 50, 50),
            layer=layer,
            radius=0.02,
            width=0.01),
        Shape('poly', canopy, c, layer=layer),
        Shape(
            'capsule', np.array([top, top + up * 0.03]), shade(c, 0.6), layer=layer, radius=0.007),
    ]


def suitcase(rng, handle, layer: int) -> List[Shape]:
    """A hard suitcase whose handle (top centre) is at ``handle``."""
    c = _pick(rng, SUITCASE_COLORS)
    x, y = handle
    w, h = 0.2, 0.22
    top = y - 0.035
    return [
        Shape(
            'ring',
            np.array([[x, top + 0.005]]), (30, 30, 30),
            layer=layer,
            radius=0.03,
            width=0.012),
        Shape('poly', _rect(x - w / 2, top - h, x + w / 2, top), c, layer=layer),
        Shape(
            'poly',
            _rect(x - w / 2, top - h * 0.55, x + w / 2, top - h * 0.5),
            shade(c, 0.6),
            layer=layer),
        Shape(
            'poly',
            _rect(x - w / 2 + 0.02, top - h - 0.015, x - w / 2 + 0.05, top - h), (20, 20, 20),
            layer=layer),
        Shape(
            'poly',
            _rect(x + w / 2 - 0.05, top - h - 0.015, x + w / 2 - 0.02, top - h), (20, 20, 20),
            layer=layer),
    ]


def standalone(rng, name: str, layer: int = 0) -> List[Shape]:
    """An object alone on the ground, centred on x = 0 (a distractor)."""
    if name == 'chair':
        return chair(rng, -0.12, 0.12, 0.22, -0.12, layer)
    if name == 'bench':
        return bench(rng, -0.3, 0.3, 0.2, layer)
    if name == 'bicycle':
        return bicycle(rng, (-0.3, WHEEL_R), layer)['shapes']
    if name == 'sports ball':
        return sports_ball(rng, (0.0, BALL_R), layer)
    if name == 'skateboard':
        return skateboard(rng, 0.0, 0.0, layer)
    if name == 'cup':
        return cup(rng, (0.0, CUP_H / 2), layer)
    if name == 'umbrella':
        return umbrella(rng, (0.0, 0.06), layer, tilt=rng.uniform(-20, 20))
    if name == 'suitcase':
        return suitcase(rng, (0.0, 0.22 + 0.035), layer)
    raise KeyError(f'no synthetic object {name!r}')
