"""Save and restore the random number generators with every checkpoint.

mmengine 0.10.7 re-seeds on ``--resume`` but does not restore the generators' states, so a
resumed run draws different augmentations and dropout masks from the uninterrupted run and
ends with different weights. With this hook (in ``default_runtime.py``'s ``custom_hooks``) a
run resumed from epoch k's checkpoint continues exactly as the run that wrote it (with
``num_workers=0``, or with non-persistent workers, which mmengine re-seeds every epoch).

The states of process rank 0 are saved (mmengine saves checkpoints there) and restored on
every rank; mmengine seeds every rank alike unless ``randomness.diff_rank_seed`` is set.
"""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from pair_plugin.registry import HOOKS


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Puts python's, numpy's and torch's generator states into each checkpoint.

    The states go under ``checkpoint['random_state']``; they are plain tuples, a numpy array
    and byte tensors, which the safe checkpoint loader accepts.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(
            python=random.getstate(), numpy=np.random.get_state(), torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['random_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('random_state')
        if state is None or not runner._resume:
            # loading weights (load_from) must not replay another run's randomness
            return
        random.setstate(_as_python_state(state['python']))
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'].cpu())
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])
        runner.logger.info('restored the random generators of the checkpoint')


def _as_python_state(state):
    """``random.setstate`` needs tuples; a checkpoint may hand lists back."""
    version, internal, gauss = state
    return (version, tuple(internal), gauss)
