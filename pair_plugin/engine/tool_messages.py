"""What ``tools/train.py`` and ``tools/test.py`` end with: the line saying what the run
wrote where, or the message saying why it stopped.

mmengine puts a run's log under a folder named after its start time
(``<work_dir>/<timestamp>/<timestamp>.log``), and ``--show-dir`` pictures under that
folder too; without the line a user has to go looking for them.

``mim train`` / ``mim test`` run the tool with ``subprocess.check_call``, so any exit
status but 0 ends in openmim's own ``CalledProcessError`` traceback after the tool's
message; openmim offers no way around it, and exiting 0 would make it report success. A
tool run by mim says so under its message, so that the reason is not lost above the
traceback.
"""
import os.path as osp
import sys
from typing import Dict, NoReturn, Optional

#: the note under a stop message when the tool runs inside ``mim train`` / ``mim test``
MIM_NOTE = ('(mim {command} prints a CalledProcessError traceback below for this exit status 1: '
            'the reason is the message above)')


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


def run_by_mim(script_file: str) -> bool:
    """Whether ``script_file`` is the copy of a tool that ``mim`` runs: the one installed
    under ``<package>/.mim/tools/`` (a checkout's ``tools/`` is not)."""
    return '.mim' in osp.abspath(script_file).split(osp.sep)


def stop(message: str, script_file: str, command: str) -> NoReturn:
    """Exit with status 1 and ``message`` (on stderr), with :data:`MIM_NOTE` under it when
    the tool runs inside ``mim <command>``.

    Args:
        message (str): why the tool stops.
        script_file (str): the tool's ``__file__``.
        command (str): the mim command that runs the tool, ``'train'`` or ``'test'``.
    """
    if run_by_mim(script_file):
        message = f'{message}\n{MIM_NOTE.format(command=command)}'
    sys.exit(message)
