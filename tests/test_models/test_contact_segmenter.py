"""ContactSegmenter: a backbone and a contact head on their own (no interactions); what
HOIMetric and the predictions file make of its predictions."""
import json

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from pairnet_cases import build_model, make_sample, preprocess, synthetic_image

from pair_plugin.evaluation import DumpPaIRPredictions, HOIMetric
from pair_plugin.evaluation.predictions_file import read_prediction_mask, read_predictions_file
from pair_plugin.models.detectors import ContactSegmenter
from pair_plugin.models.detectors.contact_segmenter import contact_part_scores

#: the levels of a ResNet-18 at 8 base channels: strides 4, 8, 16, 32
LEVEL_CHANNELS = (8, 16, 32, 64)

#: one small head of each kind that a contact-only model can hold
HEADS = {
    'PGCS':
    dict(
        type='PGCS', in_channels=64, channels=(16, 8, 8, 8), roi_enhancer=None,
        body_attention=None),
    'UNetContactHead':
    dict(type='UNetContactHead', in_channels=LEVEL_CHANNELS, decoder_channels=(16, 8, 8, 4, 4)),
}


def small_segmenter_cfg(head='PGCS', **head_overrides):
    """ResNet-18 at 8 base channels, its four levels, and a small contact head."""
    return dict(
        type='ContactSegmenter',
        data_preprocessor=dict(
            type='DetDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            pad_size_divisor=32,
            pad_seg=True,
            seg_pad_value=255),
        backbone=dict(
            type='mmdet.ResNet',
            depth=18,
            base_channels=8,
            out_indices=(0, 1, 2, 3),
            norm_cfg=dict(type='BN', requires_grad=True),
            norm_eval=False,
            # mmdet's default zeroes each block's last BN weight, which stops the gradient of
            # the convolutions before it at initialisation
            zero_init_residual=False,
            init_cfg=None),
        contact_head=dict(HEADS[head], **head_overrides))


def two_samples():
    """A 64x96 image with a contact region and a 48x64 one (upscaled from 24x32), padded
    together to 64x96."""
    seg0 = np.zeros((64, 96), dtype=np.uint8)
    seg0[10:30, 40:60] = 6
    seg1 = np.zeros((48, 64), dtype=np.uint8)
    seg1[20:30, 5:25] = 14
    specs = [((64, 96), seg0, (64, 96), (1.0, 1.0)), ((48, 64), seg1, (24, 32), (2.0, 2.0))]
    inputs, samples = [], []
    for i, (shape, seg, ori_shape, scale) in enumerate(specs):
        inputs.append(synthetic_image(*shape, [(4, 4, 30, 40)], seed=i))
        samples.append(
            make_sample(
                shape, [(4, 4, 30, 40), (30, 20, 60, 40)], [0, 3], [(0, 1, [1], [])],
                seg=seg,
                ori_shape=ori_shape,
                scale_factor=scale))
    return inputs, samples


@pytest.mark.parametrize('head', list(HEADS))
def test_loss_is_the_contact_heads_with_a_gradient_on_every_parameter(head):
    model = build_model(small_segmenter_cfg(head)).train()
    assert isinstance(model, ContactSegmenter)
    inputs, samples = two_samples()
    losses = model(**preprocess(model, inputs, samples), mode='loss')
    assert set(losses) == {'loss_contact_seg'}
    assert torch.isfinite(losses['loss_contact_seg']) and losses['loss_contact_seg'] > 0
    losses['loss_contact_seg'].backward()
    for name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and torch.isfinite(param.grad).all(), name
            assert param.grad.abs().sum() > 0, name


@pytest.mark.parametrize('head', list(HEADS))
def test_predict_fills_contact_maps_and_part_scores_and_no_triplets(head):
    model = build_model(small_segmenter_cfg(head)).eval()
    inputs, samples = two_samples()
    data = preprocess(model, inputs, samples, training=False)
    with torch.no_grad():
        (seg_logits, ) = model(**data, mode='tensor')
        results = model(**data, mode='predict')
    assert seg_logits.shape == (2, 18, 64, 96)
    for img_id, (sample, ori_shape) in enumerate(zip(results, [(64, 96), (24, 32)])):
        assert 'pred_hois' not in sample
        seg = sample.pred_sem_seg.sem_seg
        assert seg.shape == (1, *ori_shape) and seg.dtype == torch.uint8
        assert seg.min() >= 0 and seg.max() <= 17
        # each part's largest softmax probability inside the image (48x64 for the second)
        h, w = sample.img_shape
        probs = seg_logits[img_id, :, :h, :w].softmax(0)
        expected = torch.stack([probs[p].max() for p in range(1, 18)])
        assert sample.pred_parts.shape == (17, )
        torch.testing.assert_close(sample.pred_parts, expected)


