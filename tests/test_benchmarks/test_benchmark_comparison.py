"""tools/benchmarks/benchmark_comparison.py on tiny configs: a tiny PaIR-Net against a tiny
pipeline and a tiny pipeline with a PIHOT half (stand-ins for its frozen networks)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from tests.helpers import CONFIGS, load_tool, make_tiny_dataset, write_tiny_config
from tests.test_models.test_two_model_pipeline import write_tiny_halves


@pytest.fixture(scope='module')
def bench():
    return load_tool('tools/benchmarks/benchmark_comparison.py')


def write_pipeline(path, hoi, contact):
    with open(path, 'w') as f:
        f.write(f'''
_base_ = [{osp.join(CONFIGS, 'two_model', 'distrans+unet_r50_pair1.py')!r}]
model = dict(hoi_detector=dict(config={hoi!r}), contact_segmenter=dict(config={contact!r}))
''')
    return str(path)


def write_tiny_pihot(path):
    """The shipped PIHOT config on a ResNet-18 at 8 channels, a 16-channel decoder."""
    with open(path, 'w') as f:
        f.write(f'''
_base_ = [{osp.join(CONFIGS, 'two_model', 'pihot_r50_pair1.py')!r}]
model = dict(
    backbone=dict(
        mask_dilation=2,
        backbone=dict(_delete_=True, type='ResNet', depth=18, base_channels=8,
                      out_indices=(3, ), init_cfg=None)),
    contact_head=dict(in_channels=(1, 64, 64), channels=16, num_heads=2, attn_size=(3, 3)))
''')
    return str(path)


def test_tiny_systems_are_counted_timed_and_written(bench, tmp_path):
    data = make_tiny_dataset(str(tmp_path / 'data'), num_train=1, num_val=1, num_test=1)
    pairnet = write_tiny_config(str(tmp_path / 'pairnet.py'), data)
    hoi, contact = write_tiny_halves(tmp_path)
    plain = write_pipeline(tmp_path / 'tiny+unet.py', hoi, contact)
    pihot = write_pipeline(tmp_path / 'tiny+pihot.py', hoi, write_tiny_pihot(tmp_path / 'p.py'))
    doc = tmp_path / 'benchmarks.md'
    doc.write_text('# Benchmarks\n\n<!-- comparison:begin -->\nold\n<!-- comparison:end -->\n'
                   '\n## Later\n\nkept\n')
    block = bench.main([
        '--pairnet', pairnet, '--pipelines', plain, pihot, '--shape', '64', '96', '--runs', '2',
        '--warmup', '1', '--device', 'cpu', '--write-docs',
        str(doc)
    ])
    rows = {
        line.split(' | ')[0][2:]: line.split(' | ')
        for line in block.splitlines()
        if line.startswith('| ') and not line.startswith('| system') and '---' not in line
    }
    assert list(rows) == ['pairnet', 'tiny+unet', 'tiny+pihot *']

    # parameters: PaIR-Net's own; a pipeline's the sum of its two models'
    from pair_plugin.registry import MODELS

    def params(cfg_path):
        return sum(p.numel() for p in MODELS.build(Config.fromfile(cfg_path).model).parameters())

    assert float(rows['pairnet'][1]) == pytest.approx(params(pairnet) / 1e6, abs=0.006)
    assert float(rows['tiny+unet'][1]) == pytest.approx(
        (params(hoi) + params(contact)) / 1e6, abs=0.006)
    # PaIR-Net's ratio to itself is 1 in every run
    assert rows['pairnet'][5] == '1.00 (1.00-1.00)'
    assert float(rows['tiny+unet'][3]) > 0 and float(rows['tiny+pihot *'][3]) > 0
    # no paper numbers for these configs
    assert rows['tiny+unet'][2] == '-' and rows['tiny+unet'][6] == '-'
    assert 'stand-ins of one 3x3 convolution each' in block  # the PIHOT row's *
    assert 'load average (1, 5, 15 min)' in block and '--runs 2' in block
    text = doc.read_text()
    assert 'old' not in text and block.rstrip() in text
    assert text.startswith('# Benchmarks\n\n<!-- comparison:begin -->\nCommand:')
    assert text.endswith('<!-- comparison:end -->\n\n## Later\n\nkept\n')


def test_pipeline_time_in_a_run_is_the_sum_of_its_models(bench):
    systems = [
        bench.System('configs/pairnet_r50_pair1.py', ['p']),
        bench.System('configs/two_model/distrans+hot_r50_pair1.py', ['d', 'h']),
        bench.System('configs/two_model/distrans+unet_r50_pair1.py', ['d', 'u'])
    ]
    times = [[1.0, 2.0, 3.0, 0.5], [2.0, 1.0, 4.0, 1.5]]  # runs x (p, d, h, u)
    per_system = bench.system_times(systems, ['p', 'd', 'h', 'u'], times)
    assert per_system == [[1.0, 2.0], [5.0, 5.0], [2.5, 2.5]]
    assert systems[1].name == 'DisTrans + HOT' and systems[1].paper_ms == 230.4


def test_orderings_against_the_paper(bench):
    names = ['A', 'B', 'C']
    compared, other = bench.discordant_pairs(names, [1.0, 3.0, 2.0], [75.2, 88.7, 230.4])
    assert compared == 3 and other == ['C < B']  # A < B, A < C hold; B < C reversed
    assert bench.discordant_pairs(names, [1.0, 2.0, 3.0], [1.0, None, 2.0]) == (1, [])


def test_timed_runs_call_the_models_in_turn(bench):
    calls = []
    times = bench.timed_runs([lambda: calls.append('a'), lambda: calls.append('b')],
                             runs=2,
                             warmup=1,
                             device='cpu')
    assert calls == ['a', 'b'] * 3 and len(times) == 2 and len(times[0]) == 2


def test_stand_ins_fill_only_missing_frozen_networks(bench, tmp_path):
    model = dict(
        backbone=dict(
            type='PIHOTBackbone',
            person_segmenter=dict(type='FrozenPretrainedNetwork', checkpoint=None),
            inpainter=dict(type='FrozenPretrainedNetwork', checkpoint='mine.pt'),
            depth_estimator=dict(type='FrozenPretrainedNetwork', checkpoint=None)))
    stand_ins = bench.write_stand_ins(str(tmp_path))
    used = bench.fill_frozen_networks(model, {'depth_estimator': 'zoe.pt'}, lambda: stand_ins)
    assert used
    assert model['backbone']['person_segmenter'] == dict(
        type='FrozenPretrainedNetwork', **stand_ins['person_segmenter'])
    assert model['backbone']['inpainter']['checkpoint'] == 'mine.pt'
    assert model['backbone']['depth_estimator']['checkpoint'] == 'zoe.pt'
    assert model['backbone']['depth_estimator']['network'] is None  # a TorchScript file
    from pair_plugin.registry import MODELS
    inpainter = MODELS.build(dict(type='FrozenPretrainedNetwork', **stand_ins['inpainter']))
    assert inpainter(torch.full((1, 3, 8, 8), 255.), torch.ones(1, 1, 8, 8)).shape == (1, 3, 8, 8)
