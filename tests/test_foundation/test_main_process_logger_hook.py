"""MainProcessLoggerHook: the test metrics JSON is written by the main process only."""
import json
import os.path as osp
from types import SimpleNamespace

from mmengine.config import Config

import pair_plugin.engine.main_process_logger_hook as hook_module
from pair_plugin.engine import MainProcessLoggerHook
from tests.helpers import REPO


class _Processor:

    def get_log_after_epoch(self, runner, batches, mode, with_non_scalar=False):
        assert (batches, mode, with_non_scalar) == (3, 'test', True)
        return {'hoi/mAP': 12.5, 'time': 0.25}, 'Epoch(test) hoi/mAP: 12.5'


def _runner(log_dir, lines):
    return SimpleNamespace(
        log_processor=_Processor(),
        test_dataloader=[0, 1, 2],
        logger=SimpleNamespace(info=lines.append),
        log_dir=str(log_dir))


def _hook():
    hook = MainProcessLoggerHook()
    hook.json_log_path = '20261202_000000.json'  # set by before_run from the timestamp
    return hook


def test_main_process_writes_the_metrics_file(tmp_path):
    lines = []
    _hook().after_test_epoch(_runner(tmp_path, lines))
    assert lines == ['Epoch(test) hoi/mAP: 12.5']
    with open(tmp_path / '20261202_000000.json') as f:
        assert json.load(f) == {'hoi/mAP': 12.5, 'time': 0.25}


def test_other_ranks_log_but_do_not_write(tmp_path, monkeypatch):
    monkeypatch.setattr(hook_module, 'is_main_process', lambda: False)
    lines = []
    _hook().after_test_epoch(_runner(tmp_path, lines))
    assert lines == ['Epoch(test) hoi/mAP: 12.5']
    assert not (tmp_path / '20261202_000000.json').exists()


def test_default_runtime_uses_it():
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.default_hooks.logger.type == 'MainProcessLoggerHook'