def test_part_scores_leave_the_padding_out():
    logits = torch.zeros(3, 4, 6)
    logits[2, 3, 5] = 10.  # part 2 certain, but in the padding
    logits[1, 0, 0] = 2.  # part 1 likelier than the others at one pixel in the image
    scores = contact_part_scores(logits, (2, 4))
    e2 = torch.exp(torch.tensor(2.))
    torch.testing.assert_close(scores, torch.stack([e2 / (e2 + 2), torch.tensor(1 / 3)]))


@pytest.mark.parametrize('key, message', [('body_attention', "CPAM's part priors"),
                                          ('roi_enhancer', 'H-O RoI Enhancer')])
def test_a_head_that_needs_pairnets_other_branches_is_refused(key, message):
    value = dict(
        type='BodyAttention', hidden_channels=4) if key == 'body_attention' else dict(
            type='HORoIEnhancer')
    with pytest.raises(ValueError, match=message):
        build_model(small_segmenter_cfg('PGCS', **{key: value}))


# ------------------------------------------- what the evaluation makes of its predictions
def predicted_samples():
    model = build_model(small_segmenter_cfg()).eval()
    inputs, samples = two_samples()
    for sample, name in zip(samples, ('a.jpg', 'b/c.jpg')):
        sample.set_metainfo(dict(file_name=name))
    with torch.no_grad():
        results = model(**preprocess(model, inputs, samples, training=False), mode='predict')
    return [sample.to_dict() for sample in results]


def test_hoi_metric_reports_no_numbers_with_one_log_line(capsys):
    MMLogger.get_instance('test_contact_only_hoi_metric')  # the current logger, on capsys
    metric = HOIMetric()
    samples = predicted_samples()
    metric.process({}, samples)
    metric.process({}, samples)
    assert metric.compute_metrics(metric.results) == {}
    lines = [line for line in capsys.readouterr().out.splitlines() if 'HOIMetric' in line]
    assert len(lines) == 1 and 'predicts no HOI triplets (a contact-only model)' in lines[0]
    # triplets for some images only: a broken model, not a contact-only one
    with_triplets = dict(
        samples[0],
        pred_hois=dict(
            subject_bboxes=torch.zeros(0, 4),
            object_bboxes=torch.zeros(0, 4),
            object_labels=torch.zeros(0, dtype=torch.long),
            action_labels=torch.zeros(0, dtype=torch.long),
            scores=torch.zeros(0)))
    metric = HOIMetric()
    metric.process({}, [with_triplets, samples[1]])
    with pytest.raises(ValueError, match='1 of the 2 evaluated images have no pred_hois'):
        metric.compute_metrics(metric.results)


def test_predictions_file_has_no_triplets_and_the_contact_maps(tmp_path):
    out_file = str(tmp_path / 'preds.json')
    metric = DumpPaIRPredictions(out_file=out_file)
    samples = predicted_samples()
    metric.process({}, samples)
    assert metric.compute_metrics(metric.results) == {}
    entries = json.load(open(out_file))
    assert [e['file_name'] for e in entries] == ['a.jpg', 'b/c.jpg']
    assert [e['hois'] for e in entries] == [[], []]
    records = read_predictions_file(out_file)
    for record, sample in zip(records, samples):
        mask = read_prediction_mask(record['contact_mask'], sample['ori_shape'])
        np.testing.assert_array_equal(mask, sample['pred_sem_seg']['sem_seg'][0].numpy())
        np.testing.assert_allclose(record['part_scores'], sample['pred_parts'].numpy(), rtol=1e-6)
        assert len(record['pred_hois']['scores']) == 0
