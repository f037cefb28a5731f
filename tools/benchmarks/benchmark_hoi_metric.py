"""Time HOIMetric against a plain transcription of QPIC's evaluator; check they agree.

    PYTHONPATH=. python tools/benchmarks/benchmark_hoi_metric.py --images 5000 --preds 100

Random HICO-DET-like data (117 actions, 80 objects, 600 valid HOI categories, 1-4
interacting pairs per image, ``--preds`` scored triplets per image, most near a
ground-truth pair). ``HOIMetric`` gets the predictions as torch tensors, as from the model,
and its time includes ``process`` (per image) and ``compute_metrics``. The reference is
``tools/benchmarks/plain_hoi_reference.py`` beside this script (QPIC's ``hico_eval.py`` with
its Python loops; the tests check HOIMetric against it too). Prints both times, the
speed ratio (target >= 10x) and the largest difference over mAP, rare / non-rare mAP,
mean max recall and every per-category AP, in the Default and the Known Object setting
(target <= 1e-6, in percent).
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np
import torch
from mmengine.logging import MMLogger

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from plain_hoi_reference import PlainHOIEvaluator  # noqa: E402

from pair_plugin.evaluation import HOIMetric  # noqa: E402

NUM_ACTIONS, NUM_OBJECTS, NUM_CATEGORIES = 117, 80, 600


def random_boxes(rng, count, size=640):
    xy = rng.uniform(0, size * 0.8, (count, 2))
    wh = rng.uniform(10, size * 0.4, (count, 2))
    return np.round(np.concatenate([xy, xy + wh], axis=1), 1)


def make_data(rng, num_images, num_preds):
    """Ground truth and predictions of ``num_images`` images, both in the reference's
    input layout, and the valid (A, O) category matrix."""
    valid = np.zeros(NUM_ACTIONS * NUM_OBJECTS, bool)
    valid[rng.choice(valid.size, NUM_CATEGORIES, replace=False)] = True
    valid = valid.reshape(NUM_ACTIONS, NUM_OBJECTS)
    # popular categories are many times more frequent than rare ones (as HICO-DET)
    categories = np.argwhere(valid)
    popularity = rng.pareto(1.2, len(categories)) + 0.05
    popularity /= popularity.sum()
    gts, preds = [], []
    for _ in range(num_images):
        num_pairs = int(rng.integers(1, 5))
        picked = categories[rng.choice(len(categories), num_pairs, p=popularity)]
        boxes = random_boxes(rng, 2 * num_pairs)
        labels = np.zeros(2 * num_pairs, np.int64)
        labels[1::2] = picked[:, 1]
        actions = np.zeros((num_pairs, NUM_ACTIONS), np.float32)
        actions[np.arange(num_pairs), picked[:, 0]] = 1
        extra = rng.random(num_pairs) < 0.3  # a second action on some pairs
        for p in np.nonzero(extra)[0]:
            options = categories[categories[:, 1] == picked[p, 1], 0]
            actions[p, rng.choice(options)] = 1
        gts.append(
            dict(
                boxes=boxes,
                labels=labels,
                subject_ids=np.arange(0, 2 * num_pairs, 2),
                object_ids=np.arange(1, 2 * num_pairs, 2),
                actions=actions))
        # predictions: jittered ground-truth pairs with right or wrong labels, and noise
        near = rng.random(num_preds) < 0.6
        pair = rng.integers(0, num_pairs, num_preds)
        jitter = rng.normal(0, 8, (num_preds, 2, 4))
        sub = np.where(near[:, None], boxes[2 * pair] + jitter[:, 0], random_boxes(rng, num_preds))
        obj = np.where(near[:, None], boxes[2 * pair + 1] + jitter[:, 1],
                       random_boxes(rng, num_preds))
        for b in (sub, obj):
            b[:, 2:] = np.maximum(b[:, 2:], b[:, :2])
        own = categories[rng.integers(0, len(categories), num_preds)]
        right = near & (rng.random(num_preds) < 0.5)
        action = np.where(right, picked[pair, 0], own[:, 0])
        obj_label = np.where(near & (rng.random(num_preds) < 0.8), picked[pair, 1], own[:, 1])
        score = np.sort(rng.random(num_preds).astype(np.float32))[::-1]
        preds.append(
            dict(
                subject_bboxes=sub,
                object_bboxes=obj,
                object_labels=obj_label.astype(np.int64),
                action_labels=action.astype(np.int64),
                scores=score.astype(np.float64)))
    return gts, preds, valid


def run_metric(gts, preds, valid, rare, top_k, nms_thr):
    metric = HOIMetric(rare_categories=rare, top_k=top_k, triplet_nms_thr=nms_thr)
    metric.dataset_meta = dict(
        objects=['person'] + [f'object{i}' for i in range(1, NUM_OBJECTS)],
        actions=[f'action{i}' for i in range(NUM_ACTIONS)],
        hoi_categories=np.argwhere(valid).tolist())
    samples = [
        dict(
            file_name=f'{i}.jpg',
            gt_instances=dict(
                bboxes=torch.as_tensor(gt['boxes'], dtype=torch.float32),
                labels=torch.as_tensor(gt['labels'])),
            gt_pairs=dict(
                subject_ids=torch.as_tensor(gt['subject_ids']),
                object_ids=torch.as_tensor(gt['object_ids']),
                actions=torch.as_tensor(gt['actions'])),
            pred_hois={
                k: torch.as_tensor(v)
                for k, v in pred.items()
            }) for i, (gt, pred) in enumerate(zip(gts, preds))
    ]
    start = time.perf_counter()
    for i in range(0, len(samples), 8):  # batches of 8, as a test dataloader
        metric.process({}, samples[i:i + 8])
    metrics = metric.compute_metrics(metric.results)
    return time.perf_counter() - start, metrics, metric.per_category_results


def run_reference(gts, preds, valid, rare, top_k, nms_thr, known_object=False):
    gt_triplets = sorted({(0, int(g['labels'][o]), int(a))
                          for g in gts
                          for o, acts in zip(g['object_ids'], g['actions'])
                          for a in np.nonzero(acts)[0]})
    rare_triplets = [(0, o, a) for a, o in rare]
    rare_set = set(rare_triplets)
    start = time.perf_counter()
    evaluator = PlainHOIEvaluator(
        preds,
        gts,
        rare_triplets, [t for t in gt_triplets if t not in rare_set],
        correct_mat=valid,
        top_k=top_k,
        nms_thr=nms_thr,
        known_object=known_object)
    metrics = evaluator.evaluate()
    return time.perf_counter() - start, metrics, evaluator.ap


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=5000)
    parser.add_argument('--preds', type=int, default=100, help='triplets per image')
    parser.add_argument('--top-k', type=int, default=100, help='0 for no cut')
    parser.add_argument('--triplet-nms', type=float, default=None)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    MMLogger.get_instance('benchmark_hoi_metric', log_level='WARNING')
    top_k = args.top_k or None
    rng = np.random.default_rng(args.seed)
    print(f'generating {args.images} images x {args.preds} predictions ...')
    gts, preds, valid = make_data(rng, args.images, args.preds)
    categories = np.argwhere(valid)
    rare = categories[rng.random(len(categories)) < 0.25].tolist()

    print('HOIMetric ...')
    metric_time, metrics, per_category = run_metric(gts, preds, valid, rare, top_k,
                                                    args.triplet_nms)
    print('plain reference (QPIC loops) ...')
    ref_time, ref_metrics, ref_ap = run_reference(gts, preds, valid, rare, top_k, args.triplet_nms)
    _, ko_metrics, ko_ap = run_reference(
        gts, preds, valid, rare, top_k, args.triplet_nms, known_object=True)
    pairs = [('mAP', 'mAP'), ('mAP_rare', 'mAP rare'), ('mAP_non_rare', 'mAP non-rare'),
             ('mean_max_recall', 'mean max recall')]
    diffs = [abs(metrics[a] - ref_metrics[b] * 100) for a, b in pairs]
    diffs += [
        abs(metrics[a.replace('mAP', 'mAP_ko') if 'mAP' in a else a + '_ko'] - ko_metrics[b] * 100)
        for a, b in pairs
    ]
    diffs += [
        abs(r['ap'] - ref_ap[(0, r['object_id'], r['action_id'])] * 100) for r in per_category
    ]
    diffs += [
        abs(r['ap_ko'] - ko_ap[(0, r['object_id'], r['action_id'])] * 100) for r in per_category
    ]
    if len(per_category) != len(ref_ap):
        raise SystemExit(f'category count differs: {len(per_category)} vs {len(ref_ap)}')
    print(f'images {args.images}, predictions per image {args.preds}, top-k {top_k}, '
          f'triplet NMS {args.triplet_nms}, categories {len(per_category)}')
    print('metrics (percent): ' + ', '.join(f'{a} {v:.4f}' for a, v in metrics.items()))
    print(f'HOIMetric          {metric_time:8.2f} s ({metric_time / args.images * 1e3:.3f}'
          ' ms per image)')
    print(f'plain reference    {ref_time:8.2f} s ({ref_time / args.images * 1e3:.3f}'
          ' ms per image)')
    print(f'speed ratio        {ref_time / metric_time:8.1f} x (target >= 10)')
    print(f'largest difference {max(diffs):.3g} (percent points; target <= 1e-6)')


if __name__ == '__main__':
    main()
