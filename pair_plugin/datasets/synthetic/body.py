"""A stylised person drawn as the 17 body-part regions, posed by joint angles or IK.

Local units: 1 = standing height, y up, the person faces +x (profile view). The near
side, drawn over the body, is the person's right side; the far side (left) is drawn
behind it, slightly offset and darker. Mirroring a placed figure (and swapping the
left/right labels) gives a person facing -x whose near side is their left.

Angles are in degrees from straight down, positive towards the facing direction:
0 = hanging down, 90 = pointing forward, 180 = straight up, negative = backward.
"""
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

import numpy as np

from .shapes import Shape, shade

# body dimensions, in standing heights
HEAD_R = 0.068
TORSO_LEN = 0.28
HALF_WIDTH = 0.075  # half depth of torso and pelvis (profile view)
PELVIS_HALF = 0.045  # half length of the pelvis along the spine
UPPER_ARM, FOREARM, HAND_R = 0.15, 0.14, 0.03
THIGH, CALF = 0.22, 0.21
RAD_UPPER_ARM, RAD_FOREARM = 0.027, 0.023
RAD_THIGH, RAD_CALF, RAD_FOOT = 0.037, 0.031, 0.022
FOOT_LEN = 0.07
FAR_OFFSET = 0.028  # far limbs sit this much behind the near ones
#: the standing hip height: legs straight down, plus the foot's thickness
STAND_HIP = THIGH + CALF + RAD_FOOT + 0.012

# part ids (canonical: near = right)
HEAD, CHEST, BACK = 1, 2, 3
L_UPPER_ARM, L_FOREARM, L_HAND = 4, 5, 6
R_UPPER_ARM, R_FOREARM, R_HAND = 7, 8, 9
BUTT, HIP = 10, 11
L_THIGH, L_CALF, L_FOOT = 12, 13, 14
R_THIGH, R_CALF, R_FOOT = 15, 16, 17
NEAR_ARM = (R_UPPER_ARM, R_FOREARM, R_HAND)
FAR_ARM = (L_UPPER_ARM, L_FOREARM, L_HAND)
NEAR_LEG = (R_THIGH, R_CALF, R_FOOT)
FAR_LEG = (L_THIGH, L_CALF, L_FOOT)

# drawing layers within a group
LAYER_FAR_LIMBS = 0
LAYER_BEHIND_BODY = 1  # objects the body occludes (a bicycle being pushed)
LAYER_BODY = 2
LAYER_HEAD = 3
LAYER_NEAR_LEG = 4
LAYER_BETWEEN = 5  # objects between the legs and the near arm (a bicycle frame)
LAYER_NEAR_ARM = 6
LAYER_FRONT = 7  # objects in front of everything (a cup in hand)


def direction(angle_deg: float) -> np.ndarray:
    """Unit vector of a limb angle (0 = down, +90 = forward (+x))."""
    a = np.deg2rad(angle_deg)
    return np.array([np.sin(a), -np.cos(a)])


def angle_of(vec) -> float:
    """The limb angle of a vector (inverse of :func:`direction`)."""
    return float(np.rad2deg(np.arctan2(vec[0], -vec[1])))


def two_link(base, target, len1: float, len2: float, bend_towards) -> Tuple[np.ndarray, np.ndarray]:
    """Two-segment inverse kinematics: (joint, end) reaching ``target`` from ``base``.

    An out-of-reach target is approached as close as the segments allow; of the two
    solutions, the one whose joint lies further along ``bend_towards`` is taken.
    """
    base = np.asarray(base, dtype=np.float64)
    d = np.asarray(target, dtype=np.float64) - base
    dist = float(np.clip(np.hypot(*d), abs(len1 - len2) + 1e-4, len1 + len2 - 1e-4))
    u = d / max(np.hypot(*d), 1e-9)
    cos_b = (len1**2 + dist**2 - len2**2) / (2 * len1 * dist)
    b = np.arccos(np.clip(cos_b, -1, 1))
    best = None
    for sign in (1, -1):
        c, s = np.cos(sign * b), np.sin(sign * b)
        v = np.array([c * u[0] - s * u[1], s * u[0] + c * u[1]])
        joint = base + v * len1
        score = float(np.dot(joint - base, bend_towards))
        if best is None or score > best[0]:
            best = (score, joint)
    joint = best[1]
    end = base + u * dist
    end = joint + (end - joint) / max(np.hypot(*(end - joint)), 1e-9) * len2
    return joint, end


