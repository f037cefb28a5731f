"""A hook that kills the training process right after a checkpoint, like a crash would."""
import os

from mmengine.hooks import Hook

from pair_plugin.registry import HOOKS


@HOOKS.register_module()
class CrashAfterCheckpointHook(Hook):
    """``os._exit(137)`` (as SIGKILL) after the checkpoint of epoch ``epoch`` is saved."""

    priority = 'LOWEST'

    def __init__(self, epoch: int = 1):
        self.epoch = epoch

    def after_train_epoch(self, runner) -> None:
        if runner.epoch + 1 == self.epoch:  # the loop counts epochs from 0
            os._exit(137)
