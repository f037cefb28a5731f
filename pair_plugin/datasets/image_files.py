"""Cheap checks of image files: the size from the header, a cut file from its end.

Decoding every image of a large set before training takes minutes; reading its header
takes microseconds. :func:`read_image_header` reads the header (Pillow's
``Image.open`` without ``load``) and the last bytes of the file, which finds:

- a missing file, an empty (0-byte) file, a file that is no image Pillow knows;
- an image over Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``);
- a cut (truncated) JPEG, PNG or WebP: a JPEG ends with its end-of-image marker
  ``FF D9``, a PNG with its ``IEND`` chunk, a WebP is as long as its RIFF header says.
  A JPEG or PNG whose file goes on after that marker (a camera's trailer, a "motion
  photo" video) or that lacks it is decoded in full to decide;
- images of other formats (BMP, TIFF, GIF, ...) are decoded in full.

The size can be the one the data pipeline will see: mmcv's ``LoadImageFromFile`` turns
a photo by its EXIF orientation unless its ``color_type`` ends in
``_ignore_orientation``.

What it does not find: damage inside a file of the right length (flipped bytes in the
compressed data); ``tools/data/check_dataset.py`` without ``--no-decode`` decodes every
pixel for that.
"""
import io
import os.path as osp
from typing import Optional, Tuple

from mmengine.fileio import exists, get
from PIL import Image, UnidentifiedImageError

from pair_plugin.structures import PaIRFormatError

#: the last 12 bytes of every PNG: the IEND chunk (length 0, type, CRC)
PNG_END = b'\x00\x00\x00\x00IEND\xaeB`\x82'
#: a JPEG's end-of-image marker
JPEG_END = b'\xff\xd9'
#: how many bytes of the file's end are read
TAIL_BYTES = 16
#: the EXIF orientations that turn an image by 90 degrees (width and height swap)
TURNING_ORIENTATIONS = (5, 6, 7, 8)
#: mmcv's ``imfrombytes`` flags that apply the EXIF orientation (the others ignore it)
ORIENTING_FLAGS = ('color', 'grayscale')


def _is_local(path: str, backend_args: Optional[dict]) -> bool:
    """A path of the local disk (no ``backend_args`` that route it elsewhere)."""
    backend = (backend_args or {}).get('backend', 'local')
    return backend == 'local' and '://' not in str(path)


#: what a complete file of each format ends with, for messages
END_MARKS = dict(
    JPEG='the end-of-image marker FF D9 at its end',
    PNG='the IEND chunk at its end',
    WEBP='the length its RIFF header gives')


def _ends_complete(image_format: Optional[str], head: bytes, tail: bytes, size: int) -> bool:
    """Whether the file's end is that of a complete file of its format; False when the
    format has no such mark (see :data:`END_MARKS`) or the mark is missing."""
    if image_format == 'JPEG':
        return tail.endswith(JPEG_END)
    if image_format == 'PNG':
        return tail.endswith(PNG_END)
    if image_format == 'WEBP':
        return head[:4] == b'RIFF' and size >= 8 + int.from_bytes(head[4:8], 'little')
    return False


def read_image_header(path: str,
                      backend_args: Optional[dict] = None,
                      apply_orientation: bool = False) -> Tuple[int, int]:
    """An image file's (height, width) from its header, after the cheap checks of this
    module's docstring.

    Args:
        path (str): the image file.
        backend_args (dict, optional): mmengine file backend arguments (a remote
            backend reads the whole file).
        apply_orientation (bool): give the size after the EXIF orientation is applied,
            as mmcv's loader gives it with ``color_type='color'`` (its default).

    Returns:
        tuple[int, int]: (height, width), as stored or, with ``apply_orientation``,
        as loaded.

    Raises:
        PaIRFormatError: named after ``path``, field ``(file)``: no such file, an empty
            file, not an image, over the decompression-bomb limit, or cut short.
    """
    try:
        if _is_local(path, backend_args):
            if not osp.isfile(path):
                raise PaIRFormatError(path, '(file)', 'no such image file')
            size = osp.getsize(path)
            with open(path, 'rb') as f:
                head = f.read(TAIL_BYTES)
                f.seek(max(0, size - TAIL_BYTES))
                tail = f.read()
                f.seek(0)
                return _header_size(path, f, head, tail, size, apply_orientation)
        if not exists(path, backend_args=backend_args):
            raise PaIRFormatError(path, '(file)', 'no such image file')
        data = get(path, backend_args=backend_args)
        return _header_size(path, io.BytesIO(data), data[:TAIL_BYTES], data[-TAIL_BYTES:],
                            len(data), apply_orientation)
    except PaIRFormatError:
        raise
    except OSError as exc:  # a file that cannot be read at all
        raise PaIRFormatError(path, '(file)', f'cannot read the file: {exc}') from None


def _header_size(path: str, f, head: bytes, tail: bytes, size: int,
                 apply_orientation: bool) -> Tuple[int, int]:
    """(height, width) of the open file ``f`` (turned by its EXIF orientation with
    ``apply_orientation``); decoded when its end is not a complete file's."""
    if size == 0:
        raise PaIRFormatError(path, '(file)', 'empty file (0 bytes)')
    if head[:4] == b'RIFF' and head[8:12] == b'WEBP' and not _ends_complete(
            'WEBP', head, tail, size):
        raise PaIRFormatError(
            path, '(file)', f'cut short (truncated): a WEBP file of {size} bytes, shorter than '
            f'{END_MARKS["WEBP"]}')
    try:
        with Image.open(f) as image:
            hw = image.height, image.width
            if apply_orientation and image.getexif().get(0x0112) in TURNING_ORIENTATIONS:
                hw = hw[::-1]
            if _ends_complete(image.format, head, tail, size):
                return hw
            try:
                image.load()
            except Exception as exc:  # Pillow raises many types for damaged data
                if image.format in END_MARKS:
                    raise PaIRFormatError(
                        path, '(file)', f'cut short (truncated): a {image.format} file without '
                        f'{END_MARKS[image.format]}, and its pixels do not decode ({exc})'
                    ) from None
                raise
    except Image.DecompressionBombError as exc:
        raise PaIRFormatError(
            path, '(file)', f'too large to decode safely: {exc} '
            '(PIL.Image.MAX_IMAGE_PIXELS sets the limit)') from None
    except PaIRFormatError:
        raise
    except UnidentifiedImageError:
        raise PaIRFormatError(path, '(file)', 'cannot read image: not an image format that '
                              'Pillow knows') from None
    except Exception as exc:  # Pillow raises many types for files it cannot read
        raise PaIRFormatError(path, '(file)', f'cannot read image: {exc}') from None
    return hw
