"""Interaction templates: a pose, an object placed against the right body parts, actions.

An action is defined by which parts touch which object: sitting on a chair puts the
butt (and thighs, and the back against the backrest) on it, drinking puts a hand and
the head on a cup, riding a bicycle puts the butt on the saddle, the hands on the
handlebar and the feet on the pedals. Each template poses the person, places the object
so that these parts touch it, and states

- ``actions``: the pair's action names (several per pair, e.g. ride + sit_on);
- ``allowed_parts``: the parts whose contact with that object counts (contact found
  elsewhere, e.g. a leg in front of a pushed bicycle's wheel, is not labelled);
- ``required_parts``: sets of parts of which at least one must really touch, checked
  on the rendered pixels (the scene is redrawn otherwise).

Body templates use the legs or the whole body (``BODY_TEMPLATES``); arm templates use
one arm (``ARM_TEMPLATES``) and combine with body templates that leave the arms free.
Part ids are canonical (the near side is the right side); mirroring swaps them.
"""
from typing import Callable, Dict, Tuple

import numpy as np

from . import objects
from .body import (BACK, BUTT, HALF_WIDTH, HEAD, HEAD_R, HIP, L_CALF, L_FOOT, L_FOREARM, L_HAND,
                   L_THIGH, LAYER_BEHIND_BODY, LAYER_FRONT, PELVIS_HALF, R_CALF, R_FOOT, R_FOREARM,
                   R_HAND, R_THIGH, STAND_HIP, TORSO_LEN, Figure, standing)

HANDS = (L_HAND, R_HAND)
FEET = (L_FOOT, R_FOOT)


def _hand_parts(near: bool):
    return (R_HAND, R_FOREARM) if near else (L_HAND, L_FOREARM)


def _interaction(obj_index, actions, allowed, required) -> dict:
    return dict(
        object=obj_index,
        actions=list(actions),
        allowed_parts=set(allowed),
        required_parts=[set(r) for r in required])


def _lap_arm(rng) -> Tuple[float, float]:
    return (rng.uniform(15, 35), rng.uniform(70, 95))


def _trunk_min_y(fig: Figure, along_up_values, fronts) -> float:
    return min(fig.trunk_point(a, f)[1] for a in along_up_values for f in fronts)


# ---- body templates: return (figure, objects, interactions, arms_free) -------------


def sit(rng, furniture: str):
    torso = rng.uniform(-6, 4)
    thigh = rng.uniform(84, 96)
    fig = Figure.posed(
        root=(0.0, 0.5),
        torso=torso,
        near_arm=_lap_arm(rng),
        far_arm=_lap_arm(rng),
        near_leg=(thigh, rng.uniform(-6, 12)),
        far_leg=(thigh + rng.uniform(-4, 4), rng.uniform(-6, 12)))
    fig.shift((0.0, -fig.lowest_y()))
    pelvis_bottom = _trunk_min_y(fig, [-PELVIS_HALF], [-HALF_WIDTH, HALF_WIDTH])
    thigh_bottom = fig.joints['near_hip'][1] - 0.037
    seat_top = min(pelvis_bottom, thigh_bottom) - 0.004
    back_x = min(
        fig.trunk_point(a, -HALF_WIDTH)[0]
        for a in np.linspace(PELVIS_HALF, PELVIS_HALF + 0.12, 5)) - 0.004
    knee_x = fig.joints['near_knee'][0]
    if furniture == 'chair':
        shapes = objects.chair(rng, back_x - 0.005, knee_x - 0.05, seat_top, back_x, layer=-1)
        allowed = (BUTT, HIP, L_THIGH, R_THIGH, BACK)
    else:
        shapes = objects.bench(
            rng,
            back_x - rng.uniform(0.05, 0.25),
            knee_x + rng.uniform(-0.02, 0.2),
            seat_top,
            layer=-1)
        allowed = (BUTT, HIP, L_THIGH, R_THIGH)
    inter = _interaction(0, ['sit_on'], allowed, [(BUTT, )])
    return fig, [(furniture, shapes)], [inter], True


def sit_chair(rng):
    return sit(rng, 'chair')


