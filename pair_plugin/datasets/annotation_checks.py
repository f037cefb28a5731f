"""Validation of a PaIR annotation file, its images and its contact masks.

One set of checks, used in two places:

- :class:`~pair_plugin.datasets.PaIRDataset` runs the content checks
  (:func:`check_annotation_content`) when it loads a file and raises the first problem;
  image and mask files are checked lazily, when the transforms load them
  (:func:`read_contact_mask`, :func:`check_image_size`).
- ``tools/data/check_dataset.py`` runs everything (:func:`check_dataset`), including every
  image and mask file, and lists every problem.

The field checkers are the ones the predictions file uses too
(:class:`~pair_plugin.structures.format_checks.FieldChecker`). Every problem is a
:class:`~pair_plugin.structures.PaIRFormatError` that names the file, the image (its id
and ``file_name``) and the field: ``ann.json: images[3] (id 17, file_name 'a.jpg'):
instances[1].bbox: x2 (12.0) < x1 (40.0)``. Nothing is dropped or repaired here: a
problem is reported, never skipped. What the dataset validated, the transforms, the
model and the metrics trust.

The format itself is documented in ``docs/dataset.md``.
"""
import io
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.fileio import exists, get
from PIL import Image

from pair_plugin.progress import track_progress
from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS, PaIRFormatError, objects_key
from pair_plugin.structures.format_checks import (FieldChecker, is_int, load_json_file,
                                                  read_label_png, referenced_by)
from .image_files import read_image_header

#: the fields every ``images[i]`` entry must have
IMAGE_FIELDS = ('id', 'file_name', 'width', 'height', 'contact_mask', 'instances', 'interactions')
#: the fields every ``images[i].instances[k]`` entry must have
INSTANCE_FIELDS = ('bbox', 'category_id')
#: the fields every ``images[i].interactions[k]`` entry must have
INTERACTION_FIELDS = ('subject_id', 'object_id', 'action_ids', 'contact_parts')
#: the values a contact mask may hold: 0 (no contact), 1..17 (part), 255 (not annotated)
VALID_MASK_VALUES = np.zeros(256, dtype=bool)
VALID_MASK_VALUES[:NUM_PARTS + 1] = VALID_MASK_VALUES[IGNORE_INDEX] = True
#: threads that open image and mask files at once
FILE_CHECK_THREADS = min(8, os.cpu_count() or 1)


def load_annotation_file(ann_file: str, backend_args: Optional[dict] = None) -> dict:
    """Read and parse one annotation file.

    Raises:
        PaIRFormatError: the file is missing, is not valid JSON, or is not a JSON object.
    """
    return load_json_file(ann_file, 'annotation file', dict,
                          'a JSON object with "images" (and "metainfo")', backend_args)


def raise_first_problem(problems: Sequence[PaIRFormatError]) -> None:
    """Raise the first problem, saying how many more there are."""
    if not problems:
        return
    first = problems[0]
    more = (f' (and {len(problems) - 1} more problems; run tools/data/check_dataset.py '
            f'{first.file} to list them all)' if len(problems) > 1 else '')
    raise PaIRFormatError(first.file, first.field, first.message + more, first.image)


def load_valid_annotation(ann_file: str, backend_args: Optional[dict] = None) -> dict:
    """Load an annotation file and check its content against its own metainfo.

    Raises:
        PaIRFormatError: the first problem (and how many more there are).
    """
    ann = load_annotation_file(ann_file, backend_args)
    raise_first_problem(check_annotation_content(ann, ann_file))
    return ann


