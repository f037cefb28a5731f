"""Joining HOT's part-label contact masks to HICO-DET and V-COCO images by file name.

HOT (Chen et al., CVPR 2023) names its images after their source:
``hake_train2015_HICO_train2015_00012012`` for HICO-DET's ``HICO_train2015_00012012.jpg``
and ``vcoco_000000521106`` for COCO image 521106 (V-COCO's ``COCO_val2014_000000521106``
or ``COCO_train2014_...``); its masks are ``<name>.png`` in ``HOT-Annotated/annotations``:
single-channel PNGs of part ids (0 none, 1..17 the parts of
:data:`pair_plugin.structures.BODY_PARTS`).
"""
import os
import os.path as osp
import re
from typing import Dict, Optional, Tuple

#: a HICO-DET image stem inside any name
_HICO = re.compile(r'(HICO_(?:train|test)2015_\d{8})$')
#: HOT's name of a COCO image
_HOT_COCO = re.compile(r'^vcoco_(\d+)$')
#: COCO 2014 file names, or bare 12-digit COCO 2017 names
_COCO = re.compile(r'(?:^|_)(?:COCO_(?:train|val)2014_)?(\d{12})$')

JoinKey = Tuple[str, object]


def join_key(file_name: str) -> Optional[JoinKey]:
    """The key that joins an image and a HOT mask: ``('hico', stem)`` or
    ``('coco', image_id)``; None for a name of no known source.

    >>> join_key('hake_train2015_HICO_train2015_00012012.png')
    ('hico', 'HICO_train2015_00012012')
    >>> join_key('images/train2015/HICO_train2015_00012012.jpg')
    ('hico', 'HICO_train2015_00012012')
    >>> join_key('vcoco_000000521106.png'), join_key('COCO_val2014_000000521106.jpg')
    (('coco', 521106), ('coco', 521106))
    """
    stem = osp.splitext(osp.basename(file_name))[0]
    m = _HICO.search(stem)
    if m:
        return ('hico', m.group(1))
    m = _HOT_COCO.match(stem)
    if m:
        return ('coco', int(m.group(1)))
    m = _COCO.search(stem)
    if m:
        return ('coco', int(m.group(1)))
    return None


class HOTMaskIndex:
    """The HOT masks of a folder, found by the images they annotate.

    Args:
        mask_dir (str): HOT's ``annotations`` folder (searched recursively for PNGs).
    """

    def __init__(self, mask_dir: str):
        if not osp.isdir(mask_dir):
            raise FileNotFoundError(f'HOT mask folder not found: {mask_dir}')
        self.mask_dir = mask_dir
        self._paths: Dict[JoinKey, str] = {}
        self.unrecognised = []
        for folder, _, files in os.walk(mask_dir):
            for name in sorted(files):
                if not name.lower().endswith('.png'):
                    continue
                key = join_key(name)
                if key is None:
                    self.unrecognised.append(name)
                else:
                    self._paths[key] = osp.join(folder, name)

    def __len__(self) -> int:
        return len(self._paths)

    def find(self, image_file_name: str) -> Optional[str]:
        """The mask path of an image (any path or name of it), or None."""
        key = join_key(image_file_name)
        return None if key is None else self._paths.get(key)