@dataclass
class Appearance:
    """Colours of one person (RGB)."""
    skin: Tuple[int, int, int]
    hair: Tuple[int, int, int]
    shirt: Tuple[int, int, int]
    pants: Tuple[int, int, int]
    shoes: Tuple[int, int, int]
    long_sleeves: bool = False

    @classmethod
    def random(cls, rng: np.random.Generator) -> 'Appearance':
        skins = [(241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172),
                 (180, 120, 80)]
        hairs = [(40, 30, 20), (90, 60, 30), (20, 20, 20), (200, 170, 90), (120, 50, 20)]

        def vivid():
            hsv = np.array([rng.uniform(0, 1), rng.uniform(0.45, 0.9), rng.uniform(0.4, 0.95)])
            return _hsv_to_rgb(*hsv)

        return cls(
            skin=skins[rng.integers(len(skins))],
            hair=hairs[rng.integers(len(hairs))],
            shirt=vivid(),
            pants=shade(vivid(), 0.7),
            shoes=shade(vivid(), 0.35),
            long_sleeves=bool(rng.random() < 0.4))


def _hsv_to_rgb(h, s, v) -> Tuple[int, int, int]:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return int(r * 255), int(g * 255), int(b * 255)


@dataclass
class Figure:
    """A posed person: joint positions in local units, then :meth:`shapes`.

    Build with :meth:`posed` (angles) and adjust limbs with :meth:`reach_arm` /
    :meth:`reach_leg` (IK to a point). ``root`` is the pelvis centre, ``torso`` the
    spine's angle from vertical (positive leans forward).
    """
    root: np.ndarray
    torso: float
    joints: Dict[str, np.ndarray] = field(default_factory=dict)

    # ---- frame of the trunk ------------------------------------------------------
    @property
    def up(self) -> np.ndarray:
        a = np.deg2rad(self.torso)
        return np.array([np.sin(a), np.cos(a)])

    @property
    def front(self) -> np.ndarray:
        a = np.deg2rad(self.torso)
        return np.array([np.cos(a), -np.sin(a)])

    def trunk_point(self, along_up: float, along_front: float) -> np.ndarray:
        return self.root + self.up * along_up + self.front * along_front

    @property
    def head_center(self) -> np.ndarray:
        return self.trunk_point(PELVIS_HALF + TORSO_LEN + 0.022 + HEAD_R, 0.006)

    def shoulder(self, near: bool) -> np.ndarray:
        s = self.trunk_point(PELVIS_HALF + TORSO_LEN - 0.035, 0.0)
        return s if near else s - self.front * FAR_OFFSET

    def hip_joint(self, near: bool) -> np.ndarray:
        h = self.trunk_point(-0.008, 0.01)
        return h if near else h - self.front * FAR_OFFSET

    # ---- posing ------------------------------------------------------------------
    @classmethod
    def posed(cls, root, torso: float, near_arm, far_arm, near_leg, far_leg) -> 'Figure':
        """A figure from limb angles ``(upper, lower)`` for each limb."""
        fig = cls(root=np.asarray(root, dtype=np.float64), torso=torso)
        fig.set_arm(True, *near_arm)
        fig.set_arm(False, *far_arm)
        fig.set_leg(True, *near_leg)
        fig.set_leg(False, *far_leg)
        return fig

    def set_arm(self, near: bool, upper: float, lower: float) -> None:
        side = 'near' if near else 'far'
        s = self.shoulder(near)
        e = s + direction(upper) * UPPER_ARM
        w = e + direction(lower) * FOREARM
        self.joints.update({f'{side}_shoulder': s, f'{side}_elbow': e, f'{side}_wrist': w})

    def set_leg(self, near: bool, upper: float, lower: float) -> None:
        side = 'near' if near else 'far'
        h = self.hip_joint(near)
        k = h + direction(upper) * THIGH
        a = k + direction(lower) * CALF
        self.joints.update({f'{side}_hip': h, f'{side}_knee': k, f'{side}_ankle': a})

    def reach_arm(self, near: bool, hand_target) -> None:
        """Place the hand's centre at ``hand_target`` (elbow bends down/back)."""
        side = 'near' if near else 'far'
        s = self.shoulder(near)
        target = np.asarray(hand_target, dtype=np.float64)
        # the wrist sits HAND_R before the hand's centre, along the forearm
        e, w = two_link(
            s, target, UPPER_ARM, FOREARM + HAND_R * 0.8, bend_towards=np.array([-0.4, -1.0]))
        w = e + (w - e) / np.hypot(*(w - e)) * FOREARM
        self.joints.update({f'{side}_shoulder': s, f'{side}_elbow': e, f'{side}_wrist': w})

    def reach_leg(self, near: bool, ankle_target) -> None:
        """Place the ankle at ``ankle_target`` (knee bends forward)."""
        side = 'near' if near else 'far'
        h = self.hip_joint(near)
        k, a = two_link(h, ankle_target, THIGH, CALF, bend_towards=np.array([1.0, 0.3]))
        self.joints.update({f'{side}_hip': h, f'{side}_knee': k, f'{side}_ankle': a})

    def hand_center(self, near: bool) -> np.ndarray:
        side = 'near' if near else 'far'
        e, w = self.joints[f'{side}_elbow'], self.joints[f'{side}_wrist']
        return w + (w - e) / np.hypot(*(w - e)) * HAND_R * 0.8

    def foot_segment(self, near: bool) -> Tuple[np.ndarray, np.ndarray]:
        """(heel, toe) centres of the foot capsule."""
        side = 'near' if near else 'far'
        k, a = self.joints[f'{side}_knee'], self.joints[f'{side}_ankle']
        calf_angle = angle_of(a - k)
        heel = a + direction(calf_angle) * 0.012 - direction(calf_angle + 90) * 0.01
        toe = heel + direction(calf_angle + 90) * FOOT_LEN
        return heel, toe

    def lowest_y(self) -> float:
        """The lowest y of the feet (to stand the figure on the ground)."""
        ys = [min(self.foot_segment(n)[0][1], self.foot_segment(n)[1][1]) for n in (True, False)]
        return min(ys) - RAD_FOOT

    def shift(self, delta) -> None:
        """Translate the whole figure."""
        delta = np.asarray(delta, dtype=np.float64)
        self.root = self.root + delta
        for k in self.joints:
            self.joints[k] = self.joints[k] + delta

    # ---- rendering ---------------------------------------------------------------
    def shapes(self, look: Appearance) -> list:
        """The labelled shapes (canonical part ids, near = right side)."""
        out = []
        far_dim = 0.72
        for near in (False, True):
            side = 'near' if near else 'far'
            dim = 1.0 if near else far_dim
            upper_id, fore_id, hand_id = NEAR_ARM if near else FAR_ARM
            thigh_id, calf_id, foot_id = NEAR_LEG if near else FAR_LEG
            arm_layer = LAYER_NEAR_ARM if near else LAYER_FAR_LIMBS
            leg_layer = LAYER_NEAR_LEG if near else LAYER_FAR_LIMBS
            s, e, w = (self.joints[f'{side}_shoulder'], self.joints[f'{side}_elbow'],
                       self.joints[f'{side}_wrist'])
            h, k, a = (self.joints[f'{side}_hip'], self.joints[f'{side}_knee'],
                       self.joints[f'{side}_ankle'])
            heel, toe = self.foot_segment(near)
            sleeve = look.shirt
            fore_color = look.shirt if look.long_sleeves else look.skin
            out += [
                Shape('capsule', np.array([h, k]), shade(look.pants, dim), thigh_id, leg_layer,
                      RAD_THIGH),
                Shape('capsule', np.array([k, a]), shade(look.pants, dim * 0.9), calf_id, leg_layer,
                      RAD_CALF),
                Shape('capsule', np.array([heel, toe]), shade(look.shoes, dim), foot_id, leg_layer,
                      RAD_FOOT),
                Shape('capsule', np.array([s, e]), shade(sleeve, dim), upper_id, arm_layer,
                      RAD_UPPER_ARM),
                Shape('capsule', np.array([e, w]), shade(fore_color, dim), fore_id, arm_layer,
                      RAD_FOREARM),
                Shape('circle', np.array([self.hand_center(near)]), shade(look.skin, dim * 0.95),
                      hand_id, arm_layer, HAND_R),
            ]
        # pelvis: butt (rear) and hip (front); trunk: back (rear) and chest (front)
        split_pelvis, split_torso = -0.012, -0.03
        tp = self.trunk_point
        out.append(
            Shape(
                'poly',
                np.array([
                    tp(-PELVIS_HALF, -HALF_WIDTH),
                    tp(-PELVIS_HALF, split_pelvis),
                    tp(PELVIS_HALF, split_pelvis),
                    tp(PELVIS_HALF, -HALF_WIDTH)
                ]), shade(look.pants, 0.85), BUTT, LAYER_BODY))
        out.append(
            Shape(
                'poly',
                np.array([
                    tp(-PELVIS_HALF, split_pelvis),
                    tp(-PELVIS_HALF, HALF_WIDTH),
                    tp(PELVIS_HALF, HALF_WIDTH),
                    tp(PELVIS_HALF, split_pelvis)
                ]), look.pants, HIP, LAYER_BODY))
        top = PELVIS_HALF + TORSO_LEN
        out.append(
            Shape(
                'poly',
                np.array([
                    tp(PELVIS_HALF, -HALF_WIDTH),
                    tp(PELVIS_HALF, split_torso),
                    tp(top, split_torso),
                    tp(top - 0.02, -HALF_WIDTH)
                ]), shade(look.shirt, 0.82), BACK, LAYER_BODY))
        out.append(
            Shape(
                'poly',
                np.array([
                    tp(PELVIS_HALF, split_torso),
                    tp(PELVIS_HALF, HALF_WIDTH * 0.9),
                    tp(top - 0.03, HALF_WIDTH),
                    tp(top, HALF_WIDTH * 0.6),
                    tp(top, split_torso)
                ]), look.shirt, CHEST, LAYER_BODY))
        # neck and head (the neck counts as head), hair at the back, an eye in front
        hc = self.head_center
        out.append(
            Shape('capsule', np.array([tp(top - 0.01, 0.0),
                                       tp(top + 0.03, 0.005)]), look.skin, HEAD, LAYER_HEAD, 0.025))
        out.append(Shape('circle', np.array([hc]), look.skin, HEAD, LAYER_HEAD, HEAD_R))
        hair = [
            hc + HEAD_R * 1.02 * np.array([np.cos(t), np.sin(t)])
            for t in np.deg2rad(np.linspace(60, 200, 12)) + np.deg2rad(-self.torso)
        ]
        out.append(
            Shape('poly', np.array(hair + [hc + self.up * 0.01]), look.hair, HEAD, LAYER_HEAD))
        eye = hc + self.front * HEAD_R * 0.5 + self.up * HEAD_R * 0.2
        out.append(Shape('circle', np.array([eye]), (25, 25, 25), HEAD, LAYER_HEAD, HEAD_R * 0.14))
        return out


