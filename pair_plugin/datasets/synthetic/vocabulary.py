"""The synthetic set's vocabulary: its actions, the objects it draws, its HOI categories.

The metainfo still lists all 80 COCO objects (person first, mmdet's names), so that a
model trained on it has the head size of a real PaIR/HICO-DET model.
"""
from typing import List, Tuple

#: action names (HICO-DET's verbs where they exist)
SYNTHETIC_ACTIONS = ('sit_on', 'lie_on', 'kick', 'throw', 'ride', 'stand_on', 'push', 'hold',
                     'drink_with', 'carry')

#: the COCO classes the scenes draw
SYNTHETIC_OBJECTS = ('chair', 'bench', 'bicycle', 'sports ball', 'skateboard', 'cup', 'umbrella',
                     'suitcase')

#: the valid (action, object) combinations, by name
SYNTHETIC_HOI_NAMES = (('sit_on', 'chair'), ('sit_on', 'bench'), ('sit_on', 'bicycle'),
                       ('lie_on', 'bench'), ('kick', 'sports ball'), ('throw', 'sports ball'),
                       ('ride', 'bicycle'), ('ride', 'skateboard'), ('stand_on', 'skateboard'),
                       ('push', 'bicycle'), ('hold', 'cup'), ('hold', 'umbrella'),
                       ('hold', 'suitcase'), ('hold', 'sports ball'), ('drink_with', 'cup'),
                       ('carry', 'suitcase'), ('carry', 'skateboard'))


def coco_objects() -> Tuple[str, ...]:
    """The 80 COCO class names in mmdet's order (``person`` first)."""
    from mmdet.datasets import CocoDataset
    return tuple(CocoDataset.METAINFO['classes'])


def synthetic_metainfo() -> dict:
    """The ``metainfo`` of a synthetic annotation file.

    Returns:
        dict: ``objects`` (80 COCO names), ``actions`` (:data:`SYNTHETIC_ACTIONS`),
        ``hoi_categories`` ([action_id, object_id] of :data:`SYNTHETIC_HOI_NAMES`).
    """
    objects = coco_objects()
    hoi: List[List[int]] = [[SYNTHETIC_ACTIONS.index(a),
                             objects.index(o)] for a, o in SYNTHETIC_HOI_NAMES]
    return dict(objects=list(objects), actions=list(SYNTHETIC_ACTIONS), hoi_categories=hoi)
