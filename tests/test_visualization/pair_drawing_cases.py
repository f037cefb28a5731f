"""Hand-made PaIR data samples with known geometry, shared by the drawing tests."""
import itertools

import numpy as np
import torch
from mmengine.structures import InstanceData, PixelData

from pair_plugin.structures import PART_PALETTE, PaIRDataSample

#: image size of the hand-made samples
HEIGHT, WIDTH = 240, 320
GRAY = 100
HUMAN_BOX = [20., 30., 150., 220.]
OBJECT_BOX = [180., 100., 290., 200.]
#: part id -> (y1, y2, x1, x2) of a block of that part in the contact map, away from
#: box edges and from the labels at the top left of the boxes
PART_BLOCKS = {6: (150, 190, 60, 120), 9: (140, 180, 220, 270)}
META = dict(
    objects=('person', 'umbrella', 'bicycle'),
    classes=('person', 'umbrella', 'bicycle'),
    actions=('hold', 'ride', 'carry'))

_names = itertools.count()


def unique_name() -> str:
    """A fresh visualizer instance name (mmengine keeps instances by name)."""
    return f'vis_test_{next(_names)}'


def contact_map(blocks=PART_BLOCKS, shape=(HEIGHT, WIDTH)) -> np.ndarray:
    seg = np.zeros(shape, dtype=np.int64)
    for part, (y1, y2, x1, x2) in blocks.items():
        seg[y1:y2, x1:x2] = part
    return seg


def blended(part: int, alpha: float, gray: int = GRAY) -> np.ndarray:
    """What a part pixel over the gray image must look like."""
    return np.round((1 - alpha) * gray + alpha * PART_PALETTE[part].astype(float))


def pred_sample(scores=(0.9, 0.8, 0.1), with_map=True) -> PaIRDataSample:
    """Three predicted triplets, all on the same human and object boxes: hold and carry
    the umbrella (above 0.3), and ride it (below 0.3)."""
    sample = PaIRDataSample(metainfo=dict(ori_shape=(HEIGHT, WIDTH)))
    k = len(scores)
    sample.pred_hois = InstanceData(
        subject_bboxes=torch.tensor([HUMAN_BOX] * k),
        object_bboxes=torch.tensor([OBJECT_BOX] * k),
        object_labels=torch.tensor([1] * k),
        action_labels=torch.tensor([0, 2, 1][:k]),
        scores=torch.tensor(scores))
    if with_map:
        sample.pred_sem_seg = PixelData(sem_seg=torch.from_numpy(contact_map())[None])
        parts = torch.zeros(17)
        parts[5], parts[8] = 0.75, 0.5
        sample.pred_parts = parts
    return sample


def gt_sample(human_box=(40., 50., 120., 200.),
              object_box=(200., 60., 300., 150.), blocks=None) -> PaIRDataSample:
    """One ground-truth pair (person 0 rides bicycle 1) with a contact map."""
    sample = PaIRDataSample(metainfo=dict(ori_shape=(HEIGHT, WIDTH)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([human_box, object_box]), labels=torch.tensor([0, 2]))
    sample.gt_pairs = InstanceData(
        subject_ids=torch.tensor([0]),
        object_ids=torch.tensor([1]),
        actions=torch.tensor([[0., 1., 0.]]),
        contact_parts=torch.zeros(1, 17))
    seg = contact_map(blocks or {12: (170, 190, 60, 100)})
    sample.gt_sem_seg = PixelData(sem_seg=torch.from_numpy(seg)[None])
    return sample


def gray_image(shape=(HEIGHT, WIDTH)) -> np.ndarray:
    return np.full((*shape, 3), GRAY, dtype=np.uint8)


def colour_mask(img: np.ndarray, rgb, tol: int = 2) -> np.ndarray:
    """Pixels of ``img`` within ``tol`` of colour ``rgb`` in every channel."""
    return (np.abs(img.astype(int) - np.asarray(rgb, dtype=int)) <= tol).all(-1)


def is_red(img):
    return (img[..., 0] > 200) & (img[..., 1] < 80) & (img[..., 2] < 80)


def is_green(img):
    return (img[..., 1] > 200) & (img[..., 0] < 80) & (img[..., 2] < 80)


def edge_band(box, shape=(HEIGHT, WIDTH), half_width: float = 4.0) -> np.ndarray:
    """Pixels whose centre lies within ``half_width`` of the outline of ``box``."""
    x1, y1, x2, y2 = box
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    inside_x = (xs >= x1 - half_width) & (xs <= x2 + half_width)
    inside_y = (ys >= y1 - half_width) & (ys <= y2 + half_width)
    near_x = (np.abs(xs - x1) <= half_width) | (np.abs(xs - x2) <= half_width)
    near_y = (np.abs(ys - y1) <= half_width) | (np.abs(ys - y2) <= half_width)
    near_v = near_x & inside_y
    near_h = near_y & inside_x
    return near_v | near_h


def outline_hits(mask: np.ndarray, box) -> float:
    """Share of the points on the exact outline of ``box`` that ``mask`` covers."""
    x1, y1, x2, y2 = [int(round(v)) for v in box]
    xs = np.arange(x1 + 3, x2 - 3)
    ys = np.arange(y1 + 3, y2 - 3)
    points = [(y1, x) for x in xs] + [(y2 - 1, x) for x in xs] + \
        [(y, x1) for y in ys] + [(y, x2 - 1) for y in ys]
    hits = sum(bool(mask[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2].any()) for y, x in points)
    return hits / len(points)
