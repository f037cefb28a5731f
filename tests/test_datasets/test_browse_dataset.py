"""tools/data/browse_dataset.py draws the ground truth to one PNG per image."""
import os
import os.path as osp

import numpy as np
from PIL import Image

from tests.helpers import REPO, load_tool


def test_browse_annotation_file(hand_dataset, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    written = load_tool('tools/data/browse_dataset.py').main(
        [hand_dataset, '--out-dir', 'browse', '--max-images', '0'])
    assert [osp.basename(p) for p in written] == ['images_a.png', 'images_b.png', 'images_c.png']
    # the folder it names is where the files are, as an absolute path
    assert f'wrote 3 images to {tmp_path / "browse"}' in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path /
                             'browse')) == ['images_a.png', 'images_b.png', 'images_c.png']
    drawn = np.array(Image.open(written[0]).convert('RGB')).astype(int)
    assert drawn.shape == (40, 60, 3)  # one panel at the original size
    # the human box of image a (x 2..20, y 3..38) is outlined in red
    edge = drawn[20, 1:4]
    assert ((edge[:, 0] > 150) & (edge[:, 1] < 100) & (edge[:, 2] < 100)).any()
    # the drawing differs from the plain image where the contact map has parts
    plain = np.array(
        Image.open(osp.join(osp.dirname(osp.dirname(hand_dataset)), 'images/a.png')).convert('RGB'))
    assert np.abs(drawn[26, 32:40] - plain[26, 32:40]).sum() > 0


def test_browse_config_split_after_pipeline(tmp_path):
    from pair_plugin.datasets.synthetic import generate_synthetic_dataset
    root = tmp_path / 'syn'
    generate_synthetic_dataset(str(root), 2, 0, 1, img_size=96, seed=2, progress=False)
    tool = load_tool('tools/data/browse_dataset.py')
    for split, n in (('train', 2), ('test', 1)):
        out = tmp_path / split
        written = tool.main([
            osp.join(REPO, 'configs/_base_/datasets/synthetic_pair.py'), '--split', split,
            '--out-dir',
            str(out), '--cfg-options', f'{split}_dataloader.dataset.data_root={root}/'
        ])
        assert len(written) <= n and written
        for path in written:
            assert Image.open(path).size[0] >= 96


def test_output_names_are_visible_and_distinct():
    output_stem = load_tool('tools/data/browse_dataset.py').output_stem
    taken = set()
    names = [
        output_stem(name, taken)
        for name in ('../../coco/val2014/.x.jpg', 'a/b_c.jpg', 'a_b/c.jpg', '..', 'img.png')
    ]
    assert names == ['coco_val2014_x', 'a_b_c', 'a_b_c_2', 'image', 'img']
