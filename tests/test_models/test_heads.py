"""CPAM, H-O RoI Enhancer, Body Attention, PGCS, Mask-Guided RoI Feature, IIM and its head."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from pairnet_cases import make_sample, small_iim, small_iim_head

import pair_plugin.models  # noqa: F401
from pair_plugin.models.detectors import PaIRNet
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
    samples = [make_sample((8, 8)), make_sample((8, 8), contact_annotated=False)]
    for sample, target in zip(samples, targets):
        sample.gt_parts = target
    loss = cpam.loss(logits, samples)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits[0], targets[0])
    assert loss.item() == pytest.approx(bce.item(), rel=1e-5)
    # no annotated image: zero, still differentiable
    logits.requires_grad_(True)
    samples[0].set_metainfo(dict(contact_annotated=False))
    loss = cpam.loss(logits, samples)
    assert loss.item() == 0
    loss.backward()
    assert torch.all(logits.grad == 0)


def test_cpam_bn_single_image_in_training_uses_running_stats():
    """The last batch of an epoch can hold one image: BN then uses its running stats."""
    cpam = MODELS.build(dict(type='CPAM', in_channels=8, hidden_channels=(4, ), dropout=0.0))
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
    ln = MODELS.build(
        dict(type='CPAM', in_channels=8, hidden_channels=(4, ), norm_cfg=dict(type='LN')))
    assert ln(torch.randn(1, 8, 2, 2)).shape == (1, 17)


# -------------------------------------------------------------------- enhancer
def test_box_cell_mask_cell_by_cell():
    """A 128x160 input on a 4x5 map (stride 32): box x 40..100, y 0..31 covers columns
    1..3 (floor 1.25, ceil 3.125) and row 0; a box exactly on cell edges covers only its
    cells; an empty box none."""
    boxes = torch.tensor([[40., 0., 100., 31.], [64., 32., 128., 96.], [10., 10., 10., 50.]])
    mask = box_cell_mask(boxes, (4, 5), (128, 160))
    expected0 = torch.zeros(4, 5, dtype=torch.bool)
    expected0[0, 1:4] = True
    expected1 = torch.zeros(4, 5, dtype=torch.bool)
    expected1[1:3, 2:4] = True
    assert torch.equal(mask[0], expected0)
    assert torch.equal(mask[1], expected1)
    assert not mask[2].any()


def test_enhancer_multiplies_exactly_the_cells_inside():
    enhancer = HORoIEnhancer()
    enhancer.init_weights()
    assert enhancer.delta.item() == 1.0  # the paper's initial value
    with torch.no_grad():
        enhancer.delta.fill_(2.5)
    feat = torch.randn(2, 3, 4, 5)
    # image 0: region (40, 10, 100, 60) -> columns 1..3, rows 0..1 of a 128x160 input;
    # image 1: region (0, 96, 150, 127) -> columns 0..4, row 3
    region = torch.tensor([[40., 10., 100., 60.], [0., 96., 150., 127.]])
    out = enhancer(feat, region, (128, 160))
    inside = [{(r, c) for r in range(0, 2) for c in range(1, 4)}, {(3, c) for c in range(0, 5)}]
    for b in range(2):
        for r in range(4):
            for c in range(5):
                factor = 2.5 if (r, c) in inside[b] else 1.0
                assert torch.equal(out[b, :, r, c], feat[b, :, r, c] * factor), (b, r, c)
    # Δ is learnable: the gradient reaches it
    out.sum().backward()
    assert enhancer.delta.grad is not None and enhancer.delta.grad.item() != 0


def test_interaction_regions_from_ground_truth_pairs_in_training():
    """E_b encloses the boxes of the pairs only (not the other instances); an image
    without a pair is enhanced as a whole."""
    enhancer = HORoIEnhancer().train()
    samples = [
        make_sample((64, 128),
                    boxes=[(40, 10, 70, 60), (90, 20, 100, 31), (0, 0, 5, 5)],
                    labels=[0, 3, 4],
                    pairs=[(0, 1, [0], [])]),
        make_sample((96, 80), boxes=[(1, 1, 9, 9)], labels=[0], pairs=[])
    ]
    img_sizes = torch.tensor([[64, 128], [96, 80]])
    preds = torch.full((2, 3, 4), 0.5)
    regions = enhancer.interaction_regions(img_sizes, preds, preds, torch.ones(2, 3), samples)
    assert regions.tolist() == [[40., 10., 100., 60.], [0., 0., 80., 96.]]


def test_interaction_regions_from_predictions_above_the_score_threshold():
    enhancer = HORoIEnhancer(score_thr=0.5).eval()
    img_sizes = torch.tensor([[100, 200], [50, 50]])
    human = bbox_xyxy_to_cxcywh(
        torch.tensor([[[0.1, 0.1, 0.2, 0.3], [0.0, 0.0, 1.0, 1.0]],
                      [[0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.4, 0.4]]]))
    obj = bbox_xyxy_to_cxcywh(
        torch.tensor([[[0.5, 0.2, 0.6, 0.4], [0.0, 0.0, 1.0, 1.0]],
                      [[0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.4, 0.4]]]))
    scores = torch.tensor([[0.9, 0.2], [0.5, 0.1]])  # image 1: none above 0.5
    regions = enhancer.interaction_regions(img_sizes, human, obj, scores)
    torch.testing.assert_close(regions, torch.tensor([[20., 10., 120., 40.], [0., 0., 50., 50.]]))
    with pytest.raises(ValueError, match="train_boxes must be 'gt' or 'pred'"):
        HORoIEnhancer(train_boxes='x')


# -------------------------------------------------------------- body attention
def test_body_attention_reweights_channels():
    """With the first FC at zero and the second's bias at logit(v), L' = v for any L."""
    att = MODELS.build(dict(type='BodyAttention', channels=3, hidden_channels=4))
    weights = torch.tensor([0.2, 0.5, 0.9])
    with torch.no_grad():
        for fc in (att.fc1, att.fc2):
            fc.weight.zero_()
        att.fc1.bias.zero_()
        att.fc2.bias.copy_(torch.logit(weights))
    feat = torch.randn(2, 3, 4, 4)
    out = att(feat, torch.rand(2, 17))
    for c in range(3):
        torch.testing.assert_close(out[:, c], feat[:, c] * weights[c])


# ------------------------------------------------------------------------ PGCS
def _pgcs(**kwargs):
    cfg = dict(
        type='PGCS',
        in_channels=16,
        channels=(8, 8, 4, 4),
        body_attention=dict(type='BodyAttention', hidden_channels=4))
    cfg.update(kwargs)
    pgcs = MODELS.build(cfg)
    pgcs.init_weights()
    return pgcs


def test_pgcs_gives_s_at_the_input_size_and_its_cross_entropy():
    """F_B at stride 32 and four decoder stages: S at the input size; the loss is the
    cross-entropy over the pixels that are not 255, unannotated images all ignored."""
    pgcs = _pgcs()
    feat = torch.randn(2, 16, 2, 3)  # a 64x96 input at stride 32
    region = torch.tensor([[0., 0., 96., 64.], [10., 10., 30., 30.]])
    logits = pgcs((feat, ), (64, 96), torch.rand(2, 17), region)
    assert logits.shape == (2, 18, 64, 96)
    seg = np.full((64, 96), 255, dtype=np.uint8)
    samples = [make_sample((64, 96), seg=seg), make_sample((64, 96), seg=seg.copy())]
    assert pgcs.loss_by_feat(logits, samples)['loss_contact_seg'].item() == 0  # all ignored
    seg0, seg1 = seg.copy(), seg.copy()
    seg0[:10, :10] = 3
    seg1[5:8] = 0
    samples = [
        make_sample((64, 96), seg=seg0),
        make_sample((64, 96), seg=seg1),
        make_sample((64, 96), seg=seg1, contact_annotated=False)
    ]
    logits = torch.cat([logits, logits[1:]])
    gt = torch.from_numpy(np.stack([seg0, seg1, seg]).astype(np.int64))
    expected = F.cross_entropy(logits, gt, ignore_index=255)
    loss = pgcs.loss_by_feat(logits, samples)['loss_contact_seg']
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_pgcs_refuses_a_contact_map_that_was_not_padded_with_the_image():
    pgcs = _pgcs(roi_enhancer=None, body_attention=None)
    with pytest.raises(ValueError, match='pad_seg=True'):
        pgcs.loss_by_feat(torch.zeros(1, 18, 64, 96), [make_sample((60, 90))])


def test_pgcs_switches():
    plain = _pgcs(channels=(8, ), roi_enhancer=None, body_attention=None)
    assert not plain.with_roi_enhancer and not plain.with_body_attention
    assert not plain.uses_roi_enhancer and not plain.uses_part_priors
    assert plain((torch.randn(1, 16, 2, 2), ), (8, 8)).shape == (1, 18, 8, 8)
    full = _pgcs()
    assert full.uses_roi_enhancer and full.uses_part_priors
    with pytest.raises(ValueError, match='Body Attention needs the part probabilities'):
        full((torch.randn(1, 16, 2, 2), ), (64, 64), regions=torch.tensor([[0., 0., 64., 64.]]))
    with pytest.raises(ValueError, match='Enhancer needs the interaction regions'):
        full((torch.randn(1, 16, 2, 2), ), (64, 64), part_probs=torch.rand(1, 17))
    assert plain.decoder[0][0].conv.out_channels == 8


def test_pgcs_background_prior():
    """The classifier's bias gives (p, (1 - p) / 17, ...) on a zero decoded map; without
    the option it stays at the Kaiming initialisation's 0; out-of-range p is refused."""
    cfg = dict(channels=(8, ), roi_enhancer=None, body_attention=None)
    plain = _pgcs(**cfg)
    assert plain.conv_seg.bias.abs().max().item() == 0
    pgcs = _pgcs(background_prior=0.9, **cfg)
    assert pgcs.conv_seg.weight.std().item() > 0.05  # Kaiming weights are kept
    probs = pgcs.conv_seg(torch.zeros(1, 8, 2, 3)).softmax(dim=1)
    expected = torch.tensor([0.9] + [0.1 / 17] * 17)[None, :, None, None]
    torch.testing.assert_close(probs, expected.expand_as(probs))
    with torch.no_grad():  # as after training: a second init_weights keeps the bias
        pgcs.conv_seg.bias.fill_(0.5)
    pgcs.init_weights()
    assert pgcs.conv_seg.bias.eq(0.5).all()
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match='background_prior must be in'):
            MODELS.build(dict(type='PGCS', in_channels=16, background_prior=bad))