def check_metainfo(metainfo, file: str, field: str = 'metainfo') -> List[PaIRFormatError]:
    """Check a metainfo dict: ``objects`` (person first), ``actions``, ``hoi_categories``.

    ``classes`` is accepted in place of ``objects`` (mmdet's name). ``hoi_categories`` is
    optional; when given, every entry must be ``[action_id, object_id]`` in range.

    Returns:
        list[PaIRFormatError]: every problem found (empty when the metainfo is valid).
    """
    check = FieldChecker(file)
    if not check.fields(metainfo, field, ()):
        return check.problems
    key_of_objects = objects_key(metainfo)
    for key in (key_of_objects, 'actions'):
        names = metainfo.get(key)
        if names is None:
            check.error(f'{field}.{key}', 'missing required field')
            continue
        if not isinstance(names, (list, tuple)) or not names:
            check.error(f'{field}.{key}', 'expected a non-empty array of names')
            continue
        seen: Dict[str, str] = {}
        for i, name in enumerate(names):
            if check.name(name, f'{field}.{key}[{i}]'):
                check.unique(name, f'{field}.{key}[{i}]', 'name', seen, f'index {i}')
        if key == key_of_objects and names[0] != 'person':
            check.error(f'{field}.{key}[0]',
                        f'must be "person" (subjects are object id 0), got {names[0]!r}')
    hoi = metainfo.get('hoi_categories')
    if check.problems or hoi is None:
        return check.problems
    if not isinstance(hoi, (list, tuple)):
        check.error(f'{field}.hoi_categories', 'expected an array of [action_id, '
                    'object_id] pairs')
        return check.problems
    num_actions = len(metainfo['actions'])
    num_objects = len(metainfo[key_of_objects])
    seen = {}
    for i, pair in enumerate(hoi):
        where = f'{field}.hoi_categories[{i}]'
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                or not all(is_int(v) for v in pair)):
            check.error(where, f'expected [action_id, object_id] integers, got {pair!r}')
            continue
        ok = check.index(pair[0], where, 'action id', num_actions)
        ok = check.index(pair[1], where, 'object id', num_objects) and ok
        if ok:
            check.unique(tuple(pair), where, 'category', seen, f'index {i}')
    return check.problems


def check_annotation_content(ann: dict,
                             ann_file: str,
                             metainfo: Optional[dict] = None,
                             metainfo_checked: bool = False) -> List[PaIRFormatError]:
    """Check everything that can be checked without opening images and masks.

    Args:
        ann (dict): the parsed annotation file.
        ann_file (str): its path, named in every problem.
        metainfo (dict, optional): the metainfo to check ids against (``objects`` or
            ``classes``, ``actions``, optional ``hoi_categories``). Defaults to the
            file's own ``metainfo``.
        metainfo_checked (bool): ``metainfo`` was checked already (``PaIRDataset`` checks
            the merged metainfo once); only the images are checked against it.

    Returns:
        list[PaIRFormatError]: every problem found, in file order.
    """
    check = FieldChecker(ann_file)
    problems = check.problems
    if 'metainfo' in ann:
        problems.extend(check_metainfo(ann['metainfo'], ann_file))
    if metainfo is not None:
        meta_problems = ([] if metainfo_checked else check_metainfo(metainfo, ann_file,
                                                                    'metainfo (given)'))
        problems.extend(meta_problems)
        meta = None if meta_problems else metainfo
    else:
        meta = None if problems else ann.get('metainfo')
        if 'metainfo' not in ann:
            check.error(
                'metainfo', 'missing: give "metainfo" with "objects" and '
                '"actions" in the file or in the dataset config')
    objects = actions = valid_hoi = None
    if meta is not None:
        objects, actions = meta[objects_key(meta)], meta['actions']
        if meta.get('hoi_categories') is not None:
            valid_hoi = {tuple(p) for p in meta['hoi_categories']}

    images = ann.get('images')
    if images is None:
        check.error('images', 'missing required field')
        return problems
    if not check.array(images, 'images'):
        return problems
    ids_seen: Dict[int, str] = {}
    names_seen: Dict[str, str] = {}
    for i, img in enumerate(images):
        check.image = img if isinstance(img, dict) else None
        _check_image(check, img, f'images[{i}]', ids_seen, names_seen, objects, actions, valid_hoi)
    check.image = None
    return problems


