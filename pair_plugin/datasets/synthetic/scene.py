"""Composition and rendering of one synthetic scene, with its PaIR annotation.

A scene has 1-3 people and 1-3 objects. Each person either interacts (a body template,
plus up to two arm templates when the arms are free) or is a distractor (standing or
walking); objects left in the budget are non-interacting distractors. Groups are laid
out left to right with gaps, so that no person touches an object they do not use.

Ground truth comes from the rendered pixels:

- boxes are the tight boxes of each person's / object's full silhouette (occluded
  parts included), in pixel-edge coordinates;
- the contact map labels a person's visible pixels that lie within ``band`` pixels of
  the object of one of their interactions, with their body part id, restricted to the
  template's allowed parts; parts with fewer than ``min_pixels`` such pixels are not
  labelled;
- a pair's ``contact_parts`` are exactly the parts it labels in the map.
"""
from dataclasses import dataclass
from typing import List, Tuple

import cv2
import numpy as np
from PIL import Image, ImageDraw

from pair_plugin.structures import flip_part_ids
from . import objects
from .background import random_background
from .body import Appearance
from .interactions import ARM_TEMPLATES, BODY_TEMPLATES
from .shapes import Group, Placement, draw_shape
from .vocabulary import SYNTHETIC_OBJECTS

#: owner-map code of an object: OBJECT_CODE + object index
OBJECT_CODE = 1_000_000
#: owner-map code of a person's part: PERSON_CODE * (person index + 1) + part id
PERSON_CODE = 100

INTERACTIVE_BODIES = ('sit_chair', 'sit_bench', 'lie_bench', 'kick_ball', 'ride_bicycle',
                      'push_bicycle', 'ride_skateboard')


class SceneRejected(Exception):
    """A drawn scene misses a required contact; the caller draws another one."""


@dataclass
class SceneSample:
    """One rendered scene.

    ``image`` (H, W, 3) uint8 RGB; ``contact_map`` (H, W) uint8 (0 none, 1..17 part);
    ``instances`` [{'bbox', 'category'}] (category is a COCO name);
    ``interactions`` [{'subject_id', 'object_id', 'actions', 'contact_parts'}].
    """
    image: np.ndarray
    contact_map: np.ndarray
    instances: List[dict]
    interactions: List[dict]


def _weighted_choice(rng, names, weights):
    w = np.asarray(weights, dtype=np.float64)
    return names[int(rng.choice(len(names), p=w / w.sum()))]


def _person_group(rng, interact: bool, budget: int, num_people: int):
    """Build one person's group; returns (group, objects used)."""
    if interact and budget > 0:
        names = [n for n in BODY_TEMPLATES if not (n == 'lie_bench' and num_people > 2)]
        body = _weighted_choice(rng, names, [BODY_TEMPLATES[n][1] for n in names])
    else:
        body = 'walk' if rng.random() < 0.4 else 'stand'
    fig, objs, inters, arms_free = BODY_TEMPLATES[body][0](rng)
    used = len(objs)
    if interact and arms_free and budget - used > 0:
        compatible = [n for n, t in ARM_TEMPLATES.items() if body in t[2]]
        want = 1 if body in ('stand', 'walk') else int(rng.random() < 0.35)
        if want and budget - used > 1 and rng.random() < 0.3:
            want = 2
        arms = [bool(rng.random() < 0.6)]
        arms.append(not arms[0])
        for near in arms[:want]:
            if not compatible:
                break
            name = _weighted_choice(rng, compatible, [ARM_TEMPLATES[n][1] for n in compatible])
            compatible.remove(name)
            if name == 'throw_ball':  # both hands cannot throw; one is enough
                compatible = [n for n in compatible if n != 'throw_ball']
            new_objs, new_inters = ARM_TEMPLATES[name][0](rng, fig, near, used)
            objs += new_objs
            inters += new_inters
            used += len(new_objs)
    group = Group(person=fig.shapes(Appearance.random(rng)), objects=objs, interactions=inters)
    return group, used


