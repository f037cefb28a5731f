"""tools/benchmarks/benchmark_end_to_end.py: the measured call on a tiny model, the photos
and the table's verdicts (the timed runs themselves are a benchmark)."""
import os.path as osp

import cv2
import numpy as np
import pytest

from tests.helpers import load_tool


@pytest.fixture(scope='module')
def bench():
    return load_tool('tools/benchmarks/benchmark_end_to_end.py')


def test_photos_are_the_source_at_each_size(bench, tmp_path):
    source = str(tmp_path / 'source.png')
    cv2.imwrite(source, np.full((30, 40, 3), 128, np.uint8))
    paths = bench.write_photos(source, [(64, 48), (20, 10)], str(tmp_path / 'photos'))
    assert [cv2.imread(p).shape[:2] for p in paths] == [(48, 64), (10, 20)]
    with pytest.raises(SystemExit, match='not a readable image'):
        bench.write_photos(str(tmp_path / 'none.jpg'), [(8, 8)], str(tmp_path))


def test_measure_times_the_whole_call_and_its_post_processing(bench, tiny_checkpoint, tmp_path):
    photo = str(tmp_path / 'photo.jpg')
    cv2.imwrite(photo, np.random.default_rng(0).integers(0, 255, (48, 64, 3), np.uint8))
    (row, ) = bench.measure(
        tiny_checkpoint['config_file'],
        tiny_checkpoint['checkpoint'],
        'pytorch', [photo],
        runs=2,
        threads=1)
    assert row['photo'] == photo
    assert len(row['total']) == 2 and len(row['post']) == 2
    assert all(0 < post < total for post, total in zip(row['post'], row['total']))
    assert row['peak_mib'] > 0


def test_table_names_a_runtime_slower_than_eager_and_the_post_processing_share(bench):
    eager = [dict(total=[0.100, 0.100, 0.120], post=[0.025] * 3, peak_mib=1000.0)]
    results = {
        'R50': {
            'eager fp32': eager,
            'ONNX Runtime fp32': [dict(total=[0.090] * 3, post=[0.02] * 3, peak_mib=900.0)],
            'ONNX Runtime INT8': [dict(total=[0.150] * 3, post=[0.05] * 3, peak_mib=800.0)],
        }
    }
    table = bench.build_table(results, [(1200, 900)])
    assert '| R50 | eager fp32 | 100 (25.0) | 1000 |' in table
    assert 'R50 ONNX Runtime INT8 at 1200x900: 150 ms, slower than eager (100 ms)' in table
    assert 'ONNX Runtime fp32 at 1200x900' not in table
    assert 'R50: post-processing share of the eager total: 1200x900 25 %' in table


def test_model_arguments_are_checked(bench):
    with pytest.raises(SystemExit):
        bench.parse_args(['--model', 'R50'])
    args = bench.parse_args(['--model', 'R50', 'a.py', '--model', 'R18', 'b.py', 'b.pth'])
    assert args.model == [['R50', 'a.py'], ['R18', 'b.py', 'b.pth']]
    assert osp.basename(args.photo) == 'ultralytics__zidane.jpg'
