"""HOIMetric: every rule of the QPIC / GEN-VLKT protocol on hand-computed cases, and
agreement with a plain transcription of QPIC's evaluator on random data."""
import json
import math

import numpy as np
import pytest
from evaluation_samples import (BOUNDARY_GT_BOX, BOUNDARY_PRED_BOX, CUP_BOX, META, PERSON_BOX,
                                hoi_sample, random_hoi_image, sample_from_random)
from mmengine.logging import MMLogger
from plain_hoi_reference import PlainHOIEvaluator

from pair_plugin.evaluation import HOIMetric, eleven_point_ap, hoi_box_iou, match_image_predictions
from pair_plugin.registry import METRICS

CUP, CHAIR = 1, 2
HOLD, SIT, RIDE, CARRY = 0, 1, 2, 3


def run_metric(samples, meta=META, **kwargs):
    metric = HOIMetric(**kwargs)
    metric.dataset_meta = dict(meta)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results), metric


def one_gt(action=HOLD, obj=CUP, preds=(), name='a.jpg', obj_box=CUP_BOX):
    """An image with one person holding/... one object, and the given predictions."""
    return hoi_sample([PERSON_BOX, obj_box], [0, obj], [(0, 1, [action])], preds, name=name)


def exact(score, action=HOLD, obj=CUP, obj_box=CUP_BOX, sub_box=PERSON_BOX):
    return (sub_box, obj_box, obj, action, score)


def test_registered():
    assert METRICS.get('HOIMetric') is HOIMetric


# ----------------------------------------------------------------------------- IoU
def test_iou_inclusive_pixel_convention_at_and_below_half():
    gt = np.array([[0, 0, 9, 9]])  # 10 x 10 = 100 pixels inclusive
    at_half = np.array([[0, 0, 9, 19]])  # 10 x 20 = 200, intersection 100
    below = np.array([[0, 0, 9, 20]])  # 10 x 21 = 210
    assert hoi_box_iou(at_half, gt)[0, 0] == 0.5
    assert hoi_box_iou(below, gt)[0, 0] == pytest.approx(100 / 210)
    # without the +1 the first would be 81 / 171 < 0.5, the pair below 0.5 too
    exclusive = np.array([[0, 0, 9, 18]])
    assert hoi_box_iou(exclusive, gt)[0, 0] == pytest.approx(100 / 190)


def test_iou_zero_width_overlap_is_zero_as_qpic():
    # QPIC returns 0 when max(x1) >= min(x2), even though +1 would give a pixel column
    assert hoi_box_iou(np.array([[0, 0, 5, 9]]), np.array([[5, 0, 9, 9]]))[0, 0] == 0
    assert hoi_box_iou(np.array([[3, 0, 3, 9]]), np.array([[3, 0, 3, 9]]))[0, 0] == 0


@pytest.mark.parametrize(
    'obj_box, expected_ap',
    [
        ([20, 20, 29, 39], 100.0),  # object IoU exactly 0.5: a match
        ([20, 20, 29, 40], 0.0),  # 100 / 210 < 0.5: a false positive
    ])
def test_metric_iou_threshold_is_inclusive(obj_box, expected_ap):
    metrics, _ = run_metric([one_gt(preds=[exact(0.9, obj_box=obj_box)])])
    assert metrics['mAP'] == pytest.approx(expected_ap)


def test_boxes_are_compared_in_float64_and_read_from_the_annotation():
    person = [10.1, 0, 30.1, 20]
    sample = hoi_sample([person, BOUNDARY_GT_BOX], [0, CUP], [(0, 1, [HOLD])],
                        [(person, BOUNDARY_PRED_BOX, CUP, HOLD, 0.9)])
    assert run_metric([sample])[0]['mAP'] == pytest.approx(100.0)  # IoU 0.5 exactly
    # ground truth rounded to float32 (as the model's gt_instances hold it): a miss
    sample['gt_instances']['bboxes'] = sample['gt_instances']['bboxes'].float()
    assert run_metric([sample])[0]['mAP'] == 0.0
    # the annotation's own boxes (metainfo ``instances``, which PackPaIRInputs packs)
    # are the ones compared
    sample['instances'] = [
        dict(bbox=person, bbox_label=0, ignore_flag=0),
        dict(bbox=BOUNDARY_GT_BOX, bbox_label=CUP, ignore_flag=0)
    ]
    assert run_metric([sample])[0]['mAP'] == pytest.approx(100.0)


