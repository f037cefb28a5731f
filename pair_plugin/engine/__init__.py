from .checkpoint_loading import SAFE_GLOBALS, TRUST_ENV, load_checkpoint_file
from .cpu_threads import set_cpu_threads
from .grouped_optim_constructor import GroupedOptimWrapperConstructor, merge_param_groups
from .main_process_logger_hook import MainProcessLoggerHook
from .random_state_hook import RandomStateHook

__all__ = [
    'SAFE_GLOBALS', 'TRUST_ENV', 'load_checkpoint_file', 'set_cpu_threads',
    'GroupedOptimWrapperConstructor', 'merge_param_groups', 'MainProcessLoggerHook',
    'RandomStateHook'
]
