"""CPAM, H-O RoI Enhancer, Body Attention, PGCS, Mask-Guided RoI Feature and IIM."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from pairnet_cases import small_iim

import pair_plugin.models  # noqa: F401
from pair_plugin.models.heads import (HORoIEnhancer, MaskGuidedRoIFeature, box_cell_mask,
                                      contact_enclosing_boxes)
from pair_plugin.registry import MODELS

init_default_scope('pair_plugin')


# --------------------------------------------------------------------------- CPAM
def test_cpam_shapes_and_probabilities():
    cpam = MODELS.build(dict(type='CPAM', in_channels=32, hidden_channels=(16, 8)))
    cpam.init_weights()
    logits = cpam(torch.randn(3, 32, 2, 5))
    assert logits.shape == (3, 17)
    assert [b[0].out_features for b in cpam.blocks] == [16, 8]
    assert isinstance(cpam.blocks[0][1], torch.nn.BatchNorm1d)
    assert isinstance(cpam.blocks[0][3], torch.nn.Dropout)


def test_cpam_loss_skips_unannotated_images():
    cpam = MODELS.build(dict(type='CPAM', in_channels=8, hidden_channels=(4, )))
    logits = torch.tensor([[2.0] * 17, [-1.0] * 17])
    targets = torch.zeros(2, 17)
    targets[0, 5] = 1
    loss = cpam.loss(logits, targets, torch.tensor([True, False]))
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits[0], targets[0])
    assert loss.item() == pytest.approx(bce.item(), rel=1e-5)
    # no annotated image: zero, still differentiable
    logits.requires_grad_(True)
    loss = cpam.loss(logits, targets, torch.tensor([False, False]))
    assert loss.item() == 0
    loss.backward()
    assert torch.all(logits.grad == 0)


def test_cpam_bn_single_image_in_training_uses_running_stats():
    """The last batch of an epoch can hold one image: BN then uses its running stats."""
    cpam = MODELS.build(dict(type='CPAM', in_channels=8, hidden_channels=(4, ),
                             dropout=0.0))
    bn = cpam.blocks[0][1]
    bn.running_mean.fill_(0.5)
    bn.running_var.fill_(2.0)
    feat = torch.randn(1, 8, 2, 2)
    out = cpam(feat)
    assert cpam.training and bn.training
    assert torch.equal(bn.running_mean, torch.full((4, ), 0.5))
    assert bn.num_batches_tracked.item() == 0
    cpam.eval()
    assert torch.allclose(out, cpam(feat))
    ln = MODELS.build(dict(type='CPAM', in_channels=8, hidden_channels=(4, ),
                           norm_cfg=dict(type='LN')))
    assert ln(torch.randn(1, 8, 2, 2)).shape == (1, 17)


# -------------------------------------------------------------------- enhancer
def test_box_cell_mask_cell_by_cell():
    """Stride 32: box x 40..100, y 0..31 covers columns 1..3 (floor 1.25, ceil 3.125) and
    row 0; a box exactly on cell edges covers only its cells."""
    boxes = torch.tensor([[40., 0., 100., 31.], [64., 32., 128., 96.], [10., 10., 10., 50.]])
    mask = box_cell_mask(boxes, (4, 5), (32.0, 32.0))
    expected0 = torch.zeros(4, 5, dtype=torch.bool)
    expected0[0, 1:4] = True
    expected1 = torch.zeros(4, 5, dtype=torch.bool)
    expected1[1:3, 2:4] = True
    assert torch.equal(mask[0], expected0)
    assert torch.equal(mask[1], expected1)
    assert not mask[2].any()  # zero-width box


def test_enhancer_multiplies_exactly_the_cells_inside():
    enhancer = HORoIEnhancer()
    enhancer.init_weights()
    assert enhancer.delta.item() == 1.0  # the paper's initial value
    with torch.no_grad():
        enhancer.delta.fill_(2.5)
    feat = torch.randn(2, 3, 4, 5)
    # image 0: human (40,10,70,60) + object (90,20,100,31) -> union (40,10,100,60)
    #   -> columns floor(1.25)=1 .. ceil(3.125)=4 (exclusive), rows 0 .. ceil(1.875)=2
    # image 1: union of (0,96,31,127) and (130,100,150,120) -> cols 0..4 (excl. 5), rows 3
    human = torch.tensor([[[40., 10., 70., 60.]], [[0., 96., 31., 127.]]])
    obj = torch.tensor([[[90., 20., 100., 31.]], [[130., 100., 150., 120.]]])
    region = enhancer.union_boxes(human, obj, torch.ones(2, 1, dtype=torch.bool),
                                  torch.zeros(2, 4))
    assert region.tolist() == [[40., 10., 100., 60.], [0., 96., 150., 127.]]
    out = enhancer(feat, region, (32.0, 32.0))
    inside = [{(r, c) for r in range(0, 2) for c in range(1, 4)},
              {(3, c) for c in range(0, 5)}]
    for b in range(2):
        for r in range(4):
            for c in range(5):
                factor = 2.5 if (r, c) in inside[b] else 1.0
                assert torch.equal(out[b, :, r, c], feat[b, :, r, c] * factor), (b, r, c)
    # Δ is learnable: the gradient reaches it
    out.sum().backward()
    assert enhancer.delta.grad is not None and enhancer.delta.grad.item() != 0


def test_union_boxes_ignores_invalid_pairs_and_falls_back_to_the_image():
    human = torch.tensor([[[10., 10., 20., 20.], [0., 0., 500., 500.]],
                          [[1., 1., 2., 2.], [3., 3., 4., 4.]]])
    obj = torch.tensor([[[30., 5., 40., 15.], [0., 0., 500., 500.]],
                        [[1., 1., 2., 2.], [3., 3., 4., 4.]]])
    valid = torch.tensor([[True, False], [False, False]])
    whole = torch.tensor([[0., 0., 64., 64.], [0., 0., 96., 32.]])
    region = HORoIEnhancer.union_boxes(human, obj, valid, whole)
    assert region.tolist() == [[10., 5., 40., 20.], [0., 0., 96., 32.]]


# -------------------------------------------------------------- body attention
def test_body_attention_reweights_channels():
    att = MODELS.build(dict(type='BodyAttention', channels=6, hidden_channels=4))
    feat = torch.randn(2, 6, 3, 3)
    parts = torch.rand(2, 17)
    out = att(feat, parts)
    weights = att.fc2(torch.relu(att.fc1(parts))).sigmoid()
    assert out.shape == feat.shape
    assert torch.allclose(out, feat * weights[:, :, None, None])


# ------------------------------------------------------------------------ PGCS
def test_pgcs_output_stride_and_loss():
    pgcs = MODELS.build(dict(type='PGCS', in_channels=16, channels=(8, 8, 4, 4),
                             body_attention=dict(type='BodyAttention', hidden_channels=4)))
    pgcs.init_weights()
    feat = torch.randn(2, 16, 2, 3)  # a 64x96 input at stride 32
    region = torch.tensor([[0., 0., 64., 96.], [10., 10., 30., 30.]])
    logits = pgcs(feat, region, (32.0, 32.0), torch.rand(2, 17))
    assert logits.shape == (2, 18, 32, 48)  # stride 2
    assert pgcs.upsample(logits, (64, 96)).shape == (2, 18, 64, 96)
    gt = torch.full((2, 64, 96), 255, dtype=torch.long)
    assert pgcs.loss(logits, gt).item() == 0  # everything ignored
    gt[0, :10, :10] = 3
    gt[1, 5:8] = 0
    full = pgcs.upsample(logits, (64, 96))
    expected = torch.nn.functional.cross_entropy(full, gt, ignore_index=255)
    assert pgcs.loss(logits, gt).item() == pytest.approx(expected.item(), rel=1e-5)


def test_pgcs_loss_at_the_logits_resolution():
    """loss_resolution='logits': CE of the stride-2 logits against every other pixel of
    the ground truth (nearest neighbour), no full-resolution map."""
    pgcs = MODELS.build(dict(
        type='PGCS', in_channels=16, channels=(8, 4), roi_enhancer=None, body_attention=None,
        loss=dict(type='CrossEntropyLoss', use_sigmoid=False, ignore_index=255,
                  avg_non_ignore=True, class_weight=[0.1] + [1.0] * 17),
        loss_resolution='logits'))
    logits = torch.randn(2, 18, 8, 12)  # stride 2 of a 16x24 padded input
    gt = torch.full((2, 16, 24), 255, dtype=torch.long)
    assert pgcs.loss(logits, gt).item() == 0
    gt[0, 2:9, 3:11] = 4
    gt[1, 10:] = 0
    gt[1, 11, 5] = 17  # an odd row: not sampled
    sampled = gt[:, ::2, ::2]
    assert (sampled == 17).sum() == 0 and (sampled == 4).sum() == 4 * 4
    weight = torch.tensor([0.1] + [1.0] * 17)
    per_pixel = F.cross_entropy(logits, sampled, weight=weight, ignore_index=255,
                                reduction='none')
    # mmdet's avg_non_ignore: the weighted sum over the number of non-ignored pixels
    expected = per_pixel.sum() / (sampled != 255).sum()
    assert pgcs.loss(logits, gt).item() == pytest.approx(expected.item(), rel=1e-5)
    with pytest.raises(ValueError, match="loss_resolution must be 'input' or 'logits'"):
        MODELS.build(dict(type='PGCS', in_channels=16, channels=(8, ),
                          loss_resolution='full'))


@pytest.mark.parametrize('with_attention', [True, False])
def test_pgcs_equals_the_papers_order(with_attention):
    """Upsampling last and L' folded into the classifier give the paper's logits and
    gradients: every stage conv/BN/ReLU/2×, then F_B^D ⊙ L', then the 1×1 conv."""
    torch.manual_seed(0)
    pgcs = MODELS.build(dict(
        type='PGCS', in_channels=16, channels=(12, 8, 8, 6), roi_enhancer=None,
        body_attention=dict(type='BodyAttention', hidden_channels=4)
        if with_attention else None))
    pgcs.init_weights()
    pgcs.train()
    feat = torch.randn(2, 16, 3, 5, requires_grad=True)
    parts = torch.rand(2, 17) if with_attention else None

    def papers_order(x):
        for stage in pgcs.decoder:
            x = F.interpolate(stage[0](x), scale_factor=2, mode='bilinear',
                              align_corners=False)
        if with_attention:
            x = pgcs.body_attention(x, parts)
        return pgcs.conv_seg(x)

    expected = papers_order(feat)
    expected_grads = torch.autograd.grad(expected.square().sum(),
                                         [feat] + list(pgcs.parameters()))
    logits = pgcs(feat, part_probs=parts)
    grads = torch.autograd.grad(logits.square().sum(), [feat] + list(pgcs.parameters()))
    assert logits.shape == expected.shape == (2, 18, 48, 80)
    assert torch.allclose(logits, expected, atol=1e-5, rtol=1e-4)
    for got, want in zip(grads, expected_grads):
        assert torch.allclose(got, want, atol=1e-4, rtol=1e-3)
    # same parameter names as a stage-by-stage decoder (older checkpoints load)
    assert {k for k in pgcs.state_dict() if k.startswith('decoder.3')} == {
        'decoder.3.0.conv.weight', 'decoder.3.0.bn.weight', 'decoder.3.0.bn.bias',
        'decoder.3.0.bn.running_mean', 'decoder.3.0.bn.running_var',
        'decoder.3.0.bn.num_batches_tracked'}