def _check_image(check: FieldChecker, img, f: str, ids_seen: dict, names_seen: dict,
                 objects: Optional[Sequence[str]], actions: Optional[Sequence[str]],
                 valid_hoi: Optional[set]) -> None:
    """Check one ``images[i]`` entry (problems go to ``check``)."""
    check.fields(img, f, IMAGE_FIELDS)
    if not isinstance(img, dict):
        return
    if 'id' in img:
        if not is_int(img['id']):
            check.error(f'{f}.id', f'expected an integer, got {img["id"]!r}')
        else:
            check.unique(img['id'], f'{f}.id', 'image id', ids_seen, f)
    if 'file_name' in img and check.name(img['file_name'], f'{f}.file_name'):
        check.unique(img['file_name'], f'{f}.file_name', 'file_name', names_seen, f)
    size_ok = all(
        [check.positive_int(img[key], f'{f}.{key}') for key in ('width', 'height') if key in img])
    size = ((img['width'],
             img['height']) if size_ok and 'width' in img and 'height' in img else None)
    check.path_or_null(img.get('contact_mask'), f'{f}.contact_mask')

    instances = img.get('instances')
    categories: List[Optional[int]] = []
    if instances is not None and not check.array(instances, f'{f}.instances'):
        instances = None
    for k, inst in enumerate(instances or []):
        fi = f'{f}.instances[{k}]'
        categories.append(None)
        check.fields(inst, fi, INSTANCE_FIELDS)
        if not isinstance(inst, dict):
            continue
        if 'bbox' in inst:
            check.box(inst['bbox'], f'{fi}.bbox', size)
        if 'category_id' in inst and check.index(inst['category_id'], f'{fi}.category_id',
                                                 'object id',
                                                 None if objects is None else len(objects)):
            categories[-1] = inst['category_id']

    interactions = img.get('interactions') or []
    if not check.array(interactions, f'{f}.interactions'):
        interactions = []
    num_inst = len(instances) if instances is not None else None
    pairs_seen: Dict[Tuple[int, int], str] = {}
    for k, inter in enumerate(interactions):
        fi = f'{f}.interactions[{k}]'
        check.fields(inter, fi, INTERACTION_FIELDS)
        if not isinstance(inter, dict):
            continue
        ends = {}
        for key in ('subject_id', 'object_id'):
            if key in inter and check.index(inter[key], f'{fi}.{key}', 'instance index', num_inst):
                ends[key] = inter[key]
        subj, obj = ends.get('subject_id'), ends.get('object_id')
        subj_cat = categories[subj] if subj is not None and subj < len(categories) else None
        obj_cat = categories[obj] if obj is not None and obj < len(categories) else None
        if subj_cat not in (None, 0):
            cat = subj_cat
            name = objects[cat] if objects is not None else cat
            check.error(
                f'{fi}.subject_id', f'instance {subj} is a {name!r} (category '
                f'{cat}), but a subject must be a person (category 0)')
        if subj is not None and obj is not None:
            if subj == obj:
                check.error(f'{fi}.object_id', f'same instance as subject_id ({subj})')
            elif (subj, obj) in pairs_seen:
                check.error(
                    fi, f'duplicate pair (subject {subj}, object {obj}), also '
                    f'{pairs_seen[(subj, obj)]}: merge their action_ids')
            else:
                pairs_seen[(subj, obj)] = f'interactions[{k}]'
        if 'action_ids' in inter:
            check.index_list(
                inter['action_ids'],
                f'{fi}.action_ids',
                'action id',
                None if actions is None else len(actions),
                empty_message='every interaction needs at least one '
                'action')
            if valid_hoi is not None and obj_cat is not None and isinstance(
                    inter['action_ids'], list):
                for j, action in enumerate(inter['action_ids']):
                    if (is_int(action) and 0 <= action < len(actions)
                            and (action, obj_cat) not in valid_hoi):
                        check.error(
                            f'{fi}.action_ids[{j}]',
                            f'({actions[action]!r}, {objects[obj_cat]!r}) = '
                            f'[{action}, {obj_cat}] is not in '
                            f'metainfo.hoi_categories')
        if 'contact_parts' in inter:
            check.index_list(
                inter['contact_parts'], f'{fi}.contact_parts', 'body part id', NUM_PARTS + 1, low=1)


def read_contact_mask(path: str,
                      expected_hw: Optional[Tuple[int, int]] = None,
                      backend_args: Optional[dict] = None,
                      referenced_by: str = '') -> np.ndarray:
    """Read one ground-truth contact mask and check its mode, size and values.

    Args:
        path (str): the PNG file.
        expected_hw (tuple[int, int], optional): the image's (height, width).
        backend_args (dict, optional): mmengine file backend arguments.
        referenced_by (str): where the path came from
            (:func:`~pair_plugin.structures.format_checks.referenced_by`), added to the
            messages.

    Returns:
        np.ndarray: (H, W) uint8, 0 none, 1..17 part, 255 not annotated.

    Raises:
        PaIRFormatError: missing or unreadable file, a mode other than single-channel
            8-bit (``L`` or ``P``), a size other than ``expected_hw``, or values other
            than 0..17 and 255.
    """
    mask = read_label_png(path, 'contact mask', expected_hw, backend_args, referenced_by)
    present = np.flatnonzero(np.bincount(mask.ravel(), minlength=256))
    bad = present[~VALID_MASK_VALUES[present]]
    if bad.size:
        where = f' (referenced by {referenced_by})' if referenced_by else ''
        raise PaIRFormatError(
            path, 'values', f'values {bad[:10].tolist()} are not part ids (allowed: 0 '
            f'none, 1..{NUM_PARTS} parts, {IGNORE_INDEX} not annotated){where}')
    return mask


