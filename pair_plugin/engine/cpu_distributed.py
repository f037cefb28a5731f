"""Distributed training on machines without CUDA (gloo), for tools/train.py and test.py.

mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` unconditionally, so it fails
on a CPU-only machine even with ``backend='gloo'``, and the Runner's DDP wrapper passes
``device_ids=[LOCAL_RANK]``, which DDP refuses for a module on the CPU. Where CUDA is
available nothing here is used: mmengine starts nccl as configured.
"""
import os
import subprocess

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def _slurm_env_to_torch_env(port: int = 29500) -> None:
    """Set the variables ``init_process_group('env://')`` reads from Slurm's."""
    proc_id = int(os.environ['SLURM_PROCID'])
    ntasks = int(os.environ['SLURM_NTASKS'])
    node_list = os.environ['SLURM_NODELIST']
    addr = subprocess.getoutput(
        f'scontrol show hostname {node_list} | head -n1')
    os.environ.setdefault('MASTER_PORT', str(port))
    os.environ.setdefault('MASTER_ADDR', addr)
    os.environ['WORLD_SIZE'] = str(ntasks)
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    os.environ['RANK'] = str(proc_id)


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Start a gloo process group and configure DDP for the CPU when there is no CUDA.

    Args:
        cfg (Config): the run's config; its ``model_wrapper_cfg`` gets
            ``device_ids=None`` and ``env_cfg.dist_cfg.backend`` becomes ``'gloo'``.
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun) or ``'slurm'``.

    Returns:
        bool: True when this function started the process group.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher == 'slurm':
        _slurm_env_to_torch_env()
    elif launcher != 'pytorch':
        raise ValueError(
            f'launcher {launcher!r} is not supported without CUDA; use '
            f"'pytorch' (torchrun) or 'slurm'")
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo', init_method='env://')
    env_cfg = cfg.get('env_cfg') or {}
    dist_cfg = dict(env_cfg.get('dist_cfg') or {}, backend='gloo')
    cfg.env_cfg = dict(env_cfg, dist_cfg=dist_cfg)
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    cfg.model_wrapper_cfg = dict(wrapper, device_ids=None)
    return True