def test_pgcs_switches():
    plain = MODELS.build(dict(type='PGCS', in_channels=16, channels=(8, ),
                              roi_enhancer=None, body_attention=None))
    assert not plain.with_roi_enhancer and not plain.with_body_attention
    assert plain(torch.randn(1, 16, 2, 2)).shape == (1, 18, 4, 4)
    with_att = MODELS.build(dict(type='PGCS', in_channels=16, channels=(8, ),
                                 roi_enhancer=None))
    with pytest.raises(ValueError, match='part probabilities'):
        with_att(torch.randn(1, 16, 2, 2))


def test_pgcs_background_prior():
    """The classifier's bias gives (p, (1 - p) / 17, ...) on a zero decoded map; without
    the option it stays at the Kaiming initialisation's 0; out-of-range p is refused."""
    cfg = dict(type='PGCS', in_channels=16, channels=(8, ), roi_enhancer=None,
               body_attention=None)
    plain = MODELS.build(cfg)
    plain.init_weights()
    assert plain.conv_seg.bias.abs().max().item() == 0
    pgcs = MODELS.build(dict(cfg, background_prior=0.9))
    pgcs.init_weights()
    assert pgcs.conv_seg.weight.std().item() > 0.05  # Kaiming weights are kept
    probs = pgcs.classify(torch.zeros(1, 8, 2, 3)).softmax(dim=1)
    expected = torch.tensor([0.9] + [0.1 / 17] * 17)[None, :, None, None]
    torch.testing.assert_close(probs, expected.expand_as(probs))
    with torch.no_grad():  # as after training: a second init_weights keeps the bias
        pgcs.conv_seg.bias.fill_(0.5)
    pgcs.init_weights()
    assert pgcs.conv_seg.bias.eq(0.5).all()
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match='background_prior must be in'):
            MODELS.build(dict(cfg, background_prior=bad))