def standing(rng: np.random.Generator,
             walking: bool = False,
             arms: Optional[Tuple[tuple, tuple]] = None) -> Figure:
    """A standing (or walking) figure with its feet on the ground (y = 0)."""
    if walking:
        stride = rng.uniform(15, 30)
        near_leg = (stride, stride - rng.uniform(0, 10))
        far_leg = (-stride * 0.8, -stride * 0.8 - rng.uniform(10, 25))
    else:
        spread = rng.uniform(0, 8)
        near_leg, far_leg = (spread, spread), (-spread, -spread)
    if arms is None:
        arms = (rest_arm(rng, walking, near=True), rest_arm(rng, walking, False))
    fig = Figure.posed(
        root=(0.0, STAND_HIP),
        torso=rng.uniform(-4, 6),
        near_arm=arms[0],
        far_arm=arms[1],
        near_leg=near_leg,
        far_leg=far_leg)
    fig.shift((0.0, -fig.lowest_y()))
    return fig


def rest_arm(rng: np.random.Generator,
             walking: bool = False,
             near: bool = True) -> Tuple[float, float]:
    """An idle arm: hanging, swinging, or (rarely) waving."""
    if rng.random() < 0.1:
        return (rng.uniform(120, 160), rng.uniform(160, 190))
    swing = rng.uniform(-25, 25) if walking else rng.uniform(-10, 15)
    return (swing, swing + rng.uniform(0, 30))
