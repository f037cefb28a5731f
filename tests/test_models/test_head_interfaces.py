"""The head contracts, once for every registered implementation.

A new interaction head (:class:`BaseInteractionHead`) goes into ``INTERACTION_HEADS``, a new
contact head (:class:`BaseContactHead`) into ``CONTACT_HEADS``, each with a small config that
reads the levels of :func:`feature_levels` (F_B = the last one); the ``every_registered``
tests fail until it does.
"""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from muren_ted_cases import small_head_cfg
from pairnet_cases import make_sample, small_iim_cfg
from qpic_stip_cases import small_qpic_cfg, small_stip_cfg

import pair_plugin.models  # noqa: F401
from pair_plugin.models.detectors import PaIRNet
from pair_plugin.models.heads import BaseContactHead, BaseInteractionHead
from pair_plugin.registry import MODELS

init_default_scope('pair_plugin')

#: the padded input, and the levels of a 4-stage backbone on it (strides 4 to 32)
INPUT_SIZE = (64, 96)
LEVEL_CHANNELS = (8, 16, 24, 32)
LEVEL_STRIDES = (4, 8, 16, 32)

#: one small config per interaction head, reading F_B (32 channels, 2 x 3 cells): 4 object
#: classes, 3 actions, 7 triplets per image
INTERACTION_HEADS = {
    'IIMHead':
    dict(
        type='IIMHead',
        in_channels=32,
        transformer=small_iim_cfg(in_channels=32),
        num_object_classes=4,
        num_actions=3,
        test_cfg=dict(max_per_img=7)),
    'MURENHead':
    small_head_cfg('MURENHead'),
    'TEDHead':
    small_head_cfg('TEDHead'),
    'QPICHead':
    small_qpic_cfg(test_cfg=dict(max_per_img=7)),
    'STIPHead':
    small_stip_cfg(test_cfg=dict(max_per_img=7)),
}
NUM_MASK_FEATS = 10

#: one small config per contact head, reading :func:`feature_levels`
CONTACT_HEADS = {
    'PGCS':
    dict(
        type='PGCS',
        in_channels=32,
        channels=(8, 8, 4, 4),
        body_attention=dict(type='BodyAttention', hidden_channels=4)),
    'UNetContactHead':
    dict(type='UNetContactHead', in_channels=LEVEL_CHANNELS, decoder_channels=(16, 8, 8, 4, 4)),
    'LinkNetContactHead':
    dict(type='LinkNetContactHead', in_channels=LEVEL_CHANNELS, prefinal_channels=4),
    'MANetContactHead':
    dict(
        type='MANetContactHead',
        in_channels=LEVEL_CHANNELS,
        decoder_channels=(16, 8, 8, 4, 4),
        pab_channels=4),
    'HOTContactHead':
    dict(type='HOTContactHead', in_channels=32, channels=16),
    # reads PIHOTBackbone's levels: see CONTACT_LEVELS
    'PIHOTContactHead':
    dict(
        type='PIHOTContactHead',
        in_channels=(1, 32, 32),
        channels=16,
        num_heads=2,
        attn_size=(3, 3)),
}


def pihot_levels(levels):
    """PIHOTBackbone's outputs from a plain backbone's levels: a depth cue in [0, 1] at the
    input size, the restored image's F_B (F_B shifted) and F_B."""
    generator = torch.Generator().manual_seed(1)
    depth = torch.rand(levels[-1].shape[0], 1, *INPUT_SIZE, generator=generator)
    return (depth, levels[-1] + 0.5, levels[-1])


#: the contact heads that read other levels than a plain backbone's: name -> levels from
#: those of :func:`feature_levels`
CONTACT_LEVELS = {'PIHOTContactHead': pihot_levels}


def contact_levels(name):
    """The levels that the contact head ``name`` reads (:func:`feature_levels` for most)."""
    levels = feature_levels()
    return CONTACT_LEVELS[name](levels) if name in CONTACT_LEVELS else levels


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
        seg_logits = head(contact_levels(name), INPUT_SIZE, **contact_inputs(head))
    assert seg_logits.shape == (2, head.num_parts + 1, *INPUT_SIZE)
    assert torch.isfinite(seg_logits).all()


@pytest.mark.parametrize('name', list(CONTACT_HEADS))
def test_contact_head_loss_is_finite_with_a_gradient_on_every_parameter(name):
    head = build_contact_head(name).train()
    losses = head.loss(contact_levels(name), contact_samples(), **contact_inputs(head))
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
        at_input = head.predict(contact_levels(name), metas, rescale=False, **inputs)
        rescaled = head.predict(contact_levels(name), metas, rescale=True, **inputs)
    for maps, shapes in ((at_input, [(64, 96), (48, 80)]), (rescaled, [(128, 192), (24, 40)])):
        for contact_map, shape in zip(maps, shapes):
            seg = contact_map.sem_seg
            assert seg.shape == (1, *shape) and seg.dtype == torch.uint8
            assert seg.min() >= 0 and seg.max() <= head.num_parts


