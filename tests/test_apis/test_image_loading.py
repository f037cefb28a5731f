"""load_image: every format a user may give the demo, read by the data pipeline's decoder
(mmcv's LoadImageFromFile), so that inference sees the pixels tools/test.py sees."""
import os.path as osp

import mmcv
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from PIL import Image

from pair_plugin.apis import LoadInferenceImage, load_image
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


def test_16_bit_images_keep_their_8_high_bits(tmp_path):
    path = str(tmp_path / 'g16.png')
    values = np.array([[0, 255, 256, 1000], [32767, 32768, 65280, 65535]], np.uint16)
    Image.fromarray(values).save(path)
    img = load_image(path)
    assert img.shape == (2, 4, 3) and img.dtype == np.uint8
    # value // 256, by hand: 0, 0, 1, 3 / 127, 128, 255, 255
    expected = np.array([[0, 0, 1, 3], [127, 128, 255, 255]], np.uint8)
    for c in range(3):
        np.testing.assert_array_equal(img[..., c], expected)


def awkward_files(folder) -> list:
    """One file of each kind a user may hand the demo."""
    rgb = pattern()
    exif = Image.Exif()
    exif[0x0112] = 6
    files = dict(
        exif_jpeg=('e.jpg', lambda p: Image.fromarray(rgb).save(p, quality=95, exif=exif)),
        exif_webp=('e.webp', lambda p: Image.fromarray(rgb).save(p, lossless=True, exif=exif)),
        gray=('g.png', lambda p: Image.fromarray(rgb[..., 0]).save(p)),
        palette=('p.png', lambda p: Image.fromarray(rgb).convert('P').save(p)),
        rgba=('a.png',
              lambda p: Image.fromarray(np.dstack([rgb, rgb[..., :1]]), mode='RGBA').save(p)),
        gray16=('g16.png', lambda p: Image.fromarray(rgb[..., 0].astype(np.uint16) * 300).save(p)),
        cmyk=('c.jpg', lambda p: Image.fromarray(rgb).convert('CMYK').save(p)),
        tiff=('t.tif', lambda p: Image.fromarray(rgb).save(p)))
    paths = []
    for name, write in files.values():
        write(str(folder / name))
        paths.append(str(folder / name))
    return paths


def test_the_same_pixels_as_the_test_pipelines_loader(tmp_path):
    """One decoder: every kind of file comes out exactly as mmcv's LoadImageFromFile (the
    first step of every test pipeline) gives it to tools/test.py."""
    pipeline_loader = LoadImageFromFile()
    for path in awkward_files(tmp_path):
        expected = pipeline_loader(dict(img_path=path))['img']
        img = load_image(path)
        assert img.shape == expected.shape and img.dtype == np.uint8, path
        np.testing.assert_array_equal(img, expected, err_msg=path)


def test_the_loader_takes_the_pipelines_decoder_settings(tmp_path):
    """A test pipeline that decodes with Pillow or as grayscale: inference does too."""
    path = str(tmp_path / 'a.png')
    Image.fromarray(pattern()).save(path)
    pillow = LoadInferenceImage(imdecode_backend='pillow')
    assert pillow.imdecode_backend == 'pillow'
    np.testing.assert_array_equal(pillow.read(path), pattern()[..., ::-1])
    gray = LoadInferenceImage(color_type='grayscale').read(path)
    assert gray.shape == (40, 60, 3)  # the model takes three channels
    np.testing.assert_array_equal(gray[..., 0], gray[..., 2])
    # red (255, 0, 0) and blue (0, 0, 255) as cv2's BT.601 luma: 76 and 29
    assert gray[0, 0, 0] == 76 and gray[-1, -1, 0] == 29


def test_a_file_the_decoder_cannot_read_is_named(tmp_path):
    path = str(tmp_path / 'float.tif')
    Image.fromarray(np.ones((4, 5), np.float32)).save(path)  # cv2 reads no float TIFF
    with pytest.raises(
            PaIRFormatError, match=r'float\.tif: image: mmcv\.imfrombytes \(cv2\) '
            'cannot decode it'):
        load_image(path)


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
            PaIRFormatError,
            match=r'broken\.jpg: image: cannot read image: not an image '
            'format that Pillow knows'):
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
