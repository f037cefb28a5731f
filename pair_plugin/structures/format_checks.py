"""The checks that every PaIR-format file shares: JSON loading, field checkers, label PNGs.

The annotation checker (:mod:`pair_plugin.datasets.annotation_checks`) and the
predictions-file reader (:mod:`pair_plugin.evaluation.predictions_file`) validate their
fields with one :class:`FieldChecker`, so that a box, an id, a name, a score or a mask
is accepted or refused, and reported, the same way in both files.
"""
import io
import json
import math
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmengine.fileio import exists, get, get_text
from PIL import Image

from .format_error import PaIRFormatError

#: PIL modes of a single-channel 8-bit image
LABEL_PNG_MODES = ('L', 'P')


def is_int(value) -> bool:
    """An integer of the JSON file (``True`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A finite number of the JSON file (``True`` is not one)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def type_name(value) -> str:
    """The JSON name of a parsed value's type, for messages."""
    return {
        dict: 'object',
        list: 'array',
        str: 'string',
        bool: 'boolean',
        int: 'integer',
        float: 'number',
        type(None): 'null'
    }.get(type(value),
          type(value).__name__)


def load_json_file(path: str,
                   what: str,
                   expected_type: type,
                   expected: str,
                   backend_args: Optional[dict] = None):
    """Read and parse a JSON file whose root must be ``expected_type``.

    Args:
        path (str): the file.
        what (str): what it is, for messages (``'annotation file'``).
        expected_type (type): ``dict`` or ``list``.
        expected (str): the root it must have, for messages.
        backend_args (dict, optional): mmengine file backend arguments.

    Raises:
        PaIRFormatError: a missing file (field ``(file)``), text that is not UTF-8,
            malformed JSON (field ``line L column C``) or another root (``(root)``).
    """
    if not exists(path, backend_args=backend_args):
        raise PaIRFormatError(path, '(file)', f'no such {what}')
    try:
        content = json.loads(get_text(path, backend_args=backend_args))
    except UnicodeDecodeError as error:
        raise PaIRFormatError(path, '(file)', f'not UTF-8 text: {error}') from None
    except json.JSONDecodeError as error:
        raise PaIRFormatError(path, f'line {error.lineno} column {error.colno}',
                              f'malformed JSON: {error.msg}') from None
    if not isinstance(content, expected_type):
        raise PaIRFormatError(path, '(root)', f'expected {expected}, got {type_name(content)}')
    return content


