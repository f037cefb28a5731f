"""PaIRVisualizationHook with a minimal runner: which images are drawn, where, what."""
import os
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from mmengine.registry import HOOKS as ROOT_HOOKS
from mmengine.registry import init_default_scope
from pair_drawing_cases import (HEIGHT, HUMAN_BOX, META, WIDTH, blended, colour_mask, contact_map,
                                edge_band, gray_image, gt_sample, is_red, outline_hits, pred_sample,
                                unique_name)

from pair_plugin.structures import PaIRFormatError
from pair_plugin.visualization import PaIRVisualizationHook, PaIRVisualizer

TIMESTAMP = '20250101_000000'


def make_samples(tmp_path, n=5):
    """``n`` gray PNG images on disk, each with a GT pair and three predictions."""
    os.makedirs(tmp_path / 'data' / 'images', exist_ok=True)
    samples = []
    for i in range(n):
        file_name = f'images/{i:04d}.png'
        path = str(tmp_path / 'data' / file_name)
        cv2.imwrite(path, gray_image())
        sample = pred_sample()
        gt = gt_sample()
        for key in ('gt_instances', 'gt_pairs', 'gt_sem_seg'):
            sample.set_field(gt.get(key), key)
        sample.set_metainfo(dict(img_path=path, file_name=file_name))
        samples.append(sample)
    return samples


def make_hook(tmp_path, **kwargs):
    """A visualizer that stores to ``LocalVisBackend`` and a hook that draws to it."""
    vis = PaIRVisualizer.get_instance(
        unique_name(),
        save_dir=str(tmp_path / 'run' / TIMESTAMP),
        vis_backends=[dict(type='LocalVisBackend')],
        draw_legend=False)
    vis.dataset_meta = dict(META)
    hook = PaIRVisualizationHook(**kwargs)  # picks up the current visualizer
    assert hook._visualizer is vis
    runner = SimpleNamespace(iter=12, work_dir=str(tmp_path / 'run'), timestamp=TIMESTAMP)
    return hook, runner


def vis_images(tmp_path):
    folder = tmp_path / 'run' / TIMESTAMP / 'vis_data' / 'vis_image'
    return sorted(os.listdir(folder)) if folder.exists() else []


def check_picture(path):
    """GT left, prediction right, drawn at the right places."""
    img = cv2.imread(str(path))[..., ::-1]
    assert img.shape == (HEIGHT, 2 * WIDTH, 3)
    right = img[:, WIDTH:]
    assert outline_hits(is_red(right), HUMAN_BOX) > 0.95
    assert not (is_red(right) & ~edge_band(HUMAN_BOX)).any()
    np.testing.assert_array_equal(colour_mask(right, blended(6, 0.6), 1), contact_map() == 6)


def run_val(hook, runner, samples):
    hook.before_val_epoch(runner)
    for batch_idx, start in enumerate(range(0, len(samples), 2)):
        hook.after_val_iter(runner, batch_idx, {}, samples[start:start + 2])


def test_val_draws_every_interval_th_image_at_the_training_iteration(tmp_path):
    samples = make_samples(tmp_path)
    hook, runner = make_hook(tmp_path, draw=True, interval=2)
    run_val(hook, runner, samples)
    assert vis_images(tmp_path) == ['val_0000_12.png', 'val_0002_12.png', 'val_0004_12.png']
    check_picture(tmp_path / 'run' / TIMESTAMP / 'vis_data' / 'vis_image' / 'val_0002_12.png')
    # the next evaluation draws the same images again, at its own iteration
    runner.iter = 24
    run_val(hook, runner, samples)
    assert vis_images(tmp_path) == [
        'val_0000_12.png', 'val_0000_24.png', 'val_0002_12.png', 'val_0002_24.png',
        'val_0004_12.png', 'val_0004_24.png'
    ]


def test_draw_false_draws_nothing(tmp_path):
    samples = make_samples(tmp_path, 2)
    hook, runner = make_hook(tmp_path, draw=False, interval=1, test_out_dir='pictures')
    run_val(hook, runner, samples)
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, {}, samples)
    assert vis_images(tmp_path) == []
    assert not (tmp_path / 'run' / TIMESTAMP / 'pictures').exists()


def test_test_out_dir_gets_every_image_as_png(tmp_path):
    samples = make_samples(tmp_path, 3)
    hook, runner = make_hook(tmp_path, draw=True, interval=50, test_out_dir='pictures')
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, {}, samples[:2])
    hook.after_test_iter(runner, 1, {}, samples[2:])
    out_dir = tmp_path / 'run' / TIMESTAMP / 'pictures' / 'images'
    assert sorted(os.listdir(out_dir)) == ['0000.png', '0001.png', '0002.png']
    for name in os.listdir(out_dir):
        check_picture(out_dir / name)
    assert vis_images(tmp_path) == []  # pictures went to the files only


def test_test_without_out_dir_goes_to_the_backends_every_interval(tmp_path):
    samples = make_samples(tmp_path, 5)
    hook, runner = make_hook(tmp_path, draw=True, interval=2)
    hook.before_test(runner)
    hook.after_test_iter(runner, 0, {}, samples)
    assert vis_images(tmp_path) == ['test_0000_0.png', 'test_0002_2.png', 'test_0004_4.png']


def test_image_problems_name_the_file(tmp_path):
    samples = make_samples(tmp_path, 2)
    hook, runner = make_hook(tmp_path, draw=True, interval=1)
    hook.before_val_epoch(runner)
    # the file on disk is not the size the pipeline saw
    cv2.imwrite(samples[0].img_path, gray_image((HEIGHT + 1, WIDTH)))
    samples[0].set_metainfo(dict(ori_shape=(HEIGHT, WIDTH)))
    with pytest.raises(
            PaIRFormatError,
            match=r'0000\.png: image: read as '
            r'\(241, 320\) but the data sample says ori_shape'):
        hook.after_val_iter(runner, 0, {}, samples[:1])
    with open(samples[1].img_path, 'wb') as f:
        f.write(b'not an image')
    hook.before_val_epoch(runner)
    with pytest.raises(PaIRFormatError, match=r'0001\.png: image: cannot be decoded'):
        hook.after_val_iter(runner, 0, {}, samples[1:])


def test_built_from_config_in_the_pair_plugin_scope():
    PaIRVisualizer.get_instance(unique_name())
    init_default_scope('pair_plugin')
    hook = ROOT_HOOKS.build(
        dict(type='PaIRVisualizationHook', draw=True, interval=3, score_thr=0.5))
    assert isinstance(hook, PaIRVisualizationHook)
    assert (hook.interval, hook.score_thr, hook.draw) == (3, 0.5, True)
    with pytest.raises(ValueError, match='interval must be >= 1'):
        PaIRVisualizationHook(interval=0)
