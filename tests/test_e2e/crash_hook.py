"""Faults for the resume tests: a training process that dies in the middle of an epoch or
in the middle of writing a checkpoint, as a crash or a kill would."""
import os
import signal

from mmengine.fileio import register_backend
from mmengine.hooks import Hook

from pair_plugin.engine.checkpoint_integrity import AtomicCheckpointBackend
from pair_plugin.registry import HOOKS


@HOOKS.register_module()
class CrashAfterIterationHook(Hook):
    """``os._exit(137)`` after iteration ``iteration`` (counted from 1) and its checkpoint."""

    priority = 'LOWEST'

    def __init__(self, iteration: int):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.iteration:
            os._exit(137)


@register_backend('pair_test_kill_during_write', force=True)
class KillDuringWriteBackend(AtomicCheckpointBackend):
    """pair_plugin's checkpoint backend that SIGKILLs its own process once half of the
    checkpoint named ``kill_at`` is on disk (``default_hooks.checkpoint.backend_args=
    dict(backend='pair_test_kill_during_write', kill_at='epoch_2.pth')``)."""

    def __init__(self, kill_at: str):
        self.kill_at = kill_at

    def _write(self, fileobj, data: bytes) -> None:
        if not os.path.basename(fileobj.name).startswith(f'.{self.kill_at}.'):
            return super()._write(fileobj, data)
        super()._write(fileobj, data[:len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