class FieldChecker:
    """Checks the fields of one JSON file and collects every problem.

    Each check appends a :class:`PaIRFormatError` naming the file, the field and the
    image whose fields are being checked (:attr:`image`, set by the caller while it
    checks one ``images[i]`` or predictions entry), and returns whether the value
    passed. A reader that stops at the first problem calls :meth:`raise_first`.

    Args:
        file (str): the file being checked, named in every problem.
    """

    def __init__(self, file: str):
        self.file = file
        self.image: Optional[dict] = None
        self.problems = []

    def error(self, field: str, message: str) -> bool:
        """Record one problem; returns False."""
        self.problems.append(PaIRFormatError(self.file, field, message, self.image))
        return False

    def raise_first(self) -> None:
        """Raise the first problem found, if any."""
        if self.problems:
            raise self.problems[0]

    def fields(self, entry, field: str, required: Sequence[str]) -> bool:
        """An object holding every key of ``required``."""
        if not isinstance(entry, dict):
            return self.error(field, f'expected an object, got {type_name(entry)}')
        ok = True
        for key in required:
            if key not in entry:
                ok = self.error(f'{field}.{key}', 'missing required field')
        return ok

    def array(self, value, field: str) -> bool:
        if not isinstance(value, list):
            return self.error(field, f'expected an array, got {type_name(value)}')
        return True

    def name(self, value, field: str) -> bool:
        """A non-empty string (a file name, a class name)."""
        if not isinstance(value, str) or not value:
            return self.error(field, f'expected a non-empty string, got {value!r}')
        return True

    def path_or_null(self, value, field: str) -> bool:
        if value is not None and (not isinstance(value, str) or not value):
            return self.error(field, f'expected a path string or null, got {value!r}')
        return True

    def positive_int(self, value, field: str) -> bool:
        if not is_int(value) or value <= 0:
            return self.error(field, f'expected a positive integer, got {value!r}')
        return True

    def number(self, value, field: str) -> bool:
        if not is_number(value):
            return self.error(field, f'expected a finite number, got {value!r}')
        return True

    def numbers(self, value, field: str, length: int) -> bool:
        """An array of exactly ``length`` finite numbers."""
        if (not isinstance(value, list) or len(value) != length
                or not all(is_number(v) for v in value)):
            return self.error(field, f'expected an array of {length} finite numbers, '
                              f'got {value!r}')
        return True

    def index(self, value, field: str, what: str, high: Optional[int], low: int = 0) -> bool:
        """An integer in ``[low, high)`` (``high`` None: only ``>= low``).

        ``what`` names it in messages: ``'object id'``, ``'instance index'``.
        """
        if not is_int(value):
            return self.error(field, f'expected an integer {what}, got {value!r}')
        if high is None and value < low:
            return self.error(field, f'{what} {value} is below {low}')
        if high is not None and not low <= value < high:
            return self.error(field, f'{what} {value} out of range [{low}, {high})')
        return True

    def index_list(self,
                   values,
                   field: str,
                   what: str,
                   high: Optional[int],
                   low: int = 0,
                   empty_message: Optional[str] = None) -> bool:
        """An array of distinct integers in ``[low, high)``; empty unless
        ``empty_message`` says why it may not be."""
        if not isinstance(values, list):
            return self.error(field, f'expected an array of {what}s, got '
                              f'{type_name(values)}')
        ok = True
        if not values and empty_message:
            ok = self.error(field, f'empty: {empty_message}')
        seen = set()
        for j, value in enumerate(values):
            if not self.index(value, f'{field}[{j}]', what, high, low):
                ok = False
            elif value in seen:
                ok = self.error(f'{field}[{j}]', f'duplicate {what} {value}')
            else:
                seen.add(value)
        return ok

    def unique(self, value, field: str, what: str, seen: Dict, where: str) -> bool:
        """``value`` not met before (``seen`` maps values to where they were)."""
        if value in seen:
            return self.error(field, f'duplicate {what} {value!r} (also {seen[value]})')
        seen[value] = where
        return True

    def box(self, value, field: str, image_size: Optional[Tuple[int, int]] = None) -> bool:
        """``[x1, y1, x2, y2]``: 4 finite numbers, x1 <= x2, y1 <= y2, and inside the
        image when its ``(width, height)`` is given."""
        if (not isinstance(value, list) or len(value) != 4 or not all(is_number(v) for v in value)):
            return self.error(field, 'expected [x1, y1, x2, y2] of 4 finite numbers, '
                              f'got {value!r}')
        x1, y1, x2, y2 = value
        ok = True
        if x2 < x1:
            ok = self.error(field, f'x2 ({x2}) < x1 ({x1})')
        if y2 < y1:
            ok = self.error(field, f'y2 ({y2}) < y1 ({y1})')
        if image_size is not None:
            width, height = image_size
            if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
                ok = self.error(
                    field, f'box {value} lies outside the {width}x{height} '
                    'image (0 <= x1, y1 and x2 <= width, y2 <= height)')
        return ok


def referenced_by(file: str, field: str, image: Optional[dict] = None) -> str:
    """``"data/val.json images[3] (id 17, file_name 'a.jpg')"``: where a path came from,
    for the messages about the file it names."""
    where = PaIRFormatError(file, field, '', image).located_field
    return f'{file} {where}'


def read_label_png(path: str,
                   what: str,
                   expected_hw: Optional[Tuple[int, int]] = None,
                   backend_args: Optional[dict] = None,
                   referenced_by: str = '') -> np.ndarray:
    """Read a single-channel 8-bit PNG of labels (a contact mask), checking mode and size.

    Args:
        path (str): the PNG file.
        what (str): what it is, for messages (``'contact mask'``).
        expected_hw (tuple[int, int], optional): the (height, width) it must have.
        backend_args (dict, optional): mmengine file backend arguments.
        referenced_by (str): where the path came from (:func:`referenced_by`), added
            to the messages.

    Returns:
        np.ndarray: (H, W) uint8.

    Raises:
        PaIRFormatError: named after ``path``: a missing or unreadable file (field
            ``(file)``), a mode other than ``L`` or ``P`` (``mode``), another size
            (``size``).
    """
    where = f' (referenced by {referenced_by})' if referenced_by else ''
    if not exists(path, backend_args=backend_args):
        raise PaIRFormatError(path, '(file)', f'no such {what}{where}')
    try:
        with Image.open(io.BytesIO(get(path, backend_args=backend_args))) as image:
            mode = image.mode
            if mode not in LABEL_PNG_MODES:
                raise PaIRFormatError(
                    path, 'mode', f'expected a single-channel 8-bit PNG (mode L or P) '
                    f'of part ids, got mode {mode}{where}')
            labels = np.array(image)
    except PaIRFormatError:
        raise
    except Exception as error:  # PIL raises many types for corrupt files
        raise PaIRFormatError(path, '(file)', f'cannot read {what}: {error}{where}') from None
    if expected_hw is not None and labels.shape[:2] != tuple(expected_hw):
        raise PaIRFormatError(
            path, 'size', f'{what} is {labels.shape[1]}x{labels.shape[0]} (WxH), but '
            f'the image is {expected_hw[1]}x{expected_hw[0]}{where}')
    return labels.astype(np.uint8, copy=False)
