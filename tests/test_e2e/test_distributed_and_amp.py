"""tools/train.py and tools/test.py in a 2-process torchrun job, and --amp on a GPU.

Without a GPU the processes talk over gloo through tests/test_e2e/gloo_launch.py (the
installed package holds no CPU launch code); with GPUs, tools/dist_train.sh and
tools/dist_test.sh run them over nccl as in mmdet.
"""
import glob
import json
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from tests.helpers import PYTHON, REPO, run, run_distributed, write_tiny_config

GLOO_LAUNCH = osp.join(REPO, 'tests', 'test_e2e', 'gloo_launch.py')
TWO_GPUS = torch.cuda.is_available() and torch.cuda.device_count() >= 2


@pytest.fixture(scope='module')
def tiny(tmp_path_factory, tiny_data):
    root = tmp_path_factory.mktemp('dist')
    # the session's set has an odd number of test images (3): the sampler pads 3 to 4 for
    # two processes
    cfg = write_tiny_config(str(root / 'cfg.py'), tiny_data, max_epochs=1)
    return root, tiny_data, cfg


def _two_processes(tool, *args):
    """Run ``tools/<tool>.py`` in two processes: gloo on the CPU, nccl on GPUs."""
    if TWO_GPUS:
        script = osp.join(REPO, 'tools', f'dist_{tool}.sh')
        if tool == 'train':
            cmd = ['bash', script, args[0], '2', *args[1:]]
        else:
            cmd = ['bash', script, args[0], args[1], '2', *args[2:]]
        return run_distributed(cmd)
    # --standalone: torchrun picks a free port itself
    return run([
        PYTHON, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', GLOO_LAUNCH,
        osp.join(REPO, 'tools', f'{tool}.py'), *args
    ])


def _metrics(work_dir):
    files = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    assert files, f'no metrics json under {work_dir}'
    return json.load(open(files[-1]))


@pytest.mark.skipif(
    torch.cuda.is_available() and not TWO_GPUS, reason='one GPU: no second process to talk to')
def test_two_process_train_and_test_count_each_image_once(tiny):
    root, data, cfg = tiny
    work = root / 'dist_train'
    out = _two_processes('train', cfg, '--work-dir', str(work))
    assert re.search(r'Distributed training: True\s+GPU number: 2', out)
    ckpt = work / 'epoch_1.pth'
    assert ckpt.is_file()

    preds_file = root / 'dist_preds' / 'predictions.json'
    _two_processes('test', cfg, str(ckpt), '--work-dir', str(root / 'dist_test'), '--out',
                   str(preds_file))
    test_files = [
        im['file_name']
        for im in json.load(open(osp.join(data, 'annotations', 'test.json')))['images']
    ]
    assert len(test_files) == 3
    predicted = [p['file_name'] for p in json.load(open(preds_file))]
    assert sorted(predicted) == sorted(test_files)  # each once, none padded in

    # the same checkpoint evaluated by one process gives the same numbers
    run([
        PYTHON,
        osp.join(REPO, 'tools', 'test.py'), cfg,
        str(ckpt), '--work-dir',
        str(root / 'single_test')
    ])
    dist_metrics = _metrics(str(root / 'dist_test'))
    single_metrics = _metrics(str(root / 'single_test'))
    keys = [k for k in single_metrics if k.startswith(('hoi/', 'contact/'))]
    assert 'hoi/mAP' in keys and 'contact/C-Acc' in keys
    for key in keys:
        assert dist_metrics[key] == pytest.approx(single_metrics[key], abs=1e-9, nan_ok=True), key


@pytest.mark.skipif(not torch.cuda.is_available(), reason="mmengine's AmpOptimWrapper needs a GPU")
def test_amp_trains_with_fp16_autocast_on_a_gpu(tiny):
    root, _, cfg = tiny
    work = root / 'amp'
    out = run([PYTHON, osp.join(REPO, 'tools', 'train.py'), cfg, '--amp', '--work-dir', str(work)])
    dumped = Config.fromfile(str(work / 'cfg.py'))
    assert dumped.optim_wrapper.type == 'AmpOptimWrapper'
    assert dumped.optim_wrapper.loss_scale == 'dynamic'
    losses = [float(v) for v in re.findall(r'\bloss: ([0-9.e+-]+|nan|inf)', out)]
    assert losses and all(torch.isfinite(torch.tensor(losses)))
    state = torch.load(work / 'epoch_1.pth', map_location='cpu', weights_only=False)['state_dict']
    assert all(v.dtype != torch.float16 for v in state.values())
