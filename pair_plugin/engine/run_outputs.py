"""The line that ``tools/train.py`` and ``tools/test.py`` end with: what the run wrote where.

mmengine puts a run's log under a folder named after its start time
(``<work_dir>/<timestamp>/<timestamp>.log``), and ``--show-dir`` pictures under that
folder too; without this line a user has to go looking for them.
"""
import os.path as osp
from typing import Dict, Optional


def run_outputs(runner, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The files and folders a finished run wrote that exist, by what they hold.

    Args:
        runner (mmengine.runner.Runner): the run, after ``train()`` or ``test()``.
        extra (dict, optional): more outputs of the tool (what -> path), listed after the
            log and metrics when they exist.

    Returns:
        dict: ``{'log': <work_dir>/<timestamp>/<timestamp>.log, 'metrics': <...>.json
        (a test's metrics), 'scalars': <...>/vis_data/scalars.json (losses and metrics
        per step, for ``tools/analysis/plot_curves.py``), ...}``, absolute paths, in that
        order.
    """
    log_dir = runner.log_dir
    candidates = dict(
        log=osp.join(log_dir, f'{runner.timestamp}.log'),
        metrics=osp.join(log_dir, f'{runner.timestamp}.json'),
        scalars=osp.join(log_dir, 'vis_data', 'scalars.json'))
    candidates.update(extra or {})
    return {
        what: osp.abspath(path)
        for what, path in candidates.items() if path and osp.exists(path)
    }


def run_outputs_line(tool: str, runner, extra: Optional[Dict[str, str]] = None) -> str:
    """``'<tool> wrote: log <path>; metrics <path>; ...'`` (see :func:`run_outputs`)."""
    outputs = run_outputs(runner, extra)
    return f'{tool} wrote: ' + '; '.join(f'{what} {path}' for what, path in outputs.items())
