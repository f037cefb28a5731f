"""mmengine's ``LoggerHook`` with the test metrics file written by one process only.

mmengine 0.10.7's ``LoggerHook.after_test_epoch`` dumps the test metrics to
``<log_dir>/<timestamp>.json`` on every rank, and all ranks share that path. Under
``tools/dist_test.sh`` two processes then write the same file at once; their records differ
in ``time`` and ``data_time``, so the longer one's tail can outlive the shorter one's write
and leave a file that is not JSON. Here only the main process writes it (the metrics are the
same on every rank: the evaluator gathers them before this hook runs).
"""
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.fileio import dump
from mmengine.hooks import LoggerHook

from pair_plugin.registry import HOOKS


@HOOKS.register_module()
class MainProcessLoggerHook(LoggerHook):
    """``LoggerHook`` whose test metrics JSON is written by the main process only."""

    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        tag, log_str = runner.log_processor.get_log_after_epoch(
            runner, len(runner.test_dataloader), 'test', with_non_scalar=True)
        runner.logger.info(log_str)
        if is_main_process():
            dump(self._process_tags(tag), osp.join(runner.log_dir,
                                                   self.json_log_path))  # type: ignore
