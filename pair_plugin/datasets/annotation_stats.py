"""Statistics of a training annotation file that the metrics need.

- :func:`count_hoi_instances`: training instances per (action, object) HOI category, for
  HOI mAP's rare (< 10 instances) / non-rare split.
- :func:`count_part_images`: per body part, the number of training images whose contact
  mask contains that part, for the contact metric's wIoU weights.

Both validate the file first (:mod:`pair_plugin.datasets.annotation_checks`) and raise
:class:`~pair_plugin.structures.PaIRFormatError` on the first problem.
"""
import os.path as osp
from collections import Counter
from typing import Dict, Optional, Tuple

import numpy as np

from pair_plugin.progress import track_progress
from pair_plugin.structures import NUM_PARTS
from pair_plugin.structures.format_checks import referenced_by
from .annotation_checks import default_data_root, load_valid_annotation, read_contact_mask


def count_hoi_instances(ann_file: str,
                        backend_args: Optional[dict] = None) -> Dict[Tuple[int, int], int]:
    """Count training instances per HOI category ``(action_id, object_id)``.

    One instance is one (pair, action): a pair with ``action_ids`` [3, 7] on a cup counts
    once for (3, cup) and once for (7, cup), as HICO-DET counts its triplets.

    Args:
        ann_file (str): a PaIR annotation file (usually the training split).

    Returns:
        dict[tuple[int, int], int]: ``{(action_id, object_id): count}``; categories
        absent from the file are absent from the dict (count 0).
    """
    ann = load_valid_annotation(ann_file, backend_args)
    counts = Counter()
    for img in ann['images']:
        instances = img['instances']
        for inter in img['interactions']:
            obj_cat = instances[inter['object_id']]['category_id']
            for action in inter['action_ids']:
                counts[(action, obj_cat)] += 1
    return dict(counts)


def count_part_images(ann_file: str,
                      data_root: Optional[str] = None,
                      progress: bool = False,
                      backend_args: Optional[dict] = None) -> np.ndarray:
    """Count, per body part, the training images whose contact mask contains it.

    Images without a contact annotation (``contact_mask: null``) count for no part.

    Args:
        ann_file (str): a PaIR annotation file (usually the training split).
        data_root (str, optional): the folder mask paths are relative to. Defaults to
            the parent of the annotation file's folder (``<root>/annotations/x.json``).
        progress (bool): show a progress bar (every mask is read).

    Returns:
        np.ndarray: (17,) int64, entry ``k - 1`` for part ``k``.
    """
    ann = load_valid_annotation(ann_file, backend_args)
    if data_root is None:
        data_root = default_data_root(ann_file)
    counts = np.zeros(NUM_PARTS, dtype=np.int64)
    images = ann['images']
    for i, img in track_progress(
            list(enumerate(images)), title=f'reading the masks of '
            f'{ann_file}', enabled=progress):
        if img['contact_mask'] is None:
            continue
        mask = read_contact_mask(
            osp.join(data_root, img['contact_mask']), (img['height'], img['width']), backend_args,
            referenced_by(ann_file, f'images[{i}].contact_mask', img))
        counts += np.bincount(mask.ravel(), minlength=256)[1:NUM_PARTS + 1] > 0
    return counts
