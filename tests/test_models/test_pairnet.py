"""PaIRNet end to end on tiny hand-made images: losses, predict, switches, backbones."""
import copy
import math

import numpy as np
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from pairnet_cases import (NUM_ACTIONS, build_model, make_sample, preprocess, small_model_cfg,
                           synthetic_image, two_synthetic_samples)


@pytest.fixture(scope='module')
def small_model():
    return build_model(small_model_cfg().model)


def _losses(model, inputs, samples):
    model.train()
    data = preprocess(model, inputs, samples, training=True)
    return model.loss(data['inputs'], data['data_samples'])


def test_tensor_mode_shapes(small_model):
    inputs, samples = two_synthetic_samples()
    small_model.eval()
    data = preprocess(small_model, inputs, samples, training=False)
    with torch.no_grad():
        outs = small_model(data['inputs'], data['data_samples'], mode='tensor')
    human, obj, obj_logits, actions, seg, parts = outs
    assert human.shape == obj.shape == (3, 2, 16, 4)
    assert obj_logits.shape == (3, 2, 16, 81)
    assert actions.shape == (3, 2, 16, NUM_ACTIONS)
    assert seg.shape == (2, 18, 96, 128)  # S at the input size
    assert parts.shape == (2, 17)
    # the channels of F_B (ResNet-18's last stage) as the config states them
    assert small_model.interaction_head.transformer.input_proj.in_channels == 512
    assert small_model.cpam.blocks[0][0].in_features == 512


EDGE_CASES = {
    'no interaction':
    dict(boxes=[(10, 10, 40, 60), (50, 20, 90, 60)], labels=[0, 5], pairs=[]),
    'no contact':
    dict(boxes=[(10, 10, 40, 60), (50, 20, 90, 60)], labels=[0, 5], pairs=[(0, 1, [2], [])]),
    'not annotated':
    dict(
        boxes=[(10, 10, 40, 60), (50, 20, 90, 60)],
        labels=[0, 5],
        pairs=[(0, 1, [2], [])],
        contact_annotated=False),
    'no person':
    dict(boxes=[(50, 20, 90, 60)], labels=[5], pairs=[]),
    'nothing at all':
    dict(boxes=[], labels=[], pairs=[]),
}


