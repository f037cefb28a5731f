"""Checkpoints under torch >= 2.6: weights_only stays on, mmengine's types are allowed;
remote schemes read torch's hub cache first and say what to do when offline.

No test downloads: every test that reaches a remote scheme replaces the download by a
failure or points at a port nothing listens on.
"""
import os
import os.path as osp
from urllib.error import URLError

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from pair_plugin.engine import TRUST_ENV, load_checkpoint_file
from pair_plugin.engine.checkpoint_loading import CheckpointDownloadError
from tests.helpers import CONFIGS, free_port

#: what ``torchvision://resnet50`` (the R50 configs' backbone) resolves to
RESNET50_URL = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'


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
            'epoch': 2,
            'iter': 7,
            'seed': np.int64(3),
            'dataset_meta': {
                'objects': ('person', 'cup')
            },
            'arr': np.arange(4, dtype=np.float32)
        },
        'state_dict': {
            'w': torch.ones(2, 3)
        },
        'message_hub': hub.state_dict(),
        'optimizer': {
            'state': {},
            'param_groups': [{
                'lr': 1e-4
            }]
        },
    }


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


def test_missing_file_names_the_path_and_the_config_key(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth') as err:
        load_checkpoint_file(str(tmp_path / 'nope.pth'))
    assert '--cfg-options model.backbone.init_cfg.checkpoint=' in str(err.value)
    assert 'load_from' in str(err.value)


def test_missing_backbone_file_stops_initialisation_naming_path_and_key(tmp_path):
    from mmdet.models.backbones import ResNet
    missing = str(tmp_path / 'nowhere' / 'resnet18.pth')
    backbone = ResNet(
        depth=18, base_channels=8, init_cfg=dict(type='Pretrained', checkpoint=missing))
    with pytest.raises(FileNotFoundError, match='nowhere/resnet18.pth') as err:
        backbone.init_weights()
    assert 'model.backbone.init_cfg.checkpoint' in str(err.value)


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


@pytest.fixture
def empty_hub_cache(tmp_path, monkeypatch):
    """torch's hub cache in ``tmp_path`` (``$TORCH_HOME/hub/checkpoints``), downloads failing
    as without network; returns the cache folder."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setattr(torch.hub, '_hub_dir', None)

    def offline(url, dst, *args, **kwargs):
        raise URLError('[Errno -3] Temporary failure in name resolution')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', offline)
    return tmp_path / 'torch' / 'hub' / 'checkpoints'


def test_offline_torchvision_scheme_names_url_cache_file_and_config_key(empty_hub_cache):
    with pytest.raises(CheckpointDownloadError) as err:
        _load_checkpoint('torchvision://resnet50', map_location='cpu')
    message = str(err.value)
    assert 'torchvision://resnet50' in message and RESNET50_URL in message
    assert 'name resolution' in message  # the cause
    assert str(empty_hub_cache / 'resnet50-0676ba61.pth') in message
    assert ('--cfg-options model.backbone.init_cfg.checkpoint=/path/to/'
            'resnet50-0676ba61.pth') in message


def test_unreachable_url_raises_the_download_error(tmp_path, monkeypatch):
    """A real connection attempt (to a local port nobody listens on), not a patched one."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setattr(torch.hub, '_hub_dir', None)
    for proxy in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy',
                  'ALL_PROXY'):
        monkeypatch.delenv(proxy, raising=False)
    url = f'http://127.0.0.1:{free_port()}/weights/backbone.pth'
    with pytest.raises(CheckpointDownloadError, match='backbone.pth') as err:
        _load_checkpoint(url, map_location='cpu')
    assert url in str(err.value)
    assert not (tmp_path / 'torch' / 'hub' / 'checkpoints' / 'backbone.pth').exists()


def test_unknown_torchvision_name_is_named(empty_hub_cache):
    with pytest.raises(KeyError, match='resnet51'):
        _load_checkpoint('torchvision://resnet51', map_location='cpu')


def test_r50_backbone_initialises_from_the_hub_cache_without_network(empty_hub_cache):
    """The R50 configs' ``init_cfg`` finds a file placed in torch's hub cache, offline."""
    from mmdet.models.backbones import ResNet
    backbone_cfg = Config.fromfile(osp.join(CONFIGS, '_base_', 'models',
                                            'pairnet_r50.py')).model.backbone
    assert backbone_cfg.init_cfg.checkpoint == 'torchvision://resnet50'
    torch.manual_seed(1)
    source = ResNet(depth=50, base_channels=8)
    empty_hub_cache.mkdir(parents=True)
    torch.save(source.state_dict(), empty_hub_cache / 'resnet50-0676ba61.pth')

    target = ResNet(depth=50, base_channels=8, init_cfg=dict(backbone_cfg.init_cfg))
    target.init_weights()
    for (name, loaded), (_, saved) in zip(target.state_dict().items(), source.state_dict().items()):
        assert torch.equal(loaded, saved), name


@pytest.mark.parametrize('config', ['pairnet_swin-s.py', 'pairnet_swin-l.py'])
def test_swin_release_url_is_read_from_the_hub_cache(config, empty_hub_cache):
    url = Config.fromfile(osp.join(CONFIGS, '_base_', 'models',
                                   config)).model.backbone.init_cfg.checkpoint
    assert url.startswith('https://github.com/SwinTransformer/storage/releases/')
    empty_hub_cache.mkdir(parents=True)
    torch.save({'model': {
        'patch_embed.proj.weight': torch.full((2, 3), 7.0)
    }}, empty_hub_cache / osp.basename(url))
    checkpoint = _load_checkpoint(url, map_location='cpu')
    assert torch.equal(checkpoint['model']['patch_embed.proj.weight'], torch.full((2, 3), 7.0))
