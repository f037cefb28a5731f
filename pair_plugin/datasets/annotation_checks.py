"""Validation of a PaIR annotation file, its images and its contact masks.

One set of checks, used in two places:

- :class:`~pair_plugin.datasets.PaIRDataset` runs the content checks
  (:func:`check_annotation_content`) when it loads a file and raises the first problem;
  image and mask files are checked lazily, when the transforms load them
  (:func:`read_contact_mask`, :func:`check_image_size`).
- ``tools/data/check_dataset.py`` runs everything (:func:`check_dataset`), including every
  image and mask file, and lists every problem.

Every problem is a :class:`~pair_plugin.structures.PaIRFormatError` that names the file and
the field (``ann.json: images[3].instances[1].bbox: x2 (12.0) < x1 (40.0)``). Nothing is
dropped or repaired here: a problem is reported, never skipped.

The format itself is documented in ``docs/dataset.md``.
"""
import io
import json
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.fileio import exists, get, get_text
from mmengine.utils import ProgressBar
from PIL import Image

from pair_plugin.structures import (IGNORE_INDEX, NUM_PARTS, PaIRFormatError,
                                    contact_map_ids)

#: the fields every ``images[i]`` entry must have, with their JSON types
IMAGE_FIELDS = ('id', 'file_name', 'width', 'height', 'contact_mask',
                'instances', 'interactions')
#: the fields every ``images[i].instances[k]`` entry must have
INSTANCE_FIELDS = ('bbox', 'category_id')
#: the fields every ``images[i].interactions[k]`` entry must have
INTERACTION_FIELDS = ('subject_id', 'object_id', 'action_ids', 'contact_parts')
#: the values a contact mask may hold: 0 (no contact), 1..17 (part), 255 (not annotated)
VALID_MASK_VALUES = frozenset(list(range(NUM_PARTS + 1)) + [IGNORE_INDEX])
#: PIL modes of a single-channel 8-bit image
MASK_MODES = ('L', 'P')


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _type_name(value) -> str:
    return {dict: 'object', list: 'array', str: 'string', bool: 'boolean',
            int: 'integer', float: 'number', type(None): 'null'}.get(
                type(value), type(value).__name__)


def load_annotation_file(ann_file: str,
                         backend_args: Optional[dict] = None) -> dict:
    """Read and parse one annotation file.

    Args:
        ann_file (str): path of the JSON file.
        backend_args (dict, optional): mmengine file backend arguments.

    Returns:
        dict: the parsed JSON object.

    Raises:
        PaIRFormatError: the file is missing, is not valid JSON, or is not a JSON object.
    """
    if not exists(ann_file, backend_args=backend_args):
        raise PaIRFormatError(ann_file, '(file)', 'no such annotation file')
    text = get_text(ann_file, backend_args=backend_args)
    try:
        ann = json.loads(text)
    except json.JSONDecodeError as err:
        raise PaIRFormatError(
            ann_file, f'line {err.lineno} column {err.colno}',
            f'malformed JSON: {err.msg}') from None
    if not isinstance(ann, dict):
        raise PaIRFormatError(
            ann_file, '(root)',
            f'expected a JSON object with "images" (and "metainfo"), got '
            f'{_type_name(ann)}')
    return ann