def _layout(rng, groups: List[Group], height: int, width: int) -> List[Placement]:
    """Scale and place the groups left to right, feet on a common-ish ground line."""
    bounds = [g.bounds() for g in groups]
    widths = np.array([b[2] - b[0] for b in bounds])
    heights = np.array([b[3] - min(b[1], 0.0) for b in bounds])
    jitter = rng.uniform(0.85, 1.0, size=len(groups))
    gap_min = 0.035 * width
    avail = width - gap_min * (len(groups) + 1)
    s_max = min(avail / float((widths * jitter).sum()), 0.93 * height / float(
        (heights * jitter).max()))
    scale = s_max * rng.uniform(0.72, 1.0)
    sizes = widths * jitter * scale
    free = max(width - sizes.sum() - gap_min * (len(groups) + 1), 0.0)
    gaps = gap_min + free * rng.dirichlet(np.ones(len(groups) + 1))
    base = rng.uniform(0.86, 0.98) * height
    placements = []
    left = gaps[0]
    for g, b, j, size, gap in zip(groups, bounds, jitter, sizes, gaps[1:]):
        s = scale * j
        ground = base - rng.uniform(0, 0.05) * height
        ground = min(max(ground, b[3] * s + 2), height - 1 - max(-b[1], 0) * s)
        mirrored = bool(rng.random() < 0.5)
        x0 = left + s * b[2] if mirrored else left - s * b[0]
        placements.append(Placement(scale=s, x0=x0, ground_y=ground, mirrored=mirrored))
        left += size + gap
    return placements


def _box(mask: np.ndarray) -> List[float]:
    ys, xs = np.nonzero(mask)
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]


#: the default contact band, as a fraction of a standing person's height: about 8-18 px
#: for the people of a 256-px-wide image, 4-9 cells of PGCS's stride-2 contact map
CONTACT_BAND = 0.08