def test_pgcs_prediction_crops_resizes_and_takes_the_argmax():
    """Class 5 on the image's left half, 0 on its right half, 9 in the padding: the map
    comes back at the original size, without the padding's class."""
    logits = torch.zeros(1, 18, 64, 64)
    logits[0, 9] = 20.0
    logits[0, 9, :48, :32] = 0.0
    logits[0, 5, :48, :16] = 20.0
    logits[0, 0, :48, 16:32] = 20.0
    meta = dict(img_shape=(48, 32), ori_shape=(96, 64))
    seg = MODELS.get('PGCS').predict_by_feat(logits, [meta])[0].sem_seg
    assert seg.shape == (1, 96, 64) and seg.dtype == torch.uint8
    assert set(seg.unique().tolist()) == {0, 5}
    assert (seg[0, :, :31] == 5).all() and (seg[0, :, 33:] == 0).all()


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
    # a 128x192 input, F_B at stride 32 (4x6 cells)
    label = torch.zeros(2, 128, 192, dtype=torch.long)
    label[0, 40:60, 80:82] = 6
    label[0, 70, 94] = 2  # enclosing box x 80..94, y 40..70 -> rows 1..2, column 2
    # image 1 (96x128 of the input): no contact -> its whole unpadded map (3x4 cells)
    img_sizes = torch.tensor([[128, 192], [96, 128]])
    mask = mg.region_mask(label, (4, 6), img_sizes)
    expected0 = torch.zeros(4, 6, dtype=torch.bool)
    expected0[1:3, 2] = True
    expected1 = torch.zeros(4, 6, dtype=torch.bool)
    expected1[:3, :4] = True
    assert torch.equal(mask[0], expected0)
    assert torch.equal(mask[1], expected1)
    seg_logits = F.one_hot(label, 18).permute(0, 3, 1, 2).float()  # argmax = label
    out = mg(feat, seg_logits, img_sizes)
    assert out.shape == (2, 10)
    pooled0 = feat[0][:, 1:3, 2].mean(dim=1)
    pooled1 = feat[1][:, :3, :4].mean(dim=(1, 2))
    assert torch.allclose(out[0], mg.fc(pooled0), atol=1e-5)
    assert torch.allclose(out[1], mg.fc(pooled1), atol=1e-5)