def test_accepts_mmdet_boxes_and_numpy_inputs():
    from mmdet.structures.bbox import HorizontalBoxes
    sample = one_gt(preds=[exact(0.9)])
    sample['gt_instances']['bboxes'] = HorizontalBoxes(sample['gt_instances']['bboxes'])
    as_numpy = hoi_sample([PERSON_BOX, CUP_BOX], [0, CUP], [(0, 1, [HOLD])], [exact(0.9)],
                          as_tensors=False)
    assert run_metric([sample])[0]['mAP'] == pytest.approx(100.0)
    assert run_metric([as_numpy])[0]['mAP'] == pytest.approx(100.0)


# ----------------------------------------------------------------------------- matching
def test_duplicate_detection_is_a_false_positive():
    samples = [
        one_gt(preds=[exact(0.9), exact(0.8)], name='a.jpg'),
        one_gt(preds=[exact(0.7)], name='b.jpg')
    ]
    # ranking TP, FP, TP over 2 gts: recall .5 .5 1, precision 1 .5 2/3
    metrics, _ = run_metric(samples)
    assert metrics['mAP'] == pytest.approx((6 * 1 + 5 * 2 / 3) / 11 * 100)
    assert metrics['mean_max_recall'] == pytest.approx(100.0)


def test_claimed_ground_truth_has_no_fallback():
    gt_a = ([0, 0, 9, 9], [20, 20, 29, 29])
    gt_b = ([0, 0, 9, 13], [20, 20, 29, 33])
    second = ([0, 0, 9, 10], [20, 20, 29, 30])  # IoU .909 with A, .786 with B
    sample = hoi_sample([gt_a[0], gt_a[1], gt_b[0], gt_b[1]], [0, CUP, 0, CUP],
                        [(0, 1, [HOLD]), (2, 3, [HOLD])], [(gt_a[0], gt_a[1], CUP, HOLD, 0.9),
                                                           (second[0], second[1], CUP, HOLD, 0.8)])
    tp = match_image_predictions(
        np.array([gt_a[0], second[0]], float), np.array([gt_a[1], second[1]], float),
        np.array([CUP, CUP]), np.array([HOLD, HOLD]),
        np.array([gt_a[0], gt_a[1], gt_b[0], gt_b[1]], float), np.array([0, CUP, 0, CUP]),
        np.array([0, 2]), np.array([1, 3]), np.array([HOLD, HOLD]))
    assert tp.tolist() == [True, False]
    metrics, _ = run_metric([sample])
    assert metrics['mAP'] == pytest.approx(6 / 11 * 100)  # a fallback would give 100


def test_best_match_is_the_largest_min_iou_first_on_ties():
    gts = np.array([[0, 0, 9, 9], [20, 20, 29, 29], [0, 0, 9, 9], [20, 20, 29, 29]], float)
    tp = match_image_predictions(gts[[0, 0]], gts[[1, 1]], np.array([CUP, CUP]),
                                 np.array([HOLD, HOLD]), gts, np.array([0, CUP, 0, CUP]),
                                 np.array([0, 2]), np.array([1, 3]), np.array([HOLD, HOLD]))
    # two identical ground-truth triplets: both predictions' best is the first one
    # (a tie goes to the first), so the second prediction finds it claimed: FP
    assert tp.tolist() == [True, False]


