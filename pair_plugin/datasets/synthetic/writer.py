"""Writing a synthetic PaIR-format dataset to disk, deterministically by seed.

Layout (``docs/dataset.md``)::

    <out>/images/<split>/000000.jpg
    <out>/masks/<split>/000000.png
    <out>/annotations/<split>.json

Image ``i`` of split ``s`` is drawn from ``numpy.random.default_rng([seed, s, i])``, so
a split's content depends only on the seed, its index and the image size, not on the
sizes of the other splits.
"""
import json
import os
import os.path as osp
from typing import Dict, Optional

import numpy as np
from PIL import Image

from pair_plugin.progress import track_progress
from .scene import CONTACT_BAND, generate_scene
from .vocabulary import synthetic_metainfo

#: the splits, with the index that seeds their random streams
SPLITS = ('train', 'val', 'test')


def generate_split(out_dir: str,
                   split: str,
                   num_images: int,
                   img_size: int = 256,
                   seed: int = 0,
                   metainfo: Optional[dict] = None,
                   progress: bool = True,
                   contact_band: float = CONTACT_BAND) -> str:
    """Generate one split; returns the path of its annotation file.

    Args:
        out_dir (str): the data root.
        split (str): ``train``, ``val`` or ``test`` (another name gets its own stream).
        num_images (int): how many images.
        img_size (int): image width in pixels (heights vary from 3/4 to 5/4 of it).
        seed (int): the random seed.
        metainfo (dict, optional): defaults to :func:`synthetic_metainfo`.
        progress (bool): show progress.
        contact_band (float): the width of the contact band, as a fraction of a
            standing person's height (body pixels this close to the object of one of
            the person's pairs are contact). Defaults to ``CONTACT_BAND`` (0.08).
    """
    if not contact_band > 0:
        raise ValueError(f'generate_split: contact_band must be > 0, got {contact_band}')
    metainfo = metainfo or synthetic_metainfo()
    objects, actions = metainfo['objects'], metainfo['actions']
    split_index = (
        SPLITS.index(split) if split in SPLITS else sum(ord(c) for c in split) + len(SPLITS))
    img_dir = osp.join(out_dir, 'images', split)
    mask_dir = osp.join(out_dir, 'masks', split)
    ann_dir = osp.join(out_dir, 'annotations')
    for d in (img_dir, mask_dir, ann_dir):
        os.makedirs(d, exist_ok=True)
    images = []
    for i in track_progress(range(num_images), title=f'generating {split}', enabled=progress):
        rng = np.random.default_rng([seed, split_index, i])
        scene = generate_scene(rng, img_size, band_frac=contact_band)
        name = f'{i:06d}'
        file_name = f'images/{split}/{name}.jpg'
        mask_name = f'masks/{split}/{name}.png'
        Image.fromarray(scene.image).save(osp.join(out_dir, file_name), quality=92)
        Image.fromarray(scene.contact_map, mode='L').save(osp.join(out_dir, mask_name))
        height, width = scene.contact_map.shape
        images.append(
            dict(
                id=i + 1,
                file_name=file_name,
                width=int(width),
                height=int(height),
                contact_mask=mask_name,
                instances=[
                    dict(
                        bbox=[round(v, 2) for v in inst['bbox']],
                        category_id=objects.index(inst['category'])) for inst in scene.instances
                ],
                interactions=[
                    dict(
                        subject_id=it['subject_id'],
                        object_id=it['object_id'],
                        action_ids=sorted(actions.index(a) for a in it['actions']),
                        contact_parts=it['contact_parts']) for it in scene.interactions
                ]))
    ann_file = osp.join(ann_dir, f'{split}.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(metainfo=metainfo, images=images), f)
    return ann_file


def generate_synthetic_dataset(out_dir: str,
                               num_train: int = 1200,
                               num_val: int = 100,
                               num_test: int = 100,
                               img_size: int = 256,
                               seed: int = 0,
                               progress: bool = True,
                               contact_band: float = CONTACT_BAND) -> Dict[str, str]:
    """Generate the train, val and test splits; returns ``{split: annotation file}``.

    Arguments as :func:`generate_split`; the defaults write 1200 / 100 / 100 images of
    width 256.
    """
    metainfo = synthetic_metainfo()
    sizes = dict(train=num_train, val=num_val, test=num_test)
    return {
        split: generate_split(out_dir, split, n, img_size, seed, metainfo, progress, contact_band)
        for split, n in sizes.items()
    }
