"""tools/demo/image_demo.py end to end on a tiny checkpoint and awkward image files."""
import json
import os
import os.path as osp
import runpy
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from pair_plugin.apis import inference_pair, init_model, load_image
from tests.bad_images import write_bad_images, write_single_colour_png
from tests.helpers import REPO
from tests.tiny_inference_model import ACTIONS, OBJECTS

DEMO = osp.join(REPO, 'tools', 'demo', 'image_demo.py')


@pytest.fixture(scope='module')
def checkpoint(tiny_checkpoint):
    return tiny_checkpoint['config_file'], tiny_checkpoint['checkpoint']


def write_inputs(folder):
    """A folder of awkward images: EXIF-rotated JPEG, grayscale PNG, RGBA PNG, WebP,
    one large enough to be drawn scaled down, and two files sharing a stem."""
    os.makedirs(folder)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise
    Image.fromarray(rgb).save(osp.join(folder, 'rotated.jpg'), exif=exif, quality=95)
    Image.fromarray(rgb[..., 0]).save(osp.join(folder, 'gray.png'))
    Image.fromarray(
        np.dstack([rgb, np.full((60, 90), 128, np.uint8)]),
        mode='RGBA').save(osp.join(folder, 'rgba.png'))
    Image.fromarray(rgb).save(osp.join(folder, 'same.webp'), lossless=True)
    Image.fromarray(rgb).save(osp.join(folder, 'same.png'))
    big = cv2.resize(rgb, (600, 400), interpolation=cv2.INTER_LINEAR)
    Image.fromarray(big).save(osp.join(folder, 'big.png'))
    with open(osp.join(folder, 'notes.txt'), 'w') as f:
        f.write('not an image, not an image extension: skipped by the folder scan')


