"""Conversion of HICO-DET / V-COCO annotations in the QPIC/CDN json layout to PaIR.

The QPIC layout (``trainval_hico.json``, ``test_hico.json``, ``trainval_vcoco.json``,
``test_vcoco.json``) is a list of images::

    [{"file_name": "HICO_train2015_00000001.jpg",
      "annotations": [{"bbox": [x1, y1, x2, y2], "category_id": 1}, ...],  # COCO-91 ids
      "hoi_annotation": [{"subject_id": 0, "object_id": 1, "category_id": 73}, ...]}]

with HICO-DET verbs numbered 1..117 and V-COCO actions 0..28. The conversion

- maps COCO-91 object ids to PaIR's 0-based 80 ids and verb ids to 0-based ids;
- reads each image's size from its file (QPIC files have none) and clips boxes that
  exceed the image (HICO-DET's 1-based boxes reach ``width``/``height``), counting them;
- merges instances with the same category and box, and entries of the same
  (subject, object) pair into one pair with several actions (QPIC lists one entry per
  action);
- skips entries without an object (``object_id`` -1: V-COCO's stand, walk, ...) and
  images whose file is missing or unreadable, listing each skip in the report;
- with a HOT mask folder, validates and copies each image's HOT mask to
  ``<out>/masks/<split>/`` and sets every pair's ``contact_parts`` to the parts of the
  mask that lie inside both the subject box and the object box grown by a margin
  (HOT masks are per image, not per pair: this is the converter's rule); images without
  a HOT mask get ``contact_mask: null``.

``file_name`` is written relative to an image root, never with a ``..`` component:
by default the images stay in ``img_dir``, which the dataset config then names as
``data_prefix=dict(img_path=...)`` (:func:`config_lines` prints the lines); with
``images='copy'`` or ``'link'`` they are copied or symlinked to
``<out>/images/<split>/`` and the converted set is self-contained (image root = data
root), so the whole folder can move.

Any other bad input (an unknown object or verb id, a subject that is not a person, a
malformed file) raises :class:`~pair_plugin.structures.PaIRFormatError` naming the
QPIC file and the entry.
"""
import json
import os
import os.path as osp
import posixpath
import shutil
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

from pair_plugin.progress import track_progress
from pair_plugin.structures import NUM_PARTS, PaIRFormatError
from ..annotation_checks import check_annotation_content, read_contact_mask, read_image_size
from .hoi_vocabularies import COCO_91_TO_80
from .hot_masks import HOTMaskIndex

#: the object-box margin of the pair-part rule, as a fraction of its longer side
PAIR_MARGIN_FRAC = 0.1
#: and at least this many pixels
PAIR_MARGIN_MIN = 4
#: where the images are: left in ``img_dir``, or copied / symlinked under the output
IMAGE_MODES = ('in_place', 'copy', 'link')


def pair_contact_parts(mask: np.ndarray, subject_box: Sequence[float],
                       object_box: Sequence[float]) -> List[int]:
    """The part ids of ``mask`` inside the subject box and the grown object box.

    Args:
        mask (np.ndarray): (H, W) uint8 contact map.
        subject_box, object_box: x1y1x2y2 pixel boxes.

    Returns:
        list[int]: sorted part ids (1..17).
    """
    ox1, oy1, ox2, oy2 = object_box
    margin = max(PAIR_MARGIN_MIN, PAIR_MARGIN_FRAC * max(ox2 - ox1, oy2 - oy1))
    x1 = max(subject_box[0], ox1 - margin)
    y1 = max(subject_box[1], oy1 - margin)
    x2 = min(subject_box[2], ox2 + margin)
    y2 = min(subject_box[3], oy2 + margin)
    h, w = mask.shape
    x1, y1 = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
    x2, y2 = min(int(np.ceil(x2)), w), min(int(np.ceil(y2)), h)
    if x2 <= x1 or y2 <= y1:
        return []
    values = np.unique(mask[y1:y2, x1:x2])
    return [int(v) for v in values if 1 <= v <= NUM_PARTS]