def test_category_mismatch():
    samples = [
        hoi_sample(
            [PERSON_BOX, CUP_BOX],
            [0, CUP],
            [(0, 1, [HOLD])],
            [
                exact(0.9, obj=CHAIR),  # right boxes, wrong object class
                exact(0.8, action=SIT),  # right boxes, wrong action
            ],
            name='a.jpg'),
        hoi_sample([PERSON_BOX, CUP_BOX], [0, CUP], [(0, 1, [SIT])], [exact(0.7, action=SIT)],
                   name='b.jpg'),
    ]
    metrics, metric = run_metric(samples, classwise=True)
    # (hold, cup): no prediction of it at all -> AP 0; (hold, chair) is not a test
    # category -> ignored; (sit_on, cup): FP then TP -> precision .5 at recall 1
    assert metrics['AP_hold_cup'] == 0.0
    assert metrics['AP_sit_on_cup'] == pytest.approx(50.0)
    assert metrics['mAP'] == pytest.approx(25.0)
    assert [r['name'] for r in metric.per_category_results] == ['hold cup', 'sit_on cup']
    assert [r['num_preds'] for r in metric.per_category_results] == [0, 2]


def test_prediction_in_an_image_without_ground_truth_is_a_false_positive():
    samples = [
        one_gt(preds=[exact(0.5)], name='a.jpg'),
        hoi_sample(preds=[exact(0.9)], name='empty.jpg')
    ]
    metrics, _ = run_metric(samples)
    assert metrics['mAP'] == pytest.approx(50.0)


# ------------------------------------------------------------------ top-k, NMS, mask
def far_false_positives(count, score=0.99):
    return [
        exact(score, sub_box=[100, 100, 120, 120], obj_box=[200, 200, 220, 220])
        for _ in range(count)
    ]


def test_top_100_cut():
    sample = one_gt(preds=far_false_positives(100) + [exact(0.5)])
    assert run_metric([sample])[0]['mAP'] == 0.0  # the TP is 101st: cut
    uncut, _ = run_metric([sample], top_k=None)
    assert uncut['mAP'] == pytest.approx(1 / 101 * 100)  # 11 points at 1/101
    at_100 = one_gt(preds=far_false_positives(99) + [exact(0.5)])
    assert run_metric([at_100])[0]['mAP'] == pytest.approx(1 / 100 * 100)


def test_triplet_nms_removes_the_duplicate():
    samples = [
        one_gt(preds=[exact(0.9), exact(0.8)], name='a.jpg'),
        one_gt(preds=[exact(0.7)], name='b.jpg')
    ]
    metrics, _ = run_metric(samples, triplet_nms_thr=0.7)
    assert metrics['mAP'] == pytest.approx(100.0)


def test_invalid_categories_are_masked_before_the_cut():
    meta = dict(META, hoi_categories=[(HOLD, CUP), (SIT, CHAIR)])
    sample = one_gt(preds=[exact(0.9, action=RIDE), exact(0.5)])  # (ride, cup) invalid
    masked, _ = run_metric([sample], meta=meta, top_k=1)
    assert masked['mAP'] == pytest.approx(100.0)
    unmasked, _ = run_metric([sample], meta=meta, top_k=1, mask_invalid_categories=False)
    assert unmasked['mAP'] == 0.0


# ----------------------------------------------------------------------------- AP, rare
def test_eleven_point_ap_uses_qpic_thresholds():
    # recall exactly 0.3 does not reach np.arange's 0.30000000000000004
    tp = np.array([True] * 3)
    ap, max_recall = eleven_point_ap(tp, np.array([0.9, 0.8, 0.7]), 10)
    assert max_recall == pytest.approx(0.3)
    assert ap == pytest.approx(3 / 11)  # t = 0, 0.1, 0.2 only
    assert eleven_point_ap(np.zeros(0, bool), np.zeros(0), 4) == (0.0, 0.0)


def rare_samples():
    return [
        one_gt(HOLD, preds=[exact(0.9, action=HOLD)], name='a.jpg'),  # AP 100
        one_gt(SIT, preds=[], name='b.jpg'),  # no prediction
        one_gt(RIDE, preds=[exact(0.9, action=RIDE)], name='c.jpg'),  # AP 100
    ]


def test_category_without_prediction_counts_in_the_rare_mean():
    metrics, metric = run_metric(rare_samples(), rare_categories=[[HOLD, CUP], [SIT, CUP]])
    assert metrics['mAP'] == pytest.approx(200 / 3)
    assert metrics['mAP_rare'] == pytest.approx(50.0)  # the old bug gave 100
    assert metrics['mAP_non_rare'] == pytest.approx(100.0)
    assert [r['rare'] for r in metric.per_category_results] == [True, True, False]


