"""The visualization hook inside a real mmengine Runner test (tools/test.py --show-dir).

A tiny untrained PaIR-Net from ``configs/pairnet_r18_synthetic.py`` runs on three
synthetic images; the hook must write one picture per image, ground truth on the left
drawn exactly where the annotation file says.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from pair_plugin.datasets.synthetic import generate_split
from pair_plugin.structures import PART_PALETTE
from tests.helpers import REPO, shrink_small_model


def tiny_runner_config(data_root, work_dir) -> Config:
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'pairnet_r18_synthetic.py'))
    # the synthetic metainfo: 80 objects, 10 actions
    shrink_small_model(cfg.model, num_object_classes=80, num_actions=10)
    loader = cfg.test_dataloader
    loader.batch_size = 2
    loader.num_workers = 0
    loader.persistent_workers = False
    loader.dataset.data_root = data_root
    for step in loader.dataset.pipeline:
        if step['type'] == 'Resize':
            step['scale'] = (128, 96)
    train_ann = osp.join(data_root, 'annotations', 'test.json')
    cfg.test_evaluator = [
        dict(type='HOIMetric', train_ann_file=train_ann),
        dict(type='ContactMetric', train_ann_file=train_ann)
    ]
    cfg.default_hooks.visualization = dict(
        type='PaIRVisualizationHook', draw=True, test_out_dir='pictures')
    cfg.visualizer = dict(
        type='PaIRVisualizer',
        name='runner_test_visualizer',
        vis_backends=[dict(type='LocalVisBackend')],
        draw_legend=False,
        draw_labels=False,
        alpha=1.0)
    cfg.work_dir = work_dir
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler',
                'val_dataloader', 'val_cfg', 'val_evaluator'):
        cfg.pop(key, None)
    return cfg


def test_runner_test_writes_pictures_with_the_ground_truth_in_place(tmp_path):
    data_root = str(tmp_path / 'synthetic')
    ann_file = generate_split(data_root, 'test', 3, img_size=96, progress=False)
    work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(tiny_runner_config(data_root, work_dir))
    runner.test()

    (timestamp, ) = [d for d in os.listdir(work_dir) if osp.isdir(osp.join(work_dir, d))]
    out_dir = osp.join(work_dir, timestamp, 'pictures', 'images', 'test')
    assert sorted(os.listdir(out_dir)) == ['000000.png', '000001.png', '000002.png']

    images = json.load(open(ann_file))['images']
    for info in images:
        picture = cv2.imread(osp.join(out_dir,
                                      osp.basename(info['file_name'])[:-4] + '.png'))[..., ::-1]
        h, w = info['height'], info['width']
        assert picture.shape == (h, 2 * w, 3)  # ground truth | prediction
        gt = picture[:, :w]
        boxes = [
            info['instances'][i]['bbox'] for pair in info['interactions']
            for i in (pair['subject_id'], pair['object_id'])
        ]
        on_edges = np.zeros((h, w), bool)
        ys, xs = np.mgrid[0:h, 0:w] + 0.5
        for x1, y1, x2, y2 in boxes:
            inside = (xs > x1 - 4) & (xs < x2 + 4) & (ys > y1 - 4) & (ys < y2 + 4)
            near = ((np.abs(xs - x1) < 4) | (np.abs(xs - x2) < 4)
                    | (np.abs(ys - y1) < 4) | (np.abs(ys - y2) < 4))
            on_edges |= inside & near
        # every contact pixel of the GT mask, off the box outlines, carries its part's
        # pure colour (alpha 1); no other pixel has a part colour it should not have
        mask = cv2.imread(osp.join(data_root, info['contact_mask']), cv2.IMREAD_UNCHANGED)
        assert mask.shape == (h, w)
        for part in range(1, 18):
            coloured = (gt == PART_PALETTE[part]).all(-1) & ~on_edges
            np.testing.assert_array_equal(coloured & (mask != part), np.zeros_like(coloured))
            assert (coloured == ((mask == part) & ~on_edges)).all(), (info['file_name'], part)
        # the human box of every GT pair is drawn in red along its top edge
        for pair in info['interactions']:
            x1, y1, x2, y2 = info['instances'][pair['subject_id']]['bbox']
            xs_top = np.arange(int(x1) + 3, int(x2) - 3)
            top = gt[max(int(round(y1)) - 1, 0):int(round(y1)) + 2, xs_top]
            red = (top[..., 0] > 200) & (top[..., 1] < 80) & (top[..., 2] < 80)
            assert red.any(axis=0).mean() > 0.9, info['file_name']
