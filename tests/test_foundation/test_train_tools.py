"""tools/train.py and tools/test.py on a tiny run; mim finds the installed package's scripts."""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from tests.helpers import PYTHON, REPO, load_tool, run, write_tiny_config


@pytest.fixture(scope='module')
def tiny(tmp_path_factory, tiny_data):
    root = tmp_path_factory.mktemp('tiny')
    cfg = write_tiny_config(str(root / 'tiny_cfg.py'), tiny_data)
    return root, tiny_data, cfg


def test_train_honours_work_dir_cfg_options_and_vis_backends(tiny):
    root, _, cfg = tiny
    work_dir = root / 'wd_options'
    out = run([
        PYTHON,
        osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir',
        str(work_dir), '--vis-backends', 'tensorboard', '--cfg-options', 'train_cfg.max_epochs=2',
        'model.test_cfg.max_per_img=7', 'optim_wrapper.optimizer.lr=0.000321'
    ],
              cwd=str(root))
    # TensorBoard's event file beside the config's scalars.json
    vis_data = glob.glob(str(work_dir / '*' / 'vis_data'))
    assert len(vis_data) == 1
    assert glob.glob(osp.join(vis_data[0], 'events.out.tfevents.*'))
    assert osp.isfile(osp.join(vis_data[0], 'scalars.json'))
    # the overrides reached the run: two epochs, the dumped config holds the values
    assert (work_dir / 'epoch_2.pth').is_file()
    assert not (work_dir / 'epoch_3.pth').exists()
    dumped = Config.fromfile(str(work_dir / 'tiny_cfg.py'))
    assert dumped.model.test_cfg.max_per_img == 7
    assert dumped.optim_wrapper.optimizer.lr == pytest.approx(0.000321)
    assert dumped.work_dir == str(work_dir)
    assert 'Epoch(train) [2]' in out
    # mmengine's CheckpointHook notices about its unused FileClient are not shown
    assert 'FileClient' not in out and 'HardDiskBackend' not in out
    ckpt = torch.load(str(work_dir / 'epoch_2.pth'), map_location='cpu', weights_only=False)
    assert ckpt['meta']['epoch'] == 2
    # the heads at the given lr, the backbone at the config's lr_mult of it
    lr_mult = dumped.optim_wrapper.paramwise_cfg.custom_keys['backbone'].lr_mult
    ratios = {round(g['lr'] / 0.000321, 6) for g in ckpt['optimizer']['param_groups']}
    assert ratios == {1.0, lr_mult}
    # nothing was written to the default ./work_dirs
    assert not (root / 'work_dirs').exists()


def test_test_script_evaluates_and_writes_predictions(tiny):
    root, data, cfg = tiny
    work_dir = root / 'wd_test_script'
    run([PYTHON, osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir',
         str(work_dir)],
        cwd=str(root))
    out_json = root / 'preds' / 'predictions.json'
    out = run([
        PYTHON,
        osp.join(REPO, 'tools', 'test.py'), cfg,
        str(work_dir / 'epoch_1.pth'), '--work-dir',
        str(work_dir / 'test'), '--out',
        str(out_json)
    ],
              cwd=str(root))
    assert 'hoi/mAP' in out and 'contact/C-Acc' in out
    preds = json.load(open(out_json))
    test_files = [
        im['file_name']
        for im in json.load(open(osp.join(data, 'annotations', 'test.json')))['images']
    ]
    assert sorted(p['file_name'] for p in preds) == sorted(test_files)
    assert all(len(p['hois']) <= 100 for p in preds)
    metrics = glob.glob(str(work_dir / 'test' / '*' / '*.json'))
    assert len(metrics) == 1, 'tools/test.py wrote no metrics file'
    # the last line says where the log, the metrics and the predictions are
    assert out.rstrip().splitlines()[-1].endswith(
        f'tools/test.py wrote: log {metrics[0][:-len(".json")]}.log; metrics {metrics[0]}; '
        f'predictions {out_json}')
    # the offline evaluation of the predictions file gives the run's numbers
    values = json.load(open(metrics[0]))
    eval_predictions = load_tool('tools/analysis/eval_predictions.py')
    offline, _ = eval_predictions.evaluate(
        eval_predictions.parse_args([
            osp.join(data, 'annotations', 'test.json'),
            str(out_json), '--train-ann-file',
            osp.join(data, 'annotations', 'train.json')
        ]))
    for key in ('hoi/mAP', 'hoi/mAP_ko', 'contact/SC-Acc', 'contact/C-Acc', 'contact/mIoU'):
        assert offline[key] == pytest.approx(values[key], abs=1e-4), key


