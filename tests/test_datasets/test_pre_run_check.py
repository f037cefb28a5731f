"""tools/train.py and tools/test.py check every image and mask before the first
iteration, list every bad file in one message, and --skip-data-check skips the check."""
import io
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from pair_plugin.datasets.pre_run_check import check_data_before_run, dataset_files
from pair_plugin.structures import PaIRFormatError
from tests.bad_images import encoded, write_bytes
from tests.helpers import load_tool, make_tiny_dataset, write_tiny_config

#: what the check says of each damaged file of the set below
TRAIN_PROBLEMS = {
    'images/train/000000.jpg': 'empty file (0 bytes)',
    'images/train/000001.jpg': 'cut short (truncated): a JPEG file without the end-of-image',
    'images/train/000002.jpg': 'width/height: 64x48 in the annotation, but',
    'masks/train/000003.png': 'values [40] are not part ids',
}
TEST_PROBLEMS = {'images/test/000002.jpg': 'empty file (0 bytes)'}


@pytest.fixture(scope='module')
def broken(tmp_path_factory):
    """The tiny synthetic set with an empty, a cut and a wrong-size training image, a
    training mask with a value that is no part, and an empty test image."""
    root = tmp_path_factory.mktemp('broken')
    data = make_tiny_dataset(str(root / 'data'))
    cfg = write_tiny_config(str(root / 'cfg.py'), data)
    train = osp.join(data, 'images', 'train')
    write_bytes(osp.join(train, '000000.jpg'), b'')
    with open(osp.join(train, '000001.jpg'), 'rb') as f:
        jpeg = f.read()
    write_bytes(osp.join(train, '000001.jpg'), jpeg[:len(jpeg) * 2 // 3])
    write_bytes(osp.join(train, '000002.jpg'), encoded(50, 48, 'JPEG'))
    mask_file = osp.join(data, 'masks', 'train', '000003.png')
    mask = np.array(Image.open(mask_file))
    mask[0, 0] = 40
    Image.fromarray(mask).save(mask_file)
    write_bytes(osp.join(data, 'images', 'test', '000002.jpg'), b'')
    return root, data, cfg


def assert_names_every_problem(message: str, data: str, problems: dict):
    lines = message.splitlines()
    assert lines[0].startswith(f'{len(problems)} problem(s) in the data of')
    for name, reason in problems.items():
        assert [line for line in lines if osp.join(data, name) in line and reason in line], name
    assert '--skip-data-check' in lines[-1]


def test_train_names_every_bad_file_before_the_first_iteration(broken, tmp_path):
    _, data, cfg = broken
    train = load_tool('tools/train.py')
    work_dir = tmp_path / 'work'
    with pytest.raises(SystemExit) as stop:
        train.main([cfg, '--work-dir', str(work_dir)])
    assert_names_every_problem(stop.value.code, data, TRAIN_PROBLEMS)
    assert not work_dir.exists()  # no runner was built, nothing ran


def test_test_names_every_bad_file_before_loading_the_checkpoint(broken, tmp_path):
    _, data, cfg = broken
    test = load_tool('tools/test.py')
    with pytest.raises(SystemExit) as stop:
        test.main([cfg, str(tmp_path / 'never_read.pth'), '--work-dir', str(tmp_path / 'w')])
    assert_names_every_problem(stop.value.code, data, TEST_PROBLEMS)
    assert not (tmp_path / 'w').exists()


def test_skip_data_check_goes_past_the_check_and_the_loader_names_the_file(broken, tmp_path):
    """Skipped, the check does not stop the run: the runner starts and the loader
    meets a bad file, which the dataset names (not cv2's bare '!buf.empty()')."""
    _, data, cfg = broken
    work_dir = tmp_path / 'work'
    train = load_tool('tools/train.py')
    with pytest.raises(PaIRFormatError) as error:
        train.main([cfg, '--work-dir', str(work_dir), '--skip-data-check'])
    assert work_dir.is_dir()  # the runner was built
    assert any(error.value.file == osp.join(data, name) and reason in str(error.value)
               for name, reason in TRAIN_PROBLEMS.items()), str(error.value)
    assert '!buf.empty()' not in str(error.value)


def test_the_config_key_skips_and_paths_resolve_as_the_dataset_resolves_them(broken, tmp_path):
    _, data, cfg_file = broken
    cfg = Config.fromfile(cfg_file)
    assert check_data_before_run(cfg, ('val_dataloader', )) == ''
    assert check_data_before_run(cfg, ('train_dataloader', ), skip=True) == ''
    cfg.skip_data_check = True
    assert check_data_before_run(cfg, ('train_dataloader', 'test_dataloader')) == ''
    # data_prefix (mmdet's names too), a dataset wrapper, the same file listed once
    cfg = Config.fromfile(cfg_file)
    cfg.train_dataloader.dataset.data_prefix = dict(img='pics/', seg_map_path='/abs/masks')
    cfg.val_dataloader.dataset = dict(type='ConcatDataset', datasets=[cfg.train_dataloader.dataset])
    (files, ) = dataset_files(cfg, ('train_dataloader', 'val_dataloader'))
    assert files.ann_file == osp.join(data, 'annotations/train.json')
    assert (files.img_prefix, files.mask_prefix) == (osp.join(data, 'pics/'), '/abs/masks')
    assert files.apply_orientation  # LoadImageFromFile's default color_type
    cfg.train_dataloader.dataset.pipeline[0]['color_type'] = 'color_ignore_orientation'
    assert not next(dataset_files(cfg, ('train_dataloader', ))).apply_orientation


def test_a_photo_turned_by_its_exif_orientation_is_found_as_the_loader_sees_it(tmp_path):
    data = make_tiny_dataset(str(tmp_path / 'data'), num_train=1, num_val=1, num_test=1)
    cfg = Config.fromfile(write_tiny_config(str(tmp_path / 'cfg.py'), data))
    ann_file = osp.join(data, 'annotations', 'val.json')
    with open(ann_file) as f:
        ann = json.load(f)
    image = ann['images'][0]
    image.update(width=30, height=20, contact_mask=None, instances=[], interactions=[])
    with open(ann_file, 'w') as f:
        json.dump(ann, f)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned by 90 degrees
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(buffer, format='JPEG', exif=exif)
    write_bytes(osp.join(data, image['file_name']), buffer.getvalue())
    message = check_data_before_run(cfg, ('val_dataloader', ))
    assert (f"30x20 in the annotation, but {osp.join(data, image['file_name'])} is 20x30 as "
            'the loader turns it by its EXIF orientation') in message
    cfg.val_dataloader.dataset.pipeline[0]['color_type'] = 'color_ignore_orientation'
    assert check_data_before_run(cfg, ('val_dataloader', )) == ''
