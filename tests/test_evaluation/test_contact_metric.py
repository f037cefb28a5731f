"""ContactMetric: HOT's SC-Acc., C-Acc., mIoU and wIoU, precision and strict mIoU, on
hand-computed maps and against a pixel-loop reference on random maps."""
import json

import numpy as np
import pytest
from evaluation_samples import contact_sample
from mmengine.logging import MMLogger
from PIL import Image
from plain_contact_reference import nearest_resize, plain_contact_metrics

from pair_plugin.evaluation import HOT_PART_CONTACT_COUNTS, ContactMetric, contact_confusion_matrix
from pair_plugin.registry import METRICS

# pixels (ignoring the 255): (g0,p1) (g1,p1) (g1,p3) (g2,p2) (g2,p2)
GT = [[0, 1, 1], [2, 2, 255]]
PRED = [[1, 1, 3], [2, 2, 3]]
# SC-Acc 3/4, C-Acc 4/4; HOT IoU: part 1 1/2 (the p1 on g0 is zeroed), part 2 2/2,
# part 3 0 (its pixel on g1: U 1, I 0); precision 3/5; strict IoU part 1 1/3
EXPECTED = {
    'SC-Acc': 75.0,
    'C-Acc': 100.0,
    'mIoU': 1.5 / 17 * 100,
    'contact_precision': 60.0,
    'strict_mIoU': (1 / 3 + 1) / 17 * 100
}


def run_metric(samples, **kwargs):
    metric = ContactMetric(**kwargs)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results), metric


def weights_17(**parts):
    weights = [0.0] * 17
    for part, value in parts.items():
        weights[int(part[1:]) - 1] = value
    return weights


def test_registered():
    assert METRICS.get('ContactMetric') is ContactMetric


def test_hand_computed_metrics_and_absent_parts_count_zero():
    metrics, metric = run_metric([contact_sample(PRED, GT)], part_weights=weights_17(p1=1, p2=3))
    for key, value in EXPECTED.items():
        assert metrics[key] == pytest.approx(value), key
    # wIoU = 1/4 * 1/2 + 3/4 * 1
    assert metrics['wIoU'] == pytest.approx(87.5)
    ious = [r['iou'] for r in metric.per_part_results]
    assert ious[:3] == pytest.approx([50.0, 100.0, 0.0])
    assert ious[3:] == [0.0] * 14  # absent parts: IoU 0, and they count in mIoU
    assert [r['gt_pixels'] for r in metric.per_part_results][:3] == [2, 2, 0]
    assert [r['pred_pixels'] for r in metric.per_part_results][:3] == [2, 2, 1]


def test_confusion_matrix_rows_are_predictions_and_255_is_left_out():
    confusion = contact_confusion_matrix(np.array(PRED), np.array(GT))
    assert confusion.shape == (18, 18) and confusion.sum() == 5
    assert confusion[1, 0] == 1 and confusion[1, 1] == 1 and confusion[3, 1] == 1
    assert confusion[2, 2] == 2
    # a predicted value outside 0..17 is no contact (row 0), wherever it is
    pred = np.array([[255, 255, 3], [2, 40, 3]])
    outside = contact_confusion_matrix(pred, np.array(GT))
    assert outside.sum() == 5 and outside[0, 0] == 1 and outside[0, 1] == 1
    assert outside[0, 2] == 1
    # counting in chunks changes nothing
    np.testing.assert_array_equal(
        contact_confusion_matrix(np.array(PRED), np.array(GT), chunk=2), confusion)


