"""tools/benchmarks/benchmark_inference.py and deployment_accuracy.py on the tiny model:
their tables hold every backend, with numbers that follow from each other."""
import re

import pytest
from tiny_deploy_model import run_tool

from tests.helpers import load_tool


def table_rows(text: str) -> dict:
    """``{first cell: [other cells]}`` of the Markdown table at the start of ``text``."""
    rows = {}
    for line in text.splitlines():
        if not line.startswith('|'):
            break
        cells = [c.strip() for c in line.strip('|').split('|')]
        rows[cells[0]] = cells[1:]
    return rows


def test_benchmark_times_every_backend_against_eager_and_the_floor(tiny_export, int8_models,
                                                                   tmp_path):
    out = tmp_path / 'bench.md'
    args = [
        tiny_export['config_file'], '--checkpoint', tiny_export['checkpoint'], '--shapes', 64, 96,
        96, 128, '--runs', 3, '--warmup', 1, '--threads', 1, '--onnx', tiny_export['onnx'],
        '--int8', int8_models['onnxruntime'], '--out', out
    ]
    if 'openvino' in int8_models:
        args += ['--openvino-int8', int8_models['openvino']]
    assert run_tool('tools/benchmarks/benchmark_inference.py', *args) == 0
    text = out.read_text()
    rows = table_rows(text)
    assert rows['backend'] == [
        '64x96 ms', 'speed-up', 'x floor', '96x128 ms', 'speed-up', 'x floor'
    ]
    expected = [
        'eager fp32', 'eager channels_last', 'ONNX Runtime fp32', 'ONNX Runtime INT8',
        'compute floor'
    ]
    if load_tool('tools/benchmarks/benchmark_inference.py').bf16_supported():
        expected.append('eager bf16 autocast')
    if 'openvino' in int8_models:
        expected += ['OpenVINO fp32', 'OpenVINO INT8']
    assert set(rows) - {'backend', '---'} == set(expected)
    assert rows['eager fp32'][1] == rows['eager fp32'][4] == '1.00'
    number = r'([\d.]+)'
    for shape in range(2):
        floor_ms = float(rows['compute floor'][3 * shape])
        assert floor_ms > 0 and rows['compute floor'][3 * shape + 2] == '1.0'
        base = float(rows['eager fp32'][3 * shape].split()[0])
        for name in (n for n in expected if n != 'compute floor'):
            cell, speed_up, floor_multiple = rows[name][3 * shape:3 * shape + 3]
            median, fastest, slowest = map(
                float,
                re.fullmatch(rf'{number} \({number}-{number}\)', cell).groups())
            assert fastest <= median <= slowest
            # the table's times have 3 significant digits, its ratios 2 or 1 decimals
            assert float(speed_up) == pytest.approx(base / median, rel=0.02, abs=0.01)
            assert float(floor_multiple) == pytest.approx(median / floor_ms, rel=0.02, abs=0.1)
    assert 'Multiply-adds: 64x96' in text and 'G multiply-adds/s' in text


def test_accuracy_of_the_graph_equals_eager(tiny_export, int8_models, tmp_path):
    """The fp32 graph gives eager's predictions, so the same metrics; every INT8 model
    gets a row."""
    out = tmp_path / 'accuracy.md'
    args = [
        tiny_export['config_file'], tiny_export['checkpoint'], '--data-root',
        tiny_export['data_root'], '--onnx', tiny_export['onnx'], '--int8',
        int8_models['onnxruntime'], '--threads', 1, '--out', out
    ]
    if 'openvino' in int8_models:
        args += ['--openvino-int8', int8_models['openvino']]
    assert run_tool('tools/benchmarks/deployment_accuracy.py', *args) == 0
    rows = table_rows(out.read_text())
    assert rows['model'][:4] == ['mAP', 'ΔmAP', 'C-Acc', 'ΔC-Acc']
    assert rows['ONNX Runtime fp32'][:-1] == rows['eager fp32'][:-1]
    assert all(cell == '+0.00' for cell in rows['eager fp32'][1:-1:2])
    assert 'ONNX Runtime INT8 (QDQ)' in rows
    assert ('OpenVINO INT8 (NNCF)' in rows) == ('openvino' in int8_models)
