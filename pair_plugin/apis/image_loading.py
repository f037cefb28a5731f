"""Reading any photo a user hands to the inference API or the demo."""
import os.path as osp

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pair_plugin.structures import PaIRFormatError


def load_image(path: str) -> np.ndarray:
    """Read an image file as mmcv does for the data pipeline: (H, W, 3) uint8 BGR.

    Handles every format Pillow reads (JPEG, PNG, WebP, BMP, TIFF, ...): the EXIF
    orientation is applied (a photo taken sideways comes out upright, as
    ``mmcv.imread(flag='color')`` does for JPEG), grayscale, palette and CMYK images
    become 3-channel, an alpha channel is dropped (as ``cv2.IMREAD_COLOR`` drops it, so
    that the demo and ``tools/test.py`` see the same pixels), 16-bit images are scaled
    to 8 bits.

    Args:
        path (str): the image file.

    Returns:
        np.ndarray: (H, W, 3) uint8, BGR channel order.

    Raises:
        FileNotFoundError: no such file.
        PaIRFormatError: the file cannot be decoded as an image (names the file).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: image file not found')
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode in ('I;16', 'I;16B', 'I;16L', 'I;16N', 'I'):
                gray = np.asarray(img, dtype=np.float64) / 257.0
                array = np.clip(np.round(gray), 0, 255).astype(np.uint8)
                array = np.repeat(array[..., None], 3, axis=2)
            elif img.mode == 'F':
                array = np.clip(np.round(np.asarray(img)), 0, 255).astype(np.uint8)
                array = np.repeat(array[..., None], 3, axis=2)
            else:
                array = np.asarray(img.convert('RGB'))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise PaIRFormatError(path, 'image',
                              f'cannot be read as an image ({err})') from err
    if array.ndim != 3 or array.shape[0] == 0 or array.shape[1] == 0:
        raise PaIRFormatError(path, 'image', f'decoded to an empty array {array.shape}')
    return np.ascontiguousarray(array[..., ::-1])