def sit_bench(rng):
    return sit(rng, 'bench')


def lie_bench(rng):

    def along():
        return (rng.uniform(80, 100), rng.uniform(85, 100))

    fig = Figure.posed(
        root=(0.0, 0.0),
        torso=-90 + rng.uniform(-3, 3),
        near_arm=along(),
        far_arm=along(),
        near_leg=(rng.uniform(86, 94), rng.uniform(86, 98)),
        far_leg=(rng.uniform(86, 94), rng.uniform(86, 98)))
    back_low = _trunk_min_y(fig, np.linspace(-PELVIS_HALF, PELVIS_HALF + TORSO_LEN, 8),
                            [-HALF_WIDTH])
    top = rng.uniform(0.18, 0.26)
    fig.shift((0.0, top + 0.004 - back_low))
    head_x = fig.head_center[0]
    knee_x = fig.joints['near_knee'][0]
    shapes = objects.bench(
        rng, head_x - rng.uniform(0.0, 0.08), knee_x + rng.uniform(-0.05, 0.1), top, layer=-1)
    inter = _interaction(0, ['lie_on'], (BACK, BUTT, HEAD, L_THIGH, R_THIGH, L_CALF, R_CALF),
                         [(BACK, )])
    return fig, [('bench', shapes)], [inter], False


def kick_ball(rng):
    kick_near = rng.random() < 0.6
    kick_thigh = rng.uniform(35, 70)
    kick = (kick_thigh, kick_thigh + rng.uniform(-10, 25))
    stance = (rng.uniform(-6, 4), rng.uniform(-8, 0))
    arms = ((rng.uniform(-40, 40), rng.uniform(-30, 60)), (rng.uniform(-40,
                                                                       40), rng.uniform(-30, 60)))
    fig = Figure.posed(
        root=(0.0, STAND_HIP),
        torso=rng.uniform(-14, 0),
        near_arm=arms[0],
        far_arm=arms[1],
        near_leg=kick if kick_near else stance,
        far_leg=stance if kick_near else kick)
    heel, toe = fig.foot_segment(not kick_near)
    fig.shift((0.0, -(min(heel[1], toe[1]) - 0.022)))
    heel, toe = fig.foot_segment(kick_near)
    fwd = (toe - heel) / np.hypot(*(toe - heel))
    center = toe + fwd * (objects.BALL_R * 0.75) + np.array([0.0, -0.01])
    shapes = objects.sports_ball(rng, center, LAYER_FRONT)
    foot, calf = (R_FOOT, R_CALF) if kick_near else (L_FOOT, L_CALF)
    inter = _interaction(0, ['kick'], (foot, calf), [(foot, )])
    return fig, [('sports ball', shapes)], [inter], True


def ride_bicycle(rng):
    bike = objects.bicycle(
        rng, (0.0, objects.WHEEL_R),
        LAYER_BEHIND_BODY,
        front_dx=rng.uniform(0.56, 0.64),
        crank_angle=rng.uniform(0, 360))
    torso = rng.uniform(15, 35)
    fig = Figure(root=np.zeros(2), torso=torso)
    # the butt (rear half of the pelvis) sits on the saddle
    fig.root = bike['saddle'] + fig.up * (PELVIS_HALF + 0.004) + fig.front * 0.04
    for near, pedal in ((True, bike['pedals'][0]), (False, bike['pedals'][1])):
        fig.reach_leg(near, pedal + np.array([-0.015, 0.04]))
    fig.reach_arm(True, bike['handlebar'] + np.array([0.0, 0.012]))
    fig.reach_arm(False, bike['handlebar'] + np.array([-0.012, 0.012]))
    inter = _interaction(0, ['ride', 'sit_on'], (BUTT, L_HAND, R_HAND, L_FOOT, R_FOOT),
                         [(BUTT, ), HANDS])
    return fig, [('bicycle', bike['shapes'])], [inter], False


