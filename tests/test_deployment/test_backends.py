"""The exported graph through PaIRInferencer and the demos: the same predictions as the
PyTorch model, from the .onnx file alone."""
import os
import os.path as osp
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from pair_plugin.apis import PaIRInferencer
from pair_plugin.structures import PaIRFormatError
from tests.helpers import REPO

IMAGE_DEMO = osp.join(REPO, 'tools', 'demo', 'image_demo.py')
VIDEO_DEMO = osp.join(REPO, 'tools', 'demo', 'video_demo.py')


def photos(count=3, seed=0):
    """Images of three different sizes (padded together in a batch)."""
    rng = np.random.default_rng(seed)
    sizes = [(70, 110), (90, 90), (60, 140)]
    return [rng.integers(0, 256, (*sizes[i % 3], 3), dtype=np.uint8) for i in range(count)]


def assert_same_predictions(ours, theirs):
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a.pred_hois.scores, b.pred_hois.scores, atol=1e-5, rtol=1e-4)
        for key in ('subject_bboxes', 'object_bboxes'):
            torch.testing.assert_close(
                a.pred_hois.get(key), b.pred_hois.get(key), atol=1e-3, rtol=1e-4)
        assert torch.equal(a.pred_hois.action_labels, b.pred_hois.action_labels)
        agree = (a.pred_sem_seg.sem_seg == b.pred_sem_seg.sem_seg).float().mean()
        assert agree >= 0.999
        torch.testing.assert_close(a.pred_parts, b.pred_parts, atol=1e-5, rtol=1e-4)


def test_onnxruntime_backend_gives_the_pytorch_predictions(tiny_export):
    """Config and names come from the .onnx file; a padded batch of three sizes."""
    eager = PaIRInferencer(
        tiny_export['cfg'], tiny_export['checkpoint'], device='cpu', show_progress=False)
    onnx = PaIRInferencer(
        weights=tiny_export['onnx'], backend='onnxruntime', device='cpu', show_progress=False)
    assert onnx.model.dataset_meta['actions'] == list(eager.model.dataset_meta['actions'])
    images = photos()
    ours = onnx(images, batch_size=3, return_datasamples=True)['predictions']
    theirs = eager(images, batch_size=3, return_datasamples=True)['predictions']
    assert [p.ori_shape for p in ours] == [img.shape[:2] for img in images]
    assert_same_predictions(ours, theirs)


def test_image_demo_runs_the_graph(tiny_export, tmp_path, monkeypatch):
    folder = tmp_path / 'in'
    folder.mkdir()
    for i, img in enumerate(photos(2)):
        Image.fromarray(img).save(folder / f'p{i}.png')
    out_dir = tmp_path / 'out'
    monkeypatch.setattr(sys, 'argv', [
        IMAGE_DEMO,
        str(folder), tiny_export['config_file'], tiny_export['onnx'], '--backend', 'onnxruntime',
        '--out-dir',
        str(out_dir), '--batch-size', '2', '--score-thr', '0'
    ])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(IMAGE_DEMO, run_name='__main__')
    assert exit_info.value.code == 0
    assert sorted(os.listdir(out_dir)) == sorted(f'p{i}{suffix}' for i in range(2)
                                                 for suffix in ('.json', '.png', '_contact.png'))
    assert cv2.imread(str(out_dir / 'p1.png')).shape == (90, 90, 3)


def write_video(path, frames=5, size=(72, 96)):
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10, (size[1], size[0]))
    rng = np.random.default_rng(1)
    for _ in range(frames):
        writer.write(rng.integers(0, 256, (*size, 3), dtype=np.uint8))
    writer.release()


def test_video_demo_writes_every_frame_drawn(tiny_export, tmp_path, monkeypatch, capsys):
    video = str(tmp_path / 'clip.mp4')
    write_video(video)
    out = str(tmp_path / 'drawn' / 'clip.mp4')
    monkeypatch.setattr(sys, 'argv', [
        VIDEO_DEMO, video, tiny_export['config_file'], tiny_export['onnx'], '--backend',
        'onnxruntime', '--batch-size', '2', '--out', out, '--score-thr', '0'
    ])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(VIDEO_DEMO, run_name='__main__')
    assert exit_info.value.code == 0
    drawn = cv2.VideoCapture(out)
    frames = []
    while True:
        ok, frame = drawn.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == 5 and frames[0].shape == (72, 96, 3)
    assert '5 frames of 96x72: inference' in capsys.readouterr().out
    # an unreadable video is named
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video')
    monkeypatch.setattr(sys, 'argv', [VIDEO_DEMO, str(bad), 'cfg.py', 'x.onnx'])
    with pytest.raises(PaIRFormatError, match=r'bad\.mp4: video: cannot be read'):
        runpy.run_path(VIDEO_DEMO, run_name='__main__')


def test_deployed_model_holds_no_weights_nor_arena_and_its_threads_do_not_spin(tiny_export):
    """The graph holds the weights: the detector kept for pre- and post-processing has
    every parameter on the meta device but its data preprocessor's; the runtime keeps no
    memory arena of activations."""
    from pair_plugin.apis import init_deployed_model
    model = init_deployed_model(None, tiny_export['onnx'], 'onnxruntime', 'cpu', 1)
    weights = [p for p in model.detector.parameters()]
    assert weights and all(p.is_meta for p in weights)
    assert not any(b.is_meta for b in model.data_preprocessor.buffers())
    # the runtime's threads do not busy-wait after a run, beside torch's post-processing
    options = model.session.get_session_options()
    assert options.get_session_config_entry('session.intra_op.allow_spinning') == '0'
    assert not options.enable_cpu_mem_arena
