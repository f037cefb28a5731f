"""The synthetic generator: determinism, consistency of its labels, and a training
dataloader over a tiny generated set."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from PIL import Image

from pair_plugin.datasets import check_dataset
from pair_plugin.datasets.synthetic import (SYNTHETIC_ACTIONS, generate_synthetic_dataset,
                                            synthetic_metainfo)
from pair_plugin.structures import PaIRDataSample
from tests.helpers import REPO, load_tool


@pytest.fixture(scope='module')
def synthetic_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic')
    generate_synthetic_dataset(
        str(root), num_train=12, num_val=3, num_test=3, img_size=128, seed=3, progress=False)
    return str(root)


def _load(root, split):
    with open(osp.join(root, 'annotations', f'{split}.json')) as f:
        return json.load(f)


def test_layout_and_metainfo(synthetic_root):
    meta = synthetic_metainfo()
    assert len(meta['objects']) == 80 and meta['objects'][0] == 'person'
    assert meta['actions'] == list(SYNTHETIC_ACTIONS)
    for split, n in (('train', 12), ('val', 3), ('test', 3)):
        ann = _load(synthetic_root, split)
        assert ann['metainfo'] == meta
        assert len(ann['images']) == n
        for img in ann['images']:
            assert img['file_name'].startswith(f'images/{split}/')
            assert osp.isfile(osp.join(synthetic_root, img['file_name']))
            mask = Image.open(osp.join(synthetic_root, img['contact_mask']))
            assert mask.mode == 'L'
            assert mask.size == (img['width'], img['height'])
            assert img['width'] == 128
        # the checker finds nothing wrong, files included
        assert check_dataset(osp.join(synthetic_root, 'annotations', f'{split}.json')) == []


def test_labels_agree_with_the_contact_maps(synthetic_root):
    ann = _load(synthetic_root, 'train')
    hoi = {tuple(p) for p in ann['metainfo']['hoi_categories']}
    num_pairs = 0
    for img in ann['images']:
        mask = np.array(Image.open(osp.join(synthetic_root, img['contact_mask'])))
        in_map = set(np.unique(mask).tolist()) - {0}
        listed = set()
        people = sum(i['category_id'] == 0 for i in img['instances'])
        objects = len(img['instances']) - people
        assert 1 <= people <= 3 and 1 <= objects <= 3
        for it in img['interactions']:
            num_pairs += 1
            subj = img['instances'][it['subject_id']]
            obj = img['instances'][it['object_id']]
            assert subj['category_id'] == 0 and obj['category_id'] != 0
            for a in it['action_ids']:
                assert (a, obj['category_id']) in hoi
            assert it['contact_parts'], 'every synthetic action is a contact'
            listed |= set(it['contact_parts'])
            # the contact pixels of a pair lie inside the person's box
            x1, y1, x2, y2 = (int(v) for v in subj['bbox'])
            inside = np.isin(mask[y1:y2 + 1, x1:x2 + 1], it['contact_parts'])
            assert inside.sum() >= 3
        # the map holds exactly the parts the pairs list
        assert in_map == listed
    assert num_pairs >= 10


def test_deterministic_by_seed(tmp_path):
    for name, seed in (('a', 5), ('b', 5), ('c', 6)):
        generate_synthetic_dataset(
            str(tmp_path / name), 3, 0, 0, img_size=96, seed=seed, progress=False)
    read = lambda n, f: (tmp_path / n / f).read_bytes()  # noqa: E731
    for name in ('annotations/train.json', 'images/train/000002.jpg', 'masks/train/000001.png'):
        assert read('a', name) == read('b', name), name
    assert read('a', 'annotations/train.json') != read('c', 'annotations/train.json')


def test_cli_writes_the_splits_and_plain_progress_lines(tmp_path, capsys):
    out = tmp_path / 'syn'
    load_tool('tools/data/generate_synthetic.py').main([
        '--out',
        str(out), '--num-train', '30', '--num-val', '1', '--num-test', '0', '--img-size', '64',
        '--seed', '1'
    ])
    for split, n in (('train', 30), ('val', 1), ('test', 0)):
        ann = json.loads((out / 'annotations' / f'{split}.json').read_text())
        assert len(ann['images']) == n
        assert all(img['width'] == 64 for img in ann['images'])
    printed = capsys.readouterr().out
    assert 'train: ' in printed
    # not a terminal: a line per 10 % of a split instead of a bar's carriage returns
    assert '\r' not in printed
    train_lines = [line for line in printed.splitlines() if line.startswith('generating train: ')]
    assert len(train_lines) == 10 and train_lines[-1].startswith('generating train: 30/30 (100%)')


def test_training_dataloader_yields_correct_batches(synthetic_root):
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/synthetic_pair.py'))
    loader_cfg = cfg.train_dataloader
    loader_cfg.dataset.data_root = synthetic_root + '/'
    loader_cfg.update(num_workers=0, persistent_workers=False, batch_size=4)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batches = list(loader)
    assert sum(len(b['inputs']) for b in batches) == len(loader.dataset)
    for batch in batches:
        for x, s in zip(batch['inputs'], batch['data_samples']):
            assert isinstance(s, PaIRDataSample)
            assert x.dtype == torch.uint8 and x.shape[0] == 3
            h, w = x.shape[1:]
            assert s.img_shape == (h, w)
            # the config draws the short side in 192-224, the long side at most 288
            assert max(h, w) <= 288 and 191 <= min(h, w) <= 224
            assert s.gt_sem_seg.sem_seg.shape == (1, h, w)
            assert s.gt_sem_seg.sem_seg.dtype == torch.int64
            boxes, labels = s.gt_instances.bboxes, s.gt_instances.labels
            assert boxes.dtype == torch.float32 and labels.dtype == torch.int64
            assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= w + 1e-3).all()
            assert (boxes[:, 1] >= 0).all() and (boxes[:, 3] <= h + 1e-3).all()
            pairs = s.gt_pairs
            assert len(pairs) >= 1  # filter_empty_interactions
            assert pairs.actions.shape == (len(pairs), len(SYNTHETIC_ACTIONS))
            assert (pairs.actions.sum(1) >= 1).all()
            assert pairs.contact_parts.shape == (len(pairs), 17)
            assert (labels[pairs.subject_ids] == 0).all()
            assert (labels[pairs.object_ids] != 0).all()
            # gt_parts = union of the pairs' parts and the (resized) map's parts
            seg = s.gt_sem_seg.sem_seg
            in_map = torch.zeros(17)
            for p in seg.unique().tolist():
                if 1 <= p <= 17:
                    in_map[p - 1] = 1
            union = torch.maximum(pairs.contact_parts.max(0).values, in_map)
            assert torch.equal(s.gt_parts, union)
            assert s.contact_annotated is True


def test_test_dataloader_keeps_ground_truth_at_original_size(synthetic_root):
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/synthetic_pair.py'))
    loader_cfg = cfg.test_dataloader
    loader_cfg.dataset.data_root = synthetic_root + '/'
    loader_cfg.update(num_workers=0, persistent_workers=False, batch_size=3)
    batch = next(iter(Runner.build_dataloader(loader_cfg, seed=0)))
    ann = _load(synthetic_root, 'test')
    for x, s, img in zip(batch['inputs'], batch['data_samples'], ann['images']):
        assert s.ori_shape == (img['height'], img['width'])
        assert s.gt_sem_seg.sem_seg.shape[1:] == s.ori_shape
        np.testing.assert_allclose(s.gt_instances.bboxes.numpy(),
                                   [i['bbox'] for i in img['instances']])
        assert x.shape[1:] == s.img_shape
