"""HOI detection mAP (full, rare, non-rare; Default and Known Object) under the QPIC /
CDN / GEN-VLKT protocol."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from pair_plugin.datasets.annotation_stats import count_hoi_instances
from pair_plugin.registry import METRICS
from pair_plugin.structures import to_numpy
from .hoi_matching import match_image_predictions, select_image_predictions, triplet_nms

#: recall thresholds of the 11-point interpolated AP, exactly as QPIC builds them
#: (``np.arange(0., 1.1, 0.1)``: 0.30000000000000004 and not 0.3, and so on)
ELEVEN_RECALL_POINTS = np.arange(0., 1.1, 0.1)


def eleven_point_ap(true_positive: np.ndarray, scores: np.ndarray,
                    num_gts: int) -> Tuple[float, float]:
    """11-point interpolated AP of one HOI category, as QPIC's ``compute_map``/``voc_ap``.

    Detections are ordered by ``np.argsort(-scores)`` (numpy's default sort, as there, so
    that ties between equal scores fall the same way), then
    ``AP = sum_t max(precision[recall >= t]) / 11`` over ``t = 0, 0.1, ..., 1.0``, a
    missing recall level adding 0.

    Args:
        true_positive (np.ndarray): (D,) bool, the detections of the category in
            evaluation order (images in dataset order, each image's by score).
        scores (np.ndarray): (D,) float64 their scores.
        num_gts (int): ground-truth triplets of the category (> 0).

    Returns:
        tuple[float, float]: AP and the largest recall reached, both in [0, 1].
    """
    if len(true_positive) == 0:
        return 0.0, 0.0
    order = np.argsort(-scores)
    tp = np.cumsum(true_positive[order].astype(np.int64))
    fp = np.cumsum((~true_positive[order]).astype(np.int64))
    recall = tp / num_gts
    precision = tp / (fp + tp)
    # max(precision[recall >= t]): recall never decreases, so that set is a suffix
    suffix_max = np.maximum.accumulate(precision[::-1])[::-1]
    first = np.searchsorted(recall, ELEVEN_RECALL_POINTS, side='left')
    reached = first < len(recall)
    points = np.where(reached, suffix_max[np.minimum(first, len(recall) - 1)], 0.0)
    ap = 0.
    for p in points:  # summed in QPIC's order
        ap = ap + p / 11.
    return float(ap), float(np.amax(recall))


@METRICS.register_module()
class HOIMetric(BaseMetric):
    """HOI detection mAP as QPIC / CDN / GEN-VLKT / TED-Net compute it on HICO-DET.

    A prediction is a (subject box, object box, object class, action, score) triplet; an
    HOI category is an (action, object class) pair (the subject is always a person).
    The protocol, step by step (``docs/metrics.md`` has the details and the sources):

    1. per image, scores of invalid (action, object) pairs are multiplied by 0 when the
       dataset metainfo lists ``hoi_categories`` (QPIC's ``correct_mat``), then only the
       ``top_k`` best-scored triplets are kept (100; None keeps all, as the official
       MATLAB code nearly does);
    2. optionally GEN-VLKT/CDN's triplet NMS (``triplet_nms_thr``, off by default);
    3. greedy matching by score, both boxes at IoU >= ``iou_thr`` with the inclusive-pixel
       convention and the category agreeing, best ``min(IoU_sub, IoU_obj)`` claimed, no
       fallback when it is taken (:func:`match_image_predictions`);
    4. 11-point AP per HOI category present in the test ground truth (a category without
       any prediction scores 0); mAP the mean over them; rare / non-rare means over the
       categories with fewer / at least ``rare_threshold`` training instances (GEN-VLKT's
       2023 fix: categories without predictions count in them too).
    5. The same in HICO-DET's Known Object setting (the official evaluation's ``ko``
       mode): a category with object class o counts only the images whose ground truth
       holds o in an interaction, for its detections and its ground truth alike
       (``mAP_ko``, ``mAP_ko_rare``, ``mAP_ko_non_rare``, ``mean_max_recall_ko``).

    Results are in percent. Inputs (data samples as dicts, ground truth at the original
    image size, as the dataset validated it; ``K`` triplets, ``N`` boxes, ``P`` pairs,
    ``A`` actions): ``pred_hois``: ``subject_bboxes``/``object_bboxes`` (K, 4),
    ``object_labels``, ``action_labels`` (K,), ``scores`` (K,); ``gt_instances``:
    ``bboxes`` (N, 4), ``labels`` (N,); ``gt_pairs``: ``subject_ids``, ``object_ids``
    (P,), ``actions`` (P, A) multi-hot. Boxes are compared in float64; the ground-truth
    boxes are read from the metainfo ``instances`` (the annotation file's own numbers,
    which :class:`~pair_plugin.datasets.PackPaIRInputs` packs) when the sample has them,
    so that a box that float32 cannot hold (10.1) counts as the file says.

    Args:
        train_ann_file (str, optional): the PaIR annotation file of the training split,
            whose instance counts define rare categories.
        rare_categories (list, optional): explicit ``[action_id, object_id]`` pairs that
            are rare (instead of ``train_ann_file``). Without either, rare and non-rare
            mAP are not reported.
        rare_threshold (int): a category with fewer training instances is rare (10).
        top_k (int, optional): triplets kept per image (100); None for no cut.
        triplet_nms_thr (float, optional): threshold of the triplet NMS (0.7 in
            GEN-VLKT/CDN); None (default) disables it.
        nms_alpha (float): exponent of the subject IoU in the NMS overlap (1.0).
        nms_beta (float): exponent of the object IoU in the NMS overlap (0.5).
        iou_thr (float): IoU a box needs to match (0.5).
        mask_invalid_categories (bool): apply QPIC's ``correct_mat`` from the dataset
            metainfo's ``hoi_categories`` (default True; no effect when it is empty).
        classwise (bool): also return ``AP_<action>_<object>`` per category and print
            the per-category table. The per-category results are always kept in
            :attr:`per_category_results` after :meth:`compute_metrics`.
        collect_device (str): device used to collect results across ranks ('cpu').
        prefix (str, optional): prefix of the metric names (default 'hoi').
    """
    default_prefix: Optional[str] = 'hoi'

    def __init__(self,
                 train_ann_file: Optional[str] = None,
                 rare_categories: Optional[Sequence[Sequence[int]]] = None,
                 rare_threshold: int = 10,
                 top_k: Optional[int] = 100,
                 triplet_nms_thr: Optional[float] = None,
                 nms_alpha: float = 1.0,
                 nms_beta: float = 0.5,
                 iou_thr: float = 0.5,
                 mask_invalid_categories: bool = True,
                 classwise: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if train_ann_file is not None and rare_categories is not None:
            raise ValueError('HOIMetric: give train_ann_file or rare_categories, not both')
        if top_k is not None and top_k < 1:
            raise ValueError(f'HOIMetric: top_k must be >= 1 or None, got {top_k}')
        if not 0 < iou_thr <= 1:
            raise ValueError(f'HOIMetric: iou_thr must be in (0, 1], got {iou_thr}')
        self.train_ann_file = train_ann_file
        self.rare_threshold = rare_threshold
        self.top_k = top_k
        self.triplet_nms_thr = triplet_nms_thr
        self.nms_alpha = nms_alpha
        self.nms_beta = nms_beta
        self.iou_thr = iou_thr
        self.mask_invalid_categories = mask_invalid_categories
        self.classwise = classwise
        self._rare_categories = None
        if rare_categories is not None:
            self._rare_categories = {(int(a), int(o)) for a, o in rare_categories}
        self._training_counts = None
        self._valid_categories = None
        self.per_category_results: List[dict] = []

    # ------------------------------------------------------------------ per image
    def _valid_category_matrix(self) -> Optional[np.ndarray]:
        """(A, O) bool matrix of valid (action, object) pairs, or None for no mask."""
        if not self.mask_invalid_categories or not self.dataset_meta:
            return None
        hoi_categories = self.dataset_meta.get('hoi_categories')
        if not hoi_categories:
            return None
        if self._valid_categories is None:
            matrix = np.zeros(
                (len(self.dataset_meta['actions']), len(self.dataset_meta['objects'])), dtype=bool)
            pairs = np.asarray(hoi_categories, dtype=np.int64).reshape(-1, 2)
            matrix[pairs[:, 0], pairs[:, 1]] = True
            self._valid_categories = matrix
        return self._valid_categories

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Match one batch's predictions; keep, per image, only what AP needs.

        Appends exactly one entry per sample (so that mmengine's ``collect_results`` can
        drop the distributed sampler's padding): ``gt_categories`` (G, 2) int32
        ``(action, object)`` of each ground-truth triplet, ``pred_categories`` (K', 2)
        int32, ``pred_scores`` (K',) float64, ``pred_tp`` (K',) bool and
        ``pred_known_object`` (K',) bool (its object class is in one of the image's
        ground-truth interactions) of the evaluated predictions, in evaluation order. A
        sample without ``pred_hois`` (a contact-only model's) appends
        ``{'no_triplets': True}``.
        """
        valid_categories = self._valid_category_matrix()
        for sample in data_samples:
            if 'pred_hois' not in sample:
                self.results.append(dict(no_triplets=True))
                continue
            self.results.append(self._process_sample(sample, valid_categories))

    def _process_sample(self, sample: dict, valid_categories: Optional[np.ndarray]) -> dict:
        arrays = self._evaluated_arrays(sample, valid_categories)
        true_positive = match_image_predictions(arrays['subject_bboxes'], arrays['object_bboxes'],
                                                arrays['objects'], arrays['actions'],
                                                arrays['gt_bboxes'], arrays['gt_labels'],
                                                arrays['gt_subject_ids'], arrays['gt_object_ids'],
                                                arrays['gt_actions'], self.iou_thr)
        return dict(
            gt_categories=np.stack([arrays['gt_actions'], arrays['gt_objects']],
                                   axis=1).astype(np.int32),
            pred_categories=np.stack([arrays['actions'], arrays['objects']],
                                     axis=1).astype(np.int32),
            pred_scores=arrays['scores'],
            pred_tp=true_positive,
            pred_known_object=np.isin(arrays['objects'], arrays['gt_objects']))

    def _evaluated_arrays(self, sample: dict,
                          valid_categories: Optional[np.ndarray]) -> Dict[str, np.ndarray]:
        """One sample's ground-truth triplets and its evaluated predictions.

        Returns:
            dict[str, np.ndarray]: ``gt_bboxes`` (N, 4), ``gt_labels`` (N,), and per
            ground-truth triplet (G,) ``gt_subject_ids``, ``gt_object_ids`` (into
            ``gt_bboxes``), ``gt_actions``, ``gt_objects``; per evaluated prediction
            (after the invalid-category mask, the top-k cut and the optional triplet
            NMS; K', descending score) ``subject_bboxes``, ``object_bboxes`` (K', 4),
            ``actions``, ``objects``, ``scores`` (K',).
        """
        name = sample.get('file_name', sample.get('img_id', '?'))
        gt = sample['gt_instances']
        gt_labels = to_numpy(gt['labels'], np.int64).reshape(-1)
        if 'instances' in sample:
            gt_bboxes = np.asarray([inst['bbox'] for inst in sample['instances']],
                                   np.float64).reshape(-1, 4)
        else:
            gt_bboxes = to_numpy(gt['bboxes'], np.float64).reshape(-1, 4)
        pairs = sample['gt_pairs']
        pair_ids, gt_actions = np.nonzero(to_numpy(pairs['actions']) > 0)
        gt_subject_ids = to_numpy(pairs['subject_ids'], np.int64).reshape(-1)[pair_ids]
        gt_object_ids = to_numpy(pairs['object_ids'], np.int64).reshape(-1)[pair_ids]
        gt_objects = gt_labels[gt_object_ids]

        pred = sample['pred_hois']
        scores = to_numpy(pred['scores'], np.float64).reshape(-1)
        actions = to_numpy(pred['action_labels'], np.int64).reshape(-1)
        objects = to_numpy(pred['object_labels'], np.int64).reshape(-1)
        if len(actions) != len(scores) or len(objects) != len(scores):
            raise ValueError(f'HOIMetric: image {name}: pred_hois fields differ in length '
                             f'(scores {len(scores)}, action_labels {len(actions)}, '
                             f'object_labels {len(objects)})')
        if valid_categories is not None and len(scores) and (
                actions.min() < 0 or objects.min() < 0 or actions.max() >= valid_categories.shape[0]
                or objects.max() >= valid_categories.shape[1]):
            raise ValueError(f'HOIMetric: image {name}: a predicted action or object id is '
                             f'outside the dataset metainfo ({valid_categories.shape[0]} actions, '
                             f'{valid_categories.shape[1]} objects)')
        keep, kept_scores = select_image_predictions(scores, actions, objects, valid_categories,
                                                     self.top_k)
        subject_bboxes = to_numpy(pred['subject_bboxes'], np.float64).reshape(-1, 4)[keep]
        object_bboxes = to_numpy(pred['object_bboxes'], np.float64).reshape(-1, 4)[keep]
        actions, objects = actions[keep], objects[keep]
        if self.triplet_nms_thr is not None and len(keep):
            codes = actions * (objects.max() + 1) + objects
            kept = triplet_nms(subject_bboxes, object_bboxes, kept_scores, codes,
                               self.triplet_nms_thr, self.nms_alpha, self.nms_beta)
            kept = kept[np.argsort(-kept_scores[kept], kind='stable')]
            subject_bboxes, object_bboxes = subject_bboxes[kept], object_bboxes[kept]
            actions, objects, kept_scores = actions[kept], objects[kept], kept_scores[kept]
        return dict(
            gt_bboxes=gt_bboxes,
            gt_labels=gt_labels,
            gt_subject_ids=gt_subject_ids,
            gt_object_ids=gt_object_ids,
            gt_actions=gt_actions,
            gt_objects=gt_objects,
            subject_bboxes=subject_bboxes,
            object_bboxes=object_bboxes,
            actions=actions,
            objects=objects,
            scores=kept_scores)

    # ------------------------------------------------------------------ dataset
    def _rare_set(self, categories: Sequence[Tuple[int, int]], logger: MMLogger) -> Optional[set]:
        """The rare categories among ``categories``; None when that is unknown."""
        if self._rare_categories is not None:
            return self._rare_categories
        if self.train_ann_file is None:
            return None
        if self._training_counts is None:
            self._training_counts = count_hoi_instances(self.train_ann_file)
        unseen = [c for c in categories if c not in self._training_counts]
        if unseen:
            logger.warning(f'HOIMetric: {len(unseen)} test HOI categories have no training '
                           f'instance in {self.train_ann_file}; they count as rare')
        return {c for c in categories if self._training_counts.get(c, 0) < self.rare_threshold}

    def _vocabulary_name(self, key: str, index: int) -> str:
        """The name of ``index`` in the metainfo's ``key`` list, else the index."""
        names = (self.dataset_meta or {}).get(key)
        return names[index] if names and index < len(names) else str(index)

    def _category_name(self, action: int, obj: int) -> str:
        return (f'{self._vocabulary_name("actions", action)} '
                f'{self._vocabulary_name("objects", obj)}')

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """mAP, rare and non-rare mAP and mean max recall (percent) over ``results``, in
        the Default and the Known Object setting; none, with one log line, for a model
        that predicts no triplets (a contact-only model)."""
        logger = MMLogger.get_current_instance()
        without = sum(1 for r in results if r.get('no_triplets'))
        if results and without == len(results):
            logger.info('HOIMetric: the model predicts no HOI triplets (a contact-only '
                        'model): no HOI numbers')
            return {}
        if without:
            raise ValueError(f'HOIMetric: {without} of the {len(results)} evaluated images '
                             'have no pred_hois: a model predicts triplets for every image '
                             'or for none')

        def gather(key, empty):
            return np.concatenate([r[key] for r in results] + [empty])

        gt_categories = gather('gt_categories', np.zeros((0, 2), np.int32))
        pred_categories = gather('pred_categories', np.zeros((0, 2), np.int32))
        pred_scores = gather('pred_scores', np.zeros(0))
        pred_tp = gather('pred_tp', np.zeros(0, bool))
        known_object = gather('pred_known_object', np.zeros(0, bool))
        if len(gt_categories) == 0:
            raise ValueError(f'HOIMetric: the {len(results)} evaluated images hold no ground-truth '
                             'interaction: mAP is undefined')
        num_objects = int(max(gt_categories[:, 1].max(), pred_categories[:, 1].max(initial=0))) + 1
        gt_codes = gt_categories[:, 0].astype(np.int64) * num_objects + gt_categories[:, 1]
        pred_codes = (pred_categories[:, 0].astype(np.int64) * num_objects + pred_categories[:, 1])
        # categories in order of first appearance in the ground truth, as QPIC's list
        codes, first, num_gts = np.unique(gt_codes, return_index=True, return_counts=True)
        appearance = np.argsort(first, kind='stable')
        codes, num_gts = codes[appearance], num_gts[appearance]
        # the detections of each category, in evaluation order
        by_code = np.argsort(pred_codes, kind='stable')
        sorted_codes = pred_codes[by_code]
        starts = np.searchsorted(sorted_codes, codes, side='left')
        ends = np.searchsorted(sorted_codes, codes, side='right')

        categories = [(int(c // num_objects), int(c % num_objects)) for c in codes]
        rare = self._rare_set(categories, logger)
        self.per_category_results = []
        for category, n_gt, start, end in zip(categories, num_gts, starts, ends):
            members = by_code[start:end]
            ap, max_recall = eleven_point_ap(pred_tp[members], pred_scores[members], int(n_gt))
            # Known Object: only the images whose ground truth holds the object class;
            # the ground truth of the category lies in those images by definition
            known = members[known_object[members]]
            ap_ko, max_recall_ko = eleven_point_ap(pred_tp[known], pred_scores[known], int(n_gt))
            self.per_category_results.append(
                OrderedDict(
                    action_id=category[0],
                    object_id=category[1],
                    name=self._category_name(*category),
                    rare=None if rare is None else category in rare,
                    num_gts=int(n_gt),
                    num_preds=int(end - start),
                    ap=ap * 100,
                    max_recall=max_recall * 100,
                    num_preds_ko=len(known),
                    ap_ko=ap_ko * 100,
                    max_recall_ko=max_recall_ko * 100))

        metrics = OrderedDict()
        for suffix in ('', '_ko'):
            metrics.update(self._setting_means(suffix, rare))
        if rare is None:
            logger.info('HOIMetric: rare / non-rare mAP not reported: give train_ann_file '
                        '(the training annotation file) or rare_categories')
        self._log_tables(metrics, rare, len(results), logger)
        if self.classwise:
            for r in self.per_category_results:
                metrics['AP_' + r['name'].replace(' ', '_')] = r['ap']
        return metrics

    def _setting_means(self, suffix: str, rare: Optional[set]) -> Dict[str, float]:
        """``mAP{suffix}``, its rare and non-rare means and ``mean_max_recall{suffix}``
        over :attr:`per_category_results` (``suffix`` '' Default, '_ko' Known Object)."""
        results = self.per_category_results
        aps = [r['ap' + suffix] for r in results]
        means = OrderedDict([(f'mAP{suffix}', float(np.mean(aps)))])
        if rare is not None:
            for name, members in (('rare', [r for r in results if r['rare']]),
                                  ('non_rare', [r for r in results if not r['rare']])):
                means[f'mAP{suffix}_{name}'] = (
                    float(np.mean([r['ap' + suffix]
                                   for r in members])) if members else float('nan'))
        means[f'mean_max_recall{suffix}'] = float(
            np.mean([r['max_recall' + suffix] for r in results]))
        return means

    def _log_tables(self, metrics: dict, rare: Optional[set], num_images: int,
                    logger: MMLogger) -> None:
        num_rare = sum(1 for r in self.per_category_results if r['rare'])
        num_categories = len(self.per_category_results)
        cut = 'no cut' if self.top_k is None else f'top {self.top_k}'
        nms = 'off' if self.triplet_nms_thr is None else f'{self.triplet_nms_thr}'
        counts = (['', '']
                  if rare is None else [f' ({num_rare})', f' ({num_categories - num_rare})'])
        summary = PrettyTable(
            ['setting', 'mAP', 'rare' + counts[0], 'non-rare' + counts[1], 'mean max recall'])
        for name, suffix in (('Default', ''), ('Known Object', '_ko')):
            summary.add_row([
                name, f'{metrics["mAP" + suffix]:.2f}',
                '-' if rare is None else f'{metrics[f"mAP{suffix}_rare"]:.2f}',
                '-' if rare is None else f'{metrics[f"mAP{suffix}_non_rare"]:.2f}',
                f'{metrics["mean_max_recall" + suffix]:.2f}'
            ])
        print_log(
            f'HOI detection on {num_images} images, {num_categories} categories '
            f'({cut} per image, triplet NMS {nms}, IoU >= {self.iou_thr}; percent):\n' +
            summary.get_string(),
            logger=logger)
        if self.classwise:
            table = PrettyTable([
                'category', 'rare', 'gt', 'predictions', 'AP', 'max recall', 'predictions KO',
                'AP KO'
            ])
            for r in self.per_category_results:
                table.add_row([
                    r['name'], '-' if r['rare'] is None else ('rare' if r['rare'] else ''),
                    r['num_gts'], r['num_preds'], f'{r["ap"]:.2f}', f'{r["max_recall"]:.2f}',
                    r['num_preds_ko'], f'{r["ap_ko"]:.2f}'
                ])
            print_log('HOI AP per category (percent):\n' + table.get_string(), logger=logger)
