"""Reading any photo or array a user hands to the inference API or the demos, with the
decoder of training and testing (mmcv's ``LoadImageFromFile``)."""
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile, Resize

from pair_plugin.datasets.image_files import read_image_header
from pair_plugin.registry import TRANSFORMS
from pair_plugin.structures import PaIRFormatError


def load_image(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an image file as the data pipeline does: (H, W, 3) uint8 BGR.

    The decoder is the one of training and testing, mmcv's ``LoadImageFromFile`` with
    its defaults (``mmcv.imfrombytes``, cv2, ``color_type='color'``, as the configs use
    it), through :class:`LoadInferenceImage`: the EXIF orientation is applied (JPEG, PNG,
    WebP), grayscale, palette and CMYK images become 3-channel, an alpha channel is
    dropped, 16-bit images keep their 8 high bits. Before decoding, the file's header and
    end are checked (:func:`~pair_plugin.datasets.image_files.read_image_header`) so that
    an empty, cut or oversized file is named with its problem.

    Args:
        path (str): the image file.
        backend_args (dict, optional): mmengine file backend arguments.

    Returns:
        np.ndarray: (H, W, 3) uint8, BGR channel order.

    Raises:
        FileNotFoundError: no such file.
        PaIRFormatError: the file is empty, is not an image, is cut short, has more pixels
            than Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS`` x 2) or
            does not decode (the message names the file).
    """
    return LoadInferenceImage(backend_args=backend_args).read(path)


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
class LoadInferenceImage(LoadImageFromFile):
    """Load the image of an inference input, a file or an array (as mmdet's
    ``InferencerLoader``).

    A file is decoded by mmcv's ``LoadImageFromFile`` with the same arguments
    (``color_type``, ``imdecode_backend``, ``backend_args``; :func:`build_inference_pipeline`
    takes them from the test pipeline), so inference sees the pixels ``tools/test.py``
    sees; its header and end are checked first (:meth:`read`). An array is checked with
    :func:`as_bgr_image`.

    Required keys: ``img`` (np.ndarray) or ``img_path`` (str); optional ``file_name``.

    Added keys: ``img`` (H, W, 3) uint8 BGR, ``img_shape``, ``ori_shape`` (H, W),
    ``img_path`` (None for an array) and ``file_name`` (``img_path`` when not given).
    """

    def read(self, path: str) -> np.ndarray:
        """One image file, (H, W, 3) BGR (see :func:`load_image`).

        Raises:
            FileNotFoundError: no such (local) file.
            PaIRFormatError: named after ``path``, field ``image``: the header check's
                problem, or the decoder's.
        """
        path = str(path)
        if '://' not in path and (self.backend_args or {}).get('backend', 'local') == 'local':
            if not osp.isfile(path):
                raise FileNotFoundError(f'{path}: image file not found')
        try:
            read_image_header(path, self.backend_args)
        except PaIRFormatError as problem:
            raise PaIRFormatError(path, 'image', problem.message) from None
        try:
            loaded = super().transform(dict(img_path=path))
        except AssertionError:  # mmcv asserts that the decoder returned an image
            loaded = None
        except Exception as exc:  # cv2 and Pillow raise many types on damaged data
            raise PaIRFormatError(
                path, 'image', f'mmcv.imfrombytes ({self.imdecode_backend}) cannot decode it: '
                f'{type(exc).__name__}: {exc}'.strip()) from None
        if loaded is None:
            raise PaIRFormatError(
                path, 'image', f'mmcv.imfrombytes ({self.imdecode_backend}) cannot decode it '
                '(a format or sample type the decoder does not read, e.g. a float TIFF)')
        img = loaded['img']
        if img.ndim == 2:  # color_type='grayscale'
            img = as_bgr_image(img, path)
        return img

    def transform(self, results: dict) -> dict:
        path = results.get('img_path')
        if results.get('img') is not None:
            img = as_bgr_image(results['img'], results.get('file_name') or 'image array')
        elif path is not None:
            img = self.read(str(path))
        else:
            raise KeyError("LoadInferenceImage: an input needs 'img' or 'img_path', got "
                           f'{sorted(results)}')
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        results['img_path'] = None if path is None else str(path)
        if results.get('file_name') is None:
            results['file_name'] = results['img_path']
        return results