def interaction_samples():
    """Two images padded to 64x96 (the second 48x80, upscaled from 24x40): two pairs and
    one, 3 actions, 4 object classes."""
    samples = [
        make_sample(
            INPUT_SIZE,
            boxes=[(4, 4, 40, 60), (30, 20, 90, 50), (60, 2, 70, 12)],
            labels=[0, 2, 3],
            pairs=[(0, 1, [0, 2], [6]), (0, 2, [1], [])],
            ori_shape=(128, 192),
            scale_factor=(0.5, 0.5),
            num_actions=3),
        make_sample((48, 80),
                    boxes=[(40, 2, 78, 46), (2, 10, 44, 30)],
                    labels=[0, 1],
                    pairs=[(0, 1, [2], [])],
                    ori_shape=(24, 40),
                    scale_factor=(2.0, 2.0),
                    num_actions=3),
    ]
    img_sizes = torch.tensor([s.img_shape for s in samples])
    feat = feature_levels()[-1]
    padding_mask = PaIRNet.padding_mask(img_sizes, INPUT_SIZE, feat.shape[-2:])
    return feat, padding_mask, samples, img_sizes


def build_interaction_head(name, **kwargs):
    torch.manual_seed(0)
    head = MODELS.build(dict(INTERACTION_HEADS[name], **kwargs))
    head.init_weights()
    return head


@pytest.mark.parametrize('name', list(INTERACTION_HEADS))
def test_interaction_head_outputs(name):
    """forward: boxes, object logits and action features of every stage; forward_actions:
    the action logits, from them and F_M when the head takes it."""
    head = build_interaction_head(name, mask_feat_channels=NUM_MASK_FEATS).eval()
    assert isinstance(head, BaseInteractionHead) and head.takes_mask_feats
    assert head.mask_feat_channels == NUM_MASK_FEATS
    feat, padding_mask, _, _ = interaction_samples()
    with torch.no_grad():
        outs = head(feat, padding_mask)
        assert {'human_boxes', 'object_boxes', 'object_logits', 'action_feats'} <= set(outs)
        stages, batch, queries = outs['object_logits'].shape[:3]
        assert batch == 2 and stages >= 1 and queries >= 1
        for key in ('human_boxes', 'object_boxes'):
            assert outs[key].shape == (stages, 2, queries, 4)
            assert ((outs[key] >= 0) & (outs[key] <= 1)).all()
        assert outs['object_logits'].shape[-1] == head.num_object_classes + 1
        assert outs['action_feats'].shape[:3] == (stages, 2, queries)
        mask_feats = torch.randn(2, NUM_MASK_FEATS)
        actions = head.forward_actions(outs, mask_feats)
        assert actions.shape == (stages, 2, queries, head.num_actions)
        # F_M reaches the action logits
        assert not torch.allclose(actions, head.forward_actions(outs, mask_feats + 1))
        human, obj, scores = head.interaction_pairs(outs)
        assert human.shape == obj.shape == (2, queries, 4) and scores.shape == (2, queries)


@pytest.mark.parametrize('name', list(INTERACTION_HEADS))
def test_interaction_head_loss_is_finite_with_a_gradient_on_every_parameter(name):
    """The two phases as PaIR-Net runs them (with F_M), then the head on its own."""
    feat, padding_mask, samples, img_sizes = interaction_samples()
    head = build_interaction_head(name, mask_feat_channels=NUM_MASK_FEATS).train()
    mask_feats = torch.randn(2, NUM_MASK_FEATS, requires_grad=True)
    outs = head(feat, padding_mask)
    outs['action_logits'] = head.forward_actions(outs, mask_feats)
    losses = head.loss_by_feat(outs, samples, img_sizes)
    assert losses and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert mask_feats.grad is not None and mask_feats.grad.abs().sum() > 0
    for param_name, param in head.named_parameters():
        if param.requires_grad:
            assert param.grad is not None, param_name
            assert torch.isfinite(param.grad).all(), param_name

    alone = build_interaction_head(name).train()
    losses = alone.loss(feat, padding_mask, samples, img_sizes)
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in alone.parameters() if p.requires_grad)


@pytest.mark.parametrize('name', list(INTERACTION_HEADS))
def test_interaction_head_predicts_at_most_max_per_img_triplets_in_pixels(name):
    head = build_interaction_head(name).eval()
    feat, padding_mask, samples, _ = interaction_samples()
    with torch.no_grad():
        at_input = head.predict(feat, padding_mask, samples, rescale=False)
        rescaled = head.predict(feat, padding_mask, samples, rescale=True)
    for results, shapes in ((at_input, [(64, 96), (48, 80)]), (rescaled, [(128, 192), (24, 40)])):
        for triplets, (h, w) in zip(results, shapes):
            assert 0 < len(triplets) <= 7
            assert torch.all(triplets.scores[:-1] >= triplets.scores[1:])
            for key in ('subject_bboxes', 'object_bboxes'):
                boxes = triplets.get(key)
                assert boxes.dtype == torch.float32 and boxes.shape == (len(triplets), 4)
                assert (boxes >= 0).all() and (boxes[:, 0::2] <= w).all()
                assert (boxes[:, 1::2] <= h).all()
                assert (boxes[:, 2:] >= boxes[:, :2]).all()
            assert triplets.object_labels.max() < head.num_object_classes
            assert triplets.action_labels.max() < head.num_actions
    # rescaling divides the boxes by the scale factor
    torch.testing.assert_close(rescaled[0].subject_bboxes, at_input[0].subject_bboxes * 2)


def test_every_registered_interaction_head_is_tested():
    registered = {
        name
        for name, cls in MODELS.module_dict.items()
        if isinstance(cls, type) and issubclass(cls, BaseInteractionHead)
    }
    assert registered == set(INTERACTION_HEADS)


def test_every_registered_contact_head_is_tested():
    registered = {
        name
        for name, cls in MODELS.module_dict.items()
        if isinstance(cls, type) and issubclass(cls, BaseContactHead)
    }
    assert registered == set(CONTACT_HEADS)