def push_bicycle(rng):
    fig = standing(rng, walking=True)
    s = fig.shoulder(True)
    handlebar = s + np.array([rng.uniform(0.2, 0.27), -rng.uniform(0.22, 0.3)])
    front_dx = rng.uniform(0.56, 0.64)
    front_x = handlebar[0] + rng.uniform(0.04, 0.08)
    bike = objects.bicycle(
        rng, (front_x - front_dx, objects.WHEEL_R),
        LAYER_BEHIND_BODY,
        front_dx=front_dx,
        handlebar=handlebar,
        crank_angle=rng.uniform(0, 360))
    fig.reach_arm(True, handlebar + np.array([0.0, 0.012]))
    fig.reach_arm(False, handlebar + np.array([-0.015, 0.012]))
    inter = _interaction(0, ['push'], (L_HAND, R_HAND, L_FOREARM, R_FOREARM), [HANDS])
    return fig, [('bicycle', bike['shapes'])], [inter], False


def ride_skateboard(rng):
    spread = rng.uniform(9, 18)
    fig = Figure.posed(
        root=(0.0, STAND_HIP),
        torso=rng.uniform(-3, 10),
        near_arm=(rng.uniform(40, 85), rng.uniform(50, 110)),
        far_arm=(rng.uniform(-75, -35), rng.uniform(-70, -20)),
        near_leg=(spread, spread),
        far_leg=(-spread, -spread))
    top = objects.skateboard_top(0.0)
    fig.shift((0.0, top + 0.003 - fig.lowest_y()))
    xs = [p[0] for n in (True, False) for p in fig.foot_segment(n)]
    shapes = objects.skateboard(rng, float(np.mean(xs)), 0.0, LAYER_FRONT)
    inter = _interaction(0, ['ride', 'stand_on'], FEET, [FEET])
    return fig, [('skateboard', shapes)], [inter], True


def stand(rng):
    return standing(rng, walking=False), [], [], True


def walk(rng):
    return standing(rng, walking=True), [], [], True


#: name → (builder, weight when the person interacts, modes' arm compatibility key)
BODY_TEMPLATES: Dict[str, Tuple[Callable, float]] = {
    'sit_chair': (sit_chair, 1.2),
    'sit_bench': (sit_bench, 0.8),
    'lie_bench': (lie_bench, 0.5),
    'kick_ball': (kick_ball, 1.0),
    'ride_bicycle': (ride_bicycle, 1.0),
    'push_bicycle': (push_bicycle, 0.7),
    'ride_skateboard': (ride_skateboard, 0.9),
    'stand': (stand, 1.4),
    'walk': (walk, 0.8),
}

# ---- arm templates: (rng, fig, near, obj_index) -> (objects, interactions) ---------


def _object_layer(near: bool) -> int:
    return LAYER_FRONT if near else LAYER_BEHIND_BODY


def hold_cup(rng, fig: Figure, near: bool, idx: int):
    s = fig.shoulder(near)
    fig.reach_arm(near, s + np.array([rng.uniform(0.15, 0.24), -rng.uniform(0.08, 0.22)]))
    hand = fig.hand_center(near)
    center = hand + np.array([rng.uniform(0.015, 0.03), rng.uniform(0.0, 0.02)])
    inter = _interaction(idx, ['hold'], _hand_parts(near), [(_hand_parts(near)[0], )])
    return [('cup', objects.cup(rng, center, LAYER_FRONT))], [inter]


def drink_cup(rng, fig: Figure, near: bool, idx: int):
    center = (
        fig.head_center + fig.front * (HEAD_R + objects.CUP_W * 0.5 - 0.01) -
        fig.up * HEAD_R * 0.35)
    fig.reach_arm(near, center + np.array([-0.004, -objects.CUP_H * 0.45]))
    hand = _hand_parts(near)
    inter = _interaction(idx, ['drink_with', 'hold'], (HEAD, ) + hand, [(HEAD, ), (hand[0], )])
    return [('cup', objects.cup(rng, center, LAYER_FRONT))], [inter]