def load_qpic_file(path: str) -> list:
    """Read a QPIC/CDN annotation list, raising a clear error if malformed."""
    if not osp.isfile(path):
        raise PaIRFormatError(path, '(file)', 'no such annotation file')
    try:
        with open(path) as f:
            data = json.load(f)
    except json.JSONDecodeError as err:
        raise PaIRFormatError(path, f'line {err.lineno} column {err.colno}',
                              f'malformed JSON: {err.msg}') from None
    if not isinstance(data, list):
        raise PaIRFormatError(path, '(root)', 'expected a list of images (the '
                              'QPIC/CDN layout)')
    return data


def _field(entry: dict, key: str, path: str, where: str):
    if not isinstance(entry, dict) or key not in entry:
        raise PaIRFormatError(path, f'{where}.{key}', 'missing required field')
    return entry[key]


def _relative_image_name(name, path: str, where: str) -> str:
    """``name`` as a normalised relative POSIX path; absolute paths and ``..`` raise."""
    if not isinstance(name, str) or not name:
        raise PaIRFormatError(path, f'{where}.file_name',
                              f'expected a non-empty string, got {name!r}')
    norm = posixpath.normpath(name.replace('\\', '/'))
    if posixpath.isabs(norm) or norm.split('/')[0] == '..':
        raise PaIRFormatError(
            path, f'{where}.file_name', f'{name!r} must be a path inside the image '
            'folder (relative, without "..")')
    return norm


def _place_image(src: str, dst: str, mode: str) -> None:
    """Copy or symlink one image to ``dst`` (replacing what is there)."""
    os.makedirs(osp.dirname(dst), exist_ok=True)
    if osp.lexists(dst):
        os.remove(dst)
    if mode == 'copy':
        shutil.copyfile(src, dst)
    else:
        os.symlink(osp.abspath(src), dst)