def write_train_file(path, counts):
    """A valid training annotation file with ``counts[(action, object)]`` instances."""
    images = []
    for (action, obj), count in counts.items():
        for _ in range(count):
            images.append(
                dict(
                    id=len(images),
                    file_name=f'images/{len(images)}.jpg',
                    width=40,
                    height=40,
                    contact_mask=None,
                    instances=[
                        dict(bbox=PERSON_BOX, category_id=0),
                        dict(bbox=CUP_BOX, category_id=obj)
                    ],
                    interactions=[
                        dict(subject_id=0, object_id=1, action_ids=[action], contact_parts=[])
                    ]))
    ann = dict(
        metainfo=dict(objects=list(META['objects']), actions=list(META['actions'])), images=images)
    path.write_text(json.dumps(ann))
    return str(path)


def test_rare_categories_from_the_training_file(tmp_path):
    # (hold, cup) 9 < 10: rare; (sit_on, cup) absent: rare; (ride, cup) 10: non-rare
    train = write_train_file(tmp_path / 'train.json', {
        (HOLD, CUP): 9,
        (RIDE, CUP): 10,
        (CARRY, CUP): 30
    })
    metrics, metric = run_metric(rare_samples(), train_ann_file=train)
    assert [r['rare'] for r in metric.per_category_results] == [True, True, False]
    assert metrics['mAP_rare'] == pytest.approx(50.0)
    assert metrics['mAP_non_rare'] == pytest.approx(100.0)


def test_without_training_information_rare_is_not_reported():
    metrics, _ = run_metric(rare_samples())
    assert set(metrics) == {'mAP', 'mean_max_recall', 'mAP_ko', 'mean_max_recall_ko'}


# ----------------------------------------------------------------------------- Known Object
def known_object_samples():
    """(hold, cup) predicted in three images: a.jpg holds the cup (a true positive),
    b.jpg has a cup instance but only sits on a chair (no cup in an interaction), c.jpg
    carries its cup (a cup in an interaction, but not held)."""
    return [
        one_gt(HOLD, preds=[exact(0.9)], name='a.jpg'),
        hoi_sample([PERSON_BOX, CUP_BOX, [30, 0, 39, 9]], [0, CUP, CHAIR], [(0, 2, [SIT])],
                   [exact(0.95)],
                   name='b.jpg'),
        one_gt(CARRY, preds=[exact(0.8)], name='c.jpg'),
    ]


def test_known_object_counts_only_images_with_the_object_in_an_interaction():
    metrics, metric = run_metric(
        known_object_samples(), rare_categories=[[HOLD, CUP]], classwise=True)
    # Default: (hold, cup) ranks FP 0.95 (b), TP 0.9 (a), FP 0.8 (c): precision 1/2 at
    # recall 1 -> AP 50; (sit_on, chair) and (carry, cup) have no prediction -> 0
    # Known Object: b.jpg has no cup in an interaction, so its FP is not counted:
    # TP 0.9, FP 0.8 -> AP 100; c.jpg carries a cup, so its FP still counts
    assert metrics['mAP'] == pytest.approx(50 / 3)
    assert metrics['mAP_ko'] == pytest.approx(100 / 3)
    assert metrics['mAP_rare'] == pytest.approx(50.0)
    assert metrics['mAP_ko_rare'] == pytest.approx(100.0)
    assert metrics['mAP_non_rare'] == metrics['mAP_ko_non_rare'] == 0.0
    # the ground truth of a category lies in images that hold its object: same recall
    assert metrics['mean_max_recall'] == metrics['mean_max_recall_ko'] == pytest.approx(100 / 3)
    hold_cup = metric.per_category_results[0]
    assert (hold_cup['name'], hold_cup['num_preds'], hold_cup['num_preds_ko']) == ('hold cup', 3, 2)
    assert (hold_cup['ap'], hold_cup['ap_ko']) == pytest.approx((50.0, 100.0))
    assert metrics['AP_hold_cup'] == pytest.approx(50.0)


