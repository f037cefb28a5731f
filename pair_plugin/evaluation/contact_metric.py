"""Body-part contact metrics of HOT (SC-Acc., C-Acc., mIoU, wIoU) and what they hide."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from pair_plugin.datasets.annotation_stats import count_part_images
from pair_plugin.registry import METRICS
from pair_plugin.structures import BODY_PARTS, IGNORE_INDEX, NUM_PARTS, to_numpy

#: labels of a contact map: 0 no contact, 1..17 body part
NUM_LABELS = NUM_PARTS + 1
#: HOT's guard against empty denominators
EPS = 1e-10
#: contact counts of parts 1..17 in HOT's ``data/stats.pickle``, which its
#: ``show_loss.py`` normalises into the wIoU weights (``part_weights='hot'``)
HOT_PART_CONTACT_COUNTS = (1315, 1451, 3670, 1290, 1856, 9461, 1300, 1819, 11111, 4447, 471, 2710,
                           1414, 11016, 2643, 1441, 10940)


def contact_confusion_matrix(pred: np.ndarray, gt: np.ndarray, chunk: int = 1 << 22) -> np.ndarray:
    """Pixel counts of every (predicted label, ground-truth label) pair of one image.

    Pixels where the ground truth is 255 (not annotated, padding) are left out. A
    predicted value outside 0..17 (255 included) is a prediction of no contact: it
    counts in row 0, so it never takes a ground-truth pixel out of the denominators.
    The counting runs over ``chunk`` pixels at a time, so that a 24-megapixel photo
    needs tens of MB, not hundreds.

    Args:
        pred (np.ndarray): (H, W) integer predicted contact map.
        gt (np.ndarray): (H, W) integer ground-truth contact map, values 0..17 or 255.
        chunk (int): pixels counted per ``np.bincount`` call.

    Returns:
        np.ndarray: (18, 18) int64, ``[p, g]`` = #pixels with prediction p, truth g.
    """
    pred = pred.reshape(-1)
    pred = np.where((pred >= 0) & (pred < NUM_LABELS), pred, 0).astype(np.int64)
    # ground-truth 255 becomes a 19th label, counted and then dropped with its column
    gt = np.minimum(gt.reshape(-1), NUM_LABELS).astype(np.int64)
    size = NUM_LABELS + 1
    counts = np.zeros(NUM_LABELS * size, dtype=np.int64)
    for start in range(0, pred.size, chunk):
        counts += np.bincount(
            pred[start:start + chunk] * size + gt[start:start + chunk], minlength=NUM_LABELS * size)
    return counts.reshape(NUM_LABELS, size)[:, :NUM_LABELS]


def contact_scores(confusion: np.ndarray,
                   weights: Optional[np.ndarray] = None) -> Dict[str, object]:
    """HOT's contact metrics, and precision and strict IoU, from a summed confusion matrix.

    With ``C[p, g]`` the pixels predicted p with truth g over the whole test set:

    - SC-Acc. = sum_k C[k, k] / #(gt > 0);  C-Acc. = #(pred > 0, gt > 0) / #(gt > 0);
    - IoU_k as HOT: the prediction zeroed wherever gt == 0, i.e.
      I_k = C[k, k], U_k = sum_{g>0} C[k, g] + sum_p C[p, k] - I_k,
      IoU_k = I_k / (U_k + 1e-10); mIoU = mean over the 17 parts (absent part = 0);
      wIoU = sum_k w_k IoU_k;
    - contact precision = sum_k C[k, k] / #(pred > 0);
    - strict IoU_k = C[k, k] / (sum_g C[k, g] + sum_p C[p, k] - C[k, k] + 1e-10), which
      also counts contact predicted where the truth has none; strict mIoU its mean.

    Args:
        confusion (np.ndarray): (18, 18) summed confusion matrix (rows predictions).
        weights (np.ndarray, optional): (17,) wIoU weights summing to 1; None leaves
            wIoU out.

    Returns:
        dict: fractions in [0, 1]: ``sc_acc``, ``c_acc``, ``miou``, ``wiou`` (when
        weighted), ``precision``, ``strict_miou``, and (17,) arrays ``iou``,
        ``strict_iou``, ``gt_pixels``, ``pred_pixels`` for parts 1..17.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    correct = np.diag(confusion)[1:]  # I_k, k = 1..17
    gt_contact = confusion[:, 1:].sum()  # #(gt > 0)
    pred_contact = confusion[1:, :].sum()  # #(pred > 0)
    gt_pixels = confusion[:, 1:].sum(axis=0)  # #(gt == k)
    pred_pixels = confusion[1:, :].sum(axis=1)  # #(pred == k)
    pred_in_gt_contact = confusion[1:, 1:].sum(axis=1)  # #(pred == k, gt > 0)
    iou = correct / (pred_in_gt_contact + gt_pixels - correct + EPS)
    strict_iou = correct / (pred_pixels + gt_pixels - correct + EPS)
    scores = OrderedDict(
        sc_acc=correct.sum() / (gt_contact + EPS),
        c_acc=confusion[1:, 1:].sum() / (gt_contact + EPS),
        miou=iou.mean())
    if weights is not None:
        scores['wiou'] = float((np.asarray(weights, dtype=np.float64) * iou).sum())
    scores['precision'] = correct.sum() / (pred_contact + EPS)
    scores['strict_miou'] = strict_iou.mean()
    for key in list(scores):
        scores[key] = float(scores[key])
    scores.update(iou=iou, strict_iou=strict_iou, gt_pixels=gt_pixels, pred_pixels=pred_pixels)
    return scores


