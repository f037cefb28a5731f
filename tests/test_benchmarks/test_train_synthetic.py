"""tools/benchmarks/train_synthetic.py: a per-epoch curve, its files and its plot, on a
tiny synthetic set with a tiny config (the shipped small config, shrunk)."""
import csv
import json
import os.path as osp

import pytest
from PIL import Image

from tests.helpers import REPO, load_tool, make_tiny_dataset, write_tiny_config

METRICS = ('hoi/mAP', 'contact/SC-Acc', 'contact/C-Acc', 'contact/mIoU', 'contact/wIoU')


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/benchmarks/train_synthetic.py')


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory, tool):
    """Two epochs on 4 training images; the tiny config validates every 100 epochs."""
    tmp = tmp_path_factory.mktemp('curve')
    data = make_tiny_dataset(str(tmp / 'data'), num_train=4, num_val=3, num_test=0)
    cfg = write_tiny_config(str(tmp / 'tiny.py'), str(tmp / 'elsewhere'))
    work_dir = str(tmp / 'wd')
    rows = tool.main([
        cfg, '--data-root', data, '--work-dir', work_dir, '--threads', '1', '--cfg-options',
        'train_cfg.max_epochs=2'
    ])
    return rows, work_dir


def test_one_row_per_epoch_with_the_metrics_and_times(tiny_run):
    rows, work_dir = tiny_run
    # validated after every epoch although the config says every 100
    assert [r['epoch'] for r in rows] == [1, 2]
    assert [r['iter'] for r in rows] == [2, 4]  # 4 images, batch 2
    for r in rows:
        for key in METRICS:
            assert 0.0 <= r[key] <= 100.0, key
        assert r['val_time_s'] > 0
        assert r['train_time_s'] + r['val_time_s'] <= r['wall_time_s'] + 0.05
    assert rows[1]['wall_time_s'] > rows[0]['wall_time_s']
    assert rows[1]['train_time_s'] > rows[0]['train_time_s']


def test_json_and_csv_hold_the_same_curve(tiny_run):
    rows, work_dir = tiny_run
    with open(osp.join(work_dir, 'curve.json')) as f:
        saved = json.load(f)
    assert saved['epochs'] == rows
    assert saved['cfg_options'] == {'train_cfg.max_epochs': 2}
    assert saved['max_epochs'] == 2
    assert saved['machine']['torch_threads'] == 1
    assert len(saved['load_average_start']) == 3
    with open(osp.join(work_dir, 'curve.csv')) as f:
        table = list(csv.DictReader(f))
    assert len(table) == 2
    for line, row in zip(table, rows):
        assert int(line['epoch']) == row['epoch']
        for key in METRICS + ('wall_time_s', ):
            assert float(line[key]) == pytest.approx(row[key])


def test_plot_of_losses_and_metrics(tiny_run):
    _, work_dir = tiny_run
    png = osp.join(work_dir, 'curves.png')
    with Image.open(png) as img:
        # plot_curves.py's figure: 13 x 4.5 inches at 100 dpi
        assert img.size == (1300, 450)
        pixels = img.convert('RGB')
        # the loss and the metric axes both hold drawn (coloured) lines
        colours = {pixels.getpixel((x, y)) for x in range(0, 1300, 3) for y in range(0, 450, 3)}
    assert len(colours) > 20


def test_table_and_target_summary(tool):
    rows = [
        dict(epoch=1, iter=10, wall_time_s=60.0, **{
            'hoi/mAP': 12.5,
            'contact/C-Acc': 55.0
        }),
        dict(epoch=2, iter=20, wall_time_s=1000.0, **{
            'hoi/mAP': 40.0,
            'contact/C-Acc': 70.0
        })
    ]
    table = tool.format_table(rows)
    lines = table.splitlines()
    assert lines[0].split('|')[3].strip() == 'mAP'
    assert [c.strip() for c in lines[2].split('|')] == ['1', '10', '1.00', '12.50', '55.00']
    # epoch 2 ended after 15 minutes: the target is judged at epoch 1
    summary = tool.target_summary(rows)
    assert summary.startswith('at epoch 1, 1.0 min')
    assert 'hoi/mAP 12.50 (target >= 30: not met)' in summary
    assert 'contact/C-Acc 55.00 (target >= 50: met)' in summary


def test_generates_the_set_when_absent(tool, tmp_path, monkeypatch):
    calls = []

    def tiny_generator(root):
        calls.append(root)
        make_tiny_dataset(root, num_train=2, num_val=1, num_test=0)

    monkeypatch.setattr(tool, 'generate_synthetic_dataset', tiny_generator)
    root = str(tmp_path / 'syn')
    assert tool.ensure_dataset(root) is True
    assert calls == [root]
    assert osp.isfile(osp.join(root, 'annotations', 'val.json'))
    # present now: left alone
    assert tool.ensure_dataset(root) is False
    assert calls == [root]


def test_refuses_an_iteration_based_config(tool, tmp_path):
    cfg = write_tiny_config(
        str(tmp_path / 'iter.py'),
        str(tmp_path / 'd'),
        extra="train_cfg = dict(_delete_=True, "
        "type='IterBasedTrainLoop', max_iters=4)")
    args = tool.parse_args([cfg, '--data-root', str(tmp_path / 'd')])
    with pytest.raises(ValueError, match='IterBasedTrainLoop'):
        tool.build_config(args)


def test_repo_default_config_is_the_small_one(tool):
    args = tool.parse_args([])
    assert args.config == osp.join(REPO, 'configs', 'pairnet_r18_synthetic.py')
    assert args.data_root == osp.join(REPO, 'data', 'synthetic')


def test_recorder_hook_times_and_nan(tool):
    from types import SimpleNamespace
    saved = []
    hook = tool.CurveRecorderHook(on_row=lambda rows: saved.append(list(rows)))
    runner = SimpleNamespace(epoch=3, iter=30)
    hook.after_val_epoch(runner, {'hoi/mAP': 1.0})  # before training: ignored
    assert hook.rows == [] and saved == []
    hook.before_train(runner)
    hook.before_val_epoch(runner)
    hook.after_val_epoch(runner, {'hoi/mAP': 12.5, 'hoi/mAP_rare': float('nan'), 'note': 'text'})
    row = hook.rows[0]
    assert (row['epoch'], row['iter']) == (3, 30)
    assert row['hoi/mAP'] == 12.5
    assert row['hoi/mAP_rare'] is None  # NaN: null in the JSON, empty in the CSV
    assert 'note' not in row
    assert 0 <= row['val_time_s'] <= row['wall_time_s']
    assert saved == [[row]]
