"""Checkpoints under torch >= 2.6: weights_only stays on, mmengine's types are allowed."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from pair_plugin.engine import TRUST_ENV, load_checkpoint_file


class NotAllowed:
    """A type no checkpoint of ours contains; unpickling it needs trust."""

    def __init__(self, value=1):
        self.value = value


def _mmengine_like_checkpoint():
    hub = MessageHub.get_instance('test_checkpoint_loading')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', np.float64(0.25))
    hub.update_info('iter', 7)
    return {
        'meta': {
            'epoch': 2, 'iter': 7, 'seed': np.int64(3),
            'dataset_meta': {'objects': ('person', 'cup')},
            'arr': np.arange(4, dtype=np.float32)
        },
        'state_dict': {'w': torch.ones(2, 3)},
        'message_hub': hub.state_dict(),
        'optimizer': {'state': {}, 'param_groups': [{'lr': 1e-4}]},
    }


def test_plain_torch_load_refuses_mmengine_checkpoints(tmp_path):
    """The problem being solved: torch's default refuses HistoryBuffer."""
    path = tmp_path / 'ckpt.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    with pytest.raises(pickle.UnpicklingError, match='Unsupported global'):
        torch.load(path)


def test_mmengine_loader_reads_mmengine_types_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(_mmengine_like_checkpoint(), path)
    ckpt = _load_checkpoint(str(path), map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2, 3))
    assert ckpt['meta']['seed'] == 3
    np.testing.assert_array_equal(ckpt['meta']['arr'], np.arange(4))
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == 0.25
    assert buffer.mean() == pytest.approx(0.375)


def test_unknown_type_needs_trust(tmp_path, monkeypatch):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': NotAllowed(5)}, path)
    monkeypatch.delenv(TRUST_ENV, raising=False)
    with pytest.raises(RuntimeError, match='--trust-checkpoint') as err:
        _load_checkpoint(str(path), map_location='cpu')
    assert str(path) in str(err.value)
    monkeypatch.setenv(TRUST_ENV, '1')
    assert load_checkpoint_file(str(path))['payload'].value == 5


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'))


def test_trust_env_defaults_off():
    assert os.environ.get(TRUST_ENV) in (None, '0', '')


class _GetattrPayload:
    """Pickles as ``getattr(OrderedDict, 'fromkeys')``: a getattr that is not mmengine's."""

    def __reduce__(self):
        from collections import OrderedDict
        return (getattr, (OrderedDict, 'fromkeys'))


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path, monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)
    path = tmp_path / 'getattr.pth'
    torch.save({'x': _GetattrPayload()}, path)
    with pytest.raises(RuntimeError, match='not a HistoryBuffer statistics method'):
        load_checkpoint_file(str(path))
