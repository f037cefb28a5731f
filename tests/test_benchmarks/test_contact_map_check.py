"""tools/benchmarks/contact_map_check.py on a tiny model: both test runs, the comparison."""
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from pair_plugin.models.heads import base_contact_head, contact_labels
from pair_plugin.registry import MODELS
from tests.helpers import load_tool, write_tiny_config


def test_both_paths_give_the_metrics_and_the_pixels_that_differ(tiny_data, tmp_path, capsys):
    config = write_tiny_config(str(tmp_path / 'tiny.py'), tiny_data)
    init_default_scope('pair_plugin')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    checkpoint = str(tmp_path / 'model.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    tool = load_tool('tools/benchmarks/contact_map_check.py')
    assert tool.main([config, checkpoint, '--work-dir', str(tmp_path / 'work')]) == 0
    out = capsys.readouterr().out
    rows = {
        line.split(' | ')[0][2:]: line
        for line in out.splitlines() if line.startswith(('| hoi/', '| contact/'))
    }
    assert 'contact/C-Acc' in rows and 'hoi/mAP' in rows
    assert all(row.endswith(('| +0.0000 |', '| -0.0000 |', '| +nan |')) for row in rows.values())
    assert ' 0 of ' in out and 'contact-map pixels differ' in out
    # the model's own function is back in place
    assert base_contact_head.resized_argmax is contact_labels.resized_argmax