def convert_qpic(qpic_file: str,
                 img_dir: str,
                 out_dir: str,
                 split: str,
                 metainfo: dict,
                 verb_id_base: int,
                 hot_mask_dir: Optional[str] = None,
                 progress: bool = True,
                 images: str = 'in_place') -> Dict:
    """Convert one QPIC/CDN annotation file to ``<out_dir>/annotations/<split>.json``.

    Args:
        qpic_file (str): the QPIC/CDN json.
        img_dir (str): the folder of its images (``file_name`` is relative to it).
        out_dir (str): the PaIR data root (annotations, masks, copied images).
        split (str): the split name (annotation, mask and image folder names).
        metainfo (dict): ``objects`` (80), ``actions``, optional ``hoi_categories``.
        verb_id_base (int): the id of the first verb in the file (HICO-DET 1, V-COCO 0).
        hot_mask_dir (str, optional): HOT's mask folder, joined by file name.
        progress (bool): show progress.
        images (str): ``'in_place'`` (default): ``file_name`` stays relative to
            ``img_dir``, the image root the dataset config names; ``'copy'`` /
            ``'link'``: the images are copied / symlinked to
            ``<out_dir>/images/<split>/`` and ``file_name`` is relative to
            ``out_dir``.

    Returns:
        dict: ``ann_file``, ``data_root``, ``split``, ``img_prefix`` (the image root
        the dataset config must name: the absolute ``img_dir``, or ``''`` for the
        data root), ``images``, ``pairs``, ``contact_masks``, ``merged_instances``,
        ``merged_entries``, ``clipped_boxes``, ``skipped`` (list of
        ``(file, reason)``), ``mask_skips`` (list of ``(file, reason)``: images kept
        without their HOT mask), ``problems`` (what the checker finds in the result;
        empty when valid).
    """
    if images not in IMAGE_MODES:
        raise ValueError(f'convert_qpic: images must be one of {IMAGE_MODES}, '
                         f'got {images!r}')
    data = load_qpic_file(qpic_file)
    num_actions = len(metainfo['actions'])
    hot = HOTMaskIndex(hot_mask_dir) if hot_mask_dir else None
    mask_out = osp.join(out_dir, 'masks', split)
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    if hot is not None:
        os.makedirs(mask_out, exist_ok=True)
    report = dict(
        images=0,
        pairs=0,
        contact_masks=0,
        merged_instances=0,
        merged_entries=0,
        clipped_boxes=0,
        skipped_entries=0,
        skipped=[],
        mask_skips=[])
    images_out = []
    title = f'converting {osp.basename(qpic_file)}'
    for i, entry in enumerate(track_progress(data, title=title, enabled=progress)):
        where = f'[{i}]'
        name = _relative_image_name(_field(entry, 'file_name', qpic_file, where), qpic_file, where)
        img_path = osp.join(img_dir, name)
        try:
            height, width = read_image_size(img_path, decode=False)
        except PaIRFormatError as exc:
            report['skipped'].append((img_path, exc.message))
            continue
        instances, index_map = [], []
        seen = {}
        for k, ann in enumerate(_field(entry, 'annotations', qpic_file, where)):
            w = f'{where}.annotations[{k}]'
            cat = _field(ann, 'category_id', qpic_file, w)
            if cat not in COCO_91_TO_80:
                raise PaIRFormatError(qpic_file, f'{w}.category_id',
                                      f'{cat!r} is not a COCO category id')
            box = [float(v) for v in _field(ann, 'bbox', qpic_file, w)]
            if len(box) != 4 or box[2] < box[0] or box[3] < box[1]:
                raise PaIRFormatError(qpic_file, f'{w}.bbox',
                                      f'expected x1 <= x2, y1 <= y2, got {box}')
            w_, h_ = float(width), float(height)
            clipped = [
                min(max(box[0], 0.0), w_),
                min(max(box[1], 0.0), h_),
                min(max(box[2], 0.0), w_),
                min(max(box[3], 0.0), h_)
            ]
            if clipped != box:
                report['clipped_boxes'] += 1
            key = (COCO_91_TO_80[cat], tuple(clipped))
            if key in seen:
                report['merged_instances'] += 1
                index_map.append(seen[key])
                continue
            seen[key] = len(instances)
            index_map.append(len(instances))
            instances.append(
                dict(bbox=[round(v, 2) for v in clipped], category_id=COCO_91_TO_80[cat]))
        pairs: Dict[tuple, set] = {}
        for k, hoi in enumerate(entry.get('hoi_annotation', [])):
            w = f'{where}.hoi_annotation[{k}]'
            subj = _field(hoi, 'subject_id', qpic_file, w)
            obj = _field(hoi, 'object_id', qpic_file, w)
            verb = _field(hoi, 'category_id', qpic_file, w)
            if obj is None or obj < 0:
                report['skipped_entries'] += 1
                continue
            for key, value in (('subject_id', subj), ('object_id', obj)):
                if not isinstance(value, int) or not 0 <= value < len(index_map):
                    raise PaIRFormatError(
                        qpic_file, f'{w}.{key}', f'{value!r} does not index the '
                        f'{len(index_map)} annotations of {name}')
            action = verb - verb_id_base if isinstance(verb, int) else -1
            if not 0 <= action < num_actions:
                raise PaIRFormatError(
                    qpic_file, f'{w}.category_id',
                    f'verb id {verb!r} out of range [{verb_id_base}, '
                    f'{verb_id_base + num_actions})')
            s, o = index_map[subj], index_map[obj]
            if instances[s]['category_id'] != 0:
                raise PaIRFormatError(qpic_file, f'{w}.subject_id',
                                      f'annotation {subj} of {name} is not a '
                                      f'person')
            if (s, o) in pairs:
                report['merged_entries'] += 1
            pairs.setdefault((s, o), set()).add(action)
        mask_rel, mask = None, None
        if hot is not None:
            mask_path = hot.find(name)
            if mask_path is None:
                report['mask_skips'].append((name, 'no HOT mask'))
            else:
                try:
                    mask = read_contact_mask(mask_path, (height, width))
                except PaIRFormatError as exc:
                    report['mask_skips'].append((name, str(exc)))
                else:
                    stem = osp.splitext(osp.basename(name))[0]
                    mask_rel = f'masks/{split}/{stem}.png'
                    Image.fromarray(mask, mode='L').save(osp.join(out_dir, mask_rel))
                    report['contact_masks'] += 1
        interactions = []
        for (s, o), actions in pairs.items():
            parts = ([] if mask is None else pair_contact_parts(mask, instances[s]['bbox'],
                                                                instances[o]['bbox']))
            interactions.append(
                dict(subject_id=s, object_id=o, action_ids=sorted(actions), contact_parts=parts))
        report['pairs'] += len(interactions)
        if images != 'in_place':
            name = f'images/{split}/{name}'
            _place_image(img_path, osp.join(out_dir, name), images)
        img_id = entry.get('img_id')
        images_out.append(
            dict(
                id=img_id if isinstance(img_id, int) else i + 1,
                file_name=name,
                width=width,
                height=height,
                contact_mask=mask_rel,
                instances=instances,
                interactions=interactions))
    ann = dict(metainfo=metainfo, images=images_out)
    ann_file = osp.join(out_dir, 'annotations', f'{split}.json')
    with open(ann_file, 'w') as f:
        json.dump(ann, f)
    report['images'] = len(images_out)
    report['ann_file'] = ann_file
    report['data_root'] = out_dir
    report['split'] = split
    report['img_prefix'] = (osp.abspath(img_dir) if images == 'in_place' else '')
    report['problems'] = check_annotation_content(ann, ann_file)
    return report


