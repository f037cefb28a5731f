"""Automatic mixed precision for ``tools/train.py --amp``: fp16 on CUDA, bf16 on the CPU.

mmengine's ``AmpOptimWrapper`` asserts that a GPU (or NPU/MLU/MUSA) is present, so on a
machine without one ``--amp`` selects :class:`CPUAutocastOptimWrapper` instead: bf16
autocast on the CPU. bf16 has float32's exponent range, so it needs no loss scaling.
"""
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from pair_plugin.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """An :class:`mmengine.optim.OptimWrapper` whose forward runs under CPU autocast.

    Args:
        dtype (str or torch.dtype): the autocast dtype; ``'bfloat16'`` (default) or
            ``'float16'``.
        **kwargs: passed to :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16', **kwargs):
        super().__init__(**kwargs)
        if isinstance(dtype, str):
            if dtype not in ('bfloat16', 'float16'):
                raise ValueError(
                    f"CPUAutocastOptimWrapper: dtype must be 'bfloat16' or "
                    f"'float16', got {dtype!r}")
            dtype = getattr(torch, dtype)
        self.cast_dtype = dtype

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield


def enable_amp(cfg: Config) -> str:
    """Switch ``cfg.optim_wrapper`` to mixed precision for the machine at hand.

    Returns:
        str: the optimizer wrapper type now in the config.
    """
    current = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if current in ('AmpOptimWrapper', 'CPUAutocastOptimWrapper'):
        print_log(f'AMP is already enabled ({current})', logger='current')
        return current
    if current != 'OptimWrapper':
        raise ValueError(
            f'--amp needs optim_wrapper.type OptimWrapper, got {current!r}')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    else:
        cfg.optim_wrapper.type = 'CPUAutocastOptimWrapper'
        cfg.optim_wrapper.dtype = 'bfloat16'
    print_log(f'AMP: optim_wrapper.type = {cfg.optim_wrapper.type}',
              logger='current')
    return cfg.optim_wrapper.type