def test_mask_guided_region_ties_with_the_background_are_not_contact():
    """All 18 logits tie at 0 except a 10x4 block of class 3 and one pixel of class 12 at
    0.5 against a background of 0.5: the region is the block's cells only, as the argmax."""
    mg = MaskGuidedRoIFeature(in_channels=2, out_channels=10)
    logits = torch.zeros(1, 18, 64, 96)
    logits[0, 3, 10:20, 40:44] = 1.0
    logits[0, 12, 60, 90] = 0.5
    logits[0, 0, 60, 90] = 0.5
    feat = torch.arange(2 * 2 * 3, dtype=torch.float32).reshape(1, 2, 2, 3)
    img_sizes = torch.tensor([[64, 96]])
    out = mg(feat, logits, img_sizes)
    # the box x 40..44, y 10..20 of the 64x96 input lies in cell (0, 1) of the 2x3 map
    assert torch.allclose(out[0], mg.fc(feat[0, :, 0, 1]), atol=1e-6)


# ------------------------------------------------------------------------- IIM
def test_iim_outputs_every_stage_and_ignores_the_padding():
    iim = small_iim().eval()
    feat = torch.randn(2, 16, 2, 3)
    # image 1 fills 30x50 of the 64x96 input: row 1 and column 2 of F_B are padding
    mask = PaIRNet.padding_mask(torch.tensor([[64, 96], [30, 50]]), (64, 96), (2, 3))
    assert not mask[0].any()
    assert mask[1].tolist() == [[False, False, True], [True, True, True]]
    with torch.no_grad():
        d_h, d_o, d_a = iim(feat, mask)
        assert d_h.shape == d_o.shape == d_a.shape == (3, 2, 5, 32)
        changed = feat.clone()
        changed[1, :, 1, :] = 100.0  # the padding of image 1 only
        changed[1, :, 0, 2] = -100.0
        again = iim(changed, mask)
    for before, after in zip((d_h, d_o, d_a), again):
        torch.testing.assert_close(after, before)