# ------------------------------------------------------------ mask-guided feature
def test_contact_enclosing_boxes_hand_made():
    label = torch.zeros(3, 8, 10, dtype=torch.long)
    label[0, 2, 3] = 5
    label[0, 5, 7] = 9
    label[1, :, :] = 255  # ignored only: no contact
    label[2, 7, 9] = 4  # contact in the padding: does not count
    boxes, found = contact_enclosing_boxes(label, torch.tensor([[8, 10], [8, 10], [6, 8]]))
    assert found.tolist() == [True, False, False]
    assert boxes[0].tolist() == [3, 2, 8, 6]  # x1, y1, x2 (excl.), y2 (excl.)


def test_mask_guided_crop_on_a_hand_made_mask():
    mg = MaskGuidedRoIFeature(in_channels=2, out_channels=10)
    feat = torch.arange(2 * 4 * 6, dtype=torch.float32).reshape(1, 2, 4, 6)
    feat = torch.cat([feat, feat + 100])  # two images
    # stride-2 label maps of a 128x192 input (F_B stride 32 -> 4x6 cells; map 64x96)
    label = torch.zeros(2, 64, 96, dtype=torch.long)
    label[0, 20:30, 40:41] = 6  # map pixels x 40, y 20..29 -> input x 80..81, y 40..59
    label[0, 35, 47] = 2  # -> input (94, 70): enclosing box x 80..95, y 40..71
    # image 1: no contact -> its whole unpadded map (image 96x128 -> 3x4 cells)
    mask = mg.region_mask(label, (4, 6), torch.tensor([[64, 96], [48, 64]]),
                          torch.tensor([[4, 6], [3, 4]]))
    expected0 = torch.zeros(4, 6, dtype=torch.bool)
    expected0[1:3, 2] = True  # rows 40/32=1.25 .. 72/32=2.25 -> 1..2; cols 80/32 .. 96/32
    expected1 = torch.zeros(4, 6, dtype=torch.bool)
    expected1[:3, :4] = True
    assert torch.equal(mask[0], expected0)
    assert torch.equal(mask[1], expected1)
    out = mg(feat, label, torch.tensor([[64, 96], [48, 64]]), torch.tensor([[4, 6], [3, 4]]))
    assert out.shape == (2, 10)
    pooled0 = feat[0][:, 1:3, 2].mean(dim=1)
    pooled1 = feat[1][:, :3, :4].mean(dim=(1, 2))
    assert torch.allclose(out[0], mg.fc(pooled0), atol=1e-5)
    assert torch.allclose(out[1], mg.fc(pooled1), atol=1e-5)