@pytest.mark.parametrize('case', list(EDGE_CASES))
def test_losses_finite_on_edge_cases(small_model, case):
    spec = EDGE_CASES[case]
    samples = [make_sample((64, 96), **spec) for _ in range(2)]
    inputs = [synthetic_image(64, 96, spec['boxes'], seed=i) for i in range(2)]
    small_model.zero_grad()
    losses = _losses(small_model, inputs, samples)
    expected = {
        'loss_obj_cls', 'loss_action', 'loss_sub_bbox', 'loss_obj_bbox', 'loss_sub_iou',
        'loss_obj_iou', 'loss_contact_seg', 'loss_parts'
    }
    assert expected <= set(losses)
    assert {'d0.loss_obj_cls', 'd1.loss_action'} <= set(losses)
    for key, value in losses.items():
        assert torch.isfinite(value), (case, key)
    if not spec['pairs']:
        for key in ('loss_sub_bbox', 'loss_obj_bbox', 'loss_sub_iou', 'loss_obj_iou'):
            assert losses[key].item() == 0, key
    if spec.get('contact_annotated') is False:
        assert losses['loss_contact_seg'].item() == 0
        assert losses['loss_parts'].item() == 0
    else:
        assert losses['loss_contact_seg'].item() > 0
    sum(losses.values()).backward()
    grads = [p.grad for p in small_model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_predict_maps_boxes_and_masks_to_the_original_size(small_model, monkeypatch):
    """Two differently sized images (one downscaled, one upscaled), padded together: known
    network outputs must come back at each image's original size."""
    small_model.eval()
    samples = [
        make_sample((64, 96), ori_shape=(128, 192), scale_factor=(0.5, 0.5)),
        make_sample((96, 64), ori_shape=(48, 32), scale_factor=(2.0, 2.0)),
    ]
    inputs = [synthetic_image(64, 96, []), synthetic_image(96, 64, [])]
    data = preprocess(small_model, inputs, samples, training=False)
    assert data['inputs'].shape[-2:] == (96, 96)
    q = small_model.interaction_head.num_queries
    real_forward = small_model.interaction_head.forward

    def fake_pairs(feat, padding_mask=None):
        outs = real_forward(feat, padding_mask)
        boxes = torch.tensor([0.5, 0.5, 0.5, 0.5]).expand(3, 2, q, 4).clone()
        logits = torch.full((3, 2, q, 81), -10.0)
        logits[..., 80] = 10.0
        logits[:, :, 0, 80], logits[:, :, 0, 7] = -10.0, 10.0  # query 0: class 7
        outs.update(human_boxes=boxes, object_boxes=boxes * 0.5, object_logits=logits)
        return outs

    def fake_contact_head(feats, input_size, part_probs=None, regions=None):
        # S of the 96x96 padded input: class 5 on the left half of each image, 0 on its
        # right half, 9 in the padding (must be cropped away)
        logits = torch.zeros(2, 18, 96, 96)
        logits[:, 9] = 20.0
        for b, (h, w) in enumerate([(64, 96), (96, 64)]):
            logits[b, 9, :h, :w] = 0.0
            logits[b, 5, :h, :w // 2] = 20.0
            logits[b, 0, :h, w // 2:w] = 20.0
        return logits

    monkeypatch.setattr(small_model.interaction_head, 'forward', fake_pairs)
    monkeypatch.setattr(small_model.contact_head, 'forward', fake_contact_head)
    with torch.no_grad():
        results = small_model.predict(data['inputs'], data['data_samples'])
    for sample, (ori_h, ori_w), scale in zip(results, [(128, 192), (48, 32)], [0.5, 2.0]):
        hois = sample.pred_hois
        assert len(hois) == min(100, q * NUM_ACTIONS)
        assert torch.all(hois.scores[:-1] >= hois.scores[1:])
        assert hois.object_labels[0].item() == 7
        img_h, img_w = sample.img_shape
        # (0.25..0.75) of the resized image, divided by the scale factor
        expected = torch.tensor([0.25 * img_w, 0.25 * img_h, 0.75 * img_w, 0.75 * img_h]) / scale
        assert torch.allclose(hois.subject_bboxes[0], expected, atol=1e-4)
        assert hois.subject_bboxes[:, 2].max() <= ori_w
        assert hois.subject_bboxes[:, 3].max() <= ori_h
        seg = sample.pred_sem_seg.sem_seg
        assert seg.shape == (1, ori_h, ori_w) and seg.dtype == torch.uint8
        assert set(seg.unique().tolist()) == {0, 5}  # no padding class 9
        assert (seg[0, :, :ori_w // 2 - 1] == 5).all()
        assert (seg[0, :, ori_w // 2 + 1:] == 0).all()
        assert sample.pred_parts.shape == (17, )


def test_predict_real_forward(small_model):
    small_model.eval()
    samples = [
        make_sample((64, 96), ori_shape=(32, 48), scale_factor=(2.0, 2.0)),
        make_sample((96, 32), ori_shape=(96, 32))
    ]
    inputs = [synthetic_image(64, 96, []), synthetic_image(96, 32, [])]
    data = preprocess(small_model, inputs, samples, training=False)
    with torch.no_grad():
        results = small_model(data['inputs'], data['data_samples'], mode='predict')
    for sample, (ori_h, ori_w) in zip(results, [(32, 48), (96, 32)]):
        assert sample.pred_sem_seg.sem_seg.shape == (1, ori_h, ori_w)
        parts = sample.pred_parts
        assert parts.shape == (17, ) and (parts >= 0).all() and (parts <= 1).all()
        boxes = torch.cat([sample.pred_hois.subject_bboxes, sample.pred_hois.object_bboxes])
        assert (boxes >= 0).all() and (boxes[:, 0::2] <= ori_w).all()
        assert (boxes[:, 1::2] <= ori_h).all()
        assert sample.pred_hois.action_labels.max() < NUM_ACTIONS


def _spy(monkeypatch, module, name, store):
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        store.append((args, kwargs))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)


def test_enhancer_region_from_gt_in_training_and_predictions_in_test(small_model, monkeypatch):
    inputs, samples = two_synthetic_samples()
    calls = []
    _spy(monkeypatch, small_model.contact_head.roi_enhancer, 'forward', calls)
    _losses(small_model, inputs, samples)
    region = calls[-1][0][1]
    # union of each image's ground-truth human and object boxes
    assert region.tolist() == [[10., 8., 100., 90.], [16., 4., 120., 92.]]
    assert tuple(calls[-1][0][2]) == (96, 128)
    # in test: no pair above the threshold -> the whole image
    small_model.eval()
    small_model.contact_head.roi_enhancer.score_thr = 1.1
    data = preprocess(small_model, inputs, samples, training=False)
    try:
        with torch.no_grad():
            small_model.predict(data['inputs'], data['data_samples'])
    finally:
        small_model.contact_head.roi_enhancer.score_thr = 0.5
    assert calls[-1][0][1].tolist() == [[0., 0., 128., 96.]] * 2


def test_switches_to_predicted_boxes_and_gt_masks(monkeypatch):
    model = build_model(
        small_model_cfg(
            **{
                'model.contact_head.roi_enhancer.train_boxes': 'pred',
                'model.contact_head.roi_enhancer.score_thr': 0.0,
                'model.mask_guided_feature.train_mask': 'gt'
            }).model)
    inputs, samples = two_synthetic_samples()
    enhancer_calls, region_calls = [], []
    _spy(monkeypatch, model.contact_head.roi_enhancer, 'forward', enhancer_calls)
    _spy(monkeypatch, model.mask_guided_feature, 'region_mask', region_calls)
    _losses(model, inputs, samples)
    region = enhancer_calls[-1][0][1]
    assert region.tolist() != [[10., 8., 100., 90.], [16., 4., 120., 92.]]
    label_map = region_calls[-1][0][0]
    assert label_map.shape == (2, 96, 128)  # the full-size ground truth
    assert set(label_map.unique().tolist()) == {0, 6, 9}


def test_body_attention_runs_in_every_forward(small_model, monkeypatch):
    inputs, samples = two_synthetic_samples()
    calls = []
    _spy(monkeypatch, small_model.contact_head.body_attention, 'forward', calls)
    _losses(small_model, inputs, samples)
    assert len(calls) == 1
    small_model.eval()
    data = preprocess(small_model, inputs, samples, training=False)
    with torch.no_grad():
        small_model.predict(data['inputs'], data['data_samples'])
        small_model(data['inputs'], data['data_samples'], mode='tensor')
    assert len(calls) == 3
    feat, part_probs = calls[-1][0]
    assert feat.shape[:2] == (2, small_model.contact_head.conv_seg.in_channels)
    assert part_probs.shape == (2, 17)


def test_ablation_switches_remove_modules():
    base = small_model_cfg().model
    baseline = build_model(
        small_model_cfg(
            **{
                'model.cpam': None,
                'model.contact_head.roi_enhancer': None,
                'model.contact_head.body_attention': None,
                'model.mask_guided_feature': None
            }).model)
    full = build_model(base)
    assert baseline.cpam is None and baseline.mask_guided_feature is None
    assert not baseline.contact_head.uses_roi_enhancer
    assert not baseline.contact_head.uses_part_priors
    assert baseline.interaction_head.mask_feat_channels == 0
    assert baseline.interaction_head.action_cls.in_features == baseline.interaction_head.embed_dims
    assert full.interaction_head.mask_feat_channels == 10
    assert full.interaction_head.action_cls.in_features == full.interaction_head.embed_dims + 10
    inputs, samples = two_synthetic_samples()
    losses = _losses(baseline, inputs, samples)
    assert 'loss_parts' not in losses and 'loss_contact_seg' in losses
    baseline.eval()
    data = preprocess(baseline, inputs, samples, training=False)
    with torch.no_grad():
        result = baseline.predict(data['inputs'], data['data_samples'])[0]
    # without CPAM the part probabilities come from S
    assert result.pred_parts.shape == (17, )
    with pytest.raises(ValueError, match='Body Attention needs CPAM'):
        build_model(small_model_cfg(**{'model.cpam': None}).model)


def test_backbone_swap_mmpretrain_convnext_with_neck():
    cfg = small_model_cfg()
    cfg.model.backbone = dict(
        type='mmpretrain.ConvNeXt',
        arch='atto',
        out_indices=(3, ),
        gap_before_final_norm=False,
        drop_path_rate=0.0,
        _scope_='mmpretrain')
    cfg.model.neck = dict(
        type='ChannelMapper', in_channels=[320], out_channels=48, kernel_size=1, num_outs=1)
    for key in ('cpam', 'interaction_head', 'contact_head', 'mask_guided_feature'):
        cfg.model[key].in_channels = 48
    model = build_model(cfg.model)
    assert type(model.backbone).__module__.startswith('mmpretrain')
    assert model.interaction_head.transformer.input_proj.in_channels == 48
    assert model.cpam.blocks[0][0].in_features == 48
    inputs, samples = two_synthetic_samples()
    losses = _losses(model, inputs, samples)
    assert all(torch.isfinite(v) for v in losses.values())
    total = sum(losses.values())
    total.backward()
    assert model.backbone.stages[0][0].depthwise_conv.weight.grad is not None


def test_small_model_overfits_two_images():
    """30 steps of AdamW on two images: the total loss falls by more than half, and the
    detection, action and contact terms all fall."""
    model = build_model(small_model_cfg().model)
    optim = build_optim_wrapper(
        model,
        dict(
            type='OptimWrapper',
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
            clip_grad=dict(max_norm=0.1)))
    inputs, samples = two_synthetic_samples()
    history = []
    for _ in range(30):
        log = model.train_step(dict(inputs=inputs, data_samples=samples), optim)
        history.append({k: float(v.detach()) for k, v in log.items()})
    first = history[0]
    last = {k: float(np.mean([h[k] for h in history[-3:]])) for k in first}
    assert last['loss'] < 0.5 * first['loss'], (first, last)
    for key in ('loss_obj_cls', 'loss_action', 'loss_sub_bbox', 'loss_obj_iou', 'loss_contact_seg',
                'loss_parts'):
        assert last[key] < first[key], key
    assert not any(math.isnan(v) for h in history for v in h.values())


def test_mixed_precision_bf16_on_the_cpu(small_model):
    """Under autocast (tools/train.py --amp) the losses are finite and the predictions keep
    the dtypes of docs/contracts.md."""
    inputs, samples = two_synthetic_samples()
    small_model.train()
    data = preprocess(small_model, inputs, samples, training=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = small_model.loss(data['inputs'], data['data_samples'])
    assert all(torch.isfinite(v.float()) for v in losses.values())
    small_model.eval()
    data = preprocess(small_model, inputs, samples, training=False)
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        result = small_model.predict(data['inputs'], data['data_samples'])[0]
    assert result.pred_hois.scores.dtype == torch.float32
    assert result.pred_hois.subject_bboxes.dtype == torch.float32
    assert result.pred_parts.dtype == torch.float32
    assert result.pred_sem_seg.sem_seg.dtype == torch.uint8


def test_channels_last_gives_the_same_losses_gradients_and_predictions(small_model):
    """model.channels_last: the backbone sees an NHWC batch, nothing else changes."""
    inputs, samples = two_synthetic_samples()
    seen = []
    hook = small_model.backbone.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].is_contiguous(memory_format=torch.channels_last)))
    results = []
    state = copy.deepcopy(small_model.state_dict())  # BN running stats move in training
    try:
        for channels_last in (False, True):
            small_model.load_state_dict(state)
            small_model.channels_last = channels_last
            small_model.zero_grad()
            torch.manual_seed(0)  # the same dropout masks
            losses = _losses(small_model, inputs, samples)
            # the gradients of the interaction losses (through the whole backbone): CPAM's
            # BatchNorm1d on a batch of 2 makes the part and contact losses' gradients
            # ill-conditioned (its output is +-1 whatever the input), so float rounding
            # alone moves those by ~1 %
            sum(v for k, v in losses.items() if 'parts' not in k and 'contact' not in k).backward()
            grads = [p.grad.clone() for p in small_model.parameters() if p.grad is not None]
            small_model.eval()
            data = preprocess(small_model, inputs, samples, training=False)
            with torch.no_grad():
                pred = small_model.predict(data['inputs'], data['data_samples'])
            results.append((losses, grads, pred))
    finally:
        small_model.channels_last = False
        hook.remove()
    assert seen[0] is False and seen[-1] is True
    (losses_a, grads_a, pred_a), (losses_b, grads_b, pred_b) = results
    assert losses_a.keys() == losses_b.keys()
    for key in losses_a:
        torch.testing.assert_close(losses_b[key], losses_a[key], rtol=1e-4, atol=1e-5)
    assert len(grads_a) == len(grads_b) > 0
    for a, b in zip(grads_a, grads_b):
        torch.testing.assert_close(b, a, rtol=1e-3, atol=1e-5)
    for a, b in zip(pred_a, pred_b):
        torch.testing.assert_close(b.pred_hois.scores, a.pred_hois.scores, rtol=1e-4, atol=1e-5)
        # the NHWC kernels round differently: a pixel whose two best classes are
        # within rounding may flip (1 pixel of 12288 on an AVX-512 CPU, none on others)
        differ = (b.pred_sem_seg.sem_seg != a.pred_sem_seg.sem_seg).float().mean()
        assert differ.item() <= 1e-3


# ------------------------------------------------------- configs and checkpoints of before
#: the state-dict prefixes after the head interfaces, and before (the config keys alike)
OLD_PREFIXES = (('interaction_head.transformer.', 'iim.'), ('interaction_head.', 'iim_head.'),
                ('contact_head.', 'pgcs.'))
READERS = ('cpam', 'interaction_head', 'contact_head', 'mask_guided_feature')


def old_style(model_cfg):
    """The model config as written before the head interfaces: ``iim``, ``iim_head`` and
    ``pgcs`` keys, no ``in_channels`` (the channels of F_B were found by a dry run)."""
    old = copy.deepcopy(model_cfg)
    for key in READERS:
        old[key].pop('in_channels')
    head = old.pop('interaction_head')
    old['iim'] = head.pop('transformer')
    old['iim_head'] = head
    old['pgcs'] = old.pop('contact_head')
    return old


def assert_same_state(model, reference):
    assert list(model.state_dict()) == list(reference.state_dict())
    for (key, value), expected in zip(model.state_dict().items(), reference.state_dict().values()):
        assert torch.equal(value, expected), key


def test_a_config_with_the_old_keys_builds_the_same_model():
    """The old config keys are merged into the new ones (one log line), and
    ``feat_channels`` fills the missing ``in_channels``; an old config that overrides a
    key of a new base config (here the contact head's channels) overrides it."""
    new = small_model_cfg().model
    old = old_style(new)
    old['feat_channels'] = 512
    assert_same_state(build_model(old), build_model(new))
    mixed = copy.deepcopy(new)
    mixed['pgcs'] = dict(channels=(16, 8, 8, 8))
    mixed['iim'] = dict(num_queries=3)
    model = build_model(mixed)
    assert [stage[0].conv.out_channels for stage in model.contact_head.decoder] == [16, 8, 8, 8]
    assert model.interaction_head.num_queries == 3


def test_a_missing_in_channels_is_named():
    for key in READERS:
        cfg = small_model_cfg().model
        cfg[key].pop('in_channels')
        with pytest.raises(ValueError, match=rf'model\.{key}\.in_channels is missing'):
            build_model(cfg)
    with pytest.raises(ValueError, match=r'model\.cpam\.in_channels is missing'):
        build_model(old_style(small_model_cfg().model))
    cfg = small_model_cfg().model
    cfg.pop('interaction_head')
    with pytest.raises(ValueError, match=r'model\.interaction_head is missing'):
        build_model(cfg)


def test_a_checkpoint_of_before_loads(small_model):
    """State dicts saved before version 2 (their keys under the old prefixes) load into
    the new model, with or without the version in their metadata."""
    state = small_model.state_dict()
    for with_metadata in (True, False):
        old = type(state)()
        for key, value in state.items():
            for new_prefix, old_prefix in OLD_PREFIXES:
                if key.startswith(new_prefix):
                    key = old_prefix + key[len(new_prefix):]
                    break
            old[key] = value.clone() + 1
        if with_metadata:
            old._metadata = copy.deepcopy(state._metadata)
            old._metadata[''] = dict(version=1)
        assert {k.split('.')[0] for k in old} >= {'iim', 'iim_head', 'pgcs'}
        model = build_model(small_model_cfg().model)
        model.load_state_dict(old, strict=True)
        for key, value in model.state_dict().items():
            torch.testing.assert_close(value, state[key] + 1, msg=key)


def test_a_head_that_cannot_take_f_m_is_refused_with_the_mask_guided_feature(monkeypatch):
    from pair_plugin.models.heads import IIMHead
    monkeypatch.setattr(IIMHead, 'takes_mask_feats', False)
    with pytest.raises(ValueError, match="IIMHead's action classifier cannot take F_M"):
        build_model(small_model_cfg().model)
    model = build_model(small_model_cfg(**{'model.mask_guided_feature': None}).model)
    assert model.interaction_head.mask_feat_channels == 0
