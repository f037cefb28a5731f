"""tools/model_converters/detr_to_pairnet.py on a DETR checkpoint built and saved here."""
import os.path as osp
import sys

import mmdet
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from tests.helpers import CONFIGS, load_tool

converter = load_tool('tools/model_converters/detr_to_pairnet.py')
IIM = converter.IIM_PREFIX

DETR_CFG = osp.join(
    osp.dirname(mmdet.__file__), '.mim', 'configs', 'detr', 'detr_r18_8xb2-500e_coco.py')


@pytest.fixture(scope='module')
def detr_checkpoint(tmp_path_factory):
    """mmdet's own DETR-R18 config, built with random weights and saved by mmengine's
    conventions (state_dict + meta)."""
    from mmdet.registry import MODELS as MMDET_MODELS
    cfg = Config.fromfile(DETR_CFG)
    cfg.model.backbone.init_cfg = None
    init_default_scope('mmdet')
    torch.manual_seed(1)
    detr = MMDET_MODELS.build(cfg.model)
    path = tmp_path_factory.mktemp('detr') / 'detr_r18.pth'
    torch.save(dict(state_dict=detr.state_dict(), meta=dict(source='test')), path)
    return str(path), detr.state_dict()


@pytest.fixture(scope='module')
def pairnet_r18():
    """The paper's PaIR-Net with a ResNet-18 backbone (IIM as DETR's: 256 ch, 6 layers);
    not initialised, since every test loads weights into it."""
    import pair_plugin.models  # noqa: F401
    from pair_plugin.registry import MODELS
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_/models/pairnet_r50.py'))
    cfg.model.backbone.depth = 18
    cfg.model.backbone.init_cfg = None
    for key in ('cpam', 'interaction_head', 'contact_head', 'mask_guided_feature'):
        cfg.model[key].in_channels = 512
    cfg.model.interaction_head.num_actions = 7
    init_default_scope('pair_plugin')
    return MODELS.build(cfg.model)


def test_converter_cli_output_loads_into_pairnet(detr_checkpoint, pairnet_r18, tmp_path,
                                                 monkeypatch, capsys):
    src, detr_state = detr_checkpoint
    dst = tmp_path / 'out' / 'pairnet_init.pth'
    monkeypatch.setattr(sys, 'argv', ['detr_to_pairnet.py', src, str(dst)])
    converter.main()
    assert 'interaction_head.transformer.encoder' in capsys.readouterr().out
    ckpt = torch.load(dst, weights_only=True)
    assert set(ckpt) == {'state_dict', 'meta'}
    state = ckpt['state_dict']

    model = pairnet_r18
    own = model.state_dict()
    for key, value in state.items():
        assert key in own, key
        assert own[key].shape == value.shape, key
    # every encoder tensor and the input projection come from DETR
    encoder_keys = [k for k in own if k.startswith(IIM + 'encoder.')]
    assert encoder_keys and all(k in state for k in encoder_keys)
    assert torch.equal(state[IIM + 'input_proj.weight'], detr_state['neck.convs.0.conv.weight'])
    assert torch.equal(state[IIM + 'encoder.layers.5.ffn.layers.1.weight'],
                       detr_state['encoder.layers.5.ffn.layers.1.weight'])
    assert torch.equal(state['backbone.layer4.1.conv2.weight'],
                       detr_state['backbone.layer4.1.conv2.weight'])
    # nothing of DETR's decoder / queries / head by default
    assert not any(k.startswith((IIM + 'instance_decoder', IIM + 'action_decoder')) for k in state)
    incompatible = model.load_state_dict(state, strict=False)
    assert not incompatible.unexpected_keys
    assert all(not k.startswith((IIM + 'encoder', IIM + 'input_proj', 'backbone.'))
               for k in incompatible.missing_keys)
    assert torch.equal(
        model.interaction_head.transformer.encoder.layers[0].self_attn.attn.in_proj_weight,
        detr_state['encoder.layers.0.self_attn.attn.in_proj_weight'])


def test_converter_with_decoder_and_without_backbone(detr_checkpoint, pairnet_r18):
    src, detr_state = detr_checkpoint
    state, origin = converter.convert(detr_state, src, with_backbone=False, with_decoder=True)
    assert not any(k.startswith('backbone.') for k in state)
    for stage in range(3):
        for decoder in ('instance_decoder', 'action_decoder'):
            key = f'{IIM}{decoder}.{stage}.cross_attn.attn.in_proj_weight'
            assert origin[key] == f'decoder.layers.{stage}.cross_attn.attn.in_proj_weight'
            assert torch.equal(state[key], detr_state[origin[key]])
    assert torch.equal(state[IIM + 'action_post_norm.weight'],
                       detr_state['decoder.post_norm.weight'])
    model = pairnet_r18
    incompatible = model.load_state_dict(state, strict=False)
    assert not incompatible.unexpected_keys


def test_converter_refuses_a_non_detr_checkpoint(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"bad\.pth: state_dict: no 'neck.convs.0.conv"):
        converter.convert({'backbone.conv1.weight': torch.zeros(1)}, 'bad.pth')
    path = tmp_path / 'missing.pth'
    monkeypatch.setattr(sys, 'argv', ['detr_to_pairnet.py', str(path), str(tmp_path / 'o')])
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        converter.main()