# ------------------------------------------------------------------------- IIM
def test_iim_output_shapes_and_padding_mask():
    iim = small_iim(extra_action_channels=10)
    metas = [dict(img_shape=(64, 96), batch_input_shape=(64, 96)),
             dict(img_shape=(30, 50), batch_input_shape=(64, 96))]
    feat = torch.randn(2, 16, 2, 3)
    outs = iim(feat, metas)
    assert outs['human_boxes'].shape == (3, 2, 5, 4)
    assert outs['object_boxes'].shape == (3, 2, 5, 4)
    assert outs['object_logits'].shape == (3, 2, 5, 5)
    assert outs['action_feats'].shape == (3, 2, 5, 32)
    assert ((outs['human_boxes'] > 0) & (outs['human_boxes'] < 1)).all()
    actions = iim.classify_actions(outs['action_feats'], torch.randn(2, 10))
    assert actions.shape == (3, 2, 5, 3)
    assert iim.action_cls.in_features == 32 + 10
    with pytest.raises(ValueError, match='10 extra channels'):
        iim.classify_actions(outs['action_feats'], None)
    mask = iim._padding_mask(torch.zeros(2, 1, 2, 3), metas)
    assert mask[0].sum() == 0
    assert mask[1].tolist() == [[False, False, True], [True, True, True]]


