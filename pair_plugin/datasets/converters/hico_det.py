"""HICO-DET (QPIC layout, optional HOT masks) → PaIR format."""
from typing import Dict, Optional

from ..synthetic.vocabulary import coco_objects
from .hoi_vocabularies import HICO_HOI_CATEGORIES, HICO_VERBS
from .qpic_layout import convert_qpic


def hico_det_metainfo() -> dict:
    """80 COCO objects, HICO-DET's 117 verbs and its 600 HOI categories."""
    return dict(
        objects=list(coco_objects()),
        actions=list(HICO_VERBS),
        hoi_categories=[list(p) for p in HICO_HOI_CATEGORIES])


def convert_hico_det(qpic_file: str,
                     img_dir: str,
                     out_dir: str,
                     split: str,
                     hot_mask_dir: Optional[str] = None,
                     progress: bool = True,
                     images: str = 'in_place') -> Dict:
    """Convert ``trainval_hico.json`` / ``test_hico.json`` (verbs 1..117).

    See :func:`~pair_plugin.datasets.converters.qpic_layout.convert_qpic` for the
    arguments, the rules and the report.
    """
    return convert_qpic(
        qpic_file,
        img_dir,
        out_dir,
        split,
        hico_det_metainfo(),
        verb_id_base=1,
        hot_mask_dir=hot_mask_dir,
        progress=progress,
        images=images)