def hold_umbrella(rng, fig: Figure, near: bool, idx: int):
    s = fig.shoulder(near)
    fig.reach_arm(near, s + np.array([rng.uniform(0.08, 0.16), rng.uniform(0.0, 0.12)]))
    hand = fig.hand_center(near)
    head_top = fig.head_center[1] + HEAD_R
    tilt = rng.uniform(-15, 10)
    shaft = (head_top + 0.07 - hand[1]) / np.cos(np.deg2rad(tilt))
    shapes = objects.umbrella(rng, hand, LAYER_BEHIND_BODY, tilt=tilt, shaft=shaft)
    inter = _interaction(idx, ['hold'], _hand_parts(near), [(_hand_parts(near)[0], )])
    return [('umbrella', shapes)], [inter]


def _carrying_hand(rng, near: bool) -> float:
    """Forward offset of a carrying hand: the far one hangs behind the body, where
    it is visible."""
    return rng.uniform(0.0, 0.05) if near else -rng.uniform(0.08, 0.12)


def carry_suitcase(rng, fig: Figure, near: bool, idx: int):
    s = fig.shoulder(near)
    fig.reach_arm(near, s + np.array([_carrying_hand(rng, near), -rng.uniform(0.26, 0.29)]))
    hand = fig.hand_center(near)
    shapes = objects.suitcase(rng, hand + np.array([0.0, -0.004]), _object_layer(near))
    inter = _interaction(idx, ['carry', 'hold'], _hand_parts(near), [(_hand_parts(near)[0], )])
    return [('suitcase', shapes)], [inter]


def throw_ball(rng, fig: Figure, near: bool, idx: int):
    upper = rng.uniform(140, 175)
    fig.set_arm(near, upper, upper + rng.uniform(0, 30))
    side = 'near' if near else 'far'
    e, w = fig.joints[f'{side}_elbow'], fig.joints[f'{side}_wrist']
    d = (w - e) / np.hypot(*(w - e))
    center = fig.hand_center(near) + d * (objects.BALL_R * 0.9)
    inter = _interaction(idx, ['throw'], _hand_parts(near), [(_hand_parts(near)[0], )])
    return [('sports ball', objects.sports_ball(rng, center, _object_layer(near)))], [inter]


def hold_ball(rng, fig: Figure, near: bool, idx: int):
    s = fig.shoulder(near)
    fig.reach_arm(near, s + np.array([rng.uniform(0.13, 0.2), -rng.uniform(0.12, 0.24)]))
    center = fig.hand_center(near) + np.array([objects.BALL_R * 0.85, objects.BALL_R * 0.3])
    inter = _interaction(idx, ['hold'], _hand_parts(near), [(_hand_parts(near)[0], )])
    return [('sports ball', objects.sports_ball(rng, center, LAYER_FRONT))], [inter]


def carry_skateboard(rng, fig: Figure, near: bool, idx: int):
    s = fig.shoulder(near)
    fig.reach_arm(near, s + np.array([_carrying_hand(rng, near), -rng.uniform(0.24, 0.28)]))
    hand = fig.hand_center(near)
    bottom = max(0.01, hand[1] - rng.uniform(0.22, 0.27))
    shapes = objects.skateboard(rng, hand[0] + 0.012, bottom, _object_layer(near), vertical=True)
    inter = _interaction(idx, ['carry'], _hand_parts(near), [(_hand_parts(near)[0], )])
    return [('skateboard', shapes)], [inter]


#: name → (builder, weight, body templates it combines with)
ARM_TEMPLATES = {
    'hold_cup':
    (hold_cup, 1.0, ('stand', 'walk', 'sit_chair', 'sit_bench', 'ride_skateboard', 'kick_ball')),
    'drink_cup': (drink_cup, 1.0, ('stand', 'walk', 'sit_chair', 'sit_bench')),
    'hold_umbrella': (hold_umbrella, 0.8, ('stand', 'walk', 'sit_chair', 'sit_bench')),
    'carry_suitcase': (carry_suitcase, 0.8, ('stand', 'walk')),
    'throw_ball': (throw_ball, 0.7, ('stand', )),
    'hold_ball': (hold_ball, 0.7, ('stand', 'walk', 'sit_chair', 'sit_bench')),
    'carry_skateboard': (carry_skateboard, 0.6, ('stand', 'walk')),
}