def render_scene(rng: np.random.Generator,
                 height: int,
                 width: int,
                 band_frac: float = CONTACT_BAND,
                 min_pixels: int = 3) -> SceneSample:
    """Compose and render one scene (raises :class:`SceneRejected` on a bad draw).

    Args:
        rng (np.random.Generator): the scene's random stream.
        height, width (int): the image size.
        band_frac (float): the contact band, as a fraction of a standing person's
            height in pixels (at least 2 px).
        min_pixels (int): the fewest contact pixels that label a part.
    """
    num_people = int(rng.choice([1, 2, 3], p=[0.4, 0.4, 0.2]))
    budget = int(rng.integers(1, 4))
    groups, kinds = [], []
    for _ in range(num_people):
        group, used = _person_group(rng, rng.random() < 0.85, budget, num_people)
        budget -= used
        groups.append(group)
        kinds.append('person')
    num_objects = sum(len(g.objects) for g in groups)
    extra = budget if num_objects else max(budget, 1)
    for _ in range(max(extra, 0)):
        if num_objects >= 3 or rng.random() < 0.3 and num_objects > 0:
            break
        name = SYNTHETIC_OBJECTS[int(rng.integers(len(SYNTHETIC_OBJECTS)))]
        groups.append(Group(objects=[(name, objects.standalone(rng, name))]))
        kinds.append('object')
        num_objects += 1
    order = rng.permutation(len(groups))
    groups = [groups[i] for i in order]
    placements = _layout(rng, groups, height, width)

    # entities: persons and objects, with their shapes and owner codes
    canvas = Image.fromarray(random_background(rng, height, width))
    owner = Image.new('I', (width, height), 0)
    draw_img, draw_owner = ImageDraw.Draw(canvas), ImageDraw.Draw(owner)
    instances, person_ids, object_ids = [], [], []
    silhouettes = []
    draw_list = []
    for gi, (group, place) in enumerate(zip(groups, placements)):
        if group.person:
            pid = len(instances)
            person_ids.append(pid)
            instances.append(dict(category='person'))
            sil = Image.new('L', (width, height), 0)
            d = ImageDraw.Draw(sil)
            for shape in group.person:
                draw_shape(d, shape, place, 255)
                label = (flip_part_ids([shape.label])[0] if place.mirrored else shape.label)
                draw_list.append((place.ground_y, gi, shape.layer, shape, place,
                                  PERSON_CODE * (pid + 1) + label))
            silhouettes.append(np.asarray(sil) > 0)
        else:
            person_ids.append(None)
        ids = []
        for name, shapes in group.objects:
            oid = len(instances)
            ids.append(oid)
            instances.append(dict(category=name))
            sil = Image.new('L', (width, height), 0)
            d = ImageDraw.Draw(sil)
            for shape in shapes:
                draw_shape(d, shape, place, 255)
                draw_list.append((place.ground_y, gi, shape.layer, shape, place, OBJECT_CODE + oid))
            silhouettes.append(np.asarray(sil) > 0)
        object_ids.append(ids)
    # far groups (higher ground line) first, then by layer; stable within a layer
    draw_list.sort(key=lambda t: (t[0], t[1], t[2]))
    for _, _, _, shape, place, code in draw_list:
        draw_shape(draw_img, shape, place, shape.color)
        draw_shape(draw_owner, shape, place, code)
    owner = np.asarray(owner)

    for inst, sil in zip(instances, silhouettes):
        if not sil.any():
            raise SceneRejected('an instance is outside the image')
        inst['bbox'] = _box(sil)

    contact_map = np.zeros((height, width), dtype=np.uint8)
    interactions = []
    for gi, (group, place) in enumerate(zip(groups, placements)):
        pid = person_ids[gi]
        if pid is None:
            continue
        band = max(2, int(round(band_frac * place.scale)))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
        person_px = (owner // PERSON_CODE == pid + 1) & (owner < OBJECT_CODE)
        parts_px = np.where(person_px, owner % PERSON_CODE, 0)
        for inter in group.interactions:
            oid = object_ids[gi][inter['object']]
            near = cv2.dilate(silhouettes[oid].astype(np.uint8), kernel) > 0
            touching = np.where(near, parts_px, 0)
            mirror = flip_part_ids if place.mirrored else (lambda p: list(p))
            allowed = set(mirror(sorted(inter['allowed_parts'])))
            parts = []
            for part in sorted(allowed):
                px = touching == part
                if px.sum() >= min_pixels:
                    parts.append(part)
                    contact_map[px] = part
            for required in inter['required_parts']:
                if not set(mirror(sorted(required))) & set(parts):
                    raise SceneRejected(f'no contact of {sorted(required)} in {inter["actions"]}')
            interactions.append(
                dict(
                    subject_id=pid,
                    object_id=oid,
                    actions=list(inter['actions']),
                    contact_parts=sorted(parts)))

    image = np.asarray(canvas).astype(np.float32)
    if rng.random() < 0.5:
        image = cv2.GaussianBlur(image, (3, 3), rng.uniform(0.3, 0.8))
    image += rng.normal(0, rng.uniform(2, 7), size=image.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    return SceneSample(
        image=image, contact_map=contact_map, instances=instances, interactions=interactions)


def image_size(rng: np.random.Generator, img_size: int) -> Tuple[int, int]:
    """(height, width) of one scene: ``img_size`` wide, aspect 3:4 to 5:4."""
    aspect = float(rng.choice([0.75, 1.0, 1.0, 1.25]))
    return int(round(img_size * aspect)), int(img_size)


def generate_scene(rng: np.random.Generator,
                   img_size: int,
                   max_tries: int = 50,
                   band_frac: float = CONTACT_BAND) -> SceneSample:
    """Draw scenes until one satisfies every required contact.

    ``band_frac`` is the contact band of :func:`render_scene`.
    """
    height, width = image_size(rng, img_size)
    for _ in range(max_tries):
        try:
            return render_scene(rng, height, width, band_frac=band_frac)
        except SceneRejected:
            continue
    raise RuntimeError(f'no valid synthetic scene in {max_tries} tries; the '
                       f'templates are broken for img_size={img_size}')
