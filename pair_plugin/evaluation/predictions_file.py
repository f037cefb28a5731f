"""The PaIR predictions file: what ``tools/test.py --out`` writes, any method can too.

Format (``docs/metrics.md``)::

    [{"file_name": "images/0001.jpg",
      "hois": [{"subject_bbox": [x1, y1, x2, y2], "object_bbox": [x1, y1, x2, y2],
                "object_id": 3, "action_id": 5, "score": 0.91}, ...],
      "contact_mask": "pred_masks/images/0001.png",   # or null / absent
      "part_scores": [17 floats]}]                     # optional

``file_name`` is the image's ``file_name`` in the annotation file; boxes are absolute
pixels of the original image; ``contact_mask`` is a single-channel 8-bit PNG (mode ``L``
or ``P``) of part ids 0..17 at the original image size, its path relative to the
directory of the predictions file (any other value is a prediction of no contact). A
``contact_mask`` that leaves that directory (``../x.png``, an absolute path, a symlink
to a file outside it) is refused: a predictions file from elsewhere cannot make the
reader open files of its choosing.

The writers replace a file only once its new content is complete (a temporary file in
the same directory, renamed over it), so a killed process leaves the old file or the
new one, never a cut one.

Every problem raises :class:`pair_plugin.structures.PaIRFormatError` naming the file, the
entry's ``file_name`` and the field; the fields are checked with the annotation file's
checkers.
"""
import json
import os
import os.path as osp
import posixpath
import uuid
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS, to_numpy
from pair_plugin.structures.format_checks import FieldChecker, load_json_file, read_label_png

#: the fields of one HOI of the file and of the arrays they are read into
HOI_FIELDS = ('subject_bbox', 'object_bbox', 'object_id', 'action_id', 'score')
DEFAULT_MASKS_DIR = 'pred_masks'


def prediction_mask_path(file_name: str, masks_dir: str = DEFAULT_MASKS_DIR) -> str:
    """The mask path (relative to the predictions file) for image ``file_name``.

    ``images/0001.jpg`` -> ``pred_masks/images/0001.png``: the image's relative path
    is kept, so two images with the same base name do not collide; a leading ``/`` and
    ``..`` parts are neutralised so that the mask stays inside ``masks_dir``.
    """
    parts = [
        p for p in posixpath.normpath(file_name.replace('\\', '/')).split('/') if p not in ('', '.')
    ]
    parts = ['__' if p == '..' else p for p in parts]
    stem = posixpath.splitext(posixpath.join(*parts))[0] if parts else 'unnamed'
    return posixpath.join(masks_dir, stem + '.png')


def replace_atomically(path: str, write: Callable[[str], None], sync: bool = False) -> None:
    """Write ``path`` through a temporary file in its directory, renamed over it when
    complete: a reader never sees a cut file, a killed writer leaves the old one.

    Args:
        path (str): the file to write (its directory is created).
        write (callable): ``write(tmp_path)`` writes the whole content to ``tmp_path``.
        sync (bool): flush the content to the disk (fsync) before the rename.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # not mkstemp: its file is private (0600); this one gets the umask's permissions
    tmp = osp.join(folder, f'.{osp.basename(path)}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp')
    try:
        write(tmp)
        if sync:
            with open(tmp, 'rb+') as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


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
    image = Image.fromarray(mask.astype(np.uint8))
    replace_atomically(path, lambda tmp: image.save(tmp, format='PNG'))


def read_prediction_mask(path: str,
                         size_hw: Optional[Tuple[int, int]] = None,
                         referenced_by: str = '') -> np.ndarray:
    """Read a predicted contact mask PNG, checking its mode and size.

    Its values are not checked: a value outside 0..17 (255 included) is a prediction of
    no contact, which :class:`~pair_plugin.evaluation.ContactMetric` scores as a miss.

    Args:
        path (str): the PNG file.
        size_hw (tuple, optional): the (h, w) it must have: the original image size.
        referenced_by (str): the predictions file and entry that name it
            (:func:`~pair_plugin.structures.format_checks.referenced_by`), for messages.

    Returns:
        np.ndarray: (H, W) uint8 part ids.
    """
    return read_label_png(path, 'predicted contact mask', size_hw, referenced_by=referenced_by)


def _parse_hois(check: FieldChecker, where: str, hois, num_objects: Optional[int],
                num_actions: Optional[int]) -> dict:
    """The columns of one entry's ``hois`` (raises on the first problem)."""
    if not check.array(hois, f'{where}.hois'):
        check.raise_first()
    for j, hoi in enumerate(hois):
        field = f'{where}.hois[{j}]'
        if check.fields(hoi, field, HOI_FIELDS):
            check.box(hoi['subject_bbox'], f'{field}.subject_bbox')
            check.box(hoi['object_bbox'], f'{field}.object_bbox')
            check.index(hoi['object_id'], f'{field}.object_id', 'object id', num_objects)
            check.index(hoi['action_id'], f'{field}.action_id', 'action id', num_actions)
            check.number(hoi['score'], f'{field}.score')
        check.raise_first()
    return dict(
        subject_bboxes=np.asarray([h['subject_bbox'] for h in hois], np.float64).reshape(-1, 4),
        object_bboxes=np.asarray([h['object_bbox'] for h in hois], np.float64).reshape(-1, 4),
        object_labels=np.asarray([h['object_id'] for h in hois], np.int64),
        action_labels=np.asarray([h['action_id'] for h in hois], np.int64),
        scores=np.asarray([h['score'] for h in hois], np.float64))


