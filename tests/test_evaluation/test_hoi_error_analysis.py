"""HOIErrorAnalysis: each ground-truth triplet lands in the outcome of the first
requirement no prediction meets; shares, per-class rows and best IoUs by hand."""
import numpy as np
import pytest
from evaluation_samples import META, hoi_sample

from pair_plugin.evaluation import HOI_ERROR_OUTCOMES, HOIErrorAnalysis, HOIMetric
from pair_plugin.registry import METRICS

PERSON, CUP, CHAIR = 0, 1, 2
HOLD, SIT_ON, RIDE = 0, 1, 2


def shifted(box, dx):
    return [box[0] + dx, box[1], box[2] + dx, box[3]]


def five_outcome_sample():
    """Five (person, cup, hold) triplets in one image, 100 px apart, and one prediction
    for each that fails at a different requirement (the fourth and fifth are right)."""
    boxes, labels, pairs, preds = [], [], [], []
    for i in range(5):
        human = [100 * i, 0, 100 * i + 39, 79]
        cup = [100 * i + 50, 10, 100 * i + 69, 29]  # 20 x 20
        boxes += [human, cup]
        labels += [PERSON, CUP]
        pairs.append((2 * i, 2 * i + 1, [HOLD]))
        pred = dict(human=human, cup=cup, label=CUP, action=HOLD)
        if i == 0:
            pred['human'] = shifted(human, 30)  # IoU 10/70 of the width: < 0.5
        elif i == 1:
            pred['cup'] = shifted(cup, 10)  # IoU 10 * 20 / (30 * 20) = 1/3
        elif i == 2:
            pred['label'] = CHAIR
        elif i == 3:
            pred['action'] = RIDE
        preds.append((pred['human'], pred['cup'], pred['label'], pred['action'], 0.9 - 0.1 * i))
    return hoi_sample(boxes, labels, pairs, preds)


def evaluate(metric, samples):
    metric.dataset_meta = META
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_each_requirement_gives_its_outcome():
    metric = HOIErrorAnalysis()
    scores = evaluate(metric, [five_outcome_sample()])
    assert list(scores) == [f'hoi_errors/{name}' for name in HOI_ERROR_OUTCOMES]
    assert all(v == pytest.approx(20.0) for v in scores.values())
    # the triplet lost at the object box comes closest with IoU 1/3 (the other
    # predictions' cups are 100 px away); every other cup is matched exactly
    (row, ) = metric.per_object_results
    assert row['name'] == 'cup' and row['num_gts'] == 5
    assert row['median_best_object_iou'] == pytest.approx(1.0)


def test_outcomes_and_best_ious_per_triplet():
    metric = HOIErrorAnalysis()
    metric.dataset_meta = META
    metric.process({}, [five_outcome_sample()])
    (image, ) = metric.results
    np.testing.assert_array_equal(image['outcome'], [0, 1, 2, 3, 4])
    np.testing.assert_allclose(image['best_object_iou'], [1, 1 / 3, 1, 1, 1])
    np.testing.assert_array_equal(image['objects'], [CUP] * 5)
    np.testing.assert_array_equal(image['actions'], [HOLD] * 5)


def test_per_class_and_per_category_rows():
    human, cup, chair = [0, 0, 39, 79], [50, 10, 69, 29], [0, 60, 39, 99]
    samples = [
        # hold cup found; sit_on chair: the chair box is missed (nothing near it)
        hoi_sample([human, cup, chair], [PERSON, CUP, CHAIR], [(0, 1, [HOLD]), (0, 2, [SIT_ON])],
                   [(human, cup, CUP, HOLD, 0.9)]),
        # hold cup and ride cup on one pair: only hold predicted
        hoi_sample([human, cup], [PERSON, CUP], [(0, 1, [HOLD, RIDE])],
                   [(human, cup, CUP, HOLD, 0.8)]),
        # no prediction at all: the human is missed
        hoi_sample([human, cup], [PERSON, CUP], [(0, 1, [HOLD])], []),
    ]
    metric = HOIErrorAnalysis()
    scores = evaluate(metric, samples)
    # five triplets: found 2, wrong action 1, missed object 1, missed human 1
    assert scores['hoi_errors/found'] == pytest.approx(40.0)
    assert scores['hoi_errors/wrong_action'] == pytest.approx(20.0)
    assert scores['hoi_errors/missed_object'] == pytest.approx(20.0)
    assert scores['hoi_errors/missed_human'] == pytest.approx(20.0)
    assert scores['hoi_errors/wrong_object_class'] == 0.0
    rows = {r['name']: r for r in metric.per_object_results}
    assert rows['cup']['num_gts'] == 4
    assert rows['cup']['found'] == pytest.approx(50.0)
    assert rows['cup']['missed_human'] == pytest.approx(25.0)
    # best cup IoUs 1, 1, 1, 0 (no prediction in the third image)
    assert rows['cup']['median_best_object_iou'] == pytest.approx(1.0)
    assert rows['chair']['missed_object'] == pytest.approx(100.0)
    assert rows['chair']['median_best_object_iou'] == 0.0
    categories = {r['name']: r for r in metric.per_category_results}
    assert set(categories) == {'hold cup', 'ride cup', 'sit_on chair'}
    assert categories['ride cup']['wrong_action'] == pytest.approx(100.0)
    assert categories['hold cup']['found'] == pytest.approx(200 / 3)
    assert metric.overall_result['num_gts'] == 5


def test_the_evaluated_predictions_are_hoimetrics():
    """A right prediction beyond the top-k cut, or suppressed by triplet NMS, does not
    count: the analysis sees what HOIMetric scores."""
    human, cup = [0, 0, 39, 79], [50, 10, 69, 29]
    far = [300, 300, 339, 379]
    preds = [(far, far, CUP, HOLD, 0.9), (far, far, CUP, RIDE, 0.8), (human, cup, CUP, HOLD, 0.7)]
    sample = hoi_sample([human, cup], [PERSON, CUP], [(0, 1, [HOLD])], preds)
    for top_k, outcome in ((2, 'missed_human'), (3, 'found'), (None, 'found')):
        scores = evaluate(HOIErrorAnalysis(top_k=top_k), [sample])
        assert scores[f'hoi_errors/{outcome}'] == 100.0, top_k
    # triplet NMS keeps the higher-scored of two same-category triplets on one pair
    close = [(human, cup, CUP, HOLD, 0.5), (human, shifted(cup, 2), CUP, HOLD, 0.6)]
    sample = hoi_sample([human, cup], [PERSON, CUP], [(0, 1, [HOLD])], close)
    for nms, best_iou in ((None, 1.0), (0.5, 18 / 22)):
        metric = HOIErrorAnalysis(triplet_nms_thr=nms)
        metric.dataset_meta = META
        metric.process({}, [sample])
        # with NMS only the shifted cup (IoU 18/22) is left, and it still matches
        assert metric.results[0]['best_object_iou'][0] == pytest.approx(best_iou)
        assert metric.results[0]['outcome'][0] == HOI_ERROR_OUTCOMES.index('found')


def test_built_from_the_registry_and_errors():
    metric = METRICS.build(dict(type='HOIErrorAnalysis', top_k=10))
    assert isinstance(metric, HOIMetric) and metric.top_k == 10
    with pytest.raises(ValueError, match='top_k must be >= 1'):
        HOIErrorAnalysis(top_k=0)
    metric.dataset_meta = META
    metric.process({}, [hoi_sample([[0, 0, 9, 9]], [PERSON], [], [])])
    with pytest.raises(ValueError, match='hold no ground-truth interaction'):
        metric.evaluate(1)