def check_metainfo(metainfo, file: str,
                   field: str = 'metainfo') -> List[PaIRFormatError]:
    """Check a metainfo dict: ``objects`` (person first), ``actions``, ``hoi_categories``.

    ``classes`` is accepted in place of ``objects`` (mmdet's name). ``hoi_categories`` is
    optional; when given, every entry must be ``[action_id, object_id]`` in range.

    Returns:
        list[PaIRFormatError]: every problem found (empty when the metainfo is valid).
    """
    problems = []

    def err(sub, msg):
        problems.append(PaIRFormatError(file, f'{field}{sub}', msg))

    if not isinstance(metainfo, dict):
        err('', f'expected an object, got {_type_name(metainfo)}')
        return problems
    objects_key = 'objects' if 'objects' in metainfo else 'classes'
    for key in (objects_key, 'actions'):
        names = metainfo.get(key)
        if names is None:
            err(f'.{key}', 'missing required field')
            continue
        if not isinstance(names, (list, tuple)) or not names:
            err(f'.{key}', 'expected a non-empty array of names')
            continue
        seen = {}
        for i, name in enumerate(names):
            if not isinstance(name, str) or not name:
                err(f'.{key}[{i}]', f'expected a non-empty string, got {name!r}')
            elif name in seen:
                err(f'.{key}[{i}]',
                    f'duplicate name {name!r} (also at index {seen[name]})')
            else:
                seen[name] = i
        if key == objects_key and names[0] != 'person':
            err(f'.{key}[0]',
                f'must be "person" (subjects are object id 0), got {names[0]!r}')
    if problems:
        return problems
    hoi = metainfo.get('hoi_categories')
    if hoi is None:
        return problems
    if not isinstance(hoi, (list, tuple)):
        err('.hoi_categories', f'expected an array, got {_type_name(hoi)}')
        return problems
    num_actions = len(metainfo['actions'])
    num_objects = len(metainfo[objects_key])
    seen = {}
    for i, pair in enumerate(hoi):
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                or not all(_is_int(v) for v in pair)):
            err(f'.hoi_categories[{i}]',
                f'expected [action_id, object_id] integers, got {pair!r}')
            continue
        action, obj = pair
        if not 0 <= action < num_actions:
            err(f'.hoi_categories[{i}]',
                f'action id {action} out of range [0, {num_actions})')
        if not 0 <= obj < num_objects:
            err(f'.hoi_categories[{i}]',
                f'object id {obj} out of range [0, {num_objects})')
        key = (action, obj)
        if key in seen:
            err(f'.hoi_categories[{i}]',
                f'duplicate category {list(key)} (also at index {seen[key]})')
        seen[key] = i
    return problems


def _check_bbox(bbox, width, height, field, err) -> bool:
    if (not isinstance(bbox, (list, tuple)) or len(bbox) != 4
            or not all(_is_number(v) for v in bbox)):
        err(field, f'expected [x1, y1, x2, y2] of 4 finite numbers, got {bbox!r}')
        return False
    x1, y1, x2, y2 = bbox
    ok = True
    if x2 < x1:
        err(field, f'x2 ({x2}) < x1 ({x1})')
        ok = False
    if y2 < y1:
        err(field, f'y2 ({y2}) < y1 ({y1})')
        ok = False
    if _is_int(width) and _is_int(height) and (
            x1 < 0 or y1 < 0 or x2 > width or y2 > height):
        err(field, f'box {list(bbox)} lies outside the {width}x{height} image '
            f'(0 <= x1, y1 and x2 <= width, y2 <= height)')
        ok = False
    return ok


def _check_id_list(values, low, high, field, what, err, allow_empty):
    if not isinstance(values, (list, tuple)):
        err(field, f'expected an array of {what} ids, got {_type_name(values)}')
        return
    if not values and not allow_empty:
        err(field, f'empty: every interaction needs at least one {what}')
    seen = set()
    for j, value in enumerate(values):
        if not _is_int(value):
            err(f'{field}[{j}]', f'expected an integer {what} id, got {value!r}')
        elif not low <= value < high:
            err(f'{field}[{j}]',
                f'{what} id {value} out of range [{low}, {high})')
        elif value in seen:
            err(f'{field}[{j}]', f'duplicate {what} id {value}')
        else:
            seen.add(value)


