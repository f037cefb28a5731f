"""Hand-made PaIR datasets for the data tests (imported by name: tests have no packages)."""
import copy
import json
import os
import os.path as osp

import numpy as np
from PIL import Image

#: a small vocabulary: 3 objects (person first) and 4 actions
METAINFO = dict(
    objects=['person', 'cup', 'chair'],
    actions=['hold', 'drink_with', 'sit_on', 'carry'],
    hoi_categories=[[0, 1], [1, 1], [2, 2], [3, 2]])

#: image 1: 60x40, two people, a cup and a chair, two pairs, a contact mask
IMAGE_1 = dict(
    id=1,
    file_name='images/a.png',
    width=60,
    height=40,
    contact_mask='masks/a.png',
    instances=[
        dict(bbox=[2, 3, 20, 38], category_id=0),
        dict(bbox=[12, 10, 18, 16], category_id=1),
        dict(bbox=[30, 5, 50, 39], category_id=0),
        dict(bbox=[28, 20, 58, 40], category_id=2)
    ],
    interactions=[
        dict(subject_id=0, object_id=1, action_ids=[0, 1], contact_parts=[1, 6]),
        dict(subject_id=2, object_id=3, action_ids=[2], contact_parts=[10, 12])
    ])
#: image 2: 30x20, one person and a chair, no contact annotation
IMAGE_2 = dict(
    id=2,
    file_name='images/b.png',
    width=30,
    height=20,
    contact_mask=None,
    instances=[dict(bbox=[0, 0, 10, 20], category_id=0),
               dict(bbox=[5, 10, 30, 20], category_id=2)],
    interactions=[dict(subject_id=0, object_id=1, action_ids=[2], contact_parts=[15])])
#: image 3: 30x20, nobody interacts
IMAGE_3 = dict(
    id=3,
    file_name='images/c.png',
    width=30,
    height=20,
    contact_mask=None,
    instances=[dict(bbox=[1, 1, 5, 5], category_id=1)],
    interactions=[])


def image_1_mask() -> np.ndarray:
    """The contact mask of image 1: head (1), left hand (6), butt (10), left thigh (12),
    a not-annotated patch (255) and one right-foot pixel (17) that no pair lists."""
    mask = np.zeros((40, 60), dtype=np.uint8)
    mask[5:8, 14:17] = 1
    mask[12:14, 10:13] = 6
    mask[25:28, 32:40] = 10
    mask[30:33, 40:48] = 12
    mask[0:2, 0:3] = 255
    mask[39, 59] = 17
    return mask


def image_pixels(width: int, height: int) -> np.ndarray:
    """An RGB image whose pixels encode their coordinates (x in R, y in G)."""
    img = np.zeros((height, width, 3), dtype=np.uint8)
    img[..., 0] = np.arange(width)[None, :] * 4
    img[..., 1] = np.arange(height)[:, None] * 5
    img[..., 2] = 77
    return img


def write_dataset(root, images=None, metainfo=METAINFO, split='train', masks=None) -> str:
    """Write an annotation file, its images and masks under ``root``; returns the
    annotation path. ``masks`` maps mask paths to arrays (default: image 1's mask)."""
    root = str(root)
    images = copy.deepcopy(images if images is not None else [IMAGE_1, IMAGE_2, IMAGE_3])
    for img in images:
        path = osp.join(root, img['file_name'])
        _mkdir(path)
        Image.fromarray(image_pixels(img['width'], img['height'])).save(path)
    masks = masks if masks is not None else {'masks/a.png': image_1_mask()}
    for rel, arr in masks.items():
        path = osp.join(root, rel)
        _mkdir(path)
        Image.fromarray(arr).save(path)
    ann = dict(images=images)
    if metainfo is not None:
        ann = dict(metainfo=metainfo, images=images)
    ann_file = osp.join(root, 'annotations', f'{split}.json')
    _mkdir(ann_file)
    with open(ann_file, 'w') as f:
        json.dump(ann, f)
    return ann_file


def _mkdir(path):
    os.makedirs(osp.dirname(path), exist_ok=True)


def edit_annotation(ann_file: str, edit) -> None:
    """Rewrite an annotation file after ``edit(ann_dict)`` changed it in place."""
    with open(ann_file) as f:
        ann = json.load(f)
    edit(ann)
    with open(ann_file, 'w') as f:
        json.dump(ann, f)