def test_head_outputs_and_action_classifier_on_d_a_and_f_m():
    head = small_iim_head(mask_feat_channels=10).eval()
    with torch.no_grad():
        outs = head(torch.randn(2, 16, 2, 3))
        assert outs['human_boxes'].shape == outs['object_boxes'].shape == (3, 2, 5, 4)
        assert outs['object_logits'].shape == (3, 2, 5, 5)
        assert outs['action_feats'].shape == (3, 2, 5, 32)  # D_a
        assert ((outs['human_boxes'] > 0) & (outs['human_boxes'] < 1)).all()
        mask_feats = torch.randn(2, 10)
        actions = head.forward_actions(outs, mask_feats)
        assert actions.shape == (3, 2, 5, 3)
        assert head.action_cls.in_features == 32 + 10
        # Eq. 15 by hand: FC([D_a; F_M]) for stage 1, image 1, query 4
        by_hand = head.action_cls(torch.cat([outs['action_feats'][1, 1, 4], mask_feats[1]]))
        torch.testing.assert_close(actions[1, 1, 4], by_hand)
    with pytest.raises(ValueError, match='got no F_M'):
        head.forward_actions(outs)


def _gt_pair(img_w, img_h, human, obj, label, actions):
    gt = InstanceData(
        labels=torch.tensor(label),
        actions=torch.tensor(actions),
        human_bboxes=torch.tensor(human),
        object_bboxes=torch.tensor(obj))
    factor = torch.tensor([img_w, img_h, img_w, img_h], dtype=torch.float32)
    gt.human_pixels = bbox_cxcywh_to_xyxy(gt.human_bboxes) * factor
    gt.object_pixels = bbox_cxcywh_to_xyxy(gt.object_bboxes) * factor
    return gt


