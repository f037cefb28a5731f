"""Reading any photo or array a user hands to the inference API or the demos."""
import os.path as osp
from typing import Sequence

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform, Resize
from PIL import Image, ImageOps, UnidentifiedImageError

from pair_plugin.registry import TRANSFORMS
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
        PaIRFormatError: the file is empty, cannot be decoded as an image (cut short,
            not an image), or has more pixels than Pillow's decompression-bomb limit
            (``PIL.Image.MAX_IMAGE_PIXELS`` x 2; the message names the file).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: image file not found')
    if osp.getsize(path) == 0:
        raise PaIRFormatError(path, 'image', 'empty file (0 bytes)')
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
    except Image.DecompressionBombError as err:
        raise PaIRFormatError(
            path, 'image', f'too large to decode safely: {err} (PIL.Image.MAX_IMAGE_PIXELS '
            'sets the limit)') from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise PaIRFormatError(path, 'image', f'cannot be read as an image ({err})') from err
    if array.ndim != 3 or array.shape[0] == 0 or array.shape[1] == 0:
        raise PaIRFormatError(path, 'image', f'decoded to an empty array {array.shape}')
    return np.ascontiguousarray(array[..., ::-1])


def as_bgr_image(img: np.ndarray, name: str = 'image array') -> np.ndarray:
    """A user's uint8 array as the (H, W, 3) BGR image the data pipeline expects.

    Args:
        img (np.ndarray): (H, W) grayscale, (H, W, 3) BGR or (H, W, 4) BGRA, uint8.
        name (str): what to call the array in errors.

    Returns:
        np.ndarray: (H, W, 3) uint8 BGR (gray repeated, alpha dropped).

    Raises:
        ValueError: another shape or dtype (names the array).
    """
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] not in (3, 4) or 0 in img.shape[:2]:
        raise ValueError(f'{name}: an image array must be (H, W), (H, W, 3) BGR or (H, W, 4) BGRA, '
                         f'got shape {img.shape}')
    if img.dtype != np.uint8:
        raise ValueError(f'{name}: an image array must be uint8, got {img.dtype}')
    return np.ascontiguousarray(img[..., :3])


def check_size_fits_pipeline(name: str, hw: Sequence[int], transforms: Sequence) -> None:
    """Refuse an image that the test pipeline's resize would shrink to no pixel.

    A keep-ratio ``Resize`` fits the image into its ``scale``: a 20000x2 image fitted
    into 288x224 becomes 288x0, which no model takes (cv2 raises deep inside the
    resize). The size is computed with mmcv's own ``rescale_size``.

    Args:
        name (str): the image's file name, for the message.
        hw (Sequence[int]): its (height, width).
        transforms (Sequence): the test pipeline's transforms (``Compose.transforms``).

    Raises:
        PaIRFormatError: a side would be below 1 pixel after the resize.
    """
    height, width = int(hw[0]), int(hw[1])
    for step in transforms:
        if isinstance(step, Resize) and step.keep_ratio and step.scale is not None:
            new_w, new_h = mmcv.rescale_size((width, height), tuple(step.scale))
            if min(new_w, new_h) < 1:
                raise PaIRFormatError(
                    name, 'image', f'degenerate size {width}x{height} (WxH): the test resize '
                    f'to {tuple(step.scale)} keeping the ratio makes it {new_w}x{new_h}, '
                    'below the 1 pixel per side the model needs')
            return


@TRANSFORMS.register_module()
class LoadInferenceImage(BaseTransform):
    """Load the image of an inference input, a file or an array (as mmdet's
    ``InferencerLoader``).

    Files are read with :func:`load_image` (EXIF orientation, grayscale, alpha, WebP,
    16-bit); arrays are checked with :func:`as_bgr_image`.

    Required keys: ``img`` (np.ndarray) or ``img_path`` (str); optional ``file_name``.

    Added keys: ``img`` (H, W, 3) uint8 BGR, ``img_shape``, ``ori_shape`` (H, W),
    ``img_path`` (None for an array) and ``file_name`` (``img_path`` when not given).
    """

    def transform(self, results: dict) -> dict:
        path = results.get('img_path')
        if results.get('img') is not None:
            img = as_bgr_image(results['img'], results.get('file_name') or 'image array')
        elif path is not None:
            img = load_image(str(path))
        else:
            raise KeyError("LoadInferenceImage: an input needs 'img' or 'img_path', got "
                           f'{sorted(results)}')
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        results['img_path'] = None if path is None else str(path)
        if results.get('file_name') is None:
            results['file_name'] = results['img_path']
        return results
