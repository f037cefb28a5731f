"""The tree passes flake8 and isort with the settings of setup.cfg.

yapf (the third of `make lint` and of the pre-commit hooks) is left to those: it needs more
than a minute for the tree on 2 cores.
"""
import subprocess
import sys
from os import path as osp

import pytest

from tests.helpers import REPO

PATHS = ['pair_plugin', 'tools', 'tests', 'configs', 'setup.py']
BIN = osp.dirname(sys.executable)


@pytest.mark.parametrize(
    'command', [
        ['flake8'],
        ['isort', '--check-only', '--diff'],
    ], ids=['flake8', 'isort'])
def test_tree_passes(command):
    proc = subprocess.run(
        [osp.join(BIN, command[0])] + command[1:] + PATHS,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    assert proc.returncode == 0, f'{" ".join(command)} (make lint):\n{proc.stdout[-4000:]}'