def test_a_prediction_never_takes_a_ground_truth_pixel_out(capsys):
    """HOT's case: ground truth part 6 on a 10x10 block, the prediction 255 on 90 of
    its pixels and 6 on the other 10: SC-Acc 10 %, as HOT's evaluation code gives."""
    gt = np.full((10, 10), 6)
    pred = np.full((10, 10), 255)
    pred[0] = 6
    MMLogger.get_instance('test_contact_outside')  # the current logger, on capsys
    metrics, metric = run_metric([contact_sample(pred, gt)])
    assert metrics['SC-Acc'] == pytest.approx(10.0)
    assert metrics['C-Acc'] == pytest.approx(10.0)
    assert metric.per_part_results[5]['iou'] == pytest.approx(10.0)
    assert '90 predicted pixels held a value outside 0..17' in capsys.readouterr().out
    # any other value outside 0..17, and a negative one, are misses as well
    pred[1:] = -1
    pred[5:] = 18
    assert run_metric([contact_sample(pred, gt)])[0]['SC-Acc'] == pytest.approx(10.0)
    resized, _ = run_metric([contact_sample(pred, gt)], eval_size=(5, 5))
    assert resized['SC-Acc'] == pytest.approx(20.0)  # rows 0, 2, 4, 6, 8 kept


def test_ignore_pixels_count_nowhere():
    base, _ = run_metric([contact_sample(PRED, GT)])
    # whatever is predicted under a gt 255 changes nothing
    other = [[1, 1, 3], [2, 2, 17]]
    same, _ = run_metric([contact_sample(other, GT)])
    assert same == pytest.approx(base)
    # an all-255 image adds nothing
    padded, _ = run_metric(
        [contact_sample(PRED, GT),
         contact_sample([[5, 5]], [[255, 255]], name='pad.jpg')])
    assert padded == pytest.approx(base)


def test_images_without_contact_annotation_count_nowhere():
    base, _ = run_metric([contact_sample(PRED, GT)])
    unannotated = contact_sample([[3, 3], [3, 3]], [[1, 1], [0, 0]], annotated=False)
    unannotated.pop('gt_sem_seg')  # not even needed
    with_it, metric = run_metric([contact_sample(PRED, GT), unannotated])
    assert with_it == pytest.approx(base)
    assert [r['confusion'] is None for r in metric.results] == [False, True]
    with pytest.raises(ValueError, match='none of the 1 evaluated images'):
        run_metric([unannotated])


def test_sums_over_images_before_dividing():
    a = contact_sample([[1, 1, 1, 1]], [[1, 1, 1, 1]], name='a.jpg')  # 4 of 4
    b = contact_sample([[0, 0, 0, 0, 0, 0, 1, 1]], [[1] * 8], name='b.jpg')  # 2 of 8
    metrics, _ = run_metric([a, b])
    assert metrics['SC-Acc'] == pytest.approx(6 / 12 * 100)  # not mean(100, 25)
    assert metrics['mIoU'] == pytest.approx(6 / 12 / 17 * 100)


def test_hot_weights_and_normalisation():
    metrics, metric = run_metric([contact_sample(PRED, GT)], part_weights='hot')
    # HOT's data/stats.pickle counts part 1 (head) 1315 and part 2 (chest) 1451 contacts
    # of 68355 in all (DESIGN.md); IoU 1/2 and 1, the other parts 0
    assert metrics['wIoU'] == pytest.approx((1315 * 0.5 + 1451 * 1.0) / 68355 * 100)
    assert tuple(HOT_PART_CONTACT_COUNTS) == (1315, 1451, 3670, 1290, 1856, 9461, 1300, 1819, 11111,
                                              4447, 471, 2710, 1414, 11016, 2643, 1441, 10940)
    assert sum(r['weight'] for r in metric.per_part_results) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='17 part weights needed'):
        ContactMetric(part_weights=[1, 2])
    with pytest.raises(ValueError, match='not all 0'):
        ContactMetric(part_weights=[0] * 17)
    no_weights, _ = run_metric([contact_sample(PRED, GT)])
    assert 'wIoU' not in no_weights


def write_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, np.uint8)).save(path)


