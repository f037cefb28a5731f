from .atomic_checkpoint_hook import AtomicCheckpointHook
from .checkpoint_integrity import (AtomicCheckpointBackend, CheckpointIntegrityError,
                                   resumable_checkpoint)
from .checkpoint_loading import SAFE_GLOBALS, TRUST_ENV, load_checkpoint_file
from .cpu_threads import set_cpu_threads
from .grouped_optim_constructor import GroupedOptimWrapperConstructor, merge_param_groups
from .main_process_logger_hook import MainProcessLoggerHook
from .random_state_hook import RandomStateHook
from .resumable_train_loop import ResumableEpochBasedTrainLoop

__all__ = [
    'SAFE_GLOBALS', 'TRUST_ENV', 'load_checkpoint_file', 'set_cpu_threads',
    'GroupedOptimWrapperConstructor', 'merge_param_groups', 'MainProcessLoggerHook',
    'RandomStateHook', 'AtomicCheckpointHook', 'AtomicCheckpointBackend',
    'CheckpointIntegrityError', 'resumable_checkpoint', 'ResumableEpochBasedTrainLoop'
]