def test_iim_losses_vanish_for_a_perfect_prediction():
    """Query 2 predicts the one ground-truth pair exactly: box losses are 0 and the
    class losses are small; every stage is reported (``d0.``, ``d1.``, last)."""
    iim = small_iim()
    q, a = 5, 3
    gt = InstanceData(labels=torch.tensor([2]), actions=torch.tensor([[0., 1., 0.]]),
                      human_bboxes=torch.tensor([[0.25, 0.5, 0.3, 0.6]]),
                      object_bboxes=torch.tensor([[0.6, 0.4, 0.2, 0.2]]))
    img_w, img_h = 112, 60
    factor = torch.tensor([img_w, img_h, img_w, img_h], dtype=torch.float32)
    gt.human_pixels = bbox_cxcywh_to_xyxy(gt.human_bboxes) * factor
    gt.object_pixels = bbox_cxcywh_to_xyxy(gt.object_bboxes) * factor
    human = torch.rand(1, q, 4) * 0.1 + 0.45
    obj = torch.rand(1, q, 4) * 0.1 + 0.45
    human[0, 2] = gt.human_bboxes[0]
    obj[0, 2] = gt.object_bboxes[0]
    logits = torch.full((1, q, 5), -20.0)
    logits[0, :, 4] = 20.0  # no-object everywhere ...
    logits[0, 2, 4], logits[0, 2, 2] = -20.0, 20.0  # ... but query 2 says class 2
    actions = torch.full((1, q, a), -20.0)
    actions[0, 2, 1] = 20.0
    outs = dict(human_boxes=human[None].repeat(3, 1, 1, 1),
                object_boxes=obj[None].repeat(3, 1, 1, 1),
                object_logits=logits[None].repeat(3, 1, 1, 1))
    losses = iim.loss_by_feat(outs, actions[None].repeat(3, 1, 1, 1), [gt],
                              [dict(img_shape=(img_h, img_w))])
    keys = ['loss_obj_cls', 'loss_action', 'loss_sub_bbox', 'loss_obj_bbox',
            'loss_sub_iou', 'loss_obj_iou']
    assert set(losses) == set(keys + [f'd{i}.{k}' for i in range(2) for k in keys])
    for key in ('loss_sub_bbox', 'loss_obj_bbox', 'loss_sub_iou', 'loss_obj_iou'):
        assert losses[key].item() == pytest.approx(0.0, abs=1e-5), key
    assert losses['loss_obj_cls'].item() < 1e-6
    assert losses['loss_action'].item() < 1e-6
    # moving the matched human box raises exactly its L1 term: 2.5 * |0.1| / 1 pair
    human[0, 2, 0] += 0.1
    outs['human_boxes'] = human[None].repeat(3, 1, 1, 1)
    losses = iim.loss_by_feat(outs, actions[None].repeat(3, 1, 1, 1), [gt],
                              [dict(img_shape=(img_h, img_w))])
    assert losses['loss_sub_bbox'].item() == pytest.approx(0.25, rel=1e-4)
    assert losses['loss_obj_bbox'].item() == pytest.approx(0.0, abs=1e-5)


def test_iim_predict_top_k_scores():
    iim = small_iim(test_cfg=dict(max_per_img=4))
    q = 5
    logits = torch.full((1, 1, q, 5), -10.0)
    logits[0, 0, :, 4] = 10.0
    logits[0, 0, 1, 4], logits[0, 0, 1, 3] = -10.0, 10.0  # query 1: class 3, p ~ 1
    actions = torch.full((1, 1, q, 3), -10.0)
    actions[0, 0, 1, 2] = 0.0  # sigmoid 0.5
    boxes = torch.tensor([0.5, 0.5, 0.5, 0.5]).expand(1, 1, q, 4)
    outs = dict(human_boxes=boxes, object_boxes=boxes, object_logits=logits)
    meta = dict(img_shape=(40, 80), ori_shape=(80, 160), scale_factor=(0.5, 0.5))
    result = iim.predict_by_feat(outs, actions, [meta])[0]
    assert len(result) == 4
    assert result.scores[0].item() == pytest.approx(0.5, rel=1e-3)
    assert result.object_labels[0].item() == 3 and result.action_labels[0].item() == 2
    assert torch.all(result.scores[:-1] >= result.scores[1:])
    # (0.25..0.75) x (80, 40) / 0.5 -> x 40..120, y 20..60 in the 160x80 original
    assert result.subject_bboxes[0].tolist() == pytest.approx([40., 20., 120., 60.])
