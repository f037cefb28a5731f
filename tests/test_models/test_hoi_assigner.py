"""The pair assigner and its match costs, on hand-made numbers."""
import math

import pytest
import torch
from mmengine.structures import InstanceData

from pair_plugin.models.task_modules import (HOIActionCost, HOIHungarianAssigner, PairBBoxL1Cost,
                                             PairIoUCost)
from pair_plugin.registry import TASK_UTILS

DEFAULT_COSTS = [
    dict(type='ClassificationCost', weight=1.0),
    dict(type='HOIActionCost', weight=1.0),
    dict(type='PairBBoxL1Cost', weight=2.5),
    dict(type='PairIoUCost', iou_mode='giou', weight=1.0),
]


def _fixed_cost(matrices):
    """A match cost returning the next hand-made matrix (one per call)."""
    calls = iter(matrices)

    def cost(pred_instances, gt_instances, img_meta=None, **kwargs):
        return next(calls)

    return cost


def _preds(n, num_classes=3, num_actions=2):
    return InstanceData(
        scores=torch.zeros(n, num_classes + 1),
        action_scores=torch.zeros(n, num_actions),
        human_bboxes=torch.full((n, 4), 0.5),
        object_bboxes=torch.full((n, 4), 0.5))


def _gts(m, num_actions=2):
    return InstanceData(
        labels=torch.zeros(m, dtype=torch.long),
        actions=torch.zeros(m, num_actions),
        human_bboxes=torch.full((m, 4), 0.5),
        object_bboxes=torch.full((m, 4), 0.5))


def test_assign_minimises_total_cost_not_greedy():
    """[[1, 2], [2, 10], [3, 3]]: greedy takes (0,0)+(1,1) = 11, optimum (0,1)+(1,0) = 4."""
    assigner = HOIHungarianAssigner(match_costs=DEFAULT_COSTS)
    assigner.match_costs = [_fixed_cost([torch.tensor([[1., 2.], [2., 10.], [3., 3.]])])]
    result = assigner.assign(_preds(3), _gts(2))
    assert result.gt_inds.tolist() == [2, 1, 0]  # 1-based gt index, 0 = unmatched
    assert result.num_gts == 2


def test_match_batch_returns_flat_indices_skipping_images_without_pairs():
    """Images 0 and 2 have pairs, image 1 none: columns 0..1 are image 0's, 2 image 2's."""
    assigner = HOIHungarianAssigner(match_costs=DEFAULT_COSTS)
    full = torch.tensor([
        [5., 1., 0.],
        [1., 5., 0.],  # image 0, queries 0..1
        [0., 0., 0.],
        [0., 0., 0.],  # image 1 (no pair: its block is never read)
        [0., 0., 7.],
        [0., 0., 2.],  # image 2
    ])
    assigner.match_costs = [_fixed_cost([full])]
    preds = InstanceData.cat([_preds(2)] * 3)
    gts = InstanceData.cat([_gts(2), _gts(1)])
    pred_inds, gt_inds = assigner.match_batch(preds, gts, 3, [2, 0, 1])
    assert pred_inds.dtype == gt_inds.dtype == torch.long
    # image 0: query 0 -> pair 1, query 1 -> pair 0; image 2: query 1 (flat 5) -> pair 2
    assert pred_inds.tolist() == [0, 1, 5]
    assert gt_inds.tolist() == [1, 0, 2]


def test_match_batch_without_any_pair_and_bad_sizes():
    assigner = HOIHungarianAssigner(match_costs=DEFAULT_COSTS)
    pred_inds, gt_inds = assigner.match_batch(
        InstanceData.cat([_preds(3)] * 2), InstanceData(), 2, [0, 0])
    assert pred_inds.shape == gt_inds.shape == (0, )
    with pytest.raises(ValueError, match='5 predictions and 2 ground-truth sizes'):
        assigner.match_batch(_preds(5), _gts(1), 2, [1, 0])
    with pytest.raises(ValueError, match='2 ground-truth sizes for 3 images'):
        assigner.match_batch(_preds(6), _gts(1), 3, [1, 0])


def test_action_cost_is_gen_vlkt_formula():
    """p = sigmoid(logit); cost = -(mean p over positives + mean (1-p) over negatives) / 2."""
    p = torch.tensor([[0.9, 0.2, 0.6]])
    pred = InstanceData(action_scores=torch.logit(p))
    gt = InstanceData(actions=torch.tensor([[1., 0., 1.], [0., 0., 0.]]))
    cost = HOIActionCost(weight=2.0)(pred, gt)
    pos0 = (0.9 + 0.6) / (2 + 1e-4)
    neg0 = (1 - 0.2) / (1 + 1e-4)
    neg1 = (0.1 + 0.8 + 0.4) / (3 + 1e-4)
    assert cost.shape == (1, 2)
    assert cost[0, 0].item() == pytest.approx(-2.0 * (pos0 + neg0) / 2, rel=1e-5)
    assert cost[0, 1].item() == pytest.approx(-2.0 * neg1 / 2, rel=1e-5)


def test_box_costs_take_the_worse_of_human_and_object():
    pred = InstanceData(
        human_bboxes=torch.tensor([[0.5, 0.5, 0.2, 0.2]]),
        object_bboxes=torch.tensor([[0.3, 0.3, 0.2, 0.2]]))
    gt = InstanceData(
        human_bboxes=torch.tensor([[0.6, 0.5, 0.2, 0.2]]),
        object_bboxes=torch.tensor([[0.3, 0.3, 0.2, 0.2]]))
    # L1: human 0.1, object 0 -> 0.1 x 2.5
    assert PairBBoxL1Cost(weight=2.5)(pred, gt).item() == pytest.approx(0.25, abs=1e-6)
    # human boxes [0.4,0.4,0.6,0.6] vs [0.5,0.4,0.7,0.6]: IoU 0.02/0.06 = 1/3, enclosing
    # 0.06 = union -> GIoU 1/3; object GIoU 1 -> max(-1/3, -1) = -1/3
    iou_cost = PairIoUCost()(pred, gt).item()
    assert iou_cost == pytest.approx(-1 / 3, abs=1e-5)
    assert not math.isnan(iou_cost)


def test_default_costs_match_the_perfect_prediction():
    """Built from config: the prediction equal to a ground-truth pair is matched to it."""
    assigner = TASK_UTILS.build(dict(type='HOIHungarianAssigner', match_costs=DEFAULT_COSTS))
    gts = InstanceData(
        labels=torch.tensor([2, 1]),
        actions=torch.tensor([[1., 0.], [0., 1.]]),
        human_bboxes=torch.tensor([[0.2, 0.3, 0.2, 0.4], [0.7, 0.6, 0.3, 0.5]]),
        object_bboxes=torch.tensor([[0.4, 0.4, 0.1, 0.1], [0.8, 0.2, 0.2, 0.2]]))
    scores = torch.full((3, 4), -5.0)
    scores[0, 1] = scores[2, 2] = 5.0
    scores[1, 3] = 5.0  # no-object
    actions = torch.full((3, 2), -5.0)
    actions[0, 1] = actions[2, 0] = 5.0
    preds = InstanceData(
        scores=scores,
        action_scores=actions,
        human_bboxes=torch.stack(
            [gts.human_bboxes[1],
             torch.tensor([.5, .5, .1, .1]), gts.human_bboxes[0]]),
        object_bboxes=torch.stack(
            [gts.object_bboxes[1],
             torch.tensor([.5, .5, .1, .1]), gts.object_bboxes[0]]))
    result = assigner.assign(preds, gts)
    assert result.gt_inds.tolist() == [2, 0, 1]