def read_predictions_file(pred_file: str,
                          num_objects: Optional[int] = None,
                          num_actions: Optional[int] = None) -> List[dict]:
    """Read and check a predictions file (masks are only located, not read).

    The fields are checked with the annotation file's checkers
    (:class:`~pair_plugin.structures.format_checks.FieldChecker`).

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

    Raises:
        PaIRFormatError: the first problem, naming the file, the entry's ``file_name``
            and the field.
    """
    content = load_json_file(pred_file, 'predictions file', list,
                             'an array of per-image predictions')
    root = osp.dirname(osp.abspath(pred_file))
    check = FieldChecker(pred_file)
    records, seen = [], {}
    for i, entry in enumerate(content):
        where = f'[{i}]'
        check.image = entry if isinstance(entry, dict) else None
        if check.fields(entry, where, ('file_name', 'hois')) and check.name(
                entry['file_name'], f'{where}.file_name'):
            check.unique(entry['file_name'], f'{where}.file_name', 'file_name', seen, where)
        mask = entry.get('contact_mask') if isinstance(entry, dict) else None
        part_scores = entry.get('part_scores') if isinstance(entry, dict) else None
        if check.path_or_null(mask, f'{where}.contact_mask') and mask is not None:
            _check_mask_inside(check, root, mask, f'{where}.contact_mask')
        if part_scores is not None:
            check.numbers(part_scores, f'{where}.part_scores', NUM_PARTS)
        check.raise_first()
        records.append(
            dict(
                file_name=entry['file_name'],
                pred_hois=_parse_hois(check, where, entry['hois'], num_objects, num_actions),
                contact_mask=None if mask is None else osp.normpath(osp.join(root, mask)),
                part_scores=(None if part_scores is None else np.asarray(part_scores, np.float64))))
    return records


def _check_mask_inside(check: FieldChecker, root: str, mask: str, field: str) -> bool:
    """A ``contact_mask`` path that stays inside ``root``, the predictions file's
    directory, symlinks resolved."""
    if osp.isabs(mask) or posixpath.isabs(mask.replace('\\', '/')):
        return check.error(
            field, f'absolute path {mask!r}: give the mask\'s path relative to '
            f'the predictions file\'s folder {root}')
    path = osp.normpath(osp.join(root, mask))
    if osp.commonpath([path, root]) != root:
        return check.error(field, f'{mask!r} leaves the predictions file\'s folder {root}')
    real, real_root = osp.realpath(path), osp.realpath(root)
    if osp.commonpath([real, real_root]) != real_root:
        return check.error(
            field, f'{mask!r} is (or lies under) a symlink to {real}, outside the predictions '
            f'file\'s folder {root}')
    return True


def prediction_entry(record: dict) -> dict:
    """One image's entry of a predictions file.

    Args:
        record (dict): ``file_name``; ``pred_hois`` with ``subject_bboxes``,
            ``object_bboxes`` (K, 4), ``object_labels``, ``action_labels``, ``scores`` (K,)
            (arrays, tensors or lists), or None for a model that predicts no triplets (a
            contact-only model: ``"hois": []``); ``contact_mask`` (a path, a map or None);
            optional ``part_scores`` (17,).

    Returns:
        dict: ``file_name``, ``hois`` (one dict per triplet), ``contact_mask`` and, when
        given, ``part_scores``, in JSON types.
    """
    hois = record['pred_hois']
    if hois is None:  # a contact-only model: no triplets
        hois = dict.fromkeys(
            ('subject_bboxes', 'object_bboxes', 'object_labels', 'action_labels', 'scores'), ())
    subjects = to_numpy(hois['subject_bboxes'], np.float64).reshape(-1, 4)
    objects = to_numpy(hois['object_bboxes'], np.float64).reshape(-1, 4)
    object_ids = to_numpy(hois['object_labels'], np.int64).reshape(-1)
    action_ids = to_numpy(hois['action_labels'], np.int64).reshape(-1)
    scores = to_numpy(hois['scores'], np.float64).reshape(-1)
    entry = dict(
        file_name=record['file_name'],
        hois=[
            dict(
                subject_bbox=s.tolist(),
                object_bbox=o.tolist(),
                object_id=int(obj),
                action_id=int(act),
                score=float(sc))
            for s, o, obj, act, sc in zip(subjects, objects, object_ids, action_ids, scores)
        ],
        contact_mask=record.get('contact_mask'))
    if record.get('part_scores') is not None:
        entry['part_scores'] = to_numpy(record['part_scores'], np.float64).reshape(-1).tolist()
    return entry


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
        entries.append(prediction_entry(record))

    def write(tmp: str) -> None:
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(entries, f)

    replace_atomically(pred_file, write, sync=True)
