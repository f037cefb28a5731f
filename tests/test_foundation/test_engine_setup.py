"""What the flags of tools/train.py and tools/test.py do to the run's config, and where
they stop before anything is built: --amp, --vis-backends, and a config without data."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from tests.helpers import CONFIGS, load_tool

SMALL_CONFIG = osp.join(CONFIGS, 'pairnet_r18_synthetic.py')
PAPER_CONFIG = osp.join(CONFIGS, 'pairnet_r50_pair1.py')


@pytest.fixture(scope='module')
def train_tool():
    return load_tool('tools/train.py')


@pytest.fixture(autouse=True)
def restore_local_rank(monkeypatch):
    """parse_args sets LOCAL_RANK as torchrun would; undone after each test."""
    monkeypatch.setenv('LOCAL_RANK', '0')


def _merged(tool, *flags, config=SMALL_CONFIG):
    args = tool.parse_args([config, *flags])
    return tool.merge_args(Config.fromfile(config), args)


def test_amp_selects_mmengines_amp_wrapper_with_dynamic_loss_scale(train_tool, monkeypatch):
    monkeypatch.setattr(train_tool, 'amp_device_available', lambda: True)
    plain = Config.fromfile(SMALL_CONFIG).optim_wrapper
    cfg = _merged(train_tool, '--amp')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    # the rest of the wrapper (optimizer, clipping, per-module lr) is the config's
    for key in ('optimizer', 'clip_grad', 'paramwise_cfg'):
        assert cfg.optim_wrapper.get(key) == plain.get(key), key
    assert 'loss_scale' not in _merged(train_tool).optim_wrapper


@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU-only answer')
def test_amp_without_a_gpu_stops_with_one_line_before_building(train_tool, tmp_path):
    work_dir = tmp_path / 'amp'
    with pytest.raises(SystemExit) as info:
        train_tool.main([SMALL_CONFIG, '--amp', '--work-dir', str(work_dir)])
    message = str(info.value.code)
    assert '--amp needs a GPU' in message and '\n' not in message
    assert not work_dir.exists()  # no runner, no work dir, no log


def test_vis_backends_by_short_name_join_the_configs(train_tool):
    cfg = _merged(train_tool, '--vis-backends', 'tensorboard', 'WandbVisBackend', 'local')
    assert [b['type'] for b in cfg.visualizer.vis_backends
            ] == ['LocalVisBackend', 'TensorboardVisBackend', 'WandbVisBackend']
    names = train_tool.vis_backend_types()
    assert names['mlflow'] == 'MLflowVisBackend' and names['local'] == 'LocalVisBackend'


def test_unknown_vis_backend_is_a_usage_error(train_tool, capsys):
    with pytest.raises(SystemExit) as info:
        train_tool.parse_args([SMALL_CONFIG, '--vis-backends', 'tensorbored'])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert 'unknown tensorbored' in err and 'tensorboard' in err


@pytest.mark.parametrize('tool_path,extra', [('tools/train.py', []),
                                             ('tools/test.py', ['model.pth'])])
def test_paper_config_without_data_names_the_ways_forward(tool_path, extra, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no data/pair1 here
    tool = load_tool(tool_path)
    with pytest.raises(SystemExit) as info:
        tool.main([PAPER_CONFIG, *extra, '--work-dir', str(tmp_path / 'wd')])
    message = str(info.value.code)
    assert 'data/pair1/annotations/' in message
    assert 'not public' in message and 'docs/dataset.md' in message
    for way in ('hico_det_to_pair.py', 'vcoco_to_pair.py', 'pairnet_r18_synthetic.py',
                'your own data'):
        assert way in message, way
    assert not (tmp_path / 'wd').exists()


def test_missing_files_are_found_inside_dataset_wrappers(tmp_path):
    from pair_plugin.datasets.missing_data import missing_annotation_files
    (tmp_path / 'ann').mkdir()
    (tmp_path / 'ann' / 'a.json').write_text('{}')
    cfg = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(
                    type='ConcatDataset',
                    datasets=[
                        dict(data_root=str(tmp_path), ann_file='ann/a.json'),
                        dict(
                            type='RepeatDataset',
                            times=2,
                            dataset=dict(data_root=str(tmp_path), ann_file='ann/b.json'))
                    ])),
            val_dataloader=None,
            test_dataloader=dict(dataset=dict(ann_file='s3://bucket/test.json'))))
    assert missing_annotation_files(cfg,
                                    ('train_dataloader', 'val_dataloader', 'test_dataloader')) == [
                                        ('train_dataloader', osp.join(str(tmp_path), 'ann/b.json'))
                                    ]
