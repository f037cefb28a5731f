"""Where the ground-truth HOI triplets are lost: human, object box, object class, action.

For every ground-truth triplet (human, object, object class, action) of an image,
:class:`HOIErrorAnalysis` looks at the predictions that :class:`HOIMetric` evaluates for
that image (the same invalid-category mask, top-k cut and optional triplet NMS) and
names the first requirement of a match that none of them meets, in this order:

1. ``missed_human``: no prediction's subject box has IoU >= ``iou_thr`` with the human;
2. ``missed_object``: some have, but none of those has also the object box;
3. ``wrong_object_class``: some have both boxes, but none of those the object class;
4. ``wrong_action``: some have both boxes and the class, but none of those the action;
5. ``found``: a prediction meets all four: the triplet can be recalled.

Each triplet counts in exactly one outcome, so the five shares add up to 100 %.
``found`` is an upper bound of what mAP can reward: :class:`HOIMetric`'s greedy
matching may still give that prediction to another triplet, and AP also depends on the
scores. The best object-box IoU that any prediction reaches (whatever its class, its
human or its action) says how close the model comes to a lost object.

As mmdet's COCO error analysis, this tells what to work on: a model whose small
objects are ``missed_object`` with a best IoU near 0 does not localise them at all.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from pair_plugin.registry import METRICS
from .hoi_matching import hoi_box_iou
from .hoi_metric import HOIMetric

#: the outcomes of a ground-truth triplet, in the order of the requirements
HOI_ERROR_OUTCOMES = ('missed_human', 'missed_object', 'wrong_object_class', 'wrong_action',
                      'found')


def triplet_outcomes(arrays: Dict[str, np.ndarray], iou_thr: float = 0.5) -> Dict[str, np.ndarray]:
    """The outcome of each ground-truth triplet of one image.

    Args:
        arrays (dict[str, np.ndarray]): one image's ground truth and evaluated
            predictions, as :meth:`HOIMetric._evaluated_arrays` returns them.
        iou_thr (float): the IoU a box needs to match (0.5).

    Returns:
        dict[str, np.ndarray]: per ground-truth triplet (G,): ``outcome`` (int64 index
        into :data:`HOI_ERROR_OUTCOMES`), ``actions``, ``objects`` (class ids),
        ``best_object_iou`` (float64, 0 without predictions).
    """
    num_gts = len(arrays['gt_actions'])
    num_preds = len(arrays['actions'])
    result = dict(
        actions=arrays['gt_actions'].astype(np.int64),
        objects=arrays['gt_objects'].astype(np.int64))
    if num_preds == 0:
        result.update(outcome=np.zeros(num_gts, np.int64), best_object_iou=np.zeros(num_gts))
        return result
    iou = hoi_box_iou(
        np.concatenate([arrays['subject_bboxes'], arrays['object_bboxes']]), arrays['gt_bboxes'])
    sub_iou = iou[:num_preds, arrays['gt_subject_ids']]  # (K', G)
    obj_iou = iou[num_preds:, arrays['gt_object_ids']]
    human = sub_iou >= iou_thr
    pair = human & (obj_iou >= iou_thr)
    labelled = pair & (arrays['objects'][:, None] == arrays['gt_objects'][None, :])
    matched = labelled & (arrays['actions'][:, None] == arrays['gt_actions'][None, :])
    # each requirement adds one to the stage a triplet reaches
    met = np.stack([human.any(0), pair.any(0), labelled.any(0), matched.any(0)])
    result.update(
        outcome=met.sum(0).astype(np.int64),
        best_object_iou=obj_iou.max(0) if num_gts else np.zeros(0))
    return result


@METRICS.register_module()
class HOIErrorAnalysis(HOIMetric):
    """Share of the ground-truth triplets lost at each requirement of a match.

    Evaluates the same predictions as :class:`HOIMetric` with the same options (see
    there; the rare-category options are not needed here) and returns, in percent of
    all ground-truth triplets, ``missed_human``, ``missed_object``,
    ``wrong_object_class``, ``wrong_action`` and ``found`` (see the module docstring).
    It logs the same shares for each object class and the median best object-box IoU
    of its triplets; :attr:`per_object_results`, :attr:`per_category_results` and
    :attr:`overall_result` keep them per object class, per (action, object) category
    and over all triplets after :meth:`compute_metrics`.

    Can run beside :class:`HOIMetric` in ``test_evaluator``, or on a predictions file
    with ``tools/analysis/eval_predictions.py --errors``.

    Args:
        top_k (int, optional): triplets kept per image (100); None keeps all.
        triplet_nms_thr (float, optional): triplet NMS threshold; None for none.
        nms_alpha (float): exponent of the subject IoU in the NMS overlap (1.0).
        nms_beta (float): exponent of the object IoU in the NMS overlap (0.5).
        iou_thr (float): IoU a box needs to match (0.5).
        mask_invalid_categories (bool): apply QPIC's ``correct_mat`` (True).
        collect_device (str): device used to collect results across ranks ('cpu').
        prefix (str, optional): prefix of the metric names (default 'hoi_errors').
    """
    default_prefix: Optional[str] = 'hoi_errors'

    def __init__(self,
                 top_k: Optional[int] = 100,
                 triplet_nms_thr: Optional[float] = None,
                 nms_alpha: float = 1.0,
                 nms_beta: float = 0.5,
                 iou_thr: float = 0.5,
                 mask_invalid_categories: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            top_k=top_k,
            triplet_nms_thr=triplet_nms_thr,
            nms_alpha=nms_alpha,
            nms_beta=nms_beta,
            iou_thr=iou_thr,
            mask_invalid_categories=mask_invalid_categories,
            collect_device=collect_device,
            prefix=prefix)
        self.per_object_results: List[dict] = []
        self.overall_result: dict = {}

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep, per image, the outcome of each ground-truth triplet (one entry per
        sample, so that the distributed sampler's padding is dropped)."""
        valid_categories = self._valid_category_matrix()
        for sample in data_samples:
            arrays = self._evaluated_arrays(sample, valid_categories)
            self.results.append(triplet_outcomes(arrays, self.iou_thr))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """The share of each outcome over all ground-truth triplets (percent)."""
        outcome = np.concatenate([r['outcome'] for r in results] + [np.zeros(0, int)])
        if len(outcome) == 0:
            raise ValueError(f'HOIErrorAnalysis: the {len(results)} evaluated images hold no '
                             'ground-truth interaction')
        objects = np.concatenate([r['objects'] for r in results])
        actions = np.concatenate([r['actions'] for r in results])
        best_iou = np.concatenate([r['best_object_iou'] for r in results])

        def summary(members: np.ndarray) -> OrderedDict:
            counts = np.bincount(outcome[members], minlength=len(HOI_ERROR_OUTCOMES))
            row = OrderedDict(num_gts=int(len(members)))
            row.update((name, float(c) / len(members) * 100)
                       for name, c in zip(HOI_ERROR_OUTCOMES, counts))
            row['median_best_object_iou'] = float(np.median(best_iou[members]))
            return row

        self.per_object_results = []
        for obj in np.unique(objects):
            row = OrderedDict(object_id=int(obj), name=self._vocabulary_name('objects', int(obj)))
            row.update(summary(np.nonzero(objects == obj)[0]))
            self.per_object_results.append(row)
        self.per_category_results = []
        num_objects = int(objects.max()) + 1
        codes = actions * num_objects + objects
        for code in np.unique(codes):
            action, obj = divmod(int(code), num_objects)
            row = OrderedDict(
                action_id=action, object_id=obj, name=self._category_name(action, obj))
            row.update(summary(np.nonzero(codes == code)[0]))
            self.per_category_results.append(row)

        self.overall_result = OrderedDict(name='all')
        self.overall_result.update(summary(np.arange(len(outcome))))
        self._log_errors(len(results))
        return OrderedDict((name, self.overall_result[name]) for name in HOI_ERROR_OUTCOMES)

    def _log_errors(self, num_images: int) -> None:
        cut = 'no cut' if self.top_k is None else f'top {self.top_k}'
        table = PrettyTable(['object', 'triplets'] + list(HOI_ERROR_OUTCOMES) +
                            ['median best object IoU'])
        for row in self.per_object_results + [self.overall_result]:
            table.add_row([row['name'], row['num_gts']] +
                          [f'{row[name]:.1f}' for name in HOI_ERROR_OUTCOMES] +
                          [f'{row["median_best_object_iou"]:.2f}'])
        print_log(
            f'HOI errors on {num_images} images: where each ground-truth triplet is '
            f'lost ({cut} per image, IoU >= {self.iou_thr}; percent of the triplets '
            'of each object class):\n' + table.get_string(),
            logger=MMLogger.get_current_instance())
