"""A procedural generator of a small synthetic PaIR-format dataset.

People are drawn as the 17 body-part regions in several poses, objects of eight COCO
classes with distinctive shapes; each action is defined by which body parts touch the
object (see :mod:`.interactions`), and the contact map is computed from the rendered
pixels (see :mod:`.scene`). Deterministic by seed. CLI: ``tools/data/generate_synthetic.py``.
"""
from .scene import SceneSample, generate_scene, render_scene
from .vocabulary import (SYNTHETIC_ACTIONS, SYNTHETIC_HOI_NAMES, SYNTHETIC_OBJECTS,
                         synthetic_metainfo)
from .writer import generate_split, generate_synthetic_dataset

__all__ = [
    'generate_synthetic_dataset', 'generate_split', 'generate_scene', 'render_scene', 'SceneSample',
    'synthetic_metainfo', 'SYNTHETIC_ACTIONS', 'SYNTHETIC_OBJECTS', 'SYNTHETIC_HOI_NAMES'
]
