"""The cheap image checks: the size from the header, and empty, cut, non-image and
oversized files named with their reason, without decoding good files."""
import io
import os.path as osp

import numpy as np
import pytest
from pair_data_factory import IMAGE_2, edit_annotation, write_dataset
from PIL import Image, ImageFile

from pair_plugin.datasets import check_dataset
from pair_plugin.datasets.image_files import read_image_header
from pair_plugin.structures import PaIRFormatError
from tests.bad_images import encoded, write_bad_images, write_bytes, write_single_colour_png


def test_good_files_give_their_stored_size_from_the_header_alone(tmp_path, monkeypatch):
    for image_format in ('JPEG', 'PNG', 'WEBP'):
        path = write_bytes(str(tmp_path / f'a.{image_format}'), encoded(64, 48, image_format))
        # a complete JPEG, PNG or WebP is never decoded
        monkeypatch.setattr(ImageFile.ImageFile, 'load', lambda self: pytest.fail('decoded'))
        assert read_image_header(path) == (48, 64)
        monkeypatch.undo()
    # a JPEG that goes on after its end marker (a camera's trailer) is decoded to
    # decide, and passes; so does a format without an end mark
    trailer = write_bytes(str(tmp_path / 'trailer.jpg'), encoded(30, 20, 'JPEG') + b'\0MP4data')
    assert read_image_header(trailer) == (20, 30)
    bmp = write_bytes(str(tmp_path / 'a.bmp'), encoded(30, 20, 'BMP'))
    assert read_image_header(bmp) == (20, 30)


def test_empty_cut_and_non_image_files_are_named_with_their_reason(tmp_path):
    expected = write_bad_images(str(tmp_path))
    webp = encoded(64, 48, 'WEBP')
    write_bytes(str(tmp_path / 'cut.webp'), webp[:len(webp) // 2])
    expected['cut.webp'] = 'cut short (truncated): a WEBP file of'
    bmp = encoded(64, 48, 'BMP')
    write_bytes(str(tmp_path / 'cut.bmp'), bmp[:len(bmp) // 2])
    expected['cut.bmp'] = 'cannot read image: image file is truncated'
    expected['absent.png'] = 'no such image file'
    for name, message in expected.items():
        path = str(tmp_path / name)
        with pytest.raises(PaIRFormatError) as error:
            read_image_header(path)
        assert error.value.file == path and error.value.field == '(file)'
        assert message in error.value.message, (name, error.value.message)


def test_a_decompression_bomb_is_refused_at_the_header(tmp_path):
    path = write_single_colour_png(str(tmp_path / 'bomb.png'), 14000, 14000)
    assert osp.getsize(path) < 1 << 20
    with pytest.raises(
            PaIRFormatError,
            match=r'bomb\.png: \(file\): too large to decode '
            r'safely: Image size \(196000000 pixels\) exceeds limit'):
        read_image_header(path)


def test_the_size_after_the_exif_orientation_when_asked(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # turned 90 degrees
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(buffer, format='JPEG', exif=exif)
    path = write_bytes(str(tmp_path / 'turned.jpg'), buffer.getvalue())
    assert read_image_header(path) == (20, 30)
    assert read_image_header(path, apply_orientation=True) == (30, 20)


def test_check_dataset_without_decoding_finds_empty_and_cut_images(tmp_path):
    images = [
        dict(IMAGE_2, id=k, file_name=f'images/{name}')
        for k, name in enumerate(('b.png', 'empty.png', 'cut.png', 'cut.jpg'))
    ]
    ann = write_dataset(tmp_path, images=images[:1])
    messages = write_bad_images(str(tmp_path / 'images'))
    edit_annotation(ann, lambda a: a.__setitem__('images', images))
    problems = check_dataset(ann, decode_images=False)
    assert [(osp.basename(p.file), p.message.split(' (referenced')[0][:40]) for p in problems
            ] == [(name, messages[name][:40]) for name in ('empty.png', 'cut.png', 'cut.jpg')]