def normalise_part_weights(weights: Union[str, Sequence[float]], source: str) -> np.ndarray:
    """17 non-negative part weights (counts or shares) scaled to sum to 1.

    ``'hot'`` stands for :data:`HOT_PART_CONTACT_COUNTS`.
    """
    if isinstance(weights, str):
        if weights.lower() != 'hot':
            raise ValueError(f"{source}: 'hot' or 17 numbers expected, got {weights!r}")
        weights = HOT_PART_CONTACT_COUNTS
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    if len(weights) != NUM_PARTS:
        raise ValueError(f'{source}: {NUM_PARTS} part weights needed, got {len(weights)}')
    if (weights < 0).any() or not np.isfinite(weights).all() or weights.sum() <= 0:
        raise ValueError(f'{source}: part weights must be finite, >= 0 and not all 0: '
                         f'{weights.tolist()}')
    return weights / weights.sum()


@METRICS.register_module()
class ContactMetric(BaseMetric):
    """Body-part contact metrics exactly as HOT's code reduces them, plus what they hide.

    Pred and gt are per-pixel part maps (0 no contact, 1..17 part). A ground-truth 255
    (not annotated) counts nowhere; a predicted value outside 0..17 (255 included) is
    no contact, a miss wherever the truth is a part (the log says how many pixels held
    one). Each image adds its (18, 18) confusion matrix (:func:`contact_confusion_matrix`)
    to one sum over the test set, and every metric derives from that sum
    (:func:`contact_scores`): SC-Acc., C-Acc., mIoU and wIoU as HOT (prediction zeroed
    outside ground-truth contact), contact precision and a strict mIoU that counts every
    predicted pixel. Images whose metainfo ``contact_annotated`` is False count nowhere.
    Results are in percent; the summed matrix is kept in :attr:`confusion`.

    Inputs (data samples as dicts): ``gt_sem_seg.sem_seg`` (1, H, W) at the original
    size, as the dataset validated it, ``pred_sem_seg.sem_seg`` (1, H, W), metainfo
    ``contact_annotated``.

    Args:
        train_ann_file (str, optional): the PaIR annotation file of the training split;
            wIoU's weight of part k is the share of its contact-annotated images whose
            mask contains k. Masks are read from ``data_root``.
        data_root (str, optional): the root the training file's mask paths are
            relative to (default: the parent of the annotation file's folder, as
            :func:`~pair_plugin.datasets.annotation_stats.count_part_images`).
        part_weights (list[float] | str, optional): 17 weights (or counts) for parts
            1..17, normalised to sum to 1, instead of ``train_ann_file``; ``'hot'``
            takes HOT's contact counts (:data:`HOT_PART_CONTACT_COUNTS`). Without
            either, wIoU is not reported.
        eval_size (tuple[int, int], optional): (h, w); both maps are first resized to
            it with nearest-neighbour interpolation (PIHOT scores at (60, 80)). None
            (default) scores at the original size, as HOT.
        classwise (bool): also return ``IoU_<part>`` per part; the per-part table is
            always printed and kept in :attr:`per_part_results`.
        collect_device (str): device used to collect results across ranks ('cpu').
        prefix (str, optional): prefix of the metric names (default 'contact').
    """
    default_prefix: Optional[str] = 'contact'

    def __init__(self,
                 train_ann_file: Optional[str] = None,
                 data_root: Optional[str] = None,
                 part_weights: Union[str, Sequence[float], None] = None,
                 eval_size: Optional[Tuple[int, int]] = None,
                 classwise: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if train_ann_file is not None and part_weights is not None:
            raise ValueError('ContactMetric: give train_ann_file or part_weights, not both')
        if eval_size is not None:
            if (len(eval_size) != 2 or any(int(s) != s or s < 1 for s in eval_size)):
                raise ValueError(f'ContactMetric: eval_size must be (h, w) positive integers, '
                                 f'got {eval_size}')
            eval_size = (int(eval_size[0]), int(eval_size[1]))
        self.train_ann_file = train_ann_file
        self.data_root = data_root
        self.eval_size = eval_size
        self.classwise = classwise
        self.part_weights = None
        if part_weights is not None:
            self.part_weights = normalise_part_weights(part_weights, 'ContactMetric.part_weights')
        self.per_part_results: List[dict] = []
        self.confusion: Optional[np.ndarray] = None

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Append one entry per sample: its (18, 18) ``confusion`` matrix (None when the
        image has no contact annotation) and the number of its predicted pixels outside
        0..17 (one entry each, so that mmengine's ``collect_results`` can drop the
        distributed sampler's padding). ``no_contact_map`` marks a sample without
        ``pred_sem_seg`` (an HOI-only model's, or a predictions file's ``null`` mask), and
        ``missing_map`` one whose image has a contact annotation to score it against."""
        for sample in data_samples:
            no_map = 'pred_sem_seg' not in sample
            if no_map or not sample.get('contact_annotated', True):
                annotated = sample.get('contact_annotated', True)
                self.results.append(
                    dict(
                        confusion=None,
                        invalid_pred_pixels=0,
                        no_contact_map=no_map,
                        missing_map=no_map and annotated))
                continue
            self.results.append(self._scored_maps(sample))

    def _scored_maps(self, sample: dict) -> dict:
        name = sample.get('file_name', sample.get('img_id', '?'))
        if 'gt_sem_seg' not in sample or 'pred_sem_seg' not in sample:
            raise KeyError(f'ContactMetric: image {name}: needs gt_sem_seg and pred_sem_seg '
                           f'(has {sorted(sample)})')
        gt = to_numpy(sample['gt_sem_seg']['sem_seg'], np.int64)
        pred = to_numpy(sample['pred_sem_seg']['sem_seg'], np.int64)
        gt = gt.reshape(gt.shape[-2:])
        pred = pred.reshape(pred.shape[-2:])
        if gt.shape != pred.shape:
            raise ValueError(f'ContactMetric: image {name}: pred_sem_seg is {pred.shape[0]}x'
                             f'{pred.shape[1]} but gt_sem_seg {gt.shape[0]}x{gt.shape[1]} (h x w): '
                             'both must be at the original image size')
        invalid = (pred < 0) | (pred > NUM_PARTS)
        if self.eval_size is not None:
            size_wh = (self.eval_size[1], self.eval_size[0])
            gt = mmcv.imresize(gt.astype(np.uint8), size_wh, interpolation='nearest')
            pred = mmcv.imresize(
                np.where(invalid, 0, pred).astype(np.uint8), size_wh, interpolation='nearest')
        return dict(
            confusion=contact_confusion_matrix(pred, gt), invalid_pred_pixels=int(invalid.sum()))

    def _weights(self) -> Optional[np.ndarray]:
        if self.part_weights is None and self.train_ann_file is not None:
            # one log line, not a progress display: it runs once, inside the first
            # validation's log
            print_log(
                f'ContactMetric: wIoU weights from the contact masks of {self.train_ann_file}',
                logger='current')
            self.part_weights = normalise_part_weights(
                count_part_images(self.train_ann_file, self.data_root),
                f'ContactMetric: part image counts of {self.train_ann_file}')
        return self.part_weights

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """SC-Acc., C-Acc., mIoU, wIoU, contact precision, strict mIoU (percent); none,
        with one log line, for a model that predicts no contact map (an HOI-only model)."""
        logger = MMLogger.get_current_instance()
        if results and all(r.get('no_contact_map') for r in results):
            logger.info('ContactMetric: the model predicts no contact map (an HOI-only '
                        'model): no contact numbers')
            return {}
        missing = sum(1 for r in results if r.get('missing_map'))
        if missing:
            raise ValueError(f'ContactMetric: {missing} of the {len(results)} evaluated images '
                             'have a contact annotation but no pred_sem_seg: a model predicts '
                             'a contact map for every image or for none')
        confusions = [r['confusion'] for r in results if r['confusion'] is not None]
        if not confusions:
            raise ValueError(f'ContactMetric: none of the {len(results)} evaluated images has a '
                             'contact annotation (contact_annotated is False for all)')
        confusion = np.sum(confusions, axis=0)
        self.confusion = confusion
        invalid = sum(r['invalid_pred_pixels'] for r in results)
        if invalid:
            logger.warning(f'ContactMetric: {invalid} predicted pixels held a value outside '
                           f'0..{NUM_PARTS} (e.g. {IGNORE_INDEX}): scored as no contact, a miss '
                           'wherever the ground truth is a part')
        weights = self._weights()
        scores = contact_scores(confusion, weights)
        names = OrderedDict([('sc_acc', 'SC-Acc'), ('c_acc', 'C-Acc'), ('miou', 'mIoU'),
                             ('wiou', 'wIoU'), ('precision', 'contact_precision'),
                             ('strict_miou', 'strict_mIoU')])
        metrics = OrderedDict(
            (name, scores[key] * 100) for key, name in names.items() if key in scores)
        if weights is None:
            logger.info('ContactMetric: wIoU not reported: give train_ann_file (the '
                        'training annotation file) or part_weights')
        self.per_part_results = [
            OrderedDict(
                part_id=k + 1,
                name=BODY_PARTS[k],
                weight=None if weights is None else float(weights[k]),
                gt_pixels=int(scores['gt_pixels'][k]),
                pred_pixels=int(scores['pred_pixels'][k]),
                iou=float(scores['iou'][k] * 100),
                strict_iou=float(scores['strict_iou'][k] * 100)) for k in range(NUM_PARTS)
        ]
        self._log_tables(metrics, len(confusions), len(results), logger)
        if self.classwise:
            for r in self.per_part_results:
                metrics['IoU_' + r['name'].replace(' ', '_')] = r['iou']
        return metrics

    def _log_tables(self, metrics: dict, num_scored: int, num_images: int,
                    logger: MMLogger) -> None:
        size = ('original size' if self.eval_size is None else
                f'maps resized to {self.eval_size[0]}x{self.eval_size[1]} (h x w)')
        parts = PrettyTable(['part', 'weight', 'gt pixels', 'pred pixels', 'IoU', 'strict IoU'])
        for r in self.per_part_results:
            parts.add_row([
                f'{r["part_id"]} {r["name"]}', '-' if r['weight'] is None else f'{r["weight"]:.4f}',
                r['gt_pixels'], r['pred_pixels'], f'{r["iou"]:.2f}', f'{r["strict_iou"]:.2f}'
            ])
        summary = PrettyTable(list(metrics))
        summary.add_row([f'{v:.2f}' for v in metrics.values()])
        print_log(
            f'Contact on {num_scored} of {num_images} images (the others have no '
            f'contact annotation), {size}; percent:\n' + parts.get_string() + '\n' +
            summary.get_string(),
            logger=logger)