def read_image_size(path: str,
                    decode: bool = True,
                    backend_args: Optional[dict] = None,
                    apply_orientation: bool = False) -> Tuple[int, int]:
    """Return an image file's (height, width), raising a clear error if unreadable.

    Args:
        path (str): the image file.
        decode (bool): decode the pixels too (finds damage anywhere in the file);
            otherwise the header and the file's end are read
            (:func:`~pair_plugin.datasets.image_files.read_image_header`: finds empty,
            cut and non-image files).
        apply_orientation (bool): the size after the EXIF orientation is applied, as
            mmcv's loader gives it by default.

    Raises:
        PaIRFormatError: missing or unreadable file.
    """
    hw = read_image_header(path, backend_args, apply_orientation)
    if decode:
        try:
            with Image.open(io.BytesIO(get(path, backend_args=backend_args))) as im:
                im.load()
        except Exception as exc:
            raise PaIRFormatError(path, '(file)', f'cannot read image: {exc}') from None
    return hw


def check_image_size(img_path: str,
                     actual_hw: Sequence[int],
                     expected_hw: Sequence[int],
                     referenced_by: str = ''):
    """Raise if a loaded image's size differs from its annotation's width/height."""
    if tuple(actual_hw[:2]) != tuple(expected_hw[:2]):
        hint = ''
        if tuple(actual_hw[:2]) == tuple(expected_hw[:2])[::-1]:
            hint = (' (transposed: an EXIF orientation tag was probably applied; '
                    "load with color_type='color_ignore_orientation')")
        where = f' ({referenced_by})' if referenced_by else ''
        raise PaIRFormatError(
            img_path, 'size', f'image is {actual_hw[1]}x{actual_hw[0]} (WxH), but '
            f'the annotation says {expected_hw[1]}x{expected_hw[0]}{where}{hint}')


def check_dataset(ann_file: str,
                  data_root: Optional[str] = None,
                  metainfo: Optional[dict] = None,
                  check_files: bool = True,
                  decode_images: bool = True,
                  progress: bool = False,
                  backend_args: Optional[dict] = None,
                  img_prefix: Optional[str] = None,
                  mask_prefix: Optional[str] = None) -> List[PaIRFormatError]:
    """Check an annotation file, and optionally every image and mask it references.

    Args:
        ann_file (str): the annotation JSON.
        data_root (str, optional): the folder that ``file_name`` and ``contact_mask``
            paths are relative to. Defaults to the parent of the annotation file's folder
            (the ``<root>/annotations/<split>.json`` layout every pair_plugin tool writes).
        metainfo (dict, optional): check ids against this instead of the file's metainfo.
        check_files (bool): open every image and mask (existence, readability, size,
            mask mode and values).
        decode_images (bool): decode image pixels, not only headers and file ends.
        progress (bool): show a progress bar over the images.
        backend_args (dict, optional): mmengine file backend arguments.
        img_prefix (str, optional): the folder that ``file_name`` is relative to, when
            it is not ``data_root`` (the dataset config's ``data_prefix.img_path``).
        mask_prefix (str, optional): the folder that ``contact_mask`` is relative to,
            when it is not ``data_root`` (``data_prefix.seg_map_path``).

    Returns:
        list[PaIRFormatError]: every problem found; empty means the dataset is valid.
    """
    try:
        ann = load_annotation_file(ann_file, backend_args)
    except PaIRFormatError as exc:
        return [exc]
    problems = check_annotation_content(ann, ann_file, metainfo)
    if not check_files:
        return problems
    if data_root is None:
        data_root = default_data_root(ann_file)
    return problems + check_image_and_mask_files(ann, ann_file, img_prefix or data_root, mask_prefix
                                                 or data_root, decode_images, progress,
                                                 backend_args)