def test_head_targets_from_the_data_samples():
    head = small_iim_head()
    sample = make_sample((50, 100),
                         boxes=[(10, 5, 30, 45), (50, 10, 90, 30)],
                         labels=[0, 2],
                         pairs=[(0, 1, [1], [])],
                         num_actions=3)
    gt = head.get_targets([sample])[0]
    assert gt.labels.tolist() == [2]
    assert gt.actions.tolist() == [[0., 1., 0.]]
    assert gt.human_pixels.tolist() == [[10., 5., 30., 45.]]
    torch.testing.assert_close(gt.object_bboxes, torch.tensor([[0.7, 0.4, 0.4, 0.4]]))


def test_head_losses_vanish_for_a_perfect_prediction():
    """Query 2 predicts the one ground-truth pair exactly: box losses are 0 and the
    class losses are small; every stage is reported (``d0.``, ``d1.``, last)."""
    head = small_iim_head()
    q = 5
    img_w, img_h = 112, 60
    gt = _gt_pair(img_w, img_h, [[0.25, 0.5, 0.3, 0.6]], [[0.6, 0.4, 0.2, 0.2]], [2],
                  [[0., 1., 0.]])
    human = torch.rand(1, q, 4) * 0.1 + 0.45
    obj = torch.rand(1, q, 4) * 0.1 + 0.45
    human[0, 2] = gt.human_bboxes[0]
    obj[0, 2] = gt.object_bboxes[0]
    logits = torch.full((1, q, 5), -20.0)
    logits[0, :, 4] = 20.0  # no-object everywhere ...
    logits[0, 2, 4], logits[0, 2, 2] = -20.0, 20.0  # ... but query 2 says class 2
    actions = torch.full((1, q, 3), -20.0)
    actions[0, 2, 1] = 20.0

    def losses_of(human):
        stages = [x[None].repeat(3, 1, 1, 1) for x in (human, obj, logits, actions)]
        outs = dict(zip(('human_boxes', 'object_boxes', 'object_logits', 'action_logits'), stages))
        return head.loss_by_pairs(outs, [gt], torch.tensor([[img_h, img_w]]))

    losses = losses_of(human)
    keys = [
        'loss_obj_cls', 'loss_action', 'loss_sub_bbox', 'loss_obj_bbox', 'loss_sub_iou',
        'loss_obj_iou'
    ]
    assert set(losses) == set(keys + [f'd{i}.{k}' for i in range(2) for k in keys])
    for key in ('loss_sub_bbox', 'loss_obj_bbox', 'loss_sub_iou', 'loss_obj_iou'):
        assert losses[key].item() == pytest.approx(0.0, abs=1e-5), key
    assert losses['loss_obj_cls'].item() < 1e-6
    assert losses['loss_action'].item() < 1e-6
    # moving the matched human box raises exactly its L1 term: 2.5 * |0.1| / 1 pair
    human[0, 2, 0] += 0.1
    losses = losses_of(human)
    assert losses['loss_sub_bbox'].item() == pytest.approx(0.25, rel=1e-4)
    assert losses['loss_obj_bbox'].item() == pytest.approx(0.0, abs=1e-5)


def test_head_predicts_the_top_k_triplets_in_original_pixels():
    head = small_iim_head(test_cfg=dict(max_per_img=4))
    q = 5
    logits = torch.full((1, q, 5), -10.0)
    logits[0, :, 4] = 10.0
    logits[0, 1, 4], logits[0, 1, 3] = -10.0, 10.0  # query 1: class 3, p ~ 1
    actions = torch.full((1, q, 3), -10.0)
    actions[0, 1, 2] = 0.0  # sigmoid 0.5
    boxes = torch.tensor([0.5, 0.5, 0.5, 0.5]).expand(1, q, 4)
    meta = dict(img_shape=(40, 80), ori_shape=(80, 160), scale_factor=(0.5, 0.5))
    outs = dict(human_boxes=boxes, object_boxes=boxes, object_logits=logits, action_logits=actions)
    result = head.predict_by_feat(outs, [meta])[0]
    assert len(result) == 4
    assert result.scores[0].item() == pytest.approx(0.5, rel=1e-3)
    assert result.object_labels[0].item() == 3 and result.action_labels[0].item() == 2
    assert torch.all(result.scores[:-1] >= result.scores[1:])
    # (0.25..0.75) x (80, 40) / 0.5 -> x 40..120, y 20..60 in the 160x80 original
    assert result.subject_bboxes[0].tolist() == pytest.approx([40., 20., 120., 60.])