def check_annotation_content(ann: dict, ann_file: str,
                             metainfo: Optional[dict] = None
                             ) -> List[PaIRFormatError]:
    """Check everything that can be checked without opening images and masks.

    Args:
        ann (dict): the parsed annotation file.
        ann_file (str): its path, named in every problem.
        metainfo (dict, optional): the metainfo to check ids against (``objects`` or
            ``classes``, ``actions``, optional ``hoi_categories``). Defaults to the
            file's own ``metainfo``.

    Returns:
        list[PaIRFormatError]: every problem found, in file order.
    """
    problems = []

    def err(field, msg):
        problems.append(PaIRFormatError(ann_file, field, msg))

    if 'metainfo' in ann:
        problems.extend(check_metainfo(ann['metainfo'], ann_file))
    if metainfo is not None:
        meta_problems = check_metainfo(metainfo, ann_file, 'metainfo (given)')
        problems.extend(meta_problems)
        meta = None if meta_problems else metainfo
    else:
        meta = None if problems else ann.get('metainfo')
        if 'metainfo' not in ann:
            err('metainfo', 'missing: give "metainfo" with "objects" and '
                '"actions" in the file or in the dataset config')
    objects = actions = None
    valid_hoi = None
    if meta is not None:
        objects = meta.get('objects', meta.get('classes'))
        actions = meta['actions']
        if meta.get('hoi_categories') is not None:
            valid_hoi = {tuple(p) for p in meta['hoi_categories']}

    images = ann.get('images')
    if images is None:
        err('images', 'missing required field')
        return problems
    if not isinstance(images, list):
        err('images', f'expected an array, got {_type_name(images)}')
        return problems

    ids_seen: Dict[int, int] = {}
    names_seen: Dict[str, int] = {}
    for i, img in enumerate(images):
        f = f'images[{i}]'
        if not isinstance(img, dict):
            err(f, f'expected an object, got {_type_name(img)}')
            continue
        for key in IMAGE_FIELDS:
            if key not in img:
                err(f'{f}.{key}', 'missing required field')
        img_id = img.get('id')
        if 'id' in img:
            if not _is_int(img_id):
                err(f'{f}.id', f'expected an integer, got {img_id!r}')
            elif img_id in ids_seen:
                err(f'{f}.id',
                    f'duplicate image id {img_id} (also images[{ids_seen[img_id]}])')
            else:
                ids_seen[img_id] = i
        name = img.get('file_name')
        if 'file_name' in img:
            if not isinstance(name, str) or not name:
                err(f'{f}.file_name', f'expected a non-empty string, got {name!r}')
            elif name in names_seen:
                err(f'{f}.file_name', f'duplicate file_name {name!r} '
                    f'(also images[{names_seen[name]}])')
            else:
                names_seen[name] = i
        width, height = img.get('width'), img.get('height')
        for key, value in (('width', width), ('height', height)):
            if key in img and (not _is_int(value) or value <= 0):
                err(f'{f}.{key}', f'expected a positive integer, got {value!r}')
        if not (_is_int(width) and width > 0 and _is_int(height) and height > 0):
            width = height = None
        mask = img.get('contact_mask')
        if mask is not None and (not isinstance(mask, str) or not mask):
            err(f'{f}.contact_mask',
                f'expected a path string or null, got {mask!r}')

        instances = img.get('instances')
        categories = []
        if 'instances' in img and not isinstance(instances, list):
            err(f'{f}.instances', f'expected an array, got {_type_name(instances)}')
            instances = None
        for k, inst in enumerate(instances or []):
            fi = f'{f}.instances[{k}]'
            categories.append(None)
            if not isinstance(inst, dict):
                err(fi, f'expected an object, got {_type_name(inst)}')
                continue
            for key in INSTANCE_FIELDS:
                if key not in inst:
                    err(f'{fi}.{key}', 'missing required field')
            if 'bbox' in inst:
                _check_bbox(inst['bbox'], width, height, f'{fi}.bbox', err)
            cat = inst.get('category_id')
            if 'category_id' in inst:
                if not _is_int(cat):
                    err(f'{fi}.category_id', f'expected an integer, got {cat!r}')
                elif objects is not None and not 0 <= cat < len(objects):
                    err(f'{fi}.category_id',
                        f'object id {cat} out of range [0, {len(objects)})')
                else:
                    categories[-1] = cat

        interactions = img.get('interactions')
        if 'interactions' in img and not isinstance(interactions, list):
            err(f'{f}.interactions',
                f'expected an array, got {_type_name(interactions)}')
            interactions = None
        num_inst = len(instances) if instances is not None else None
        pairs_seen: Dict[Tuple[int, int], int] = {}
        for k, inter in enumerate(interactions or []):
            fi = f'{f}.interactions[{k}]'
            if not isinstance(inter, dict):
                err(fi, f'expected an object, got {_type_name(inter)}')
                continue
            for key in INTERACTION_FIELDS:
                if key not in inter:
                    err(f'{fi}.{key}', 'missing required field')
            ends = {}
            for key in ('subject_id', 'object_id'):
                if key not in inter:
                    continue
                value = inter[key]
                if not _is_int(value):
                    err(f'{fi}.{key}', f'expected an integer, got {value!r}')
                elif num_inst is not None and not 0 <= value < num_inst:
                    err(f'{fi}.{key}', f'instance index {value} out of range '
                        f'[0, {num_inst}) (the image has {num_inst} instances)')
                else:
                    ends[key] = value
            subj, obj = ends.get('subject_id'), ends.get('object_id')
            if subj is not None:
                cat = categories[subj] if subj < len(categories) else None
                if cat is not None and cat != 0:
                    name = objects[cat] if objects is not None else cat
                    err(f'{fi}.subject_id', f'instance {subj} is a {name!r} '
                        f'(category {cat}), but a subject must be a person '
                        f'(category 0)')
            if subj is not None and obj is not None:
                if subj == obj:
                    err(f'{fi}.object_id',
                        f'same instance as subject_id ({subj})')
                elif (subj, obj) in pairs_seen:
                    err(fi, f'duplicate pair (subject {subj}, object {obj}), '
                        f'also interactions[{pairs_seen[(subj, obj)]}]: merge '
                        f'their action_ids')
                else:
                    pairs_seen[(subj, obj)] = k
            if 'action_ids' in inter:
                high = len(actions) if actions is not None else 2**31
                _check_id_list(inter['action_ids'], 0, high, f'{fi}.action_ids',
                               'action', err, allow_empty=False)
                obj_cat = (categories[obj] if obj is not None
                           and obj < len(categories) else None)
                if (valid_hoi is not None and obj_cat is not None
                        and isinstance(inter['action_ids'], (list, tuple))):
                    for j, action in enumerate(inter['action_ids']):
                        if (_is_int(action) and 0 <= action < len(actions)
                                and (action, obj_cat) not in valid_hoi):
                            err(f'{fi}.action_ids[{j}]',
                                f'({actions[action]!r}, {objects[obj_cat]!r}) = '
                                f'[{action}, {obj_cat}] is not in '
                                f'metainfo.hoi_categories')
            if 'contact_parts' in inter:
                _check_id_list(inter['contact_parts'], 1, NUM_PARTS + 1,
                               f'{fi}.contact_parts', 'body part', err,
                               allow_empty=True)
    return problems