def check_image_and_mask_files(ann: dict,
                               ann_file: str,
                               img_prefix: str,
                               mask_prefix: str,
                               decode_images: bool = False,
                               progress: bool = False,
                               backend_args: Optional[dict] = None,
                               apply_orientation: bool = False) -> List[PaIRFormatError]:
    """Check the image and contact mask files of a parsed annotation file.

    Images: present, readable (:func:`read_image_size`: the header and the file's end,
    or every pixel with ``decode_images``) and of the annotation's width and height.
    Masks: present, single-channel 8-bit, the image's size, values 0..17 and 255.
    Entries that are not objects are skipped (the content checks report them).

    Args:
        ann (dict): the parsed annotation file.
        ann_file (str): its path, for messages.
        img_prefix (str): the folder that ``file_name`` is relative to.
        mask_prefix (str): the folder that ``contact_mask`` is relative to.
        decode_images (bool): decode image pixels, not only headers and file ends.
        progress (bool): show a progress display over the images.
        backend_args (dict, optional): mmengine file backend arguments.
        apply_orientation (bool): compare the size after the EXIF orientation is
            applied, as the data pipeline's loader gives it (mmcv's
            ``LoadImageFromFile`` with its default ``color_type='color'``).

    Returns:
        list[PaIRFormatError]: every problem, in file order.
    """
    images = ann.get('images')
    if not isinstance(images, list):
        return []

    def check(i: int) -> List[PaIRFormatError]:
        img = images[i]
        if not isinstance(img, dict):
            return []
        return _check_image_files(ann_file, mask_prefix, img_prefix, i, img, decode_images,
                                  backend_args, apply_orientation)

    problems = []
    # file reads and Pillow's decoders release the GIL: threads overlap them
    with ThreadPoolExecutor(max_workers=FILE_CHECK_THREADS) as pool:
        for found in track_progress(
                pool.map(check, range(len(images))),
                total=len(images),
                title=f'checking the files of {ann_file}',
                enabled=progress):
            problems.extend(found)
    return problems


def _check_image_files(ann_file: str,
                       mask_prefix: str,
                       img_prefix: str,
                       i: int,
                       img: dict,
                       decode_images: bool,
                       backend_args: Optional[dict],
                       apply_orientation: bool = False) -> List[PaIRFormatError]:
    """The problems of the image and mask files of ``images[i]``."""
    check = FieldChecker(ann_file)
    check.image = img
    width, height = img.get('width'), img.get('height')
    expected = (height, width) if is_int(width) and is_int(height) else None
    name = img.get('file_name')
    if isinstance(name, str) and name:
        path = osp.join(img_prefix, name)
        try:
            hw = read_image_size(path, decode_images, backend_args, apply_orientation)
        except PaIRFormatError as exc:
            if exc.message == 'no such image file':
                check.error(f'images[{i}].file_name', f'no such image file: {path}')
            else:
                where = referenced_by(ann_file, f'images[{i}].file_name', img)
                check.problems.append(
                    PaIRFormatError(exc.file, exc.field, f'{exc.message} (referenced by {where})'))
        else:
            if expected is not None and hw != expected:
                turned = (' as the loader turns it by its EXIF orientation (load with '
                          "color_type='color_ignore_orientation', or give the turned size)"
                          if apply_orientation and hw[::-1] == expected else '')
                check.error(
                    f'images[{i}].width/height', f'{width}x{height} in the '
                    f'annotation, but {path} is {hw[1]}x{hw[0]}{turned}')
    mask = img.get('contact_mask')
    if isinstance(mask, str) and mask:
        path = osp.join(mask_prefix, mask)
        if not exists(path, backend_args=backend_args):
            check.error(f'images[{i}].contact_mask', f'no such contact mask: {path}')
        else:
            try:
                read_contact_mask(path, expected, backend_args,
                                  referenced_by(ann_file, f'images[{i}].contact_mask', img))
            except PaIRFormatError as exc:
                check.problems.append(exc)
    return check.problems


def default_data_root(ann_file: str) -> str:
    """The data root of the ``<root>/annotations/<split>.json`` layout: ``<root>``."""
    return osp.dirname(osp.dirname(osp.abspath(ann_file)))
