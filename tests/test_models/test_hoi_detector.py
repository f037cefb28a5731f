"""HOIDetector: a backbone and an interaction head on their own (no contact); what
ContactMetric and the predictions file make of its predictions."""
import json

import pytest
import torch
from mmengine.logging import MMLogger
from pairnet_cases import (NUM_ACTIONS, build_model, make_sample, preprocess,
                           small_hoi_detector_cfg, small_iim_cfg, synthetic_image)

from pair_plugin.evaluation import ContactMetric, DumpPaIRPredictions
from pair_plugin.models.detectors import HOIDetector


def iim_detector_cfg(**head):
    """The small HOIDetector with an IIM head (``head`` updates it), 6 triplets an image."""
    return small_hoi_detector_cfg(
        dict(
            dict(
                type='IIMHead',
                in_channels=32,
                transformer=small_iim_cfg(in_channels=32),
                num_object_classes=8,
                num_actions=NUM_ACTIONS), **head),
        test_cfg=dict(max_per_img=6))


def two_samples():
    """A 64x96 image and a 48x64 one (upscaled from 24x32), padded together."""
    specs = [((64, 96), [(4, 4, 40, 60), (30, 20, 90, 50)], [0, 3], (64, 96), (1.0, 1.0)),
             ((48, 64), [(2, 2, 30, 46), (20, 10, 60, 40)], [0, 7], (24, 32), (2.0, 2.0))]
    inputs, samples = [], []
    for i, (shape, boxes, labels, ori_shape, scale) in enumerate(specs):
        inputs.append(synthetic_image(*shape, boxes, seed=i))
        samples.append(
            make_sample(
                shape, boxes, labels, [(0, 1, [1, 3], [])], ori_shape=ori_shape,
                scale_factor=scale))
    return inputs, samples


def test_loss_trains_every_parameter_with_the_heads_losses():
    model = build_model(iim_detector_cfg()).train()
    assert isinstance(model, HOIDetector) and model.interaction_head.mask_feat_channels == 0
    inputs, samples = two_samples()
    data = preprocess(model, inputs, samples)
    losses = model(**data, mode='loss')
    # the head's six losses for each of the IIM's 3 stages, nothing else
    assert len(losses) == 18 and {'loss_obj_cls', 'loss_action', 'd0.loss_sub_iou'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    for name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and torch.isfinite(param.grad).all(), name


def test_predict_fills_pred_hois_in_original_pixels_and_nothing_else():
    model = build_model(iim_detector_cfg()).eval()
    inputs, samples = two_samples()
    data = preprocess(model, inputs, samples, training=False)
    with torch.no_grad():
        results = model(**data, mode='predict')
        raw = model(**data, mode='tensor')
    for sample, (h, w) in zip(results, [(64, 96), (24, 32)]):
        hois = sample.pred_hois
        assert len(hois) == 6 and torch.all(hois.scores[:-1] >= hois.scores[1:])
        for boxes in (hois.subject_bboxes, hois.object_bboxes):
            assert (boxes[:, 0::2] <= w).all() and (boxes[:, 1::2] <= h).all()
        assert 'pred_sem_seg' not in sample and 'pred_parts' not in sample
    # tensor mode: boxes, object logits, action features and logits of the 3 stages
    assert len(raw) == 5 and raw[-1].shape == (3, 2, 5, NUM_ACTIONS)


def test_train_and_test_cfg_reach_the_head():
    assigner = dict(
        type='HOIHungarianAssigner', match_costs=[dict(type='ClassificationCost', weight=3.0)])
    model = build_model(dict(iim_detector_cfg(), train_cfg=dict(assigner=assigner)))
    assert model.interaction_head.test_cfg == dict(max_per_img=6)
    assert model.interaction_head.train_cfg == dict(assigner=assigner)


@pytest.mark.parametrize('head, message', [(dict(in_channels=None), 'in_channels is missing'),
                                           (dict(mask_feat_channels=10), 'no contact map')])
def test_a_head_config_it_cannot_run_is_refused(head, message):
    with pytest.raises(ValueError, match=message):
        build_model(iim_detector_cfg(**head))


def hoi_only_predictions():
    """What an HOIDetector hands the evaluators: triplets, and no contact map or parts."""
    samples = []
    for name in ('a.jpg', 'b.jpg'):
        sample = make_sample((32, 48),
                             boxes=[(1, 1, 20, 30), (10, 5, 40, 25)],
                             labels=[0, 3],
                             pairs=[(0, 1, [1], [6])]).to_dict()
        sample.update(
            file_name=name,
            pred_hois=dict(
                subject_bboxes=torch.tensor([[1., 1., 20., 30.]]),
                object_bboxes=torch.tensor([[10., 5., 40., 25.]]),
                object_labels=torch.tensor([3]),
                action_labels=torch.tensor([1]),
                scores=torch.tensor([0.9])))
        samples.append(sample)
    return samples


def test_contact_metric_reports_no_numbers_with_one_log_line(capsys):
    MMLogger.get_instance('test_hoi_only_contact_metric')  # the current logger, on capsys
    metric = ContactMetric()
    samples = hoi_only_predictions()
    metric.process({}, samples)
    assert metric.compute_metrics(metric.results) == {}
    lines = [line for line in capsys.readouterr().out.splitlines() if 'ContactMetric' in line]
    assert len(lines) == 1 and 'predicts no contact map (an HOI-only model)' in lines[0]
    # a contact map for some images only: a broken model, not an HOI-only one
    with_map = dict(samples[0], pred_sem_seg=dict(sem_seg=torch.zeros(1, 32, 48)))
    metric = ContactMetric()
    metric.process({}, [with_map, samples[1]])
    with pytest.raises(ValueError, match='1 of the 2 evaluated images have a contact annotation'):
        metric.compute_metrics(metric.results)


def test_predictions_file_has_the_triplets_and_no_contact(tmp_path):
    out_file = str(tmp_path / 'preds.json')
    metric = DumpPaIRPredictions(out_file=out_file)
    metric.process({}, hoi_only_predictions())
    metric.compute_metrics(metric.results)
    entries = json.load(open(out_file))
    assert [(e['file_name'], e['contact_mask'], 'part_scores' in e)
            for e in entries] == [('a.jpg', None, False), ('b.jpg', None, False)]
    assert entries[0]['hois'] == [
        dict(
            subject_bbox=[1., 1., 20., 30.],
            object_bbox=[10., 5., 40., 25.],
            object_id=3,
            action_id=1,
            score=pytest.approx(0.9))
    ]
    assert not (tmp_path / 'pred_masks').exists()
