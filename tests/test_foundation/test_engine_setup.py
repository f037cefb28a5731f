"""--amp on the CPU and the gloo process group that tools/train.py starts without CUDA."""
import socket

import pytest
import torch
import torch.distributed as torch_dist
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from pair_plugin.engine import (CPUAutocastOptimWrapper, enable_amp,
                                setup_cpu_distributed)


def _cfg():
    return Config(
        dict(
            optim_wrapper=dict(
                type='OptimWrapper',
                optimizer=dict(type='AdamW', lr=1e-3),
                clip_grad=dict(max_norm=0.1))))


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU behaviour')
def test_enable_amp_picks_bf16_autocast_on_cpu():
    cfg = _cfg()
    assert enable_amp(cfg) == 'CPUAutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=0.1)
    # a second call leaves it alone
    assert enable_amp(cfg) == 'CPUAutocastOptimWrapper'


def test_enable_amp_refuses_unknown_wrappers():
    cfg = _cfg()
    cfg.optim_wrapper.type = 'SomethingElse'
    with pytest.raises(ValueError, match='SomethingElse'):
        enable_amp(cfg)


def test_cpu_autocast_wrapper_runs_linear_in_bf16_and_steps():
    init_default_scope('pair_plugin')
    model = nn.Linear(4, 3)
    wrapper = build_optim_wrapper(
        model,
        dict(type='CPUAutocastOptimWrapper', optimizer=dict(type='SGD', lr=0.1)))
    assert isinstance(wrapper, CPUAutocastOptimWrapper)
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.randn(2, 4))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().pow(2).mean())
    assert model.weight.dtype == torch.float32
    assert not torch.equal(before, model.weight)


def test_cpu_autocast_wrapper_rejects_bad_dtype():
    with pytest.raises(ValueError, match='float64'):
        CPUAutocastOptimWrapper(
            dtype='float64', optimizer=torch.optim.SGD(
                nn.Linear(1, 1).parameters(), lr=0.1))


def test_no_launcher_starts_nothing():
    cfg = _cfg()
    assert setup_cpu_distributed(cfg, 'none') is False
    assert 'model_wrapper_cfg' not in cfg


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only path')
def test_pytorch_launcher_starts_gloo_and_ddp_without_device_ids(monkeypatch):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    for key, value in dict(
            MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK='0',
            WORLD_SIZE='1', LOCAL_RANK='0').items():
        monkeypatch.setenv(key, value)
    cfg = _cfg()
    try:
        assert setup_cpu_distributed(cfg, 'pytorch') is True
        assert torch_dist.is_initialized()
        assert torch_dist.get_backend() == 'gloo'
        assert cfg.model_wrapper_cfg == dict(
            type='MMDistributedDataParallel', device_ids=None)
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
        t = torch.ones(2)
        torch_dist.all_reduce(t)
        assert t.tolist() == [1.0, 1.0]
    finally:
        if torch_dist.is_initialized():
            torch_dist.destroy_process_group()


def test_unsupported_launcher_without_cuda():
    if torch.cuda.is_available():
        pytest.skip('CPU-only path')
    with pytest.raises(ValueError, match='mpi'):
        setup_cpu_distributed(_cfg(), 'mpi')
