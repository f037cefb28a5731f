"""Damaged and awkward image files for the tests of the data check and of batch
inference, each small on disk."""
import io
import os.path as osp
import struct
import zlib

import numpy as np
from PIL import Image


def encoded(width: int, height: int, image_format: str, seed: int = 0, **save_args) -> bytes:
    """A random RGB image of the given size encoded as ``image_format``."""
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(
        buffer, format=image_format, **save_args)
    return buffer.getvalue()


def write_bytes(path: str, data: bytes) -> str:
    with open(path, 'wb') as f:
        f.write(data)
    return path


def write_single_colour_png(path: str, width: int, height: int) -> str:
    """A black grayscale PNG of any size, written row by row (no (H, W) array in memory):
    14000 x 14000 takes under 1 MB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack('>I', len(body)) + kind + body +
                struct.pack('>I',
                            zlib.crc32(kind + body) & 0xffffffff))

    row = bytes(width + 1)  # filter type 0, then the row's zeros
    compressor = zlib.compressobj(1)
    data = b''.join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    return write_bytes(
        path,
        b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', data) + chunk(b'IEND', b''))


def write_bad_images(folder: str) -> dict:
    """An empty PNG, a cut JPEG, a cut PNG and a text file named ``.jpg`` in ``folder``.

    Returns:
        dict: file name -> what the header check says of it.
    """
    jpeg = encoded(64, 48, 'JPEG', quality=90)
    png = encoded(64, 48, 'PNG')
    write_bytes(osp.join(folder, 'empty.png'), b'')
    write_bytes(osp.join(folder, 'cut.jpg'), jpeg[:len(jpeg) // 2])
    write_bytes(osp.join(folder, 'cut.png'), png[:len(png) // 2])
    write_bytes(osp.join(folder, 'text.jpg'), b'these are not the pixels you are looking for')
    return {
        'empty.png': 'empty file (0 bytes)',
        'cut.jpg': 'cut short (truncated): a JPEG file without the end-of-image marker',
        'cut.png': 'cut short (truncated): a PNG file without the IEND chunk',
        'text.jpg': 'cannot read image',
    }