def run_demo(monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', [DEMO, *args])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(DEMO, run_name='__main__')
    return exit_info.value.code


def red(img):
    """The human box colour (BGR); strict enough to exclude part 1's (230, 25, 75),
    pure in the legend or blended in the contact map."""
    return (img[..., 2] > 240) & (img[..., 1] < 40) & (img[..., 0] < 40)


def test_demo_writes_pictures_json_and_masks(checkpoint, tmp_path, monkeypatch, capsys):
    config_file, ckpt = checkpoint
    inputs = str(tmp_path / 'in')
    write_inputs(inputs)
    out_dir = str(tmp_path / 'out')
    model = init_model(config_file, ckpt)
    reference = {
        name: inference_pair(model, osp.join(inputs, name))
        for name in ('rotated.jpg', 'gray.png', 'big.png')
    }
    # keep exactly the best triplet of the rotated image
    top = reference['rotated.jpg'].pred_hois.scores[:2].tolist()
    thr = (top[0] + top[1]) / 2 if top[0] > top[1] else top[0] - 1e-6

    code = run_demo(monkeypatch, inputs, config_file, ckpt, '--out-dir', out_dir, '--score-thr',
                    str(thr), '--max-draw-size', '300')
    assert code == 0
    printed = capsys.readouterr().out
    assert '6 images: read' in printed and 'big.png' in printed

    stems = ['big', 'gray', 'rgba', 'rotated', 'same_png', 'same_webp']
    assert sorted(os.listdir(out_dir)) == sorted([f'{s}.png'
                                                  for s in stems] + [f'{s}.json' for s in stems] +
                                                 [f'{s}_contact.png' for s in stems])

    # the EXIF-rotated photo is processed upright: 60 high x 90 wide -> 90 x 60
    record = json.load(open(osp.join(out_dir, 'rotated.json')))
    assert (record['width'], record['height']) == (60, 90)
    assert record['file_name'] == osp.join(inputs, 'rotated.jpg')
    assert record['contact_mask'] == 'rotated_contact.png'
    ref = reference['rotated.jpg']
    hois = ref.pred_hois[ref.pred_hois.scores > thr]
    assert len(record['hois']) == len(hois) >= 1
    entry = record['hois'][0]
    assert set(entry) == {
        'subject_bbox', 'object_bbox', 'object_id', 'object_name', 'action_id', 'action_name',
        'score'
    }
    np.testing.assert_allclose(entry['subject_bbox'], hois.subject_bboxes[0].tolist(), atol=0.01)
    np.testing.assert_allclose(entry['object_bbox'], hois.object_bboxes[0].tolist(), atol=0.01)
    assert entry['object_name'] == OBJECTS[entry['object_id']]
    assert entry['action_name'] == ACTIONS[entry['action_id']]
    assert entry['object_id'] == int(hois.object_labels[0])
    assert entry['score'] == pytest.approx(float(hois.scores[0]), abs=1e-4)
    assert len(record['part_scores']) == 17

    # contact PNG: the predicted map at the original size, exactly
    contact = cv2.imread(osp.join(out_dir, 'rotated_contact.png'), cv2.IMREAD_UNCHANGED)
    assert contact.shape == (90, 60) and contact.dtype == np.uint8
    np.testing.assert_array_equal(contact, ref.pred_sem_seg.sem_seg[0].numpy())

    # picture: the image's size, the human box of the kept triplet drawn in red on
    # its edges
    picture = cv2.imread(osp.join(out_dir, 'rotated.png'))
    assert picture.shape == (90, 60, 3)
    x1, y1, x2, y2 = hois.subject_bboxes[0].tolist()
    r = red(picture)
    ys, xs = np.nonzero(r)
    assert len(ys) > 0
    near_edge = ((np.abs(xs + 0.5 - x1) < 4) | (np.abs(xs + 0.5 - x2) < 4)
                 | (np.abs(ys + 0.5 - y1) < 4) | (np.abs(ys + 0.5 - y2) < 4))
    assert near_edge.all()

    # large image: drawn at 300 px on the long side, its JSON and mask at full size
    big = cv2.imread(osp.join(out_dir, 'big.png'))
    assert big.shape == (200, 300, 3)
    assert cv2.imread(osp.join(out_dir, 'big_contact.png'),
                      cv2.IMREAD_UNCHANGED).shape == (400, 600)
    assert json.load(open(osp.join(out_dir, 'big.json')))['width'] == 600
    # grayscale and RGBA inputs come out as colour pictures of their own size
    assert cv2.imread(osp.join(out_dir, 'gray.png')).shape == (60, 90, 3)
    assert cv2.imread(osp.join(out_dir, 'rgba.png')).shape == (60, 90, 3)
    np.testing.assert_array_equal(
        load_image(osp.join(inputs, 'rgba.png')), load_image(osp.join(inputs, 'same.png')))


def test_demo_names_an_unreadable_file(checkpoint, tmp_path, monkeypatch, capsys):
    config_file, ckpt = checkpoint
    good = tmp_path / 'good.png'
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(good)
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'garbage')
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / 'never_reached.png')
    # --no-skip-unreadable: the images before the bad one are done, then it stops with
    # one line naming it
    code = run_demo(monkeypatch, str(good), str(bad), str(tmp_path / 'never_reached.png'),
                    config_file, ckpt, '--out-dir', str(tmp_path / 'o1'), '--no-skip-unreadable')
    assert code == 1
    assert sorted(os.listdir(tmp_path / 'o1')) == ['good.json', 'good.png', 'good_contact.png']
    err = capsys.readouterr().err
    assert f'stopped: {bad}: image: cannot read image: not an image format that Pillow knows' in err
    assert 'Traceback' not in err
    # by default the others are done, the bad one reported, exit code 1
    code = run_demo(monkeypatch, str(bad), str(good), config_file, ckpt, '--out-dir',
                    str(tmp_path / 'o2'))
    assert code == 1
    assert sorted(os.listdir(tmp_path / 'o2')) == ['good.json', 'good.png', 'good_contact.png']
    assert f'skipped: {bad}: image: cannot read image' in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match='no such image file or folder'):
        run_demo(monkeypatch, str(tmp_path / 'absent.jpg'), config_file, ckpt)


def test_demo_on_a_folder_with_bad_files_does_the_good_ones(checkpoint, tmp_path, monkeypatch,
                                                            capsys):
    """Empty, cut, not an image, a decompression bomb and a size the test resize
    shrinks to nothing: each reported by name, the good photos done, exit status 1."""
    config_file, ckpt = checkpoint
    inputs = tmp_path / 'in'
    inputs.mkdir()
    for name in ('a.png', 'z.png'):
        Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(inputs / name)
    reasons = write_bad_images(str(inputs))  # the header check's reason of each
    write_single_colour_png(str(inputs / 'bomb.png'), 14000, 14000)
    Image.fromarray(np.zeros((2, 20000), np.uint8)).save(inputs / 'thin.png')
    reasons.update({
        'bomb.png': 'too large to decode safely',
        'thin.png': 'degenerate size 20000x2',
    })
    out_dir = tmp_path / 'out'
    code = run_demo(monkeypatch, str(inputs), config_file, ckpt, '--out-dir', str(out_dir),
                    '--skip-unreadable', '--batch-size', '3')
    assert code == 1
    assert sorted(os.listdir(out_dir)) == sorted(f'{stem}{end}' for stem in 'az'
                                                 for end in ('.json', '.png', '_contact.png'))
    skipped = [line for line in capsys.readouterr().err.splitlines() if line.startswith('skipped')]
    assert len(skipped) == len(reasons)
    for name, reason in reasons.items():
        assert [line for line in skipped
                if f'{inputs / name}: image: ' in line and reason in line], (name, skipped)