def test_known_object_is_reported_and_logged_without_rare_information(capsys):
    MMLogger.get_instance('test_known_object_log')  # the current logger, on capsys
    metrics, _ = run_metric(known_object_samples())
    assert set(metrics) == {'mAP', 'mean_max_recall', 'mAP_ko', 'mean_max_recall_ko'}
    rows = {
        cells[0]: cells[1:]
        for line in capsys.readouterr().out.splitlines()
        if (cells := [c.strip() for c in line.split('|')[1:-1]])
    }
    assert rows['Default'] == ['16.67', '-', '-', '33.33']
    assert rows['Known Object'] == ['33.33', '-', '-', '33.33']


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='not both'):
        HOIMetric(train_ann_file='x.json', rare_categories=[])
    with pytest.raises(ValueError, match='no ground-truth interaction'):
        run_metric([hoi_sample(preds=[exact(0.9)])])
    meta = dict(META, hoi_categories=[(HOLD, CUP)])
    with pytest.raises(ValueError, match='outside the dataset metainfo'):
        run_metric([one_gt(preds=[exact(0.9, action=9)])], meta=meta)


# ------------------------------------------------------------------ plain reference
@pytest.mark.parametrize('top_k, nms_thr, masked', [(100, None, False), (5, None, True),
                                                    (None, None, False), (100, 0.7, False),
                                                    (3, 0.5, True)])
def test_agrees_with_plain_qpic_transcription(top_k, nms_thr, masked):
    rng = np.random.default_rng(top_k or 7 + int(masked))
    num_actions, num_objects = 4, 3
    images = [
        random_hoi_image(rng, num_actions, num_objects, int(rng.integers(0, 25))) for _ in range(40)
    ]
    valid = rng.random((num_actions, num_objects)) < 0.8 if masked else None
    meta = dict(META, objects=META['objects'][:num_objects], hoi_categories=None)
    if masked:
        meta['hoi_categories'] = [tuple(p) for p in np.argwhere(valid).tolist()]
    rare = [[a, o] for a in range(num_actions) for o in range(num_objects) if (a + o) % 2 == 0]
    samples = [sample_from_random(gt, pred) for gt, pred in images]
    metrics, metric = run_metric(
        samples, meta=meta, rare_categories=rare, top_k=top_k, triplet_nms_thr=nms_thr)

    gt_triplets = {(0, int(g['labels'][o]), int(a))
                   for g, _ in images
                   for o, acts in zip(g['object_ids'], g['actions'])
                   for a in np.nonzero(acts)[0]}
    rare_triplets = [(0, o, a) for a, o in rare]
    reference = PlainHOIEvaluator([p for _, p in images], [g for g, _ in images],
                                  rare_triplets, [t for t in gt_triplets if t not in rare_triplets],
                                  correct_mat=valid,
                                  top_k=top_k,
                                  nms_thr=nms_thr)
    expected = reference.evaluate()
    known_object = PlainHOIEvaluator([p for _, p in images], [g for g, _ in images],
                                     rare_triplets,
                                     [t for t in gt_triplets if t not in rare_triplets],
                                     correct_mat=valid,
                                     top_k=top_k,
                                     nms_thr=nms_thr,
                                     known_object=True).evaluate()
    assert metrics['mAP_ko'] == pytest.approx(known_object['mAP'] * 100, abs=1e-9)
    assert metrics['mAP_ko_rare'] == pytest.approx(known_object['mAP rare'] * 100, abs=1e-9)
    assert metrics['mAP_ko'] > metrics['mAP']
    assert len(metric.per_category_results) == len(reference.ap) > 5
    assert metrics['mAP'] == pytest.approx(expected['mAP'] * 100, abs=1e-9)
    assert metrics['mAP_rare'] == pytest.approx(expected['mAP rare'] * 100, abs=1e-9)
    assert metrics['mAP_non_rare'] == pytest.approx(expected['mAP non-rare'] * 100, abs=1e-9)
    assert metrics['mean_max_recall'] == pytest.approx(expected['mean max recall'] * 100, abs=1e-9)
    for result in metric.per_category_results:
        triplet = (0, result['object_id'], result['action_id'])
        assert result['ap'] == pytest.approx(reference.ap[triplet] * 100, abs=1e-9)
    assert 0 < metrics['mAP'] < 100 and not math.isnan(metrics['mAP_rare'])
