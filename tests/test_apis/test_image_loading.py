"""load_image: every format a user may give the demo, read as the data pipeline does."""
import os.path as osp

import mmcv
import numpy as np
import pytest
from PIL import Image

from pair_plugin.apis import load_image
from pair_plugin.structures import PaIRFormatError


def pattern(h=40, w=60) -> np.ndarray:
    """RGB: a red block at the top left, blue elsewhere; orientation is visible."""
    img = np.zeros((h, w, 3), np.uint8)
    img[...] = (0, 0, 255)
    img[:h // 2, :w // 3] = (255, 0, 0)
    return img


def test_rgb_png_is_returned_as_bgr(tmp_path):
    path = str(tmp_path / 'a.png')
    Image.fromarray(pattern()).save(path)
    img = load_image(path)
    assert img.shape == (40, 60, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img, pattern()[..., ::-1])
    np.testing.assert_array_equal(img, mmcv.imread(path, flag='color'))


def test_grayscale_becomes_three_equal_channels(tmp_path):
    path = str(tmp_path / 'g.png')
    gray = np.arange(40 * 60, dtype=np.uint8).reshape(40, 60)
    Image.fromarray(gray, mode='L').save(path)
    img = load_image(path)
    assert img.shape == (40, 60, 3)
    for c in range(3):
        np.testing.assert_array_equal(img[..., c], gray)


def test_rgba_drops_alpha_as_mmcv_does(tmp_path):
    path = str(tmp_path / 'rgba.png')
    rgba = np.dstack([pattern(), np.linspace(0, 255, 60, dtype=np.uint8)[None].repeat(40, 0)])
    Image.fromarray(rgba, mode='RGBA').save(path)
    img = load_image(path)
    np.testing.assert_array_equal(img, pattern()[..., ::-1])
    np.testing.assert_array_equal(img, mmcv.imread(path, flag='color'))


def test_16_bit_grayscale_is_scaled_to_8_bits(tmp_path):
    path = str(tmp_path / 'g16.png')
    Image.fromarray(np.full((10, 12), 65535, np.uint16)).save(path)
    img = load_image(path)
    assert img.shape == (10, 12, 3) and (img == 255).all()


@pytest.mark.parametrize(
    'orientation, expected_shape, red_corner',
    [
        (1, (40, 60), (0, 0)),  # upright
        (3, (40, 60), (-1, -1)),  # upside down: the red block ends at the bottom right
        (6, (60, 40), (0, -1)),  # rotated 90 degrees clockwise for display: top right
        (8, (60, 40), (-1, 0)),  # rotated 90 degrees counter-clockwise: bottom left
    ])
def test_exif_orientation_is_applied(tmp_path, orientation, expected_shape, red_corner):
    path = str(tmp_path / f'o{orientation}.jpg')
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pattern()).save(path, quality=95, exif=exif)
    img = load_image(path)
    assert img.shape[:2] == expected_shape
    b, g, r = img[red_corner[0], red_corner[1]].astype(int)
    assert r > 200 and b < 60, f'orientation {orientation}: corner is {(r, g, b)}'
    # the same pixels as the data pipeline's reader (cv2 applies EXIF for JPEG)
    ref = mmcv.imread(path, flag='color')
    assert ref.shape == img.shape
    assert np.abs(ref.astype(int) - img.astype(int)).mean() < 2


def test_webp_and_palette_images(tmp_path):
    webp = str(tmp_path / 'a.webp')
    Image.fromarray(pattern()).save(webp, lossless=True)
    np.testing.assert_array_equal(load_image(webp), pattern()[..., ::-1])
    pal = str(tmp_path / 'p.png')
    Image.fromarray(pattern()).convert('P').save(pal)
    img = load_image(pal)
    assert img.shape == (40, 60, 3)
    assert tuple(img[0, 0]) == (0, 0, 255) and tuple(img[-1, -1]) == (255, 0, 0)


def test_unreadable_and_missing_files_name_the_file(tmp_path):
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'\xff\xd8 this is not a jpeg')
    with pytest.raises(
            PaIRFormatError, match=r'broken\.jpg: image: cannot be read as '
            r'an image'):
        load_image(str(bad))
    with pytest.raises(FileNotFoundError, match=r'nothing\.png: image file not found'):
        load_image(osp.join(str(tmp_path), 'nothing.png'))
    empty = tmp_path / 'empty.png'
    empty.write_bytes(b'')
    with pytest.raises(PaIRFormatError, match=r'empty\.png: image: empty file \(0 bytes\)'):
        load_image(str(empty))


def test_a_size_the_test_resize_shrinks_to_nothing_is_refused():
    from mmcv.transforms import Resize

    from pair_plugin.apis.image_loading import check_size_fits_pipeline
    steps = [Resize(scale=(288, 224), keep_ratio=True)]
    check_size_fits_pipeline('wide.png', (2, 287), steps)  # 288 x 2: kept
    check_size_fits_pipeline('any.png', (1, 20000), [Resize(scale=(288, 224))])  # no ratio kept
    with pytest.raises(
            PaIRFormatError,
            match=r'wide\.png: image: degenerate size 20000x2 \(WxH\): '
            r'the test resize to \(288, 224\) keeping the ratio makes it 288x0'):
        check_size_fits_pipeline('wide.png', (2, 20000), steps)
