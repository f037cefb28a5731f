"""tools/analysis/compare_runs.py: mean (min-max) over runs, newest result per run, refusals."""
import json

import pytest

from tests.helpers import load_tool

tool = load_tool('tools/analysis/compare_runs.py')


def write(path, metrics):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics))


def test_table_of_two_systems(tmp_path, capsys):
    full = dict(
        zip(('hoi/mAP', 'contact/SC-Acc', 'contact/C-Acc', 'contact/mIoU'),
            (20.0, 50.0, 60.0, 25.0)))
    write(tmp_path / 'a_s0/test/20260101_000000/20260101_000000.json', full)
    write(tmp_path / 'a_s1/test/20260101_000000/20260101_000000.json',
          dict(full, **{'hoi/mAP': 30.0}))
    # an older result of the same run is not counted
    write(tmp_path / 'a_s1/test/20250101_000000/20250101_000000.json',
          dict(full, **{'hoi/mAP': 99.0}))
    write(tmp_path / 'hoi_s0/test/20260101_000000/20260101_000000.json', {'hoi/mAP': 10.0})
    assert tool.main(
        [f'A={tmp_path}/a_s*/test/*/*.json', f'HOI only={tmp_path}/hoi_s*/test/*/*.json']) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2] == '| A | 2 | 25.0 (20.0-30.0) | 50.0 (50.0-50.0) | 60.0 (60.0-60.0) | ' \
        '25.0 (25.0-25.0) |'
    assert out[3] == '| HOI only | 1 | 10.0 | - | - | - |'


def test_refusals_name_the_group_or_file(tmp_path):
    with pytest.raises(SystemExit, match='A: no metrics file matches'):
        tool.main([f'A={tmp_path}/none/*.json'])
    bad = tmp_path / 'r/test/t/t.json'
    bad.parent.mkdir(parents=True)
    bad.write_text('[1, 2]')
    with pytest.raises(SystemExit, match='not a metrics file'):
        tool.main([f'B={tmp_path}/r/test/*/*.json'])
    with pytest.raises(SystemExit):
        tool.main(['no-label-pattern'])
