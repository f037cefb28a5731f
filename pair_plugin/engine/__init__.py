from .amp import CPUAutocastOptimWrapper, enable_amp
from .checkpoint_loading import (SAFE_GLOBALS, TRUST_ENV,
                                 load_checkpoint_file)
from .cpu_distributed import setup_cpu_distributed
from .grouped_optim_constructor import (GroupedOptimWrapperConstructor,
                                        merge_param_groups)
from .main_process_logger_hook import MainProcessLoggerHook
from .random_state_hook import RandomStateHook
from .retained_heap import retain_freed_memory

__all__ = [
    'CPUAutocastOptimWrapper', 'enable_amp', 'SAFE_GLOBALS', 'TRUST_ENV',
    'load_checkpoint_file', 'setup_cpu_distributed', 'GroupedOptimWrapperConstructor',
    'merge_param_groups', 'MainProcessLoggerHook', 'RandomStateHook',
    'retain_freed_memory'
]
