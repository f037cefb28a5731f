"""The PaIR predictions file: what ``tools/test.py --out`` writes, any method can too.

Format (``docs/metrics.md``)::

    [{"file_name": "images/0001.jpg",
      "hois": [{"subject_bbox": [x1, y1, x2, y2], "object_bbox": [x1, y1, x2, y2],
                "object_id": 3, "action_id": 5, "score": 0.91}, ...],
      "contact_mask": "pred_masks/images/0001.png",   # or null / absent
      "part_scores": [17 floats]}]                     # optional

``file_name`` is the image's ``file_name`` in the annotation file; boxes are absolute
pixels of the original image; ``contact_mask`` is a single-channel 8-bit PNG (mode ``L``
or ``P``) of part ids 0..17 (255 = no prediction there) at the original image size, its
path relative to the directory of the predictions file.

Every problem raises :class:`pair_plugin.structures.PaIRFormatError` naming the file and
the field.
"""
import json
import math
import os
import os.path as osp
import posixpath
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS, PaIRFormatError
from .sample_arrays import to_numpy

#: the fields of one HOI of the file and of the arrays they are read into
HOI_FIELDS = ('subject_bbox', 'object_bbox', 'object_id', 'action_id', 'score')
DEFAULT_MASKS_DIR = 'pred_masks'


def prediction_mask_path(file_name: str, masks_dir: str = DEFAULT_MASKS_DIR) -> str:
    """The mask path (relative to the predictions file) for image ``file_name``.

    ``images/0001.jpg`` -> ``pred_masks/images/0001.png``: the image's relative path
    is kept, so two images with the same base name do not collide; a leading ``/`` and
    ``..`` parts are neutralised so that the mask stays inside ``masks_dir``.
    """
    parts = [p for p in posixpath.normpath(file_name.replace('\\', '/')).split('/')
             if p not in ('', '.')]
    parts = ['__' if p == '..' else p for p in parts]
    stem = posixpath.splitext(posixpath.join(*parts))[0] if parts else 'unnamed'
    return posixpath.join(masks_dir, stem + '.png')


def write_prediction_mask(path: str, mask: np.ndarray) -> None:
    """Write a (H, W) contact map (values 0..17 or 255) as a mode-``L`` PNG."""
    mask = np.asarray(mask)
    if mask.ndim == 3 and mask.shape[0] == 1:
        mask = mask[0]
    if mask.ndim != 2:
        raise ValueError(f'{path}: a contact mask must be (H, W), got {mask.shape}')
    bad = (mask < 0) | ((mask > NUM_PARTS) & (mask != IGNORE_INDEX))
    if bad.any():
        raise ValueError(f'{path}: contact mask values must be 0..{NUM_PARTS} or '
                         f'{IGNORE_INDEX}, got {np.unique(mask[bad])[:5].tolist()}')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    Image.fromarray(mask.astype(np.uint8)).save(path)


