"""Per-image steps of the HOI detection protocol of QPIC / CDN / GEN-VLKT, vectorised.

These functions reproduce, rule for rule, what ``datasets/hico_eval.py`` (QPIC, CDN) and
``datasets/hico_eval_triplet.py`` (GEN-VLKT) do for one image, with numpy arrays in place
of Python loops:

1. :func:`select_image_predictions`: QPIC's ``correct_mat`` mask (the score of an
   (action, object) pair that is not a valid HOI category becomes 0), the stable sort by
   score and the top-``k`` cut (100 in those codebases).
2. :func:`triplet_nms`: GEN-VLKT/CDN's optional triplet NMS, applied after the cut.
3. :func:`match_image_predictions`: the greedy true/false positive assignment.

Boxes are ``x1y1x2y2`` in original-image pixels and are compared in float64.
"""
from typing import Optional, Tuple

import numpy as np

#: the person class: every subject box of a prediction belongs to it
PERSON_LABEL = 0


def hoi_box_iou(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """IoU of every pair of boxes, as QPIC's ``compute_IOU``.

    Areas follow the inclusive-pixel convention, ``(x2 - x1 + 1) * (y2 - y1 + 1)``, and so
    does the intersection, ``(w + 1) * (h + 1)``; but, as in that code, boxes whose
    overlap ``min(x2) - max(x1)`` or ``min(y2) - max(y1)`` is not strictly positive have
    IoU 0 (two boxes that share only an edge do not overlap).

    Args:
        boxes1 (np.ndarray): (N, 4) boxes x1y1x2y2.
        boxes2 (np.ndarray): (M, 4) boxes x1y1x2y2.

    Returns:
        np.ndarray: (N, M) float64 IoU.
    """
    boxes1 = np.asarray(boxes1, dtype=np.float64).reshape(-1, 4)
    boxes2 = np.asarray(boxes2, dtype=np.float64).reshape(-1, 4)
    area1 = (boxes1[:, 2] - boxes1[:, 0] + 1) * (boxes1[:, 3] - boxes1[:, 1] + 1)
    area2 = (boxes2[:, 2] - boxes2[:, 0] + 1) * (boxes2[:, 3] - boxes2[:, 1] + 1)
    w = (
        np.minimum(boxes1[:, None, 2], boxes2[None, :, 2]) -
        np.maximum(boxes1[:, None, 0], boxes2[None, :, 0]))
    h = (
        np.minimum(boxes1[:, None, 3], boxes2[None, :, 3]) -
        np.maximum(boxes1[:, None, 1], boxes2[None, :, 1]))
    overlaps = (w > 0) & (h > 0)
    inter = np.where(overlaps, (h + 1) * (w + 1), 0.0)
    union = np.where(overlaps, area1[:, None] + area2[None, :] - inter, 1.0)
    return inter / union


def select_image_predictions(scores: np.ndarray,
                             actions: np.ndarray,
                             objects: np.ndarray,
                             valid_categories: Optional[np.ndarray] = None,
                             top_k: Optional[int] = 100) -> Tuple[np.ndarray, np.ndarray]:
    """The predictions of one image that take part in the evaluation, in QPIC's order.

    Args:
        scores (np.ndarray): (K,) triplet scores.
        actions (np.ndarray): (K,) action ids.
        objects (np.ndarray): (K,) object class ids.
        valid_categories (np.ndarray, optional): (A, O) bool, True where
            (action, object) is a valid HOI category (QPIC's ``correct_mat``). The score
            of an invalid pair is multiplied by 0, as there; None keeps every score.
        top_k (int, optional): keep only the ``top_k`` highest scores; None keeps all.

    Returns:
        tuple: ``(indices, scores)``: the kept predictions as indices into the inputs,
        sorted by descending score with ties in input order (Python's stable
        ``list.sort(reverse=True)``), and their (masked) float64 scores.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if valid_categories is not None and scores.size:
        scores = scores * valid_categories[actions, objects]
    order = np.argsort(-scores, kind='stable')
    if top_k is not None:
        order = order[:top_k]
    return order, scores[order]


def _inclusive_pair_iou(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """(P,) IoU of ``boxes1[p]`` with ``boxes2[p]``, as GEN-VLKT's ``pairwise_nms``
    computes it (``max(0, overlap + 1)`` sides, no special case for empty overlaps)."""
    area1 = (boxes1[:, 2] - boxes1[:, 0] + 1) * (boxes1[:, 3] - boxes1[:, 1] + 1)
    area2 = (boxes2[:, 2] - boxes2[:, 0] + 1) * (boxes2[:, 3] - boxes2[:, 1] + 1)
    w = np.maximum(
        0.0,
        np.minimum(boxes1[:, 2], boxes2[:, 2]) - np.maximum(boxes1[:, 0], boxes2[:, 0]) + 1)
    h = np.maximum(
        0.0,
        np.minimum(boxes1[:, 3], boxes2[:, 3]) - np.maximum(boxes1[:, 1], boxes2[:, 1]) + 1)
    inter = w * h
    return inter / (area1 + area2 - inter)


def triplet_nms(subject_bboxes: np.ndarray,
                object_bboxes: np.ndarray,
                scores: np.ndarray,
                categories: np.ndarray,
                thr: float = 0.7,
                alpha: float = 1.0,
                beta: float = 0.5) -> np.ndarray:
    """GEN-VLKT / CDN's triplet NMS (``triplet_nms_filter``) over one image.

    Within each HOI category, a prediction is suppressed when its overlap with a kept,
    higher-scored one, ``IoU_sub ** alpha * IoU_obj ** beta`` (inclusive-pixel IoU), is
    above ``thr``. As there, categories are visited in order of first appearance and,
    within one, predictions in the order of ``scores.argsort()[::-1]``; the returned
    indices keep that order (the caller sorts them again by score, stably, which decides
    ties as GEN-VLKT's ``compute_fptp`` does). The overlaps of all same-category pairs
    are computed at once; only the greedy pass over a category with several members is
    a loop.

    Args:
        subject_bboxes (np.ndarray): (K, 4) float64 subject boxes.
        object_bboxes (np.ndarray): (K, 4) float64 object boxes.
        scores (np.ndarray): (K,) scores.
        categories (np.ndarray): (K,) int category code of each prediction.
        thr (float): suppression threshold (0.7 in GEN-VLKT/CDN).
        alpha (float): exponent of the subject IoU (1 in GEN-VLKT/CDN).
        beta (float): exponent of the object IoU (0.5 in GEN-VLKT/CDN).

    Returns:
        np.ndarray: (K',) int64 indices of the kept predictions.
    """
    num_preds = len(categories)
    same = categories[:, None] == categories[None, :]
    first, second = np.nonzero(np.triu(same, 1))
    if first.size == 0:  # one prediction per category: nothing to suppress
        return np.arange(num_preds, dtype=np.int64)
    # the overlap is symmetric (IEEE addition commutes): compute each pair once
    overlap = (
        np.power(_inclusive_pair_iou(subject_bboxes[first], subject_bboxes[second]), alpha) *
        np.power(_inclusive_pair_iou(object_bboxes[first], object_bboxes[second]), beta))
    above = overlap > thr
    suppresses = np.zeros((num_preds, num_preds), dtype=bool)
    suppresses[first[above], second[above]] = True
    suppresses[second[above], first[above]] = True
    _, first_index, group, counts = np.unique(
        categories, return_index=True, return_inverse=True, return_counts=True)
    keep = []
    for g in np.argsort(first_index):  # categories in order of first appearance
        if counts[g] == 1:
            keep.append(first_index[g])
            continue
        members = np.flatnonzero(group == g)
        suppressed = np.zeros(num_preds, dtype=bool)
        for i in members[scores[members].argsort()[::-1]]:
            if not suppressed[i]:
                keep.append(i)
                suppressed |= suppresses[i]
    return np.asarray(keep, dtype=np.int64)


def match_image_predictions(pred_subject_bboxes: np.ndarray,
                            pred_object_bboxes: np.ndarray,
                            pred_objects: np.ndarray,
                            pred_actions: np.ndarray,
                            gt_bboxes: np.ndarray,
                            gt_labels: np.ndarray,
                            gt_subject_ids: np.ndarray,
                            gt_object_ids: np.ndarray,
                            gt_actions: np.ndarray,
                            iou_thr: float = 0.5) -> np.ndarray:
    """True/false positive flag of each prediction of one image, as QPIC's ``compute_fptp``.

    Predictions are visited in the given order (descending score). A prediction matches
    a ground-truth triplet of its own action whose subject box (a person) and object box
    (of the predicted object class) both have IoU >= ``iou_thr`` with its boxes
    (:func:`hoi_box_iou`); among those it picks the one with the largest
    ``min(IoU_sub, IoU_obj)``, the first one on ties. It is a true positive when that
    triplet is not yet claimed, and then claims it; otherwise (no match, or its best
    match already claimed: no fallback to the next best) a false positive.

    Without the sequential loop: a prediction is a true positive exactly when it is the
    first matched prediction whose best match is that triplet.

    Args:
        pred_subject_bboxes (np.ndarray): (K, 4) subject boxes.
        pred_object_bboxes (np.ndarray): (K, 4) object boxes.
        pred_objects (np.ndarray): (K,) object class ids.
        pred_actions (np.ndarray): (K,) action ids.
        gt_bboxes (np.ndarray): (N, 4) ground-truth boxes.
        gt_labels (np.ndarray): (N,) their class ids.
        gt_subject_ids (np.ndarray): (G,) subject of each ground-truth triplet
            (index into ``gt_bboxes``).
        gt_object_ids (np.ndarray): (G,) object of each ground-truth triplet.
        gt_actions (np.ndarray): (G,) action of each ground-truth triplet.
        iou_thr (float): the IoU a box needs to match (0.5).

    Returns:
        np.ndarray: (K,) bool, True for a true positive.
    """
    num_preds = len(pred_actions)
    if num_preds == 0 or len(gt_actions) == 0:
        return np.zeros(num_preds, dtype=bool)
    iou = hoi_box_iou(np.concatenate([pred_subject_bboxes, pred_object_bboxes]),
                      gt_bboxes)  # one call for both roles
    sub_iou = iou[:num_preds, gt_subject_ids]
    obj_iou = iou[num_preds:, gt_object_ids]
    candidates = ((sub_iou >= iou_thr) & (obj_iou >= iou_thr)
                  & (gt_labels[gt_subject_ids] == PERSON_LABEL)[None, :]
                  & (pred_objects[:, None] == gt_labels[gt_object_ids][None, :])
                  & (pred_actions[:, None] == gt_actions[None, :]))
    matched = candidates.any(axis=1)
    overlap = np.where(candidates, np.minimum(sub_iou, obj_iou), -1.0)
    best = overlap.argmax(axis=1)
    true_positive = np.zeros(num_preds, dtype=bool)
    matched_ids = np.nonzero(matched)[0]
    _, first_claims = np.unique(best[matched_ids], return_index=True)
    true_positive[matched_ids[first_claims]] = True
    return true_positive