def test_wiou_weights_from_the_training_masks(tmp_path):
    # training images: parts {1, 2}, {2}, no annotation -> part 1: 1 image, part 2: 2
    write_png(tmp_path / 'masks/a.png', [[1, 2], [0, 255]])
    write_png(tmp_path / 'masks/b.png', [[2, 2], [0, 0]])
    images = [
        dict(
            id=i,
            file_name=f'images/{n}.jpg',
            width=2,
            height=2,
            contact_mask=mask,
            instances=[],
            interactions=[])
        for i, (n, mask) in enumerate([('a', 'masks/a.png'), ('b', 'masks/b.png'), ('c', None)])
    ]
    ann = dict(metainfo=dict(objects=['person', 'cup'], actions=['hold']), images=images)
    (tmp_path / 'annotations').mkdir()
    ann_file = tmp_path / 'annotations/train.json'
    ann_file.write_text(json.dumps(ann))
    metrics, metric = run_metric([contact_sample(PRED, GT)], train_ann_file=str(ann_file))
    assert [r['weight'] for r in metric.per_part_results][:3] == pytest.approx([1 / 3, 2 / 3, 0])
    assert metrics['wIoU'] == pytest.approx((0.5 / 3 + 2 / 3) * 100)


def test_eval_size_resizes_both_maps_nearest():
    gt = np.array([[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])
    pred = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 0, 0], [3, 3, 0, 0]])
    metrics, metric = run_metric([contact_sample(pred, gt)], eval_size=(2, 2))
    # 2x2 keeps pixels (0,0) (0,2) (2,0) (2,2): gt 1 2 3 4, pred 1 2 3 0
    assert nearest_resize(gt, 2, 2) == [[1, 2], [3, 4]]
    assert metrics['SC-Acc'] == pytest.approx(75.0)
    assert metrics['C-Acc'] == pytest.approx(75.0)
    assert [r['gt_pixels'] for r in metric.per_part_results][:4] == [1, 1, 1, 1]
    full, _ = run_metric([contact_sample(pred, gt)])
    assert full['SC-Acc'] == pytest.approx(75.0)
    assert full['contact_precision'] == pytest.approx(3 / 12 * 100)
    with pytest.raises(ValueError, match='eval_size'):
        ContactMetric(eval_size=(60, ))


def test_bad_maps_raise_clear_errors():
    with pytest.raises(
            ValueError, match='bad.jpg: pred_sem_seg is 1x3 but gt_sem_seg '
            '2x3'):
        run_metric([contact_sample([[0, 0, 0]], GT, name='bad.jpg')])
    with pytest.raises(KeyError, match='needs gt_sem_seg and pred_sem_seg'):
        sample = contact_sample(PRED, GT)
        sample.pop('gt_sem_seg')  # (no pred_sem_seg at all: an HOI-only model, no numbers)
        run_metric([sample])


@pytest.mark.parametrize('eval_size', [None, (5, 7)])
def test_agrees_with_the_pixel_loop_reference(eval_size):
    rng = np.random.default_rng(3)
    samples, pairs = [], []
    for i in range(8):
        h, w = rng.integers(6, 15, 2)
        gt = rng.choice([0] * 10 + list(range(1, 18)) + [255] * 3, size=(h, w))
        gt[:, :2] = np.where(rng.random((h, 2)) < 0.5, 6, gt[:, :2])  # part 6 common
        pred = np.where(rng.random((h, w)) < 0.5, gt, rng.integers(0, 18, (h, w)))
        pred[0, 0] = 255
        annotated = i != 3
        samples.append(contact_sample(pred, gt, annotated, name=f'{i}.jpg'))
        if annotated:
            if eval_size is not None:
                pred = nearest_resize(pred, *eval_size)
                gt = nearest_resize(gt, *eval_size)
            pairs.append((pred, gt))
    weights = rng.random(17)
    metrics, metric = run_metric(samples, part_weights=list(weights), eval_size=eval_size)
    expected = plain_contact_metrics(pairs, list(weights))
    names = {
        'SC-Acc': 'sc_acc',
        'C-Acc': 'c_acc',
        'mIoU': 'miou',
        'wIoU': 'wiou',
        'contact_precision': 'precision',
        'strict_mIoU': 'strict_miou'
    }
    for key, ref_key in names.items():
        assert metrics[key] == pytest.approx(expected[ref_key] * 100, abs=1e-9), key
    assert [r['iou']
            for r in metric.per_part_results] == pytest.approx([v * 100 for v in expected['iou']],
                                                               abs=1e-9)
    assert 0 < metrics['mIoU'] < metrics['C-Acc'] < 100