def read_prediction_mask(pred_file: str, field: str, path: str,
                         size_hw: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Read a predicted contact mask PNG, checking mode, size and values.

    Args:
        pred_file (str): the predictions file (named in errors).
        field (str): the field that names the mask (``[3].contact_mask``).
        path (str): absolute path of the PNG.
        size_hw (tuple, optional): the (h, w) it must have: the original image size.

    Returns:
        np.ndarray: (H, W) uint8 part ids.
    """
    if not osp.isfile(path):
        raise PaIRFormatError(pred_file, field, f'mask file {path} does not exist')
    try:
        with Image.open(path) as image:
            mode = image.mode
            mask = np.array(image)
    except (OSError, SyntaxError) as error:
        raise PaIRFormatError(pred_file, field,
                              f'cannot read mask {path}: {error}') from error
    if mode not in ('L', 'P'):
        raise PaIRFormatError(
            pred_file, field, f'mask {path} has mode {mode}: a single-channel 8-bit '
            'PNG (mode L or P) of part ids is needed')
    if size_hw is not None and mask.shape != tuple(size_hw):
        raise PaIRFormatError(
            pred_file, field, f'mask {path} is {mask.shape[1]}x{mask.shape[0]} (w x h) '
            f'but the image is {size_hw[1]}x{size_hw[0]}')
    bad = (mask > NUM_PARTS) & (mask != IGNORE_INDEX)
    if bad.any():
        raise PaIRFormatError(
            pred_file, field, f'mask {path} holds values '
            f'{np.unique(mask[bad])[:5].tolist()}; part ids are 0..{NUM_PARTS} '
            f'({IGNORE_INDEX} = no prediction)')
    return mask


def _finite_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _check_box(pred_file: str, field: str, box) -> List[float]:
    if (not isinstance(box, list) or len(box) != 4
            or not all(_finite_number(v) for v in box)):
        raise PaIRFormatError(pred_file, field,
                              f'a box is 4 finite numbers [x1, y1, x2, y2], got {box!r}')
    if box[2] < box[0] or box[3] < box[1]:
        raise PaIRFormatError(pred_file, field,
                              f'x2 < x1 or y2 < y1 in {box} (x1y1x2y2 expected)')
    return [float(v) for v in box]


def _check_id(pred_file: str, field: str, value, count: Optional[int], what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PaIRFormatError(pred_file, field,
                              f'a 0-based {what} id (integer >= 0) expected, got {value!r}')
    if count is not None and value >= count:
        raise PaIRFormatError(pred_file, field,
                              f'{what} id {value} out of range: the metainfo has {count}')
    return value


def _parse_hois(pred_file: str, where: str, hois, num_objects, num_actions) -> dict:
    if not isinstance(hois, list):
        raise PaIRFormatError(pred_file, f'{where}.hois',
                              f'a list of HOIs expected, got {type(hois).__name__}')
    columns = {field: [] for field in HOI_FIELDS}
    for j, hoi in enumerate(hois):
        field = f'{where}.hois[{j}]'
        if not isinstance(hoi, dict):
            raise PaIRFormatError(pred_file, field,
                                  f'an object expected, got {type(hoi).__name__}')
        missing = [k for k in HOI_FIELDS if k not in hoi]
        if missing:
            raise PaIRFormatError(pred_file, field, f'missing field(s) {missing}')
        columns['subject_bbox'].append(
            _check_box(pred_file, f'{field}.subject_bbox', hoi['subject_bbox']))
        columns['object_bbox'].append(
            _check_box(pred_file, f'{field}.object_bbox', hoi['object_bbox']))
        columns['object_id'].append(_check_id(
            pred_file, f'{field}.object_id', hoi['object_id'], num_objects, 'object'))
        columns['action_id'].append(_check_id(
            pred_file, f'{field}.action_id', hoi['action_id'], num_actions, 'action'))
        if not _finite_number(hoi['score']):
            raise PaIRFormatError(pred_file, f'{field}.score',
                                  f'a finite number expected, got {hoi["score"]!r}')
        columns['score'].append(float(hoi['score']))
    return dict(
        subject_bboxes=np.asarray(columns['subject_bbox'], np.float64).reshape(-1, 4),
        object_bboxes=np.asarray(columns['object_bbox'], np.float64).reshape(-1, 4),
        object_labels=np.asarray(columns['object_id'], np.int64),
        action_labels=np.asarray(columns['action_id'], np.int64),
        scores=np.asarray(columns['score'], np.float64))


def read_predictions_file(pred_file: str,
                          num_objects: Optional[int] = None,
                          num_actions: Optional[int] = None) -> List[dict]:
    """Read and check a predictions file (masks are only located, not read).

    Args:
        pred_file (str): path of the JSON file.
        num_objects (int, optional): object classes of the metainfo, to check ids.
        num_actions (int, optional): action classes of the metainfo, to check ids.

    Returns:
        list[dict]: one per image, in file order: ``file_name`` (str), ``pred_hois``
        (dict of arrays in :class:`PaIRDataSample`'s ``pred_hois`` layout:
        ``subject_bboxes``, ``object_bboxes`` (K, 4) float64, ``object_labels``,
        ``action_labels`` (K,) int64, ``scores`` (K,) float64), ``contact_mask``
        (absolute path or None; read it with :func:`read_prediction_mask`),
        ``part_scores`` ((17,) float64 or None).
    """
    if not osp.isfile(pred_file):
        raise PaIRFormatError(pred_file, '(file)', 'the predictions file does not exist')
    try:
        with open(pred_file, encoding='utf-8') as f:
            content = json.load(f)
    except json.JSONDecodeError as error:
        raise PaIRFormatError(pred_file, f'line {error.lineno} column {error.colno}',
                              f'malformed JSON: {error.msg}') from error
    except UnicodeDecodeError as error:
        raise PaIRFormatError(pred_file, '(file)',
                              f'not UTF-8 text: {error}') from error
    if not isinstance(content, list):
        raise PaIRFormatError(pred_file, '(top level)',
                              'a list of per-image predictions expected, got '
                              f'{type(content).__name__}')
    root = osp.dirname(osp.abspath(pred_file))
    records, seen = [], {}
    for i, entry in enumerate(content):
        where = f'[{i}]'
        if not isinstance(entry, dict):
            raise PaIRFormatError(pred_file, where,
                                  f'an object expected, got {type(entry).__name__}')
        for key in ('file_name', 'hois'):
            if key not in entry:
                raise PaIRFormatError(pred_file, f'{where}.{key}', 'missing field')
        file_name = entry['file_name']
        if not isinstance(file_name, str) or not file_name:
            raise PaIRFormatError(pred_file, f'{where}.file_name',
                                  f'a non-empty string expected, got {file_name!r}')
        if file_name in seen:
            raise PaIRFormatError(pred_file, f'{where}.file_name',
                                  f'{file_name} already has predictions at '
                                  f'[{seen[file_name]}]')
        seen[file_name] = i
        mask = entry.get('contact_mask')
        if mask is not None:
            if not isinstance(mask, str) or not mask:
                raise PaIRFormatError(pred_file, f'{where}.contact_mask',
                                      f'a path string or null expected, got {mask!r}')
            mask = osp.normpath(osp.join(root, mask))
        part_scores = entry.get('part_scores')
        if part_scores is not None:
            if (not isinstance(part_scores, list) or len(part_scores) != NUM_PARTS
                    or not all(_finite_number(v) for v in part_scores)):
                raise PaIRFormatError(pred_file, f'{where}.part_scores',
                                      f'{NUM_PARTS} finite numbers or null expected')
            part_scores = np.asarray(part_scores, np.float64)
        records.append(dict(
            file_name=file_name,
            pred_hois=_parse_hois(pred_file, where, entry['hois'], num_objects,
                                  num_actions),
            contact_mask=mask,
            part_scores=part_scores))
    return records


def write_predictions_file(pred_file: str, records: Sequence[dict]) -> None:
    """Write a predictions file from per-image records.

    Args:
        pred_file (str): the JSON file to write (its directory is created).
        records (Sequence[dict]): one per image: ``file_name``; ``pred_hois`` with
            ``subject_bboxes``, ``object_bboxes`` (K, 4), ``object_labels``,
            ``action_labels``, ``scores`` (K,) (arrays, tensors or lists);
            ``contact_mask`` a path relative to the file's directory (already written,
            e.g. with :func:`write_prediction_mask`) or None; optional
            ``part_scores`` (17,).
    """
    entries, seen = [], set()
    for record in records:
        if record['file_name'] in seen:
            raise ValueError(f'{pred_file}: two records for {record["file_name"]}: '
                             'file names must be unique')
        seen.add(record['file_name'])
        hois = record['pred_hois']
        subjects = to_numpy(hois['subject_bboxes'], np.float64).reshape(-1, 4)
        objects = to_numpy(hois['object_bboxes'], np.float64).reshape(-1, 4)
        object_ids = to_numpy(hois['object_labels'], np.int64).reshape(-1)
        action_ids = to_numpy(hois['action_labels'], np.int64).reshape(-1)
        scores = to_numpy(hois['scores'], np.float64).reshape(-1)
        entry = dict(
            file_name=record['file_name'],
            hois=[dict(subject_bbox=s.tolist(), object_bbox=o.tolist(),
                       object_id=int(obj), action_id=int(act), score=float(sc))
                  for s, o, obj, act, sc in zip(subjects, objects, object_ids,
                                                action_ids, scores)],
            contact_mask=record.get('contact_mask'))
        if record.get('part_scores') is not None:
            entry['part_scores'] = to_numpy(record['part_scores'],
                                            np.float64).reshape(-1).tolist()
        entries.append(entry)
    os.makedirs(osp.dirname(osp.abspath(pred_file)), exist_ok=True)
    with open(pred_file, 'w', encoding='utf-8') as f:
        json.dump(entries, f)
