"""The head contracts, once for every registered implementation.

A new contact head (:class:`BaseContactHead`) goes into ``CONTACT_HEADS`` with a small
config that reads the levels of :func:`feature_levels`; the last test fails until it does.
"""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from pairnet_cases import make_sample

import pair_plugin.models  # noqa: F401
from pair_plugin.models.heads import BaseContactHead
from pair_plugin.registry import MODELS

init_default_scope('pair_plugin')

#: the padded input, and the levels of a 4-stage backbone on it (strides 4 to 32)
INPUT_SIZE = (64, 96)
LEVEL_CHANNELS = (8, 16, 24, 32)
LEVEL_STRIDES = (4, 8, 16, 32)

#: one small config per contact head, reading :func:`feature_levels`
CONTACT_HEADS = {
    'PGCS':
    dict(
        type='PGCS',
        in_channels=32,
        channels=(8, 8, 4, 4),
        body_attention=dict(type='BodyAttention', hidden_channels=4)),
}


def feature_levels(batch_size=2, seed=0):
    """The backbone's levels for a (batch_size, 3, 64, 96) input."""
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(batch_size, c, INPUT_SIZE[0] // s, INPUT_SIZE[1] // s, generator=generator)
        for c, s in zip(LEVEL_CHANNELS, LEVEL_STRIDES))


def contact_samples():
    """Two images padded to 64x96: a 64x96 one downscaled from 128x192 and a 48x80 one
    upscaled from 24x40, contact annotated (255 in the padding), and an unannotated one."""
    seg0 = np.zeros(INPUT_SIZE, dtype=np.uint8)
    seg0[10:20, 30:50] = 6
    seg1 = np.full(INPUT_SIZE, 255, dtype=np.uint8)
    seg1[:48, :80] = 0
    seg1[30:40, 5:25] = 14
    samples = [
        make_sample(INPUT_SIZE, seg=seg0, ori_shape=(128, 192), scale_factor=(0.5, 0.5)),
        make_sample(INPUT_SIZE, seg=seg1, ori_shape=(24, 40), scale_factor=(2.0, 2.0)),
    ]
    samples[1].set_metainfo(dict(img_shape=(48, 80)))
    for sample in samples:
        sample.set_metainfo(dict(batch_input_shape=INPUT_SIZE))
    return samples


def build_contact_head(name):
    torch.manual_seed(0)
    head = MODELS.build(CONTACT_HEADS[name])
    head.init_weights()
    return head


def contact_inputs(head, batch_size=2):
    """The part probabilities and interaction regions of the heads that take them."""
    inputs = dict()
    if head.uses_part_priors:
        inputs['part_probs'] = torch.rand(batch_size, head.num_parts)
    if head.uses_roi_enhancer:
        inputs['regions'] = torch.tensor([[8., 4., 60., 40.], [0., 0., 80., 48.]])[:batch_size]
    return inputs


@pytest.mark.parametrize('name', list(CONTACT_HEADS))
def test_contact_head_gives_s_at_the_input_size(name):
    head = build_contact_head(name).eval()
    assert isinstance(head, BaseContactHead)
    with torch.no_grad():
        seg_logits = head(feature_levels(), INPUT_SIZE, **contact_inputs(head))
    assert seg_logits.shape == (2, head.num_parts + 1, *INPUT_SIZE)
    assert torch.isfinite(seg_logits).all()


@pytest.mark.parametrize('name', list(CONTACT_HEADS))
def test_contact_head_loss_is_finite_with_a_gradient_on_every_parameter(name):
    head = build_contact_head(name).train()
    losses = head.loss(feature_levels(), contact_samples(), **contact_inputs(head))
    assert set(losses) == {'loss_contact_seg'}
    assert torch.isfinite(losses['loss_contact_seg']) and losses['loss_contact_seg'] > 0
    losses['loss_contact_seg'].backward()
    for param_name, param in head.named_parameters():
        if param.requires_grad:
            assert param.grad is not None, param_name
            assert torch.isfinite(param.grad).all(), param_name
            assert param.grad.abs().sum() > 0, param_name


@pytest.mark.parametrize('name', list(CONTACT_HEADS))
def test_contact_head_predicts_maps_at_the_image_and_the_original_size(name):
    head = build_contact_head(name).eval()
    samples = contact_samples()
    metas = [s.metainfo for s in samples]
    with torch.no_grad():
        inputs = contact_inputs(head)
        at_input = head.predict(feature_levels(), metas, rescale=False, **inputs)
        rescaled = head.predict(feature_levels(), metas, rescale=True, **inputs)
    for maps, shapes in ((at_input, [(64, 96), (48, 80)]), (rescaled, [(128, 192), (24, 40)])):
        for contact_map, shape in zip(maps, shapes):
            seg = contact_map.sem_seg
            assert seg.shape == (1, *shape) and seg.dtype == torch.int64
            assert seg.min() >= 0 and seg.max() <= head.num_parts


def test_every_registered_contact_head_is_tested():
    registered = {
        name
        for name, cls in MODELS.module_dict.items()
        if isinstance(cls, type) and issubclass(cls, BaseContactHead)
    }
    assert registered == set(CONTACT_HEADS)
