"""V-COCO (QPIC/CDN layout, optional HOT masks) → PaIR format.

V-COCO defines no closed list of (action, object) categories, so the metainfo has no
``hoi_categories``.
"""
from typing import Dict, Optional

from ..synthetic.vocabulary import coco_objects
from .hoi_vocabularies import VCOCO_ACTIONS
from .qpic_layout import convert_qpic


def vcoco_metainfo() -> dict:
    """80 COCO objects and V-COCO's 29 actions (QPIC/CDN order)."""
    return dict(objects=list(coco_objects()), actions=list(VCOCO_ACTIONS))


def convert_vcoco(qpic_file: str,
                  img_dir: str,
                  out_dir: str,
                  split: str,
                  hot_mask_dir: Optional[str] = None,
                  progress: bool = True,
                  images: str = 'in_place') -> Dict:
    """Convert ``trainval_vcoco.json`` / ``test_vcoco.json`` (actions 0..28).

    Entries without an object (stand, walk, run, smile, ...) are skipped and counted.
    See :func:`~pair_plugin.datasets.converters.qpic_layout.convert_qpic`.
    """
    return convert_qpic(
        qpic_file,
        img_dir,
        out_dir,
        split,
        vcoco_metainfo(),
        verb_id_base=0,
        hot_mask_dir=hot_mask_dir,
        progress=progress,
        images=images)