@pytest.fixture(scope='module')
def pip_installed(tmp_path_factory):
    """``pip install .`` of the working tree into a fresh folder: what a user gets."""
    target = tmp_path_factory.mktemp('site')
    run([
        PYTHON, '-m', 'pip', 'install', '--quiet', '--no-deps', '--no-build-isolation', '--target',
        str(target), REPO
    ],
        pythonpath=False)
    return target


@pytest.mark.skipif(
    shutil.which('mim', path=osp.dirname(sys.executable)) is None,
    reason='mim is not installed beside this interpreter (run tools/setup_env.sh)')
def test_mim_train_runs_the_installed_script_from_any_directory(tiny, tmp_path, pip_installed):
    root, _, cfg = tiny
    package = pip_installed / 'pair_plugin'
    # one copy in the repository, real files in the installed package
    for rel in ('tools/train.py', 'tools/test.py', 'configs/pairnet_r18_synthetic.py',
                'configs/_base_/default_runtime.py'):
        installed = package / '.mim' / rel
        assert installed.is_file() and not installed.is_symlink(), rel
        assert installed.read_text() == open(osp.join(REPO, rel)).read()
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    work_dir = tmp_path / 'mim_wd'
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    # only the installed copy is importable: not the working tree
    out = run([mim, 'train', 'pair_plugin', cfg, '--work-dir',
               str(work_dir)],
              cwd=str(elsewhere),
              pythonpath=False,
              env_extra=dict(PYTHONPATH=str(pip_installed)))
    assert (work_dir / 'epoch_1.pth').is_file(), out[-3000:]
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('epoch_1.pth')
    # mim ran the installed copy of the script
    assert str(package / '.mim' / 'tools' / 'train.py') in out


def test_mim_finds_a_config_by_its_package_relative_path(pip_installed, tmp_path):
    """``mim train pair_plugin configs/<name>.py`` from a directory without it."""
    code = ('import sys; from mim.utils import get_installed_path; '
            'print(get_installed_path("pair_plugin"))')
    out = run([PYTHON, '-W', 'ignore', '-c', code],
              cwd=str(tmp_path),
              pythonpath=False,
              env_extra=dict(PYTHONPATH=str(pip_installed)))
    root = out.strip().splitlines()[-1]
    assert root == str(pip_installed / 'pair_plugin')
    assert osp.isfile(osp.join(root, '.mim', 'configs', 'pairnet_r50_pair1.py'))


def test_paper_config_without_data_stops_with_the_ways_forward(tmp_path):
    """What a newcomer meets first: PaIR is not public, and ``data/pair1`` is absent."""
    proc = subprocess.run([
        PYTHON,
        osp.join(REPO, 'tools', 'train.py'),
        osp.join(REPO, 'configs', 'pairnet_r50_pair1.py'), '--work-dir',
        str(tmp_path / 'wd')
    ],
                          cwd=str(tmp_path),
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True,
                          timeout=300,
                          env=dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1'))
    out = proc.stdout
    assert proc.returncode == 1
    assert 'no annotation file data/pair1/annotations/train.json' in out
    assert 'not public' in out and 'docs/dataset.md' in out
    # stopped before the runner: no environment or config dump, no model, no traceback
    assert 'Traceback' not in out and 'System environment' not in out
    assert 'PaIRNet' not in out and len(out.splitlines()) <= 12, out
    assert not (tmp_path / 'wd').exists()


def test_two_trainings_in_one_process_write_their_own_scalars(tiny):
    """Two trainings in one process (a notebook, a sweep script): each one's scalars land
    in its own work dir."""
    root, data, _ = tiny
    train = load_tool('tools/train.py')
    for name in ('first', 'second'):
        cfg = write_tiny_config(str(root / f'{name}.py'), data)
        train.main([cfg, '--work-dir', str(root / name)])
        (scalars, ) = glob.glob(str(root / name / '*' / 'vis_data' / 'scalars.json'))
        with open(scalars) as f:
            assert [json.loads(line)['epoch'] for line in f if '"loss"' in line] == [1, 1]
