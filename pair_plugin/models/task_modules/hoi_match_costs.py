"""Match costs between predicted and ground-truth (human, object) pairs (Eq. 16-17).

They are mmdet ``BaseMatchCost`` subclasses (``__call__(pred_instances, gt_instances, img_meta) ->
(num_preds, num_gts)``), so that :class:`HOIHungarianAssigner`, a child of
mmdet's ``HungarianAssigner``, stacks and sums them with mmdet's own costs. The object-class
cost is mmdet's ``ClassificationCost`` itself (``scores`` = object logits, ``labels`` =
object classes).

Box fields of both instance sets are **normalised cxcywh** (as DETR regresses them):
``human_bboxes`` and ``object_bboxes`` (n, 4). Because IoU and GIoU are invariant under an
axis-aligned scaling, the GIoU computed on normalised boxes equals the one in pixels.
"""
from typing import Optional, Union

import torch
from mmdet.models.task_modules.assigners.match_cost import BaseMatchCost
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor

from pair_plugin.registry import TASK_UTILS


@TASK_UTILS.register_module()
class HOIActionCost(BaseMatchCost):
    """Multi-label action cost of GEN-VLKT / CDN.

    With ``p = sigmoid(action logits)`` (n, A) and the multi-hot targets ``t`` (m, A), the
    cost is ``-(p·t / |t| + (1 - p)·(1 - t) / |1 - t|) / 2``: minus the mean of the
    predicted probability over the target's positive actions and of ``1 - p`` over its
    negative ones.

    Args:
        weight (float): weight of the cost. Defaults to 1.
        eps (float): added to the denominators. Defaults to 1e-4 (GEN-VLKT's).
    """

    def __init__(self, weight: Union[float, int] = 1., eps: float = 1e-4) -> None:
        super().__init__(weight=weight)
        self.eps = eps

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Compute the cost.

        Args:
            pred_instances (InstanceData): ``action_scores`` (n, A) logits.
            gt_instances (InstanceData): ``actions`` (m, A) multi-hot.
            img_meta (dict, optional): unused.

        Returns:
            Tensor: (n, m) cost matrix.
        """
        prob = pred_instances.action_scores.sigmoid()
        target = gt_instances.actions.to(prob.dtype).t()  # (A, m)
        pos = prob.matmul(target) / (target.sum(0, keepdim=True) + self.eps)
        neg = (1 - prob).matmul(1 - target) / ((1 - target).sum(0, keepdim=True) + self.eps)
        return -(pos + neg) / 2 * self.weight


@TASK_UTILS.register_module()
class PairBBoxL1Cost(BaseMatchCost):
    """``max(L1(human boxes), L1(object boxes))`` on normalised cxcywh boxes.

    Args:
        weight (float): weight of the cost. Defaults to 1.
    """

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Compute the cost.

        Args:
            pred_instances (InstanceData): ``human_bboxes``, ``object_bboxes`` (n, 4).
            gt_instances (InstanceData): ``human_bboxes``, ``object_bboxes`` (m, 4).
            img_meta (dict, optional): unused.

        Returns:
            Tensor: (n, m) cost matrix.
        """
        human = torch.cdist(pred_instances.human_bboxes, gt_instances.human_bboxes, p=1)
        obj = torch.cdist(pred_instances.object_bboxes, gt_instances.object_bboxes, p=1)
        return torch.maximum(human, obj) * self.weight


@TASK_UTILS.register_module()
class PairIoUCost(BaseMatchCost):
    """``max(-IoU(human boxes), -IoU(object boxes))`` (GIoU by default).

    Args:
        iou_mode (str): ``'giou'`` or ``'iou'``, as mmdet's ``bbox_overlaps``.
        weight (float): weight of the cost. Defaults to 1.
    """

    def __init__(self, iou_mode: str = 'giou', weight: Union[float, int] = 1.) -> None:
        super().__init__(weight=weight)
        self.iou_mode = iou_mode

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Compute the cost.

        Args:
            pred_instances (InstanceData): ``human_bboxes``, ``object_bboxes`` (n, 4)
                normalised cxcywh.
            gt_instances (InstanceData): the same fields, (m, 4).
            img_meta (dict, optional): unused.

        Returns:
            Tensor: (n, m) cost matrix.
        """
        costs = []
        for key in ('human_bboxes', 'object_bboxes'):
            pred = bbox_cxcywh_to_xyxy(pred_instances.get(key).float())
            gt = bbox_cxcywh_to_xyxy(gt_instances.get(key).float())
            costs.append(-bbox_overlaps(pred, gt, mode=self.iou_mode))
        return torch.maximum(*costs) * self.weight
