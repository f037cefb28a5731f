"""tools/analysis/main_job_result.py: the run's numbers beside the documented range."""
import json

from tests.helpers import load_tool

result_tool = load_tool('tools/analysis/main_job_result.py')


def test_each_number_beside_its_documented_range(tmp_path, capsys):
    metrics = {
        'hoi/mAP': 26.44,
        'contact/C-Acc': 61.0,
        'contact/SC-Acc': 50.0,
        'contact/mIoU': 20.0,
        'hoi/mAP_ko': 30.0
    }
    path = tmp_path / 'metrics.json'
    path.write_text(json.dumps(metrics))
    result_tool.main([str(path), '--minutes', '41.25'])
    lines = capsys.readouterr().out.strip().splitlines()
    names = [key for key, *_ in result_tool.DOCUMENTED] + ['minutes']
    assert len(lines) == len(names)
    assert lines[0].strip().startswith('HOI mAP: 26.4; over ')
    assert lines[-1].strip().startswith('minutes: 41.2')  # 41.25 rounds half to even
    for line, (_, _, mean, low, high) in zip(lines, result_tool.DOCUMENTED):
        assert f'documented {low:.1f}-{high:.1f} (mean {mean:.1f})' in line


def test_a_metric_the_run_lacks_is_left_out():
    lines = result_tool.result_lines({'hoi/mAP': 10.0})
    assert len(lines) == 1 and lines[0].startswith('HOI mAP: 10.0')
