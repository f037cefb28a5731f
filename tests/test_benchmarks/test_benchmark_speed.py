"""tools/benchmarks/benchmark_speed.py: its helpers (the timed run itself is a benchmark)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tests.helpers import REPO, load_tool


@pytest.fixture(scope='module')
def bench():
    return load_tool('tools/benchmarks/benchmark_speed.py')


def test_write_section_appends_then_replaces_between_the_markers(bench, tmp_path):
    doc = tmp_path / 'benchmarks.md'
    doc.write_text('# Benchmarks\n\nIntro.\n')
    bench.write_section(str(doc), '| a | 1 |')
    first = doc.read_text()
    assert first.startswith('# Benchmarks\n\nIntro.\n')
    assert '## Speed against DETR-R50' in first
    assert '<!-- speed:begin -->\n| a | 1 |\n<!-- speed:end -->' in first
    doc.write_text(first + '\n## Learning\n\nkept\n')
    bench.write_section(str(doc), '| b | 2 |')
    second = doc.read_text()
    assert '| a | 1 |' not in second and '| b | 2 |' in second
    assert second.count('<!-- speed:begin -->') == 1
    assert second.endswith('## Learning\n\nkept\n')


def test_median_seconds_times_the_functions_in_turn(bench, monkeypatch):
    calls, clock = [], iter(range(100))
    monkeypatch.setattr(bench.time, 'perf_counter', lambda: float(next(clock)))
    durations = {'a': iter([1, 1, 5]), 'b': iter([2, 7, 2])}

    def make(name):

        def fn():
            calls.append(name)
            if len(calls) > 2:  # after the warm-up: advance the fake clock
                for _ in range(next(durations[name]) - 1):
                    next(clock)

        return fn

    medians = bench.median_seconds([make('a'), make('b')], runs=3, warmup=1, device='cpu')
    assert calls == ['a', 'b'] * 4
    assert medians == [1.0, 2.0]  # medians of (1, 1, 5) and (2, 7, 2)


def test_sample_for_a_pair_model_trains_a_small_pairnet(bench):
    init_default_scope('pair_plugin')
    from pair_plugin.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'pairnet_r18_synthetic.py'))
    cfg.model.interaction_head.num_actions = 117  # sample_for's action vocabulary
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    rows = bench.option_rows(model, runs=1, warmup=0, device='cpu')
    assert [r.split('|')[1].strip() for r in rows] == [
        'fp32', 'channels_last', 'AMP (bf16 on CPU, fp16 on CUDA)', 'channels_last + AMP'
    ]
    # the fp32 row is the reference: speed-ups of exactly 1
    cells = [c.strip() for c in rows[0].split('|')[1:-1]]
    assert cells[2] == '1.00' and cells[4] == '1.00'
    assert all(float(c) > 0 for r in rows for c in r.split('|')[2:-1])
    # every option is undone: the model is back in the default memory format
    conv = model.backbone.conv1.weight
    assert conv.is_contiguous() and conv.stride(1) == 7 * 7  # (O, I, 7, 7), I not last