def format_report(report: Dict) -> str:
    """A human-readable summary of :func:`convert_qpic`'s report."""
    lines = [
        f'wrote {report["ann_file"]}: {report["images"]} images, '
        f'{report["pairs"]} pairs, {report["contact_masks"]} contact masks',
        f'merged {report["merged_instances"]} duplicate instances and '
        f'{report["merged_entries"]} per-action entries into multi-action pairs; '
        f'clipped {report["clipped_boxes"]} boxes to their image',
    ]
    if report['skipped_entries']:
        lines.append(f'skipped {report["skipped_entries"]} entries without an '
                     f'object (PaIR pairs need one)')
    for path, reason in report['skipped']:
        lines.append(f'skipped image {path}: {reason}')
    for name, reason in report['mask_skips']:
        lines.append(f'no contact mask for {name}: {reason}')
    for problem in report['problems']:
        lines.append(f'PROBLEM {problem}')
    lines.append('to use it, in your config:')
    lines.extend('    ' + line for line in config_lines(report))
    return '\n'.join(lines)


def config_lines(report: Dict) -> List[str]:
    """The dataset config lines that load a split converted by :func:`convert_qpic`.

    The dataloader is ``train_dataloader`` for a split whose name starts with
    ``train``, ``val_dataloader`` for ``val...``, else ``test_dataloader``.
    """
    split = report['split']
    loader = ('train_dataloader' if split.startswith('train') else
              'val_dataloader' if split.startswith('val') else 'test_dataloader')
    data_root = report['data_root'].rstrip('/\\') + '/'
    lines = [
        f'{loader} = dict(dataset=dict(', f"    type='PaIRDataset', data_root={data_root!r},",
        f"    ann_file='annotations/{split}.json'"
    ]
    if report['img_prefix']:
        img_prefix = report['img_prefix'].rstrip('/\\') + '/'
        lines[-1] += ','
        lines.append(f"    data_prefix=dict(img_path={img_prefix!r}, "
                     "seg_map_path='')")
    lines[-1] += '))'
    return lines
