"""Configs with default_scope='pair_plugin' build pair_plugin, mmdet, mmseg and mmpretrain types."""
import pytest
from mmengine.registry import DefaultScope, init_default_scope

from pair_plugin import registry


@pytest.fixture(autouse=True)
def pair_scope():
    init_default_scope('pair_plugin')
    yield


def test_registries_are_children_of_mmdet():
    import mmdet.registry as mmdet_registry
    for name in ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'TASK_UTILS', 'VISUALIZERS',
                 'HOOKS'):
        ours = getattr(registry, name)
        assert ours.scope == 'pair_plugin'
        assert ours.parent is getattr(mmdet_registry, name)
    assert DefaultScope.get_current_instance().scope_name == 'pair_plugin'


def test_unprefixed_mmdet_types_resolve():
    from mmdet.models.backbones import ResNet
    from mmdet.models.necks import ChannelMapper
    from mmdet.models.task_modules import HungarianAssigner
    assert registry.MODELS.get('ResNet') is ResNet
    assert registry.MODELS.get('ChannelMapper') is ChannelMapper
    assert registry.TASK_UTILS.get('HungarianAssigner') is HungarianAssigner
    model = registry.MODELS.build(dict(type='ResNet', depth=18))
    assert isinstance(model, ResNet)


def test_prefixed_foreign_types_resolve():
    from mmdet.models.backbones import ResNet as MMDetResNet
    from mmpretrain.models.backbones import ConvNeXt
    from mmseg.models.backbones import MixVisionTransformer
    assert registry.MODELS.get('mmdet.ResNet') is MMDetResNet
    assert registry.MODELS.get('mmpretrain.ConvNeXt') is ConvNeXt
    assert registry.MODELS.get('mmseg.MixVisionTransformer') is MixVisionTransformer
    convnext = registry.MODELS.build(
        dict(type='mmpretrain.ConvNeXt', arch='atto', out_indices=(3, )))
    assert isinstance(convnext, ConvNeXt)


def test_unknown_type_raises_naming_it():
    with pytest.raises(KeyError, match='NoSuchBackbone'):
        registry.MODELS.build(dict(type='NoSuchBackbone'))