def read_contact_mask(path: str,
                      expected_hw: Optional[Tuple[int, int]] = None,
                      backend_args: Optional[dict] = None,
                      referenced_by: str = '') -> np.ndarray:
    """Read one contact mask and check its mode, size and values.

    Args:
        path (str): the PNG file.
        expected_hw (tuple[int, int], optional): the image's (height, width).
        backend_args (dict, optional): mmengine file backend arguments.
        referenced_by (str): where the path came from (``ann.json images[3]``), added
            to the messages.

    Returns:
        np.ndarray: (H, W) uint8, 0 none, 1..17 part, 255 not annotated.

    Raises:
        PaIRFormatError: missing or unreadable file, a mode other than single-channel
            8-bit (``L`` or ``P``), a size other than ``expected_hw``, or values other
            than 0..17 and 255.
    """
    where = f' (referenced by {referenced_by})' if referenced_by else ''
    if not exists(path, backend_args=backend_args):
        raise PaIRFormatError(path, '(file)', f'no such contact mask{where}')
    try:
        with Image.open(io.BytesIO(get(path, backend_args=backend_args))) as im:
            mode = im.mode
            if mode not in MASK_MODES:
                raise PaIRFormatError(
                    path, 'mode', f'expected a single-channel 8-bit PNG (mode L '
                    f'or P) of part ids, got mode {mode}{where}')
            mask = np.array(im)
    except PaIRFormatError:
        raise
    except Exception as exc:  # PIL raises many types for corrupt files
        raise PaIRFormatError(path, '(file)',
                              f'cannot read contact mask: {exc}{where}') from None
    if expected_hw is not None and tuple(mask.shape[:2]) != tuple(expected_hw):
        raise PaIRFormatError(
            path, 'size', f'mask is {mask.shape[1]}x{mask.shape[0]} (WxH), but '
            f'the image is {expected_hw[1]}x{expected_hw[0]}{where}')
    values = contact_map_ids(mask)
    bad = [int(v) for v in values if int(v) not in VALID_MASK_VALUES]
    if bad:
        raise PaIRFormatError(
            path, 'values', f'values {bad[:10]} are not part ids (allowed: 0 none, '
            f'1..{NUM_PARTS} parts, {IGNORE_INDEX} not annotated){where}')
    return mask.astype(np.uint8, copy=False)


def read_image_size(path: str, decode: bool = True,
                    backend_args: Optional[dict] = None) -> Tuple[int, int]:
    """Return an image file's (height, width), raising a clear error if unreadable.

    Args:
        path (str): the image file.
        decode (bool): decode the pixels too (finds truncated files); otherwise only the
            header is read.

    Raises:
        PaIRFormatError: missing or unreadable file.
    """
    if not exists(path, backend_args=backend_args):
        raise PaIRFormatError(path, '(file)', 'no such image file')
    try:
        with Image.open(io.BytesIO(get(path, backend_args=backend_args))) as im:
            if decode:
                im.load()
            return im.height, im.width
    except Exception as exc:
        raise PaIRFormatError(path, '(file)',
                              f'cannot read image: {exc}') from None


def check_image_size(img_path: str, actual_hw: Sequence[int],
                     expected_hw: Sequence[int], ann_field: str = ''):
    """Raise if a loaded image's size differs from its annotation's width/height."""
    if tuple(actual_hw[:2]) != tuple(expected_hw[:2]):
        hint = ''
        if tuple(actual_hw[:2]) == tuple(expected_hw[:2])[::-1]:
            hint = (' (transposed: an EXIF orientation tag was probably applied; '
                    "load with color_type='color_ignore_orientation')")
        where = f' ({ann_field})' if ann_field else ''
        raise PaIRFormatError(
            img_path, 'size', f'image is {actual_hw[1]}x{actual_hw[0]} (WxH), but '
            f'the annotation says {expected_hw[1]}x{expected_hw[0]}{where}{hint}')


def check_dataset(ann_file: str,
                  data_root: Optional[str] = None,
                  metainfo: Optional[dict] = None,
                  check_files: bool = True,
                  decode_images: bool = True,
                  progress: bool = False,
                  backend_args: Optional[dict] = None) -> List[PaIRFormatError]:
    """Check an annotation file, and optionally every image and mask it references.

    Args:
        ann_file (str): the annotation JSON.
        data_root (str, optional): the folder that ``file_name`` and ``contact_mask``
            paths are relative to. Defaults to the parent of the annotation file's folder
            (the ``<root>/annotations/<split>.json`` layout every pair_plugin tool writes).
        metainfo (dict, optional): check ids against this instead of the file's metainfo.
        check_files (bool): open every image and mask (existence, readability, size,
            mask mode and values).
        decode_images (bool): decode image pixels, not only headers.
        progress (bool): show a progress bar over the images.

    Returns:
        list[PaIRFormatError]: every problem found; empty means the dataset is valid.
    """
    try:
        ann = load_annotation_file(ann_file, backend_args)
    except PaIRFormatError as exc:
        return [exc]
    problems = check_annotation_content(ann, ann_file, metainfo)
    images = ann.get('images')
    if not check_files or not isinstance(images, list):
        return problems
    if data_root is None:
        data_root = default_data_root(ann_file)
    bar = ProgressBar(len(images)) if progress and images else None
    for i, img in enumerate(images):
        if bar is not None:
            bar.update()
        if not isinstance(img, dict):
            continue
        width, height = img.get('width'), img.get('height')
        expected = ((height, width) if _is_int(width) and _is_int(height)
                    else None)
        name = img.get('file_name')
        if isinstance(name, str) and name:
            path = osp.join(data_root, name)
            try:
                hw = read_image_size(path, decode_images, backend_args)
            except PaIRFormatError as exc:
                if exc.message == 'no such image file':
                    problems.append(PaIRFormatError(
                        ann_file, f'images[{i}].file_name',
                        f'no such image file: {path}'))
                else:
                    problems.append(exc)
            else:
                if expected is not None and hw != expected:
                    problems.append(PaIRFormatError(
                        ann_file, f'images[{i}].width/height',
                        f'{width}x{height} in the annotation, but {path} is '
                        f'{hw[1]}x{hw[0]}'))
        mask = img.get('contact_mask')
        if isinstance(mask, str) and mask:
            path = osp.join(data_root, mask)
            if not exists(path, backend_args=backend_args):
                problems.append(PaIRFormatError(
                    ann_file, f'images[{i}].contact_mask',
                    f'no such contact mask: {path}'))
                continue
            try:
                read_contact_mask(path, expected, backend_args,
                                  f'{ann_file} images[{i}].contact_mask')
            except PaIRFormatError as exc:
                problems.append(exc)
    if bar is not None:
        print()
    return problems


def default_data_root(ann_file: str) -> str:
    """The data root of the ``<root>/annotations/<split>.json`` layout: ``<root>``."""
    return osp.dirname(osp.dirname(osp.abspath(ann_file)))
